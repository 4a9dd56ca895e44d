"""Feed URLs: ``/feeds/{daily,weekly,monthly,trending,search}.{atom,rss}`` and ``/feeds/category/{cat}.{atom,rss}``.

Each builds its `Feed` from the same data function as the matching page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from paperfeed.store.base import PaperQuery
from paperfeed.web import views
from paperfeed.web.errors import NotFound
from paperfeed.web.feeds import CONTENT_TYPES, Feed, render
from paperfeed.web.params import PERIOD_LABELS, Period, parse_category, parse_date, parse_period, search_request
from paperfeed.web.templating import qs

router = APIRouter(prefix="/feeds", include_in_schema=False)
FEED_SIZE = 50
_PERIODS: dict[str, Period] = {"daily": "day", "weekly": "week", "monthly": "month"}


def _respond(feed: Feed, fmt: str) -> Response:
    return Response(render(feed, fmt), media_type=CONTENT_TYPES[fmt], headers={"Cache-Control": "public, max-age=300"})


def _fmt(fmt: str) -> str:
    if fmt not in CONTENT_TYPES:
        raise NotFound("format", f"unknown feed format '{fmt}' (use .atom or .rss)")
    return fmt


def _base(request: Request) -> str:
    return request.app.state.pf.settings.base_url.rstrip("/")


def _self_url(request: Request, path: str, params: dict) -> str:
    return _base(request) + path + qs(params)


@router.get("/category/{category}.{fmt}")
def category_feed(request: Request, category: str, fmt: str) -> Response:
    fmt = _fmt(fmt)
    cat = parse_category(category, "category")
    papers = request.app.state.pf.store.list_papers(PaperQuery(category=cat, limit=FEED_SIZE))
    base = _base(request)
    feed = Feed(
        title=f"paperfeed: new in {cat}",
        subtitle=f"The newest papers in {cat}.",
        page_url=base + "/search" + qs(category=cat, sort="date"),
        self_url=_self_url(request, f"/feeds/category/{cat}.{fmt}", {}),
        papers=papers,
        base_url=base,
    )
    return _respond(feed, fmt)


@router.get("/{name}.{fmt}")
def named_feed(request: Request, name: str, fmt: str) -> Response:
    fmt = _fmt(fmt)
    pf = request.app.state.pf
    q = request.query_params
    base = _base(request)
    category = parse_category(q.get("category"))
    if name in _PERIODS:
        period = _PERIODS[name]
        explicit = parse_date(q.get("date"), "date")
        view = views.listing_view(
            pf,
            request.app.state.engagement,
            period,
            explicit or views.latest_day(pf),
            category,
            1,
            FEED_SIZE,
            trending_limit=0,
            navigation=False,
        )
        params = {"date": explicit.isoformat() if explicit else None, "category": category}
        feed = Feed(
            title=f"paperfeed: {PERIOD_LABELS[period].lower()} papers" + (f" in {category}" if category else ""),
            subtitle=f"Papers published {view.span.label}.",
            page_url=base + "/" + qs(params, period=period),
            self_url=_self_url(request, f"/feeds/{name}.{fmt}", params),
            papers=view.papers,
            base_url=base,
        )
        return _respond(feed, fmt)
    if name == "trending":
        window = parse_period(q.get("window"), "window")
        explicit = parse_date(q.get("date"), "date")
        tview = views.trending_view(pf, request.app.state.engagement, window, explicit, category, FEED_SIZE)
        params = {"window": window, "date": explicit.isoformat() if explicit else None, "category": category}
        feed = Feed(
            title=f"paperfeed: trending ({PERIOD_LABELS[window].lower()})",
            subtitle=tview.notice or "Papers gaining attention now.",
            page_url=base + "/trending" + qs(window=window, category=category),
            self_url=_self_url(request, f"/feeds/trending.{fmt}", params),
            papers=[e.paper for e in tview.entries],
            base_url=base,
        )
        return _respond(feed, fmt)
    if name == "search":
        req = search_request(q)
        req.page = 1
        if not q.get("sort"):
            req.sort = "date"
        sview = views.search_view(pf, request.app.state.engagement, req)
        params = {k: q.get(k) for k in ("q", "category", "author", "since", "until", "sort", "mode") if q.get(k)}
        feed = Feed(
            title=f"paperfeed: search {req.q!r}" if req.q else "paperfeed: search",
            subtitle=sview.notice or "Papers matching a saved search.",
            page_url=base + "/search" + qs(params),
            self_url=_self_url(request, f"/feeds/search.{fmt}", params),
            papers=[h.paper for h in sview.hits],
            base_url=base,
        )
        return _respond(feed, fmt)
    raise NotFound("feed", f"no feed named '{name}' (daily, weekly, monthly, trending, search, category/<cat>)")
