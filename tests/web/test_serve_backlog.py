"""`paperfeed serve` on 5,000 unembedded papers: it listens at once and embeds newest first while serving.

A real `paperfeed serve` subprocess over a real SQLite store. The embedder is
`tests.search.embedders:SlowHashEmbedder` (set through PAPERFEED_EMBEDDER):
the real model would make this minutes of CPU, and its arithmetic is not what
is tested here; the slow one keeps the backlog busy long enough to be seen
half done on any machine. Live sources point at a closed loopback port, so the
first-start probe runs without network.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.search.synthetic import count_since, dated_corpus

from paperfeed.app import open_paperfeed
from paperfeed.config import Settings

ROOT = Path(__file__).resolve().parents[2]
EMBEDDER = "tests.search.embedders:SlowHashEmbedder"
NEWEST = date(2026, 6, 30)
DAYS = 25
N = 5000  # 200 papers a day
NOTICE = re.compile(
    r"^semantic matching covers papers since (\d{4}-\d\d-\d\d) \((\d+|<1|>99)%\); older papers match by keyword only$"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _published(hit: dict[str, Any]) -> date:
    return date.fromisoformat(hit["paper"]["published"])


@pytest.mark.slow
def test_serve_listens_at_once_and_the_newest_day_becomes_semantic_first(tmp_path: Path) -> None:
    data = tmp_path / "data"
    pf = open_paperfeed(Settings(data_dir=data, embedder=EMBEDDER))
    records = dated_corpus(N, DAYS, NEWEST)
    pf.store.upsert_papers(records)  # shuffled: arrival order is not date order
    pf.close()
    dead = f"http://127.0.0.1:{_free_port()}"
    env = dict(
        os.environ,
        PAPERFEED_EMBEDDER=EMBEDDER,
        PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        PAPERFEED_ARXIV_OAI_URL=dead,
        PAPERFEED_ARXIV_API_URL=dead,
        PAPERFEED_ARXIV_RSS_URL=dead,
        PAPERFEED_HUGGINGFACE_URL=dead,
    )
    env.pop("PAPERFEED_BASE_URL", None)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from paperfeed.cli import main; main()",
            "--data-dir",
            str(data),
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    lines: list[str] = []
    first_line = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            lines.append(raw.decode(errors="replace"))
            first_line.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        # The clock starts at serve's first line ("5000 papers in ..."): the interpreter and its imports
        # come before it whatever the store holds, and take 3-9 s on the shared 2-core box under load.
        # What follows it used to include embedding the whole backlog.
        assert first_line.wait(120), "serve printed nothing"
        started = time.monotonic()
        with httpx.Client(base_url=base, timeout=30) as client:
            while True:  # readiness: /healthz within 10 s (an upper bound, not a speed measurement)
                try:
                    if client.get("/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, "serve exited:\n" + "".join(lines)[-3000:]
                assert time.monotonic() - started < 10, "no /healthz 10 s after start:\n" + "".join(lines)[-3000:]
                time.sleep(0.05)
            first = client.get("/api/v1/stats").json()["semantic_coverage"]
            assert first["total"] == N and first["embedded"] < N  # listening before the backlog is done

            seen_newest_day_first = False
            deadline = time.monotonic() + 300
            while True:  # a bounded poll of the live server while the background job works
                probe = client.get(
                    "/api/v1/search", params={"q": "protein structure", "mode": "dense", "page_size": 100}
                )
                hybrid = client.get("/api/v1/search", params={"q": "protein structure"}).json()
                cov = client.get("/api/v1/stats").json()["semantic_coverage"]
                if cov["complete"]:
                    break
                since = cov["complete_since"]
                if since is not None:
                    since_day = date.fromisoformat(since)
                    # newest first: every paper from `since` on is embedded, none older than the day before
                    assert (
                        count_since(records, since_day)
                        <= cov["embedded"]
                        < count_since(records, since_day - timedelta(days=1))
                    )
                    # and the vector index itself holds nothing older (searched before the stats were read)
                    dense = probe.json()
                    dense_hits = dense["results"] if dense["mode"] == "dense" else []
                    assert all(_published(h) >= since_day - timedelta(days=1) for h in dense_hits)
                    if since_day <= NEWEST and hybrid["mode"] == "hybrid" and hybrid["notice"]:
                        seen_newest_day_first = True
                        assert NOTICE.match(hybrid["notice"]), hybrid["notice"]
                        page = client.get("/search", params={"q": "protein structure"}).text
                        assert "semantic matching covers papers since" in page
                assert time.monotonic() < deadline, f"the backlog did not finish: {cov}"
                time.sleep(0.2)
            assert seen_newest_day_first, "never saw the newest day semantic while older papers were pending"
            assert cov["embedded"] == N and cov["complete_since"] is None
            assert client.get("/api/v1/search", params={"q": "protein structure"}).json()["notice"] is None
            assert client.get("/readyz").json()["status"] == "ready"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        reader.join(timeout=10)
    text = "".join(lines)
    assert "semantic index: 0 of 5,000 papers embedded" in text, text[-3000:]
