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


# -- the digest outbox: N workers, one killed mid-send --------------------------------

OUTBOX_ROWS = 240
T0 = "2025-03-05T07:00:00+00:00"
LEASE = "2025-03-05T07:30:00+00:00"


def _claimer(url: str, name: str, barrier, results, hold=None) -> None:  # a child process
    store = open_store_url(url, migrate=False)
    sent: list[int] = []
    try:
        if hold is not None:  # the victim: lease a batch, say so, then hang until killed
            rows = store.claim_outbox(name, T0, LEASE, limit=40)
            results.put((name, [r.id for r in rows], "claimed"))
            hold.wait()
            return
        barrier.wait(timeout=120)
        while True:
            rows = store.claim_outbox(name, T0, LEASE, limit=15)
            if not rows:
                if not any(status == "pending" for _, _, status, _ in store.outbox_summary()):
                    break
                mp.get_context("spawn").Event().wait(0.01)  # rows still leased elsewhere: look again shortly
                continue
            for row in rows:
                if store.finish_outbox(row.id, name, T0, lambda: None):
                    sent.append(row.id)
        results.put((name, sent, "sent"))
    finally:
        store.close()


def test_outbox_claims_across_processes_with_one_killed(pg_url: str) -> None:
    store = open_store_url(pg_url, migrate=False)
    ids = []
    for i in range(OUTBOX_ROWS):
        sub = store.create_subscriber(f"s{i}@example.org", T0)
        ids.append(
            store.add_outbox(
                {
                    "subscriber_id": sub.id,
                    "period": "daily:2025-03-05",
                    "kind": "digest",
                    "status": "pending",
                    "recipient": sub.email,
                    "subject": "papers",
                    "message": "m",
                    "paper_ids": [f"2503.{i:05d}"],
                    "next_attempt_at": T0,
                    "created_at": T0,
                }
            )
        )
    ctx = mp.get_context("spawn")
    barrier, results, hold = ctx.Barrier(4), ctx.Queue(), ctx.Event()
    victim = ctx.Process(target=_claimer, args=(pg_url, "victim", None, results, hold))
    victim.start()
    name, leased, what = results.get(timeout=120)
    assert (name, what, len(leased)) == ("victim", "claimed", 40)
    workers = [ctx.Process(target=_claimer, args=(pg_url, f"w{i}", barrier, results)) for i in range(3)]
    try:
        for w in workers:
            w.start()
        barrier.wait(timeout=120)
        victim.kill()  # dies holding 40 leases
        victim.join()
        assert store.release_claims(["victim"]) == 40  # what the supervisor does for a dead worker
        sent: dict[str, list[int]] = {}
        for _ in workers:
            name, got, what = results.get(timeout=300)
            sent[name] = got
        for w in workers:
            w.join()
        everything = [i for got in sent.values() for i in got]
        assert sorted(everything) == sorted(ids)  # every row sent exactly once
        assert all(len(got) > 0 for got in sent.values())  # SKIP LOCKED spreads the work
        assert {r.status for r in store.list_outbox(limit=OUTBOX_ROWS + 10)} == {"sent"}
        history = store.digest_history([store.get_outbox(i).subscriber_id for i in ids[:5]])
        assert all(len(seen) == 1 for seen, _ in history.values())
    finally:
        for p in (victim, *workers):
            if p.is_alive():
                p.kill()
        store.close()
