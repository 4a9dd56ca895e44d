"""Signal reads and the materialised trending lists, on portable SQLAlchemy Core.

Mixed into `SqlStore`, so SQLite and PostgreSQL share it. Trending itself
(``paperfeed.trending``) holds no SQL: it asks for the signals of a time range,
scores them in Python, and hands back rows to keep.

Each materialised (window, day) list also holds one marker row with
``paper_id = ''`` and ``rank = 0`` whose ``breakdown`` is the list's metadata
(normalisation scales, the signal id it saw): one delete then drops a list
and its marker together, and a list with no papers is still known to be
computed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select

from paperfeed.models import CUMULATIVE_KINDS, EVENT_KINDS, Paper
from paperfeed.store import rollup as ru
from paperfeed.store import schema as t

MARKER = ""  # paper_id of a list's metadata row
ROLLUP = "signals:rollup"  # checkpoint: the highest signal id folded into the roll-up
_CHUNK = 900  # bound parameters per IN (SQLite's default limit is 999)

s = t.signals.c
ts = t.trending_scores.c
p = t.papers.c
r = t.signal_rollup.c
pe = t.paper_engagement.c


# Built once: a page and a list's freshness check are asked on every request, and building the
# statement costs more than running it. No ``rank > 0`` test on pages: the join drops the marker
# row (no paper has id ''), so the plan is one walk down ix_trending_score, no sort.
_STATUS = select(
    select(func.max(s.id)).scalar_subquery(),
    select(t.checkpoints.c.value).where(t.checkpoints.c.name == ROLLUP).scalar_subquery(),
    select(func.max(p.seq)).scalar_subquery(),
    select(ts.breakdown)
    .where(ts.window == bindparam("w"), ts.day == bindparam("d"), ts.paper_id == MARKER)
    .scalar_subquery(),
)
_PAGE_BASE = (
    select(t.papers, ts.score, ts.breakdown)
    .join(t.papers, p.id == ts.paper_id)
    .where(ts.window == bindparam("w"), ts.day == bindparam("d"))
)
_PAGE_IN_CATEGORY = _PAGE_BASE.join(
    t.paper_categories,
    and_(t.paper_categories.c.paper_id == ts.paper_id, t.paper_categories.c.category == bindparam("cat")),
)
_ORDER = (ts.score.desc(), ts.paper_id.desc())
_PAGE = _PAGE_BASE.order_by(*_ORDER).limit(bindparam("lim")).offset(bindparam("off"))
_PAGE_IN_CATEGORY = _PAGE_IN_CATEGORY.order_by(*_ORDER).limit(bindparam("lim")).offset(bindparam("off"))


def upsert(conn: Any, table: Any, rows: list[dict[str, Any]], keys: list[str], add: bool) -> None:
    """INSERT .. ON CONFLICT on both backends: add to (``add``) or replace the value columns."""
    if not rows:
        return
    from sqlalchemy.dialects import postgresql, sqlite

    dialect_insert: Any = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = dialect_insert(table)
    values = [c for c in rows[0] if c not in keys]
    set_ = {c: (table.c[c] + stmt.excluded[c]) if add else stmt.excluded[c] for c in values}
    stmt = stmt.on_conflict_do_update(index_elements=keys, set_=set_)
    for i in range(0, len(rows), 2000):
        conn.execute(stmt, rows[i : i + 2000])


def _chunks(items: list[str], size: int = _CHUNK) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class SignalsMixin:
    """Implements the signals / trending section of `paperfeed.store.base.Store`."""

    engine: Any
    write_engine: Any

    # -- reading signals --------------------------------------------------------
    def event_signals(self, start: str, end: str, kinds: Iterable[str]) -> list[tuple[Any, ...]]:
        """(paper_id, kind, value, actor, network) of events observed in [start, end), in id order."""
        stmt = (
            select(s.paper_id, s.kind, s.value, s.actor, s.network)
            .where(s.kind.in_(list(kinds)), s.observed_at >= start, s.observed_at < end)
            .order_by(s.id)
        )
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(stmt)]

    def cumulative_signals(self, start: str, end: str, kinds: Iterable[str]) -> list[tuple[Any, ...]]:
        """(paper_id, kind, source, value, observed_at) observed in [start, end), oldest first per series."""
        stmt = (
            select(s.paper_id, s.kind, s.source, s.value, s.observed_at)
            .where(s.kind.in_(list(kinds)), s.observed_at >= start, s.observed_at < end)
            .order_by(s.paper_id, s.kind, s.source, s.observed_at, s.id)
        )
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(stmt)]

    def window_signals(self, start: str, end: str) -> list[tuple[Any, ...]]:
        """Every signal observed in [start, end), in id (arrival) order, in one pass:
        (paper_id, kind, source, value, observed_at, actor, network).

        Trending reads a refresh's widest window once and derives the shorter ones from it.
        """
        stmt = (
            select(s.paper_id, s.kind, s.source, s.value, s.observed_at, s.actor, s.network)
            .where(s.observed_at >= start, s.observed_at < end)
            .order_by(s.id)
        )
        with self.engine.connect() as conn:
            return conn.execute(stmt).all()

    def cumulative_baselines(
        self, start: str, end: str, kinds: Iterable[str]
    ) -> dict[tuple[str, str, str], tuple[float, str]]:
        """(paper, kind, source) -> (max value, last observed_at) before `start`.

        Only for series that have an observation in [start, end): the others
        cannot rise inside the window, so their history is never read.
        """
        kinds = list(kinds)
        in_window = (
            select(s.paper_id)
            .where(s.kind.in_(kinds), s.observed_at >= start, s.observed_at < end)
            .distinct()
            .scalar_subquery()
        )
        stmt = (
            select(s.paper_id, s.kind, s.source, func.max(s.value), func.max(s.observed_at))
            .where(s.kind.in_(kinds), s.observed_at < start, s.paper_id.in_(in_window))
            .group_by(s.paper_id, s.kind, s.source)
        )
        with self.engine.connect() as conn:
            return {(r[0], r[1], r[2]): (float(r[3]), r[4]) for r in conn.execute(stmt)}

    def max_signal_id(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(s.id))).scalar() or 0)

    def signal_changes_since(self, signal_id: int) -> tuple[int, str | None]:
        """(max signal id, earliest observed_at among signals with id > `signal_id`)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(func.max(s.id), func.min(s.observed_at)).where(s.id > signal_id)).one()
        return int(row[0] or signal_id), row[1]

    def paper_changes_since(self, seq: int) -> tuple[int, str | None]:
        """(max paper seq, earliest published date among papers changed after `seq`)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(func.max(p.seq), func.min(p.published)).where(p.seq > seq)).one()
        return int(row[0] or seq), row[1]

    # -- the per-day roll-up (store/rollup.py) --------------------------------------
    def _lock_rollup(self, conn: Any) -> None:
        """Serialise roll-ups (SQLite's BEGIN IMMEDIATE already does; PostgreSQL takes a lock)."""

    def trending_status(self, window: str, day: date) -> tuple[int, int, int, dict[str, Any] | None]:
        """(max signal id, roll-up position, max paper seq, list metadata or None) in one round trip.

        What a list asks on every request to know whether it is behind.
        """
        with self.engine.connect() as conn:
            sid, raw, seq, meta = conn.execute(_STATUS, {"w": window, "d": day.isoformat()}).one()
        position = int(json.loads(raw)["signal_id"]) if raw is not None else 0
        return int(sid or 0), position, int(seq or 0), (json.loads(meta) if meta is not None else None)

    def rollup_position(self) -> int:
        """The highest signal id folded into the roll-up."""
        with self.engine.connect() as conn:
            raw = conn.execute(select(t.checkpoints.c.value).where(t.checkpoints.c.name == ROLLUP)).scalar()
        return int(json.loads(raw)["signal_id"]) if raw is not None else 0

    def roll_up_signals(self, batch: int = 20_000) -> int:
        """Fold up to `batch` signals not yet rolled up into the per-day rows; returns how many.

        One write transaction reads the position, the new signals and the
        state their series and actors left, writes the increments, the papers'
        all-time totals and the new position: a crash or a concurrent roll-up
        can neither skip nor double-count a signal.
        """
        with self.write_engine.begin() as conn:
            self._lock_rollup(conn)
            raw = conn.execute(select(t.checkpoints.c.value).where(t.checkpoints.c.name == ROLLUP)).scalar()
            done = int(json.loads(raw)["signal_id"]) if raw is not None else 0
            rows = conn.execute(
                select(s.id, s.paper_id, s.kind, s.source, s.value, s.observed_at, s.actor, s.network)
                .where(s.id > done)
                .order_by(s.id)
                .limit(batch)
            ).all()
            if not rows:
                return 0
            pids = list({row[1] for row in rows})
            state: ru.SeriesState = {}
            seen: set[tuple[str, str, str]] = set()
            published: dict[str, float | None] = {}
            actors = {row[6] for row in rows if row[6] is not None}
            for chunk in _chunks(pids) if done else ():  # nothing rolled up yet: no earlier state
                for pid, kind, source, top, last in conn.execute(
                    select(s.paper_id, s.kind, s.source, func.max(s.value), func.max(s.observed_at))
                    .where(s.paper_id.in_(chunk), s.kind.in_(CUMULATIVE_KINDS), s.id <= done)
                    .group_by(s.paper_id, s.kind, s.source)
                ):
                    state[(pid, kind, source)] = (float(top), ru.ts(last))
                for pid, kind, actor in conn.execute(
                    select(s.paper_id, s.kind, s.actor)
                    .where(s.paper_id.in_(chunk), s.kind.in_(EVENT_KINDS), s.actor.is_not(None), s.id <= done)
                    .distinct()
                ):
                    if actor in actors:  # only the batch's actors can repeat themselves
                        seen.add((pid, kind, actor))
            for chunk in _chunks(pids):
                for pid, pub in conn.execute(select(p.id, p.published).where(p.id.in_(chunk))):
                    published[pid] = ru.ts(pub) if pub else None
            increments = ru.fold((row[1:] for row in rows), state, seen, published)
            payload = [
                {"paper_id": k[0], "kind": k[1], "source": k[2], "day": k[3], "bucket": k[4], "value": v}
                for k, v in increments.items()
            ]
            upsert(conn, t.signal_rollup, payload, ["paper_id", "kind", "source", "day", "bucket"], add=True)
            touched = list({k[0] for k in increments})
            sums = []
            for chunk in _chunks(touched):
                sums.extend(
                    conn.execute(
                        select(r.paper_id, r.kind, r.source, func.sum(r.value))
                        .where(r.paper_id.in_(chunk))
                        .group_by(r.paper_id, r.kind, r.source)
                    ).all()
                )
            totals = [{"paper_id": pid, "upvotes": up, "activity": act} for pid, (up, act) in ru.totals(sums).items()]
            upsert(conn, t.paper_engagement, totals, ["paper_id"], add=False)
            self._write_checkpoint(conn, ROLLUP, {"signal_id": int(rows[-1][0])})  # type: ignore[attr-defined]
        return len(rows)

    def rollup_sums(
        self, start: date, end: date, paper_ids: list[str] | None = None
    ) -> list[tuple[str, str, str, str, float]]:
        """(paper, kind, source, bucket, sum) of the roll-up over the days [start, end].

        All papers, or only `paper_ids` (a list patched after new signals).
        """
        lo, hi = start.isoformat(), end.isoformat()
        base = select(r.paper_id, r.kind, r.source, r.bucket, func.sum(r.value)).group_by(
            r.paper_id, r.kind, r.source, r.bucket
        )
        with self.engine.connect() as conn:
            if paper_ids is None:
                return [tuple(x) for x in conn.execute(base.where(r.day >= lo, r.day <= hi))]
            out: list[tuple[str, str, str, str, float]] = []
            for chunk in _chunks(list(dict.fromkeys(paper_ids))):
                stmt = base.where(r.paper_id.in_(chunk), r.day >= lo, r.day <= hi)
                out.extend(tuple(x) for x in conn.execute(stmt))
            return out

    def signal_papers(self, after_id: int, upto_id: int) -> list[str]:
        """Papers with a signal whose id is in (after_id, upto_id]: the ones a list must re-score."""
        with self.engine.connect() as conn:
            return list(conn.execute(select(s.paper_id).where(s.id > after_id, s.id <= upto_id).distinct()).scalars())

    def changed_papers(self, after_seq: int, upto_seq: int) -> list[str]:
        """Papers stored or changed with seq in (after_seq, upto_seq] (their date may have moved)."""
        with self.engine.connect() as conn:
            return list(conn.execute(select(p.id).where(p.seq > after_seq, p.seq <= upto_seq)).scalars())

    def engagement_totals(self, paper_ids: list[str]) -> dict[str, tuple[float, float]]:
        """paper -> (all-time upvotes, other activity) from the roll-up."""
        out: dict[str, tuple[float, float]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(paper_ids))):
                for pid, up, act in conn.execute(
                    select(pe.paper_id, pe.upvotes, pe.activity).where(pe.paper_id.in_(chunk))
                ):
                    out[pid] = (float(up), float(act))
        return out

    # -- paper dates for candidates ---------------------------------------------
    def published_dates(self, paper_ids: list[str], until: date) -> dict[str, str | None]:
        """id -> published (ISO) for stored papers among `paper_ids` not published after `until`."""
        out: dict[str, str | None] = {}
        last = until.isoformat()
        with self.engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(paper_ids))):
                stmt = select(p.id, p.published).where(p.id.in_(chunk), (p.published <= last) | (p.published.is_(None)))
                out.update({r[0]: r[1] for r in conn.execute(stmt)})
        return out

    def recent_published(self, since: date, until: date, pool: int) -> dict[str, str]:
        """Papers published in [since, until], plus the `pool` newest up to `until` (never empty)."""
        lo, hi = since.isoformat(), until.isoformat()
        with self.engine.connect() as conn:
            rows = conn.execute(select(p.id, p.published).where(p.published >= lo, p.published <= hi)).all()
            newest = conn.execute(
                select(p.id, p.published).where(p.published <= hi).order_by(p.published.desc(), p.id.desc()).limit(pool)
            ).all()
        return {r[0]: r[1] for r in (*rows, *newest)}

    # -- materialised lists -----------------------------------------------------
    def replace_trending(
        self, window: str, day: date, rows: list[tuple[str, int, float, str]], meta: dict[str, Any], computed_at: str
    ) -> None:
        """Swap in a (window, day) list atomically: rows are (paper_id, rank >= 1, score, breakdown JSON).

        ``rank`` only marks a listed paper (>= 1) against the marker row (0):
        pages are served in score order and ranks counted at read time.
        """
        key = day.isoformat()
        payload = _trending_payload(window, key, rows, meta, computed_at)
        with self.write_engine.begin() as conn:
            conn.execute(delete(t.trending_scores).where(ts.window == window, ts.day == key))
            for i in range(0, len(payload), 5000):
                conn.execute(insert(t.trending_scores), payload[i : i + 5000])

    def trending_meta(self, window: str, day: date) -> dict[str, Any] | None:
        """The list's metadata, or None when (window, day) is not materialised."""
        with self.engine.connect() as conn:
            raw = conn.execute(
                select(ts.breakdown).where(ts.window == window, ts.day == day.isoformat(), ts.paper_id == MARKER)
            ).scalar()
        return json.loads(raw) if raw is not None else None

    def trending_page(
        self, window: str, day: date, category: str | None, limit: int, offset: int
    ) -> list[tuple[Paper, int, float, str]]:
        """One page of a materialised list by score: (paper, rank, score, breakdown JSON).

        One query over ``ix_trending_score`` joins the papers in, so serving a
        page never reads signals. Ranks are positions in that order (within the
        category when one is given): patching one paper's score therefore never
        rewrites the other rows. The papers' `sources` map is left empty here
        (a page of trending papers does not show it; `get_paper` has it).
        """
        from paperfeed.store.sql import row_to_paper  # sql.py imports this module

        params = {"w": window, "d": day.isoformat(), "cat": category, "lim": limit, "off": offset}
        with self.engine.connect() as conn:
            rows = conn.execute(_PAGE_IN_CATEGORY if category else _PAGE, params).all()
        return [(row_to_paper(row), offset + i + 1, row.score, row.breakdown) for i, row in enumerate(rows)]

    def trending_row(self, window: str, day: date, paper_id: str) -> tuple[str, int, float, str] | None:
        """(paper, rank, score, breakdown) of one paper on a list; its rank counted from the scores above it."""
        key = day.isoformat()
        with self.engine.connect() as conn:
            row = conn.execute(
                select(ts.paper_id, ts.score, ts.breakdown).where(
                    ts.window == window, ts.day == key, ts.paper_id == paper_id, ts.rank > 0
                )
            ).first()
            if row is None:
                return None
            above = conn.execute(
                select(func.count()).where(
                    ts.window == window,
                    ts.day == key,
                    ts.rank > 0,
                    or_(ts.score > row.score, and_(ts.score == row.score, ts.paper_id > paper_id)),
                )
            ).scalar()
        return (row.paper_id, int(above or 0) + 1, float(row.score), row.breakdown)

    def patch_trending(
        self,
        window: str,
        day: date,
        rows: list[tuple[str, float, str]],
        remove: list[str],
        meta: dict[str, Any],
        computed_at: str,
    ) -> None:
        """Replace some papers' rows of a list and its metadata in one transaction.

        `rows`: (paper_id, score, breakdown JSON) to (re)write; `remove`: papers
        no longer on the list. The other rows are left alone.
        """
        key = day.isoformat()
        ids = list(dict.fromkeys([pid for pid, _s, _b in rows] + list(remove) + [MARKER]))
        payload = _trending_payload(window, key, [(pid, 1, score, b) for pid, score, b in rows], meta, computed_at)
        with self.write_engine.begin() as conn:
            for chunk in _chunks(ids):
                conn.execute(
                    delete(t.trending_scores).where(ts.window == window, ts.day == key, ts.paper_id.in_(chunk))
                )
            for i in range(0, len(payload), 5000):
                conn.execute(insert(t.trending_scores), payload[i : i + 5000])

    def drop_trending(self, from_day: date, keep: date | None = None, before: date | None = None) -> int:
        """Forget materialised lists for days >= `from_day` and < `before` (they are recomputed on demand)."""
        cond = ts.day >= from_day.isoformat()
        if before is not None:
            cond = and_(cond, ts.day < before.isoformat())
        if keep is not None:
            cond = and_(cond, ts.day != keep.isoformat())
        with self.write_engine.begin() as conn:
            return int(conn.execute(delete(t.trending_scores).where(cond)).rowcount or 0)


def _trending_payload(
    window: str, key: str, rows: list[tuple[str, int, float, str]], meta: dict[str, Any], computed_at: str
) -> list[dict[str, Any]]:
    """A list's rows as trending_scores rows, plus its marker row (rank 0) holding the metadata."""
    payload = [
        {
            "window": window,
            "day": key,
            "paper_id": pid,
            "rank": rank,
            "score": score,
            "breakdown": breakdown,
            "computed_at": computed_at,
        }
        for pid, rank, score, breakdown in rows
    ]
    payload.append(
        {
            "window": window,
            "day": key,
            "paper_id": MARKER,
            "rank": 0,
            "score": 0.0,
            "breakdown": json.dumps(meta, sort_keys=True),
            "computed_at": computed_at,
        }
    )
    return payload
