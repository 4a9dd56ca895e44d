"""The `Store` contract on SQLAlchemy Core, shared by SQLite and PostgreSQL.

Backend differences (connection set-up, how the change counter is allocated
under concurrency) are small overrides in ``sqlite.py`` and ``postgres.py``;
everything a caller can observe is implemented once, here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, delete, func, insert, select, tuple_, update

from paperfeed.models import Paper, PaperRecord, Signal, UpsertResult
from paperfeed.store import schema as t
from paperfeed.store.base import PaperQuery, Stats
from paperfeed.store.merge import hash_of, merge
from paperfeed.store.sql_digest import DigestMixin
from paperfeed.store.sql_embeddings import EmbeddingsMixin
from paperfeed.store.sql_signals import SignalsMixin
from paperfeed.store.sql_web import SqlWebMixin

_DATE_FIELDS = ("submitted", "updated", "announced")


def utcnow_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _d(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _parse_d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _row_to_values(row: Any) -> dict[str, Any]:
    """A stored row as content values (the shape `merge` works on)."""
    m = row._mapping
    out = {
        "title": m["title"],
        "abstract": m["abstract"],
        "version": m["version"],
        "authors": json.loads(m["authors"]),
        "categories": json.loads(m["categories"]),
        "abs_url": m["abs_url"],
        "pdf_url": m["pdf_url"],
        "code_url": m["code_url"],
        "project_url": m["project_url"],
        "doi": m["doi"],
        "comment": m["comment"],
        "journal_ref": m["journal_ref"],
    }
    for name in _DATE_FIELDS:
        out[name] = _parse_d(m[name])
    return out


def _values_to_row(paper_id: str, values: dict[str, Any], digest: str) -> dict[str, Any]:
    published = values["announced"] or values["submitted"] or values["updated"]
    return {
        "id": paper_id,
        "version": values["version"],
        "title": values["title"],
        "abstract": values["abstract"] or "",
        "authors": json.dumps(values["authors"], ensure_ascii=False),
        "categories": json.dumps(values["categories"], ensure_ascii=False),
        "primary_category": values["categories"][0] if values["categories"] else None,
        "submitted": _d(values["submitted"]),
        "updated": _d(values["updated"]),
        "announced": _d(values["announced"]),
        "published": _d(published),
        "abs_url": values["abs_url"],
        "pdf_url": values["pdf_url"],
        "code_url": values["code_url"],
        "project_url": values["project_url"],
        "doi": values["doi"],
        "comment": values["comment"],
        "journal_ref": values["journal_ref"],
        "content_hash": digest,
    }


def row_to_paper(row: Any, sources: dict[str, datetime] | None = None) -> Paper:
    m = row._mapping
    values = _row_to_values(row)
    return Paper(
        id=m["id"],
        content_hash=m["content_hash"],
        sources=sources or {},
        seq=m["seq"],
        **values,
    )


class SqlStore(SqlWebMixin, EmbeddingsMixin, SignalsMixin, DigestMixin):
    """Implements `paperfeed.store.base.Store` for any SQLAlchemy engine."""

    def __init__(self, engine: Engine, write_engine: Engine | None = None) -> None:
        self.engine = engine  # reads
        self.write_engine = write_engine or engine  # transactions that write
        self.url = engine.url.render_as_string(hide_password=True)

    # -- change counter ---------------------------------------------------------
    def _allocate_seqs(self, conn: Connection, n: int) -> int:
        """Reserve `n` sequence numbers; returns the first. Runs inside the batch's transaction."""
        current = conn.execute(select(t.counters.c.value).where(t.counters.c.name == "paper_seq")).scalar()
        if current is None:
            conn.execute(insert(t.counters).values(name="paper_seq", value=n))
            return 1
        conn.execute(update(t.counters).where(t.counters.c.name == "paper_seq").values(value=current + n))
        return current + 1

    def _bulk_insert(self, conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        """Insert many new rows (all with the same keys) in the caller's transaction.

        The portable way is an executemany INSERT; PostgreSQL overrides it with COPY.
        """
        conn.execute(insert(table), rows)

    def _lock_batch(self, conn: Connection, ids: list[str], checkpoint_name: str | None) -> None:
        """Serialise concurrent writers of the same papers/checkpoint (no-op here; PostgreSQL overrides).

        SQLite needs nothing: its IMMEDIATE transactions already admit one writer at a time.
        """

    # -- papers -----------------------------------------------------------------
    def upsert_papers(
        self,
        records: Iterable[PaperRecord],
        checkpoint: tuple[str, Any] | None = None,
        signals: Iterable[Signal] = (),
    ) -> UpsertResult:
        batch: dict[str, list[PaperRecord]] = {}
        for rec in records:
            batch.setdefault(rec.id, []).append(rec)
        result = UpsertResult()
        now = utcnow_iso()
        with self.write_engine.begin() as conn:
            self._lock_batch(conn, list(batch), checkpoint[0] if checkpoint else None)
            signal_rows = _signal_rows(signals)
            if signal_rows:
                conn.execute(insert(t.signals), signal_rows)
            if not batch:
                if checkpoint is not None:
                    self._write_checkpoint(conn, *checkpoint)
                return result
            ids = list(batch)
            stored_rows: dict[str, Any] = {}
            for chunk in _chunks(ids, 900):
                for row in conn.execute(select(t.papers).where(t.papers.c.id.in_(chunk))):
                    stored_rows[row.id] = row
            known_sources: set[tuple[str, str]] = set()
            for chunk in _chunks(ids, 900):
                for row in conn.execute(
                    select(t.paper_sources.c.paper_id, t.paper_sources.c.source).where(
                        t.paper_sources.c.paper_id.in_(chunk)
                    )
                ):
                    known_sources.add((row.paper_id, row.source))

            inserts: list[dict[str, Any]] = []
            updates: list[dict[str, Any]] = []
            history: list[dict[str, Any]] = []
            new_sources: list[dict[str, Any]] = []
            for paper_id, recs in batch.items():
                stored = stored_rows.get(paper_id)
                before = _row_to_values(stored) if stored is not None else None
                values = before
                for rec in recs:
                    values = merge(values, rec)
                    if (paper_id, rec.source) not in known_sources:
                        known_sources.add((paper_id, rec.source))
                        new_sources.append(
                            {"paper_id": paper_id, "source": rec.source, "first_seen": now, "last_seen": now}
                        )
                assert values is not None
                digest = hash_of(values)
                if stored is None:
                    inserts.append(_values_to_row(paper_id, values, digest) | {"created_at": now, "modified_at": now})
                    result.new += 1
                elif digest != stored.content_hash:
                    updates.append(_values_to_row(paper_id, values, digest) | {"modified_at": now})
                    if (
                        stored.version is not None
                        and values["version"] is not None
                        and values["version"] > stored.version
                    ):
                        history.append(
                            {
                                "paper_id": paper_id,
                                "version": stored.version,
                                "content_hash": stored.content_hash,
                                "title": stored.title,
                                "replaced_at": now,
                            }
                        )
                    result.updated += 1
                else:
                    result.unchanged += 1

            changed = inserts + updates
            if changed:
                first = self._allocate_seqs(conn, len(changed))
                for i, row_values in enumerate(changed):
                    row_values["seq"] = first + i
            if inserts:
                self._bulk_insert(conn, t.papers, inserts)
            if updates:
                stmt = (
                    update(t.papers)
                    .where(t.papers.c.id == bindparam("b_id"))
                    .values({k: bindparam(k) for k in updates[0] if k != "id"})
                )
                conn.execute(stmt, [u | {"b_id": u["id"]} for u in updates])
                for chunk in _chunks([u["id"] for u in updates], 900):
                    conn.execute(delete(t.paper_categories).where(t.paper_categories.c.paper_id.in_(chunk)))
            if changed:
                cats = []
                for row_values in changed:
                    seen: set[str] = set()
                    for cat in json.loads(row_values["categories"]):
                        if cat not in seen:
                            seen.add(cat)
                            cats.append({"paper_id": row_values["id"], "category": cat})
                if cats:
                    self._bulk_insert(conn, t.paper_categories, cats)
            if history:
                self._insert_history(conn, history)
            if new_sources:
                self._bulk_insert(conn, t.paper_sources, new_sources)
            if checkpoint is not None:
                self._write_checkpoint(conn, *checkpoint)
        return result

    def _insert_history(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        existing = set()
        for row in conn.execute(
            select(t.paper_versions.c.paper_id, t.paper_versions.c.version).where(
                t.paper_versions.c.paper_id.in_([r["paper_id"] for r in rows])
            )
        ):
            existing.add((row.paper_id, row.version))
        fresh = [r for r in rows if (r["paper_id"], r["version"]) not in existing]
        if fresh:
            conn.execute(insert(t.paper_versions), fresh)

    def _sources_for(self, conn: Connection, ids: list[str]) -> dict[str, dict[str, datetime]]:
        out: dict[str, dict[str, datetime]] = {}
        for chunk in _chunks(ids, 900):
            for row in conn.execute(select(t.paper_sources).where(t.paper_sources.c.paper_id.in_(chunk))):
                out.setdefault(row.paper_id, {})[row.source] = datetime.fromisoformat(row.first_seen)
        return out

    def get_paper(self, paper_id: str) -> Paper | None:
        papers = self.get_papers([paper_id])
        return papers[0] if papers else None

    def get_papers(self, paper_ids: list[str]) -> list[Paper]:
        if not paper_ids:
            return []
        with self.engine.connect() as conn:
            rows = {}
            for chunk in _chunks(list(dict.fromkeys(paper_ids)), 900):
                for row in conn.execute(select(t.papers).where(t.papers.c.id.in_(chunk))):
                    rows[row.id] = row
            sources = self._sources_for(conn, list(rows))
        return [row_to_paper(rows[i], sources.get(i)) for i in dict.fromkeys(paper_ids) if i in rows]

    def _filtered(self, stmt: Any, query: PaperQuery) -> Any:
        p = t.papers.c
        if query.since:
            stmt = stmt.where(p.published >= query.since.isoformat())
        if query.until:
            stmt = stmt.where(p.published <= query.until.isoformat())
        if query.category:
            sub = select(t.paper_categories.c.paper_id).where(t.paper_categories.c.category == query.category)
            stmt = stmt.where(p.id.in_(sub))
        if query.author:
            stmt = stmt.where(func.lower(p.authors).contains(query.author.lower(), autoescape=True))
        return stmt

    def list_papers(self, query: PaperQuery) -> list[Paper]:
        p = t.papers.c
        stmt = self._filtered(select(t.papers), query)
        if query.order == "id":
            stmt = stmt.order_by(p.id)
        else:
            stmt = stmt.order_by(p.published.desc(), p.id.desc())
        stmt = stmt.limit(query.limit).offset(query.offset)
        with self.engine.connect() as conn:
            rows = list(conn.execute(stmt))
            sources = self._sources_for(conn, [r.id for r in rows])
        return [row_to_paper(r, sources.get(r.id)) for r in rows]

    def count_papers(self, query: PaperQuery | None = None) -> int:
        stmt = select(func.count()).select_from(t.papers)
        if query is not None:
            stmt = self._filtered(stmt, query)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar() or 0)

    def iter_papers(self, after_seq: int = 0, batch_size: int = 1000) -> Iterator[Paper]:
        last = after_seq
        while True:
            with self.engine.connect() as conn:
                rows = list(
                    conn.execute(
                        select(t.papers).where(t.papers.c.seq > last).order_by(t.papers.c.seq).limit(batch_size)
                    )
                )
            if not rows:
                return
            for row in rows:
                yield row_to_paper(row)
            last = rows[-1].seq

    def _backlog_where(self, stmt: Any, lo: int, hi: int, before: tuple[str, str] | None) -> Any:
        p = t.papers.c
        stmt = stmt.where(p.seq > lo, p.seq <= hi)
        if before is not None:
            stmt = stmt.where(tuple_(func.coalesce(p.published, ""), p.id) < tuple_(before[0], before[1]))
        return stmt

    def backlog_papers(self, lo: int, hi: int, before: tuple[str, str] | None, limit: int) -> list[Paper]:
        p = t.papers.c
        key = func.coalesce(p.published, "")
        stmt = self._backlog_where(select(t.papers), lo, hi, before).order_by(key.desc(), p.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [row_to_paper(row) for row in conn.execute(stmt)]

    def backlog_size(self, lo: int, hi: int, before: tuple[str, str] | None) -> tuple[int, str | None]:
        p = t.papers.c
        stmt = self._backlog_where(select(func.count(), func.max(p.published)), lo, hi, before)
        with self.engine.connect() as conn:
            n, newest = conn.execute(stmt).one()
        return int(n or 0), newest

    def max_seq(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(t.papers.c.seq))).scalar() or 0)

    def paper_versions(self, paper_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.paper_versions)
                .where(t.paper_versions.c.paper_id == paper_id)
                .order_by(t.paper_versions.c.version)
            )
            return [dict(r._mapping) for r in rows]

    def stats(self) -> Stats:
        with self.engine.connect() as conn:
            total = int(conn.execute(select(func.count()).select_from(t.papers)).scalar() or 0)
            by_source: dict[str, int] = dict(
                conn.execute(select(t.paper_sources.c.source, func.count()).group_by(t.paper_sources.c.source)).all()
            )
            by_category: dict[str, int] = dict(
                conn.execute(
                    select(t.paper_categories.c.category, func.count())
                    .group_by(t.paper_categories.c.category)
                    .order_by(func.count().desc())
                ).all()
            )
            month = func.substr(t.papers.c.published, 1, 7)
            by_month = {
                k: v for k, v in conn.execute(select(month, func.count()).group_by(month).order_by(month)).all() if k
            }
            n_signals = int(conn.execute(select(func.count()).select_from(t.signals)).scalar() or 0)
        return Stats(total, by_source, by_category, by_month, n_signals)

    # -- checkpoints ------------------------------------------------------------
    def _write_checkpoint(self, conn: Connection, name: str, value: Any) -> None:
        payload = json.dumps(value, default=str)
        done = conn.execute(
            update(t.checkpoints).where(t.checkpoints.c.name == name).values(value=payload, updated_at=utcnow_iso())
        )
        if done.rowcount == 0:
            conn.execute(insert(t.checkpoints).values(name=name, value=payload, updated_at=utcnow_iso()))

    def get_checkpoint(self, name: str) -> Any | None:
        with self.engine.connect() as conn:
            raw = conn.execute(select(t.checkpoints.c.value).where(t.checkpoints.c.name == name)).scalar()
        return json.loads(raw) if raw is not None else None

    def set_checkpoint(self, name: str, value: Any) -> None:
        with self.write_engine.begin() as conn:
            self._write_checkpoint(conn, name, value)

    def delete_checkpoint(self, name: str) -> None:
        with self.write_engine.begin() as conn:
            conn.execute(delete(t.checkpoints).where(t.checkpoints.c.name == name))

    # -- signals ----------------------------------------------------------------
    def add_signals(self, signals: Iterable[Signal]) -> int:
        rows = _signal_rows(signals)
        if not rows:
            return 0
        with self.write_engine.begin() as conn:
            conn.execute(insert(t.signals), rows)
        return len(rows)

    def close(self) -> None:
        self.engine.dispose()
        self.write_engine.dispose()


def _signal_rows(signals: Iterable[Signal]) -> list[dict[str, Any]]:
    return [
        {
            "paper_id": s.paper_id,
            "source": s.source,
            "kind": s.kind,
            "value": float(s.value),
            "observed_at": s.observed_at.astimezone(UTC).isoformat(timespec="seconds"),
            "actor": s.actor,
            "network": s.network,
        }
        for s in signals
    ]


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
