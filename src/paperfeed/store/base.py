"""The storage contract every backend implements.

Callers depend on `Store` only; `open_store(settings)` picks SQLite or
PostgreSQL. The shared contract suite in ``tests/store/`` runs against both,
which is what keeps the two honest.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from paperfeed.models import Paper, PaperRecord, Signal, UpsertResult

if TYPE_CHECKING:
    import numpy as np


@dataclass(slots=True)
class PaperQuery:
    """Filters for listing papers; every field is optional."""

    since: date | None = None
    until: date | None = None
    category: str | None = None
    author: str | None = None
    order: str = "published"  # published (newest first) or id
    limit: int = 50
    offset: int = 0


@dataclass(slots=True)
class Stats:
    papers: int
    by_source: dict[str, int]
    by_category: dict[str, int]
    by_month: dict[str, int]
    signals: int


class Store(Protocol):
    """What the rest of paperfeed may ask of storage."""

    url: str

    # papers -----------------------------------------------------------------
    def upsert_papers(
        self,
        records: Iterable[PaperRecord],
        checkpoint: tuple[str, Any] | None = None,
        signals: Iterable[Signal] = (),
    ) -> UpsertResult:
        """Insert or update one batch atomically.

        Records with the same id inside the batch are merged first. The
        `checkpoint` and `signals` are written in the same transaction, so a
        crash can never store the batch without its checkpoint or vice versa.
        """
        ...

    def get_paper(self, paper_id: str) -> Paper | None: ...

    def get_papers(self, paper_ids: list[str]) -> list[Paper]:
        """Papers in the order asked for; unknown ids are left out."""
        ...

    def list_papers(self, query: PaperQuery) -> list[Paper]: ...

    def count_papers(self, query: PaperQuery | None = None) -> int: ...

    def iter_papers(self, after_seq: int = 0, batch_size: int = 1000) -> Iterator[Paper]:
        """Every paper changed after `after_seq`, in `seq` order (for indexers)."""
        ...

    def max_seq(self) -> int: ...

    def paper_versions(self, paper_id: str) -> list[dict[str, Any]]: ...

    def stats(self) -> Stats: ...

    # checkpoints --------------------------------------------------------------
    def get_checkpoint(self, name: str) -> Any | None: ...

    def set_checkpoint(self, name: str, value: Any) -> None: ...

    def delete_checkpoint(self, name: str) -> None: ...

    # signals ------------------------------------------------------------------
    def add_signals(self, signals: Iterable[Signal]) -> int: ...

    # trending (store/sql_signals.py): signal reads and materialised lists ---------
    def event_signals(self, start: str, end: str, kinds: Iterable[str]) -> list[tuple[Any, ...]]:
        """(paper_id, kind, value, actor, network) of events observed in [start, end), in id order."""
        ...

    def cumulative_signals(self, start: str, end: str, kinds: Iterable[str]) -> list[tuple[Any, ...]]:
        """(paper_id, kind, source, value, observed_at) in [start, end), oldest first per series."""
        ...

    def cumulative_baselines(
        self, start: str, end: str, kinds: Iterable[str]
    ) -> dict[tuple[str, str, str], tuple[float, str]]:
        """(paper, kind, source) -> (max value, last observed_at) before `start`, for series seen in the window."""
        ...

    def signal_changes_since(self, signal_id: int) -> tuple[int, str | None]: ...

    def paper_changes_since(self, seq: int) -> tuple[int, str | None]: ...

    def published_dates(self, paper_ids: list[str], until: date) -> dict[str, str | None]: ...

    def recent_published(self, since: date, until: date, pool: int) -> dict[str, str]: ...

    def replace_trending(
        self, window: str, day: date, rows: list[tuple[str, int, float, str]], meta: dict[str, Any], computed_at: str
    ) -> None: ...

    def trending_meta(self, window: str, day: date) -> dict[str, Any] | None: ...

    def trending_page(
        self, window: str, day: date, category: str | None, limit: int, offset: int
    ) -> list[tuple[str, int, float, str]]: ...

    def trending_row(self, window: str, day: date, paper_id: str) -> tuple[str, int, float, str] | None: ...

    def drop_trending(self, from_day: date, keep: date | None = None) -> int: ...

    # embedding cache -------------------------------------------------------------
    def get_embeddings(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        """Cached float32 vectors for the text hashes that have one under `model`."""
        ...

    def put_embeddings(self, model: str, items: dict[str, np.ndarray]) -> None:
        """Cache vectors by text hash; keys already cached for `model` keep their row."""
        ...

    def close(self) -> None: ...
