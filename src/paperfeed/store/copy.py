"""Copy one paperfeed database into another (`paperfeed migrate-to`), resumably, and prove it.

The usual move is embedded SQLite -> a team's PostgreSQL. Every table of the
shared schema is copied in primary-key order, in batches; each batch commits
together with a progress row in the *target's* ``checkpoints`` table, so a copy
killed at any point resumes after the last committed batch, and nothing is
copied twice. Afterwards every table is verified: row counts and an
order-independent checksum (the sum of an MD5 per row over every column) must
match on both sides. Order-independent, because SQLite and PostgreSQL may sort
text differently (collations), while the set of rows must be identical.

Stop writers on the source while copying: rows changed behind the copy's key
position are not revisited (verification would report the mismatch).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, insert, select, text, tuple_

from paperfeed.store import schema as t

# Parents before children; every table of the shared schema.
TABLES: tuple[Table, ...] = (
    t.papers,
    t.paper_categories,
    t.paper_sources,
    t.paper_versions,
    t.counters,
    t.checkpoints,
    t.signals,
    t.trending_scores,
    t.signal_rollup,
    t.paper_engagement,
    t.embeddings,
    t.subscribers,
    t.subscribe_attempts,
    t.outbox,
    t.sent_papers,
)
PROGRESS = "migrate-to:progress"  # the target's checkpoint row; never copied from a source
_MOD = 1 << 128


class CopyError(RuntimeError):
    """The copy cannot start or cannot be trusted (non-empty target, failed verification)."""


@dataclass
class TableReport:
    table: str
    copied: int = 0  # rows copied by this run
    source_rows: int = 0
    target_rows: int = 0
    source_checksum: str = ""
    target_checksum: str = ""

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and self.source_checksum == self.target_checksum


@dataclass
class CopyReport:
    tables: list[TableReport] = field(default_factory=list)
    resumed: bool = False

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.tables)


def _canonical(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _rows(engine: Engine, table: Table, exclude_progress: bool) -> Iterator[tuple[Any, ...]]:
    stmt = select(*table.columns)
    if exclude_progress and table is t.checkpoints:
        stmt = stmt.where(t.checkpoints.c.name != PROGRESS)
    with engine.connect() as conn:
        yield from conn.execution_options(stream_results=True, yield_per=5000).execute(stmt)


def table_checksum(engine: Engine, table: Table) -> tuple[int, str]:
    """(rows, checksum): the sum mod 2**128 of each row's MD5 over all its columns, as hex."""
    total, n = 0, 0
    for row in _rows(engine, table, exclude_progress=True):
        blob = "\x1f".join(_canonical(v) for v in row).encode()
        total = (total + int.from_bytes(hashlib.md5(blob, usedforsecurity=False).digest(), "big")) % _MOD
        n += 1
    return n, f"{total:032x}"


def _progress(conn: Connection) -> dict[str, Any]:
    raw = conn.execute(select(t.checkpoints.c.value).where(t.checkpoints.c.name == PROGRESS)).scalar()
    return json.loads(raw) if raw else {}


def _save_progress(conn: Connection, state: dict[str, Any]) -> None:
    from sqlalchemy import delete

    from paperfeed.store.sql import utcnow_iso

    conn.execute(delete(t.checkpoints).where(t.checkpoints.c.name == PROGRESS))
    conn.execute(insert(t.checkpoints).values(name=PROGRESS, value=json.dumps(state), updated_at=utcnow_iso()))


def _reset_sequences(conn: Connection, table: Table) -> None:
    """After copying explicit ids, move PostgreSQL's id sequence past them."""
    if conn.dialect.name != "postgresql":
        return
    for col in table.primary_key.columns:
        if col.autoincrement is True:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{col.name}'), "
                    f"coalesce((SELECT max({col.name}) FROM {table.name}), 0) + 1, false)"
                )
            )


def copy_database(
    source: Engine,
    target: Engine,
    batch_size: int = 5000,
    on_batch: Callable[[str, int], None] | None = None,
) -> CopyReport:
    """Copy every table from `source` into the (migrated, empty or half-copied) `target`, then verify."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    report = CopyReport()
    with target.begin() as conn:
        state = _progress(conn)
        if not state:
            n = conn.execute(select(func.count()).select_from(t.papers)).scalar() or 0
            n += conn.execute(select(func.count()).select_from(t.subscribers)).scalar() or 0
            if n:
                raise CopyError(
                    f"the target database already holds data ({n} papers and subscribers) and no unfinished "
                    "copy: migrate-to copies into an empty database"
                )
            _save_progress(conn, {"done": [], "table": None, "last_key": None})
        else:
            report.resumed = True
    state = {"done": [], "table": None, "last_key": None} | state
    for table in TABLES:
        tr = TableReport(table.name)
        report.tables.append(tr)
        if table.name in state["done"]:
            continue
        pk = list(table.primary_key.columns)
        last_key = state["last_key"] if state["table"] == table.name else None
        while True:
            stmt = select(*table.columns).order_by(*pk).limit(batch_size)
            if last_key is not None:
                stmt = stmt.where(tuple_(*pk) > tuple_(*last_key))
            if table is t.checkpoints:
                stmt = stmt.where(t.checkpoints.c.name != PROGRESS)
            with source.connect() as src:
                rows = [dict(r._mapping) for r in src.execute(stmt)]
            if not rows:
                break
            last_key = [rows[-1][c.name] for c in pk]
            with target.begin() as conn:
                conn.execute(insert(table), rows)
                state.update(table=table.name, last_key=last_key)
                _save_progress(conn, state)
            tr.copied += len(rows)
            if on_batch:
                on_batch(table.name, len(rows))
        with target.begin() as conn:
            _reset_sequences(conn, table)
            state.update(done=[*state["done"], table.name], table=None, last_key=None)
            _save_progress(conn, state)
    if target.dialect.name == "postgresql":
        with target.begin() as conn:  # fresh planner statistics for the bulk-loaded tables
            for table in TABLES:
                conn.execute(text(f"ANALYZE {table.name}"))
    for tr, table in zip(report.tables, TABLES, strict=True):
        tr.source_rows, tr.source_checksum = table_checksum(source, table)
        tr.target_rows, tr.target_checksum = table_checksum(target, table)
    if report.ok:
        with target.begin() as conn:
            state["verified"] = True
            _save_progress(conn, state)
    return report
