"""Helpers for trending tests: papers and signals written to a real SQLite store."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from paperfeed.models import PaperRecord, Signal
from paperfeed.store import Store

DAY = date(2026, 7, 31)


def at(d: date, hour: int = 12) -> datetime:
    return datetime.combine(d, time(hour), tzinfo=UTC)


def add_papers(store: Store, *specs: tuple[str, date, str]) -> None:
    """(id, published, category) -> stored papers."""
    store.upsert_papers(
        PaperRecord(
            id=pid, title=f"Paper {pid}", abstract="An abstract.", categories=[cat], announced=pub, source="test"
        )
        for pid, pub, cat in specs
    )


def sig(
    pid: str,
    kind: str,
    value: float,
    when: datetime,
    source: str = "huggingface",
    actor: str | None = None,
    network: str | None = None,
) -> Signal:
    return Signal(paper_id=pid, source=source, kind=kind, value=value, observed_at=when, actor=actor, network=network)
