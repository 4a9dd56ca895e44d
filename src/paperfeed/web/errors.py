"""Errors as users see them: JSON naming the parameter under /api, an HTML page elsewhere.

Never a traceback: unexpected exceptions are logged and answered with a
short 500. The Hugging Face compatible routes answer ``{"error": "..."}``
(a string), as the real service does; paperfeed's own API answers
``{"error": {"param": ..., "message": ...}}``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from paperfeed.search.base import QueryError
from paperfeed.web.security import SECURITY_HEADERS
from paperfeed.web.templating import render

log = logging.getLogger("paperfeed.web")

HF_PREFIXES = ("/api/papers", "/api/daily_papers")
# The detail of FastAPI's own 400 for a body it cannot parse.
FASTAPI_BODY_PARSE_ERROR = "There was an error parsing the body"


class NotFound(Exception):  # reads as the HTTP status it becomes
    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def is_hf_path(path: str) -> bool:
    """The HF-compatible routes: ``/api/papers...``, ``/api/daily_papers`` and ``/papers/{id}.md``."""
    return path.startswith(HF_PREFIXES) or (path.startswith("/papers/") and path.endswith(".md"))


def error_response(request: Request, status: int, param: str | None, message: str) -> Response:
    path = request.url.path
    if is_hf_path(path):
        return JSONResponse({"error": message if not param else f"{param}: {message}"}, status_code=status)
    if _is_api(request) or "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"error": {"param": param, "message": message}}, status_code=status)
    titles = {400: "Bad request", 403: "Forbidden", 404: "Not found", 405: "Method not allowed", 429: "Slow down"}
    title = titles.get(status, "Something went wrong")
    return render(request, "error.html", {"title": title, "message": message, "param": param}, status_code=status)


def slash_redirect(request: Request) -> Response | None:
    """Starlette's trailing-slash redirect, but to the configured base URL.

    Starlette builds the target from the request's Host header, so any Host a client
    sends came back in the Location header; `create_app` turns that off and a 404 asks
    here whether the path with (or without) its final slash exists.
    """
    # The raw path: `request.url` is re-parsed by urllib, which silently drops tabs and newlines, so
    # "/papers/%0Ax.md" would be "matched" as "/papers/x.md" and redirected to another paper.
    path = request.scope["path"]
    if request.method not in ("GET", "HEAD") or path == "/" or path.startswith("/api/"):
        return None  # API clients get the documented 404, not a redirect their schema never mentions
    if any(ord(c) < 0x20 or c == "\x7f" for c in path):
        return None
    other = path.rstrip("/") if path.endswith("/") else path + "/"
    scope = dict(request.scope, path=other)
    if not any(route.matches(scope)[0] is not Match.NONE for route in request.app.router.routes):
        return None
    target = request.app.state.pf.settings.base_url.rstrip("/") + other
    if request.url.query:
        target += "?" + request.url.query
    return RedirectResponse(target, status_code=307)


def validation_message(errors: Sequence[Any]) -> tuple[str | None, str]:
    """The first validation error as (param, message): a query name, or a dotted body path such as
    ``topics.queries``; an unknown body field is named as such, so a typo is never silently ignored."""
    first = errors[0] if errors else {}
    where = first.get("loc", ())
    names = [str(x) for x in where[1:] if isinstance(x, str)] if where else []
    param = ".".join(names) if names else (str(where[0]) if where and where[0] == "body" else None)
    if first.get("type") == "extra_forbidden":
        unknown = [".".join(str(x) for x in e["loc"][1:]) for e in errors if e.get("type") == "extra_forbidden"]
        return param, "unknown field" + ("s" if len(unknown) > 1 else "") + ": " + ", ".join(unknown)
    if first.get("type") == "json_invalid":
        return "body", "the body is not valid JSON"
    message = first.get("msg", "invalid value")
    value = first.get("input")
    if isinstance(value, str):
        message = f"{message} (got '{value[:60]}')"
    return param, message


def install(app: FastAPI) -> None:
    app.router.redirect_slashes = False

    @app.exception_handler(QueryError)
    async def _query_error(request: Request, exc: QueryError) -> Response:
        return error_response(request, 400, exc.param, exc.message)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        return error_response(request, 404, exc.param, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        param, message = validation_message(exc.errors())
        return error_response(request, 400, param, message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail
        if isinstance(detail, dict):
            response = error_response(request, exc.status_code, detail.get("param"), str(detail.get("message")))
        else:
            redirect = slash_redirect(request) if exc.status_code == 404 else None
            if redirect is not None:
                return redirect
            message = {404: f"nothing at {request.url.path}"}.get(exc.status_code, str(detail))
            param = None
            if exc.status_code == 400 and str(detail) == FASTAPI_BODY_PARSE_ERROR:
                # FastAPI's own JSON parse failed (e.g. RecursionError on a deeply nested body)
                param, message = "body", "the body is not JSON this API can read (malformed or nested too deeply)"
            response = error_response(request, exc.status_code, param, message)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        response = error_response(request, 500, None, "an internal error occurred; it has been logged")
        # Starlette answers unhandled exceptions from its outermost layer, outside every
        # middleware `create_app` adds, so SecurityHeadersMiddleware never sees this response.
        for name, value in SECURITY_HEADERS:
            response.headers.setdefault(name.decode(), value.decode())
        return response
