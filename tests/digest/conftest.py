"""Digest test fixtures: a small corpus of our own, a TLS+AUTH SMTP server on loopback, a configured app."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from paperfeed.app import Paperfeed, open_paperfeed
from paperfeed.config import Settings
from paperfeed.models import PaperRecord

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from smtp_sink import Sink, make_cert  # noqa: E402

TESTDATA = HERE.parent / "testdata" / "digest"
ARTIFACTS = HERE.parents[1] / "test-artifacts"
SECRET = "digest-test-secret-key-0123456789"


def load_corpus(pf: Paperfeed) -> None:
    records = []
    for line in (TESTDATA / "papers.jsonl").read_text().splitlines():
        raw = json.loads(line)
        for key in ("announced", "submitted"):
            raw[key] = date.fromisoformat(raw[key])
        records.append(PaperRecord(source="test", **raw))
    pf.store.upsert_papers(records)
    pf.search.refresh(progress=False)


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def sink(tmp_path: Path, tls: tuple[Path, Path]) -> Iterator[Sink]:
    server = Sink(tmp_path / "mailbox", *tls).start()
    yield server
    server.stop()


def make_settings(tmp_path: Path, smtp_url: str | None) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        embedder="none",
        request_delay_s=0.0,
        smtp_url=smtp_url,
        mail_rate_per_s=0.0,
        base_url="http://testserver",
        mail_from="paperfeed <digest@paperfeed.test>",
        secret_key=SECRET,
    )


@pytest.fixture
def dpf(tmp_path: Path, sink: Sink) -> Iterator[Paperfeed]:
    """A paperfeed with the test corpus, mailing through `sink`."""
    app = open_paperfeed(make_settings(tmp_path, sink.url()))
    load_corpus(app)
    yield app
    app.close()


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK_RE = re.compile(r"(https?://\S+)")


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def link_in(message, path_part: str) -> str:
    text = message.get_body(("plain",)).get_content()
    for url in LINK_RE.findall(text):
        if path_part in url:
            return url
    raise AssertionError(f"no {path_part} link in: {text}")


TOPIC_POOL = [
    {"queries": ["diffusion models"]},
    {"queries": ["language model reasoning"], "exclude": ["audio"]},
    {"categories": ["cs.RO"], "authors": ["Grace Hopper"]},
    {"queries": ["graph neural networks"], "categories": ["cs.LG"]},
    {"queries": ["speech recognition"], "liked": ["2611.00005"]},
    {},  # no topics: trending / nothing
]


def add_subscribers(pf: Paperfeed, n: int, prefix: str = "reader", pool: list[dict] | None = None) -> list[int]:
    """`n` confirmed daily subscribers (07:00 UTC) with topics from `pool` (must be non-empty digests)."""
    pool = pool or [t for t in TOPIC_POOL if t]
    ids = []
    for i in range(n):
        sub = pf.store.create_subscriber(f"{prefix}{i}@example.org", "2026-11-01T00:00:00+00:00")
        pf.store.update_subscriber(
            sub.id, status="confirmed", confirmed_at="2026-11-01T00:00:00+00:00", topics=pool[i % len(pool)]
        )
        ids.append(sub.id)
    return ids
