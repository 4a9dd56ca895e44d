"""The polite HTTP client: spacing, retries, Retry-After, clear errors; and the start-up probe."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from paperfeed.config import Settings
from paperfeed.sources.base import SourceError
from paperfeed.sources.http import HttpError, retry_after_seconds
from paperfeed.sources.probe import probe_live_sources, unreachable_line

PAPERHIVE = "fixtures/arxiv_oai_pmh/paperhive_nock_2018"


def recorded_503_then_200(shared_dir: Path) -> list[dict]:
    path = shared_dir / PAPERHIVE / "oaipmh-listrecords---should-list-identifiers-from-arxiv.json"
    return json.loads(path.read_text())


def raw_headers(pairs: list[str]) -> dict[str, str]:
    # drop the framing headers: MockTransport sets its own length for the body
    return {
        k: v
        for k, v in zip(pairs[::2], pairs[1::2], strict=True)
        if k.lower() not in ("content-length", "transfer-encoding", "connection")
    }


# -- Retry-After parsing ---------------------------------------------------------


def test_retry_after_delta_seconds() -> None:
    assert retry_after_seconds("10") == 10.0
    assert retry_after_seconds(" 0 ") == 0.0


def test_retry_after_http_date() -> None:
    now = datetime(2026, 1, 14, 12, 0, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=42), usegmt=True)
    assert retry_after_seconds(header, now) == pytest.approx(42.0)
    past = format_datetime(now - timedelta(minutes=5), usegmt=True)
    assert retry_after_seconds(past, now) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "-5"])
def test_retry_after_garbled_is_ignored(value: str | None) -> None:
    assert retry_after_seconds(value) is None


# -- the real 503 recording ---------------------------------------------------------


def test_recorded_503_is_retried_after_retry_after(shared_dir: Path, replay, clock) -> None:
    steps = recorded_503_then_200(shared_dir)
    assert [s["status"] for s in steps] == [503, 200]
    served = iter(steps)

    def route(path: str, params: dict[str, str]):
        step = next(served)
        assert step["path"].startswith(path)
        return step["status"], raw_headers(step["rawHeaders"]), step["response"].encode()

    rp = replay(route)
    client = rp.client(clock, delay_s=3.0)
    response = client.get(
        "http://export.arxiv.org/oai2",
        params={"metadataPrefix": "arXiv", "from": "2015-01-01", "until": "2015-01-03", "verb": "ListRecords"},
    )
    assert response.status_code == 200
    assert b"<ListRecords>" in response.content
    assert clock.sleeps == [10.0]  # exactly the server's Retry-After, no extra polite delay on top
    assert len(rp.requests) == 2


# -- scripted failures on a loopback server ---------------------------------------------


def test_polite_spacing_per_host(loopback, clock) -> None:
    server = loopback(lambda path, params: (200, {}, b"ok"))
    client = server.client(clock, delay_s=3.0)
    client.get(server.url + "/a")
    client.get(server.url + "/b")
    clock.now += 1.0
    client.get(server.url + "/c")
    assert clock.sleeps == [3.0, 2.0]


def test_5xx_then_success_backs_off(loopback, clock) -> None:
    answers = iter([(500, {}, b"boom"), (502, {}, b"bad gateway"), (200, {}, b"fine")])
    server = loopback(lambda path, params: next(answers))
    client = server.client(clock, backoff_s=1.0)
    assert client.get(server.url + "/x").content == b"fine"
    assert len(clock.sleeps) == 2
    assert 1.0 <= clock.sleeps[0] <= 1.2 and 2.0 <= clock.sleeps[1] <= 2.4


def test_retry_after_as_http_date(loopback, clock) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    answers = iter([(503, {"Retry-After": when}, b"busy"), (200, {}, b"fine")])
    server = loopback(lambda path, params: next(answers))
    client = server.client(clock)
    assert client.get(server.url + "/x").content == b"fine"
    assert len(clock.sleeps) == 1 and 25 <= clock.sleeps[0] <= 31


def test_gives_up_with_a_clear_message(loopback, clock) -> None:
    server = loopback(lambda path, params: (503, {"Retry-After": "5"}, b"busy"))
    client = server.client(clock, retries=2)
    with pytest.raises(HttpError) as info:
        client.get(server.url + "/oai", params={"verb": "ListRecords"})
    message = str(info.value)
    assert "/oai?verb=ListRecords" in message
    assert "HTTP 503 after 3 attempts" in message
    assert "rerun the same command" in message
    assert clock.sleeps == [5.0, 5.0]


def test_retry_after_beyond_patience_gives_up_at_once(loopback, clock) -> None:
    server = loopback(lambda path, params: (503, {"Retry-After": "86400"}, b"come back tomorrow"))
    client = server.client(clock, max_wait_s=600)
    with pytest.raises(HttpError, match="Retry-After 86400 s"):
        client.get(server.url + "/x")
    assert clock.sleeps == []


def test_4xx_is_not_retried(loopback, clock) -> None:
    server = loopback(lambda path, params: (404, {}, b"no such page"))
    client = server.client(clock)
    with pytest.raises(HttpError) as info:
        client.get(server.url + "/missing")
    assert info.value.status == 404
    assert "HTTP 404" in str(info.value) and "/missing" in str(info.value)
    assert len(server.hits) == 1 and clock.sleeps == []


def test_timeout_gives_a_clear_message(loopback, clock) -> None:
    server = loopback(lambda path, params: (0, {}, b""))  # the server never answers
    client = server.client(clock, timeout_s=0.2, retries=1)
    with pytest.raises(SourceError, match=r"no answer within 0.2 s after 2 attempts.*PAPERFEED_HTTP_TIMEOUT_S"):
        client.get(server.url + "/slow")
    assert len(clock.sleeps) == 1


def test_connection_refused(loopback, clock) -> None:
    server = loopback(lambda path, params: (200, {}, b""))
    url = server.url
    server.server.shutdown()
    server.server.server_close()
    client = server.client(clock, retries=0)
    with pytest.raises(SourceError, match="could not connect"):
        client.get(url + "/x")


# -- the start-up probe ---------------------------------------------------------------------


def test_probe_reports_each_source(loopback, tmp_path: Path) -> None:
    up = loopback(lambda path, params: (200, {}, b"{}"))
    down = loopback(lambda path, params: (500, {}, b""))
    settings = Settings(
        data_dir=tmp_path,
        arxiv_oai_url=up.url + "/oai",
        arxiv_api_url=down.url + "/api/query",
        huggingface_url=up.url,
    )
    results = probe_live_sources(settings, timeout_s=1.0)
    assert [name for name, _ in results] == ["arXiv OAI-PMH", "arXiv API", "Hugging Face"]
    assert results[0][1] is None and results[2][1] is None
    assert "HTTP 500" in (results[1][1] or "")
    assert unreachable_line(results) == (
        "could not reach arXiv API (HTTP 500 after 1 attempt); "
        "serving the stored corpus, live updates resume when they can be reached"
    )
    assert ("/api/daily_papers", {"limit": "1"}) in up.hits


def test_probe_fails_fast_when_nothing_answers(loopback, tmp_path: Path) -> None:
    stalled = loopback(lambda path, params: (0, {}, b""))
    settings = Settings(
        data_dir=tmp_path, arxiv_oai_url=stalled.url, arxiv_api_url=stalled.url, huggingface_url=stalled.url
    )
    results = probe_live_sources(settings, timeout_s=0.3)
    assert all(error and "no answer within 0.3 s after 1 attempt;" in error for _, error in results)
    assert unreachable_line([("x", None)]) is None


def test_unusable_urls_fail_at_once(clock) -> None:
    from paperfeed.sources.http import HttpClient

    with HttpClient(sleep=clock.sleep, clock=clock) as client:
        for url in ("ftp://example.invalid/x", "no-scheme"):
            with pytest.raises(SourceError, match="not an http"):
                client.get(url)
    assert clock.sleeps == []  # nothing worth retrying
