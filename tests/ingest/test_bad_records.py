"""Issue 16: ingest is record-atomic. Every bad record is rejected by line and field; every good one is kept."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from paperfeed.app import Paperfeed
from paperfeed.cli import app
from paperfeed.ingest import ingest
from paperfeed.models import PaperRecord
from paperfeed.sources.base import Item
from paperfeed.store import PaperQuery

runner = CliRunner()


def run(data_dir: Path, *args: str):
    return runner.invoke(app, ["--data-dir", str(data_dir), *args])


def good(i: int) -> dict[str, Any]:
    return {
        "id": f"2501.{i:05d}",
        "title": f"A good paper number {i}",
        "summary": "An abstract long enough to say something.",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.LG"],
        "published": "2025-01-10",
        "code_url": "https://github.com/example/repo",
    }


def bad(i: int, **changes: Any) -> dict[str, Any]:
    record = good(90_000 + i)
    record.update(changes)
    return {k: v for k, v in record.items() if v is not ...}


# (JSON line, the field the rejection must name). The first four are the kinds that used to
# abort the whole run and keep nothing; the rest are the other bad kinds it lists or implies.
BAD: list[tuple[str, str | None]] = [
    (json.dumps(bad(1, authors=["Ada", 42, "Bob"])), "authors[1]"),
    (json.dumps(bad(2, authors=..., authors_parsed=[["Lovelace", "Ada"], [1, 2]])), "authors_parsed[1]"),
    (
        json.dumps(bad(3, versions=[{"version": "vX", "created": "Mon, 1 Jan 2024 00:00:00 GMT"}])),
        "versions[0].version",
    ),
    (json.dumps(bad(4, code_url=["https://a.example", "https://b.example"])), "code_url"),
    (json.dumps(bad(5, code_url={"href": "https://a.example"})), "code_url"),
    (json.dumps(bad(6, code_url="javascript:alert(1)")), "code_url"),
    (json.dumps(bad(7, project_url="data:text/html,<script>alert(1)</script>")), "project_url"),
    (json.dumps(bad(8, summary="x" * 200_000)), "summary"),
    (json.dumps(bad(9, title="t" * 5_000)), "title"),
    (json.dumps(bad(10, title=12345)), "title"),
    (json.dumps(bad(11, title=...)), "title"),
    (json.dumps(bad(12, id="not an id")), "id"),
    (json.dumps(bad(13, id=2501.00001)), "id"),
    (json.dumps(bad(14, published="yesterday")), "published"),
    (json.dumps(bad(15, published="9999-12-31")), "published"),
    (json.dumps(bad(16, categories={"cs": "LG"})), "categories"),
    (json.dumps(bad(17, categories=["cs.LG", 7])), "categories"),
    (json.dumps(bad(18, authors={"name": "Ada"})), "authors"),
    (json.dumps(bad(19, versions="v1")), "versions"),
    (json.dumps(bad(20, versions=["v1"])), "versions"),
    (json.dumps(bad(21, comment=["a", "list"])), "comment"),
    (json.dumps(bad(22, doi=10.1234)), "doi"),
    ("[1, 2, 3]", None),
    ('{"id": "2501.99999", "title": ', None),
    ("not json at all", None),
    ('{"id": "2501.99998", "title": "Huge line", "summary": "' + "y" * (1 << 20) + '"}', None),
]


def mixed_file(path: Path) -> dict[int, str | None]:
    """100 good records with every bad kind spread between them; returns {line: field} of the bad ones."""
    lines: list[str] = []
    expected: dict[int, str | None] = {}
    bad_iter = iter(BAD)
    for i in range(1, 101):
        lines.append(json.dumps(good(i)))
        if i % 4 == 0:
            item = next(bad_iter, None)
            if item is not None:
                lines.append(item[0])
                expected[len(lines)] = item[1]
    for line, field in bad_iter:
        lines.append(line)
        expected[len(lines)] = field
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return expected


def test_mixed_file_keeps_every_good_record_and_rejects_each_bad_one_by_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    expected = mixed_file(path)
    assert len(expected) == len(BAD)
    result = run(tmp_path / "data", "ingest", "file", str(path), "--json")
    assert result.exit_code == 1, result.output
    [summary] = json.loads(result.stdout)
    assert summary["new"] == 100
    assert summary["rejected"] == len(BAD)
    got = {int(r["origin"].rsplit(":", 1)[1]): r for r in summary["rejected_records"]}
    assert set(got) == set(expected)
    for line, field in expected.items():
        assert got[line]["origin"] == f"mixed.jsonl:{line}"
        assert got[line]["field"] == field, (line, got[line])
        assert got[line]["reason"]
    assert "INSERT" not in result.output and "Traceback" not in result.output
    listed = run(tmp_path / "data", "papers", "list", "--limit", "200", "--json")
    assert len(json.loads(listed.stdout)) == 100


def test_text_output_names_file_line_field_and_counts(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    mixed_file(path)
    result = run(tmp_path / "data", "ingest", "file", str(path))
    assert result.exit_code == 1
    assert "mixed.jsonl:5: field 'authors[1]': expected a name" in result.stderr
    assert f"100 new, 0 updated, 0 unchanged, {len(BAD)} rejected" in result.stdout


def test_truncated_gzip_keeps_what_was_readable_and_says_where_it_broke(tmp_path: Path) -> None:
    whole = gzip.compress(("\n".join(json.dumps(good(i)) for i in range(1, 1006)) + "\n").encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    result = run(tmp_path / "data", "ingest", "file", str(path), "--json")
    assert result.exit_code == 1
    [summary] = json.loads(result.stdout)
    [broke] = summary["rejected_records"]
    assert "breaks off after line" in broke["reason"]
    kept = int(broke["origin"].rsplit(":", 1)[1]) - 1
    assert summary["new"] == kept and kept > 500
    assert summary["error"] is None


def test_unterminated_csv_quote_is_reported_and_later_rows_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    rows = ["id,title,abstract"]
    rows += [f"2501.{i:05d},Title {i},Abstract {i}" for i in range(1, 4)]
    rows.append('2501.00004,"An unterminated title,Abstract 4')  # line 5
    rows += [f"2501.{i:05d},Title {i},Abstract {i}" for i in range(5, 8)]
    rows.append('2501.00008,"Quoted, fine",Abstract 8')
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run(tmp_path / "data", "ingest", "file", str(path), "--json")
    assert result.exit_code == 1
    [summary] = json.loads(result.stdout)
    assert summary["new"] == 7
    [rejection] = summary["rejected_records"]
    assert rejection["origin"] == "papers.csv:5" and "quot" in rejection["reason"].lower()


def test_a_directory_argument_says_so(tmp_path: Path) -> None:
    result = run(tmp_path / "data", "ingest", "file", str(tmp_path))
    assert result.exit_code == 2 and "is a directory" in " ".join(result.stderr.split())


def test_json_summary_is_printed_even_when_the_run_stops(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    mixed_file(path)
    result = run(tmp_path / "data", "ingest", "file", str(path), "--json", "--strict")
    assert result.exit_code == 1
    [summary] = json.loads(result.stdout)
    assert summary["new"] == 4 and "--strict" in summary["error"]
    missing = run(tmp_path / "data", "ingest", "file", str(tmp_path / "nope.jsonl"), "--json")
    assert missing.exit_code == 2 and "no such file" in json.loads(missing.stdout)[0]["error"]


class ListSource:
    """Records handed over as they are, to reach the store's own checks past the parsers."""

    name = "list"
    checkpoint_key = None

    def __init__(self, items: list[Item]) -> None:
        self.items = items

    def read(self, resume: Any | None = None) -> Iterator[Item]:
        yield from self.items

    def position(self) -> Any:
        return None


def test_a_record_the_store_refuses_costs_only_itself(pf: Paperfeed) -> None:
    records: list[Item] = [PaperRecord(id=f"2501.{i:05d}", title=f"Paper {i}", origin=f"x:{i}") for i in range(1, 6)]
    poisoned = PaperRecord(id="2501.00099", title="Poisoned", origin="x:99")
    poisoned.code_url = ["not", "a", "string"]  # type: ignore[assignment]
    records.insert(2, poisoned)
    report = ingest(pf.store, ListSource(records))  # type: ignore[arg-type]
    assert report.counts.new == 5 and report.counts.rejected == 1
    [rejection] = report.rejections
    assert rejection.origin == "x:99" and "store refused" in rejection.message and "INSERT" not in rejection.message
    assert len(pf.store.list_papers(PaperQuery(limit=10))) == 5


def test_live_sources_cap_abstracts_too() -> None:
    from datetime import UTC, datetime

    from paperfeed.sources.base import Rejection
    from paperfeed.sources.huggingface import parse_paper

    paper = {"id": "2501.00001", "title": "Big", "summary": "s" * 200_000, "publishedAt": "2025-01-10T00:00:00Z"}
    [rejection] = parse_paper(paper, datetime.now(UTC))
    assert isinstance(rejection, Rejection) and rejection.field == "summary" and "limit" in rejection.message
