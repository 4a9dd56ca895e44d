"""Real Chromium (Debian's /usr/bin/chromium via Playwright) against a live paperfeed server.

The core flow runs at 360 px and 1280 px, with and without JavaScript:
search from the home page, apply a filter, open a paper, see similar papers,
upvote and see the count change, switch Daily / Weekly / Monthly, move
between dates, reach the subscribe form. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import CHROMIUM_ARGS
from tests.web.conftest import load_corpus
from tests.web.live import live_server

from paperfeed.app import Paperfeed, open_paperfeed
from paperfeed.config import Settings
from paperfeed.web.app import create_app

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("browser") / "data", embedder="none", request_delay_s=0)
    pf: Paperfeed = open_paperfeed(settings)
    load_corpus(pf)
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


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _no_horizontal_overflow(page, width: int) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width + 1, f"page is {scroll_width}px wide at a {width}px viewport"


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_core_flow(browser, site: str, width: int, javascript: bool) -> None:
    from playwright import sync_api

    tag = f"{width}-{'js' if javascript else 'nojs'}"
    context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        # home: today's papers, the first Tab reaches the skip link
        page.goto(site + "/")
        assert page.locator("#span-label").inner_text() == "Tuesday, 14 July 2026"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        _no_horizontal_overflow(page, width)
        _shot(page, f"home-{tag}")

        # search from the home page
        page.fill("#site-q", "diffusion")
        with page.expect_navigation():
            page.press("#site-q", "Enter")
        assert re.search(r"/search\?q=diffusion$", page.url)
        results = page.locator("ol.paper-list > li")
        assert results.count() >= 3
        assert page.locator("ol.paper-list mark").count() > 0
        _no_horizontal_overflow(page, width)
        _shot(page, f"search-{tag}")

        # "why this matched" opens on demand
        first_details = page.locator("details.why-matched").first
        first_details.locator("summary").click()
        assert first_details.locator("dd").first.is_visible()

        # apply a filter
        page.fill("#category", "cs.RO")
        with page.expect_navigation():
            page.click(".search-filters button[type=submit]")
        assert "category=cs.RO" in page.url
        titles = page.locator("ol.paper-list h3").all_inner_texts()
        assert titles == ["Diffusion Policies for Robot Manipulation"]

        # open a paper; similar papers are listed
        with page.expect_navigation():
            page.click("ol.paper-list h3 a")
        assert page.locator("h1#paper-title").inner_text() == "Diffusion Policies for Robot Manipulation"
        assert page.locator("section.similar ol.paper-list > li").count() >= 1
        assert "@misc{shannon2026diffusion," in page.locator("#bibtex").input_value()
        _no_horizontal_overflow(page, width)
        _shot(page, f"paper-{tag}")

        # upvote: this browser is a new visitor, so the count goes up by one
        before = int(page.locator("#upvote-count").inner_text())
        if javascript:
            page.click(".upvote-button")
            # expect() polls from the driver: wait_for_function would need eval, which the CSP forbids
            sync_api.expect(page.locator("#upvote-count")).to_have_text(str(before + 1))
        else:
            with page.expect_navigation():
                page.click(".upvote-button")
            assert "upvote=recorded" in page.url
        assert int(page.locator("#upvote-count").inner_text()) == before + 1
        assert page.locator(".upvote-label").inner_text() == "Upvoted"
        page.reload()
        assert int(page.locator("#upvote-count").inner_text()) == before + 1
        assert page.locator(".upvote-button").is_disabled()

        # Daily / Weekly / Monthly tabs
        page.goto(site + "/")
        with page.expect_navigation():
            page.click("nav.tabs >> text=Weekly")
        assert page.locator("nav.tabs a[aria-current=page]").inner_text() == "Weekly"
        assert page.locator("#span-label").inner_text().startswith("Week 29 of 2026")
        with page.expect_navigation():
            page.click("nav.tabs >> text=Monthly")
        assert page.locator("#span-label").inner_text() == "July 2026"
        _shot(page, f"monthly-{tag}")
        with page.expect_navigation():
            page.click("a.date-step[rel=prev]")
        assert page.locator("#span-label").inner_text() == "June 2026"
        assert "Latent Diffusion for Video Generation" in page.locator("section.listing").inner_text()
        with page.expect_navigation():
            page.click("nav.tabs >> text=Daily")

        # previous day, then the calendar jump
        with page.expect_navigation():
            page.click("a.date-step[rel=prev]")
        previous = page.locator("#span-label").inner_text()
        with page.expect_navigation():
            page.click("a.date-step[rel=next]")
        assert previous != page.locator("#span-label").inner_text()
        if javascript:  # picking a date submits the form at once
            with page.expect_navigation():
                page.fill("#jump-date", "2026-07-13")
        else:
            page.fill("#jump-date", "2026-07-13")
            with page.expect_navigation():
                page.click(".date-jump button[type=submit]")
        assert page.locator("#span-label").inner_text() == "Monday, 13 July 2026"
        assert "Efficient Attention with Linear Complexity" in page.locator("section.listing").inner_text()

        # the subscribe form is on the page and reachable from the keyboard
        email = page.locator("#subscribe-email")
        email.focus()
        assert page.evaluate("document.activeElement.id") == "subscribe-email"
        email.scroll_into_view_if_needed()
        assert email.is_visible()
        assert page.locator(".subscribe-form").get_attribute("method") == "post"
        assert page.locator(".subscribe-form input[name=csrf_token]").count() == 1
        _shot(page, f"subscribe-{tag}")
        email.fill(f"reader-{tag}@example.org")
        with page.expect_navigation():
            page.click(".subscribe-form button[type=submit]")
        assert page.locator("h1").first.inner_text() == "Check your inbox"
    finally:
        context.close()


def test_dark_mode_follows_the_system(browser, site: str) -> None:
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
        page = context.new_page()
        page.goto(site + "/papers/2607.10001")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        _shot(page, f"paper-{scheme}")
        context.close()
        if scheme == "light":
            assert background == "rgb(255, 255, 255)"
        else:
            assert background == "rgb(15, 20, 25)"


def test_script_title_is_text_in_the_browser(browser, site: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(site + "/papers/2607.10002")
    assert page.locator("h1#paper-title").inner_text() == "<script>alert(1)</script>"
    page.goto(site + "/search?q=alert")
    page.goto(site + "/")
    assert dialogs == []
    context.close()
