"""Search: the public face is `open_searcher` and the names in `base.py`.

Everything else in this package (query parser, backends, fusion, highlighting)
is an implementation detail behind the `Searcher` contract.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from paperfeed.config import Settings
from paperfeed.search.base import Hit, PaperNotFound, QueryError, Searcher, SearchRequest, SearchResults
from paperfeed.store.base import Store

if TYPE_CHECKING:
    from paperfeed.search.backends import Backends
    from paperfeed.search.embed import Embedder

__all__ = [
    "Hit",
    "PaperNotFound",
    "QueryError",
    "SearchRequest",
    "SearchResults",
    "Searcher",
    "drop_indexes",
    "embedded_backends",
    "open_searcher",
]


def embedded_backends(settings: Settings) -> Backends:
    """tantivy + usearch under ``settings.index_dir`` (the default, no server needed)."""
    from paperfeed.search.backends import Backends
    from paperfeed.search.keys import KeyMap
    from paperfeed.search.lexical import TantivyIndex
    from paperfeed.search.vectors import UsearchIndex

    root = settings.index_dir
    root.mkdir(parents=True, exist_ok=True)
    keys = KeyMap(root / "keys.jsonl")
    return Backends(lexical=TantivyIndex(root / "lexical", keys), vectors=UsearchIndex(root / "vectors", keys))


def drop_indexes(settings: Settings, store: Store) -> None:
    """Throw the search indexes away so the next refresh rebuilds them from the store (derived data only)."""
    if store.url.startswith("postgresql"):
        from paperfeed.search.postgres import drop_indexes as drop_postgres

        drop_postgres(store)  # type: ignore[arg-type]
    elif settings.index_dir.exists():
        import shutil

        shutil.rmtree(settings.index_dir)


def _embedder_loader(settings: Settings) -> Callable[[], Embedder]:
    def load() -> Embedder:
        from paperfeed.search.embed import load_embedder

        return load_embedder(settings.embedder, device=settings.embed_device)

    return load


def _rerank_loader(settings: Settings) -> Callable[[], Embedder | None]:
    def load() -> Embedder | None:
        from paperfeed.search.embed import load_rerank_embedder

        return load_rerank_embedder(settings.rerank_model)

    return load


def open_searcher(settings: Settings, store: Store, device: str | None = None) -> Searcher:
    """The configured searcher. ``embedder="none"`` means keyword search only; an
    embedder that cannot load degrades to keyword search with a notice, never an error."""
    from paperfeed.search.engine import HybridSearcher

    if device:
        settings = settings.model_copy(update={"embed_device": device})
    from paperfeed.search.embed import is_off
    from paperfeed.search.engine import EngineParams, RescoreParams

    searcher_cls = HybridSearcher
    rerank = not is_off(settings.rerank_model)
    params = EngineParams(rescore=RescoreParams.with_rerank() if rerank else RescoreParams())
    if not settings.passages:
        params = replace(params, passage_depth=0)
    rerank_loader = _rerank_loader(settings) if rerank else None
    if store.url.startswith("postgresql"):  # server mode: both indexes live in the shared database
        from paperfeed.search.postgres import PostgresSearcher, postgres_backends

        searcher_cls = PostgresSearcher
        backends = postgres_backends(store)  # type: ignore[arg-type]
    else:
        backends = embedded_backends(settings)
    if settings.embedder == "none":
        return searcher_cls(
            store, backends, None, params=params, embedder_off_reason="semantic search is off (embedder=none)"
        )
    return searcher_cls(store, backends, _embedder_loader(settings), params=params, rerank_loader=rerank_loader)
