"""Search test fixtures: a small real corpus in a real SQLite store, and the backend pairs.

`search_backends` is the seam for other backends: the PostgreSQL pair adds a
parameter ("postgres") that returns its own store and backends, and every
contract test in test_engine_contract.py then runs against it unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from tests.search.embedders import HashEmbedder

from paperfeed.app import Paperfeed
from paperfeed.models import PaperRecord
from paperfeed.search import embedded_backends
from paperfeed.search.backends import Backends
from paperfeed.search.engine import HybridSearcher
from paperfeed.store.base import Store

__all__ = ["HashEmbedder", "SearchPair", "load_records"]

TESTDATA = Path(__file__).resolve().parents[1] / "testdata" / "search"


def load_records(path: Path = TESTDATA / "papers.jsonl") -> list[PaperRecord]:
    records = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        d = json.loads(line)
        records.append(
            PaperRecord(
                id=d["id"],
                title=d["title"],
                abstract=d["abstract"],
                version=1,
                authors=d["authors"],
                categories=d["categories"],
                submitted=date.fromisoformat(d["submitted"]),
                source="test",
                origin=f"{path.name}:{n}",
            )
        )
    return records


@dataclass
class SearchPair:
    """A store and the backend pair that indexes it."""

    store: Store
    backends: Backends


@pytest.fixture(params=["embedded", pytest.param("postgres", marks=pytest.mark.postgres)])
def search_backends(request: pytest.FixtureRequest, pf: Paperfeed) -> Iterator[SearchPair]:
    """Each backend pair over a store holding the fixture corpus (add "postgres" here)."""
    if request.param == "embedded":
        pf.store.upsert_papers(load_records())
        backends = embedded_backends(pf.settings)
        yield SearchPair(pf.store, backends)
        backends.close()
    elif request.param == "postgres":  # tsvector/GIN + pgvector HNSW in a fresh database
        from paperfeed.search.postgres import postgres_backends
        from paperfeed.store import open_store_url

        store = open_store_url(request.getfixturevalue("pg_url"))
        store.upsert_papers(load_records())
        backends = postgres_backends(store)
        yield SearchPair(store, backends)
        backends.close()
        store.close()
    else:  # pragma: no cover - other pairs register themselves here
        raise ValueError(request.param)


@pytest.fixture
def searcher(search_backends: SearchPair) -> HybridSearcher:
    s = HybridSearcher(search_backends.store, search_backends.backends, embedder_loader=HashEmbedder)
    s.refresh(progress=False)
    return s


@pytest.fixture
def lexical_searcher(search_backends: SearchPair) -> HybridSearcher:
    s = HybridSearcher(
        search_backends.store,
        search_backends.backends,
        None,
        embedder_off_reason="semantic search is off (embedder=none)",
    )
    s.refresh(progress=False)
    return s
