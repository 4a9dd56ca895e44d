"""The HTML pages: home (daily / weekly / monthly), search, one paper, upvote.

Each handler parses its parameters (`params`), asks a data function
(`views`) and renders a template; the JSON API and the feeds call the same
data functions.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from paperfeed.search.base import QueryError
from paperfeed.web import views
from paperfeed.web.citation import RIS_MEDIA_TYPE, meta_tags, ris_record
from paperfeed.web.params import (
    PERIODS,
    Period,
    Span,
    parse_category,
    parse_date,
    parse_int,
    parse_month,
    parse_period,
    parse_week,
    search_request,
)
from paperfeed.web.security import actor_hash, network_hash, require_csrf, visitor_id
from paperfeed.web.templating import paper_path, render, span_path

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


def _home(request: Request, period: Period, explicit: date | None) -> Response:
    """A day's, week's or month's papers, most upvoted first (default: the newest period with papers)."""
    q = request.query_params
    pf = pf_of(request)
    category = parse_category(q.get("category"))
    page = parse_int(q.get("page"), "page", 1, 1, 500)

    def compute() -> tuple:
        day = explicit or views.latest_day(pf, category=category)
        return day, views.listing_view(pf, request.app.state.engagement, period, day, category, page)

    day, view = request.app.state.list_cache.get_or_compute(("home", period, explicit, category, page), compute)
    params = {"category": category}
    # The other tabs open on the newest day with papers inside this period (June -> its last paper's day).
    anchor = views.latest_day(pf, on_or_before=min(view.span.end, views.today(pf)), category=category)
    anchor = anchor if view.span.start <= anchor <= view.span.end else day
    tabs = [(p, span_path(Span.containing(p, anchor))) for p in PERIODS]
    context = {"view": view, "day": day, "today": views.today(pf), "params": params, "tabs": tabs}
    return render(request, "home.html", context | {"base_path": span_path(view.span)})


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    q = request.query_params
    return _home(request, parse_period(q.get("period")), parse_date(q.get("date"), "date"))


@router.get("/papers/date/{day}", response_class=HTMLResponse)
def papers_of_day(request: Request, day: str) -> Response:
    """Hugging Face's address for a day's papers: /papers/date/2026-07-01."""
    return _home(request, "day", parse_date(day, "date"))


@router.get("/papers/week/{week}", response_class=HTMLResponse)
def papers_of_week(request: Request, week: str) -> Response:
    """Hugging Face's address for a week's papers: /papers/week/2026-W27."""
    return _home(request, "week", parse_week(week, "week"))


@router.get("/papers/month/{month}", response_class=HTMLResponse)
def papers_of_month(request: Request, month: str) -> Response:
    """Hugging Face's address for a month's papers: /papers/month/2026-07."""
    return _home(request, "month", parse_month(month, "month"))


@router.get("/papers/trending", response_class=HTMLResponse)
def papers_trending(request: Request) -> Response:
    """Hugging Face's address for trending papers: the same view as /trending."""
    return trending_page(request)


@router.get("/trending", response_class=HTMLResponse)
def trending_page(request: Request) -> Response:
    """What is rising now: engagement over the last day, week or month, whatever the papers' dates."""
    q = request.query_params
    pf = pf_of(request)
    window = parse_period(q.get("window") or q.get("period"), "window")
    category = parse_category(q.get("category"))
    page = parse_int(q.get("page"), "page", 1, 1, 500)
    size = 50

    def compute() -> views.TrendingView:
        return views.trending_view(
            pf, request.app.state.engagement, window, None, category, limit=size, offset=(page - 1) * size
        )

    view = request.app.state.list_cache.get_or_compute(("trending", window, category, page), compute)
    params = {"window": window, "category": category}
    return render(request, "trending.html", {"view": view, "params": params, "page": page})


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


@router.get("/papers/{paper_id:path}.ris")
def paper_ris(request: Request, paper_id: str) -> Response:
    """The paper as a RIS record, for reference managers that import files (EndNote, Mendeley, Zotero)."""
    paper = pf_of(request).store.get_paper(paper_id.strip())
    if paper is None:
        return render(
            request,
            "error.html",
            {"title": "Paper not found", "message": f"There is no paper with id '{paper_id}' here.", "param": None},
            status_code=404,
        )
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", paper.id) + ".ris"
    return Response(
        ris_record(paper),
        media_type=RIS_MEDIA_TYPE + "; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


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
    page_url = pf.settings.base_url.rstrip("/") + paper_path(view.paper.id)
    context = {"view": view, "message": message, "page_url": page_url, "meta_tags": meta_tags(view.paper, page_url)}
    return render(request, "paper.html", context)


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
