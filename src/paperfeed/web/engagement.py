"""Upvotes and views from anonymous visitors, recorded as `Signal`s for trending.

Who is "one visitor": a random id in a signed cookie (no accounts). The
store keeps only keyed hashes of that id (`actor`) and of the IP prefix
(`network`, an IPv4 /24 or IPv6 /48), so the signals table never holds an address.

Abuse limits are counted in the signals table itself (`Store.add_signal_within`), so
every worker process and host of one install shares them, and the ones keyed on the
network hold however often a visitor clears its cookies (`EngagementLimits`, settings
``PAPERFEED_UPVOTES_PER_PAPER_PER_NETWORK`` and friends). Trending additionally counts
one actor's repeats once. Views are queued and written in batches by a background thread
(`ViewLog`), so logging one can neither fail nor slow the page that caused it.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from paperfeed.models import Signal, SignalLimit
from paperfeed.store.base import Store

log = logging.getLogger("paperfeed.web")


@dataclass(frozen=True, slots=True)
class EngagementLimits:
    """How much one network (IPv4 /24, IPv6 /48) may add; every worker shares the counts."""

    upvotes_per_paper: int = 10  # ever, per paper: a lab behind one NAT, not a cookie-clearing script
    upvotes_per_hour: int = 60  # across all papers
    views_per_hour: int = 600  # view rows written; reads past it are served, just not logged

    @classmethod
    def from_settings(cls, settings: Any) -> EngagementLimits:
        return cls(
            upvotes_per_paper=settings.upvotes_per_paper_per_network,
            upvotes_per_hour=settings.upvotes_per_network_per_hour,
            views_per_hour=settings.views_per_network_per_hour,
        )


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
    status: str  # "recorded", "already", "rate_limited", "network_cap"
    upvotes: int


class ViewLog:
    """Views queued in memory and written in batches by one background thread.

    A view is a by-product of a read: queuing costs the page a lock and an append, never
    a database write, so a busy writer, a full disk or an unreachable database can neither
    fail nor slow the page. A batch is written in one transaction, counted against the
    per-network limit there (so all workers share it); a batch that cannot be written is
    logged and dropped, and past `max_pending` queued views new ones are dropped too.
    """

    def __init__(
        self,
        store: Any,
        limits: EngagementLimits,
        batch: int = 200,
        interval_s: float = 2.0,
        max_pending: int = 10_000,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.limits = limits
        self.clock = clock or (lambda: datetime.now(UTC))
        self.batch = batch
        self.interval_s = interval_s
        self.max_pending = max_pending
        self.dropped = 0
        self._pending: list[Signal] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None

    def add(self, signal: Signal) -> bool:
        """Queue one view; False when the queue is full and it was dropped."""
        with self._lock:
            if len(self._pending) >= self.max_pending:
                self.dropped += 1
                return False
            self._pending.append(signal)
            full = len(self._pending) >= self.batch
            if self._thread is None and not self._stop:
                self._thread = threading.Thread(target=self._run, name="paperfeed-views", daemon=True)
                self._thread.start()
        if full:
            self._wake.set()
        return True

    def flush(self) -> int:
        """Write everything queued now; returns how many views were stored (limits refuse the rest)."""
        with self._flush_lock:
            with self._lock:
                pending, self._pending = self._pending, []
            if not pending:
                return 0
            hour_ago = self.clock() - timedelta(hours=1)
            items = [
                (v, [SignalLimit("views", "view", v.network or "", self.limits.views_per_hour, since=hour_ago)])
                for v in pending
            ]
            try:
                outcomes = self.store.add_signals_within(items)
            except Exception as exc:  # a view log must never take anything else down with it
                self.dropped += len(pending)
                log.warning("%d views not recorded: %s: %s", len(pending), type(exc).__name__, str(exc)[:200])
                return 0
            return sum(1 for o in outcomes if o is None)

    def close(self) -> None:
        """Stop the thread and write what is queued (app shutdown)."""
        self._stop = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait(self.interval_s)
            self._wake.clear()
            self.flush()


class Engagement:
    """Records views and upvotes for one app instance."""

    def __init__(
        self,
        store: Store,
        limits: EngagementLimits | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self._limits = limits or EngagementLimits()
        self.clock = clock or (lambda: datetime.now(UTC))  # the app's clock: tests move it
        self.views_seen = SeenSet()
        self.views = ViewLog(store, self._limits, clock=self.clock)

    @property
    def limits(self) -> EngagementLimits:
        return self._limits

    @limits.setter
    def limits(self, value: EngagementLimits) -> None:
        self._limits = value
        self.views.limits = value

    def close(self) -> None:
        self.views.close()

    def upvote_counts(self, paper_ids: list[str]) -> dict[str, int]:
        return self.store.upvote_counts(paper_ids)

    def signal_totals(self, paper_ids: list[str]) -> dict[str, dict[str, int]]:
        """Imported running totals per paper: ``github_stars`` and ``hf_comments`` (for the HF-shaped API)."""
        return self.store.signal_totals(paper_ids, ("github_stars", "hf_comments"))

    def upvote_count(self, paper_id: str) -> int:
        return self.upvote_counts([paper_id]).get(paper_id, 0)

    def has_upvoted(self, paper_id: str, actor: str) -> bool:
        return self.store.has_signal(paper_id, "upvote", actor)

    def upvote(self, paper_id: str, actor: str, network: str) -> UpvoteOutcome:
        if self.has_upvoted(paper_id, actor):
            return UpvoteOutcome("already", self.upvote_count(paper_id))
        hour_ago = self.clock() - timedelta(hours=1)
        refused = self.store.add_signal_within(
            _signal(paper_id, "upvote", actor, network, self.clock()),
            [
                SignalLimit("network_cap", "upvote", network, self.limits.upvotes_per_paper, paper_id=paper_id),
                SignalLimit("rate_limited", "upvote", network, self.limits.upvotes_per_hour, since=hour_ago),
            ],
        )
        return UpvoteOutcome(refused or "recorded", self.upvote_count(paper_id))

    def view(self, paper_id: str, actor: str, network: str) -> bool:
        """Queue one view per visitor, paper and day (`ViewLog`); returns whether it was queued.

        Never raises: a view is a by-product of a read and must not fail it.
        """
        try:
            now = self.clock()
            if not self.views_seen.first_time((actor, paper_id, now.astimezone(UTC).date())):
                return False
            return self.views.add(_signal(paper_id, "view", actor, network, now))
        except Exception as exc:
            log.warning("view of %s not queued: %s: %s", paper_id, type(exc).__name__, str(exc)[:200])
            return False


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
