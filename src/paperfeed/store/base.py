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

    # embedding cache -------------------------------------------------------------
    def get_embeddings(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        """Cached float32 vectors for the text hashes that have one under `model`."""
        ...

    def put_embeddings(self, model: str, items: dict[str, np.ndarray]) -> None:
        """Cache vectors by text hash; keys already cached for `model` keep their row."""
        ...

    def close(self) -> None: ...
