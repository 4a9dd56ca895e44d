"""What a composed digest is, before it becomes an email. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from paperfeed.models import Paper


@dataclass(slots=True)
class DigestItem:
    paper: Paper
    reason: str  # one line: why this paper is here
    score: float = 0.0


@dataclass(slots=True)
class Digest:
    subscriber_id: int
    email: str
    period: str  # "daily:2026-11-03" or "weekly:2026-11-03" (the subscriber's local date)
    day: date
    frequency: str
    trending: list[DigestItem] = field(default_factory=list)
    for_you: list[DigestItem] = field(default_factory=list)

    @property
    def items(self) -> list[DigestItem]:
        return self.trending + self.for_you

    @property
    def paper_ids(self) -> list[str]:
        return [item.paper.id for item in self.items]

    def __len__(self) -> int:
        return len(self.trending) + len(self.for_you)
