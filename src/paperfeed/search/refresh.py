"""Catching the indexes up with the store, incrementally, by the store's `seq` counter.

One function serves `paperfeed index`, the scheduler and tests. Papers come in
`seq` order, so committing every few thousand with the last seq seen is a valid
resume point: a crash or Ctrl-C loses at most one batch of work, never data.
Embeddings are computed only for new or changed papers (the embedder's cache in
the store keys them by content), and a different embedder rebuilds the vectors.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from paperfeed.models import Paper
from paperfeed.search.backends import Backends
from paperfeed.store.base import Store

LEXICAL_BATCH = 5000
EMBED_BATCH = 256
VECTOR_COMMIT_EVERY = 4096


@contextmanager
def _bar(enabled: bool, label: str, total: int) -> Iterator[Callable[[int], None]]:
    if not enabled or total <= 0:
        yield lambda n: None
        return
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=False
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _batches(store: Store, after: int, size: int) -> Iterator[list[Paper]]:
    batch: list[Paper] = []
    for paper in store.iter_papers(after_seq=after, batch_size=1000):
        batch.append(paper)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def refresh_lexical(store: Store, backends: Backends, progress: bool = True) -> int:
    lexical = backends.lexical
    after, top = lexical.indexed_seq(), store.max_seq()
    if top <= after:
        return 0
    done = 0
    with _bar(progress, "keyword index", top - after) as advance:
        for batch in _batches(store, after, LEXICAL_BATCH):
            done += lexical.upsert(batch)
            lexical.commit(batch[-1].seq)
            advance(batch[-1].seq - after)
            after = batch[-1].seq
    return done


def embed_batch(store: Store, embedder: object, papers: list[Paper], passages: bool = True) -> np.ndarray:
    """Vectors for `papers` in order, through the store's embedding cache (only new texts are computed)."""
    from paperfeed.search.embed import embed_papers

    vectors = embed_papers(store, embedder, papers, progress=False, passages=passages)  # type: ignore[arg-type]
    return np.asarray(vectors, dtype=np.float32)


def refresh_vectors(
    store: Store, backends: Backends, embedder: object, progress: bool = True, passages: bool = True
) -> int:
    vectors = backends.vectors
    name, dim = embedder.name, int(embedder.dim)  # type: ignore[attr-defined]
    if vectors.embedder_name() != name or vectors.dim != dim:
        vectors.reset(name, dim)
    after, top = vectors.indexed_seq(), store.max_seq()
    if top <= after:
        return 0
    done = pending = 0
    with _bar(progress, f"embeddings ({name})", top - after) as advance:
        for batch in _batches(store, after, EMBED_BATCH):
            vectors.upsert([p.id for p in batch], embed_batch(store, embedder, batch, passages))
            done += len(batch)
            pending += len(batch)
            if pending >= VECTOR_COMMIT_EVERY:
                vectors.commit(batch[-1].seq)
                pending = 0
            advance(batch[-1].seq - after)
            after = batch[-1].seq
        vectors.commit(after)
    return done


def rerank_checkpoint(name: str) -> str:
    return f"rerank:{name}"


RERANK_BATCH = 32  # ~10-20 s of e5 work on one core: a time budget is checked this often


def refresh_rerank(store: Store, embedder: object, progress: bool = True, budget_s: float | None = None) -> int:
    """Cache the re-rank model's vector of every paper added or changed since its checkpoint.

    No index: the searcher reads these vectors for the few papers it re-scores.
    The checkpoint (last seq embedded) lives in the store beside the cache, so
    turning the model on later, or an interrupted run, resumes where it stopped.
    With `budget_s` it stops after the batch that used the budget up (the
    scheduler must not spend hours here before composing digests).
    """
    from paperfeed.search.embed import embed_papers

    name = embedder.name  # type: ignore[attr-defined]
    after, top = int(store.get_checkpoint(rerank_checkpoint(name)) or 0), store.max_seq()
    if top <= after:
        return 0
    done, start = 0, time.monotonic()
    with _bar(progress, f"embeddings ({name})", top - after) as advance:
        for batch in _batches(store, after, RERANK_BATCH):
            embed_papers(store, embedder, batch, progress=False, passages=False)  # type: ignore[arg-type]
            store.set_checkpoint(rerank_checkpoint(name), batch[-1].seq)
            done += len(batch)
            advance(batch[-1].seq - after)
            after = batch[-1].seq
            if budget_s is not None and time.monotonic() - start >= budget_s:
                break
    return done


def refresh_indexes(
    store: Store,
    backends: Backends,
    embedder: object | None,
    progress: bool = True,
    passages: bool = True,
    rerank: object | None = None,
    rerank_budget_s: float | None = None,
) -> int:
    """Bring both indexes up to date; returns how many papers the keyword index took in.

    `passages` also embeds each paper's passages into the cache (the searcher's re-scoring reads them);
    `rerank` (the optional second model) caches its vector of each paper.
    """
    n = refresh_lexical(store, backends, progress)
    if embedder is not None:
        refresh_vectors(store, backends, embedder, progress, passages)
    if rerank is not None:
        refresh_rerank(store, rerank, progress, rerank_budget_s)
    return n
