"""Mail never waits behind embedding: with the scheduler's index job busy on a long backlog, a
confirmation mail still goes out through a real SMTP server (aiosmtpd on loopback) within one send pass.

Before the index job existed, the digest loop embedded the whole backlog itself before composing or
sending anything; here the backlog (a slow test embedder, a floor of ~60 s of embedding) is still far
from done when the mail arrives.
"""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from tests.search.synthetic import dated_corpus

from conftest import csrf_from, make_settings
from paperfeed.app import open_paperfeed
from paperfeed.digest.scheduler import run_forever
from paperfeed.web.app import create_app


def _until(condition, timeout_s: float, what: str) -> None:
    """A bounded poll of the running scheduler threads."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, what
        threading.Event().wait(0.1)


def test_a_confirmation_goes_out_while_the_index_job_embeds(tmp_path: Path, sink) -> None:
    settings = make_settings(tmp_path, sink.url()).model_copy(
        update={"embedder": "tests.search.embedders:VerySlowHashEmbedder"}
    )
    pf = open_paperfeed(settings)
    pf.store.upsert_papers(dated_corpus(3000, 30, date(2026, 10, 31)))
    stop = threading.Event()
    scheduler = threading.Thread(target=run_forever, args=(pf, stop), daemon=True)
    scheduler.start()
    try:
        _until(lambda: pf.search.coverage(max_age_s=0).embedded > 0, 90, "the index job never started")
        client = TestClient(create_app(pf))
        token = csrf_from(client.get("/").text)
        r = client.post("/subscribe", data={"email": "dana@example.org", "csrf_token": token})
        assert r.status_code == 202, r.text
        _until(lambda: len(sink.messages()) == 1, 60, "the confirmation did not go out")
        assert "Confirm" in sink.messages()[0]["Subject"]
        cov = pf.search.coverage(max_age_s=0)
        assert 0 < cov.embedded < cov.total  # sent in the middle of the backlog, not after it
    finally:
        stop.set()
        scheduler.join(timeout=60)
        pf.close()
    assert not scheduler.is_alive()
