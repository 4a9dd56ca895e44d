"""Real Chromium on the two notions: a period's papers (home) and trending now, at 1280 and 390 px.

The site's clock is set to the corpus's newest day, so "now" has engagement to
show. Screenshots go to test-artifacts/trending/ (the issue's closing artefacts).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.conftest import CHROMIUM_ARGS
from tests.web.conftest import load_corpus
from tests.web.live import live_server

from paperfeed.app import Paperfeed, open_paperfeed
from paperfeed.config import Settings
from paperfeed.models import Signal
from paperfeed.web.app import create_app

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "trending"
NOW = datetime(2026, 7, 14, 18, tzinfo=UTC)


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 7, day, hour, tzinfo=UTC)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("trending") / "data", embedder="none", request_delay_s=0)
    pf: Paperfeed = open_paperfeed(settings, clock=lambda: NOW)
    load_corpus(pf)
    hf = "huggingface"
    pf.store.add_signals(
        [
            Signal("2607.10001", hf, "hf_upvotes", 40, _at(13, 20)),
            Signal("2607.10001", hf, "hf_upvotes", 71, _at(14, 12)),
            Signal("2607.10001", hf, "github_stars", 120, _at(14, 12)),
            Signal("2607.10003", hf, "hf_upvotes", 12, _at(14, 9)),
            Signal("2607.10003", hf, "hf_comments", 3, _at(14, 9)),
            Signal("2607.10004", hf, "hf_upvotes", 25, _at(13, 22)),
            Signal("2607.10005", hf, "github_stars", 300, _at(10, 8)),
            Signal("2607.10005", hf, "github_stars", 460, _at(14, 8)),
            *[Signal("2607.10008", "local", "upvote", 1, _at(14, 10), actor=f"a{i}", network="n") for i in range(4)],
            *[Signal("2607.10008", "local", "view", 1, _at(14, 11), actor=f"v{i}", network="n") for i in range(9)],
        ]
    )
    pf.search.refresh(progress=False)
    with live_server(create_app(pf)) as url:
        yield url
    pf.close()


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[object]:
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_home_lists_and_trending_now(browser, site: str, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        # The day's papers, most upvoted first; each card's ▲ is what ranks it.
        page.goto(site + "/")
        assert page.locator("#span-label").inner_text() == "Tuesday, 14 July 2026"
        counts = [int(c) for c in page.locator("section.listing .upvote-count").all_inner_texts()]
        assert counts == sorted(counts, reverse=True) and counts[0] == 71
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        page.screenshot(path=str(ARTIFACTS / f"home-day-{width}.png"), full_page=True)

        page.goto(site + "/papers/week/2026-W29")
        assert page.locator("#span-label").inner_text().startswith("Week 29 of 2026")
        page.screenshot(path=str(ARTIFACTS / f"home-week-{width}.png"), full_page=True)

        # Trending now, each card with its explanation; the counts in words are whole.
        for window in ("day", "week"):
            page.goto(site + f"/trending?window={window}")
            items = page.locator("ol.paper-list > li")
            assert items.count() >= 3
            why = page.locator(".why-trending").all_inner_texts()
            assert all(line and "." not in line.split(" ")[0] for line in why)
            assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
            page.screenshot(path=str(ARTIFACTS / f"trending-{window}-{width}.png"), full_page=True)
    finally:
        context.close()
