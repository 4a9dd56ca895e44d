"""Sending the outbox: leased claims, retries with backoff, and the exactly-once question.

One pass: claim a batch of due rows (a lease with a claim token, see
``store/sql_digest.py``), send each, record the outcome, repeat until
nothing is due. Several workers may run at once; a row is only ever held by
one of them.

How a row is sent, and why (the delivery guarantee)::

    1. mailer.open()      MAIL FROM, RCPT TO, DATA, the message body, but not the final "."
    2. BEGIN              mark the row sent, record its papers in sent_papers (claim re-checked)
    3. delivery.commit()  send ".", wait for the server's 250
    4. COMMIT             (on any failure in 3: ROLLBACK, and the row is retried or failed)

A crash before 3 leaves the server with an unfinished DATA, which it discards
when the connection drops, and leaves the row pending: the next pass (or a
restarted worker, which releases the leases of dead local workers at once)
sends it. A crash after 4 is complete. The one window left is between the
server accepting "." and our COMMIT (a reply on an open connection and one
SQLite WAL append: well under a millisecond). A crash exactly there sends the
same message a second time. No SMTP client can close that window: SMTP has
no two-phase commit (RFC 1047 describes the same problem from the server's
side). That is why each row's Message-ID is stable and its bytes are
identical on a resend: mail stores that collapse duplicates by Message-ID
show one message. Delivery is therefore at-least-once with a sub-millisecond
duplicate window, and never lost; nothing is ever composed twice.

Temporary failures (4xx, timeouts, refused connections) are retried with
exponential backoff; after `MAX_ATTEMPTS` the row is failed. Permanent
failures (5xx) fail the row at once and the pass goes on with the others. A
failure of the server as a whole (cannot connect, 421, login refused) ends
the pass without spending the other rows' attempts.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from paperfeed.digest.mailer import Mailer, MailError
from paperfeed.digest.outbox import iso
from paperfeed.store.base import OutboxRow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
BACKOFF_BASE_S = 60.0
BACKOFF_CAP_S = 6 * 3600.0
BATCH = 20
LEASE_S = 15 * 60.0
_HOST = socket.gethostname()[:24]


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds before attempt `attempts + 1`: 1, 2, 4 ... minutes, capped, with +-10% jitter."""
    delay = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(0, attempts - 1))
    return delay * (0.9 + 0.2 * (rng or random).random())


def new_claim() -> str:
    return f"{_HOST}:{os.getpid()}:{os.urandom(6).hex()}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child its parent has not reaped yet is a zombie: dead for our purpose
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return True


def release_dead_claims(store: Any, now: datetime) -> int:
    """Free rows leased by workers on this host whose process is gone (a crash, SIGKILL)."""
    dead = []
    for claim in store.active_claims(iso(now)):
        host, _, rest = claim.partition(":")
        pid = rest.partition(":")[0]
        if host == _HOST and pid.isdigit() and int(pid) != os.getpid() and not _process_alive(int(pid)):
            dead.append(claim)
    return store.release_claims(dead) if dead else 0


@dataclass(slots=True)
class SendReport:
    seconds: float = 0.0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    lost_claims: int = 0
    stopped: str | None = None  # why the pass ended early (server unusable)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 3),
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "skipped": self.skipped,
            "lost_claims": self.lost_claims,
            "stopped": self.stopped,
        }


class Worker:
    def __init__(self, store: Any, mailer: Mailer, envelope_sender: str, claim: str | None = None) -> None:
        self.store = store
        self.mailer = mailer
        self.sender = envelope_sender
        self.claim = claim or new_claim()

    def _clock(self, fixed: datetime | None) -> datetime:
        return fixed or datetime.now(UTC)

    def _still_wanted(self, row: OutboxRow, subs: dict[int, Any]) -> bool:
        """Nothing but a confirmation ever goes to an address that is not confirmed."""
        sub = subs.get(row.subscriber_id)
        if sub is None or sub.email != row.recipient:
            return False
        if row.kind == "confirm":
            return sub.status == "pending"
        return sub.status == "confirmed" and (row.kind != "digest" or sub.frequency != "paused")

    def run(
        self, now: datetime | None = None, limit: int | None = None, stop: threading.Event | None = None
    ) -> SendReport:
        """Send what is due; `now` fixes the clock (tests, ``--now``), else real time is used."""
        report = SendReport()
        began = time.perf_counter()
        try:
            self._run(report, now, limit, stop)
        finally:
            report.seconds = time.perf_counter() - began
        return report

    def _run(self, report: SendReport, now: datetime | None, limit: int | None, stop: threading.Event | None) -> None:
        release_dead_claims(self.store, self._clock(now))
        while not (stop and stop.is_set()):
            if limit is not None and report.sent + report.failed + report.retrying >= limit:
                break
            moment = self._clock(now)
            rows = self.store.claim_outbox(self.claim, iso(moment), iso(moment + timedelta(seconds=LEASE_S)), BATCH)
            if not rows:
                break
            subs = self.store.get_subscribers([r.subscriber_id for r in rows])
            for row in rows:
                if stop and stop.is_set():
                    self.store.release_claims([self.claim])
                    return
                if not self._send_one(row, self._clock(now), report, subs):
                    self.store.release_claims([self.claim])  # the server is unusable: hand the rest back
                    return

    def _send_one(self, row: OutboxRow, moment: datetime, report: SendReport, subs: dict[int, Any]) -> bool:
        if not self._still_wanted(row, subs):
            self.store.release_outbox(
                row.id,
                self.claim,
                status="skipped",
                attempts=row.attempts,
                next_attempt_at=row.next_attempt_at,
                error="recipient no longer subscribed",
            )
            report.skipped += 1
            return True
        try:
            delivery = self.mailer.open(self.sender, row.recipient, row.message.encode("ascii", "replace"))
            done = self.store.finish_outbox(row.id, self.claim, iso(moment), delivery.commit)
            if not done:
                delivery.abort()  # our lease ran out and another worker owns the row now
                report.lost_claims += 1
            else:
                report.sent += 1
            return True
        except MailError as exc:
            return self._failed(row, moment, exc, report)

    def _failed(self, row: OutboxRow, moment: datetime, exc: MailError, report: SendReport) -> bool:
        attempts = row.attempts + 1
        if exc.temporary and attempts < MAX_ATTEMPTS:
            when = moment + timedelta(seconds=backoff(attempts))
            self.store.release_outbox(
                row.id, self.claim, status="pending", attempts=attempts, next_attempt_at=iso(when), error=str(exc)
            )
            report.retrying += 1
            log.warning("mail %s to %s deferred until %s: %s", row.id, row.recipient, iso(when), exc)
        else:
            self.store.release_outbox(
                row.id,
                self.claim,
                status="failed",
                attempts=attempts,
                next_attempt_at=row.next_attempt_at,
                error=str(exc),
            )
            report.failed += 1
            log.error("mail %s to %s failed: %s", row.id, row.recipient, exc)
        if exc.whole_server:
            report.stopped = str(exc)
            return False
        return True
