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
                page = browser.new_page()
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
