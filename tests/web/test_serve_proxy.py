"""Issue 16 against `paperfeed serve --workers 2` behind a (simulated) trusted proxy on loopback.

The proxy is this test: it connects from 127.0.0.1, the default `PAPERFEED_TRUSTED_PROXIES`,
and sends X-Forwarded-For / X-Forwarded-Proto as nginx would.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from tests.web.conftest import load_corpus

from paperfeed.app import open_paperfeed
from paperfeed.config import Settings
from paperfeed.web.engagement import EngagementLimits

PAPER = "2607.10004"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(data: Path, **env_extra: str) -> Iterator[str]:
    port = _free_port()
    # an http base URL, so that a Secure cookie can only come from the proxy's X-Forwarded-Proto
    env = dict(os.environ, PAPERFEED_EMBEDDER="none", PAPERFEED_BASE_URL="http://papers.example.org", **env_extra)
    cmd = [sys.executable, "-c", "from paperfeed.cli import main; main()", "--data-dir", str(data)]
    cmd += ["serve", "--no-prepare", "--workers", "2", "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        with httpx.Client(timeout=5) as client:
            while True:  # readiness by polling /healthz
                try:
                    if client.get(base + "/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "server did not become ready"
                time.sleep(0.1)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=30)


def _upvote_with_cleared_cookies(base: str, client_ip: str) -> tuple[str, str]:
    """One upvote as a brand-new visitor (empty cookie jar) behind the proxy; (status, Set-Cookie)."""
    headers = {"X-Forwarded-For": client_ip, "X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as visitor:
        page = visitor.get(f"/papers/{PAPER}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        # the cookies were set Secure (https at the proxy): httpx will not send them back over
        # plain http, so hand them over explicitly as the browser would over https
        cookies = "; ".join(f"{c.name}={c.value}" for c in visitor.cookies.jar)
        r = visitor.post(
            f"/upvote/{PAPER}",
            data={"csrf_token": token},
            headers={"Accept": "application/json", "Cookie": cookies},
        )
        return r.json()["status"], page.headers.get("set-cookie", "")


@pytest.mark.slow
def test_two_workers_share_the_upvote_cap_and_trust_the_proxy(tmp_path: Path) -> None:
    data = tmp_path / "data"
    pf = open_paperfeed(Settings(data_dir=data, embedder="none"))
    load_corpus(pf)
    pf.close()
    cap = EngagementLimits().upvotes_per_paper
    with served(data) as base:
        outcomes = [_upvote_with_cleared_cookies(base, "198.51.100.7") for _ in range(cap * 2 + 5)]
        other_network = _upvote_with_cleared_cookies(base, "203.0.113.9")
    statuses = Counter(status for status, _ in outcomes)
    assert statuses == {"recorded": cap, "network_cap": cap + 5}, statuses
    assert other_network[0] == "recorded"  # X-Forwarded-For is believed: a different network
    assert all("Secure" in cookie for _, cookie in outcomes)  # X-Forwarded-Proto is believed
    pf = open_paperfeed(Settings(data_dir=data, embedder="none"))
    try:
        assert pf.store.upvote_counts([PAPER]) == {PAPER: cap + 1}
    finally:
        pf.close()


@pytest.mark.slow
def test_forwarded_headers_from_an_untrusted_address_are_ignored(tmp_path: Path) -> None:
    data = tmp_path / "data"
    pf = open_paperfeed(Settings(data_dir=data, embedder="none"))
    load_corpus(pf)
    pf.close()
    with (
        served(data, PAPERFEED_TRUSTED_PROXIES="192.0.2.1", PAPERFEED_UPVOTES_PER_PAPER_PER_NETWORK="1") as base,
        httpx.Client(base_url=base, timeout=10) as c,
    ):
        # forged addresses from an untrusted peer: all one network (the peer's), so the cap of 1 holds
        statuses = [_upvote_with_cleared_cookies(base, f"198.51.{i}.7")[0] for i in range(3)]
        assert statuses == ["recorded", "network_cap", "network_cap"]
        r = c.get(f"/papers/{PAPER}", headers={"X-Forwarded-Proto": "https"})
        assert r.status_code == 200 and "pf_csrf=" in r.headers["set-cookie"]
        assert "Secure" not in r.headers["set-cookie"]
