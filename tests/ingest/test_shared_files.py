"""The must-show ingest checks on the real files in ../shared."""

from __future__ import annotations

from paperfeed.ingest import ingest
from paperfeed.sources.files import FileSource


def test_raw_daily_files_give_673_unique_papers_and_rerun_is_a_no_op(pf, shared_dir):
    files = sorted((shared_dir / "data/arxiv/raw-daily").glob("*.jsonl"))
    lines = sum(1 for f in files for line in f.open() if line.strip())
    assert lines == 803
    first = [ingest(pf.store, FileSource(f)) for f in files]
    assert sum(r.counts.new for r in first) == 673
    assert sum(r.counts.rejected for r in first) == 0
    assert pf.store.count_papers() == 673
    again = [ingest(pf.store, FileSource(f)) for f in files]
    assert sum(r.counts.new for r in again) == 0
    assert sum(r.counts.updated for r in again) == 0


def test_mixed_schemas_every_record_accepted_or_explained(pf, shared_dir):
    path = shared_dir / "data/arxiv/listings-mixed-schemas-2025.jsonl"
    report = ingest(pf.store, FileSource(path))
    lines = sum(1 for line in path.open() if line.strip())
    c = report.counts
    assert c.new + c.updated + c.unchanged + report.duplicates + c.rejected == lines
    for rejection in report.rejections:
        assert rejection.origin.startswith(path.name + ":") and rejection.message
    assert c.rejected == 0
    # every layout yields categories and canonical links
    for paper in pf.store.get_papers(["2506.04307", "2506.05355", "2506.20039"]):
        assert paper.categories and paper.pdf_url == f"https://arxiv.org/pdf/{paper.id}"
    assert pf.store.get_paper("2506.20039").categories[0] == "cs.MA"


def test_kaggle_snapshot(pf, shared_dir):
    report = ingest(pf.store, FileSource(shared_dir / "data/arxiv/kaggle-snapshot-head200.jsonl"))
    assert report.counts.new == 200 and report.counts.rejected == 0
    paper = pf.store.get_paper("0704.0001")
    assert paper.version == 2 and paper.doi == "10.1103/PhysRevD.76.013009"
