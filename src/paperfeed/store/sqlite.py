"""The embedded default: one SQLite file in WAL mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

from paperfeed.store.sql import SqlStore


def sqlite_engine(url: str, immediate: bool = False) -> Engine:
    """An engine whose connections use WAL and wait (rather than fail) on a busy writer.

    With `immediate`, every transaction starts with ``BEGIN IMMEDIATE``: a
    writer that first reads and then writes would otherwise fail with
    "database is locked" when another writer committed in between.
    """
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class SqliteStore(SqlStore):
    """SQLite: reads on one engine, writes on an IMMEDIATE-transaction engine."""

    @classmethod
    def from_url(cls, url: str) -> SqliteStore:
        return cls(sqlite_engine(url), sqlite_engine(url, immediate=True))
