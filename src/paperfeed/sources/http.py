"""A small, polite HTTP client for the live sources (arXiv, Hugging Face).

Why a wrapper around httpx at all: arXiv asks harvesters for one request
every 3 seconds and answers bursts with ``503 Retry-After``; a harvest of a
few thousand pages must sleep, retry and finally give up with a message the
user can act on, never a traceback. Everything time-related (``sleep``,
``clock``) and the network itself (``transport``) is injectable, so tests
replay real captured responses without really waiting.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from paperfeed import __version__
from paperfeed.config import Settings
from paperfeed.sources.base import SourceError

USER_AGENT = f"paperfeed/{__version__} (self-hosted paper discovery; httpx)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class HttpError(SourceError):
    """The server answered with an error status; `response` keeps the body for sources to explain."""

    def __init__(self, message: str, url: str, status: int, response: httpx.Response | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.response = response


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date; None if absent or garbled."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def _attempts(n: int) -> str:
    return "1 attempt" if n == 1 else f"{n} attempts"


def _hint(status: int) -> str:
    if status in (429, 503):
        return "the server asks us to slow down; wait a while and rerun the same command (the checkpoint is kept)"
    if status >= 500:
        return "the server is failing; try again later (the checkpoint is kept)"
    if status in (401, 403):
        return "access was refused; check the URL setting for this source"
    if status == 404:
        return "nothing at this address; check the URL setting for this source"
    return "the server refused the request; check the command's parameters"


class HttpClient:
    """GET with per-host spacing, timeouts, retries with backoff, and ``Retry-After``.

    One client is shared by every request of a source run, so the spacing
    (``delay_s`` between two requests to the same host) holds across pages.
    """

    def __init__(
        self,
        *,
        delay_s: float = 3.0,
        timeout_s: float = 30.0,
        retries: int = 3,
        backoff_s: float = 2.0,
        max_wait_s: float = 300.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.delay_s = delay_s
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_wait_s = max_wait_s
        self._sleep = sleep
        self._clock = clock
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout_s),
            headers={"User-Agent": user_agent},
            follow_redirects=True,
        )
        self.requests = 0  # how many requests went out (retries included), for reports and tests

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> HttpClient:
        options: dict[str, Any] = {"delay_s": settings.request_delay_s, "timeout_s": settings.http_timeout_s}
        options.update(overrides)
        return cls(**options)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------
    def _wait_turn(self, host: str) -> None:
        with self._lock:
            last = self._last.get(host)
            if last is not None and self.delay_s > 0:
                wait = self.delay_s - (self._clock() - last)
                if wait > 0:
                    self._sleep(wait)
            self._last[host] = self._clock()

    def _backoff(self, attempt: int) -> float:
        # exponential with a little jitter so many clients do not retry in lockstep
        return self.backoff_s * (2**attempt) * (1 + random.random() * 0.1)

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        """Return a 2xx response, or raise `HttpError` / `SourceError` with what to do next."""
        host = urlsplit(url).netloc
        try:
            shown = str(httpx.URL(url, params={k: v for k, v in (params or {}).items() if v is not None}))
        except httpx.InvalidURL as exc:
            raise SourceError(f"'{url}' is not a usable URL ({exc}); check the URL setting for this source") from None
        attempt = 0
        while True:
            self._wait_turn(host)
            self.requests += 1
            try:
                response = self._client.get(url, params={k: v for k, v in (params or {}).items() if v is not None})
            except httpx.UnsupportedProtocol as exc:
                raise SourceError(
                    f"'{shown}' is not an http(s) URL ({exc}); check the URL setting for this source"
                ) from None
            except httpx.TimeoutException:
                problem = f"no answer within {self.timeout_s:g} s"
                hint = "check the network, or raise PAPERFEED_HTTP_TIMEOUT_S"
                wait = self._backoff(attempt)
            except httpx.TransportError as exc:
                problem = f"could not connect ({type(exc).__name__}: {exc})"
                hint = "check the network connection and the URL setting for this source"
                wait = self._backoff(attempt)
            else:
                status = response.status_code
                if status < 400:
                    return response
                if status not in RETRY_STATUSES:
                    raise HttpError(f"{shown}: HTTP {status}; {_hint(status)}", shown, status, response)
                problem = f"HTTP {status}"
                hint = _hint(status)
                asked = retry_after_seconds(response.headers.get("Retry-After"))
                wait = asked if asked is not None else self._backoff(attempt)
                if wait > self.max_wait_s:
                    raise HttpError(
                        f"{shown}: HTTP {status} with Retry-After {wait:.0f} s (more than the {self.max_wait_s:.0f} s "
                        f"we wait); {hint}",
                        shown,
                        status,
                        response,
                    )
                if attempt >= self.retries:
                    raise HttpError(
                        f"{shown}: {problem} after {_attempts(attempt + 1)}; {hint}", shown, status, response
                    )
            if attempt >= self.retries:
                raise SourceError(f"{shown}: {problem} after {_attempts(attempt + 1)}; {hint}")
            self._sleep(wait)
            # a Retry-After wait already spaced this request out; do not add the polite delay on top
            with self._lock:
                self._last.pop(host, None)
            attempt += 1
