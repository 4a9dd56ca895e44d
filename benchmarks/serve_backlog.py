"""`paperfeed serve` on a freshly ingested, unembedded library, with the real model: when does it listen,
and when is the newest day semantic?

    python benchmarks/serve_backlog.py                      # the 5,262-paper mixed-schema listing
    python benchmarks/serve_backlog.py --file ../shared/data/arxiv/listings-2025-03-to-2026-07.jsonl.gz --limit 180

It ingests `--file` into a fresh data dir with `paperfeed ingest file` (as a new
user would), starts `paperfeed serve` (default settings: MiniLM in numpy,
passages on) and reports, by the wall clock from the moment serve was spawned:
when /healthz first answered, and, polling /api/v1/stats once a second, when
the newest published day was fully embedded (`semantic_coverage.complete_since`
at or before it) and how many papers were embedded then and at the end of
`--limit` seconds. The load average is printed: on a shared machine every
figure here depends on it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FILE = REPO.parent / "shared" / "data" / "arxiv" / "listings-mixed-schemas-2025.jsonl"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(data: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "paperfeed", "--data-dir", str(data), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--file", type=Path, default=DEFAULT_FILE)
    ap.add_argument("--limit", type=float, default=300.0, help="stop measuring after this many seconds")
    args = ap.parse_args()
    if not args.file.exists():
        sys.exit(f"{args.file} is absent (it sits in ../shared beside the repository)")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        dead = f"http://127.0.0.1:{_free_port()}"  # no network: the first-start probe fails fast
        env = dict(os.environ, PAPERFEED_ARXIV_OAI_URL=dead, PAPERFEED_ARXIV_API_URL=dead)
        env.update(PAPERFEED_ARXIV_RSS_URL=dead, PAPERFEED_HUGGINGFACE_URL=dead)
        env.pop("PAPERFEED_BASE_URL", None)
        t = time.monotonic()
        _cli(data, "ingest", "file", str(args.file), env=env)
        ingest_s = time.monotonic() - t
        stats = json.loads(_cli(data, "stats", "--json", env=env).stdout)
        newest_month = max(stats["by_month"])
        print(f"ingested {stats['papers']:,} papers in {ingest_s:.1f} s; newest month {newest_month}")
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "paperfeed", "--data-dir", str(data), "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            with httpx.Client(base_url=base, timeout=30) as client:
                while True:
                    try:
                        if client.get("/healthz", timeout=2).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if proc.poll() is not None:
                        sys.exit("serve exited")
                    time.sleep(0.1)
                healthz_s = time.monotonic() - start
                print(f"/healthz answered {healthz_s:.1f} s after serve was spawned")
                newest: date | None = None
                newest_done_s = None
                cov: dict = {}
                while time.monotonic() - start < args.limit:
                    cov = client.get("/api/v1/stats").json()["semantic_coverage"]
                    if newest is None:
                        ready = client.get("/readyz").json()
                        print(f"/readyz: status {ready['status']}, index lag {ready.get('index_lag')}")
                        daily = client.get("/api/v1/daily", params={"limit": 1}).json()  # the newest day
                        newest = date.fromisoformat(daily["start"])
                        print(f"newest published day: {newest} ({daily['total']} papers)")
                    since = cov.get("complete_since")
                    if newest_done_s is None and (
                        cov["complete"] or (since and newest and date.fromisoformat(since) <= newest)
                    ):
                        newest_done_s = time.monotonic() - start
                        print(
                            f"newest day fully semantic {newest_done_s:.1f} s after spawn: "
                            f"{cov['embedded']:,} of {cov['total']:,} papers embedded, complete since {since}"
                        )
                    if cov["complete"]:
                        break
                    time.sleep(1.0)
                elapsed = time.monotonic() - start
                print(f"after {elapsed:.0f} s: {cov.get('embedded', 0):,} of {cov.get('total', 0):,} embedded")
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
