"""Trending's knobs, as one dataclass with defaults (documented in docs/trending.md).

Every number the formula uses lives here so that a deployment can retune it
(``PAPERFEED_TRENDING_HALF_LIVES='{"day": 2}'``, ``PAPERFEED_TRENDING_WEIGHTS='{"view": 0.1}'``)
without touching code, and so that tests can pin the formula against known values.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from paperfeed.models import CUMULATIVE_KINDS as _CUMULATIVE_KINDS
from paperfeed.models import EVENT_KINDS as _EVENT_KINDS

# Windows: name -> length in days (the window ends with the day it is computed for).
WINDOW_DAYS: dict[str, int] = {"day": 1, "week": 7, "month": 30}

# The signal kinds (defined with `Signal`, because the store's roll-ups need them too).
EVENT_KINDS = _EVENT_KINDS
CUMULATIVE_KINDS = _CUMULATIVE_KINDS


@dataclass(frozen=True, slots=True)
class TrendingConfig:
    """The formula's parameters; see docs/trending.md for what each one does and why."""

    # Paper-age half-life per window, in days: score x 0.5 for every half-life of age.
    half_lives: dict[str, float] = field(default_factory=lambda: {"day": 3.0, "week": 7.0, "month": 21.0})
    # Weight of each signal kind after normalisation (a kind's top papers score ~weight).
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "hf_upvotes": 1.0,
            "github_stars": 1.0,
            "upvote": 1.0,
            "hf_comments": 0.3,
            "click": 0.3,
            "view": 0.2,
        }
    )
    # The rise that counts as "a lot" at the least, per kind: the normalisation scale
    # never drops below log1p(floor), so one stray view on a quiet day is not a top score.
    floors: dict[str, float] = field(
        default_factory=lambda: {
            "hf_upvotes": 20.0,
            "github_stars": 50.0,
            "upvote": 5.0,
            "hf_comments": 5.0,
            "click": 5.0,
            "view": 20.0,
        }
    )
    # The strongest signal of a paper counts fully, every further one at this weight, so a
    # missing signal (no code, so no stars) costs at most this share of what it would add.
    secondary_weight: float = 0.5
    # Per-window percentile of log1p(rise) that maps to 1.0 (robust to one outlier).
    quantile: float = 0.95
    # Events from one network prefix beyond this many count only as sqrt(the rest).
    burst_free: float = 3.0
    # Every candidate also gets weight x decay(age): papers without signals rank by recency.
    recency_weight: float = 0.01
    # The newest papers (published on or before the day) always considered, so no list is empty.
    fallback_pool: int = 100

    def half_life(self, window: str) -> float:
        return float(self.half_lives.get(window, self.half_lives.get("week", 7.0)))

    def weight(self, kind: str) -> float:
        return float(self.weights.get(kind, 0.0))

    def floor(self, kind: str) -> float:
        return float(self.floors.get(kind, 1.0))

    def with_overrides(
        self, half_lives: dict[str, float] | None = None, weights: dict[str, float] | None = None
    ) -> TrendingConfig:
        """A copy where the given entries replace the defaults (unnamed entries are kept)."""
        changes: dict[str, Any] = {}
        if half_lives:
            bad = {k: v for k, v in half_lives.items() if k not in WINDOW_DAYS or not float(v) > 0}
            if bad:
                raise ValueError(f"trending half-lives: need day/week/month > 0 days, got {bad}")
            changes["half_lives"] = {**self.half_lives, **{k: float(v) for k, v in half_lives.items()}}
        if weights:
            known = set(EVENT_KINDS) | set(CUMULATIVE_KINDS)
            bad = {k: v for k, v in weights.items() if k not in known or float(v) < 0}
            if bad:
                raise ValueError(f"trending weights: need known signal kinds {sorted(known)} >= 0, got {bad}")
            changes["weights"] = {**self.weights, **{k: float(v) for k, v in weights.items()}}
        return replace(self, **changes) if changes else self
