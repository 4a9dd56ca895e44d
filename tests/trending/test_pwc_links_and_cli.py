"""The links importer (own fixture always; the real PwC file from ../shared) and the trending CLI."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.conftest import TESTDATA
from tests.trending.helpers import DAY, add_papers, at, sig
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.config import Settings
from paperfeed.models import Signal
from paperfeed.sources.base import Rejection, SourceError
from paperfeed.sources.pwc_links import PwcLinksSource

SMALL = TESTDATA / "trending" / "pwc_links_small.csv"
WHEN = datetime(2026, 7, 31, 12, tzinfo=UTC)
runner = CliRunner()


def test_links_file_one_signal_per_paper_official_repo_first() -> None:
    source = PwcLinksSource(SMALL, WHEN)
    items = list(source.read())
    signals = {s.paper_id: s for s in items if isinstance(s, Signal)}
    assert set(signals) == {"2607.00001", "2607.00002", "hep-th/9901001"}
    # The official repository wins over a more-starred reimplementation.
    assert signals["2607.00001"].value == 120.0
    assert source.code_urls["2607.00001"] == "https://github.com/example/ranking-official"
    # No official repo: the most starred; "1,500" is read as 1500; the version suffix is dropped.
    assert signals["2607.00002"].value == 1500.0
    assert all(s.kind == "github_stars" and s.source == "pwc" and s.observed_at == WHEN for s in signals.values())
    rejections = [str(r) for r in items if isinstance(r, Rejection)]
    assert rejections == [
        "pwc_links_small.csv:7: field 'paper_arxiv_id': missing: a link without an arXiv id cannot be matched"
        " to a paper",
        "pwc_links_small.csv:8: field 'stars': not a number: 'lots'",
        "pwc_links_small.csv:9: a repeated header row",
        "pwc_links_small.csv:10: field 'paper_arxiv_id': unknown id form 'not-an-id'",
        "pwc_links_small.csv:11: field 'repo_url': missing",
    ]


def test_not_a_links_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "papers.csv"
    bad.write_text("id,title\n1,x\n")
    with pytest.raises(SourceError, match=r"missing column.*paper_arxiv_id"):
        list(PwcLinksSource(bad).read())
    with pytest.raises(SourceError, match="cannot read"):
        list(PwcLinksSource(tmp_path / "absent.csv").read())


@pytest.mark.shared
def test_real_pwc_links_file(shared_dir: Path) -> None:
    path = shared_dir / "fixtures" / "other_apis" / "pwc_links_enriched__rockett-m_grimrepor_paper_repo_info.csv"
    items = list(PwcLinksSource(path, WHEN).read())
    kinds = Counter(type(i).__name__ for i in items)
    # 2,298 link rows: 133 without an arXiv id and one repeated header are explained, the rest
    # collapse into one star count per paper (a paper can have several repositories).
    assert kinds["Rejection"] == 134
    assert kinds["Signal"] == len({i.paper_id for i in items if isinstance(i, Signal)}) > 2000


def cli(settings: Settings, *args: str):
    return runner.invoke(app, ["--data-dir", str(settings.data_dir), *args])


def test_cli_import_links_then_trending(pf, settings: Settings) -> None:
    add_papers(pf.store, ("2607.00001", DAY, "cs.CL"), ("2607.00002", DAY, "cs.CV"))
    pf.store.add_signals([sig("2607.00002", "hf_upvotes", 3, at(DAY))])
    result = cli(settings, "trending", "import-links", str(SMALL), "--observed-at", "2026-07-31T12:00", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["signals"], data["papers_in_store"], data["code_links_filled"], data["rejected"]) == (3, 2, 2, 5)
    assert pf.store.get_paper("2607.00001").code_url == "https://github.com/example/ranking-official"
    assert pf.store.get_paper("2607.00001").title == "Paper 2607.00001"  # the links file's title is not used

    result = cli(settings, "trending", "--window", "week", "--date", "2026-07-31", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)["entries"]  # the same shape as GET /api/v1/trending
    assert [e["paper"]["id"] for e in listed] == ["2607.00002", "2607.00001"]  # 1,500 stars beat 120
    assert listed[0]["breakdown"]["github_stars"] > 0 and "GitHub stars" in listed[0]["explanation"]

    result = cli(settings, "trending", "explain", "2607.00001", "--window", "week", "--date", "2026-07-31")
    assert result.exit_code == 0, result.output
    assert "rank 2" in result.stdout and "github_stars" in result.stdout

    result = cli(settings, "trending", "refresh", "--date", "2026-07-31", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["recomputed"] == ["day", "month"]  # the week list is already current

    result = cli(settings, "trending", "--since", "2026-07-25", "--date", "2026-07-31", "--category", "cs.CL")
    assert result.exit_code == 0 and "2607.00001" in result.stdout


def test_cli_errors_name_the_parameter(settings: Settings) -> None:
    for args, needle in (
        (["trending", "--window", "year"], "--window"),
        (["trending", "--date", "31/07/2026"], "--date"),
        (["trending", "import-links", "/nonexistent.csv"], "cannot read"),
        (["trending", "--since", "2026-08-01", "--date", "2026-07-31"], "since"),
    ):
        result = cli(settings, *args)
        assert result.exit_code == 2, (args, result.output)
        assert needle in result.output, (args, result.output)
        assert "Traceback" not in result.output
    missing = cli(settings, "trending", "explain", "0000.00000", "--date", "2026-07-31")
    assert missing.exit_code == 3 and "no paper with id" in missing.output  # 3: not found
