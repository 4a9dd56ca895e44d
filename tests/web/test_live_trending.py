"""Signals count as soon as they are stored: a live server, a real upvote form, a real HF ingest.

Everything a user meets is real: uvicorn on loopback, the paper page's form with
its CSRF token and cookies, and ``paperfeed ingest hf`` run as a separate
process against a loopback server that answers like Hugging Face's daily-papers
API, writing into the same SQLite file while the site serves. Each check is a
bounded poll of the live server (15 s, the promise), not a sleep.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from tests.web.conftest import CORPUS
from tests.web.live import live_server

from paperfeed.app import Paperfeed
from paperfeed.models import Signal
from paperfeed.web.app import create_app

DAY = "2026-07-14"
PROMISE_S = 15.0


def poll(check: Callable[[], Any], timeout_s: float = PROMISE_S) -> tuple[Any, float]:
    """Call `check` until it returns something truthy; (that, seconds it took). Fails after `timeout_s`."""
    began = time.monotonic()
    last: Any = None
    while time.monotonic() - began < timeout_s:
        last = check()
        if last:
            return last, time.monotonic() - began
        threading.Event().wait(0.2)
    pytest.fail(f"not reflected within {timeout_s:.0f} s; last look: {last!r}")


def day_order(client: httpx.Client, base: str) -> list[str]:
    html = client.get(f"{base}/papers/date/{DAY}").text
    listing = html.split('id="listing-title"')[1].split("</section>")[0]
    return list(dict.fromkeys(re.findall(r'href="/papers/(\d{4}\.\d{5})"', listing)))


def upvote_through_the_page(base: str, paper_id: str) -> dict[str, Any]:
    """One visitor: open the paper page (cookies, CSRF token), press Upvote."""
    with httpx.Client(timeout=10.0) as visitor:
        page = visitor.get(f"{base}/papers/{paper_id}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, "the paper page has an upvote form with a CSRF token"
        r = visitor.post(
            f"{base}/upvote/{paper_id}", data={"csrf_token": token.group(1)}, headers={"Accept": "application/json"}
        )
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
def hf_like_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A loopback server answering ``/api/daily_papers`` with whatever list the test puts in."""
    answer: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(answer if "p=0" in self.path else []).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", answer
    finally:
        server.shutdown()
        server.server_close()


def test_an_upvote_and_an_hf_signal_move_the_lists_within_seconds(
    web_pf: Paperfeed, hf_like_server: tuple[str, list[dict[str, Any]]]
) -> None:
    upvoted, hf_paper = "2607.10008", "2607.10003"
    # An earlier HF import today saw 2 upvotes on `hf_paper` (the fixture's 2 are from July).
    web_pf.store.add_signals(
        [Signal(hf_paper, "huggingface", "hf_upvotes", 2, datetime.now(UTC) - timedelta(minutes=10))]
    )
    app = create_app(web_pf)
    with live_server(app) as base, httpx.Client(timeout=10.0) as reader:
        before = day_order(reader, base)
        assert before[:2] == ["2607.10001", "2607.10003"]  # 7 and 2 upvotes
        assert before.index(upvoted) > 1

        # 1. Three visitors upvote through the page: 3 > 2, so it passes 2607.10003 on that day's list.
        for _ in range(3):
            assert upvote_through_the_page(base, upvoted)["status"] == "recorded"

        def upvote_counted() -> Any:
            order = day_order(reader, base)
            why = reader.get(f"{base}/api/v1/trending/{upvoted}", params={"window": "day"}).json()
            moved = order.index(upvoted) == 1
            counted = why["rank"] >= 1 and "+3 upvotes here" in why["explanation"]
            return (order, why) if moved and counted else None

        (_order, why), took = poll(upvote_counted)
        assert why["paper"]["upvotes"] == 3 and why["breakdown"]["upvote"] > 0
        print(f"upvote reflected in {took:.2f} s")

        # 2. `paperfeed ingest hf`, a separate process, stores 60 HF upvotes for another paper while we serve.
        paper = next(json.loads(line) for line in CORPUS.read_text().splitlines() if hf_paper in line)
        hf_like_server[1].append(
            {
                "paper": {
                    "id": hf_paper,
                    "title": paper["title"],
                    "summary": paper["abstract"],
                    "publishedAt": f"{DAY}T00:00:00.000Z",
                    "upvotes": 60,
                    "authors": [{"name": a} for a in paper["authors"]],
                },
                "numComments": 0,
                "title": paper["title"],
            }
        )
        env = {
            **os.environ,
            "PAPERFEED_DATA_DIR": str(web_pf.settings.data_dir),
            "PAPERFEED_HUGGINGFACE_URL": hf_like_server[0],
            "PAPERFEED_EMBEDDER": "none",
            "PAPERFEED_REQUEST_DELAY_S": "0",
        }
        done = subprocess.run(
            [sys.executable, "-m", "paperfeed", "ingest", "hf", "--date", DAY, "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr

        def hf_counted() -> Any:
            order = day_order(reader, base)
            why = reader.get(f"{base}/api/v1/trending/{hf_paper}", params={"window": "day"}).json()
            on_top = order[0] == hf_paper
            counted = why["rank"] == 1 and "+58 Hugging Face upvotes" in why["explanation"]
            return (order, why) if on_top and counted else None

        (_order, why), took = poll(hf_counted)
        assert why["paper"]["upvotes"] == 60
        print(f"HF signal reflected in {took:.2f} s")
