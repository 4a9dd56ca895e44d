"""The trending contract used by the web site, the API, digests and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

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
    ) -> list[TrendingEntry]: ...

    def explain(self, paper_id: str, window: Window = "day", day: date | None = None) -> TrendingEntry | None: ...

    def refresh(self, day: date | None = None) -> None: ...
