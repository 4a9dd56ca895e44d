"""The subscription flow in real Chromium against a live server: subscribe box, the confirmation link
from the received mail followed in the browser, topics set on the manage page, digest received."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.conftest import CHROMIUM_ARGS

from conftest import link_in, load_corpus, make_settings
from paperfeed.app import open_paperfeed
from paperfeed.digest.outbox import MailContext
from paperfeed.digest.scheduler import run_once, send_pass
from paperfeed.digest.subscriptions import Subscriptions
from paperfeed.web.app import create_app


@pytest.mark.browser
def test_subscribe_confirm_and_set_topics_in_chromium(tmp_path: Path, sink, chromium: Path) -> None:
    import uvicorn
    from playwright import sync_api as playwright

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # listening before the server thread starts: no waiting for it to come up
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = make_settings(tmp_path, sink.url()).model_copy(update={"base_url": base})
    pf = open_paperfeed(settings)
    load_corpus(pf)
    app = create_app(pf)
    processed = threading.Event()  # the subscribe answer goes out before its background task runs

    class Signalling(Subscriptions):
        def process(self, *args, **kwargs) -> None:
            super().process(*args, **kwargs)
            processed.set()

    app.state.subscriptions = Signalling(pf.store, MailContext.from_settings(pf.settings))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(timezone_id="America/Sao_Paulo")  # the visitor's browser's zone
                page.goto(base + "/")
                page.fill("#subscribe-email", "dana@example.org")
                page.click(".subscribe-form button[type=submit]")
                page.wait_for_load_state()
                assert "confirmation link is on its way" in page.content()

                assert processed.wait(30), "the subscribe request's background task never ran"
                assert send_pass(pf).sent == 1
                (confirm,) = sink.messages()
                page.goto(link_in(confirm, "/subscribe/confirm/"))
                page.click("#confirm-button")
                page.wait_for_selector("#welcome")
                # The browser's time zone is pre-selected over the server default, and says so.
                assert page.input_value("#timezone") == "America/Sao_Paulo"
                assert page.is_visible("#timezone-note")
                # Without JavaScript the same page keeps the server's default.
                nojs = browser.new_context(java_script_enabled=False, timezone_id="America/Sao_Paulo").new_page()
                nojs.goto(page.url)
                assert nojs.input_value("#timezone") == "UTC" and not nojs.is_visible("#timezone-note")
                # "Delete my data" is a destructive action: not styled as the filled primary button.
                style = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]"
                save_bg, _ = page.eval_on_selector("#save", style)
                delete_bg, delete_fg = page.eval_on_selector("#delete", style)
                assert delete_bg != save_bg and delete_bg == "rgba(0, 0, 0, 0)"  # outlined, not filled
                assert delete_fg == "rgb(179, 38, 30)"  # the site's --danger red
                page.fill("#queries", "diffusion models")
                page.select_option("#send_hour", "7")
                page.fill("#timezone", "Europe/Berlin")
                page.click("#save")
                page.wait_for_selector("#saved")
            finally:
                browser.close()
        sub = pf.store.get_subscriber_by_email("dana@example.org")
        assert sub.status == "confirmed" and sub.topics["queries"] == ["diffusion models"]
        assert sub.timezone == "Europe/Berlin"
        report = run_once(pf, datetime(2026, 11, 3, 8, 0, tzinfo=UTC))  # 09:00 in Berlin
        assert report.send.sent == 1
        digest = sink.messages()[-1]
        assert str(digest["To"]) == "dana@example.org" and "for Tue 3 Nov" in digest["Subject"]
        assert "matches your topic 'diffusion models'" in digest.get_body(("plain",)).get_content()
    finally:
        server.should_exit = True
        thread.join(10)
        pf.close()
