"""Search latency at scale through the Python API: lexical, dense, hybrid, similar.

Corpus: the real 74,728-paper arXiv listing (../shared/data/arxiv), repeated
with varied ids (``<id>r<n>``) and dates (shifted back ``n`` x 97 days) to reach
``--papers``. Vectors: real all-MiniLM-L6-v2 vectors where ``--vectors`` gives
them (an .npz of ``keys`` = text_key(paper_text) and ``vectors``), derived for
the rest: a repeated paper gets a noisy copy of its original's vector, a paper
without one a noisy copy of a random real vector (or of a random unit vector
when there are none). Queries: 1,000 realistic ones built from real titles
(2-4 word spans, a quoted phrase, a category or year filter, an author).
Query embedding (real MiniLM on the CPU) is included in dense/hybrid latency.

    python benchmarks/search_latency.py build --papers 100000 --work-dir /tmp/bench-100k [--vectors V.npz]
    python benchmarks/search_latency.py query --work-dir /tmp/bench-100k [--queries 1000] [--json]

With ``--database-url postgresql://...`` both steps use server mode instead
(papers, tsvector/GIN and pgvector HNSW all live in that database; the work dir
stays empty): the same corpus, vectors and queries as the embedded run.

`build` prints ingest/index build times and disk sizes; `query` runs in a fresh
process so its peak RSS is what a serving process needs.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from paperfeed.app import open_paperfeed
from paperfeed.config import Settings
from paperfeed.models import PaperRecord

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
ARXIV = SHARED / "data" / "arxiv" / "listings-2025-03-to-2026-07.jsonl.gz"
DIM = 384
MODEL = "all-MiniLM-L6-v2"


def load_base(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def base_date(d: dict) -> date:
    raw = str(d.get("first_seen_listing_file_date") or "2025-06-01")[:10]
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return date(2025, 6, 1)


def records(base: list[dict], n: int):
    for i in range(n):
        d = base[i % len(base)]
        rep = i // len(base)
        pid = d["id"] if rep == 0 else f"{d['id']}r{rep}"
        day = base_date(d) - timedelta(days=97 * rep)
        yield PaperRecord(
            id=pid,
            title=d.get("title") or "",
            abstract=d.get("summary") or "",
            authors=list(d.get("authors") or []),
            categories=list(d.get("categories") or []),
            submitted=day,
            announced=day,
            source="bench",
        )


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def settings_for(args: argparse.Namespace, embedder: str) -> Settings:
    return Settings(data_dir=args.work_dir, embedder=embedder, database_url=args.database_url)


def postgres_sizes(pf) -> dict[str, float]:
    """MB on disk: the papers table with its keyword column and GIN index, the vectors with HNSW, the database."""
    from sqlalchemy import text

    with pf.store.engine.connect() as conn:

        def mb(sql: str) -> float:
            return round(int(conn.execute(text(sql)).scalar() or 0) / 1e6, 1)

        return {
            "papers_table_with_indexes": mb("SELECT pg_total_relation_size('papers')"),
            "gin_index": mb("SELECT pg_relation_size('ix_papers_search_tsv')"),
            "vectors_table_with_hnsw": mb("SELECT pg_total_relation_size('paper_vectors')"),
            "hnsw_index": mb("SELECT coalesce(pg_relation_size(to_regclass('ix_paper_vectors_hnsw')), 0)"),
            "database": mb("SELECT pg_database_size(current_database())"),
        }


def build(args: argparse.Namespace) -> None:
    from paperfeed.search import open_searcher
    from paperfeed.search.embed import paper_text, text_key
    from paperfeed.search.refresh import refresh_lexical

    settings = settings_for(args, "none")
    args.work_dir.mkdir(parents=True, exist_ok=True)
    pf = open_paperfeed(settings, migrate=True)  # a fresh PostgreSQL database gets the schema
    base = load_base(args.arxiv)
    out: dict[str, object] = {"papers": args.papers, "base_papers": len(base)}
    t = time.perf_counter()
    if pf.store.count_papers() < args.papers:
        batch: list[PaperRecord] = []
        for rec in records(base, args.papers):
            batch.append(rec)
            if len(batch) == 5000:
                pf.store.upsert_papers(batch)
                batch = []
        if batch:
            pf.store.upsert_papers(batch)
    out["ingest_s"] = round(time.perf_counter() - t, 1)
    backends = open_searcher(settings, pf.store).backends  # the embedded pair, or the server's
    t = time.perf_counter()
    refresh_lexical(pf.store, backends, progress=False)
    out["lexical_build_s"] = round(time.perf_counter() - t, 1)

    real: dict[str, np.ndarray] = {}
    if args.vectors:
        z = np.load(args.vectors)
        real = dict(zip([str(k) for k in z["keys"]], z["vectors"].astype(np.float32), strict=True))
    rng = np.random.default_rng(7)
    pool = np.stack(list(real.values())) if real else None
    vectors = backends.vectors
    t = time.perf_counter()
    if vectors.count() < args.papers:
        vectors.reset(MODEL, DIM)
        n_real = n_derived = 0
        ids: list[str] = []
        rows: list[np.ndarray] = []
        for i, rec in enumerate(records(base, args.papers)):
            key = text_key(paper_text(rec.title, rec.abstract))
            v = real.get(key)
            if v is not None and i < len(base):
                n_real += 1
            else:
                src = (
                    v
                    if v is not None
                    else (
                        pool[rng.integers(len(pool))]
                        if pool is not None
                        else rng.standard_normal(DIM).astype(np.float32)
                    )
                )
                v = src + rng.standard_normal(DIM).astype(np.float32) * (0.02 if pool is not None else 0.0)
                v = v / np.linalg.norm(v)
                n_derived += 1
            ids.append(rec.id)
            rows.append(v)
            if len(ids) == 10000:
                vectors.upsert(ids, np.stack(rows))
                ids, rows = [], []
        if ids:
            vectors.upsert(ids, np.stack(rows))
        vectors.commit(pf.store.max_seq())
        out["vectors_real"], out["vectors_derived"] = n_real, n_derived
    out["vector_build_s"] = round(time.perf_counter() - t, 1)
    idx = settings.index_dir
    if args.database_url:
        out["disk_mb"] = postgres_sizes(pf)
    else:
        out["disk_mb"] = {
            "lexical": round(du(idx / "lexical") / 1e6, 1),
            "vectors": round(du(idx / "vectors") / 1e6, 1),
            "keys": round(du(idx) / 1e6 - du(idx / "lexical") / 1e6 - du(idx / "vectors") / 1e6, 1),
            "database": round(sum(p.stat().st_size for p in args.work_dir.glob("paperfeed.db*")) / 1e6, 1),
        }
    out["build_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    backends.close()
    pf.close()
    print(json.dumps(out, indent=2))


def make_queries(base: list[dict], n: int, seed: int = 11) -> list[str]:
    """Realistic queries: title word spans, plus some phrases, filters and authors."""
    rnd = random.Random(seed)
    out = []
    while len(out) < n:
        d = base[rnd.randrange(len(base))]
        words = [w for w in (d.get("title") or "").replace(":", " ").split() if w.isalpha() and len(w) > 2]
        if len(words) < 2:
            continue
        k = rnd.randint(2, min(4, len(words)))
        start = rnd.randrange(len(words) - k + 1)
        q = " ".join(words[start : start + k]).lower()
        r = rnd.random()
        if r < 0.10:
            q = f'"{" ".join(words[start : start + 2]).lower()}"'
        elif r < 0.20 and d.get("categories"):
            q += f" cat:{d['categories'][0]}"
        elif r < 0.27:
            q += f" year:{rnd.choice([2025, 2026])}"
        elif r < 0.32 and d.get("authors"):
            q += f" au:{d['authors'][0].split()[-1]}"
        out.append(q)
    return out


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def query(args: argparse.Namespace) -> None:
    from paperfeed.search import open_searcher
    from paperfeed.search.base import SearchRequest

    settings = settings_for(args, args.embedder)
    pf = open_paperfeed(settings)
    t = time.perf_counter()
    searcher = open_searcher(settings, pf.store)
    top = pf.store.max_seq()
    behind = [
        name
        for name, index in (("keyword", searcher.backends.lexical), ("vector", searcher.backends.vectors))
        if index.indexed_seq() < top
    ]
    if behind:  # e.g. a new keyword-index schema reset it on open: timing an empty index measures nothing
        sys.exit(
            f"the {' and '.join(behind)} index is behind the store ({top} papers): catch it up first "
            "(refresh_lexical / paperfeed index) and run again"
        )
    base = load_base(args.arxiv)
    queries = make_queries(base, args.queries)
    del base
    searcher.search(SearchRequest(q="warm up", mode="hybrid"))
    out: dict[str, object] = {
        "papers": pf.store.count_papers(),
        "queries": len(queries),
        "open_s": round(time.perf_counter() - t, 2),
    }
    rnd = random.Random(5)
    n = pf.store.count_papers()
    from paperfeed.store import PaperQuery

    listing = PaperQuery(order="id", limit=200, offset=rnd.randrange(max(1, n - 200)))
    sample_ids = [p.id for p in pf.store.list_papers(listing)]
    modes = [m for m in ("lexical", "dense", "hybrid") if m in args.modes]
    notices = set()
    for mode in modes:
        lat, hits = [], 0
        for q in queries:
            searcher._query_vectors.clear()  # every query pays for its own embedding, as a fresh one would
            t = time.perf_counter()
            res = searcher.search(SearchRequest(q=q, mode=mode, page_size=20))
            lat.append((time.perf_counter() - t) * 1000)
            hits += len(res.hits)
            if res.notice:
                notices.add(res.notice)
        out[mode] = {
            "p50_ms": round(pct(lat, 50), 2),
            "p99_ms": round(pct(lat, 99), 2),
            "mean_ms": round(statistics.fmean(lat), 2),
            "hits_per_query": round(hits / len(queries), 1),
        }
    embedder = getattr(searcher, "embedder", None)
    if embedder is not None and {"dense", "hybrid"} & set(modes):
        lat = []  # the query-embedding share of dense/hybrid latency, for the breakdown
        for q in queries:
            t = time.perf_counter()
            embedder.embed_query(q)
            lat.append((time.perf_counter() - t) * 1000)
        out["embed_query"] = {
            "p50_ms": round(pct(lat, 50), 2),
            "p99_ms": round(pct(lat, 99), 2),
            "mean_ms": round(statistics.fmean(lat), 2),
        }
    if "similar" in args.modes:
        lat = []
        for i in range(len(queries)):
            t = time.perf_counter()
            searcher.similar(sample_ids[i % len(sample_ids)], k=10)
            lat.append((time.perf_counter() - t) * 1000)
        out["similar"] = {
            "p50_ms": round(pct(lat, 50), 2),
            "p99_ms": round(pct(lat, 99), 2),
            "mean_ms": round(statistics.fmean(lat), 2),
        }
    out["notices"] = sorted(notices)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    searcher.close()
    pf.close()
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"{out['papers']} papers, {out['queries']} queries, peak RSS {out['peak_rss_mb']} MB")
    print(f"{'kind':<10}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for kind in (*modes, "embed_query", "similar"):
        if kind in out:
            m = out[kind]
            print(f"{kind:<10}{m['p50_ms']:>10}{m['p99_ms']:>10}{m['mean_ms']:>10}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--papers", type=int, default=100_000)
    b.add_argument("--vectors", type=Path)
    q = sub.add_parser("query")
    q.add_argument("--queries", type=int, default=1000)
    q.add_argument("--embedder", default="minilm")
    q.add_argument("--modes", default="lexical,dense,hybrid,similar")
    q.add_argument("--json", action="store_true")
    for p in (b, q):
        p.add_argument("--work-dir", type=Path, required=True)
        p.add_argument("--arxiv", type=Path, default=ARXIV)
        p.add_argument("--database-url", default=None, help="postgresql://... for server mode (default: embedded)")
    args = ap.parse_args()
    if not args.arxiv.exists():
        sys.exit(f"{args.arxiv}: not found (the benchmark needs ../shared)")
    build(args) if args.cmd == "build" else query(args)


if __name__ == "__main__":
    main()
