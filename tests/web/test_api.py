"""The /api/v1 JSON API: shapes, caps, and errors that name the parameter."""

from __future__ import annotations

import re

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_search(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/search", params={"q": "diffusion", "page_size": 2})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] >= 3
    assert len(body["results"]) == 2
    first = body["results"][0]
    assert {"paper", "score", "lexical_rank", "dense_rank", "title_html", "abstract_html"} <= set(first)
    assert first["paper"]["links"]["html"].startswith("http")
    assert body["next"] and "page=2" in body["next"]
    assert body["query"]["mode"] == "hybrid"


async def test_search_filters_and_date_sort(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/search", params={"q": "diffusion", "sort": "date"})).json()
    dates = [h["paper"]["published"] for h in body["results"]]
    assert dates == sorted(dates, reverse=True)
    body = (await client.get("/api/v1/search", params={"q": "diffusion", "category": "cs.CV"})).json()
    assert {h["paper"]["id"] for h in body["results"]} == {"2607.10001", "2606.20001"}
    body = (await client.get("/api/v1/search", params={"q": "diffusion", "author": "Shannon"})).json()
    assert [h["paper"]["id"] for h in body["results"]] == ["2607.10004"]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"q": "x", "since": "2026-02-30"}, "since"),
        ({"q": "x", "until": "soon"}, "until"),
        ({"q": "x", "page": "0"}, "page"),
        ({"q": "x", "page": "two"}, "page"),
        ({"q": "x", "page_size": "-5"}, "page_size"),
        ({"q": "x", "sort": "random"}, "sort"),
        ({"q": "x", "mode": "magic"}, "mode"),
        ({"q": "x", "category": "not a category"}, "category"),
        ({"q": "x", "since": "2026-07-02", "until": "2026-07-01"}, "until"),
    ],
)
async def test_search_errors_name_the_parameter(client: httpx.AsyncClient, params: dict, param: str) -> None:
    r = await client.get("/api/v1/search", params=params)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["param"] == param
    assert error["message"]


async def test_query_syntax_error_is_400(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/search", params={"q": "year:20x4"})
    assert r.status_code == 400
    assert r.json()["error"]["param"] == "q"


async def test_page_size_is_capped(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/search", params={"q": "diffusion", "page_size": 100000})
    assert r.status_code == 200
    assert r.json()["query"]["page_size"] == 100
    r = await client.get("/api/v1/daily", params={"limit": 5000})
    assert r.status_code == 200
    assert r.json()["limit"] == 100


async def test_paper_and_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/papers/2607.10001")
    assert r.status_code == 200
    body = r.json()
    assert body["title"] == "Sparse Diffusion Transformers for Fast Image Synthesis"
    assert body["authors"] == ["Ada Lovelace", "Alan Turing"]
    assert body["published"] == "2026-07-14"
    assert body["upvotes"] == 7
    assert body["links"]["code"] == "https://github.com/example/sparse-dit"
    r = await client.get("/api/v1/papers/hep-th/9901001")
    assert r.status_code == 200 and r.json()["id"] == "hep-th/9901001"
    r = await client.get("/api/v1/papers/0000.00000")
    assert r.status_code == 404
    assert r.json() == {"error": {"param": "paper_id", "message": "no paper with id '0000.00000'"}}


async def test_similar(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/papers/2607.10001/similar", params={"k": 3})
    assert r.status_code == 200
    ids = [h["paper"]["id"] for h in r.json()["results"]]
    assert ids and "2607.10001" not in ids and len(ids) <= 3
    r = await client.get("/api/v1/papers/hep-th/9901001/similar")
    assert r.status_code == 200
    assert (await client.get("/api/v1/papers/nope/similar")).status_code == 404


async def test_daily_weekly_monthly(client: httpx.AsyncClient) -> None:
    day = (await client.get("/api/v1/daily", params={"date": "2026-07-13"})).json()
    assert {p["id"] for p in day["papers"]} == {"2607.10004", "2607.10005"}
    assert day["previous"] == "2026-07-10" and day["next"] == "2026-07-14"  # the weekend had no papers
    newest = (await client.get("/api/v1/daily", params={"date": "2026-07-14"})).json()
    assert newest["next"] is None  # nothing newer: no next day
    week = (await client.get("/api/v1/weekly", params={"week": "2026-W29"})).json()
    assert week["start"] == "2026-07-13" and week["end"] == "2026-07-19"
    assert week["total"] == 6
    same = (await client.get("/api/v1/weekly", params={"date": "2026-07-16"})).json()
    assert same["key"] == "2026-W29"
    month = (await client.get("/api/v1/monthly", params={"month": "2026-06"})).json()
    assert {p["id"] for p in month["papers"]} == {"2606.20001", "2606.20002"}
    page2 = (await client.get("/api/v1/monthly", params={"month": "2026-07", "limit": 3, "page": 3})).json()
    assert page2["total"] == 8 and len(page2["papers"]) == 2


@pytest.mark.parametrize(
    ("path", "params", "param"),
    [
        ("/api/v1/daily", {"date": "14/07/2026"}, "date"),
        ("/api/v1/weekly", {"week": "2026-W60"}, "week"),
        ("/api/v1/monthly", {"month": "2026-13"}, "month"),
        ("/api/v1/daily", {"limit": "0"}, "limit"),
        ("/api/v1/trending", {"window": "year"}, "window"),
        ("/api/v1/trending", {"date": "x"}, "date"),
    ],
)
async def test_listing_errors(client: httpx.AsyncClient, path: str, params: dict, param: str) -> None:
    r = await client.get(path, params=params)
    assert r.status_code == 400
    assert r.json()["error"]["param"] == param


async def test_trending_and_explain(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/trending", params={"window": "week", "date": "2026-07-14"})).json()
    assert body["window"] == "week"
    entries = body["entries"]
    assert entries and entries[0]["rank"] == 1
    assert {"rank", "score", "breakdown", "explanation", "paper"} <= set(entries[0])
    assert entries[0]["paper"]["id"] == "2607.10001"  # the only paper with upvotes
    r = await client.get("/api/v1/trending/2607.10001", params={"window": "week", "date": "2026-07-14"})
    assert r.status_code == 200
    assert r.json()["explanation"]
    assert (await client.get("/api/v1/trending/nope")).status_code == 404
    other = await client.get("/api/v1/trending", params={"window": "weekly", "date": "2026-07-14"})
    assert other.status_code == 200 and other.json()["window"] == "week"  # the feeds' spelling is accepted


async def test_stats_and_openapi(client: httpx.AsyncClient) -> None:
    stats = (await client.get("/api/v1/stats")).json()
    assert stats["papers"] == 11
    doc = (await client.get("/api/v1/openapi.json")).json()
    for path in (
        "/api/v1/search",
        "/api/v1/papers/{paper_id}",
        "/api/v1/daily",
        "/api/v1/weekly",
        "/api/v1/monthly",
        "/api/v1/trending",
        "/api/v1/stats",
        "/api/papers/search",
        "/api/daily_papers",
    ):
        assert path in doc["paths"], path
    for responses in (op["responses"] for methods in doc["paths"].values() for op in methods.values()):
        assert "422" not in responses  # validation errors are 400 {"error": ...}, as documented
        assert "400" in responses and "$ref" in str(responses["400"])
        success = next(v for k, v in responses.items() if k.startswith("2"))
        assert next(iter(success["content"].values()))["schema"], responses  # every success has a documented body


async def test_interactive_docs_are_served_offline(client: httpx.AsyncClient) -> None:
    docs = await client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert "https://" not in docs.text and "http://" not in docs.text  # no CDN
    assets = re.findall(r'(?:src|href)="(/[^"]+)"', docs.text)
    assert any("swagger-ui-bundle.js" in a for a in assets) and any("swagger-ui.css" in a for a in assets)
    for asset in assets:
        r = await client.get(asset)
        assert r.status_code == 200 and len(r.content) > 100, asset


async def test_suggest(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/suggest", params={"q": "diffusion"})).json()
    assert any("Diffusion" in s for s in body["suggestions"])
    assert (await client.get("/api/v1/suggest", params={"q": "a"})).json() == {"suggestions": []}


async def test_unknown_api_path_is_json_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/nothing-here")
    assert r.status_code == 404
    assert "error" in r.json()


async def test_a_newline_in_a_path_is_a_404_not_a_redirect_to_another_paper(client: httpx.AsyncClient) -> None:
    """urllib drops newlines when re-parsing a URL; the slash redirect must look at the raw path (found by
    schemathesis: /api/papers/%0Ax answered 307 to /api/papers/x/)."""
    for path in ("/api/papers/%0A2607.10001", "/api/v1/trending/%0A2607.10001", "/papers/%0A2607.10001.md"):
        r = await client.get(path)
        assert r.status_code == 404, (path, r.headers.get("location"))
        assert "error" in r.json()


async def test_an_empty_week_or_month_does_not_hide_a_bad_date(client: httpx.AsyncClient) -> None:
    """Found by schemathesis: ?month=&date=<garbage> answered 200, the date never read."""
    for path, key in (("/api/v1/weekly", "week"), ("/api/v1/monthly", "month")):
        r = await client.get(path, params={key: "", "date": "not-a-day"})
        assert r.status_code == 400 and r.json()["error"]["param"] == "date", path
        assert (await client.get(path, params={key: "", "date": "2026-07-14"})).json()["start"] <= "2026-07-14"
