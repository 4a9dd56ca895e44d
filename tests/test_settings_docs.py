"""Every setting lives in `Settings` and is documented in docs/settings.md (as datasette's test_docs does)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from paperfeed.config import Settings

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\| `(\w+)` \| `(PAPERFEED_\w+)` \| ([^|]+) \| ([^|]+) \|$", re.MULTILINE)
# A read of a PAPERFEED_* variable: os.getenv("PAPERFEED_X"), os.environ.get("PAPERFEED_X"),
# os.environ["PAPERFEED_X"] not followed by an assignment, "PAPERFEED_X" in os.environ.
READ = re.compile(
    r"""getenv\(\s*["']PAPERFEED_"""
    r"""|environ\.get\(\s*["']PAPERFEED_"""
    r"""|environ\[\s*["']PAPERFEED_\w+["']\s*\](?!\s*=[^=])"""
    r"""|["']PAPERFEED_\w+["']\s+(?:not\s+)?in\s+os\.environ"""
)


def documented() -> dict[str, str]:
    return {m.group(1): m.group(2) for m in ROW.finditer((ROOT / "docs" / "settings.md").read_text())}


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(field: str) -> None:
    rows = documented()
    assert field in rows, f"Settings.{field} has no row in docs/settings.md"
    assert rows[field] == f"PAPERFEED_{field.upper()}"


def test_the_table_names_only_real_settings() -> None:
    assert set(documented()) - set(Settings.model_fields) == set()


def test_no_module_reads_a_setting_from_the_environment_itself() -> None:
    package = ROOT / "src" / "paperfeed"
    readers = [
        f"{path.relative_to(package)}:{n}"
        for path in sorted(package.rglob("*.py"))
        if path.name != "config.py" or path.parent != package
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if READ.search(line)
    ]
    assert readers == [], "read PAPERFEED_* through Settings instead"


def test_the_reader_check_catches_reads_and_lets_writes_pass() -> None:
    assert READ.search('threads = os.environ.get("PAPERFEED_WEB_THREADS", "")')
    assert READ.search("os.getenv('PAPERFEED_X')")
    assert READ.search('if "PAPERFEED_BASE_URL" not in os.environ:')
    assert READ.search('url = os.environ["PAPERFEED_BASE_URL"]')
    assert not READ.search('os.environ["PAPERFEED_DATA_DIR"] = str(path)')


def test_web_threads_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERFEED_WEB_THREADS", raising=False)
    assert Settings().web_threads == 4
    monkeypatch.setenv("PAPERFEED_WEB_THREADS", "7")
    assert Settings().web_threads == 7
