"""Fixtures every test area shares: a real SQLite store in a temp dir and ../shared."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from paperfeed.app import Paperfeed, open_paperfeed
from paperfeed.config import Settings

# The PostgreSQL server fixtures (pg_server, pg_url) and the two-backend `store_backend`.
pytest_plugins = ["pg_fixture"]

REPO = Path(__file__).resolve().parents[1]
# ../shared beside the repo; PAPERFEED_SHARED_DIR points elsewhere (a git worktree has no ../shared of its own).
SHARED = Path(os.environ.get("PAPERFEED_SHARED_DIR") or REPO.parent / "shared")
TESTDATA = Path(__file__).resolve().parent / "testdata"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared, or a skip with the reason where a fresh clone has none (CI has it)."""
    if not (SHARED / "README.md").exists():
        pytest.skip("../shared is absent (it sits beside the repo on developer machines and in CI)")
    return SHARED


CHROMIUM = Path("/usr/bin/chromium")
# What a root, offline, headless Chromium needs to start without reaching for the network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, or one skip reason for every browser test where it or Playwright is missing."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium chromium-driver)")
    pytest.importorskip(
        "playwright.sync_api", reason="Playwright for Python is not installed (pip install -e '.[test]')"
    )
    return CHROMIUM


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", embedder="none", request_delay_s=0.0)


@pytest.fixture
def pf(settings: Settings) -> Iterator[Paperfeed]:
    app = open_paperfeed(settings)
    yield app
    app.close()
