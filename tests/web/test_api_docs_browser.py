"""The interactive API docs in real Chromium: Swagger UI renders every route under the site's strict CSP,
with no request leaving the server, and "Try it out" gets a real answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from tests.conftest import CHROMIUM_ARGS
from tests.web.conftest import load_corpus
from tests.web.live import live_server

from paperfeed.app import open_paperfeed
from paperfeed.config import Settings
from paperfeed.web.app import create_app

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("apidocs") / "data", embedder="none", request_delay_s=0)
    pf = open_paperfeed(settings)
    load_corpus(pf)
    pf.search.refresh(progress=False)
    with live_server(create_app(pf)) as url:
        yield url
    pf.close()


def test_swagger_ui_renders_offline_under_the_csp_and_tries_a_route(chromium: Path, site: str) -> None:
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        violations: list[str] = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        hosts: set[str] = set()
        page.on("request", lambda r: hosts.add(urlparse(r.url).netloc))

        page.goto(f"{site}/api/v1/docs")
        page.wait_for_selector(".opblock", timeout=20_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert len(paths) >= 17, paths
        assert any("/api/v1/search" in p for p in paths) and any("/api/daily_papers" in p for p in paths)

        page.locator(".opblock-summary-path", has_text="/api/v1/stats").first.click()
        page.get_by_role("button", name="Try it out").click()
        page.get_by_role("button", name="Execute").click()
        page.wait_for_selector(".live-responses-table tr.response .response-col_status", timeout=20_000)
        status = page.locator(".live-responses-table tr.response .response-col_status").first.inner_text()
        assert status.strip().startswith("200"), status
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
        browser.close()

    assert violations == []
    assert hosts == {urlparse(site).netloc}  # nothing from a CDN, nothing anywhere else
