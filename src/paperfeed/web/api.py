"""The JSON API under ``/api/v1``: the same data functions as the pages, rendered as JSON.

Errors are ``{"error": {"param": ..., "message": ...}}`` (see `errors.py`):
400 for bad parameters (dates, limits, query syntax), 404 for unknown ids.
Limits above their maximum are lowered to it rather than refused.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from paperfeed.search.base import QueryError, SearchRequest
from paperfeed.web import views
from paperfeed.web.errors import NotFound
from paperfeed.web.params import (
    MAX_PAGE_SIZE,
    Period,
    parse_category,
    parse_date,
    parse_month,
    parse_period,
    parse_week,
    search_request,
)
from paperfeed.web.serialize import hit_json, paper_json
from paperfeed.web.templating import qs, render

router = APIRouter(prefix="/api/v1", tags=["paperfeed API v1"])
QUERY_HELP = 'Query: words, "phrases", -exclude, +require, au:, ti:, abs:, cat:, year:, since:, until:'


DateQ = Annotated[str | None, Query(description="A day, YYYY-MM-DD.", examples=["2025-03-04"])]
CategoryQ = Annotated[str | None, Query(description="arXiv category, e.g. cs.CL.")]
PageQ = Annotated[int, Query(ge=1, le=500, description="1-based page number.")]
LimitQ = Annotated[int, Query(ge=1, description=f"Items per page (at most {MAX_PAGE_SIZE}; larger values are capped).")]
WindowQ = Annotated[
    str, Query(description="Trending window ending now: day, week or month (daily, weekly, monthly also accepted).")
]


def _base(request: Request) -> str:
    return request.app.state.pf.settings.base_url.rstrip("/")


def _search_request(request: Request) -> SearchRequest:
    return search_request(request.query_params)


@router.get("/search", summary="Search papers (same parameters and query syntax as the search page)")
def api_search(
    request: Request,
    q: Annotated[str, Query(description=QUERY_HELP)] = "",
    category: CategoryQ = None,
    author: Annotated[str | None, Query(description="Author name (substring).")] = None,
    since: Annotated[str | None, Query(description="Published on or after, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, Query(description="Published on or before, YYYY-MM-DD.")] = None,
    sort: Annotated[Literal["relevance", "date"], Query()] = "relevance",
    mode: Annotated[Literal["hybrid", "lexical", "dense"], Query()] = "hybrid",
    page: PageQ = 1,
    page_size: LimitQ = 20,
) -> dict[str, Any]:
    req = _search_request(request)
    view = views.search_view(request.app.state.pf, request.app.state.engagement, req)
    base = _base(request)
    next_url = None
    if view.has_next_page:
        next_url = f"{base}/api/v1/search" + qs(dict(request.query_params), page=req.page + 1)
    return {
        "query": {
            "q": req.q,
            "category": req.category,
            "author": req.author,
            "since": req.since.isoformat() if req.since else None,
            "until": req.until.isoformat() if req.until else None,
            "sort": req.sort,
            "mode": req.mode,
            "page": req.page,
            "page_size": req.page_size,
        },
        "mode": view.results.mode if view.results else None,
        "total": view.total,
        "notice": view.notice,
        "results": [hit_json(h, view.upvotes.get(h.paper.id, 0), base) for h in view.hits],
        "next": next_url,
    }


@router.get("/suggest", summary="Title suggestions for search-as-you-type")
def api_suggest(request: Request, q: Annotated[str, Query(max_length=200)] = "") -> dict[str, Any]:
    q = q.strip()
    if len(q) < 2:
        return {"suggestions": []}
    try:
        view = views.search_view(
            request.app.state.pf, request.app.state.engagement, SearchRequest(q=q, mode="lexical", page_size=8)
        )
    except QueryError:
        return {"suggestions": []}
    return {"suggestions": [" ".join(h.paper.title.split()) for h in view.hits]}


@router.get("/papers/{paper_id:path}/similar", summary="Papers similar to one paper")
def api_similar(
    request: Request, paper_id: str, k: Annotated[int, Query(ge=1, description="How many (at most 50).")] = 10
) -> dict[str, Any]:
    pf = request.app.state.pf
    paper = pf.store.get_paper(paper_id)
    if paper is None:
        raise NotFound("paper_id", f"no paper with id '{paper_id}'")
    hits = views.similar_hits(pf, paper.id, min(k, 50))
    counts = request.app.state.engagement.upvote_counts([h.paper.id for h in hits])
    base = _base(request)
    return {"paper_id": paper.id, "results": [hit_json(h, counts.get(h.paper.id, 0), base) for h in hits]}


@router.get("/papers/{paper_id:path}", summary="One paper by id")
def api_paper(request: Request, paper_id: str) -> dict[str, Any]:
    pf = request.app.state.pf
    paper = pf.store.get_paper(paper_id)
    if paper is None:
        raise NotFound("paper_id", f"no paper with id '{paper_id}'")
    out = paper_json(paper, request.app.state.engagement.upvote_count(paper.id), _base(request))
    out["versions"] = [
        {"version": v.get("version"), "title": v.get("title"), "replaced_at": v.get("replaced_at")}
        for v in pf.store.paper_versions(paper.id)
    ]
    return out


def _listing(
    request: Request,
    period: Period,
    date: str | None,
    category: str | None,
    page: int,
    limit: int,
    key: str | None = None,
) -> dict[str, Any]:
    pf = request.app.state.pf
    if key is not None and period == "week":
        day = parse_week(key, "week")
    elif key is not None and period == "month":
        day = parse_month(key, "month")
    else:
        day = parse_date(date, "date")
    day = day or views.latest_day(pf)
    view = views.listing_view(
        pf,
        request.app.state.engagement,
        period,
        day,
        parse_category(category),
        page,
        min(limit, MAX_PAGE_SIZE),
        trending_limit=0,
    )
    base = _base(request)
    span = view.span
    return {
        "period": period,
        "key": span.key,
        "start": span.start.isoformat(),
        "end": span.end.isoformat(),
        "category": view.category,
        "total": view.total,
        "page": view.page,
        "limit": view.page_size,
        "papers": [paper_json(p, view.upvotes.get(p.id, 0), base) for p in view.papers],
        # The nearest periods with papers (empty days skipped; no next past the newest).
        "previous": view.prev_span.key if view.prev_span else None,
        "next": view.next_span.key if view.next_span else None,
    }


@router.get("/daily", summary="Papers published on one day (default: the newest day with papers)")
def api_daily(request: Request, date: DateQ = None, category: CategoryQ = None, page: PageQ = 1, limit: LimitQ = 50):
    return _listing(request, "day", date, category, page, limit)


@router.get("/weekly", summary="Papers published in one ISO week")
def api_weekly(
    request: Request,
    week: Annotated[str | None, Query(description="ISO week, YYYY-Www (or give any date in it).")] = None,
    date: DateQ = None,
    category: CategoryQ = None,
    page: PageQ = 1,
    limit: LimitQ = 50,
):
    return _listing(request, "week", date, category, page, limit, key=week)


@router.get("/monthly", summary="Papers published in one calendar month")
def api_monthly(
    request: Request,
    month: Annotated[str | None, Query(description="Month, YYYY-MM (or give any date in it).")] = None,
    date: DateQ = None,
    category: CategoryQ = None,
    page: PageQ = 1,
    limit: LimitQ = 50,
):
    return _listing(request, "month", date, category, page, limit, key=month)


def _entry_json(entry, upvotes: int, base: str) -> dict[str, Any]:  # TrendingEntry
    return {
        "rank": entry.rank,
        "score": entry.score,
        "breakdown": dict(entry.breakdown),
        "explanation": entry.explanation,
        "paper": paper_json(entry.paper, upvotes, base),
    }


@router.get("/trending", summary="Trending now: papers rising over the last day, week or month")
def api_trending(
    request: Request,
    window: WindowQ = "day",
    date: Annotated[str | None, Query(description="The window's last day, YYYY-MM-DD (default: today).")] = None,
    category: CategoryQ = None,
    limit: LimitQ = 50,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> dict[str, Any]:
    pf = request.app.state.pf
    period = parse_period(window, "window")
    view = views.trending_view(
        pf,
        request.app.state.engagement,
        period,
        parse_date(date, "date"),
        parse_category(category),
        min(limit, MAX_PAGE_SIZE),
        offset,
    )
    base = _base(request)
    return {
        "window": period,
        "date": view.day.isoformat(),
        "category": view.category,
        "notice": view.notice,
        "entries": [_entry_json(e, view.upvotes.get(e.paper.id, 0), base) for e in view.entries],
    }


@router.get("/trending/{paper_id:path}", summary="Why one paper is (or is not) trending")
def api_explain(request: Request, paper_id: str, window: WindowQ = "day", date: DateQ = None) -> dict[str, Any]:
    pf = request.app.state.pf
    period = parse_period(window, "window")
    if pf.store.get_paper(paper_id) is None:
        raise NotFound("paper_id", f"no paper with id '{paper_id}'")
    entry = views.explain_view(pf, paper_id, period, parse_date(date, "date"))
    if entry is None:
        raise NotFound("paper_id", f"'{paper_id}' has no trending score for this {period}")
    upvotes = request.app.state.engagement.upvote_count(paper_id)
    return _entry_json(entry, upvotes, _base(request))


@router.get("/stats", summary="Counts by source, category and month")
def api_stats(request: Request) -> dict[str, Any]:
    return asdict(request.app.state.pf.store.stats())


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
def api_docs(request: Request):
    """A server-rendered reading of the OpenAPI document (no CDN scripts, so the CSP stays strict)."""
    doc = request.app.openapi()
    return render(request, "api_docs.html", {"doc": doc})
