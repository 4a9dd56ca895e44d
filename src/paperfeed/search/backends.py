"""The two backend contracts the hybrid engine is built on.

The embedded pair (tantivy + usearch, `lexical.py` / `vectors.py`) is the
default; a server pair (PostgreSQL tsvector/GIN + pgvector HNSW) implements the
same two protocols and runs the same contract suite in ``tests/search/``.
Backends speak paper ids (strings) and the query AST from `query.py`, never an
engine's query syntax, so no user input can reach an engine parser.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from paperfeed.models import Paper
from paperfeed.search.query import ParsedQuery


@dataclass(slots=True)
class Ranked:
    """Ranked (paper id, score) pairs, best first, and how many matched in all."""

    ids: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    total: int = 0


class LexicalIndex(Protocol):
    """Keyword retrieval (BM25 or similar) plus the membership checks filters need."""

    def search(self, query: ParsedQuery, limit: int, offset: int = 0, order: str = "relevance") -> Ranked:
        """Matches of `query`: relevance = BM25 over the ranked words (must/must_not/filters
        restrict); order="date" = every match, newest first (free words then all required).
        A query without words lists everything that passes the filters, newest first."""
        ...

    def filter_ids(self, ids: Sequence[str], query: ParsedQuery) -> set[str]:
        """Those of `ids` that satisfy the query's must/must_not clauses and filters
        (its ranked words are ignored): how dense hits honour "phrases", -words and cat:."""
        ...

    def more_like_this(self, paper: Paper, limit: int) -> Ranked:
        """Papers sharing the most distinctive words of `paper` (itself excluded)."""
        ...

    def upsert(self, papers: Iterable[Paper]) -> int:
        """Add or replace these papers; returns how many. Durable once `commit` returns."""
        ...

    def commit(self, seq: int) -> None:
        """Make upserts durable and visible, and record the store `seq` they reach."""
        ...

    def indexed_seq(self) -> int:
        """The store `seq` this index has caught up to (0 when empty or rebuilt)."""
        ...

    def count(self) -> int: ...

    def close(self) -> None: ...


class VectorIndex(Protocol):
    """Nearest-neighbour search over L2-normalised paper embeddings (cosine)."""

    @property
    def dim(self) -> int:
        """Dimensions of the stored vectors; 0 while the index is empty."""
        ...

    def search(self, vector: np.ndarray, limit: int) -> Ranked:
        """The `limit` nearest papers; scores are cosine similarities (higher is closer)."""
        ...

    def get(self, paper_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of those ids that have one."""
        ...

    def upsert(self, paper_ids: Sequence[str], vectors: np.ndarray) -> None: ...

    def commit(self, seq: int, backlog: list[dict] | None = None) -> None:
        """Persist atomically and record the store `seq` below which every paper has a vector,
        and the walk above it still in progress (`search.backlog`, plain JSON), in the same save."""
        ...

    def indexed_seq(self) -> int: ...

    def backlog(self) -> list[dict]:
        """The walk recorded by the last `commit` ([] when caught up to `indexed_seq`)."""
        ...

    def embedder_name(self) -> str | None:
        """Which embedder made the stored vectors (a different one forces a rebuild)."""
        ...

    def reset(self, embedder_name: str, dim: int) -> None:
        """Drop every vector and start over for a (new) embedder."""
        ...

    def count(self) -> int: ...

    def is_empty(self) -> bool:
        """Whether no vector is stored (asked on every dense query: must be cheap, unlike an exact count)."""
        ...

    def close(self) -> None: ...


@dataclass(slots=True)
class Backends:
    """A lexical and a vector index that belong together (same data dir or same database)."""

    lexical: LexicalIndex
    vectors: VectorIndex

    def close(self) -> None:
        self.vectors.close()
        self.lexical.close()
