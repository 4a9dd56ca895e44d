"""Per-day roll-ups of signals, as pure functions (the SQL that stores them is in `sql_signals.py`).

Trending and the period lists read these instead of the raw signals, so a new
signal costs a few row updates, never a rescan. A signal is folded in once, in
id (arrival) order, by `fold`:

* an **event** (upvote, view, click) adds its value to its paper's row for the
  day it was observed, under its network prefix (``bucket``; '' when it has
  none, which the scorer leaves undamped). One actor counts once per paper and
  kind, ever: repeats are dropped here, so the per-day rows can be summed over
  any window without counting anyone twice.
* a **running total** (HF upvotes and comments, GitHub stars) adds its increase
  over the series' running maximum, spread evenly over the time since the
  previous observation (the first observation: since publication), day by day.
  Decreases add nothing, so the sum of a series' rows is its running maximum.

Spreading is capped at `MAX_SPREAD_DAYS` (longer than any window): the part of
an increase older than that goes to one row on the day the interval began, so
a first sighting of a years-old paper writes ~60 rows, not a thousand. An
observation older than its series' last one (a late import) is credited whole
to its own day.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from paperfeed.models import CUMULATIVE_KINDS, EVENT_KINDS

DAY_S = 86400.0
MAX_SPREAD_DAYS = 62

# (paper_id, kind, source, day ISO, bucket) -> value to add
RollupKey = tuple[str, str, str, str, str]
# (paper_id, kind, source) -> (running maximum, time of the latest observation)
SeriesState = dict[tuple[str, str, str], tuple[float, float]]

_EVENTS = frozenset(EVENT_KINDS)
_CUMULATIVE = frozenset(CUMULATIVE_KINDS)


def ts(iso: str) -> float:
    """Seconds since the epoch of an ISO timestamp or date (dates are midnight UTC)."""
    if len(iso) == 10:
        iso += "T00:00:00+00:00"
    dt = datetime.fromisoformat(iso)
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()


def day_of(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).date().isoformat()


def spread(amount: float, t0: float, t1: float) -> dict[str, float]:
    """Split `amount`, accrued evenly over [t0, t1], into per-UTC-day parts that sum to it."""
    if t1 <= t0:
        return {day_of(t1): amount}
    span = t1 - t0
    parts: dict[str, float] = defaultdict(float)
    cur = max(t0, t1 - MAX_SPREAD_DAYS * DAY_S)
    if cur > t0:
        parts[day_of(t0)] += amount * (cur - t0) / span
    while cur < t1:
        nxt = min(t1, (math.floor(cur / DAY_S) + 1) * DAY_S)
        parts[day_of(cur)] += amount * (nxt - cur) / span
        cur = nxt
    return dict(parts)


def fold(
    rows: Iterable[tuple[Any, ...]],
    state: SeriesState,
    seen: set[tuple[str, str, str]],
    published: dict[str, float | None],
) -> dict[RollupKey, float]:
    """Fold new signals, oldest id first, into per-day increments.

    `rows`: (paper_id, kind, source, value, observed_at ISO, actor, network).
    `state` (running totals so far) and `seen` (actors already counted) are
    updated in place, so consecutive batches continue where the last stopped.
    `published`: each paper's publication time, or None (unknown or not stored).
    """
    out: dict[RollupKey, float] = defaultdict(float)
    for pid, kind, source, value, observed, actor, network in rows:
        value = float(value)
        t = ts(observed)
        if kind in _EVENTS:
            if actor is not None:
                key = (pid, kind, actor)
                if key in seen:
                    continue
                seen.add(key)
            out[(pid, kind, source, day_of(t), network or "")] += value
        elif kind in _CUMULATIVE:
            series = (pid, kind, source)
            prev = state.get(series)
            if prev is None:
                pub = published.get(pid)
                top, since = 0.0, (pub if pub is not None and pub < t else t)
            else:
                top, since = prev
            rise = value - top
            if rise > 0:
                parts = spread(rise, since, t) if since <= t else {day_of(t): rise}
                for d, part in parts.items():
                    out[(pid, kind, source, d, "")] += part
            state[series] = (max(top, value), max(since, t))
    return dict(out)


def totals(rows: Iterable[tuple[str, str, str, float]]) -> dict[str, tuple[float, float]]:
    """paper -> (upvotes, other activity) from all-time roll-up sums (paper, kind, source, sum).

    Upvotes are what a card's ▲ shows: local upvotes plus Hugging Face's
    running total (the largest source, as trending counts it). Activity (stars,
    comments, views, clicks) breaks ties between papers with equal upvotes.
    """
    per: dict[str, dict[str, float]] = defaultdict(dict)
    for pid, kind, _source, value in rows:
        kinds = per[pid]
        if kind in _CUMULATIVE:
            kinds[kind] = max(kinds.get(kind, 0.0), float(value))
        else:
            kinds[kind] = kinds.get(kind, 0.0) + float(value)
    out = {}
    for pid, kinds in per.items():
        upvotes = kinds.get("upvote", 0.0) + kinds.get("hf_upvotes", 0.0)
        activity = sum(v for k, v in kinds.items() if k not in ("upvote", "hf_upvotes"))
        out[pid] = (upvotes, activity)
    return out
