"""Several processes writing one PostgreSQL database at once: no duplicates, no errors, nothing skipped.

Three processes ingest overlapping batches (the same ids, different versions,
the same checkpoint name) released together by a barrier. The end state must
equal a sequential ingest of the same records into SQLite, and an indexer
polling `iter_papers(after_seq=watermark)` meanwhile must not miss a change
(which it would if `seq` order differed from commit order).
"""

from __future__ import annotations

import multiprocessing as mp
from datetime import date
from pathlib import Path

import pytest

from paperfeed.models import PaperRecord, Signal
from paperfeed.store import open_store_url

pytestmark = pytest.mark.postgres

PROCESSES = 3
BATCHES = 8
BATCH = 150
STRIDE = 60  # batches of neighbouring processes overlap by BATCH - STRIDE ids


def record(n: int, proc: int) -> PaperRecord:
    """Deterministic content per (id, version), so any arrival order merges to one answer."""
    version = 1 + (n * 7 + proc) % 3
    return PaperRecord(
        id=f"2503.{n:05d}",
        title=f"Paper {n} v{version}",
        abstract=f"Abstract {n}, version {version}.",
        version=version,
        authors=[f"Author {n % 17}", f"Author {version}"],
        categories=["cs.CL", "cs.LG"] if n % 2 else ["cs.CV"],
        submitted=date(2025, 3, 1 + n % 20),
        updated=date(2025, 4, version),
        announced=date(2025, 3, 2 + n % 20),
        source=f"proc{proc}",
    )


def batches_of(proc: int) -> list[list[PaperRecord]]:
    out = []
    for b in range(BATCHES):
        start = b * BATCH // 2 + proc * STRIDE
        out.append([record(n, proc) for n in range(start, start + BATCH)])
    return out


def _worker(url: str, proc: int, barrier, errors) -> None:  # a child process
    store = open_store_url(url, migrate=False)
    try:
        barrier.wait(timeout=120)
        for i, batch in enumerate(batches_of(proc)):
            signals = [Signal(batch[0].id, "huggingface", "hf_upvotes", i, __import__("datetime").datetime.now())]
            store.upsert_papers(batch, checkpoint=("files:shared", {"proc": proc, "batch": i}), signals=signals)
    except Exception as exc:  # reported to the parent, which fails the test with it
        errors.put(f"process {proc}: {type(exc).__name__}: {exc}")
        raise
    finally:
        store.close()


def test_concurrent_overlapping_ingests(pg_url: str, tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES + 1)
    errors = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(pg_url, p, barrier, errors)) for p in range(PROCESSES)]
    for proc in procs:
        proc.start()
    store = open_store_url(pg_url, migrate=False)
    seen: dict[str, set[int]] = {}
    watermark = 0

    def poll() -> None:
        nonlocal watermark
        for paper in store.iter_papers(after_seq=watermark, batch_size=200):
            seen.setdefault(paper.id, set()).add(paper.seq)
            watermark = max(watermark, paper.seq)

    try:
        barrier.wait(timeout=120)
        while any(p.is_alive() for p in procs):
            poll()
            procs[0].join(timeout=0.02)
        for proc in procs:
            proc.join()
        poll()
        problems = []
        while not errors.empty():
            problems.append(errors.get())
        assert not problems, problems
        assert [p.exitcode for p in procs] == [0] * PROCESSES

        # The same records, one after another, into the embedded backend.
        reference = open_store_url(f"sqlite:///{tmp_path / 'ref.db'}")
        for proc in range(PROCESSES):
            for batch in batches_of(proc):
                reference.upsert_papers(batch)
        expected = {p.id: p for p in reference.iter_papers()}
        actual = {p.id: p for p in store.iter_papers()}
        assert len(actual) == store.count_papers() == len(expected)
        assert {i: p.content_hash for i, p in actual.items()} == {i: p.content_hash for i, p in expected.items()}
        mixed = store.get_papers(list(actual))
        assert {i: set(p.sources) for i, p in zip(actual, mixed, strict=True)} == {
            p.id: set(p.sources) for p in reference.get_papers(list(actual))
        }
        seqs = [p.seq for p in actual.values()]
        assert len(set(seqs)) == len(seqs)  # every change has its own number
        assert store.get_checkpoint("files:shared")["batch"] == BATCHES - 1
        assert store.stats().signals == PROCESSES * BATCHES
        # The polling indexer saw every paper at its final seq: nothing was committed behind its watermark.
        missed = [i for i, p in actual.items() if p.seq not in seen.get(i, set())]
        assert missed == []
        reference.close()
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.kill()
        store.close()
