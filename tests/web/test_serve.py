"""`paperfeed serve --workers 2` as users start it: a separate process tree answering on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tests.web.conftest import load_corpus

from paperfeed.app import open_paperfeed
from paperfeed.config import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_with_two_workers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    pf = open_paperfeed(Settings(data_dir=data, embedder="none"))
    load_corpus(pf)
    pf.close()
    port = _free_port()
    env = dict(os.environ, PAPERFEED_EMBEDDER="none")
    env.pop("PAPERFEED_BASE_URL", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from paperfeed.cli import main; main()",
            "--data-dir",
            str(data),
            "serve",
            "--no-prepare",
            "--workers",
            "2",
            "--port",
            str(port),
            "--log-level",
            "info",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        with httpx.Client(timeout=5) as client:
            while True:  # readiness by polling /healthz
                try:
                    r = client.get(base + "/healthz")
                    if r.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "server did not become ready"
                time.sleep(0.1)
            assert r.json()["papers"] == 11
            home = client.get(base + "/")
            assert home.status_code == 200 and "Sparse Diffusion Transformers" in home.text
            assert client.get(base + "/api/papers/2607.10001").json()["id"] == "2607.10001"
            # the feed ids use the served address, passed to the workers through the environment
            assert f"{base}/papers/2607.10001" in client.get(base + "/feeds/daily.atom").text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    log = out.decode()
    assert log.count("Started server process") == 2, log[-3000:]
    assert "GET /healthz 200" in log
