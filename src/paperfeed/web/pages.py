"""The HTML pages: home (daily / weekly / monthly), search, one paper, upvote.

Each handler parses its parameters (`params`), asks a data function
(`views`) and renders a template; the JSON API and the feeds call the same
data functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from paperfeed.search.base import QueryError
from paperfeed.web import views
from paperfeed.web.params import parse_category, parse_date, parse_int, parse_period, search_request
from paperfeed.web.security import actor_hash, network_hash, require_csrf, visitor_id
from paperfeed.web.templating import render

if TYPE_CHECKING:
    from paperfeed.app import Paperfeed

router = APIRouter(include_in_schema=False)

UPVOTE_MESSAGES = {
    "recorded": "Thanks, your upvote was counted.",
    "already": "You have already upvoted this paper.",
    "rate_limited": "Too many upvotes from your network just now; please try again later.",
    "network_cap": "This paper already has as many upvotes as one network can give it.",
}


def pf_of(request: Request) -> Paperfeed:
    pf: Paperfeed = request.app.state.pf
    return pf


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    q = request.query_params
    pf = pf_of(request)
    period = parse_period(q.get("period"))
    explicit = parse_date(q.get("date"), "date")
    category = parse_category(q.get("category"))
    page = parse_int(q.get("page"), "page", 1, 1, 500)

    def compute() -> tuple:
        day = explicit or views.latest_day(pf)
        return day, views.listing_view(pf, request.app.state.engagement, period, day, category, page)

    day, view = request.app.state.list_cache.get_or_compute(("home", period, explicit, category, page), compute)
    params = {"period": period, "date": day.isoformat() if q.get("date") else None, "category": category}
    return render(
        request,
        "home.html",
        {
            "view": view,
            "day": day,
            "today": views.today(),
            "prev_span": view.span.shifted(-1),
            "next_span": view.span.shifted(1),
            "params": params,
        },
    )


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request) -> Response:
    raw = request.query_params
    params = {k: raw.get(k) for k in ("q", "category", "author", "since", "until", "sort", "mode")}
    params = {k: v for k, v in params.items() if v}
    try:
        req = search_request(raw)
    except QueryError as exc:
        from paperfeed.search.base import SearchRequest

        blank = SearchRequest(q=(raw.get("q") or "")[:1000])
        return render(
            request,
            "search.html",
            {"req": blank, "view": None, "error": exc, "params": params, "header_q": blank.q},
            status_code=400,
        )
    try:
        view = views.search_view(pf_of(request), request.app.state.engagement, req)
    except QueryError as exc:
        return render(
            request, "search.html", {"req": req, "view": None, "error": exc, "params": params, "header_q": req.q}, 400
        )
    context = {"req": req, "view": view, "error": None, "params": params, "header_q": req.q}
    return render(request, "search.html", context)


@router.get("/papers/{paper_id:path}", response_class=HTMLResponse)
def paper_page(request: Request, paper_id: str) -> Response:
    pf = pf_of(request)
    engagement = request.app.state.engagement
    vid = visitor_id(request)
    actor = actor_hash(request, vid) if vid else None
    view = views.paper_view(pf, engagement, paper_id.strip(), actor)
    if view is None:
        return render(
            request,
            "error.html",
            {"title": "Paper not found", "message": f"There is no paper with id '{paper_id}' here.", "param": None},
            status_code=404,
        )
    if actor:
        engagement.view(view.paper.id, actor, network_hash(request))
    message = views_message(request.query_params.get("upvote"))
    return render(request, "paper.html", {"view": view, "message": message})


def views_message(code: str | None) -> str | None:
    return UPVOTE_MESSAGES.get(code or "")


@router.post("/upvote/{paper_id:path}", dependencies=[Depends(require_csrf)])
async def upvote(request: Request, paper_id: str) -> Response:
    """One upvote per visitor and paper; JSON for the script, a redirect for a plain form."""
    pf = pf_of(request)
    paper = await run_in_threadpool(pf.store.get_paper, paper_id)
    wants_json = "application/json" in request.headers.get("accept", "")
    if paper is None:
        if wants_json:
            return JSONResponse({"error": {"param": "paper_id", "message": f"no paper with id '{paper_id}'"}}, 404)
        message = f"There is no paper with id '{paper_id}' here."
        return render(request, "error.html", {"title": "Paper not found", "message": message, "param": None}, 404)
    vid = visitor_id(request)
    assert vid is not None
    outcome = await run_in_threadpool(
        request.app.state.engagement.upvote, paper.id, actor_hash(request, vid), network_hash(request)
    )
    status = 429 if outcome.status in ("rate_limited", "network_cap") else 200
    if wants_json:
        body = {
            "paper_id": paper.id,
            "status": outcome.status,
            "upvotes": outcome.upvotes,
            "message": UPVOTE_MESSAGES[outcome.status],
        }
        return JSONResponse(body, status_code=status)
    target = "/papers/" + quote(paper.id, safe="/.-_") + f"?upvote={outcome.status}#upvote-count"
    return RedirectResponse(target, status_code=303)
