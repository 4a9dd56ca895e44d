"""Subscription pages and API: subscribe, confirm, manage, export, delete, one-click unsubscribe.

No accounts: every page after the subscribe box is reached through a signed
link from an email (``digest/tokens.py``); the link is the credential, and a
link only ever reads or changes the subscriber it was issued to. Forms carry
the site's CSRF token, except the RFC 8058 one-click unsubscribe POST, which
mail clients send without one; it is accepted only with a valid signed token.

Subscribe answers are identical for every state of the address, and the
state-dependent work runs after the response (a background task), so neither
the text nor the timing of the answer says whether an address is subscribed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from paperfeed.digest.outbox import MailContext
from paperfeed.digest.prefs import FREQUENCIES, TOPIC_LIMITS, WEEKDAYS, PrefsError, timezone_names
from paperfeed.digest.subscriptions import SUBSCRIBE_ACCEPTED, RateLimited, Subscriptions
from paperfeed.digest.tokens import TokenError
from paperfeed.schemas import (
    ApiError,
    ErrorDetail,
    PreferencesIn,
    PreferencesOut,
    SubscribeAccepted,
    SubscribeIn,
    SubscriptionOut,
    TopicsOut,
    dump,
)
from paperfeed.web.security import CSRF_FIELD, cross_site_reason, network_of, verify_csrf
from paperfeed.web.templating import render

router = APIRouter()
ONE_CLICK = "One-Click"


def _service(request: Request) -> Subscriptions:
    svc = getattr(request.app.state, "subscriptions", None)
    if svc is None:
        pf = request.app.state.pf
        svc = Subscriptions(pf.store, MailContext.from_settings(pf.settings))
        request.app.state.subscriptions = svc
    return svc


def _network(request: Request) -> str:
    return network_of(request.client.host if request.client else None)


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: form.get(k) for k in form}


def json_from_own_origin(request: Request) -> None:
    """Refuse a JSON API write that a page on another site could have made its visitors' browsers send.

    ``application/json`` is required: a page on another site can POST ``text/plain`` without
    asking first, but a JSON content type makes the browser send a CORS preflight that this
    server never approves. The Origin check refuses what a preflight would not stop. Run as a
    dependency, so it answers before the body is validated.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise HTTPException(415, detail={"param": "content-type", "message": "send Content-Type: application/json"})
    reason = cross_site_reason(request, request.app.state.pf.settings.base_url)
    if reason:
        raise HTTPException(403, detail={"param": "origin", "message": reason})


def _page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    response = render(request, f"subscribe/{name}", ctx, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the URL holds a credential
    return response


def _message(request: Request, title: str, message: str, status: int = 200) -> HTMLResponse:
    return _page(request, "message.html", status, title=title, message=message)


def _bad_link(request: Request, exc: TokenError) -> HTMLResponse:
    return _message(
        request,
        "This link does not work",
        f"{exc.reason}. Subscribe again from any page to get a new link.",
        status=403,
    )


def _csrf_refused(request: Request) -> HTMLResponse:
    return _message(
        request,
        "Please try again",
        "The form's security token is missing or expired; go back, reload the page and send the form again.",
        status=403,
    )


# -- subscribe ----------------------------------------------------------------------
@router.post("/subscribe", include_in_schema=False)
async def subscribe_form(request: Request, background: BackgroundTasks) -> HTMLResponse:
    form = await _form(request)
    if not verify_csrf(request, form.get(CSRF_FIELD)):
        return _csrf_refused(request)
    svc = _service(request)
    try:
        admission = svc.admit(form.get("email"), _network(request))
    except PrefsError as exc:
        return _message(request, "Check the address", exc.message, status=400)
    except RateLimited as exc:
        response = _message(request, "Too many requests", str(exc).capitalize() + ".", status=429)
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    background.add_task(svc.process, admission)
    return _message(request, "Check your inbox", SUBSCRIBE_ACCEPTED, status=202)


SUBSCRIBE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ApiError, "description": "The body is not the documented JSON object (an unknown field is named)."},
    429: {
        "model": ApiError,
        "description": "Too many subscribe requests from this network.",
        "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
    },
    500: {"model": ApiError, "description": "An internal error; it has been logged (never a traceback)."},
}
TOKEN_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ApiError, "description": "The body is not the documented JSON object (an unknown field is named)."},
    403: {"model": ApiError, "description": "The token is invalid, expired or revoked."},
    500: {"model": ApiError, "description": "An internal error; it has been logged (never a traceback)."},
}
# The JSON writes also refuse what another site's page could send (`json_from_own_origin`).
JSON_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ApiError, "description": "The token is invalid, or the request came from another site's page."},
    413: {"model": ApiError, "description": "The body is larger than PAPERFEED_MAX_BODY_BYTES (256 KiB)."},
    415: {"model": ApiError, "description": "The body is not sent as Content-Type: application/json."},
}


@router.post(
    "/api/v1/subscribe",
    tags=["subscriptions"],
    status_code=202,
    response_model=SubscribeAccepted,
    responses=SUBSCRIBE_ERRORS | JSON_WRITE_ERRORS,
    dependencies=[Depends(json_from_own_origin)],
)
async def subscribe_api(request: Request, body: SubscribeIn, background: BackgroundTasks) -> JSONResponse:
    """Subscribe an address (double opt-in). The answer is the same whatever the address's state."""

    svc = _service(request)
    try:
        admission = svc.admit(body.email, _network(request))
    except PrefsError as exc:
        return _api_error(400, exc.field, exc.message)
    except RateLimited as exc:
        return _api_error(429, "email", str(exc), {"Retry-After": str(exc.retry_after_s)})
    background.add_task(svc.process, admission)
    accepted = SubscribeAccepted(status="accepted", message=SUBSCRIBE_ACCEPTED)
    return JSONResponse(dump(accepted), status_code=202)


def _api_error(status: int, param: str | None, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = ApiError(error=ErrorDetail(param=param, message=message))
    return JSONResponse(dump(body), status_code=status, headers=headers)


# -- confirm --------------------------------------------------------------------------
@router.get("/subscribe/confirm/{token}", include_in_schema=False)
def confirm_page(request: Request, token: str) -> HTMLResponse:
    """A button, not an action: mail scanners that open links must not confirm for the reader."""
    try:
        sub = _service(request).from_token("confirm", token)
    except TokenError as exc:
        return _bad_link(request, exc)
    return _page(request, "confirm.html", email=sub.email, token=token)


@router.post("/subscribe/confirm/{token}", include_in_schema=False)
async def confirm(request: Request, token: str) -> Response:
    form = await _form(request)
    if not verify_csrf(request, form.get(CSRF_FIELD)):
        return _csrf_refused(request)
    svc = _service(request)
    try:
        sub = svc.confirm(token)
    except TokenError as exc:
        return _bad_link(request, exc)
    manage = svc.ctx.token("manage", sub)
    return RedirectResponse(f"/subscribe/manage/{manage}?welcome=1", status_code=303)


# -- manage ---------------------------------------------------------------------------
def _manage_page(request: Request, token: str, sub: Any, status: int = 200, **extra: Any) -> HTMLResponse:
    prefs = _service(request).preferences(sub)
    return _page(
        request,
        "manage.html",
        status,
        sub=sub,
        prefs=prefs,
        token=token,
        frequencies=FREQUENCIES,
        weekdays=WEEKDAYS,
        timezones=timezone_names(),
        limits=TOPIC_LIMITS,
        topics_text={k: "\n".join(v) for k, v in prefs.topics.items()},
        **extra,
    )


@router.get("/subscribe/manage/{token}", include_in_schema=False)
def manage_page(request: Request, token: str, welcome: int = 0) -> HTMLResponse:
    try:
        sub = _service(request).from_token("manage", token)
    except TokenError as exc:
        return _bad_link(request, exc)
    return _manage_page(request, token, sub, welcome=bool(welcome))


@router.post("/subscribe/manage/{token}", include_in_schema=False)
async def manage_save(request: Request, token: str) -> HTMLResponse:
    form = await _form(request)
    if not verify_csrf(request, form.get(CSRF_FIELD)):
        return _csrf_refused(request)
    svc = _service(request)
    try:
        sub = svc.from_token("manage", token)
    except TokenError as exc:
        return _bad_link(request, exc)
    form.setdefault("include_trending", "")  # an unticked checkbox sends nothing
    form["include_trending"] = form.get("include_trending") or "off"
    try:
        sub = svc.update_preferences(sub, form)
    except PrefsError as exc:
        return _manage_page(request, token, sub, status=400, error=exc)
    return _manage_page(request, token, sub, saved=True)


@router.get("/subscribe/manage/{token}/export", include_in_schema=False)
def export(request: Request, token: str) -> Response:
    svc = _service(request)
    try:
        sub = svc.from_token("manage", token)
    except TokenError as exc:
        return _bad_link(request, exc)
    body = json.dumps(svc.export(sub), indent=2, ensure_ascii=False)
    return Response(
        body,
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="paperfeed-subscription.json"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/subscribe/manage/{token}/delete", include_in_schema=False)
async def delete(request: Request, token: str) -> HTMLResponse:
    form = await _form(request)
    if not verify_csrf(request, form.get(CSRF_FIELD)):
        return _csrf_refused(request)
    svc = _service(request)
    try:
        sub = svc.from_token("manage", token)
    except TokenError as exc:
        return _bad_link(request, exc)
    svc.delete(sub)
    return _message(
        request, "Deleted", "Your address, preferences and mail history are erased. Nothing more will be sent."
    )


# -- unsubscribe ----------------------------------------------------------------------
@router.get("/unsubscribe/{token}", include_in_schema=False)
def unsubscribe_page(request: Request, token: str) -> HTMLResponse:
    try:
        sub = _service(request).from_token("unsubscribe", token)
    except TokenError as exc:
        return _bad_link(request, exc)
    return _page(request, "unsubscribe.html", email=sub.email, token=token, one_click=ONE_CLICK)


@router.post("/unsubscribe/{token}", include_in_schema=False)
async def unsubscribe(request: Request, token: str) -> HTMLResponse:
    """RFC 8058 one-click: no CSRF token (mail clients have none); the signed token is the proof."""
    form = await _form(request)
    if form.get("List-Unsubscribe") != ONE_CLICK:
        return _message(request, "Not unsubscribed", "The request lacks List-Unsubscribe=One-Click.", status=400)
    svc = _service(request)
    try:
        sub = svc.from_token("unsubscribe", token)
    except TokenError as exc:
        return _bad_link(request, exc)
    svc.unsubscribe(sub, datetime.now(UTC))
    return _message(
        request, "Unsubscribed", "You will get no more digests. Subscribe again from any page if you change your mind."
    )


# -- JSON preferences -------------------------------------------------------------------
def _subscription_out(svc: Subscriptions, sub: Any) -> SubscriptionOut:
    data = svc.export(sub)
    prefs = svc.preferences(sub)  # normalised: every topic list present
    data["preferences"] = PreferencesOut.model_validate(prefs.columns() | {"topics": TopicsOut(**prefs.topics)})
    return SubscriptionOut(**data)


@router.get(
    "/api/v1/subscription/{token}", tags=["subscriptions"], response_model=SubscriptionOut, responses=TOKEN_ERRORS
)
def api_get(request: Request, token: str) -> JSONResponse:
    """Everything stored about the subscriber a manage token belongs to."""
    svc = _service(request)
    try:
        sub = svc.from_token("manage", token)
    except TokenError as exc:
        return _api_error(403, "token", exc.reason)
    return JSONResponse(dump(_subscription_out(svc, sub)), headers={"Cache-Control": "no-store"})


@router.put(
    "/api/v1/subscription/{token}",
    tags=["subscriptions"],
    response_model=PreferencesOut,
    responses=TOKEN_ERRORS | JSON_WRITE_ERRORS,
    dependencies=[Depends(json_from_own_origin)],
)
def api_put(request: Request, token: str, body: PreferencesIn) -> JSONResponse:
    """Change preferences: any subset of the documented fields; an unknown field is a 400 that names it."""
    svc = _service(request)
    try:
        sub = svc.from_token("manage", token)
    except TokenError as exc:
        return _api_error(403, "token", exc.reason)
    try:
        sub = svc.update_preferences(sub, body.model_dump(exclude_none=True))  # absent or null: keep
    except PrefsError as exc:
        return _api_error(400, exc.field, exc.message)
    return JSONResponse(dump(_subscription_out(svc, sub).preferences))
