"""The ingest job: drain a `Source` into the store in atomic, checkpointed batches.

One function serves the CLI and the scheduler. Each batch of records is
written in one transaction together with the source's position, so a run
killed at any moment (Ctrl-C, kill -9, power loss) leaves a consistent
database, and the next run resumes after the last stored batch. Re-reading
is harmless because upserts are idempotent.

Atomic per record for the user: parsers reject bad records one by one, a batch
the store still refuses is retried record by record (`_one_by_one`), and a
source that fails part way has what it read stored before the error is raised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from paperfeed.models import PaperRecord, Signal, UpsertResult
from paperfeed.sources.base import Rejection, Source, SourceError
from paperfeed.store import Store


class StrictStop(RuntimeError):
    """Raised in --strict mode at the first rejected record; `report` holds what was stored."""

    def __init__(self, rejection: Rejection, report: IngestReport | None = None) -> None:
        super().__init__(str(rejection))
        self.rejection = rejection
        self.report = report


class IngestFailed(SourceError):
    """The source failed part way (`cause`); `report` counts everything stored before it.

    A `SourceError` itself, so callers that only catch that keep working."""

    def __init__(self, cause: SourceError, report: IngestReport) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.report = report


@dataclass
class IngestReport:
    source: str
    counts: UpsertResult = field(default_factory=UpsertResult)
    signals: int = 0
    duplicates: int = 0  # lines merged into another line of the same batch
    rejections: list[Rejection] = field(default_factory=list)
    resumed: bool = False
    error: str | None = None  # why the run stopped early (the CLI sets it from IngestFailed / StrictStop)

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
        try:
            result = store.upsert_papers(records, checkpoint=checkpoint, signals=signals)
        except Exception as exc:
            if len(records) < 2:
                raise
            result = _one_by_one(store, records, checkpoint, signals, report, exc)
        report.duplicates += lines_in_batch - (result.new + result.updated + result.unchanged + result.rejected)
        report.counts.add(result)
        report.signals += len(signals)
        records, signals, lines_in_batch = [], [], 0
        if progress:
            progress(source, report.seen)

    try:
        for item in source.read(resume):
            if isinstance(item, Rejection):
                report.counts.rejected += 1
                report.rejections.append(item)
                if strict:
                    flush()
                    raise StrictStop(item, report)
            elif isinstance(item, Signal):
                signals.append(item)
            else:
                records.append(item)
                lines_in_batch += 1
            if len(records) + len(signals) >= batch_size:
                flush()
    except SourceError as exc:
        # What was read before the failure is as good as any batch: store it with the
        # position it was read up to, so the rerun resumes right after it.
        flush()
        raise IngestFailed(exc, report) from exc
    flush()
    if key:
        final = source.position()
        if final is None:
            store.delete_checkpoint(key)
        else:
            store.set_checkpoint(key, final)
    return report


def _one_by_one(
    store: Store,
    records: list[PaperRecord],
    checkpoint: tuple[str, Any] | None,
    signals: list[Signal],
    report: IngestReport,
    batch_error: Exception,
) -> UpsertResult:
    """Store a batch the store refused one record at a time, rejecting only the ones it refuses.

    Parsers check every field, so this is the last line of defence: one record the store
    cannot take must not cost the others in its batch. When no record can be stored the
    store itself is failing (disk full, connection lost), and the batch's error is raised
    so that nothing is reported as rejected that was fine.
    """
    total = UpsertResult()
    failures: list[Rejection] = []
    for record in records:
        try:
            total.add(store.upsert_papers([record]))
        except Exception as exc:
            failures.append(Rejection(record.origin or record.id, None, f"the store refused it: {_short(exc)}"))
    if len(failures) == len(records):
        raise batch_error
    total.add(store.upsert_papers([], checkpoint=checkpoint, signals=signals))
    total.rejected += len(failures)
    report.rejections.extend(failures)
    return total


def _short(exc: Exception) -> str:
    """An exception in one line, without the SQL statement and parameters SQLAlchemy appends."""
    inner = getattr(exc, "orig", None) or exc
    text = " ".join(str(inner).split("\n")[0].split())
    return f"{type(inner).__name__}: {text[:200]}"
