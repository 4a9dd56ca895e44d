"""Web fixtures: a real SQLite store holding the small web corpus, real search and trending."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from paperfeed.app import Paperfeed
from paperfeed.models import PaperRecord, Signal
from paperfeed.web.app import create_app

CORPUS = Path(__file__).resolve().parents[1] / "testdata" / "web" / "papers.jsonl"
NEWEST_DAY = date(2026, 7, 14)
XSS_ID = "2607.10002"


def load_corpus(pf: Paperfeed, path: Path = CORPUS) -> int:
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        for key in ("announced", "submitted", "updated"):
            if raw.get(key):
                raw[key] = date.fromisoformat(raw[key])
        records.append(PaperRecord(source="test", **raw))
    pf.store.upsert_papers(records)
    return len(records)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def web_pf(pf: Paperfeed) -> Paperfeed:
    """The shared `pf` fixture (temp SQLite, keyword search only) with the corpus indexed and some HF upvotes."""
    load_corpus(pf)
    pf.store.add_signals(
        [
            Signal("2607.10001", "huggingface", "hf_upvotes", 5, datetime(2026, 7, 14, 9, tzinfo=UTC)),
            Signal("2607.10001", "huggingface", "hf_upvotes", 7, datetime(2026, 7, 14, 12, tzinfo=UTC)),
            Signal("2607.10003", "huggingface", "hf_upvotes", 2, datetime(2026, 7, 14, 12, tzinfo=UTC)),
        ]
    )
    pf.search.refresh(progress=False)
    return pf


@pytest.fixture
def app(web_pf: Paperfeed) -> FastAPI:
    return create_app(web_pf)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 51000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
