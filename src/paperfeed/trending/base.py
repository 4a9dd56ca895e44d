"""The trending contract used by the web site, the API, digests and the CLI."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Protocol

from paperfeed.models import Paper

Window = Literal["day", "week", "month"]


@dataclass(slots=True)
class TrendingEntry:
    paper: Paper
    rank: int  # 1 = top; 0 from `explain` when the paper is not on that list (the explanation says why)
    score: float
    # signal name -> contribution to `score` (after normalisation and decay)
    breakdown: dict[str, float] = field(default_factory=dict)
    explanation: str = ""  # one line: "why is this trending"
    # signal name -> raw rise inside the window (what the explanation's counts are rounded from)
    rises: dict[str, float] = field(default_factory=dict)


class Trending(Protocol):
    def list(
        self,
        window: Window = "day",
        day: date | None = None,
        category: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> builtins.list[TrendingEntry]: ...

    def explain(self, paper_id: str, window: Window = "day", day: date | None = None) -> TrendingEntry | None: ...

    def refresh(self, day: date | None = None) -> Any:
        """Roll up new signals and bring `day`'s lists up to date; returns a report (`service.RefreshReport`)."""
        ...

    def catch_up(self) -> int:
        """Fold signals stored since the last look into the per-day roll-up; returns how many."""
        ...

    def range(
        self, since: date, until: date, category: str | None = None, limit: int = 50, offset: int = 0
    ) -> builtins.list[TrendingEntry]: ...
