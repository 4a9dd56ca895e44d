"""Trending on top of any `Store`: compute a window, keep it materialised, serve pages.

A (window, day) list is computed once from the signals observed up to the end
of that day (trending *as of* the day), stored in ``trending_scores`` and
then served by rank with one indexed query. `refresh` recomputes only what
new signals or papers can have changed since the last refresh (tracked by a
checkpoint holding the highest signal id and paper seq seen); lists of
other days they touch are dropped and rebuilt when next asked for.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from paperfeed.models import Paper
from paperfeed.store import PaperQuery, Store
from paperfeed.trending import explain as ex
from paperfeed.trending.base import TrendingEntry
from paperfeed.trending.config import CUMULATIVE_KINDS, EVENT_KINDS, WINDOW_DAYS, TrendingConfig
from paperfeed.trending.score import Scored, cumulative_rise, decay, event_rises, scales, score_papers

CHECKPOINT = "trending:refresh"
MAX_LIMIT = 1000


def today_utc() -> date:
    return datetime.now(UTC).date()


def _midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def _ts(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def as_of(day: date | None) -> date:
    """The day a list is computed for: today by default, and never a day that has not come yet
    (a calendar week or month ending in the future is trending as of today, not as of then)."""
    today = today_utc()
    return today if day is None or day > today else day


def check_window(window: str) -> str:
    if window not in WINDOW_DAYS:
        raise ValueError(f"window: '{window}' is not one of {', '.join(WINDOW_DAYS)}")
    return window


_EVENTS = frozenset(EVENT_KINDS)
_CUMULATIVE = frozenset(CUMULATIVE_KINDS)


@dataclass(slots=True)
class Fetched:
    """Signals of a day range read once and sorted out, so each window inside it is a cheap pass.

    `events`: (observed_at ISO, paper, kind, value, actor, network) in arrival order;
    `series`: (paper, kind, source) -> [(time, running total)] in time order;
    `baselines`: the running maximum and last time of each series before `start`;
    `published`: publication dates looked up so far (papers published by `day`).
    """

    start: date
    day: date
    events: list[tuple[Any, ...]]
    series: dict[tuple[str, str, str], list[tuple[float, float]]]
    baselines: dict[tuple[str, str, str], tuple[float, str]]
    published: dict[str, str | None] = field(default_factory=dict)
    asked: set[str] = field(default_factory=set)

    @classmethod
    def from_rows(
        cls, start: date, day: date, rows: list[tuple[Any, ...]], baselines: dict[tuple[str, str, str], Any]
    ) -> Fetched:
        events = []
        series: dict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)
        for pid, kind, source, value, observed, actor, network in rows:
            if kind in _CUMULATIVE:
                series[(pid, kind, source)].append((_ts(observed), float(value)))
            elif kind in _EVENTS:
                events.append((observed, pid, kind, float(value), actor, network))
        for obs in series.values():
            obs.sort()  # arrival order -> time order (ties: the lower count first)
        return cls(start, day, events, dict(series), baselines)

    def published_dates(self, store: Store, paper_ids: set[str]) -> dict[str, str | None]:
        """Publication dates of those papers stored and published by `day` (looked up once each)."""
        wanted = paper_ids - self.asked
        if wanted:
            self.published.update(store.published_dates(list(wanted), self.day))
            self.asked |= wanted
        return {pid: self.published[pid] for pid in paper_ids if pid in self.published}


@dataclass(slots=True)
class Computed:
    """One computed list: ranked scores plus what is needed to explain any paper later."""

    window: str
    start: date
    day: date
    scored: list[Scored]
    scales: dict[str, float]


@dataclass(slots=True)
class RefreshReport:
    day: date
    recomputed: list[str] = field(default_factory=list)  # windows rebuilt for `day`
    dropped_rows: int = 0  # rows of other days invalidated by new data
    seconds: float = 0.0
    signal_id: int = 0
    paper_seq: int = 0


class StoreTrending:
    """Implements `paperfeed.trending.base.Trending` over a `Store`."""

    def __init__(self, store: Store, config: TrendingConfig | None = None) -> None:
        self.store = store
        self.config = config or TrendingConfig()

    # -- computing ------------------------------------------------------------------
    def fetch(self, start: date, day: date) -> Fetched:
        """Read the signals of the days [start, day] once, plus the running totals before them."""
        lo, hi = _iso(_midnight(start)), _iso(_midnight(day + timedelta(days=1)))
        return Fetched.from_rows(
            start, day, self.store.window_signals(lo, hi), self.store.cumulative_baselines(lo, hi, CUMULATIVE_KINDS)
        )

    def compute(self, start: date, day: date, window: str, fetched: Fetched | None = None) -> Computed:
        """Score every candidate for the days [start, day], as of the end of `day`.

        `fetched` may cover a longer range ending with `day` (a refresh reads the
        month once and derives the week and the day from it).
        """
        cfg = self.config
        fetched = fetched or self.fetch(start, day)
        if fetched.start > start or fetched.day != day:
            raise ValueError(f"signals fetched for {fetched.start}..{fetched.day} do not cover {start}..{day}")
        t0, t1 = _midnight(start), _midnight(day + timedelta(days=1))
        lo = _iso(t0)
        start_s, end_s = t0.timestamp(), t1.timestamp()

        rises: dict[str, dict[str, float]] = defaultdict(dict)
        events = (e[1:] for e in fetched.events if e[0] >= lo)
        for (pid, kind), value in event_rises(events, cfg.burst_free).items():
            rises[pid][kind] = value

        series = fetched.series
        in_window = {pid for (pid, _k, _s), obs in series.items() if obs[-1][0] >= start_s}
        published = fetched.published_dates(self.store, {*rises, *in_window})
        published.update(self.store.recent_published(start, day, cfg.fallback_pool))
        pub_ts = {pid: (_ts(p + "T00:00:00+00:00") if p else None) for pid, p in published.items()}

        for key, obs in series.items():
            pid, kind, _source = key
            if pid not in published or obs[-1][0] < start_s:
                continue  # unknown paper, published after `day`, or no observation inside the window
            base = fetched.baselines.get(key)
            rise = cumulative_rise(obs, (base[0], _ts(base[1])) if base else None, pub_ts[pid], start_s, end_s)
            # Several sources may report the same count (HF and a links file both carry GitHub
            # stars): take the largest rise rather than the sum, so one repository counts once.
            if rise > rises[pid].get(kind, 0.0):
                rises[pid][kind] = rise

        rises = {pid: r for pid, r in rises.items() if pid in published}
        length = (day - start).days + 1
        ages = {pid: self._age(p, day, length) for pid, p in published.items()}
        kind_scales = scales(rises, cfg)
        scored = score_papers(rises, ages, window, cfg, kind_scales)
        return Computed(window, start, day, scored, kind_scales)

    @staticmethod
    def _age(published: str | None, day: date, length: int) -> int:
        """Whole days between publication and the window's last day; unknown: the window length."""
        if not published:
            return length
        return max(0, (day - date.fromisoformat(published)).days)

    @staticmethod
    def window_start(window: str, day: date) -> date:
        return day - timedelta(days=WINDOW_DAYS[window] - 1)

    def _materialise(
        self, window: str, day: date, signal_id: int, paper_seq: int, fetched: Fetched | None = None
    ) -> Computed:
        computed = self.compute(self.window_start(window, day), day, window, fetched)
        rows = []
        for rank, s in enumerate(computed.scored, start=1):
            # Lines are pre-rendered for the pages people read; deeper ones render when served.
            line = ex.explanation(s.contributions, s.rises, s.age_days, s.decay, window, day) if rank <= 1000 else ""
            rows.append((s.paper_id, rank, s.score, ex.encode(s.contributions, s.rises, s.age_days, s.decay, line)))
        meta = {
            "scales": computed.scales,
            "signal_id": signal_id,
            "paper_seq": paper_seq,
            "half_life": self.config.half_life(window),
            "candidates": len(rows),
        }
        # IntegrityError: another process materialised the same list at the same moment; theirs stands.
        with contextlib.suppress(IntegrityError):
            self.store.replace_trending(window, day, rows, meta, _iso(datetime.now(UTC)))
        return computed

    def _ensure(self, window: str, day: date) -> dict[str, Any]:
        """The list's metadata, computing and storing the list first if it is not materialised."""
        meta = self.store.trending_meta(window, day)
        if meta is None:
            # High-water marks read *before* computing: anything added meanwhile counts as new later.
            sid, seq = self.store.max_signal_id(), self.store.max_seq()
            self._materialise(window, day, sid, seq)
            meta = self.store.trending_meta(window, day) or {}
        return meta

    def _stale(self, meta: dict[str, Any], day: date) -> bool:
        """Whether signals or papers stored after the list was computed can change it."""
        _, first_observed = self.store.signal_changes_since(int(meta.get("signal_id", 0)))
        _, first_published = self.store.paper_changes_since(int(meta.get("paper_seq", 0)))
        end = _iso(_midnight(day + timedelta(days=1)))
        touched_signals = first_observed is not None and first_observed < end
        return touched_signals or (first_published is not None and first_published <= day.isoformat())

    # -- the Trending contract -------------------------------------------------------
    def refresh(self, day: date | None = None) -> RefreshReport:
        """Bring `day`'s lists (default today) up to date; drop other days' lists that new data touches."""
        began = time.perf_counter()
        day = as_of(day)
        sid, seq = self.store.max_signal_id(), self.store.max_seq()
        ck = self.store.get_checkpoint(CHECKPOINT) or {}
        _, first_observed = self.store.signal_changes_since(int(ck.get("signal_id", 0)))
        _, first_published = self.store.paper_changes_since(int(ck.get("paper_seq", 0)))
        changed = [d for d in (first_observed and first_observed[:10], first_published) if d]
        report = RefreshReport(day=day, signal_id=sid, paper_seq=seq)
        if changed:
            report.dropped_rows = self.store.drop_trending(date.fromisoformat(min(changed)), keep=day)
        stale = []
        for window in WINDOW_DAYS:
            meta = self.store.trending_meta(window, day)
            if meta is None or self._stale(meta, day):
                stale.append(window)
        if stale:  # read the widest stale window's signals once; the shorter ones are inside it
            fetched = self.fetch(min(self.window_start(w, day) for w in stale), day)
            for window in stale:
                self._materialise(window, day, sid, seq, fetched)
                report.recomputed.append(window)
        self.store.set_checkpoint(CHECKPOINT, {"signal_id": sid, "paper_seq": seq, "day": day.isoformat()})
        report.seconds = time.perf_counter() - began
        return report

    def list(
        self,
        window: str = "day",
        day: date | None = None,
        category: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[TrendingEntry]:
        window = check_window(window)
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit: must be between 1 and {MAX_LIMIT}, got {limit}")
        if offset < 0:
            raise ValueError(f"offset: must be >= 0, got {offset}")
        day = as_of(day)
        rows = self.store.trending_page(window, day, category, limit, offset)
        if not rows:  # not materialised yet, or past the end, or a category with nothing listed
            self._ensure(window, day)
            rows = self.store.trending_page(window, day, category, limit, offset)
            if not rows and category and not self.store.trending_page(window, day, category, 1, 0):
                return self._recency_fallback(window, day, category, limit, offset)
        return [self._entry(paper, rank, score, raw, window, day) for paper, rank, score, raw in rows]

    def explain(self, paper_id: str, window: str = "day", day: date | None = None) -> TrendingEntry | None:
        """The paper's entry with its breakdown; rank 0 when it is not on that list."""
        window = check_window(window)
        day = as_of(day)
        self._ensure(window, day)
        paper = self.store.get_paper(paper_id)
        if paper is None:
            return None
        row = self.store.trending_row(window, day, paper.id)
        if row is not None:
            return self._entry(paper, row[1], row[2], row[3], window, day)
        return self._unlisted(paper, window, day)

    # -- entries ------------------------------------------------------------------------
    def _entry(self, paper: Paper, rank: int, score: float, raw: str, window: str, day: date) -> TrendingEntry:
        b = ex.decode(raw)
        line = b["x"] or ex.explanation(b["c"], b["r"], b["age"], b["d"], window, day)
        return TrendingEntry(paper=paper, rank=rank, score=score, breakdown=dict(b["c"]), explanation=line)

    def _recency_only(self, paper: Paper, window: str, day: date) -> tuple[float, dict[str, float], int, float]:
        age = self._age(paper.published.isoformat() if paper.published else None, day, WINDOW_DAYS[window])
        d = decay(age, self.config.half_life(window))
        contributions = {"recency": d * self.config.recency_weight}
        return contributions["recency"], contributions, age, d

    def _unlisted(self, paper: Paper, window: str, day: date) -> TrendingEntry:
        if paper.published and paper.published > day:
            line = f"Not on this list: published {paper.published.isoformat()}, after {day.isoformat()}."
            return TrendingEntry(paper=paper, rank=0, score=0.0, breakdown={}, explanation=line)
        score, contributions, _age, d = self._recency_only(paper, window, day)
        when = ex.period(window, day)
        line = f"Not on this list: no engagement {when} and not among the newest papers; age weight x{d:.2f}."
        return TrendingEntry(paper=paper, rank=0, score=score, breakdown=contributions, explanation=line)

    def _recency_fallback(self, window: str, day: date, category: str, limit: int, offset: int) -> list[TrendingEntry]:
        """A category with nothing on the materialised list: its newest papers, by recency."""
        papers = self.store.list_papers(PaperQuery(until=day, category=category, limit=limit, offset=offset))
        out = []
        for i, paper in enumerate(papers):
            score, contributions, age, d = self._recency_only(paper, window, day)
            line = ex.explanation(contributions, {}, age, d, window, day)
            out.append(
                TrendingEntry(paper=paper, rank=offset + i + 1, score=score, breakdown=contributions, explanation=line)
            )
        return out

    # -- custom ranges (computed live, not materialised) ---------------------------------
    def range(
        self, since: date, until: date, category: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[TrendingEntry]:
        """Trending over any span of days; the half-life is that of the nearest standard window."""
        if since > until:
            raise ValueError(f"since: {since.isoformat()} is after until {until.isoformat()}")
        length = (until - since).days + 1
        window = next((w for w, n in WINDOW_DAYS.items() if n >= length), "month")
        computed = self.compute(since, until, window)
        ids = [s.paper_id for s in computed.scored]
        if category:
            wanted = {p.id for p in self.store.get_papers(ids) if category in p.categories}
            ids = [i for i in ids if i in wanted]
        by_id = {s.paper_id: s for s in computed.scored}
        page = ids[offset : offset + limit]
        papers = {p.id: p for p in self.store.get_papers(page)}
        out = []
        for rank, pid in enumerate(page, start=offset + 1):
            s = by_id[pid]
            line = ex.explanation(s.contributions, s.rises, s.age_days, s.decay, "custom", until, since)
            out.append(
                TrendingEntry(
                    paper=papers[pid], rank=rank, score=s.score, breakdown=dict(s.contributions), explanation=line
                )
            )
        return out
