"""Subscribers, subscribe attempts, the outbox and sent papers, on portable SQLAlchemy Core.

Mixed into `SqlStore`, so SQLite and PostgreSQL share it. The digest package
(``paperfeed.digest``) holds no SQL.

Claiming outbox rows is one conditional UPDATE (``status = 'pending'`` and the
row is due and not leased, or its lease ran out) that stamps a claim token and
a lease end, followed by a SELECT by that token. The predicate is re-checked
on the row itself, so two workers can never hold the same row: on SQLite the
UPDATE runs under the database write lock; on PostgreSQL a concurrent claimer
re-evaluates the WHERE clause after the first commits. A PostgreSQL subclass
may use ``FOR UPDATE SKIP LOCKED`` instead to spare the waiting.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from paperfeed.store import schema as t
from paperfeed.store.base import OutboxRow, Subscriber

_CHUNK = 900  # bound parameters per IN (SQLite's default limit is 999)

sc = t.subscribers.c
oc = t.outbox.c
spc = t.sent_papers.c
ac = t.subscribe_attempts.c

_SUBSCRIBER_COLUMNS = {
    "status",
    "confirmed_at",
    "unsubscribed_at",
    "frequency",
    "weekday",
    "send_hour",
    "timezone",
    "max_papers",
    "include_trending",
    "topics",
    "token_version",
}


def _chunks(items: list[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _subscriber(row: Any) -> Subscriber:
    m = row._mapping
    return Subscriber(
        id=m["id"],
        email=m["email"],
        status=m["status"],
        created_at=m["created_at"],
        confirmed_at=m["confirmed_at"],
        unsubscribed_at=m["unsubscribed_at"],
        frequency=m["frequency"],
        weekday=m["weekday"],
        send_hour=m["send_hour"],
        timezone=m["timezone"],
        max_papers=m["max_papers"],
        include_trending=bool(m["include_trending"]),
        topics=json.loads(m["topics"] or "{}"),
        token_version=m["token_version"],
    )


def _outbox(row: Any) -> OutboxRow:
    m = row._mapping
    return OutboxRow(
        id=m["id"],
        subscriber_id=m["subscriber_id"],
        period=m["period"],
        kind=m["kind"],
        status=m["status"],
        recipient=m["recipient"],
        subject=m["subject"],
        message=m["message"],
        paper_ids=json.loads(m["paper_ids"] or "[]"),
        attempts=m["attempts"],
        next_attempt_at=m["next_attempt_at"],
        claimed_by=m["claimed_by"],
        claimed_until=m["claimed_until"],
        last_error=m["last_error"],
        created_at=m["created_at"],
        sent_at=m["sent_at"],
    )


# Statements of the per-message send path, built once.
_FINISH = (
    update(t.outbox)
    .where(oc.id == bindparam("b_id"), oc.claimed_by == bindparam("b_claim"), oc.status == "pending")
    .values(
        status="sent",
        sent_at=bindparam("b_now"),
        attempts=oc.attempts + 1,
        claimed_by=None,
        claimed_until=None,
        last_error=None,
    )
)
_ROW_PAPERS = select(oc.subscriber_id, oc.paper_ids).where(oc.id == bindparam("b_id"))
_INSERT_SENT = insert(t.sent_papers)


class DigestMixin:
    """Implements the digest section of `paperfeed.store.base.Store`."""

    engine: Any
    write_engine: Any

    # -- subscribers --------------------------------------------------------------
    def create_subscriber(self, email: str, now: str) -> Subscriber:
        existing = self.get_subscriber_by_email(email)
        if existing is not None:
            return existing
        try:
            with self.write_engine.begin() as conn:
                conn.execute(
                    insert(t.subscribers).values(
                        email=email,
                        status="pending",
                        created_at=now,
                        frequency="daily",
                        weekday=0,
                        send_hour=7,
                        timezone="UTC",
                        max_papers=10,
                        include_trending=1,
                        topics="{}",
                        token_version=0,
                    )
                )
        except IntegrityError:  # a concurrent request created it first
            pass
        created = self.get_subscriber_by_email(email)
        assert created is not None
        return created

    def get_subscriber(self, subscriber_id: int) -> Subscriber | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.subscribers).where(sc.id == subscriber_id)).first()
        return _subscriber(row) if row is not None else None

    def get_subscribers(self, subscriber_ids: list[int]) -> dict[int, Subscriber]:
        out: dict[int, Subscriber] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(sorted(set(subscriber_ids))):
                for row in conn.execute(select(t.subscribers).where(sc.id.in_(chunk))):
                    out[row.id] = _subscriber(row)
        return out

    def get_subscriber_by_email(self, email: str) -> Subscriber | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.subscribers).where(sc.email == email)).first()
        return _subscriber(row) if row is not None else None

    def update_subscriber(self, subscriber_id: int, **values: Any) -> bool:
        unknown = set(values) - _SUBSCRIBER_COLUMNS
        if unknown:
            raise ValueError(f"unknown subscriber field(s): {', '.join(sorted(unknown))}")
        if "topics" in values:
            values["topics"] = json.dumps(values["topics"], ensure_ascii=False, sort_keys=True)
        if "include_trending" in values:
            values["include_trending"] = int(bool(values["include_trending"]))
        with self.write_engine.begin() as conn:
            done = conn.execute(update(t.subscribers).where(sc.id == subscriber_id).values(**values))
        return done.rowcount > 0

    def delete_subscriber(self, subscriber_id: int) -> bool:
        with self.write_engine.begin() as conn:
            conn.execute(delete(t.sent_papers).where(spc.subscriber_id == subscriber_id))
            conn.execute(delete(t.outbox).where(oc.subscriber_id == subscriber_id))
            done = conn.execute(delete(t.subscribers).where(sc.id == subscriber_id))
        return done.rowcount > 0

    def active_subscribers(self) -> list[Subscriber]:
        stmt = select(t.subscribers).where(sc.status == "confirmed", sc.frequency != "paused").order_by(sc.id)
        with self.engine.connect() as conn:
            return [_subscriber(r) for r in conn.execute(stmt)]

    def count_subscribers(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {k: int(v) for k, v in conn.execute(select(sc.status, func.count()).group_by(sc.status)).all()}

    # -- subscribe attempts ------------------------------------------------------
    def record_subscribe_attempt(
        self, email_hash: str, network: str, now: str, email_since: str, network_since: str
    ) -> tuple[int, int]:
        with self.write_engine.begin() as conn:
            by_email = conn.execute(
                select(func.count()).where(ac.email_hash == email_hash, ac.at >= email_since)
            ).scalar()
            by_network = conn.execute(
                select(func.count()).where(ac.network == network, ac.at >= network_since)
            ).scalar()
            conn.execute(insert(t.subscribe_attempts).values(email_hash=email_hash, network=network, at=now))
            conn.execute(delete(t.subscribe_attempts).where(ac.at < min(email_since, network_since)))
        return int(by_email or 0), int(by_network or 0)

    # -- outbox --------------------------------------------------------------------
    def outbox_keys(self, kind: str, periods: list[str]) -> set[tuple[int, str]]:
        out: set[tuple[int, str]] = set()
        with self.engine.connect() as conn:
            for chunk in _chunks(sorted(set(periods))):
                rows = conn.execute(select(oc.subscriber_id, oc.period).where(oc.kind == kind, oc.period.in_(chunk)))
                out.update((r.subscriber_id, r.period) for r in rows)
        return out

    def add_outbox(self, row: dict[str, Any]) -> int | None:
        values = dict(row)
        values["paper_ids"] = json.dumps(list(values.get("paper_ids") or []))
        values.setdefault("attempts", 0)
        try:
            with self.write_engine.begin() as conn:
                return int(conn.execute(insert(t.outbox).values(**values)).inserted_primary_key[0])
        except IntegrityError:
            return None

    def add_outbox_many(self, rows: list[dict[str, Any]]) -> int:
        if not rows:
            return 0
        values = []
        for row in rows:
            v = dict(row)
            v["paper_ids"] = json.dumps(list(v.get("paper_ids") or []))
            v.setdefault("attempts", 0)
            v.setdefault("last_error", None)
            values.append(v)
        try:
            with self.write_engine.begin() as conn:
                conn.execute(insert(t.outbox), values)
            return len(values)
        except IntegrityError:  # another composer got some of these first: go one by one
            return sum(self.add_outbox(row) is not None for row in rows)

    def claim_outbox(
        self, claim: str, now: str, lease_until: str, limit: int, kind: str | None = None
    ) -> list[OutboxRow]:
        claimable = and_(
            oc.status == "pending",
            oc.next_attempt_at <= now,
            or_(oc.claimed_until.is_(None), oc.claimed_until < now),
        )
        if kind is not None:
            claimable = and_(claimable, oc.kind == kind)
        # Confirmation mail first: someone is waiting for it on a web page.
        due = select(oc.id).where(claimable).order_by((oc.kind == "digest"), oc.next_attempt_at, oc.id).limit(limit)
        with self.write_engine.begin() as conn:
            conn.execute(
                update(t.outbox)
                .where(oc.id.in_(due.scalar_subquery()), claimable)
                .values(claimed_by=claim, claimed_until=lease_until)
                .execution_options(synchronize_session=False)
            )
            rows = conn.execute(
                select(t.outbox).where(oc.claimed_by == claim, oc.status == "pending").order_by(oc.id)
            ).all()
        return [_outbox(r) for r in rows]

    def finish_outbox(self, row_id: int, claim: str, now: str, deliver: Callable[[], None]) -> bool:
        with self.write_engine.begin() as conn:
            done = conn.execute(_FINISH, {"b_id": row_id, "b_claim": claim, "b_now": now})
            if done.rowcount == 0:
                return False
            row = conn.execute(_ROW_PAPERS, {"b_id": row_id}).one()
            paper_ids = list(dict.fromkeys(json.loads(row.paper_ids or "[]")))
            if paper_ids:
                known: set[str] = set()
                for chunk in _chunks(paper_ids):
                    known.update(
                        conn.execute(
                            select(spc.paper_id).where(spc.subscriber_id == row.subscriber_id, spc.paper_id.in_(chunk))
                        ).scalars()
                    )
                fresh = [
                    {"subscriber_id": row.subscriber_id, "paper_id": p, "outbox_id": row_id}
                    for p in paper_ids
                    if p not in known
                ]
                if fresh:
                    conn.execute(_INSERT_SENT, fresh)
            # The message leaves only now, while this transaction still holds the row:
            # if it fails, nothing above is kept.
            deliver()
        return True

    def release_outbox(
        self, row_id: int, claim: str, *, status: str, attempts: int, next_attempt_at: str, error: str | None
    ) -> bool:
        with self.write_engine.begin() as conn:
            done = conn.execute(
                update(t.outbox)
                .where(oc.id == row_id, oc.claimed_by == claim, oc.status == "pending")
                .values(
                    status=status,
                    attempts=attempts,
                    next_attempt_at=next_attempt_at,
                    last_error=error[:2000] if error else None,
                    claimed_by=None,
                    claimed_until=None,
                )
            )
        return done.rowcount > 0

    def release_claims(self, claims: list[str]) -> int:
        if not claims:
            return 0
        total = 0
        with self.write_engine.begin() as conn:
            for chunk in _chunks(claims):
                done = conn.execute(
                    update(t.outbox)
                    .where(oc.claimed_by.in_(chunk), oc.status == "pending")
                    .values(claimed_by=None, claimed_until=None)
                )
                total += done.rowcount
        return total

    def active_claims(self, now: str) -> list[str]:
        stmt = (
            select(oc.claimed_by)
            .distinct()
            .where(oc.status == "pending", oc.claimed_by.is_not(None), oc.claimed_until >= now)
        )
        with self.engine.connect() as conn:
            return [r for r in conn.execute(stmt).scalars() if r]

    def get_outbox(self, row_id: int) -> OutboxRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.outbox).where(oc.id == row_id)).first()
        return _outbox(row) if row is not None else None

    def list_outbox(
        self, subscriber_id: int | None = None, kind: str | None = None, limit: int = 100
    ) -> list[OutboxRow]:
        stmt = select(t.outbox).order_by(oc.id.desc()).limit(limit)
        if subscriber_id is not None:
            stmt = stmt.where(oc.subscriber_id == subscriber_id)
        if kind is not None:
            stmt = stmt.where(oc.kind == kind)
        with self.engine.connect() as conn:
            return [_outbox(r) for r in conn.execute(stmt)]

    def skip_pending_outbox(self, subscriber_id: int, kinds: tuple[str, ...] = ("digest",)) -> int:
        with self.write_engine.begin() as conn:
            done = conn.execute(
                update(t.outbox)
                .where(oc.subscriber_id == subscriber_id, oc.status == "pending", oc.kind.in_(kinds))
                .values(
                    status="skipped",
                    last_error="subscriber no longer receives this",
                    claimed_by=None,
                    claimed_until=None,
                )
            )
        return done.rowcount

    def digest_history(self, subscriber_ids: list[int]) -> dict[int, tuple[set[str], list[str] | None]]:
        seen: dict[int, set[str]] = {sid: set() for sid in subscriber_ids}
        last: dict[int, list[str] | None] = dict.fromkeys(subscriber_ids)
        with self.engine.connect() as conn:
            for chunk in _chunks(list(subscriber_ids)):
                for sid, pid in conn.execute(
                    select(spc.subscriber_id, spc.paper_id).where(spc.subscriber_id.in_(chunk))
                ):
                    seen[sid].add(pid)
                for sid, ids in conn.execute(
                    select(oc.subscriber_id, oc.paper_ids).where(
                        oc.subscriber_id.in_(chunk), oc.kind == "digest", oc.status == "pending"
                    )
                ):
                    seen[sid].update(json.loads(ids or "[]"))
                newest = (
                    select(func.max(oc.id))
                    .where(oc.subscriber_id.in_(chunk), oc.kind == "digest", oc.status == "sent")
                    .group_by(oc.subscriber_id)
                )
                for sid, ids in conn.execute(
                    select(oc.subscriber_id, oc.paper_ids).where(oc.id.in_(newest.scalar_subquery()))
                ):
                    last[sid] = json.loads(ids or "[]")
        return {sid: (seen[sid], last[sid]) for sid in subscriber_ids}

    def outbox_summary(self, since: str | None = None) -> list[tuple[str, str, str, int]]:
        day = func.substr(oc.created_at, 1, 10)
        stmt = select(day, oc.kind, oc.status, func.count()).group_by(day, oc.kind, oc.status)
        if since is not None:
            stmt = stmt.where(oc.created_at >= since)
        stmt = stmt.order_by(day.desc(), oc.kind, oc.status)
        with self.engine.connect() as conn:
            return [(d, k, s, int(n)) for d, k, s, n in conn.execute(stmt).all()]
