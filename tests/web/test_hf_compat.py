"""Hugging Face compatible endpoints: shapes copied from the real API, and the real client against a live server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from huggingface_hub import HfApi
from tests.web.hf_shapes import diff, shape
from tests.web.live import live_server

from paperfeed.app import Paperfeed
from paperfeed.models import Signal

FIXTURES = "fixtures/hf_daily_papers"
DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
AT = datetime(2026, 7, 14, 12, tzinfo=UTC)
IMPORTED_TOTALS = [
    Signal("2607.10001", "pwc", "github_stars", 1200, AT),
    Signal("2607.10001", "huggingface", "github_stars", 1500, AT),
    Signal("2607.10001", "huggingface", "hf_comments", 2, AT),
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def live_url(app: FastAPI) -> Iterator[str]:
    with live_server(app) as url:
        yield url


@pytest.mark.anyio
async def test_daily_papers_shape_and_link_pagination(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/daily_papers", params={"date": "2026-07-14", "limit": 2})
    assert r.status_code == 200
    items = r.json()
    assert len(items) == 2
    item = items[0]
    assert set(item) >= {"paper", "publishedAt", "title", "summary", "numComments", "isAuthorParticipating"}
    assert set(item["paper"]) >= {"id", "authors", "publishedAt", "title", "summary", "upvotes"}
    assert item["paper"]["authors"][0].keys() >= {"name", "hidden"}
    assert item["publishedAt"].endswith(".000Z")
    link = r.headers["link"]
    assert link.endswith('>; rel="next"') and "p=1" in link
    nxt = await client.get(link[1:].split(">;")[0])
    assert len(nxt.json()) == 2
    last = await client.get("/api/daily_papers", params={"date": "2026-07-14", "limit": 2, "p": 1})
    assert "link" not in last.headers


@pytest.mark.anyio
async def test_daily_papers_week_month_sort_and_errors(client: httpx.AsyncClient) -> None:
    week = (await client.get("/api/daily_papers", params={"week": "2026-W29"})).json()
    assert len(week) == 6
    month = (await client.get("/api/daily_papers", params={"month": "2026-06"})).json()
    assert {i["paper"]["id"] for i in month} == {"2606.20001", "2606.20002"}
    trending = (await client.get("/api/daily_papers", params={"week": "2026-W29", "sort": "trending"})).json()
    assert trending[0]["paper"]["id"] == "2607.10001"
    for params in ({"date": "2026-02-31"}, {"week": "2026-W77"}, {"month": "26-1"}, {"sort": "random"}):
        r = await client.get("/api/daily_papers", params=params)
        assert r.status_code == 400, params
        assert isinstance(r.json()["error"], str)


@pytest.mark.anyio
async def test_search_shape_has_highlight_segments(client: httpx.AsyncClient) -> None:
    items = (await client.get("/api/papers/search", params={"q": "diffusion", "limit": 3})).json()
    assert 1 <= len(items) <= 3
    for item in items:
        assert set(item) >= {"paper", "title", "summary", "highlightedTitle", "highlightedSummary", "upvoted"}
        assert "".join(seg["text"] for seg in item["highlightedTitle"]) == item["title"]
        assert "".join(seg["text"] for seg in item["highlightedSummary"]) == item["summary"]
    segments = [seg for item in items for seg in item["highlightedTitle"] + item["highlightedSummary"]]
    assert any(seg["type"] == "highlight" for seg in segments)


@pytest.mark.anyio
async def test_single_paper_is_flat(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/papers/2607.10001")).json()
    assert "paper" not in body
    assert body["id"] == "2607.10001" and body["upvotes"] == 7
    assert body["githubRepo"] == "https://github.com/example/sparse-dit"
    assert body["projectPage"] == "https://example.org/sparse-dit"
    r = await client.get("/api/papers/0000.00000")
    assert r.status_code == 404 and isinstance(r.json()["error"], str)


def _documented_differences() -> set[tuple[str, str, str]]:
    """The rows of docs/api.md's HF difference table: (endpoint, key path, difference)."""
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- hf-diff:start -->")[1].split("<!-- hf-diff:end -->")[0]
    rows = set()
    for line in table.strip().splitlines()[2:]:
        endpoint, key, difference = (cell.strip().strip("`") for cell in line.strip("|").split("|")[:3])
        rows.add((endpoint, key, difference))
    return rows


@pytest.mark.shared
@pytest.mark.anyio
async def test_shape_differences_from_captured_hf_responses_are_exactly_the_documented_ones(
    client: httpx.AsyncClient, web_pf: Paperfeed, shared_dir: Path
) -> None:
    """Key paths and JSON types of our answers against every captured HF response, diffed both ways.

    A new difference (a key we drop, a type we change, a key we add) fails until docs/api.md lists and
    justifies it; a difference that disappears fails until its row is removed. Either way the table stays true.
    """
    fixtures = shared_dir / FIXTURES
    web_pf.store.add_signals(IMPORTED_TOTALS)

    def load(pattern: str) -> list:
        items: list = []
        for path in sorted(fixtures.glob(pattern)):
            data = json.loads(path.read_text())
            items += data if isinstance(data, list) else [data]
        return items

    real = {
        "/api/papers/{id}": shape(load("*__api_papers_2*.json")),
        "/api/papers/search": shape(load("*__api_papers_search_*.json")),
        "/api/daily_papers": shape(load("*__daily_papers*.json")),
    }
    assert all(real.values())
    daily = []
    for params in ({"week": "2026-W29"}, {"month": "2026-06"}):
        daily += (await client.get("/api/daily_papers", params=params)).json()
    ids = sorted({item["paper"]["id"] for item in daily} | {"hep-th/9901001"})
    ones = [(await client.get(f"/api/papers/{paper_id}")).json() for paper_id in ids]
    found = []
    for q in ("diffusion", "transformer", "language"):
        found += (await client.get("/api/papers/search", params={"q": q})).json()
    assert len(daily) >= 8 and len(ones) == len(ids) and len(found) >= 3
    ours = {"/api/papers/{id}": shape(ones), "/api/papers/search": shape(found), "/api/daily_papers": shape(daily)}

    measured = {(endpoint, key, what) for endpoint in real for key, what in diff(real[endpoint], ours[endpoint])}
    documented = _documented_differences()
    assert not any(what.startswith("type") for _, _, what in measured), sorted(measured)
    assert measured - documented == set(), "undocumented differences: add them to docs/api.md"
    assert documented - measured == set(), "documented differences that no longer exist: remove them"
    assert set(ours["/api/papers/search"]) >= {"highlightedTitle[].type", "highlightedTitle[].text"}


def test_real_huggingface_hub_client_against_live_server(live_url: str, web_pf: Paperfeed) -> None:
    web_pf.store.add_signals(IMPORTED_TOTALS)
    api = HfApi(endpoint=live_url, token=False)

    found = list(api.list_papers(query="diffusion", limit=5))
    assert found and all("iffusion" in (p.title + (p.summary or "")) for p in found)
    ids = [p.id for p in found]
    assert "2607.10001" in ids

    info = api.paper_info("2607.10001")
    assert info.id == "2607.10001"
    assert info.title == "Sparse Diffusion Transformers for Fast Image Synthesis"
    assert info.summary.startswith("We present a sparse diffusion transformer")
    assert [a.name for a in info.authors] == ["Ada Lovelace", "Alan Turing"]
    assert info.published_at is not None and info.published_at.date().isoformat() == "2026-07-14"
    assert info.upvotes == 7
    assert info.github_repo == "https://github.com/example/sparse-dit"
    assert info.github_stars == 1500  # the highest imported star count
    assert next(p for p in api.list_daily_papers(date="2026-07-14") if p.id == "2607.10001").comments == 2

    daily = list(api.list_daily_papers(date="2026-07-13"))
    assert {p.id for p in daily} == {"2607.10004", "2607.10005"}
    assert all(p.title and p.authors and p.published_at for p in daily)
    weekly = list(api.list_daily_papers(week="2026-W29", sort="trending", limit=2))
    assert weekly[0].id == "2607.10001" and weekly[0].upvotes == 7

    text = api.read_paper("2607.10001")
    assert "# Sparse Diffusion Transformers for Fast Image Synthesis" in text
    assert "Ada Lovelace" in text

    old = api.paper_info("hep-th/9901001")
    assert old.title.startswith("Strings on Curved Backgrounds")

    from huggingface_hub.errors import HfHubHTTPError

    with pytest.raises(HfHubHTTPError):
        api.paper_info("0000.00000")
    with pytest.raises(HfHubHTTPError):
        list(api.list_daily_papers(date="2026-02-31"))


@pytest.mark.anyio
async def test_paper_markdown(client: httpx.AsyncClient) -> None:
    r = await client.get("/papers/2607.10001.md")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/markdown")
    text = r.text
    assert text.startswith('---\ntitle: "Sparse Diffusion Transformers for Fast Image Synthesis"')
    assert "## Abstract" in text and "[Code](https://github.com/example/sparse-dit)" in text
    old = await client.get("/papers/hep-th/9901001.md")
    assert old.status_code == 200 and 'arxiv_id: "hep-th/9901001"' in old.text
    assert (await client.get("/papers/0000.00000.md")).status_code == 404
