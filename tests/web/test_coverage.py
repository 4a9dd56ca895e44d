"""Semantic coverage against a live server: stats, /readyz, the search notice on the API and the page.

The backlog is driven one batch at a time (`embed_backlog(budget_s=0)`), so
what is covered at each request is known exactly; the server is a real
uvicorn on loopback over a real SQLite store.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from tests.search.synthetic import count_since, dated_corpus
from tests.web.live import live_server
from typer.testing import CliRunner

from paperfeed.app import open_paperfeed
from paperfeed.cli import app as cli_app
from paperfeed.config import Settings
from paperfeed.search import refresh
from paperfeed.web.app import create_app

NEWEST = date(2026, 6, 30)
DAYS = 10
N = 200  # 20 papers a day


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backlog_pf(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A store of N papers over DAYS days, keyword-indexed, nothing embedded; on SQLite and PostgreSQL."""
    monkeypatch.setattr(refresh, "EMBED_BATCH", N // DAYS)  # one step = exactly the newest day
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    settings = Settings(data_dir=tmp_path / "data", database_url=url, embedder="tests.search.embedders:HashEmbedder")
    pf = open_paperfeed(settings)
    records = dated_corpus(N, DAYS, NEWEST)
    pf.store.upsert_papers(records)
    pf.search.refresh_lexical()
    yield pf, records
    pf.close()


def test_live_server_reports_coverage_and_the_search_notice(backlog_pf) -> None:
    pf, records = backlog_pf
    pf.search.embed_backlog(budget_s=0)  # the newest day only
    with live_server(create_app(pf)) as base, httpx.Client(base_url=base, timeout=30) as client:
        cov = client.get("/api/v1/stats").json()["semantic_coverage"]
        assert cov["embedded"] == count_since(records, NEWEST) == 20
        assert (cov["total"], cov["pending"], cov["complete"]) == (N, N - 20, False)
        assert cov["complete_since"] == cov["keyword_only_before"] == NEWEST.isoformat()

        ready = client.get("/readyz").json()
        assert ready["status"] == "indexing"
        assert ready["index_lag"] == {"keyword_papers": 0, "semantic_papers": N - 20}

        expected = (
            f"semantic matching covers papers since {NEWEST.isoformat()} (10%); older papers match by keyword only"
        )
        found = client.get("/api/v1/search", params={"q": "protein structure folding"}).json()
        assert found["notice"] == expected and found["mode"] == "hybrid" and found["results"]
        page = client.get("/search", params={"q": "protein structure folding"})
        assert page.status_code == 200 and expected in page.text
        assert client.get("/api/v1/search", params={"q": "protein", "mode": "lexical"}).json()["notice"] is None

        pf.search.embed_backlog(budget_s=0)  # the next day: the date moves back one day
        cov = client.get("/api/v1/stats").json()["semantic_coverage"]
        assert cov["embedded"] == 40 and cov["complete_since"] == (NEWEST - timedelta(days=1)).isoformat()

        pf.search.embed_backlog()
        cov = client.get("/api/v1/stats").json()["semantic_coverage"]
        assert (cov["embedded"], cov["pending"], cov["complete"], cov["complete_since"]) == (N, 0, True, None)
        assert client.get("/readyz").json()["status"] == "ready"
        assert client.get("/api/v1/search", params={"q": "protein structure folding"}).json()["notice"] is None


def test_cli_stats_json_reports_coverage(backlog_pf, monkeypatch: pytest.MonkeyPatch) -> None:
    pf, _ = backlog_pf
    pf.search.embed_backlog(budget_s=0)
    monkeypatch.setenv("PAPERFEED_EMBEDDER", "tests.search.embedders:HashEmbedder")
    if pf.settings.database_url:
        monkeypatch.setenv("PAPERFEED_DATABASE_URL", pf.settings.database_url)
    res = CliRunner().invoke(cli_app, ["--data-dir", str(pf.settings.data_dir), "stats", "--json"])
    assert res.exit_code == 0, res.output
    cov = json.loads(res.stdout)["semantic_coverage"]
    assert (cov["embedded"], cov["total"], cov["complete_since"]) == (20, N, NEWEST.isoformat())
    res = CliRunner().invoke(cli_app, ["--data-dir", str(pf.settings.data_dir), "stats"])
    assert res.exit_code == 0 and "20 of 200 papers embedded (10%), complete since 2026-06-30" in res.stdout
