"""Upvotes and views from anonymous visitors, recorded as `Signal`s for trending.

Who is "one visitor": a random id in a signed cookie (no accounts). The
store keeps only keyed hashes of that id (`actor`) and of the IP prefix
(`network`), so the signals table never holds an address.

Abuse limits are in-process: a token bucket per IP prefix. With
``--workers N`` each worker keeps its own buckets, so the effective limit is
N times the configured one; that is a deliberate trade for having no shared
state. Trending additionally counts one actor's repeats once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from paperfeed.models import Signal
from paperfeed.store import Store


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class TokenBucket:
    """`rate` tokens per second up to `burst`, per key; bounded memory (LRU of keys)."""

    def __init__(self, rate: float, burst: float, max_keys: int = 50_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.pop(key, None) or _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            allowed = bucket.tokens >= 1.0
            if allowed:
                bucket.tokens -= 1.0
            self._buckets[key] = bucket
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return allowed


class SeenSet:
    """Remembers (actor, paper, day) for views so a reload does not write another row."""

    def __init__(self, max_items: int = 100_000) -> None:
        self.max_items = max_items
        self._items: OrderedDict[tuple[str, str, date], None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: tuple[str, str, date]) -> bool:
        with self._lock:
            if key in self._items:
                return False
            self._items[key] = None
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
            return True


@dataclass(slots=True)
class UpvoteOutcome:
    status: str  # "recorded", "already", "rate_limited"
    upvotes: int


class Engagement:
    """Records views and upvotes for one app instance."""

    def __init__(
        self,
        store: Store,
        upvote_rate: float = 0.2,
        upvote_burst: float = 20.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock or (lambda: datetime.now(UTC))  # the app's clock: tests move it
        self.upvote_limiter = TokenBucket(rate=upvote_rate, burst=upvote_burst)
        self.views_seen = SeenSet()

    def upvote_counts(self, paper_ids: list[str]) -> dict[str, int]:
        counter = getattr(self.store, "upvote_counts", None)
        return counter(paper_ids) if counter else {}

    def upvote_count(self, paper_id: str) -> int:
        return self.upvote_counts([paper_id]).get(paper_id, 0)

    def has_upvoted(self, paper_id: str, actor: str) -> bool:
        check = getattr(self.store, "has_signal", None)
        return bool(check and check(paper_id, "upvote", actor))

    def upvote(self, paper_id: str, actor: str, network: str) -> UpvoteOutcome:
        if self.has_upvoted(paper_id, actor):
            return UpvoteOutcome("already", self.upvote_count(paper_id))
        if not self.upvote_limiter.allow(network):
            return UpvoteOutcome("rate_limited", self.upvote_count(paper_id))
        self.store.add_signals([_signal(paper_id, "upvote", actor, network, self.clock())])
        return UpvoteOutcome("recorded", self.upvote_count(paper_id))

    def view(self, paper_id: str, actor: str, network: str) -> bool:
        """Record one view per visitor, paper and day; returns whether a row was written."""
        now = self.clock()
        if not self.views_seen.first_time((actor, paper_id, now.astimezone(UTC).date())):
            return False
        self.store.add_signals([_signal(paper_id, "view", actor, network, now)])
        return True


def _signal(paper_id: str, kind: str, actor: str, network: str, now: datetime) -> Signal:
    return Signal(
        paper_id=paper_id,
        source="local",
        kind=kind,
        value=1.0,
        observed_at=now,
        actor=actor,
        network=network,
    )
