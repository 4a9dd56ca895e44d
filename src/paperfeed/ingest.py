"""The ingest job: drain a `Source` into the store in atomic, checkpointed batches.

One function serves the CLI and the scheduler. Each batch of records is
written in one transaction together with the source's position, so a run
killed at any moment (Ctrl-C, kill -9, power loss) leaves a consistent
database, and the next run resumes after the last stored batch. Re-reading
is harmless because upserts are idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from paperfeed.models import PaperRecord, Signal, UpsertResult
from paperfeed.sources.base import Rejection, Source
from paperfeed.store import Store


class StrictStop(RuntimeError):
    """Raised in --strict mode at the first rejected record."""

    def __init__(self, rejection: Rejection) -> None:
        super().__init__(str(rejection))
        self.rejection = rejection


@dataclass
class IngestReport:
    source: str
    counts: UpsertResult = field(default_factory=UpsertResult)
    signals: int = 0
    duplicates: int = 0  # lines merged into another line of the same batch
    rejections: list[Rejection] = field(default_factory=list)
    resumed: bool = False

    @property
    def seen(self) -> int:
        c = self.counts
        return c.new + c.updated + c.unchanged + c.rejected + self.duplicates

    def summary(self) -> str:
        c = self.counts
        text = f"{c.new} new, {c.updated} updated, {c.unchanged} unchanged, {c.rejected} rejected"
        if self.duplicates:
            text += f" ({self.duplicates} duplicate lines merged)"
        if self.signals:
            text += f", {self.signals} signals"
        return text


Progress = Callable[[Source, int], None]


def ingest(
    store: Store,
    source: Source,
    *,
    batch_size: int = 2000,
    strict: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Store everything `source` yields; returns counts and every rejection."""
    report = IngestReport(source=source.name)
    key = source.checkpoint_key
    resume = store.get_checkpoint(key) if key else None
    report.resumed = resume is not None
    records: list[PaperRecord] = []
    signals: list[Signal] = []
    lines_in_batch = 0

    def flush() -> None:
        nonlocal records, signals, lines_in_batch
        position = source.position()
        checkpoint = (key, position) if key and position is not None else None
        result = store.upsert_papers(records, checkpoint=checkpoint, signals=signals)
        report.duplicates += lines_in_batch - (result.new + result.updated + result.unchanged)
        report.counts.add(result)
        report.signals += len(signals)
        records, signals, lines_in_batch = [], [], 0
        if progress:
            progress(source, report.seen)

    for item in source.read(resume):
        if isinstance(item, Rejection):
            report.counts.rejected += 1
            report.rejections.append(item)
            if strict:
                flush()
                raise StrictStop(item)
        elif isinstance(item, Signal):
            signals.append(item)
        else:
            records.append(item)
            lines_in_batch += 1
        if len(records) + len(signals) >= batch_size:
            flush()
    flush()
    if key:
        final = source.position()
        if final is None:
            store.delete_checkpoint(key)
        else:
            store.set_checkpoint(key, final)
    return report
