"""Fixtures for the network sources: replaying captured responses, a loopback server, a fake clock.

Two ways to serve HTTP without the internet, each for its own kind of data:

* `replay` wraps the *real captured responses* in ../shared in an
  ``httpx.MockTransport`` (status, headers and body exactly as recorded);
* `loopback` is a real HTTP server on 127.0.0.1 for the small hand-written
  fixtures in tests/testdata/sources and for scripted failures (5xx, stalls).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from paperfeed.sources.http import HttpClient

TESTDATA = Path(__file__).resolve().parents[1] / "testdata" / "sources"


@dataclass
class Clock:
    """A fake monotonic clock; `sleep` records the wait and moves time on instead of waiting."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def testdata() -> Path:
    return TESTDATA


Reply = tuple[int, dict[str, str], bytes]
Route = Callable[[str, dict[str, str]], Reply]


@dataclass
class Replay:
    """Serves recorded replies through httpx.MockTransport and keeps every request it saw."""

    route: Route
    requests: list[httpx.Request] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        params = {k: v for k, v in request.url.params.items()}
        status, headers, body = self.route(request.url.path, params)
        return httpx.Response(status, headers=headers, content=body)

    def client(self, clock: Clock, **options: object) -> HttpClient:
        return HttpClient(transport=httpx.MockTransport(self.handler), sleep=clock.sleep, clock=clock, **options)


@pytest.fixture
def replay() -> Callable[[Route], Replay]:
    return Replay


@dataclass
class Loopback:
    """A real HTTP server on 127.0.0.1; `route` answers each GET, `hits` records (path, query)."""

    route: Route
    hits: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def client(self, clock: Clock | None = None, **options: object) -> HttpClient:
        if clock is not None:
            options.setdefault("sleep", clock.sleep)
            options.setdefault("clock", clock)
        options.setdefault("delay_s", 0.0)
        # an explicit transport also keeps any proxy settings of the environment out of the way
        return HttpClient(transport=httpx.HTTPTransport(), **options)


@pytest.fixture
def loopback() -> Iterator[Callable[[Route], Loopback]]:
    started: list[Loopback] = []

    def start(route: Route) -> Loopback:
        box = Loopback(route)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                box.hits.append((parts.path, params))
                status, headers, body = box.route(parts.path, params)
                if status == 0:  # stall: answer nothing until the test ends
                    box.release.wait(30)
                    return
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        box.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        box.server.daemon_threads = True
        threading.Thread(target=box.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        started.append(box)
        return box

    yield start
    for box in started:
        box.release.set()
        assert box.server is not None
        box.server.shutdown()
        box.server.server_close()


def read(path: Path) -> bytes:
    return path.read_bytes()
