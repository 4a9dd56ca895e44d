"""Subscribing, confirming, managing and leaving: the rules, independent of HTTP.

The web router (``web/subscribe.py``) and the CLI call these functions; they
hold the privacy rules in one place:

* The answer to a subscribe request is the same whatever the state of the
  address (new, pending, confirmed, unsubscribed, rate-limited): callers show
  one text, and the work that differs by state runs after the answer
  (`Subscriptions.subscribe` is split into `admit` and `process`).
* Only a confirmation ever goes to an address that has not confirmed; an
  already confirmed address gets a notice with its manage link instead.
* Requests are limited per address (silently: the answer stays the same)
  and per network (an honest 429, which says nothing about the address).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from paperfeed.digest import tokens
from paperfeed.digest.outbox import MailContext, enqueue_notice, iso
from paperfeed.digest.prefs import Preferences, normalise_email, parse_preferences, preferences_of
from paperfeed.store.base import Subscriber

SUBSCRIBE_ACCEPTED = (
    "Thanks. If this address can receive mail, a message with a confirmation link is on its way. "
    "Nothing else is sent until you confirm."
)


@dataclass(frozen=True, slots=True)
class RateLimits:
    per_address: int = 3  # confirmation mails per address per window
    address_window: timedelta = timedelta(hours=24)
    per_network: int = 20  # subscribe requests per network per window
    network_window: timedelta = timedelta(hours=1)


class RateLimited(Exception):
    """Too many subscribe requests from one network (-> HTTP 429)."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__("too many subscribe requests from your network; try again later")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class Admission:
    email: str
    send: bool  # False: over the per-address limit, answer the same but send nothing


class Subscriptions:
    def __init__(self, store: Any, ctx: MailContext, limits: RateLimits | None = None) -> None:
        self.store = store
        self.ctx = ctx
        self.limits = limits or RateLimits()

    @classmethod
    def from_app(cls, pf: Any) -> Subscriptions:
        return cls(pf.store, MailContext.from_settings(pf.settings))

    def _hash(self, purpose: str, value: str) -> str:
        return hmac.new(self.ctx.secret_key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:32]

    # -- subscribe ---------------------------------------------------------------
    def admit(self, raw_email: Any, network: str, now: datetime | None = None) -> Admission:
        """Validate and rate-limit; the same outcome for every state of the address.

        Raises `PrefsError` for a malformed address and `RateLimited` for a noisy network.
        """
        now = now or datetime.now(UTC)
        email = normalise_email(raw_email)
        by_email, by_network = self.store.record_subscribe_attempt(
            self._hash("email", email),
            self._hash("network", network),
            iso(now),
            iso(now - self.limits.address_window),
            iso(now - self.limits.network_window),
        )
        if by_network >= self.limits.per_network:
            raise RateLimited(int(self.limits.network_window.total_seconds()))
        return Admission(email, send=by_email < self.limits.per_address)

    def process(self, admission: Admission, now: datetime | None = None) -> None:
        """The part that depends on the address's state; run after answering the request."""
        if not admission.send:
            return
        now = now or datetime.now(UTC)
        sub = self.store.create_subscriber(admission.email, iso(now))
        if sub.status == "confirmed":
            enqueue_notice(self.store, self.ctx, sub, "notice", now)
            return
        if sub.status == "unsubscribed":
            self.store.update_subscriber(sub.id, status="pending")
            sub = self.store.get_subscriber(sub.id)
        enqueue_notice(self.store, self.ctx, sub, "confirm", now)

    def subscribe(self, raw_email: Any, network: str, now: datetime | None = None) -> str:
        self.process(self.admit(raw_email, network, now), now)
        return SUBSCRIBE_ACCEPTED

    # -- links ---------------------------------------------------------------------
    def from_token(self, purpose: str, token: str, now: datetime | None = None) -> Subscriber:
        """The subscriber a link is for; `TokenError` if forged, expired, revoked or erased."""
        claims = tokens.read_token(self.ctx.secret_key, purpose, token, now.timestamp() if now else None)
        sub = self.store.get_subscriber(claims.subscriber_id)
        if (
            sub is None
            or sub.token_version != claims.token_version
            or not hmac.compare_digest(tokens.email_tag(self.ctx.secret_key, sub.email), claims.email_tag)
        ):
            raise tokens.TokenError("this link is no longer valid")
        return sub

    def confirm(self, token: str, now: datetime | None = None) -> Subscriber:
        sub = self.from_token("confirm", token, now)
        if sub.status != "confirmed":
            now = now or datetime.now(UTC)
            self.store.update_subscriber(sub.id, status="confirmed", confirmed_at=iso(now), unsubscribed_at=None)
        return self.store.get_subscriber(sub.id)

    def unsubscribe(self, sub: Subscriber, now: datetime | None = None) -> None:
        """Stop all mail; every link issued so far stops working (re-subscribing starts over)."""
        now = now or datetime.now(UTC)
        if sub.status != "unsubscribed":
            self.store.update_subscriber(
                sub.id, status="unsubscribed", unsubscribed_at=iso(now), token_version=sub.token_version + 1
            )
        self.store.skip_pending_outbox(sub.id, ("digest", "notice", "confirm"))

    def update_preferences(self, sub: Subscriber, data: dict[str, Any]) -> Subscriber:
        prefs = parse_preferences(data, preferences_of(sub))
        self.store.update_subscriber(sub.id, **prefs.columns())
        return self.store.get_subscriber(sub.id)

    def preferences(self, sub: Subscriber) -> Preferences:
        return preferences_of(sub)

    def export(self, sub: Subscriber) -> dict[str, Any]:
        """Everything stored about the subscriber (GDPR art. 15/20), as plain JSON."""
        mails = self.store.list_outbox(subscriber_id=sub.id, limit=10_000)
        return {
            "email": sub.email,
            "status": sub.status,
            "created_at": sub.created_at,
            "confirmed_at": sub.confirmed_at,
            "unsubscribed_at": sub.unsubscribed_at,
            "preferences": {
                "frequency": sub.frequency,
                "weekday": sub.weekday,
                "send_hour": sub.send_hour,
                "timezone": sub.timezone,
                "max_papers": sub.max_papers,
                "include_trending": sub.include_trending,
                "topics": sub.topics,
            },
            "mails": [
                {
                    "kind": m.kind,
                    "period": m.period,
                    "status": m.status,
                    "subject": m.subject,
                    "created_at": m.created_at,
                    "sent_at": m.sent_at,
                    "paper_ids": m.paper_ids,
                }
                for m in mails
            ],
        }

    def delete(self, sub: Subscriber) -> None:
        self.store.delete_subscriber(sub.id)
