"""Trending: what is rising now, from engagement signals, with every score explained.

Public face: `open_trending(settings, store)` returns a `Trending`
(``base.py``); the formula is in ``score.py`` (pure) and docs/trending.md.
"""

from __future__ import annotations

from paperfeed.config import Settings
from paperfeed.store import Store
from paperfeed.trending.base import Trending, TrendingEntry, Window
from paperfeed.trending.config import TrendingConfig
from paperfeed.trending.service import Clock, RefreshReport, StoreTrending

__all__ = ["RefreshReport", "StoreTrending", "Trending", "TrendingConfig", "TrendingEntry", "Window", "open_trending"]


def config_from(settings: Settings) -> TrendingConfig:
    """Defaults, with any ``PAPERFEED_TRENDING_*`` overrides applied (bad values name the setting)."""
    return TrendingConfig().with_overrides(
        half_lives=getattr(settings, "trending_half_lives", None) or None,
        weights=getattr(settings, "trending_weights", None) or None,
    )


def open_trending(settings: Settings, store: Store, clock: Clock | None = None) -> StoreTrending:
    return StoreTrending(store, config_from(settings), clock=clock)
