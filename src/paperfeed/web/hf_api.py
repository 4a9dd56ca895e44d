"""Hugging Face papers-API compatible endpoints.

So that ``HfApi(endpoint="http://host:port")`` works unchanged:
``list_papers`` -> ``/api/papers/search``, ``paper_info`` -> ``/api/papers/{id}``,
``list_daily_papers`` -> ``/api/daily_papers``, ``read_paper`` -> ``/papers/{id}.md``.
Shapes follow the real captured responses (see `serialize.py`); pagination
is ``p`` (0-based) + ``limit`` with a ``Link: <...>; rel="next"`` header.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from paperfeed.search.base import SearchRequest
from paperfeed.web import views
from paperfeed.web.errors import NotFound
from paperfeed.web.params import MAX_PAGE_SIZE, Period, parse_choice, parse_date, parse_month, parse_week
from paperfeed.web.serialize import hf_list_item, hf_paper, hf_search_item, paper_markdown
from paperfeed.web.templating import paper_path

router = APIRouter(tags=["Hugging Face compatible"])


def _next_link(request: Request, p: int) -> str:
    return f'<{request.url.include_query_params(p=p + 1)}>; rel="next"'


@router.get("/api/papers/search", summary="Search papers (Hugging Face shape)")
def hf_search(
    request: Request,
    q: Annotated[str, Query(max_length=1000)] = "",
    limit: Annotated[int, Query(ge=1, description=f"At most {MAX_PAGE_SIZE}.")] = 50,
) -> Response:
    if not q.strip():
        return JSONResponse([])
    req = SearchRequest(q=q, page_size=min(limit, MAX_PAGE_SIZE))
    view = views.search_view(request.app.state.pf, request.app.state.engagement, req)
    return JSONResponse([hf_search_item(h, view.upvotes.get(h.paper.id, 0)) for h in view.hits])


@router.get("/api/papers/{paper_id:path}", summary="One paper (Hugging Face shape)")
def hf_paper_info(request: Request, paper_id: str) -> Response:
    paper = request.app.state.pf.store.get_paper(paper_id)
    if paper is None:
        raise NotFound("paper_id", f"paper {paper_id} not found")
    return JSONResponse(hf_paper(paper, request.app.state.engagement.upvote_count(paper.id)))


@router.get("/api/daily_papers", summary="Daily / weekly / monthly papers (Hugging Face shape)")
def hf_daily_papers(
    request: Request,
    date: Annotated[str | None, Query(description="YYYY-MM-DD")] = None,
    week: Annotated[str | None, Query(description="YYYY-Www")] = None,
    month: Annotated[str | None, Query(description="YYYY-MM")] = None,
    sort: Annotated[str | None, Query(description="publishedAt or trending")] = None,
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
    body = [hf_list_item(paper, view.upvotes.get(paper.id, 0)) for paper in view.papers]
    headers = {"Link": _next_link(request, p)} if view.has_next_page else {}
    return JSONResponse(body, headers=headers)


@router.get("/papers/{paper_id:path}.md", summary="A paper page as Markdown", response_class=PlainTextResponse)
def hf_read_paper(request: Request, paper_id: str) -> Response:
    pf = request.app.state.pf
    paper = pf.store.get_paper(paper_id)
    if paper is None:
        raise NotFound("paper_id", f"paper {paper_id} not found")
    url = pf.settings.base_url.rstrip("/") + paper_path(paper.id)
    text = paper_markdown(paper, request.app.state.engagement.upvote_count(paper.id), url)
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")
