"""The trending formula, as pure functions (no I/O; docs/trending.md states it in maths).

For a window W = [start, end) computed as of `end`, and a paper p published
`age` whole days before the window's last day:

    rise_k(p)   = how much signal kind k grew *inside* W (velocity, not totals)
    n_k(p)      = log1p(rise_k(p)) / scale_k,   scale_k = max(log1p(q95_k), log1p(floor_k))
    decay(p)    = 0.5 ** (age / half_life_W)
    v_k(p)      = weight_k * n_k(p), sorted so that v_1 >= v_2 >= ...
    score(p)    = decay(p) * (v_1 + secondary_weight * (v_2 + v_3 + ...) + recency_weight)

The breakdown of a score is exactly its summands, so it always adds up.
Times are plain floats (seconds since the epoch) here: callers convert once,
and the inner loops over a million observations stay cheap.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from paperfeed.trending.config import TrendingConfig

DAY_S = 86400.0

# (paper_id, kind, value, actor, network) -- one local event (upvote, view, click)
EventRow = tuple[str, str, float, str | None, str | None]
# (time, value) -- one observation of a running total, for one (paper, kind, source)
Observation = tuple[float, float]
# (running max before the window, time of the last observation before the window)
Baseline = tuple[float, float]


def decay(age_days: float, half_life_days: float) -> float:
    """0.5 per half-life of age; a paper from the window's own day (age 0) keeps all."""
    return 0.5 ** (max(0.0, age_days) / half_life_days)


def event_rises(events: Iterable[EventRow], burst_free: float = 3.0) -> dict[tuple[str, str], float]:
    """Sum local events per (paper, kind), after the two anti-gaming rules.

    1. One actor counts once per paper and kind: the first event is kept, every
       repeat (a reload, a scripted click loop) is dropped. Events without an
       actor cannot be deduplicated and count each.
    2. Per (paper, kind, network prefix), the first `burst_free` events count in
       full and the rest as sqrt(rest): fifty fresh cookies from one address
       range add ~3 + 7 instead of 50, while a few colleagues behind one NAT
       are not penalised. Events without a network are not damped.
    """
    seen: set[tuple[str, str, str]] = set()
    per_network: dict[tuple[str, str, str], float] = defaultdict(float)
    rises: dict[tuple[str, str], float] = defaultdict(float)
    for paper_id, kind, value, actor, network in events:
        if actor is not None:
            key = (paper_id, kind, actor)
            if key in seen:
                continue
            seen.add(key)
        if network is None:
            rises[(paper_id, kind)] += value
        else:
            per_network[(paper_id, kind, network)] += value
    for (paper_id, kind, _network), total in per_network.items():
        rises[(paper_id, kind)] += damp_burst(total, burst_free)
    return dict(rises)


def damp_burst(total: float, burst_free: float) -> float:
    """The first `burst_free` count fully, the remainder as its square root."""
    if total <= burst_free:
        return total
    return burst_free + math.sqrt(total - burst_free)


def cumulative_rise(
    observations: Sequence[Observation],
    baseline: Baseline | None,
    published: float | None,
    start: float,
    end: float,
) -> float:
    """How much a running total grew inside [start, end).

    `observations` are oldest first and end before `end`; those before `start`
    only move the baseline (so one read of a long range serves shorter
    windows inside it). Each increase over
    the running maximum so far is assumed to have accrued evenly since the
    previous observation, so only the part of it that falls inside the window
    counts; the very first observation ever counts as the rise since
    publication (spread from `published`). Decreases (an un-star, a removed
    upvote) count as zero, and the running maximum keeps a count that dips and
    recovers from being counted twice.
    """
    if baseline is not None:
        prev_max, prev_t = baseline
    else:
        prev_max, prev_t = 0.0, (published if published is not None else math.inf)
    rise = 0.0
    for t, value in observations:
        if t < start:
            prev_max, prev_t = max(prev_max, value), t
            continue
        inc = value - prev_max
        if inc > 0:
            if prev_t < t:
                inc *= (t - max(prev_t, start)) / (t - prev_t)
            rise += inc
            prev_max = value
        prev_t = t
    return max(0.0, rise)


@dataclass(slots=True)
class Scored:
    """One paper's score with everything needed to explain it."""

    paper_id: str
    score: float
    contributions: dict[str, float] = field(default_factory=dict)  # summands of `score`
    rises: dict[str, float] = field(default_factory=dict)  # raw in-window rise per kind
    age_days: int = 0
    decay: float = 1.0


def quantile(values: Sequence[float], q: float) -> float:
    """Nearest-rank quantile of a non-empty sequence (no interpolation: stable and simple)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[index]


def scales(rises: dict[str, dict[str, float]], config: TrendingConfig) -> dict[str, float]:
    """Per-kind normalisation scale: the window's q-quantile of log1p(rise), floored.

    Per kind, so HF upvotes in the hundreds and page views in the single digits
    both map their busiest papers to about 1.0 and no source dominates.
    """
    by_kind: dict[str, list[float]] = defaultdict(list)
    for kinds in rises.values():
        for kind, value in kinds.items():
            if value > 0:
                by_kind[kind].append(math.log1p(value))
    out = {}
    for kind, logs in by_kind.items():
        out[kind] = max(quantile(logs, config.quantile), math.log1p(config.floor(kind)))
    return out


def score_papers(
    rises: dict[str, dict[str, float]],
    ages: dict[str, int],
    window: str,
    config: TrendingConfig,
    kind_scales: dict[str, float] | None = None,
) -> list[Scored]:
    """Score every candidate in `ages` and rank: score desc, then newest, then id.

    `rises` may omit papers (no signals: recency only) and kinds (a paper with
    only GitHub stars is scored on stars alone, never penalised for the rest).
    """
    kind_scales = scales(rises, config) if kind_scales is None else kind_scales
    half_life = config.half_life(window)
    out = []
    for paper_id, age in ages.items():
        d = decay(age, half_life)
        paper_rises = {k: v for k, v in rises.get(paper_id, {}).items() if v > 0}
        weighted = {}
        for kind in sorted(paper_rises):
            weight = config.weight(kind)
            scale = kind_scales.get(kind)
            if weight > 0 and scale:
                weighted[kind] = weight * math.log1p(paper_rises[kind]) / scale
        # The strongest signal counts in full, every further one at `secondary_weight`:
        # corroboration helps, but a paper without code (no stars) is not sunk by it.
        ordered = sorted(weighted, key=lambda k: (-weighted[k], k))
        contributions = {
            kind: d * weighted[kind] * (1.0 if i == 0 else config.secondary_weight) for i, kind in enumerate(ordered)
        }
        contributions["recency"] = d * config.recency_weight
        out.append(Scored(paper_id, math.fsum(contributions.values()), contributions, paper_rises, age, d))
    # Two stable sorts: id descending (newer arXiv ids first) breaks the remaining ties.
    out.sort(key=lambda s: s.paper_id, reverse=True)
    out.sort(key=lambda s: (-s.score, s.age_days))
    return out
