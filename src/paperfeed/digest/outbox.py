"""Putting mail into the outbox: digests that are due, confirmations, notices.

Every email paperfeed sends is first composed into an outbox row, keyed by
(subscriber, period, kind) with a unique constraint, so a digest is composed
exactly once however often `compose_due` runs, on however many processes.
The row holds the complete message; the worker (``worker.py``) only sends
bytes and never composes, so a resend is byte-identical, Message-ID included.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parseaddr
from typing import Any
from urllib.parse import quote

from paperfeed.digest import tokens
from paperfeed.digest.compose import Composer
from paperfeed.digest.render import Fragments, Links, mail_domain, message_id, render_digest, render_notice
from paperfeed.digest.schedule import due_period
from paperfeed.store.base import Subscriber

log = logging.getLogger(__name__)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(slots=True)
class MailContext:
    """What every message needs from the settings: addresses, base URL and the signing key."""

    base_url: str
    sender: str
    secret_key: str
    domain: str = ""

    @classmethod
    def from_settings(cls, settings: Any) -> MailContext:
        ctx = cls(settings.base_url.rstrip("/"), settings.mail_from, settings.resolved_secret_key())
        ctx.domain = mail_domain(ctx.base_url, ctx.sender)
        return ctx

    @property
    def envelope_sender(self) -> str:
        return parseaddr(self.sender)[1] or f"paperfeed@{self.domain}"

    def token(self, purpose: str, sub: Subscriber, now: datetime | None = None) -> str:
        return tokens.make_token(
            self.secret_key, purpose, sub.id, sub.token_version, sub.email, now.timestamp() if now else None
        )

    def links(self, sub: Subscriber, now: datetime | None = None) -> Links:
        unsub = self.token("unsubscribe", sub, now)
        return Links(
            base_url=self.base_url,
            manage=f"{self.base_url}/subscribe/manage/{self.token('manage', sub, now)}",
            unsubscribe=f"{self.base_url}/unsubscribe/{unsub}",
            unsubscribe_mailto=f"mailto:{self.envelope_sender}?subject={quote('unsubscribe ' + unsub)}",
        )


@dataclass(slots=True)
class ComposeReport:
    seconds: float = 0.0
    due: int = 0
    composed: int = 0
    empty: int = 0
    repeated: int = 0
    already: int = 0
    errors: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 3),
            "due": self.due,
            "composed": self.composed,
            "empty": self.empty,
            "repeated": self.repeated,
            "already": self.already,
            "topic_errors": self.errors,
        }


def compose_due(
    store: Any,
    searcher: Any | None,
    trending: Any | None,
    ctx: MailContext,
    now: datetime,
    only: list[Subscriber] | None = None,
    chunk: int = 500,
    shard: tuple[int, int] | None = None,
) -> ComposeReport:
    """Compose every digest due at `now` that is not composed yet (idempotent).

    `shard` (i, n) keeps subscribers whose id is i modulo n, so n processes can share a pass;
    the outbox's unique key makes any overlap harmless.
    """
    began = time.perf_counter()
    report = ComposeReport()
    subs = only if only is not None else store.active_subscribers()
    if shard is not None:
        subs = [s for s in subs if s.id % shard[1] == shard[0]]
    due: list[tuple[Subscriber, date, str]] = []
    for sub in subs:
        found = due_period(sub, now)
        if found is not None:
            due.append((sub, *found))
    report.due = len(due)
    existing = store.outbox_keys("digest", [period for _, _, period in due])
    todo = [d for d in due if (d[0].id, d[2]) not in existing]
    report.already = len(due) - len(todo)
    composer = Composer(store, searcher, trending)
    fragments = Fragments()
    for start in range(0, len(todo), chunk):
        part = todo[start : start + chunk]
        history = store.digest_history([s.id for s, _, _ in part])
        rows: list[dict[str, Any]] = []
        for sub, day, period in part:
            seen, last = history[sub.id]
            digest = composer.compose(sub, day, period, seen)
            row: dict[str, Any] = {
                "subscriber_id": sub.id,
                "period": period,
                "kind": "digest",
                "recipient": sub.email,
                "created_at": iso(now),
                "next_attempt_at": iso(now),
                "paper_ids": digest.paper_ids,
            }
            if not digest.items:
                row |= {"status": "skipped", "subject": "", "message": "", "last_error": "empty: nothing new"}
                report.empty += 1
            elif last is not None and set(last) == set(digest.paper_ids):
                row |= {"status": "skipped", "subject": "", "message": "", "last_error": "same as the previous digest"}
                report.repeated += 1
            else:
                msg_id = message_id(ctx.secret_key, "digest", sub.id, period, ctx.domain)
                rendered = render_digest(
                    digest,
                    links=ctx.links(sub),
                    sender=ctx.sender,
                    msg_id=msg_id,
                    when=now,
                    domain=ctx.domain,
                    fragments=fragments,
                )
                row |= {"status": "pending", "subject": rendered.subject, "message": rendered.message}
            rows.append(row)
        pending = sum(r["status"] == "pending" for r in rows)
        inserted = store.add_outbox_many(rows)  # one transaction per chunk; a lost race keeps the other's row
        report.composed += max(0, pending - (len(rows) - inserted))
        report.already += len(rows) - inserted
    report.errors = dict(composer.topic_errors)
    report.seconds = time.perf_counter() - began
    return report


def enqueue_notice(store: Any, ctx: MailContext, sub: Subscriber, kind: str, now: datetime) -> int | None:
    """A confirmation mail (`confirm`, to a pending address) or an "already subscribed" notice."""
    if kind == "confirm":
        url = f"{ctx.base_url}/subscribe/confirm/{ctx.token('confirm', sub, now)}"
        subject, template = "Confirm your paperfeed subscription", "confirm"
    else:
        url = f"{ctx.base_url}/subscribe/manage/{ctx.token('manage', sub, now)}"
        subject, template = "Your paperfeed subscription", "notice"
    period = f"{now.astimezone(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
    msg_id = message_id(ctx.secret_key, kind, sub.id, period, ctx.domain)
    rendered = render_notice(
        template,
        recipient=sub.email,
        subject=subject,
        url=url,
        base_url=ctx.base_url,
        sender=ctx.sender,
        msg_id=msg_id,
        when=now,
    )
    return store.add_outbox(
        {
            "subscriber_id": sub.id,
            "period": period,
            "kind": kind,
            "status": "pending",
            "recipient": sub.email,
            "subject": rendered.subject,
            "message": rendered.message,
            "paper_ids": [],
            "created_at": iso(now),
            "next_attempt_at": iso(now),
        }
    )
