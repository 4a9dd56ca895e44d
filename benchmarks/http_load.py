"""HTTP load: search and home page on a 100k-paper corpus, served by `paperfeed serve --workers 2`.

    python benchmarks/http_load.py [--papers 100000] [--duration 10] [--clients 1,8,32]
                                   [--data-dir /tmp/paperfeed-http-bench] [--workers 2]

1. Builds (once, then reuses) a data dir holding the 74,728-paper arXiv listing
   file from ../shared plus derived copies (new ids, reworded title, sentences
   of the abstract reversed) up to ``--papers``, and its keyword index.
2. Starts ``paperfeed serve --workers N`` as a separate process tree.
3. Loads it from this second process over loopback with Debian's ``wrk``
   (one connection per simulated client, keep-alive, queries cycling through a
   fixed list), at each client count, for search (HTML page and JSON API) and
   the home page; prints requests/s, p50 and p99 and a markdown table.

Semantic vectors are not built (``PAPERFEED_EMBEDDER=none``): embedding 100k
abstracts on a 2-core CPU takes far longer than the benchmark, so search here
is the keyword path (tantivy BM25 + highlighting + page rendering).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from workload import LISTINGS, QUERIES

LUA = r"""
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "duration_us": %%d, "errors": %%d, "non2xx": %%d, ' ..
    '"p50_us": %%d, "p99_us": %%d}\n', summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50), latency:percentile(99)))
end
"""


def say(msg: str) -> None:
    print(msg, flush=True)


# -- corpus ---------------------------------------------------------------------------
def derived(record: dict, n: int) -> dict:
    """A plausible different paper: a new id, a reworded title, the abstract's sentences reversed."""
    out = dict(record)
    out["id"] = f"27{(n // 100000) % 100:02d}.{n % 100000:05d}"
    out.pop("abs", None)
    out.pop("pdf", None)
    out["title"] = f"Revisiting {record.get('title', '')}"
    summary = record.get("summary") or ""
    out["summary"] = ". ".join(reversed([s for s in summary.split(". ") if s]))
    return out


def build_corpus(data_dir: Path, papers: int) -> None:
    from paperfeed.app import open_paperfeed
    from paperfeed.config import Settings
    from paperfeed.ingest import ingest
    from paperfeed.sources.files import FileSource

    settings = Settings(data_dir=data_dir, embedder="none")
    pf = open_paperfeed(settings)
    try:
        have = pf.store.count_papers()
        if have < papers:
            t0 = time.perf_counter()
            report = ingest(pf.store, FileSource(LISTINGS))
            say(f"ingested listings: {report.counts.new} new in {time.perf_counter() - t0:.1f}s")
            missing = papers - pf.store.count_papers()
            if missing > 0:
                with tempfile.TemporaryDirectory() as tmp:
                    extra = Path(tmp) / "derived.jsonl.gz"
                    with gzip.open(LISTINGS, "rt") as src, gzip.open(extra, "wt") as dst:
                        for n, line in enumerate(src):
                            if n >= missing:
                                break
                            dst.write(json.dumps(derived(json.loads(line), n)) + "\n")
                    t0 = time.perf_counter()
                    report = ingest(pf.store, FileSource(extra, source_name="derived"))
                    say(f"ingested derived copies: {report.counts.new} new in {time.perf_counter() - t0:.1f}s")
        say(f"corpus: {pf.store.count_papers()} papers in {data_dir}")
        t0 = time.perf_counter()
        indexed = pf.search.refresh(progress=False)
        say(f"keyword index: {indexed} papers (re)indexed in {time.perf_counter() - t0:.1f}s")
    finally:
        pf.close()


# -- server ---------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, workers: int, port: int, threads: int | None = None) -> subprocess.Popen:
    env = dict(os.environ, PAPERFEED_EMBEDDER="none", PAPERFEED_DATA_DIR=str(data_dir))
    if threads:
        env["PAPERFEED_WEB_THREADS"] = str(threads)
    cmd = [
        sys.executable,
        "-c",
        "from paperfeed.cli import main; main()",
        "--data-dir",
        str(data_dir),
        "serve",
        "--no-prepare",
        "--workers",
        str(workers),
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    with httpx.Client(timeout=2) as client:
        while True:  # readiness by polling /healthz
            try:
                if client.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    return proc
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise SystemExit(f"server did not start: {err[-2000:]}")
            time.sleep(0.1)


def stop_server(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


# -- load -----------------------------------------------------------------------------
def wrk(base: str, paths: list[str], clients: int, duration: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA % ", ".join(json.dumps(p) for p in paths))
        script = f.name
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t",
                str(min(clients, 2)),
                "-c",
                str(clients),
                "-d",
                f"{duration}s",
                "--timeout",
                "10s",
                "-s",
                script,
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script)
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    r = json.loads(line.removeprefix("RESULT "))
    return {
        "rps": r["requests"] / (r["duration_us"] / 1e6),
        "p50_ms": r["p50_us"] / 1000,
        "p99_ms": r["p99_us"] / 1000,
        "requests": r["requests"],
        "errors": r["errors"] + r["non2xx"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    ap.add_argument("--clients", default="1,8,32")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "paperfeed-http-bench")
    ap.add_argument("--threads", type=int, default=None, help="handler threads per worker (PAPERFEED_WEB_THREADS)")
    ap.add_argument("--only", default="", help="comma-separated subset: search,api,home")
    args = ap.parse_args()
    if not LISTINGS.exists():
        sys.exit(f"{LISTINGS} not found (it lives in ../shared)")
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    clients = [int(c) for c in args.clients.split(",")]

    build_corpus(args.data_dir, args.papers)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(args.data_dir, args.workers, port, args.threads)
    from urllib.parse import quote_plus

    targets = {
        "search page (HTML)": [f"/search?q={quote_plus(q)}" for q in QUERIES],
        "search API (JSON)": [f"/api/v1/search?q={quote_plus(q)}" for q in QUERIES],
        "home page": ["/"],
    }
    if args.only:
        keys = {"search": "search page (HTML)", "api": "search API (JSON)", "home": "home page"}
        targets = {keys[k]: targets[keys[k]] for k in args.only.split(",")}
    rows = []
    try:
        with httpx.Client(timeout=30) as client:  # warm caches and every worker's searcher
            for paths in targets.values():
                for path in paths:
                    for _ in range(args.workers):
                        r = client.get(base + path)
                        if r.status_code != 200:
                            raise SystemExit(f"{path}: HTTP {r.status_code}: {r.text[:300]}")
        for name, paths in targets.items():
            for c in clients:
                res = wrk(base, paths, c, args.duration)
                rows.append((name, c, res))
                say(
                    f"{name:20s} clients={c:3d}  {res['rps']:8.1f} req/s  p50 {res['p50_ms']:7.1f} ms  "
                    f"p99 {res['p99_ms']:7.1f} ms  errors {res['errors']}"
                )
    finally:
        stop_server(proc)

    say("")
    say(
        f"| endpoint | clients | requests/s | p50 ms | p99 ms | errors |  ({args.papers:,} papers, "
        f"--workers {args.workers}, threads {args.threads or 'default'}, {args.duration}s each)"
    )
    say("|---|---:|---:|---:|---:|---:|")
    for name, c, res in rows:
        say(f"| {name} | {c} | {res['rps']:.1f} | {res['p50_ms']:.1f} | {res['p99_ms']:.1f} | {res['errors']} |")


if __name__ == "__main__":
    main()
