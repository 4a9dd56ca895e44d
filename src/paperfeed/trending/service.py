"""Trending on top of any `Store`: what is rising now, kept current signal by signal.

Signals are folded into per-day roll-ups as they arrive (``store/rollup.py``),
so a (window, day) list is a sum over at most 30 days of roll-up rows, never a
rescan of the signals. A list is built once (its per-kind normalisation scales
fixed then) and stored in ``trending_scores`` with the signal id and paper seq
it has read; whenever it is asked for and the store has moved on, only the
papers with new signals (or changed dates) are re-scored and their rows
replaced. Pages are then one indexed query in score order.

Time comes from an injected clock (``clock``), so tests and benchmarks can
move "now" without waiting for it.
"""

from __future__ import annotations

import builtins
import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from paperfeed.models import CUMULATIVE_KINDS, EVENT_KINDS, Paper
from paperfeed.store import Store
from paperfeed.trending import explain as ex
from paperfeed.trending.base import TrendingEntry
from paperfeed.trending.config import WINDOW_DAYS, TrendingConfig
from paperfeed.trending.score import Scored, damp_burst, scales, score_papers

MAX_LIMIT = 1000
PATCH_SHARE = 0.25  # re-score more than this share of a list's papers: rebuild it (fresh scales) instead
PATCH_MIN = 2000  # ... but patching this many papers is always fine
KEEP_DAYS = 2  # `refresh` forgets stored lists of days older than this (rebuilt when asked for)

Clock = Callable[[], datetime]

_EVENTS = frozenset(EVENT_KINDS)
_CUMULATIVE = frozenset(CUMULATIVE_KINDS)


def utc_now() -> datetime:
    return datetime.now(UTC)


def today_utc() -> date:
    return utc_now().date()


def check_window(window: str) -> str:
    if window not in WINDOW_DAYS:
        raise ValueError(f"window: '{window}' is not one of {', '.join(WINDOW_DAYS)}")
    return window


def rises_from(rows: list[tuple[str, str, str, str, float]], burst_free: float) -> dict[str, dict[str, float]]:
    """Roll-up sums over a window -> paper -> kind -> rise (positive only).

    Events: the per-network sums are damped (the first `burst_free` count in
    full, the rest as their square root); events without a network are not.
    Running totals: the largest rise among the sources reporting the kind
    (HF and a links file both carry GitHub stars: one repository counts once).
    """
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for pid, kind, _source, bucket, value in rows:
        value = float(value)
        if value <= 0:
            continue
        kinds = out[pid]
        if kind in _EVENTS:
            kinds[kind] = kinds.get(kind, 0.0) + (damp_burst(value, burst_free) if bucket else value)
        elif kind in _CUMULATIVE:
            kinds[kind] = max(kinds.get(kind, 0.0), value)
    return {pid: kinds for pid, kinds in out.items() if kinds}


@dataclass(slots=True)
class Computed:
    """One computed list: ranked scores plus the normalisation it used."""

    window: str
    start: date
    day: date
    scored: list[Scored]
    scales: dict[str, float]


@dataclass(slots=True)
class RefreshReport:
    day: date
    recomputed: list[str] = field(default_factory=list)  # windows built from the roll-up
    patched: list[str] = field(default_factory=list)  # windows whose changed papers were re-scored
    rolled_up: int = 0  # signals folded into the roll-up by this refresh
    dropped_rows: int = 0  # rows of old days' lists forgotten
    seconds: float = 0.0
    signal_id: int = 0
    paper_seq: int = 0


class StoreTrending:
    """Implements `paperfeed.trending.base.Trending` over a `Store`."""

    def __init__(self, store: Store, config: TrendingConfig | None = None, clock: Clock | None = None) -> None:
        self.store = store
        self.config = config or TrendingConfig()
        self.clock: Clock = clock or utc_now
        self._lock = threading.RLock()  # one catch-up at a time per process (web threads ask together)

    # -- time ---------------------------------------------------------------------------
    def today(self) -> date:
        return self.clock().astimezone(UTC).date()

    def as_of(self, day: date | None) -> date:
        """Today by default, and never a day that has not come yet."""
        today = self.today()
        return today if day is None or day > today else day

    @staticmethod
    def window_start(window: str, day: date) -> date:
        return day - timedelta(days=WINDOW_DAYS[window] - 1)

    # -- computing ------------------------------------------------------------------
    def catch_up(self) -> int:
        """Fold every signal not yet rolled up; returns how many (0: nothing new)."""
        if self.store.max_signal_id() <= self.store.rollup_position():
            return 0
        total = 0
        while n := self.store.roll_up_signals():
            total += n
        return total

    def _frozen_scales(self, stored: dict[str, float]) -> dict[str, float]:
        kinds = (*EVENT_KINDS, *CUMULATIVE_KINDS)
        return {**{k: math.log1p(self.config.floor(k)) for k in kinds}, **{k: float(v) for k, v in stored.items()}}

    def compute(
        self,
        start: date,
        day: date,
        window: str,
        paper_ids: list[str] | None = None,
        kind_scales: dict[str, float] | None = None,
    ) -> Computed:
        """Score the papers with engagement in the days [start, day] (all, or only `paper_ids`).

        Papers with no publication date, or published after `day`, are never
        candidates: a dated list cannot place them. With `kind_scales` (a
        stored list's), only the given papers are scored, on the list's scale.
        """
        cfg = self.config
        rises = rises_from(self.store.rollup_sums(start, day, paper_ids), cfg.burst_free)
        last = day.isoformat()
        dates = self.store.published_dates(list(rises), day)
        published = {pid: pub for pid, pub in dates.items() if pub and pub <= last}
        rises = {pid: r for pid, r in rises.items() if pid in published}
        ages = {pid: max(0, (day - date.fromisoformat(pub)).days) for pid, pub in published.items()}
        used = self._frozen_scales(kind_scales) if kind_scales is not None else scales(rises, cfg)
        return Computed(window, start, day, score_papers(rises, ages, window, cfg, used), used)

    def _row(self, s: Scored, window: str, day: date) -> tuple[str, float, str]:
        line = ex.explanation(s.contributions, s.rises, s.age_days, s.decay, window, day)
        return s.paper_id, s.score, ex.encode(s.contributions, s.rises, s.age_days, s.decay, line)

    def _meta(self, computed: Computed, signal_id: int, paper_seq: int, candidates: int) -> dict[str, Any]:
        return {
            "scales": {k: v for k, v in computed.scales.items()},
            "signal_id": signal_id,
            "paper_seq": paper_seq,
            "half_life": self.config.half_life(computed.window),
            "candidates": candidates,
            "built_at": self.clock().astimezone(UTC).isoformat(timespec="seconds"),
        }

    def _build(self, window: str, day: date, signal_id: int, paper_seq: int) -> None:
        computed = self.compute(self.window_start(window, day), day, window)
        rows = [self._row(s, window, day) for s in computed.scored]
        meta = self._meta(computed, signal_id, paper_seq, len(rows))
        self.store.replace_trending(
            window, day, [(pid, 1, score, raw) for pid, score, raw in rows], meta, meta["built_at"]
        )

    def _patch(self, window: str, day: date, meta: dict[str, Any], signal_id: int, paper_seq: int) -> str:
        """Re-score only the papers that signals or paper changes since the list was read touch."""
        ids = set(self.store.signal_papers(int(meta.get("signal_id", 0)), signal_id))
        ids |= set(self.store.changed_papers(int(meta.get("paper_seq", 0)), paper_seq))
        if len(ids) > max(PATCH_MIN, PATCH_SHARE * int(meta.get("candidates", 0))):
            self._build(window, day, signal_id, paper_seq)  # that much is new: rebuild, with fresh scales
            return "built"
        stored = meta.get("scales", {})
        computed = self.compute(self.window_start(window, day), day, window, sorted(ids), stored)
        rows = [self._row(s, window, day) for s in computed.scored]
        listed = {pid for pid, _s, _r in rows}
        new_meta = {**meta, "signal_id": signal_id, "paper_seq": paper_seq, "scales": stored}
        now = self.clock().astimezone(UTC).isoformat(timespec="seconds")
        self.store.patch_trending(window, day, rows, sorted(ids - listed), new_meta, now)
        return "patched"

    def _ensure(self, window: str, day: date) -> str:
        """Make the stored (window, day) list current; returns 'built', 'patched' or '' (it was)."""
        latest, position, paper_seq, meta = self.store.trending_status(window, day)
        current = meta is not None and latest <= position == int(meta.get("signal_id", 0))
        if current and meta is not None and int(meta.get("paper_seq", 0)) >= paper_seq:
            return ""  # the common case, one round trip: nothing new since the list was read
        with self._lock:
            self.catch_up()
            signal_id, paper_seq = self.store.rollup_position(), self.store.max_seq()
            meta = self.store.trending_meta(window, day)
            if meta is None:
                self._build(window, day, signal_id, paper_seq)
                return "built"
            if int(meta.get("signal_id", 0)) < signal_id or int(meta.get("paper_seq", 0)) < paper_seq:
                return self._patch(window, day, meta, signal_id, paper_seq)
            return ""

    # -- the Trending contract -------------------------------------------------------
    def refresh(self, day: date | None = None) -> RefreshReport:
        """Roll up new signals and bring `day`'s lists (default today) up to date; forget old days' lists."""
        began = time.perf_counter()
        day = self.as_of(day)
        report = RefreshReport(day=day)
        with self._lock:
            report.rolled_up = self.catch_up()
            for window in WINDOW_DAYS:
                done = self._ensure(window, day)
                if done == "built":
                    report.recomputed.append(window)
                elif done == "patched":
                    report.patched.append(window)
            stale_before = self.today() - timedelta(days=KEEP_DAYS)
            report.dropped_rows = self.store.drop_trending(date.min, keep=day, before=stale_before)
        report.signal_id, report.paper_seq = self.store.rollup_position(), self.store.max_seq()
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
        """The papers rising in the window ending with `day` (default: now), best first."""
        window = check_window(window)
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit: must be between 1 and {MAX_LIMIT}, got {limit}")
        if offset < 0:
            raise ValueError(f"offset: must be >= 0, got {offset}")
        day = self.as_of(day)
        self._ensure(window, day)
        rows = self.store.trending_page(window, day, category, limit, offset)
        return [self._entry(paper, rank, score, raw, window, day) for paper, rank, score, raw in rows]

    def explain(self, paper_id: str, window: str = "day", day: date | None = None) -> TrendingEntry | None:
        """The paper's entry with its breakdown; rank 0 when it is not on that list (the line says why)."""
        window = check_window(window)
        day = self.as_of(day)
        paper = self.store.get_paper(paper_id)
        if paper is None:
            return None
        self._ensure(window, day)
        row = self.store.trending_row(window, day, paper.id)
        if row is not None:
            return self._entry(paper, row[1], row[2], row[3], window, day)
        return self._unlisted(paper, window, day)

    # -- entries ------------------------------------------------------------------------
    def _entry(self, paper: Paper, rank: int, score: float, raw: str, window: str, day: date) -> TrendingEntry:
        b = ex.decode(raw)
        line = b["x"] or ex.explanation(b["c"], b["r"], b["age"], b["d"], window, day)
        return TrendingEntry(
            paper=paper, rank=rank, score=score, breakdown=dict(b["c"]), explanation=line, rises=dict(b["r"])
        )

    def _unlisted(self, paper: Paper, window: str, day: date) -> TrendingEntry:
        if paper.published is None:
            line = "Not on trending lists: its publication date is unknown."
        elif paper.published > day:
            line = f"Not on this list: published {paper.published.isoformat()}, after {day.isoformat()}."
        else:
            line = f"Not on this list: no engagement {ex.period(window, day)}."
        return TrendingEntry(paper=paper, rank=0, score=0.0, breakdown={}, explanation=line)

    # -- custom ranges (computed live, not materialised) ---------------------------------
    def range(
        self, since: date, until: date, category: str | None = None, limit: int = 50, offset: int = 0
    ) -> builtins.list[TrendingEntry]:
        """Trending over any span of days; the half-life is that of the nearest standard window."""
        if since > until:
            raise ValueError(f"since: {since.isoformat()} is after until {until.isoformat()}")
        length = (until - since).days + 1
        window = next((w for w, n in WINDOW_DAYS.items() if n >= length), "month")
        with self._lock:
            self.catch_up()
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
                    paper=papers[pid],
                    rank=rank,
                    score=s.score,
                    breakdown=dict(s.contributions),
                    explanation=line,
                    rises=dict(s.rises),
                )
            )
        return out
