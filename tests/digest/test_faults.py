"""Delivery under faults: temporary refusals, a permanent refusal, a worker killed mid-run."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from smtp_sink import Sink, free_port, read_messages, spawn

from conftest import SECRET, add_subscribers, load_corpus, make_settings
from paperfeed.app import open_paperfeed
from paperfeed.digest.mailer import SmtpMailer
from paperfeed.digest.outbox import MailContext, compose_due
from paperfeed.digest.scheduler import compose_pass, send_pass

NOW = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)


def _recipients(messages) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in messages:
        counts[str(m["To"])] = counts.get(str(m["To"]), 0) + 1
    return counts


def _statuses(pf) -> dict[str, int]:
    out: dict[str, int] = {}
    for _, kind, status, n in pf.store.outbox_summary():
        if kind == "digest":
            out[status] = out.get(status, 0) + n
    return out


def test_temporary_refusals_then_accept_every_digest_exactly_once(dpf, sink) -> None:
    add_subscribers(dpf, 8)
    assert compose_pass(dpf, NOW).composed == 8
    sink.handler.temp_fail = 11  # "451 try again later" at the end of DATA, for a while
    moment, passes = NOW, 0
    while _statuses(dpf).get("pending"):
        send_pass(dpf, moment)
        moment += timedelta(minutes=5)  # past any backoff so far
        passes += 1
        assert passes < 20
    assert sink.handler.refused == 11
    counts = _recipients(sink.messages())
    assert len(counts) == 8 and set(counts.values()) == {1}
    assert _statuses(dpf) == {"sent": 8}
    retried = [r for r in dpf.store.list_outbox(kind="digest") if r.attempts > 1]
    assert retried  # the refused ones were retried, with their attempts counted


def test_backoff_waits_before_retrying(dpf, sink) -> None:
    add_subscribers(dpf, 1)
    compose_pass(dpf, NOW)
    sink.handler.temp_fail = 1
    assert send_pass(dpf, NOW).retrying == 1
    assert send_pass(dpf, NOW + timedelta(seconds=30)).sent == 0  # first backoff is about a minute
    assert send_pass(dpf, NOW + timedelta(seconds=70)).sent == 1


def test_permanent_refusal_fails_one_and_the_others_go_out(dpf, sink) -> None:
    add_subscribers(dpf, 5)
    sink.handler.reject = {"reader2@example.org"}
    compose_pass(dpf, NOW)
    report = send_pass(dpf, NOW)
    assert (report.sent, report.failed) == (4, 1)
    failed = [r for r in dpf.store.list_outbox(kind="digest") if r.status == "failed"]
    assert [r.recipient for r in failed] == ["reader2@example.org"]
    assert "550" in failed[0].last_error
    assert set(_recipients(sink.messages())) == {f"reader{i}@example.org" for i in (0, 1, 3, 4)}
    assert send_pass(dpf, NOW + timedelta(days=1)).sent == 0  # failed is final


def test_unreachable_server_ends_the_pass_without_spending_attempts(dpf) -> None:
    add_subscribers(dpf, 3)
    compose_pass(dpf, NOW)
    mailer = SmtpMailer(f"smtp://127.0.0.1:{free_port()}?timeout=2", rate_per_s=0)
    report = send_pass(dpf, NOW, mailer=mailer)
    assert report.stopped and "cannot reach" in report.stopped
    rows = dpf.store.list_outbox(kind="digest")
    assert sorted(r.attempts for r in rows) == [0, 0, 1] and {r.status for r in rows} == {"pending"}
    assert all(r.claimed_by is None for r in rows)


@pytest.mark.slow
def test_sigkill_mid_run_of_1000_each_recipient_gets_exactly_one(tmp_path: Path, tls) -> None:
    """The worker is SIGKILLed three times at random points while sending 1,000 digests, and restarted.

    The SMTP server runs in its own process and behaves like a mail store that keeps one copy per
    Message-ID. Why the test needs that: see the delivery note in paperfeed/digest/worker.py (a kill
    between the server's "250" and our COMMIT, a window well under a millisecond, resends the same
    bytes). The test asserts exactly one message per recipient in the mailbox, that no two different
    digests were ever composed for one recipient, and that resent duplicates are at most one per kill.
    """
    port = free_port()
    box = tmp_path / "mailbox"
    cert, key = tls
    server = spawn(box, cert, key, port, "--dedupe")
    try:
        assert server.stdout.readline().startswith("READY")
        url = Sink.__new__(Sink)
        url.port, url.cert = port, cert
        settings = make_settings(tmp_path, url.url())
        pf = open_paperfeed(settings)
        load_corpus(pf)
        add_subscribers(pf, 1000)
        report = compose_due(pf.store, pf.search, None, MailContext.from_settings(settings), NOW)
        assert report.composed == 1000
        pf.close()

        env = os.environ | {
            "PAPERFEED_DATA_DIR": str(settings.data_dir),
            "PAPERFEED_SMTP_URL": settings.smtp_url,
            "PAPERFEED_MAIL_RATE_PER_S": "0",
            "PAPERFEED_SECRET_KEY": SECRET,
            "PAPERFEED_EMBEDDER": "none",
            "PAPERFEED_BASE_URL": settings.base_url,
            "PAPERFEED_MAIL_FROM": settings.mail_from,
        }
        cmd = [
            sys.executable,
            "-c",
            "from paperfeed.cli import main; main()",
            "digest",
            "send",
            "--now",
            NOW.isoformat(),
        ]
        rng = random.Random(int(os.environ.get("PAPERFEED_TEST_SEED", "20261103")))
        received, kills = 0, 0
        for target in sorted(rng.sample(range(100, 900), 3)):
            worker = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while received < target:
                line = server.stdout.readline()
                assert line, "the SMTP server stopped"
                if line.startswith("MSG "):
                    received = int(line.split()[1])
            time.sleep(rng.uniform(0, 0.004))  # not synchronisation: it scatters the kill point within a send
            worker.kill()  # SIGKILL
            worker.wait()
            kills += 1
        subprocess.run(cmd, env=env, check=True, timeout=300, stdout=subprocess.DEVNULL)
        server.stdin.close()
        tail = server.stdout.read()
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    duplicates = int(tail.split("DUPLICATES")[1].split()[0])
    messages = read_messages(box)
    counts = _recipients(messages)
    assert len(messages) == 1000
    assert len(counts) == 1000 and set(counts.values()) == {1}
    assert len({m["Message-ID"] for m in messages}) == 1000
    assert duplicates <= kills, f"{duplicates} resent copies for {kills} kills"
    print(f"\nkills={kills} resent duplicates (same Message-ID, collapsed by the mailbox)={duplicates}")
    pf = open_paperfeed(settings)
    try:
        assert _statuses(pf) == {"sent": 1000}
    finally:
        pf.close()
