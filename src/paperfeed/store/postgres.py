"""PostgreSQL (server mode): the same `Store`, shared safely by many processes.

Everything callers observe is implemented once in `SqlStore`; this module only
adds what a multi-process server needs:

* `postgres_engine`: the psycopg 3 driver, a bounded connection pool, per-connection
  ``statement_timeout`` / ``lock_timeout``, and errors that say what is wrong
  ("cannot reach PostgreSQL at host:port: ...") instead of a driver traceback.
* `PostgresStore`: writers of overlapping batches are serialised per paper (advisory
  locks on hash buckets of the ids, taken in sorted order so they never deadlock);
  the change counter is a locked row, so ``seq`` order is commit order and an
  indexer's ``after_seq`` watermark can never skip a paper committed late.
* `advisory_lock`: a named, cross-process lock for jobs that must not run twice at
  once (a harvest of one source, an index or trending refresh).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, create_engine, event, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import URL, make_url

from paperfeed.store import schema as t
from paperfeed.store.base import OutboxRow
from paperfeed.store.sql import SqlStore, utcnow_iso
from paperfeed.store.sql_digest import _outbox as outbox_row

# Advisory-lock namespaces (the first int4 of the two-key form), so our keys never collide.
_NS_PAPERS = 0x70660001  # hash buckets of paper ids, for upserts
_NS_CHECKPOINT = 0x70660002  # ingestion checkpoint names
_NS_JOB = 0x70660003  # named jobs: refreshes, harvests
_NS_LIMITS = 0x70660004  # abuse-limit checks of one network (web upvotes, views)
_PAPER_BUCKETS = 1024  # bounds the locks one batch takes (max_locks_per_transaction is shared)

# Query parameters we read ourselves; everything else in the URL goes to libpq.
_OPTIONS = {"pool_size": 5, "max_overflow": 10, "statement_timeout": "30s", "lock_timeout": "10s"}


class DatabaseUnreachable(RuntimeError):
    """The PostgreSQL server could not be reached or refused the connection."""


class PgVectorMissing(RuntimeError):
    """The database lacks the pgvector extension and this role cannot create it."""


def normalise_url(url: str | URL) -> URL:
    """``postgresql://`` and ``postgres://`` mean the psycopg 3 driver (the only one paperfeed ships)."""
    raw = str(url) if isinstance(url, URL) else url
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw.removeprefix("postgres://")
    parsed = make_url(raw)
    if parsed.drivername in ("postgresql", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def describe_server(url: URL) -> str:
    """``host:port`` for messages; a Unix-socket directory stands in for the host."""
    host = url.host or url.query.get("host") or "localhost"
    port = url.port or url.query.get("port") or 5432
    if isinstance(host, tuple):
        host = ",".join(host)
    if isinstance(port, tuple):
        port = ",".join(port)
    return f"{host}:{port}"


def _split_options(url: URL) -> tuple[URL, dict[str, Any]]:
    options = dict(_OPTIONS)
    query = dict(url.query)
    for name in _OPTIONS:
        if name in query:
            value = query.pop(name)
            options[name] = value[-1] if isinstance(value, tuple) else value
    for name in ("pool_size", "max_overflow"):
        try:
            options[name] = int(str(options[name]))
        except ValueError:
            raise ValueError(f"database URL parameter {name}: '{options[name]}' is not a whole number") from None
    return url.set(query=query), options


def postgres_engine(url: str | URL, *, pool_size: int | None = None, application_name: str = "paperfeed") -> Engine:
    """A pooled SQLAlchemy engine for `url`.

    The URL may carry ``pool_size``, ``max_overflow``, ``statement_timeout`` and
    ``lock_timeout`` (e.g. ``?statement_timeout=60s``): N web workers times the pool
    size must stay under the server's ``max_connections``, so it is a deploy-time knob.
    """
    import psycopg

    parsed, options = _split_options(normalise_url(url))
    where = describe_server(parsed)
    engine = create_engine(
        parsed,
        pool_size=pool_size or options["pool_size"],
        max_overflow=options["max_overflow"],
        pool_pre_ping=True,  # a server restart or failover must not surface as an error on the next request
        pool_recycle=1800,
        connect_args={"connect_timeout": 10, "application_name": application_name},
    )
    statement_timeout = str(options["statement_timeout"])
    lock_timeout = str(options["lock_timeout"])

    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, _rec: Any, cargs: Any, cparams: Any) -> Any:  # SQLAlchemy hook signature
        try:
            return dialect.loaded_dbapi.connect(*cargs, **cparams)
        except psycopg.OperationalError as exc:
            detail = " ".join(str(exc).split())
            raise DatabaseUnreachable(f"cannot reach PostgreSQL at {where}: {detail}") from exc

    @event.listens_for(engine, "connect")
    def _session_settings(dbapi_conn: Any, _rec: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute("SELECT set_config('statement_timeout', %s, false)", (statement_timeout,))
            cur.execute("SELECT set_config('lock_timeout', %s, false)", (lock_timeout,))
            cur.execute("SELECT set_config('timezone', 'UTC', false)")
        dbapi_conn.commit()

    return engine


def _bucket(paper_id: str) -> int:
    return zlib.crc32(paper_id.encode()) % _PAPER_BUCKETS


def key_of(name: str) -> int:
    """A stable int4 for a lock name (crc32, shifted into the signed range)."""
    return zlib.crc32(name.encode()) - 2**31


class PostgresStore(SqlStore):
    """`SqlStore` on PostgreSQL, safe under any number of concurrent processes."""

    dialect = "postgresql"

    @classmethod
    def from_url(cls, url: str) -> PostgresStore:
        return cls(postgres_engine(url))

    # -- write coordination -------------------------------------------------------
    def _bulk_insert(self, conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        """COPY the rows in: one stream instead of a statement per row (ingest ran ~6x slower than SQLite).

        Runs on the transaction's own connection, so it commits or rolls back with the batch.
        """
        if not rows:
            return
        columns = list(rows[0])
        names = ", ".join(f'"{c}"' for c in columns)
        driver = conn.connection.driver_connection  # the psycopg connection under this transaction
        assert driver is not None, "a connection inside a transaction always has its driver connection"
        cursor = driver.cursor()
        with cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])

    def _lock_batch(self, conn: Connection, ids: list[str], checkpoint_name: str | None) -> None:
        """Lock the batch's checkpoint, then its papers' hash buckets, in one fixed order.

        Two harvesters of the same source then commit one after the other (the
        checkpoint only moves forward), and two writers of the same paper merge
        one after the other, each seeing the other's committed row, so overlapping
        batches end with no duplicates and no lost merge. Sorted acquisition means
        two batches can never wait on each other in a cycle.
        """
        if checkpoint_name is not None:
            conn.execute(
                text("SELECT pg_advisory_xact_lock(:ns, :key)"), {"ns": _NS_CHECKPOINT, "key": key_of(checkpoint_name)}
            )
        buckets = sorted({_bucket(i) for i in ids})
        if buckets:
            conn.execute(
                text(
                    "SELECT count(pg_advisory_xact_lock(:ns, b)) FROM "
                    "(SELECT b FROM unnest(CAST(:buckets AS int[])) AS b ORDER BY b) AS s"
                ),
                {"ns": _NS_PAPERS, "buckets": buckets},
            )

    def _serialise_limits(self, conn: Connection, network: str) -> None:
        """One network's limit checks take turns across every worker and host (READ COMMITTED
        alone would let two transactions both count below the limit and both insert)."""
        conn.execute(text("SELECT pg_advisory_xact_lock(:ns, :key)"), {"ns": _NS_LIMITS, "key": key_of(network)})

    def _allocate_seqs(self, conn: Connection, n: int) -> int:
        """Reserve `n` consecutive change numbers; the row lock is held until commit.

        A SEQUENCE would be faster but hands out numbers in call order, not commit
        order: an indexer could read seq 11 while seq 10 is still uncommitted, and
        then never see 10. Holding the counter row's lock to commit makes the two
        orders equal (it is taken last in the batch, so the wait is short).
        """
        insert = pg_insert(t.counters).values(name="paper_seq", value=n)
        stmt = insert.on_conflict_do_update(
            index_elements=[t.counters.c.name], set_={"value": t.counters.c.value + insert.excluded.value}
        ).returning(t.counters.c.value)
        last = int(conn.execute(stmt).scalar_one())
        return last - n + 1

    def _write_checkpoint(self, conn: Connection, name: str, value: Any) -> None:
        import json

        payload = json.dumps(value, default=str)
        stmt = pg_insert(t.checkpoints).values(name=name, value=payload, updated_at=utcnow_iso())
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[t.checkpoints.c.name],
                set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
            )
        )

    @contextmanager
    def advisory_lock(self, name: str, wait: bool = True) -> Iterator[bool]:
        """Hold the cross-process lock `name` for the block; yields whether it was acquired.

        With ``wait=False`` a second process gets False at once (skip the job: the
        first one is doing it). The lock lives on a connection of its own and dies
        with it, so a process killed mid-job never leaves it held.
        """
        key = key_of(name)
        with self.write_engine.connect() as conn:
            conn.execute(text("SET statement_timeout = 0"))
            conn.commit()
            if wait:
                conn.execute(text("SELECT pg_advisory_lock(:ns, :key)"), {"ns": _NS_JOB, "key": key})
                got = True
            else:
                got = bool(
                    conn.execute(text("SELECT pg_try_advisory_lock(:ns, :key)"), {"ns": _NS_JOB, "key": key}).scalar()
                )
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:ns, :key)"), {"ns": _NS_JOB, "key": key})
                    conn.commit()
                conn.execute(text("RESET statement_timeout"))
                conn.commit()

    # -- shared jobs ------------------------------------------------------------------
    def replace_trending(
        self, window: str, day: date, rows: list[tuple[str, int, float, str]], meta: dict[str, Any], computed_at: str
    ) -> None:
        """Swap a trending list under a per-(window, day) lock: two refreshers never interleave delete+insert."""
        with self.advisory_lock(f"trending:{window}:{day.isoformat()}"):
            super().replace_trending(window, day, rows, meta, computed_at)

    def patch_trending(
        self,
        window: str,
        day: date,
        rows: list[tuple[str, float, str]],
        remove: list[str],
        meta: dict[str, Any],
        computed_at: str,
    ) -> None:
        """Patch a list under the same per-(window, day) lock as a full swap."""
        with self.advisory_lock(f"trending:{window}:{day.isoformat()}"):
            super().patch_trending(window, day, rows, remove, meta, computed_at)

    def _lock_rollup(self, conn: Connection) -> None:
        """One roll-up at a time across processes: the position is read and moved in one transaction."""
        conn.execute(text("SELECT pg_advisory_xact_lock(:ns, :key)"), {"ns": _NS_JOB, "key": key_of("signals:rollup")})

    def _lock_signal_writes(self, conn: Connection) -> None:
        """Signal inserts take the roll-up's lock until they commit.

        A sequence hands out ids in call order, not commit order: without this a
        roll-up could see id 11 committed, move its position past it, and never
        read id 10 committed a moment later. Taken last in a batch (after the
        checkpoint and paper locks), so no two writers wait on each other in a cycle.
        """
        self._lock_rollup(conn)

    def claim_outbox(
        self, claim: str, now: str, lease_until: str, limit: int, kind: str | None = None
    ) -> list[OutboxRow]:
        """Lease due outbox rows with ``FOR UPDATE SKIP LOCKED``.

        Same predicate and order as the portable claim, but concurrent claimers
        take *different* rows instead of queueing behind one another and coming
        back empty, so N digest workers send N times as fast.
        """
        oc = t.outbox.c
        claimable = and_(
            oc.status == "pending",
            oc.next_attempt_at <= now,
            or_(oc.claimed_until.is_(None), oc.claimed_until < now),
        )
        if kind is not None:
            claimable = and_(claimable, oc.kind == kind)
        due = (
            select(oc.id)
            .where(claimable)
            .order_by((oc.kind == "digest"), oc.next_attempt_at, oc.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        with self.write_engine.begin() as conn:
            ids = list(conn.execute(due).scalars())
            if not ids:
                return []
            conn.execute(update(t.outbox).where(oc.id.in_(ids)).values(claimed_by=claim, claimed_until=lease_until))
            rows = conn.execute(select(t.outbox).where(oc.id.in_(ids)).order_by(oc.id)).all()
        return [outbox_row(r) for r in rows]

    # -- introspection --------------------------------------------------------------
    def has_pgvector(self) -> bool:
        with self.engine.connect() as conn:
            return bool(conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")).scalar())
