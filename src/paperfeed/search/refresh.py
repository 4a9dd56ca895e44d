"""Catching the indexes up with the store, incrementally, by the store's `seq` counter.

One set of functions serves `paperfeed index`, the background job and tests.
The keyword index takes papers in `seq` order, so committing with the last seq
seen is a valid resume point. Vectors are embedded newest paper first
(`search.backlog`: the latest days become semantic first), saved with the
walk's position, so a crash or Ctrl-C loses at most the last few seconds of
work, never data. Embeddings are computed only for new or changed papers (the
embedder's cache in the store keys them by content), and a different embedder
rebuilds the vectors.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from paperfeed.models import Paper
from paperfeed.search.backends import Backends
from paperfeed.search.backlog import Backlog
from paperfeed.store.base import Store

LEXICAL_BATCH = 5000
EMBED_BATCH = 64  # papers per step: the unit of newest-first order, progress and the background slice
COMMIT_EVERY_S = 2.0  # save the vectors and the walk this often (what the web app sees), at most 5% of the time


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


REPORT_EVERY_S = 10.0  # without a terminal, one progress line this often


@contextmanager
def _reporter(progress: bool | Callable[[int, int], None], label: str, total: int) -> Iterator[Callable[[int], None]]:
    """Yields `advance(n)` for papers done: a callback, a Rich bar (papers/s, ETA) on a terminal,
    a line on stderr every `REPORT_EVERY_S` elsewhere (logs of a long `paperfeed index`), or nothing."""
    if callable(progress):
        count = 0

        def call(n: int) -> None:
            nonlocal count
            count += n
            progress(count, total)

        yield call
        return
    if not progress or total <= 0:
        yield lambda n: None
        return
    if sys.stderr.isatty():
        from rich.console import Console

        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            speed_estimate_period=60.0,
        )
        with bar:
            task = bar.add_task(label, total=total, rate="? papers/s")
            started = time.monotonic()
            done = 0

            def advance_bar(n: int) -> None:
                nonlocal done
                done += n
                rate = done / max(time.monotonic() - started, 1e-9)
                bar.update(task, advance=n, rate=f"{rate:,.1f} papers/s")

            yield advance_bar
        return
    started = last = time.monotonic()
    done = 0

    def advance_line(n: int) -> None:
        nonlocal done, last
        done += n
        now = time.monotonic()
        if now - last >= REPORT_EVERY_S or done >= total:
            last = now
            print(progress_line(label, done, total, now - started), file=sys.stderr, flush=True)

    yield advance_line


def progress_line(label: str, done: int, total: int, elapsed_s: float) -> str:
    """One log line, e.g. `embedding (model): 1,024/75,000 papers, 5.3 papers/s, ETA 3:55:10` (rate so far)."""
    rate = done / elapsed_s if elapsed_s > 0 else 0.0
    eta = "-:--:--"
    if rate > 0:
        secs = int((total - done) / rate)
        eta = f"{secs // 3600}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
    return f"{label}: {done:,}/{total:,} papers, {rate:,.1f} papers/s, ETA {eta}"


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
    store: Store,
    backends: Backends,
    embedder: object,
    progress: bool | Callable[[int, int], None] = True,
    passages: bool = True,
    budget_s: float | None = None,
    stop: Callable[[], bool] | None = None,
) -> int:
    """Embed the papers that lack a current vector, newest first; returns how many were embedded.

    The walk (`search.backlog`) is saved with the vectors at least every
    `COMMIT_EVERY_S` seconds and at the end, so a stop at any point resumes
    where the last save was. With `budget_s` it stops after the batch that used
    the budget up (the background job works in slices so that it can yield);
    `stop` is asked after each batch too (a server shutting down).
    `progress` is a bar/log (True), nothing (False) or a callback(done, total).
    """
    vectors = backends.vectors
    name, dim = embedder.name, int(embedder.dim)  # type: ignore[attr-defined]
    if vectors.embedder_name() != name or vectors.dim != dim:
        vectors.reset(name, dim)
    backlog = Backlog.load(vectors.indexed_seq(), vectors.backlog())
    backlog.extend(store.max_seq())
    if backlog.caught_up:
        return 0
    total = backlog.remaining(store)[0] if progress else 0
    done = 0
    start = last_save = time.monotonic()
    save_cost = 0.0
    with _reporter(progress, f"embedding ({name})", total) as advance:
        while True:
            batch = backlog.next_batch(store, EMBED_BATCH)
            if not batch:
                break
            papers = [p for _, p in batch]
            vectors.upsert([p.id for p in papers], embed_batch(store, embedder, papers, passages))
            backlog.mark_done(batch)
            done += len(papers)
            advance(len(papers))
            now = time.monotonic()
            out_of_budget = (budget_s is not None and now - start >= budget_s) or (stop is not None and stop())
            # Saving rewrites the whole usearch file: space saves out as the index grows.
            if now - last_save >= max(COMMIT_EVERY_S, 20 * save_cost) and not out_of_budget:
                backlog.settle()
                vectors.commit(backlog.seq, backlog.dump())
                last_save = time.monotonic()
                save_cost = last_save - now
            if out_of_budget:
                break
        backlog.settle()
        vectors.commit(backlog.seq, backlog.dump())
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
