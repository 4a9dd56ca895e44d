"""One data function per view; pages, the JSON API and the feeds render what they return.

(datasette's habit: build the data once, choose the renderer last.) The
functions take the `Paperfeed` and plain, already-validated arguments, and
they degrade rather than fail when search or trending is not available
(not built yet, index missing): the view then carries a `notice`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from paperfeed.models import Paper
from paperfeed.search.base import Hit, QueryError, SearchRequest, SearchResults
from paperfeed.store.base import PaperQuery
from paperfeed.web.citation import bibtex_entry
from paperfeed.web.params import Period, Span

if TYPE_CHECKING:
    from paperfeed.app import Paperfeed
    from paperfeed.search.base import Searcher
    from paperfeed.trending.base import Trending, TrendingEntry, Window
    from paperfeed.web.engagement import Engagement

log = logging.getLogger("paperfeed.web")

SEARCH_UNAVAILABLE = "Search is not available right now (the index is not built yet)."
TRENDING_UNAVAILABLE = "Trending is not available yet: showing papers by date only."


_OPEN_LOCK = threading.Lock()  # the first requests arrive together on several threads; open once


def searcher_of(pf: Paperfeed) -> Searcher | None:
    """The searcher, or None while search is not installed/built (the site still serves listings)."""
    try:
        if "search" in pf.__dict__:
            return pf.search
        with _OPEN_LOCK:
            return pf.search
    except Exception as exc:  # not built, index locked or corrupt: serve listings, say why
        log.warning("search unavailable: %s", exc)
        return None


def trending_of(pf: Paperfeed) -> Trending | None:
    try:
        if "trending" in pf.__dict__:
            return pf.trending
        with _OPEN_LOCK:
            return pf.trending
    except Exception as exc:  # not built, index locked or corrupt: serve listings, say why
        log.warning("trending unavailable: %s", exc)
        return None


def today(pf: Paperfeed | None = None) -> date:
    """Today (UTC) by the app's clock (tests move it), or by the wall clock without one."""
    now = pf.clock() if pf is not None else datetime.now(UTC)
    return now.astimezone(UTC).date()


def latest_day(pf: Paperfeed, on_or_before: date | None = None, category: str | None = None) -> date:
    """The newest publication date with papers (so the home page is never empty on a quiet day)."""
    on_or_before = on_or_before or today(pf)
    newest = pf.store.list_papers(PaperQuery(until=on_or_before, category=category, limit=1))
    if newest and newest[0].published:
        return newest[0].published
    return on_or_before


def neighbours(pf: Paperfeed, span: Span, category: str | None = None) -> tuple[Span | None, Span | None]:
    """The nearest earlier and later periods that have papers (empty days are skipped).

    The later one stops at today: there is no "next" past the newest papers.
    """
    before = pf.store.list_papers(PaperQuery(until=span.start - timedelta(days=1), category=category, limit=1))
    prev = Span.containing(span.period, before[0].published) if before and before[0].published else None
    nxt = None
    upto = today(pf)
    if span.end < upto:
        query = PaperQuery(since=span.end + timedelta(days=1), until=upto, category=category, order="oldest", limit=1)
        after = pf.store.list_papers(query)
        nxt = Span.containing(span.period, after[0].published) if after and after[0].published else None
    return prev, nxt


def catch_up(pf: Paperfeed) -> None:
    """Fold signals stored since the last look into the roll-up, so lists rank by all of them."""
    trending = trending_of(pf)
    if trending is not None and hasattr(trending, "catch_up"):
        try:
            trending.catch_up()
        except Exception:  # the lists still serve, ranked by what was rolled up before
            log.exception("signal roll-up failed")


# -- listings -----------------------------------------------------------------
@dataclass(slots=True)
class ListingView:
    """A day's, week's or month's papers, most upvoted first, plus what is trending now."""

    span: Span
    papers: list[Paper]
    total: int
    page: int
    page_size: int
    category: str | None
    upvotes: dict[str, int]
    trending: list[TrendingEntry] = field(default_factory=list)
    trending_notice: str | None = None
    prev_span: Span | None = None
    next_span: Span | None = None

    @property
    def has_next_page(self) -> bool:
        return self.page * self.page_size < self.total


def listing_view(
    pf: Paperfeed,
    engagement: Engagement,
    period: Period,
    day: date,
    category: str | None = None,
    page: int = 1,
    page_size: int = 30,
    trending_limit: int = 5,
    sort: str = "engagement",
    navigation: bool = True,
) -> ListingView:
    """Papers published in the day/week/month containing `day`, ranked by all engagement up to now.

    `sort`: ``engagement`` (the default, as HF ranks its daily lists: most
    upvoted first; HF's ``sort=trending`` maps here) or ``published`` (newest
    first). The trending column is trending *now* over the matching window,
    not as of the period: a different notion (docs/trending.md).
    """
    span = Span.containing(period, day)
    catch_up(pf)
    order = "published" if sort == "published" else "engagement"
    query = PaperQuery(
        since=span.start,
        until=span.end,
        category=category,
        order=order,
        limit=page_size,
        offset=(page - 1) * page_size,
    )
    total = pf.store.count_papers(query)
    papers = pf.store.list_papers(query)
    entries: list[TrendingEntry] = []
    notice = None
    if trending_limit:
        trending = trending_of(pf)
        if trending is None:
            notice = TRENDING_UNAVAILABLE
        else:
            try:
                entries = trending.list(window=period, day=None, category=category, limit=trending_limit)
            except Exception as exc:  # a broken ranking must not take the listing down
                log.exception("trending failed")
                notice = f"Trending is unavailable: {type(exc).__name__}"
    prev_span, next_span = neighbours(pf, span, category) if navigation else (None, None)
    ids = [p.id for p in papers] + [e.paper.id for e in entries]
    return ListingView(
        span=span,
        papers=papers,
        total=total,
        page=page,
        page_size=page_size,
        category=category,
        upvotes=engagement.upvote_counts(ids),
        trending=entries,
        trending_notice=notice,
        prev_span=prev_span,
        next_span=next_span,
    )


# -- trending -------------------------------------------------------------------
@dataclass(slots=True)
class TrendingView:
    """What is rising now: papers with engagement in the last day / week / month, explained."""

    window: Window
    day: date
    category: str | None
    entries: list[TrendingEntry]
    upvotes: dict[str, int]
    notice: str | None = None
    limit: int = 50
    offset: int = 0

    @property
    def has_next_page(self) -> bool:
        return len(self.entries) == self.limit


def trending_view(
    pf: Paperfeed,
    engagement: Engagement,
    window: Window,
    day: date | None = None,
    category: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> TrendingView:
    """Trending over the window ending `day` (default: today, by the app's clock)."""
    day = day or today(pf)
    trending = trending_of(pf)
    if trending is None:
        return TrendingView(window, day, category, [], {}, TRENDING_UNAVAILABLE, limit, offset)
    entries = trending.list(window=window, day=day, category=category, limit=limit, offset=offset)
    upvotes = engagement.upvote_counts([e.paper.id for e in entries])
    return TrendingView(window, min(day, today(pf)), category, entries, upvotes, None, limit, offset)


def explain_view(pf: Paperfeed, paper_id: str, window: Window, day: date | None) -> TrendingEntry | None:
    trending = trending_of(pf)
    if trending is None:
        return None
    return trending.explain(paper_id, window=window, day=day)


# -- search ---------------------------------------------------------------------
@dataclass(slots=True)
class SearchView:
    request: SearchRequest
    results: SearchResults | None
    upvotes: dict[str, int]
    notice: str | None = None

    @property
    def hits(self) -> list[Hit]:
        return self.results.hits if self.results else []

    @property
    def total(self) -> int:
        return self.results.total if self.results else 0

    @property
    def has_next_page(self) -> bool:
        return self.request.page * self.request.page_size < self.total


def search_view(pf: Paperfeed, engagement: Engagement, request: SearchRequest) -> SearchView:
    """Runs a search; `QueryError` (bad syntax, bad filter) propagates to become a 400."""
    if not request.q and not (request.category or request.author or request.since or request.until):
        return SearchView(request, None, {})
    searcher = searcher_of(pf)
    if searcher is None:
        return SearchView(request, None, {}, SEARCH_UNAVAILABLE)
    try:
        results = searcher.search(request)
    except QueryError:
        raise
    except Exception as exc:  # show a notice, keep the page
        log.exception("search failed")
        return SearchView(request, None, {}, f"Search failed: {type(exc).__name__}")
    upvotes = engagement.upvote_counts([h.paper.id for h in results.hits])
    return SearchView(request, results, upvotes, results.notice)


# -- one paper --------------------------------------------------------------------
@dataclass(slots=True)
class PaperView:
    paper: Paper
    upvotes: int
    upvoted: bool
    similar: list[Hit]
    similar_upvotes: dict[str, int]
    trending: TrendingEntry | None
    bibtex: str
    versions: list[dict[str, Any]]


def paper_view(
    pf: Paperfeed,
    engagement: Engagement,
    paper_id: str,
    actor: str | None = None,
    similar_k: int = 6,
) -> PaperView | None:
    paper = pf.store.get_paper(paper_id)
    if paper is None:
        return None
    similar = similar_hits(pf, paper.id, similar_k) if similar_k else []
    explanation = None
    trending = trending_of(pf)
    if trending is not None:
        try:
            # Trending now, over the last week; only a paper on that list has a "why".
            entry = trending.explain(paper.id, window="week")
            explanation = entry if entry is not None and entry.rank > 0 else None
        except Exception:
            log.exception("trending explain failed")
    return PaperView(
        paper=paper,
        upvotes=engagement.upvote_count(paper.id),
        upvoted=bool(actor and engagement.has_upvoted(paper.id, actor)),
        similar=similar,
        similar_upvotes=engagement.upvote_counts([h.paper.id for h in similar]),
        trending=explanation,
        bibtex=bibtex_entry(paper),
        versions=pf.store.paper_versions(paper.id),
    )


def similar_hits(pf: Paperfeed, paper_id: str, k: int) -> list[Hit]:
    searcher = searcher_of(pf)
    if searcher is None:
        return []
    try:
        return [h for h in searcher.similar(paper_id, k=k) if h.paper.id != paper_id][:k]
    except Exception:  # a paper not yet indexed has no neighbours; the page still renders
        log.warning("similar(%s) failed", paper_id, exc_info=True)
        return []
