"""Choosing the papers of one subscriber's digest, each with a one-line reason.

A digest has a trending section (the global list, unless the subscriber
turned it off) and a "for you" section ranked by the subscriber's topics:
topic queries through `Searcher.search` restricted to the period, papers
similar to the ones they liked (`Searcher.similar`), new papers in their
categories and by the authors they follow. Candidates from every topic are
fused by reciprocal rank (a paper matching two topics ranks higher) and keep
the reason of the topic that contributed most. Negative keywords remove a
paper from both sections; a paper already sent (or waiting to be sent) to the
subscriber never appears again.

One `Composer` serves one pass over many subscribers: topic results are
cached per (query, period), because subscribers share topics; this is what
makes 10,000 digests cheap (see benchmarks/digest.py).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from paperfeed.digest.model import Digest, DigestItem
from paperfeed.models import Paper
from paperfeed.search.base import QueryError, SearchRequest
from paperfeed.store.base import PaperQuery, Subscriber

log = logging.getLogger(__name__)

LOOKBACK_DAYS = {"daily": 2, "weekly": 8}  # overlap is harmless: sent papers are never repeated
POOL = 50  # candidates fetched per topic
WEIGHTS = {"query": 1.0, "author": 1.2, "liked": 0.8, "category": 0.5}
RRF_K = 10


@dataclass(slots=True)
class _Candidate:
    paper: Paper
    score: float
    reason: str
    best: float


def period_window(frequency: str, day: date) -> tuple[date, date]:
    return day - timedelta(days=LOOKBACK_DAYS.get(frequency, 2)), day


def _quote(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


class Composer:
    """Composes digests for one pass; `searcher` / `trending` may be None (that part is left out)."""

    def __init__(self, store: Any, searcher: Any | None, trending: Any | None) -> None:
        self.store = store
        self.searcher = searcher
        self.trending = trending
        self._cache: dict[tuple[Any, ...], list[Paper] | list[tuple[Paper, int]]] = {}
        self.topic_errors: dict[str, str] = {}

    # -- sources (cached per pass) ---------------------------------------------------
    def _query(self, q: str, since: date, until: date) -> list[Paper]:
        key = ("q", q, since, until)
        if key not in self._cache:
            papers: list[Paper] = []
            if self.searcher is not None:
                try:
                    res = self.searcher.search(SearchRequest(q=q, since=since, until=until, page_size=POOL))
                    papers = [h.paper for h in res.hits]
                except QueryError as exc:
                    self.topic_errors[q] = exc.message
            self._cache[key] = papers
        return self._cache[key]  # type: ignore[return-value]

    def _similar(self, paper_id: str) -> list[Paper]:
        key = ("sim", paper_id)
        if key not in self._cache:
            papers: list[Paper] = []
            if self.searcher is not None:
                try:
                    papers = [h.paper for h in self.searcher.similar(paper_id, k=100)]
                except (KeyError, ValueError, QueryError) as exc:
                    log.info("no similar papers for %s: %s", paper_id, exc)
            self._cache[key] = papers
        return self._cache[key]  # type: ignore[return-value]

    def _listed(self, kind: str, value: str, since: date, until: date) -> list[Paper]:
        key = (kind, value, since, until)
        if key not in self._cache:
            query = PaperQuery(since=since, until=until, limit=POOL)
            if kind == "category":
                query.category = value
            else:
                query.author = value
            self._cache[key] = self.store.list_papers(query)
        return self._cache[key]  # type: ignore[return-value]

    def _title(self, paper_id: str) -> str | None:
        key = ("title", paper_id)
        if key not in self._cache:
            paper = self.store.get_paper(paper_id)
            self._cache[key] = [paper] if paper else []
        found = self._cache[key]
        return found[0].title if found else None  # type: ignore[union-attr]

    def _trending(self, window: str, day: date) -> list[tuple[Paper, int]]:
        key = ("trend", window, day)
        if key not in self._cache:
            entries: list[tuple[Paper, int]] = []
            if self.trending is not None:
                try:
                    entries = [(e.paper, e.rank) for e in self.trending.list(window=window, day=day, limit=50)]
                except (LookupError, ValueError) as exc:
                    log.info("no trending list for %s %s: %s", window, day, exc)
            self._cache[key] = entries
        return self._cache[key]  # type: ignore[return-value]

    # -- one digest --------------------------------------------------------------------
    def compose(self, sub: Subscriber, day: date, period: str, exclude: set[str]) -> Digest:
        since, until = period_window(sub.frequency, day)
        topics = sub.topics or {}
        blocked = _negative(topics.get("exclude") or [])
        has_topics = any(topics.get(k) for k in ("queries", "categories", "authors", "liked"))
        taken = set(exclude)

        def allowed(paper: Paper) -> bool:
            return paper.id not in taken and not (blocked and blocked.search(f"{paper.title}\n{paper.abstract}"))

        digest = Digest(sub.id, sub.email, period, day, sub.frequency)
        if sub.include_trending or not has_topics:
            window, label = ("week", "this week") if sub.frequency == "weekly" else ("day", "today")
            room = sub.max_papers if not has_topics else min(5, max(1, sub.max_papers // 3))
            for paper, rank in self._trending(window, min(day, datetime.now(UTC).date())):
                if len(digest.trending) >= room:
                    break
                if allowed(paper):
                    digest.trending.append(DigestItem(paper, f"trending #{rank} {label}", 1.0 / rank))
                    taken.add(paper.id)

        room = sub.max_papers - len(digest.trending)
        if room <= 0 or not has_topics:
            return digest
        found: dict[str, _Candidate] = {}

        def offer(papers: list[Paper], weight: float, reason: str, in_window: bool) -> None:
            rank = 0
            for paper in papers:
                if in_window and not (paper.published and since <= paper.published <= until):
                    continue
                if not allowed(paper):
                    continue
                rank += 1
                gain = weight / (RRF_K + rank)
                cand = found.get(paper.id)
                if cand is None:
                    found[paper.id] = _Candidate(paper, gain, reason, gain)
                else:
                    cand.score += gain
                    if gain > cand.best:
                        cand.best, cand.reason = gain, reason

        for q in topics.get("queries") or []:
            offer(self._query(q, since, until), WEIGHTS["query"], f"matches your topic '{_quote(q)}'", True)
        for author in topics.get("authors") or []:
            offer(
                self._listed("author", author, since, until), WEIGHTS["author"], f"new paper by {_quote(author)}", True
            )
        for pid in topics.get("liked") or []:
            title = self._title(pid)
            reason = f"similar to a paper you liked: '{_quote(title)}'" if title else "similar to a paper you liked"
            offer(self._similar(pid), WEIGHTS["liked"], reason, True)
        for cat in topics.get("categories") or []:
            offer(self._listed("category", cat, since, until), WEIGHTS["category"], f"new in {cat}", True)
        liked = set(topics.get("liked") or [])
        ranked = sorted((c for c in found.values() if c.paper.id not in liked), key=lambda c: (-c.score, c.paper.id))
        digest.for_you = [DigestItem(c.paper, c.reason, c.score) for c in ranked[:room]]
        return digest


def _negative(words: list[str]) -> re.Pattern[str] | None:
    words = [w.strip() for w in words if w.strip()]
    if not words:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)
