"""The file importer and the ingest job, on small fixtures of our own (always run)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.ingest import ingest
from paperfeed.sources.files import FileSource
from paperfeed.store import PaperQuery

FILES = Path(__file__).resolve().parents[1] / "testdata" / "files"
runner = CliRunner()


def run(data_dir: Path, *args: str):
    return runner.invoke(app, ["--data-dir", str(data_dir), *args])


def test_listing_dedupes_merges_and_explains_rejections(pf):
    report = ingest(pf.store, FileSource(FILES / "listing.jsonl"))
    assert report.counts.new == 4  # 00001, 00002, 00003 and the DOI paper, nothing twice
    assert report.duplicates == 1
    assert report.counts.rejected == 4
    reasons = sorted(str(r) for r in report.rejections)
    assert "listing.jsonl:5: field 'title': missing" in reasons
    assert any(r.startswith("listing.jsonl:6: field 'first_seen_listing_file_date': unparseable date") for r in reasons)
    assert any(r.startswith("listing.jsonl:7: bad JSON") for r in reasons)
    assert "listing.jsonl:8: field 'id': unknown id form 'paper-five'" in reasons

    paper = pf.store.get_paper("2501.00001")
    assert paper.title == "Attention Over Everything"  # hard wraps collapsed
    assert paper.authors == ["Ada Lovelace", "Alan Turing"]
    assert paper.categories == ["cs.CL", "cs.AI"]
    assert paper.abs_url == "https://arxiv.org/abs/2501.00001"
    assert pf.store.get_paper("2501.00002").version == 2  # version read from the url
    doi = pf.store.get_paper("doi:10.1000/xyz.123")
    assert doi.authors == ["A. One", "B. Two", "C. Three"]
    assert doi.categories == ["q-bio.NC", "cs.LG"]


def test_reingest_changes_nothing(pf):
    ingest(pf.store, FileSource(FILES / "listing.jsonl"))
    seq = pf.store.max_seq()
    again = ingest(pf.store, FileSource(FILES / "listing.jsonl"))
    assert (again.counts.new, again.counts.updated) == (0, 0)
    assert again.counts.unchanged == 4
    assert pf.store.max_seq() == seq


def test_newer_version_updates_in_place_and_keeps_history(pf):
    ingest(pf.store, FileSource(FILES / "listing.jsonl"))
    report = ingest(pf.store, FileSource(FILES / "listing_v3.jsonl"))
    assert report.counts.updated == 1
    assert report.duplicates == 1  # the older v1 line merged into v3, filling nothing
    paper = pf.store.get_paper("2501.00002")
    assert paper.version == 3
    assert paper.title == "Compilers for Diffusion Models"
    assert paper.authors == ["Grace Hopper", "Barbara Liskov"]
    assert paper.announced.isoformat() == "2025-01-02"  # first announcement kept
    assert [h["version"] for h in pf.store.paper_versions("2501.00002")] == [2]
    assert pf.store.get_paper("2501.00001").title == "Attention Over Everything"


def test_csv_kaggle_beir_and_seed_formats(pf):
    csv_report = ingest(pf.store, FileSource(FILES / "papers.csv"))
    assert csv_report.counts.new == 1
    assert [str(r) for r in csv_report.rejections] == ["papers.csv:3: field 'title': missing"]
    assert pf.store.get_paper("2502.00010").authors == ["X Y", "Z W"]

    ingest(pf.store, FileSource(FILES / "kaggle.jsonl"))
    k = pf.store.get_paper("0704.0002")
    assert (k.version, k.submitted.isoformat(), k.updated.isoformat()) == (2, "2007-03-31", "2008-12-13")
    assert k.authors == ["Ileana Streinu", "Louis Theran"]

    ingest(pf.store, FileSource(FILES / "corpus.jsonl"))
    assert pf.store.get_paper("beir:17").abstract == "Vitamin D supports bone health."
    assert pf.store.get_paper("beir:18").title.startswith("A document with no title")

    seed = ingest(pf.store, FileSource(FILES / "seed.txt"))
    assert seed.counts.new == 2
    titles = {p.title for p in pf.store.list_papers(PaperQuery(limit=100))}
    assert {"First Paper Title", "Second Paper Title"} <= titles


def test_cli_ingest_exit_codes_json_and_strict(tmp_path):
    data = tmp_path / "d"
    result = run(data, "ingest", "file", str(FILES / "listing.jsonl"), "--json")
    assert result.exit_code == 1  # something was rejected...
    out = json.loads(result.stdout)
    assert out[0]["new"] == 4 and out[0]["rejected"] == 4  # ...but the rest is stored
    ok = run(data, "ingest", "file", str(FILES / "kaggle.jsonl"))
    assert ok.exit_code == 0
    strict = run(tmp_path / "s", "ingest", "file", str(FILES / "listing.jsonl"), "--strict")
    assert strict.exit_code == 1
    assert "listing.jsonl:5: field 'title': missing" in strict.stderr
    missing = run(data, "ingest", "file", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 2 and "no such file" in missing.stderr


def test_cli_read_commands(tmp_path):
    data = tmp_path / "d"
    run(data, "ingest", "file", str(FILES / "listing.jsonl"))
    shown = json.loads(run(data, "papers", "show", "2501.00001", "--json").stdout)
    assert shown["title"] == "Attention Over Everything" and shown["sources"].keys() == {"file"}
    assert shown["links"]["html"].endswith("/papers/2501.00001") and isinstance(shown["versions"], list)
    listed = json.loads(run(data, "papers", "list", "--category", "cs.DS", "--json").stdout)
    assert [p["id"] for p in listed] == ["2501.00003"]
    since = json.loads(run(data, "papers", "list", "--since", "2025-01-03", "--json").stdout)
    assert [p["id"] for p in since] == ["2501.00003"]
    stats = json.loads(run(data, "stats", "--json").stdout)
    assert stats["papers"] == 4 and stats["by_category"]["cs.LG"] == 2
    bad = run(data, "papers", "list", "--since", "yesterday")
    assert bad.exit_code == 2 and "--since: 'yesterday' is not a date" in bad.stderr
    unknown = run(data, "papers", "show", "9999.99999")
    assert unknown.exit_code == 3 and "no paper with id" in unknown.stderr  # 3: not found, 2 is for usage
    text = run(data, "papers", "show", "2501.00001").stdout
    assert "None" not in text and "published: " in text
