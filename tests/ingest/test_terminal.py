"""Issue 16: the CLI never prints terminal control sequences or Rich markup stored in ingested text."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from paperfeed.cli import app

runner = CliRunner()
ESC_TITLE = "Evil \x1b]0;pwned\x07title \x1b[2J\x9b31m with [bold red]markup[/] \u202egnp.exe"


def run(data_dir: Path, *args: str):
    return runner.invoke(app, ["--data-dir", str(data_dir), *args])


def test_stored_control_characters_never_reach_the_terminal(tmp_path: Path) -> None:
    path = tmp_path / "evil.jsonl"
    record = {
        "id": "2501.00001",
        "title": ESC_TITLE,
        "summary": "Abstract \x1b[31mred\x1b[0m text.",
        "authors": ["Mallory \x1b[5mblink"],
        "categories": ["cs.CR", "x\x1b[2J[red]y"],
        "published": "2025-01-10",
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    data = tmp_path / "data"
    assert run(data, "ingest", "file", str(path)).exit_code == 0
    outputs = [
        run(data, "papers", "show", "2501.00001"),
        run(data, "papers", "list"),
        run(data, "search", "evil", "--mode", "lexical"),
        run(data, "papers", "show", "2501.00001", "--json"),
        run(data, "stats"),
    ]
    for result in outputs:
        assert result.exit_code == 0, result.output
        for bad in ("\x1b", "\x07", "\x9b", "\u202e"):
            assert bad not in result.output, (bad, result.output)
    assert "[bold red]markup[/]" in outputs[0].output  # shown as the text it is, not applied
    assert "x[2J[red]y" in outputs[4].output.replace("\n", "")  # a category is shown, inert
    shown = json.loads(outputs[3].stdout)
    assert shown["title"] == ESC_TITLE  # --json keeps the data, escaped
