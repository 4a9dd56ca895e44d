"""The assembled service: settings, store, search and trending, wired once.

The CLI, the web app, the digest worker and the tests all build a `Paperfeed`
through `open_paperfeed`; it is the only place where the stages meet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from paperfeed.config import Settings
from paperfeed.store import Store, open_store

if TYPE_CHECKING:
    from paperfeed.search.base import Searcher
    from paperfeed.trending.base import Trending


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Paperfeed:
    settings: Settings
    store: Store
    _closers: list = field(default_factory=list)
    # "Now" for everything that depends on it (trending windows, the newest period, recorded
    # signals): injected so tests can move time instead of waiting for it.
    clock: Callable[[], datetime] = utc_now

    @cached_property
    def search(self) -> Searcher:
        from paperfeed.search import open_searcher

        searcher = open_searcher(self.settings, self.store)
        if hasattr(searcher, "close"):
            self._closers.append(searcher.close)
        return searcher

    @cached_property
    def trending(self) -> Trending:
        from paperfeed.trending import open_trending

        return open_trending(self.settings, self.store, clock=lambda: self.clock())

    def close(self) -> None:
        for close in reversed(self._closers):
            close()
        self.store.close()


def open_paperfeed(
    settings: Settings | None = None, migrate: bool | None = None, clock: Callable[[], datetime] | None = None
) -> Paperfeed:
    settings = settings or Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    pf = Paperfeed(settings=settings, store=open_store(settings, migrate=migrate))
    if clock is not None:
        pf.clock = clock
    return pf
