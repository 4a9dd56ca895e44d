"""One serialiser: the CLI's --json and the JSON API print the same document for the same question."""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from paperfeed.app import Paperfeed
from paperfeed.cli import app as cli_app

pytestmark = pytest.mark.anyio


@pytest.fixture
def cli_json(web_pf: Paperfeed, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PAPERFEED_EMBEDDER", "none")
    monkeypatch.setenv("PAPERFEED_BASE_URL", web_pf.settings.base_url)
    runner = CliRunner()

    def run(*args: str) -> dict:
        result = runner.invoke(cli_app, ["--data-dir", str(web_pf.settings.data_dir), *args, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return run


async def test_search_trending_paper_and_stats_print_what_the_api_answers(client: httpx.AsyncClient, cli_json) -> None:
    api = (await client.get("/api/v1/search", params={"q": "diffusion"})).json()
    assert api["results"] and api["next"] is None  # one page, so `next` agrees too
    assert cli_json("search", "diffusion") == api

    api = (await client.get("/api/v1/papers/2607.10001/similar", params={"k": 3})).json()
    assert cli_json("similar", "2607.10001", "-k", "3") == api

    api = (await client.get("/api/v1/trending", params={"window": "week", "date": "2026-07-14", "limit": 5})).json()
    assert api["entries"]
    assert cli_json("trending", "--window", "week", "--date", "2026-07-14", "--limit", "5") == api

    api = (await client.get("/api/v1/trending/2607.10001", params={"window": "week", "date": "2026-07-14"})).json()
    assert cli_json("trending", "explain", "2607.10001", "--window", "week", "--date", "2026-07-14") == api

    api = (await client.get("/api/v1/papers/2607.10001")).json()
    assert api["upvotes"] == 7 and cli_json("papers", "show", "2607.10001") == api

    assert cli_json("stats") == (await client.get("/api/v1/stats")).json()
