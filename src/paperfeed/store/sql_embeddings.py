"""The embedding cache: one float32 vector per (text hash, model), in the `embeddings` table.

A mixin of `SqlStore` so SQL stays inside ``store/``. Vectors are keyed by a
hash of the embedded text, not by paper id: an unchanged text is never embedded
twice (re-ingestion, duplicates across sources), and a changed one gets a new
key, so stale vectors can never be served for new text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import insert, select

from paperfeed.store import schema as t

if TYPE_CHECKING:
    from sqlalchemy import Engine, Insert

_CHUNK = 900  # SQLite's bound-parameter limit is 999 on old builds
_F32_LE = np.dtype("<f4")


class EmbeddingsMixin:
    """`get_embeddings` / `put_embeddings` over the `embeddings` table (SQLite and PostgreSQL)."""

    engine: Engine
    write_engine: Engine

    def get_embeddings(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        """Cached vectors for the hashes that have one (float32, read-only views are copied)."""
        out: dict[str, np.ndarray] = {}
        wanted = list(dict.fromkeys(hashes))
        if not wanted:
            return out
        e = t.embeddings.c
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), _CHUNK):
                chunk = wanted[i : i + _CHUNK]
                rows = conn.execute(
                    select(e.content_hash, e.dim, e.vector).where(e.model == model, e.content_hash.in_(chunk))
                )
                for content_hash, dim, blob in rows:
                    vec = np.frombuffer(bytes(blob), dtype=_F32_LE)
                    if vec.shape[0] != dim:  # a torn or foreign row: treat as missing, it will be recomputed
                        continue
                    out[content_hash] = vec.astype(np.float32)
        return out

    def iter_embeddings(self, model: str, batch_size: int = 5000) -> Iterator[dict[str, np.ndarray]]:
        """Every cached vector of `model` in hash order, `batch_size` at a time (keyset paging: no OFFSET)."""
        e = t.embeddings.c
        last = ""
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(e.content_hash, e.dim, e.vector)
                    .where(e.model == model, e.content_hash > last)
                    .order_by(e.content_hash)
                    .limit(batch_size)
                ).all()
            if not rows:
                return
            out: dict[str, np.ndarray] = {}
            for content_hash, dim, blob in rows:
                vec = np.frombuffer(bytes(blob), dtype=_F32_LE)
                if vec.shape[0] == dim:
                    out[content_hash] = vec.astype(np.float32)
            last = rows[-1][0]
            yield out

    def put_embeddings(self, model: str, items: dict[str, np.ndarray]) -> None:
        """Store vectors; a key that is already cached keeps its row (same text, same model, same vector)."""
        if not items:
            return
        rows = []
        for content_hash, vector in items.items():
            vec = np.asarray(vector, dtype=_F32_LE).reshape(-1)
            if not np.all(np.isfinite(vec)):
                raise ValueError(f"embedding for {content_hash!r} ({model}) has non-finite values")
            rows.append(
                {"content_hash": content_hash, "model": model, "dim": int(vec.shape[0]), "vector": vec.tobytes()}
            )
        e = t.embeddings.c
        with self.write_engine.begin() as conn:
            for i in range(0, len(rows), _CHUNK):
                chunk = rows[i : i + _CHUNK]
                existing = set(
                    conn.execute(
                        select(e.content_hash).where(
                            e.model == model, e.content_hash.in_([r["content_hash"] for r in chunk])
                        )
                    ).scalars()
                )
                fresh = [r for r in chunk if r["content_hash"] not in existing]
                if fresh:
                    conn.execute(_insert_ignoring_duplicates(self.write_engine), fresh)


def _insert_ignoring_duplicates(engine: Engine) -> Insert:
    """INSERT that skips rows a concurrent writer stored first (both backends support ON CONFLICT)."""
    if engine.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(t.embeddings).on_conflict_do_nothing()
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(t.embeddings).on_conflict_do_nothing()
    return insert(t.embeddings)
