"""Hugging Face papers-API compatible endpoints.

So that ``HfApi(endpoint="http://host:port")`` works unchanged:
``list_papers`` -> ``/api/papers/search``, ``paper_info`` -> ``/api/papers/{id}``,
``list_daily_papers`` -> ``/api/daily_papers``, ``read_paper`` -> ``/papers/{id}.md``.
Shapes follow the real captured responses (the models in `serialize.py`);
pagination is ``p`` (0-based) + ``limit`` with a ``Link: <...>; rel="next"``
header. Errors are ``{"error": "..."}`` (a string), as on huggingface.co.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from paperfeed.search.base import SearchRequest
from paperfeed.web import views
from paperfeed.web.docs import DATE_PARAM, MONTH_PARAM, WEEK_PARAM
from paperfeed.web.errors import NotFound
from paperfeed.web.params import MAX_PAGE_SIZE, Period, parse_choice, parse_date, parse_month, parse_week
from paperfeed.web.serialize import (
    HfError,
    HfListItem,
    HfPaper,
    HfSearchItem,
    hf_dump,
    hf_list_item,
    hf_paper,
    hf_search_item,
    paper_markdown,
)
from paperfeed.web.templating import paper_path

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": HfError, "description": "A parameter is malformed (the message names it)."},
    500: {"model": HfError, "description": "An internal error; it has been logged."},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": HfError, "description": "No such paper."}}
PaperIdP = Annotated[
    str, Path(description="arXiv id without version (old-style ids contain a slash).", examples=["2607.10001"])
]
router = APIRouter(tags=["Hugging Face compatible"], responses=ERRORS)
NEXT_LINK = {
    "Link": {"description": 'Next page: `<url>; rel="next"` (absent on the last page).', "schema": {"type": "string"}}
}


def _next_link(request: Request, p: int) -> str:
    """The next page's URL on the configured base URL (the Host header is the client's to choose)."""
    base = request.app.state.pf.settings.base_url.rstrip("/")
    query = request.url.include_query_params(p=p + 1).query
    return f'<{base}{request.url.path}?{query}>; rel="next"'


@router.get("/api/papers/search", summary="Search papers (Hugging Face shape)", response_model=list[HfSearchItem])
def hf_search(
    request: Request,
    q: Annotated[str, Query(max_length=1000)] = "",
    limit: Annotated[int, Query(ge=1, description=f"At most {MAX_PAGE_SIZE}.")] = 50,
) -> Response:
    if not q.strip():
        return JSONResponse([])
    req = SearchRequest(q=q, page_size=min(limit, MAX_PAGE_SIZE))
    view = views.search_view(request.app.state.pf, request.app.state.engagement, req)
    totals = request.app.state.engagement.signal_totals([h.paper.id for h in view.hits])
    return JSONResponse(
        [hf_dump(hf_search_item(h, view.upvotes.get(h.paper.id, 0), totals.get(h.paper.id))) for h in view.hits]
    )


@router.get(
    "/api/papers/{paper_id:path}", summary="One paper (Hugging Face shape)", response_model=HfPaper, responses=NOT_FOUND
)
def hf_paper_info(request: Request, paper_id: PaperIdP) -> Response:
    paper = request.app.state.pf.store.get_paper(paper_id)
    if paper is None:
        raise NotFound("paper_id", f"paper {paper_id} not found")
    engagement = request.app.state.engagement
    totals = engagement.signal_totals([paper.id]).get(paper.id)
    return JSONResponse(hf_dump(hf_paper(paper, engagement.upvote_count(paper.id), totals, with_categories=True)))


@router.get(
    "/api/daily_papers",
    summary="Daily / weekly / monthly papers (Hugging Face shape)",
    response_model=list[HfListItem],
    responses={200: {"headers": NEXT_LINK}},
)
def hf_daily_papers(
    request: Request,
    date: Annotated[str | None, Query(description="YYYY-MM-DD", json_schema_extra=DATE_PARAM)] = None,
    week: Annotated[str | None, Query(description="YYYY-Www", json_schema_extra=WEEK_PARAM)] = None,
    month: Annotated[str | None, Query(description="YYYY-MM", json_schema_extra=MONTH_PARAM)] = None,
    sort: Annotated[Literal["publishedAt", "trending"] | None, Query(description="publishedAt or trending")] = None,
    p: Annotated[int, Query(ge=0, le=10_000, description="0-based page")] = 0,
    limit: Annotated[int, Query(ge=1, description=f"At most {MAX_PAGE_SIZE}.")] = 50,
    submitter: Annotated[str | None, Query(description="Accepted; paperfeed has no submitters.")] = None,
) -> Response:
    pf = request.app.state.pf
    order = parse_choice(sort, "sort", ("publishedAt", "trending"), "publishedAt")
    period: Period = "day"
    day = parse_date(date, "date")
    if day is None and week:
        period, day = "week", parse_week(week)
    elif day is None and month:
        period, day = "month", parse_month(month)
    day = day or views.latest_day(pf)
    limit = min(limit, MAX_PAGE_SIZE)
    if submitter:
        return JSONResponse([])
    view = views.listing_view(
        pf,
        request.app.state.engagement,
        period,
        day,
        None,
        p + 1,
        limit,
        trending_limit=0,
        sort="engagement" if order == "trending" else "published",
        navigation=False,
    )
    totals = request.app.state.engagement.signal_totals([paper.id for paper in view.papers])
    body = [hf_dump(hf_list_item(p, view.upvotes.get(p.id, 0), totals.get(p.id))) for p in view.papers]
    headers = {"Link": _next_link(request, p)} if view.has_next_page else {}
    return JSONResponse(body, headers=headers)


class MarkdownResponse(PlainTextResponse):
    media_type = "text/markdown"


JSON_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/HfError"}}}}


@router.get(
    "/papers/{paper_id:path}.md",
    summary="A paper page as Markdown",
    response_class=MarkdownResponse,
    responses={code: {**doc, "model": None, **JSON_ERROR} for code, doc in (ERRORS | NOT_FOUND).items()},
)
def hf_read_paper(request: Request, paper_id: PaperIdP) -> Response:
    pf = request.app.state.pf
    paper = pf.store.get_paper(paper_id)
    if paper is None:
        raise NotFound("paper_id", f"paper {paper_id} not found")
    url = pf.settings.base_url.rstrip("/") + paper_path(paper.id)
    text = paper_markdown(paper, request.app.state.engagement.upvote_count(paper.id), url)
    return MarkdownResponse(text)
