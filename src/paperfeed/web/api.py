"""The JSON API under ``/api/v1``: the same data functions as the pages, rendered as JSON.

Every route returns a model from `paperfeed.schemas` (the CLI's ``--json``
prints the same ones). Errors are ``{"error": {"param": ..., "message": ...}}``
(`schemas.ApiError`, see `errors.py`), documented on every route: 400 for bad
parameters (dates, limits, query syntax), 404 for unknown ids. Limits above
their maximum are lowered to it rather than refused.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request

from paperfeed.schemas import (
    ApiError,
    ListingOut,
    PaperDetail,
    SearchOut,
    SearchQueryEcho,
    SemanticCoverageOut,
    SimilarOut,
    StatsOut,
    SuggestOut,
    TrendingEntryOut,
    TrendingOut,
    hit_out,
    paper_detail,
    paper_out,
    trending_entry_out,
)
from paperfeed.search.base import QueryError, SearchRequest
from paperfeed.web import views
from paperfeed.web.docs import CATEGORY_PARAM, DATE_PARAM, MONTH_PARAM, WEEK_PARAM
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
from paperfeed.web.templating import qs

log = logging.getLogger(__name__)

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ApiError, "description": "A parameter is malformed; `error.param` names it."},
    500: {"model": ApiError, "description": "An internal error; it has been logged (never a traceback)."},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ApiError, "description": "No such paper."}}
PaperIdP = Annotated[
    str, Path(description="arXiv id without version (old-style ids contain a slash).", examples=["2607.10001"])
]
router = APIRouter(prefix="/api/v1", tags=["paperfeed API v1"], responses=ERRORS)
QUERY_HELP = 'Query: words, "phrases", -exclude, +require, au:, ti:, abs:, cat:, year:, since:, until:'


DateQ = Annotated[
    str | None,
    Query(
        description="A day, YYYY-MM-DD, from 1900-01-01 to 2999-12-31 (outside: 400).",
        examples=["2026-07-14"],
        json_schema_extra=DATE_PARAM,
    ),
]
CategoryQ = Annotated[
    str | None,
    Query(
        description="arXiv category, e.g. cs.CL.",
        examples=["cs.CL"],
        json_schema_extra=CATEGORY_PARAM,
    ),
]
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
    q: Annotated[str, Query(description=QUERY_HELP, max_length=1000, examples=["diffusion au:lovelace"])] = "",
    category: CategoryQ = None,
    author: Annotated[str | None, Query(description="Author name (substring).", max_length=200)] = None,
    since: Annotated[
        str | None, Query(description="Published on or after, YYYY-MM-DD.", json_schema_extra=DATE_PARAM)
    ] = None,
    until: Annotated[
        str | None, Query(description="Published on or before, YYYY-MM-DD.", json_schema_extra=DATE_PARAM)
    ] = None,
    sort: Annotated[Literal["relevance", "date"], Query()] = "relevance",
    mode: Annotated[Literal["hybrid", "lexical", "dense"], Query()] = "hybrid",
    page: PageQ = 1,
    page_size: LimitQ = 20,
) -> SearchOut:
    req = _search_request(request)
    view = views.search_view(request.app.state.pf, request.app.state.engagement, req)
    base = _base(request)
    next_url = None
    if view.has_next_page:
        next_url = f"{base}/api/v1/search" + qs(dict(request.query_params), page=req.page + 1)
    return SearchOut(
        query=SearchQueryEcho(
            q=req.q,
            category=req.category,
            author=req.author,
            since=req.since,
            until=req.until,
            sort=req.sort,
            mode=req.mode,
            page=req.page,
            page_size=req.page_size,
        ),
        mode=view.results.mode if view.results else None,
        total=view.total,
        notice=view.notice,
        results=[hit_out(h, view.upvotes.get(h.paper.id, 0), base) for h in view.hits],
        next=next_url,
    )


@router.get("/suggest", summary="Title suggestions for search-as-you-type")
def api_suggest(request: Request, q: Annotated[str, Query(max_length=200)] = "") -> SuggestOut:
    q = q.strip()
    if len(q) < 2:
        return SuggestOut(suggestions=[])
    try:
        view = views.search_view(
            request.app.state.pf, request.app.state.engagement, SearchRequest(q=q, mode="lexical", page_size=8)
        )
    except QueryError:
        return SuggestOut(suggestions=[])
    return SuggestOut(suggestions=[" ".join(h.paper.title.split()) for h in view.hits])


@router.get("/papers/{paper_id:path}/similar", summary="Papers similar to one paper", responses=NOT_FOUND)
def api_similar(
    request: Request, paper_id: PaperIdP, k: Annotated[int, Query(ge=1, description="How many (at most 50).")] = 10
) -> SimilarOut:
    pf = request.app.state.pf
    paper = pf.store.get_paper(paper_id)
    if paper is None:
        raise NotFound("paper_id", f"no paper with id '{paper_id}'")
    hits = views.similar_hits(pf, paper.id, min(k, 50))
    counts = request.app.state.engagement.upvote_counts([h.paper.id for h in hits])
    base = _base(request)
    return SimilarOut(paper_id=paper.id, results=[hit_out(h, counts.get(h.paper.id, 0), base) for h in hits])


@router.get("/papers/{paper_id:path}", summary="One paper by id, with its version history", responses=NOT_FOUND)
def api_paper(request: Request, paper_id: PaperIdP) -> PaperDetail:
    pf = request.app.state.pf
    paper = pf.store.get_paper(paper_id)
    if paper is None:
        raise NotFound("paper_id", f"no paper with id '{paper_id}'")
    upvotes = request.app.state.engagement.upvote_count(paper.id)
    return paper_detail(paper, pf.store.paper_versions(paper.id), upvotes, _base(request))


def _listing(
    request: Request,
    period: Period,
    date: str | None,
    category: str | None,
    page: int,
    limit: int,
    key: str | None = None,
) -> ListingOut:
    pf = request.app.state.pf
    if key and period == "week":  # an empty ?week= is absent, so a given date is still checked
        day = parse_week(key, "week")
    elif key and period == "month":
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
    return ListingOut(
        period=period,
        key=span.key,
        start=span.start,
        end=span.end,
        category=view.category,
        total=view.total,
        page=view.page,
        limit=view.page_size,
        papers=[paper_out(p, view.upvotes.get(p.id, 0), base) for p in view.papers],
        # The nearest periods with papers (empty days skipped; no next past the newest).
        previous=view.prev_span.key if view.prev_span else None,
        next=view.next_span.key if view.next_span else None,
    )


@router.get("/daily", summary="Papers published on one day (default: the newest day with papers)")
def api_daily(
    request: Request, date: DateQ = None, category: CategoryQ = None, page: PageQ = 1, limit: LimitQ = 50
) -> ListingOut:
    return _listing(request, "day", date, category, page, limit)


@router.get("/weekly", summary="Papers published in one ISO week")
def api_weekly(
    request: Request,
    week: Annotated[
        str | None,
        Query(
            description="ISO week, YYYY-Www (or give any date in it).",
            examples=["2026-W29"],
            json_schema_extra=WEEK_PARAM,
        ),
    ] = None,
    date: DateQ = None,
    category: CategoryQ = None,
    page: PageQ = 1,
    limit: LimitQ = 50,
) -> ListingOut:
    return _listing(request, "week", date, category, page, limit, key=week)


@router.get("/monthly", summary="Papers published in one calendar month")
def api_monthly(
    request: Request,
    month: Annotated[
        str | None,
        Query(
            description="Month, YYYY-MM (or give any date in it).", examples=["2026-07"], json_schema_extra=MONTH_PARAM
        ),
    ] = None,
    date: DateQ = None,
    category: CategoryQ = None,
    page: PageQ = 1,
    limit: LimitQ = 50,
) -> ListingOut:
    return _listing(request, "month", date, category, page, limit, key=month)


@router.get("/trending", summary="Trending now: papers rising over the last day, week or month")
def api_trending(
    request: Request,
    window: WindowQ = "day",
    date: Annotated[str | None, Query(description="The window's last day, YYYY-MM-DD (default: today).")] = None,
    category: CategoryQ = None,
    limit: LimitQ = 50,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> TrendingOut:
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
    return TrendingOut(
        window=period,
        date=view.day,
        category=view.category,
        notice=view.notice,
        entries=[trending_entry_out(e, view.upvotes.get(e.paper.id, 0), base) for e in view.entries],
    )


@router.get("/trending/{paper_id:path}", summary="Why one paper is (or is not) trending", responses=NOT_FOUND)
def api_explain(request: Request, paper_id: PaperIdP, window: WindowQ = "day", date: DateQ = None) -> TrendingEntryOut:
    pf = request.app.state.pf
    period = parse_period(window, "window")
    if pf.store.get_paper(paper_id) is None:
        raise NotFound("paper_id", f"no paper with id '{paper_id}'")
    entry = views.explain_view(pf, paper_id, period, parse_date(date, "date"))
    if entry is None:
        raise NotFound("paper_id", f"'{paper_id}' has no trending score for this {period}")
    upvotes = request.app.state.engagement.upvote_count(paper_id)
    return trending_entry_out(entry, upvotes, _base(request))


@router.get("/stats", summary="Counts by source, category and month, and how much of the library is semantic")
def api_stats(request: Request) -> StatsOut:
    pf = request.app.state.pf
    return StatsOut(**asdict(pf.store.stats()), semantic_coverage=semantic_coverage(pf))


def semantic_coverage(pf: Any) -> SemanticCoverageOut | None:
    """`search.backlog.Coverage` as the API's model, None if search is unavailable."""
    try:
        return SemanticCoverageOut(**pf.search.coverage(max_age_s=0).as_dict())
    except Exception:
        log.exception("search coverage unavailable")
        return None
