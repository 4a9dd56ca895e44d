"""The digest job: one function, three triggers (`paperfeed digest run`, `paperfeed worker`,
and the background thread `paperfeed serve` starts).

`run_once` composes what is due and sends what is pending; it is idempotent,
so any trigger may run it at any time, concurrently included. Per-subscriber
send hours and time zones are handled in ``schedule.py``; this module only
decides how often to look.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from paperfeed.digest.mailer import Mailer, SmtpConfig, open_mailer
from paperfeed.digest.outbox import ComposeReport, MailContext, compose_due
from paperfeed.digest.worker import SendReport, Worker

log = logging.getLogger(__name__)

COMPOSE_EVERY_S = 60.0  # send hours are whole hours: a minute late is on time
SEND_EVERY_S = 5.0  # confirmation mails should not keep anyone waiting


@dataclass(slots=True)
class RunReport:
    compose: ComposeReport | None
    send: SendReport

    def as_dict(self) -> dict[str, Any]:
        return {"compose": self.compose.as_dict() if self.compose else None, "send": self.send.as_dict()}


def _optional(pf: Any, name: str) -> Any | None:
    try:
        return getattr(pf, name)
    except (ImportError, AttributeError, NotImplementedError, FileNotFoundError) as exc:
        log.warning("%s unavailable for digests: %s", name, exc)
        return None


def compose_pass(pf: Any, now: datetime | None = None, shard: tuple[int, int] | None = None) -> ComposeReport:
    ctx = MailContext.from_settings(pf.settings)
    return compose_due(
        pf.store, _optional(pf, "search"), _optional(pf, "trending"), ctx, now or datetime.now(UTC), shard=shard
    )


def send_pass(
    pf: Any, now: datetime | None = None, mailer: Mailer | None = None, stop: threading.Event | None = None
) -> SendReport:
    """Send the outbox; over ``?connections=N`` parallel SMTP connections when the URL asks for them."""
    ctx = MailContext.from_settings(pf.settings)
    if mailer is not None:
        return Worker(pf.store, mailer, ctx.envelope_sender).run(now=now, stop=stop)
    url = pf.settings.smtp_url
    connections = SmtpConfig.from_url(url).connections if url else 1
    reports: list[SendReport] = []

    def one() -> None:
        own = open_mailer(pf.settings)
        try:
            reports.append(Worker(pf.store, own, ctx.envelope_sender).run(now=now, stop=stop))
        finally:
            own.close()

    if connections == 1:
        one()
        return reports[0]
    threads = [threading.Thread(target=one, name=f"paperfeed-send-{i}") for i in range(connections)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    total = SendReport()
    for r in reports:
        total.seconds = max(total.seconds, r.seconds)
        total.sent += r.sent
        total.retrying += r.retrying
        total.failed += r.failed
        total.skipped += r.skipped
        total.lost_claims += r.lost_claims
        total.stopped = total.stopped or r.stopped
    return total


def run_once(
    pf: Any,
    now: datetime | None = None,
    mailer: Mailer | None = None,
    compose: bool = True,
    shard: tuple[int, int] | None = None,
) -> RunReport:
    """One pass: compose what is due at `now`, then send what is pending."""
    report = compose_pass(pf, now, shard) if compose else None
    return RunReport(report, send_pass(pf, now, mailer))


def keep_fresh(pf: Any) -> None:
    """Catch the trending lists up with newly stored papers and signals.

    Incremental (nothing to do costs milliseconds), so running this before each
    compose pass keeps digests and pages current after any ingest. The search
    indexes are the background index job's (`start_index_keeper`, running
    beside this loop): keywords within seconds of an ingest, vectors newest
    first, so neither a first keyword build nor an embedding backlog ever
    delays a compose pass or a send.
    """
    for name, refresh in (("trending", lambda: pf.trending.refresh()),):
        try:
            refresh()
        except Exception:
            log.exception("%s refresh failed; digests use what is there", name)


def start_index_keeper(pf: Any) -> Any:
    """The background index job (keywords, then embedding newest first) in a thread of its own.

    Started with the digest loop, so it runs once per scheduler process (`serve`'s supervisor or
    `worker`), never once per web worker, and mail never waits behind embedding.
    """
    from paperfeed.search.background import STARTUP_GRACE_S, IndexKeeper

    return IndexKeeper(lambda: pf.search, start_delay_s=STARTUP_GRACE_S).start()


def run_forever(pf: Any, stop: threading.Event, mailer: Mailer | None = None) -> None:
    """Loop until `stop` is set; errors are logged and the loop goes on (nothing is lost: state is in the DB)."""
    keeper = start_index_keeper(pf)
    try:
        _digest_loop(pf, stop, mailer)
    finally:
        keeper.stop(timeout=5.0)


def _digest_loop(pf: Any, stop: threading.Event, mailer: Mailer | None) -> None:
    next_compose = 0.0
    while not stop.is_set():
        try:
            if time.monotonic() >= next_compose:
                keep_fresh(pf)
                compose_pass(pf)
                next_compose = time.monotonic() + COMPOSE_EVERY_S
            send_pass(pf, mailer=mailer, stop=stop)
        except Exception:
            log.exception("digest pass failed; retrying in %.0f s", SEND_EVERY_S)
        stop.wait(SEND_EVERY_S)


class BackgroundScheduler:
    """A daemon thread running `run_forever`; `stop()` ends it after the current message."""

    def __init__(self, pf: Any) -> None:
        self.stop_event = threading.Event()
        self.thread = threading.Thread(
            target=run_forever, args=(pf, self.stop_event), name="paperfeed-digest", daemon=True
        )

    def start(self) -> BackgroundScheduler:
        self.thread.start()
        return self

    def stop(self, timeout: float | None = 30.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)


def start_in_background(pf: Any) -> BackgroundScheduler:
    """What `paperfeed serve` calls: digests go out while the web app runs."""
    return BackgroundScheduler(pf).start()
