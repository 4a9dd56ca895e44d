"""Upvotes and views from anonymous visitors, recorded as `Signal`s for trending.

Who is "one visitor": a random id in a signed cookie (no accounts). The
store keeps only keyed hashes of that id (`actor`) and of the IP prefix
(`network`, an IPv4 /24 or IPv6 /48), so the signals table never holds an address.

Abuse limits are counted in the signals table itself (`Store.add_signal_within`), so
every worker process and host of one install shares them, and the ones keyed on the
network hold however often a visitor clears its cookies (`EngagementLimits`, settings
``PAPERFEED_UPVOTES_PER_PAPER_PER_NETWORK`` and friends). Trending additionally counts
one actor's repeats once.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
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


class Engagement:
    """Records views and upvotes for one app instance."""

    def __init__(self, store: Store, limits: EngagementLimits | None = None) -> None:
        self.store = store
        self.limits = limits or EngagementLimits()
        self.views_seen = SeenSet()

    def upvote_counts(self, paper_ids: list[str]) -> dict[str, int]:
        counter = getattr(self.store, "upvote_counts", None)
        return counter(paper_ids) if counter else {}

    def signal_totals(self, paper_ids: list[str]) -> dict[str, dict[str, int]]:
        """Imported running totals per paper: ``github_stars`` and ``hf_comments`` (for the HF-shaped API)."""
        totals = getattr(self.store, "signal_totals", None)
        return totals(paper_ids, ("github_stars", "hf_comments")) if totals else {}

    def upvote_count(self, paper_id: str) -> int:
        return self.upvote_counts([paper_id]).get(paper_id, 0)

    def has_upvoted(self, paper_id: str, actor: str) -> bool:
        check = getattr(self.store, "has_signal", None)
        return bool(check and check(paper_id, "upvote", actor))

    def upvote(self, paper_id: str, actor: str, network: str) -> UpvoteOutcome:
        if self.has_upvoted(paper_id, actor):
            return UpvoteOutcome("already", self.upvote_count(paper_id))
        hour_ago = datetime.now(UTC) - timedelta(hours=1)
        refused = self.store.add_signal_within(
            _signal(paper_id, "upvote", actor, network),
            [
                SignalLimit("network_cap", "upvote", network, self.limits.upvotes_per_paper, paper_id=paper_id),
                SignalLimit("rate_limited", "upvote", network, self.limits.upvotes_per_hour, since=hour_ago),
            ],
        )
        return UpvoteOutcome(refused or "recorded", self.upvote_count(paper_id))

    def view(self, paper_id: str, actor: str, network: str) -> bool:
        """Record one view per visitor, paper and day; returns whether a row was written.

        Best effort: a view is a by-product of a read, so a failing write (full disk, locked
        or unreachable database) is logged and the page is served anyway.
        """
        if not self.views_seen.first_time((actor, paper_id, datetime.now(UTC).date())):
            return False
        hour_ago = datetime.now(UTC) - timedelta(hours=1)
        try:
            refused = self.store.add_signal_within(
                _signal(paper_id, "view", actor, network),
                [SignalLimit("views", "view", network, self.limits.views_per_hour, since=hour_ago)],
            )
        except Exception as exc:  # any storage failure must leave the read alone
            log.warning("view of %s not recorded: %s: %s", paper_id, type(exc).__name__, str(exc)[:200])
            return False
        return refused is None


def _signal(paper_id: str, kind: str, actor: str, network: str) -> Signal:
    return Signal(
        paper_id=paper_id,
        source="local",
        kind=kind,
        value=1.0,
        observed_at=datetime.now(UTC),
        actor=actor,
        network=network,
    )
