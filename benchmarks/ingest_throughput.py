"""Ingest throughput: parse and store the 74,728-paper arXiv listing file.

    python benchmarks/ingest_throughput.py [--file PATH] [--runs 3]

Each run ingests the whole file into a fresh SQLite data dir in a child
process (so peak RSS is that run's own), and the same is done for the first
half of the file: if reading streams, peak memory does not grow with size.
A parse-only pass (no store) runs in the same process as the baseline the
store's cost is compared against. Embedding is excluded (search's concern).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared/data/arxiv/listings-2025-03-to-2026-07.jsonl.gz"

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from paperfeed.ingest import ingest
from paperfeed.sources.files import FileSource
from paperfeed.store import open_store_url
path, data = Path(sys.argv[1]), Path(sys.argv[2])
store = open_store_url(f"sqlite:///{data}/paperfeed.db")
t0 = time.perf_counter()
report = ingest(store, FileSource(path))
dt = time.perf_counter() - t0
print(json.dumps({"papers": report.counts.new, "seconds": dt,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_child(path: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", CHILD, str(path), tmp], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def parse_only(path: Path) -> tuple[int, float]:
    from paperfeed.sources.files import FileSource

    t0 = time.perf_counter()
    n = sum(1 for _ in FileSource(path).read())
    return n, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", type=Path, default=DEFAULT)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if not args.file.exists():
        sys.exit(f"{args.file} not found (it lives in ../shared)")

    with tempfile.TemporaryDirectory() as tmp:
        half = Path(tmp) / "half.jsonl.gz"
        with gzip.open(args.file, "rt") as src:
            lines = src.readlines()
        with gzip.open(half, "wt") as dst:
            dst.writelines(lines[: len(lines) // 2])
        del lines

        full_runs = [run_child(args.file) for _ in range(args.runs)]
        half_runs = [run_child(half) for _ in range(args.runs)]
        parse_runs = [parse_only(args.file) for _ in range(args.runs)]

    def med(runs: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in runs)

    n_full = full_runs[0]["papers"]
    n_half = half_runs[0]["papers"]
    full_rate = statistics.median(r["papers"] / r["seconds"] for r in full_runs)
    half_rate = statistics.median(r["papers"] / r["seconds"] for r in half_runs)
    parse_rate = statistics.median(n / dt for n, dt in parse_runs)
    print(f"ingest throughput, median of {args.runs} runs each")
    print(f"{'input':<28}{'papers':>9}{'seconds':>10}{'papers/s':>11}{'peak RSS MB':>13}")
    print(
        f"{'parse only (no store)':<28}{parse_runs[0][0]:>9}{statistics.median(d for _, d in parse_runs):>10.2f}"
        f"{parse_rate:>11.0f}{'-':>13}"
    )
    print(
        f"{'half file -> SQLite':<28}{n_half:>9}{med(half_runs, 'seconds'):>10.2f}{half_rate:>11.0f}"
        f"{med(half_runs, 'rss_mb'):>13.0f}"
    )
    print(
        f"{'full file -> SQLite':<28}{n_full:>9}{med(full_runs, 'seconds'):>10.2f}{full_rate:>11.0f}"
        f"{med(full_runs, 'rss_mb'):>13.0f}"
    )
    print(
        f"store cost: full ingest runs at {full_rate / parse_rate:.2f}x the parse-only rate; "
        f"peak RSS full/half = {med(full_runs, 'rss_mb') / med(half_runs, 'rss_mb'):.2f}"
    )


if __name__ == "__main__":
    main()
