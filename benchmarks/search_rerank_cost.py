"""What the hybrid's second stage costs per query: off, passages only (default), passages + re-rank model.

Needs a work dir whose cache holds the re-rank model's vectors, e.g. one made by
`PAPERFEED_RERANK_MODEL=e5-small paperfeed eval beir ../shared/data/scifact --work-dir D`.
The three settings run alternately over the same queries in one process (the box
is noisy: medians and ratios against the first setting are what to read). Query
vectors of both models are embedded afresh for every query (no query cache), as
for a user typing a new query.

    python benchmarks/search_rerank_cost.py --work-dir D [--queries 300]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from pathlib import Path

from paperfeed.app import open_paperfeed
from paperfeed.config import Settings
from paperfeed.search import open_searcher
from paperfeed.search.base import SearchRequest
from paperfeed.search.evaluate import read_queries
from paperfeed.search.fusion import RescoreParams

SCIFACT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "scifact"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work-dir", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=SCIFACT)
    ap.add_argument("--queries", type=int, default=300)
    args = ap.parse_args()
    queries = list(read_queries(args.data / "queries.jsonl").values())[: args.queries]
    settings = Settings(data_dir=args.work_dir, rerank_model="e5-small")
    pf = open_paperfeed(settings)
    searcher = open_searcher(settings, pf.store)
    searcher.refresh(progress=False)
    base = searcher.params
    configs = {
        "one stage (fuse only)": replace(base, rescore=RescoreParams(depth=0)),
        "passages (default)": replace(base, rescore=RescoreParams()),
        "passages + re-rank": replace(base, rescore=RescoreParams.with_rerank()),
    }
    times: dict[str, list[float]] = {name: [] for name in configs}
    searcher.search(SearchRequest(q="warm up"))
    for q in queries:
        for name, params in configs.items():
            searcher.params = params
            searcher._query_vectors.clear()
            t = time.perf_counter()
            searcher.search(SearchRequest(q=q))
            times[name].append((time.perf_counter() - t) * 1000)
    first = statistics.median(next(iter(times.values())))
    print(f"{len(queries)} queries, hybrid, page of 10; ms")
    print(f"{'setting':<24} {'p50':>7} {'p99':>7} {'p50 ratio':>10}")
    for name, ts in times.items():
        ts.sort()
        p50, p99 = statistics.median(ts), ts[min(len(ts) - 1, int(0.99 * len(ts)))]
        print(f"{name:<24} {p50:>7.1f} {p99:>7.1f} {p50 / first:>10.2f}")
    searcher.close()
    pf.close()


if __name__ == "__main__":
    main()
