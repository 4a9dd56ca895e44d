"""`paperfeed ingest oai | arxiv-api | rss | hf | hf-paper` end to end: loopback server -> real SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("paperfeed.cli.ingest", reason="the ingest CLI (cli/ingest.py) is not built yet")

from paperfeed.cli import app
from paperfeed.config import Settings
from paperfeed.store import open_store


def own_server(loopback, testdata: Path):
    def route(path: str, params: dict[str, str]):
        if path == "/oai":
            if params.get("resumptionToken") == "demo|3":
                return 200, {}, (testdata / "oai_arxiv_p2.xml").read_bytes()
            if params.get("set") == "broken":
                return 503, {"Retry-After": "0"}, b"busy"
            return 200, {}, (testdata / "oai_arxiv_p1.xml").read_bytes()
        if path == "/api/query":
            if params["id_list"] == "abc":
                return 400, {}, (testdata / "api_error.xml").read_bytes()
            page = "api_p1.xml" if params["start"] == "0" else "api_p2.xml"
            return 200, {}, (testdata / page).read_bytes()
        if path.startswith("/rss/"):
            return 200, {}, (testdata / "rss_listing.xml").read_bytes()
        if path == "/api/daily_papers":
            return 200, {}, (testdata / "hf_daily_p0.json").read_bytes()
        if path == "/api/papers/2601.00020":
            return 200, {}, (testdata / "hf_paper.json").read_bytes()
        return 404, {}, b"not found"

    return loopback(route)


@pytest.fixture
def env(loopback, testdata: Path, tmp_path: Path):
    server = own_server(loopback, testdata)
    values = {
        "PAPERFEED_DATA_DIR": str(tmp_path / "data"),
        "PAPERFEED_ARXIV_OAI_URL": server.url + "/oai",
        "PAPERFEED_ARXIV_API_URL": server.url + "/api/query",
        "PAPERFEED_ARXIV_RSS_URL": server.url + "/rss",
        "PAPERFEED_HUGGINGFACE_URL": server.url,
        "PAPERFEED_REQUEST_DELAY_S": "0",
        "PAPERFEED_EMBEDDER": "none",
    }
    return values, server


def run(env_values: dict[str, str], *args: str):
    return CliRunner().invoke(app, list(args), env=env_values, catch_exceptions=False)


def said(result) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def test_ingest_oai_twice(env, tmp_path: Path) -> None:
    values, _ = env
    first = run(values, "ingest", "oai", "--from", "2026-01-14", "--json")
    assert first.exit_code == 1, first.output  # one record was rejected (missing title)
    (report,) = json.loads(first.stdout)
    assert report["new"] == 3 and report["rejected"] == 1
    assert "field 'title'" in report["rejections"][0]
    second = run(values, "ingest", "oai", "--from", "2026-01-14", "--json")
    (again,) = json.loads(second.stdout)
    assert again["new"] == 0 and again["updated"] == 0 and again["resumed"] is True
    store = open_store(Settings(data_dir=tmp_path / "data"))
    try:
        paper = store.get_paper("2601.00001")
        assert paper is not None and paper.authors == ["Ada Lovelace", "Charles Babbage Jr"]
        checkpoint = store.get_checkpoint("arxiv-oai:arXiv:*:2026-01-14..")
        assert checkpoint["from"] == "2026-01-15" and checkpoint["token"] is None
    finally:
        store.close()


def test_ingest_oai_server_trouble_is_a_clean_error(env) -> None:
    values, _ = env
    result = run(values, "ingest", "oai", "--set", "broken")
    assert result.exit_code == 1
    assert "HTTP 503" in said(result) and "Traceback" not in result.output


def test_ingest_arxiv_api_query_and_bad_id(env) -> None:
    values, _ = env
    ok = run(values, "ingest", "arxiv-api", "--query", "all:sorting", "--max", "10", "--json")
    (report,) = json.loads(ok.stdout)
    assert report["new"] == 2 and report["rejected"] == 0  # a short page (2 < 10 asked) ends the list
    bad = run(values, "ingest", "arxiv-api", "--id", "abc")
    assert bad.exit_code == 1 and "max_results must be non-negative" in said(bad)
    neither = run(values, "ingest", "arxiv-api")
    assert neither.exit_code == 2 and "--query" in said(neither)


def test_ingest_rss_and_hf(env, tmp_path: Path) -> None:
    values, server = env
    rss = run(values, "ingest", "rss", "cs.DL", "cs.IR", "--json")
    (report,) = json.loads(rss.stdout)
    assert report["new"] == 4 and report["rejected"] == 1
    assert ("/rss/cs.DL+cs.IR", {}) in server.hits
    hf = run(values, "ingest", "hf", "--date", "2026-01-14", "--json")
    assert hf.exit_code == 0, hf.output
    (report,) = json.loads(hf.stdout)
    assert report["signals"] == 5 and report["updated"] + report["unchanged"] + report["new"] == 2
    one = run(values, "ingest", "hf-paper", "2601.00020", "--json")
    (report,) = json.loads(one.stdout)
    assert report["signals"] == 2
    store = open_store(Settings(data_dir=tmp_path / "data"))
    try:
        paper = store.get_paper("2601.00020")
        assert paper is not None and paper.code_url == "https://github.com/example/sorting"
        assert paper.announced is not None and {"arxiv-rss", "huggingface"} <= set(paper.sources)
    finally:
        store.close()


def test_bad_options_exit_2(env) -> None:
    values, _ = env
    assert run(values, "ingest", "oai", "--prefix", "marc").exit_code == 2
    assert run(values, "ingest", "hf", "--month", "2026-13").exit_code == 2
    assert run(values, "ingest", "rss", "Machine Learning").exit_code == 2
    assert run(values, "ingest", "hf-paper", "nope").exit_code == 2
