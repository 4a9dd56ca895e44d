"""Server mode end to end: 2 web workers and 2 digest workers on one PostgreSQL, one worker killed.

1,000 confirmed subscribers are due at the same moment. Two `paperfeed digest run`
processes compose and send at once (composition is deduplicated by the outbox's
unique key, sending by `FOR UPDATE SKIP LOCKED` leases) while a two-worker web
server answers pages and searches from the same database. One digest worker is
SIGKILLed mid-run; a replacement frees its leases and finishes. The SMTP server
is a separate process that keeps one copy per Message-ID (see the delivery note
in paperfeed/digest/worker.py for why a kill can resend one message): every
subscriber must end with exactly one digest, and no digest is composed twice.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from paperfeed.app import open_paperfeed
from paperfeed.config import Settings
from paperfeed.models import PaperRecord

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "digest"))
from smtp_sink import PASSWORD, USER, free_port, make_cert, read_messages, spawn  # noqa: E402

NOW = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
SUBSCRIBERS = 1000
SECRET = "team-test-secret-key-0123456789abcdef"
TOPICS = [
    {"queries": ["diffusion models"]},
    {"queries": ["language model reasoning"], "exclude": ["audio"]},
    {"categories": ["cs.RO"], "authors": ["Grace Hopper"]},
    {"queries": ["graph neural networks"], "categories": ["cs.LG"]},
]


def _corpus() -> list[PaperRecord]:
    out = []
    for line in (TESTS / "testdata" / "digest" / "papers.jsonl").read_text().splitlines():
        raw = json.loads(line)
        for key in ("announced", "submitted"):
            raw[key] = date.fromisoformat(raw[key])
        out.append(PaperRecord(source="test", **raw))
    return out


def _wait_ready(url: str, proc: subprocess.Popen) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise AssertionError(f"web server exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        threading.Event().wait(0.1)  # polling a starting server, not synchronisation
    raise AssertionError("web server did not come up")


def test_two_web_two_digest_workers_one_killed(pg_url: str, tmp_path: Path) -> None:
    from urllib.parse import quote

    cert, key = make_cert(tmp_path / "tls")
    smtp_port, web_port = free_port(), free_port()
    smtp_url = f"smtp+starttls://{USER}:{quote(PASSWORD)}@127.0.0.1:{smtp_port}?cafile={quote(str(cert))}&timeout=10"
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=pg_url,
        embedder="none",
        smtp_url=smtp_url,
        mail_rate_per_s=0.0,
        base_url="http://testserver",
        secret_key=SECRET,
        mail_from="paperfeed <digest@paperfeed.test>",
    )
    pf = open_paperfeed(settings)
    try:
        pf.store.upsert_papers(_corpus())
        pf.search.refresh(progress=False)
        for i in range(SUBSCRIBERS):
            sub = pf.store.create_subscriber(f"reader{i}@example.org", "2026-11-01T00:00:00+00:00")
            pf.store.update_subscriber(
                sub.id, status="confirmed", confirmed_at="2026-11-01T00:00:00+00:00", topics=TOPICS[i % len(TOPICS)]
            )
    finally:
        pf.close()

    env = os.environ | {
        "PAPERFEED_DATABASE_URL": pg_url,
        "PAPERFEED_DATA_DIR": str(settings.data_dir),
        "PAPERFEED_SMTP_URL": smtp_url,
        "PAPERFEED_MAIL_RATE_PER_S": "0",
        "PAPERFEED_SECRET_KEY": SECRET,
        "PAPERFEED_EMBEDDER": "none",
        "PAPERFEED_BASE_URL": "http://testserver",
        "PAPERFEED_MAIL_FROM": settings.mail_from,
    }
    box = tmp_path / "mailbox"
    sink = spawn(box, cert, key, smtp_port, "--dedupe")
    # The web workers without `serve`'s in-process scheduler: the digest workers below are the only senders.
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "paperfeed.web.app:factory",
            "--factory",
            "--workers",
            "2",
            "--host",
            "127.0.0.1",
            "--port",
            str(web_port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    run = [sys.executable, "-c", "from paperfeed.cli import main; main()", "digest", "run", "--now", NOW.isoformat()]
    procs: list[subprocess.Popen] = []
    web_status: list[int] = []
    stop_web = threading.Event()

    def browse() -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{web_port}", timeout=30) as client:
            while not stop_web.is_set():
                for path in ("/", "/search?q=diffusion", "/api/papers/search?q=graph+neural"):
                    web_status.append(client.get(path).status_code)

    try:
        assert sink.stdout.readline().startswith("READY")
        _wait_ready(f"http://127.0.0.1:{web_port}/", web)
        browser = threading.Thread(target=browse)
        browser.start()
        workers = [
            subprocess.Popen(run, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)
        ]
        procs.extend(workers)
        received = 0
        while received < 300:
            line = sink.stdout.readline()
            assert line, "the SMTP server stopped"
            if line.startswith("MSG "):
                received = int(line.split()[1])
        workers[0].kill()  # SIGKILL one digest worker mid-run
        workers[0].wait()
        replacement = subprocess.Popen(run, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(replacement)
        assert workers[1].wait(timeout=600) == 0
        assert replacement.wait(timeout=600) == 0
        stop_web.set()
        browser.join(timeout=120)
        sink.stdin.close()
        tail = sink.stdout.read()
        sink.wait(timeout=60)
    finally:
        stop_web.set()
        for p in (*procs, web, sink):
            if p.poll() is None:
                p.kill()
    messages = read_messages(box)
    per_recipient: dict[str, int] = {}
    for m in messages:
        per_recipient[str(m["To"])] = per_recipient.get(str(m["To"]), 0) + 1
    assert len(per_recipient) == SUBSCRIBERS and set(per_recipient.values()) == {1}
    assert len({m["Message-ID"] for m in messages}) == SUBSCRIBERS  # composed once each
    duplicates = int(tail.split("DUPLICATES")[1].split()[0])
    assert duplicates <= 1  # at most one resend, for the one kill (same bytes, same Message-ID)
    assert web_status and set(web_status) == {200}
    pf = open_paperfeed(settings)
    try:
        statuses = {s: n for _, kind, s, n in pf.store.outbox_summary() if kind == "digest"}
        assert statuses == {"sent": SUBSCRIBERS}
    finally:
        pf.close()
