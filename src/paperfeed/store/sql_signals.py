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

from sqlalchemy import and_, delete, func, insert, select

from paperfeed.models import Paper
from paperfeed.store import schema as t

MARKER = ""  # paper_id of a list's metadata row
_CHUNK = 900  # bound parameters per IN (SQLite's default limit is 999)

s = t.signals.c
ts = t.trending_scores.c
p = t.papers.c


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
        """Swap in a (window, day) list atomically: rows are (paper_id, rank >= 1, score, breakdown JSON)."""
        key = day.isoformat()
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
        """One page of a materialised list in rank order: (paper, rank, score, breakdown JSON).

        One indexed query joins the papers in, so serving a page never scans
        signals. The papers' `sources` map is left empty here (a page of
        trending papers does not show it; `get_paper` has it).
        """
        from paperfeed.store.sql import row_to_paper  # sql.py imports this module

        stmt = (
            select(t.papers, ts.rank, ts.score, ts.breakdown)
            .join(t.papers, p.id == ts.paper_id)
            .where(ts.window == window, ts.day == day.isoformat(), ts.rank > 0)
        )
        if category:
            pc = t.paper_categories.c
            stmt = stmt.join(t.paper_categories, and_(pc.paper_id == ts.paper_id, pc.category == category))
        stmt = stmt.order_by(ts.rank).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [(row_to_paper(r), r.rank, r.score, r.breakdown) for r in conn.execute(stmt)]

    def trending_row(self, window: str, day: date, paper_id: str) -> tuple[str, int, float, str] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(ts.paper_id, ts.rank, ts.score, ts.breakdown).where(
                    ts.window == window, ts.day == day.isoformat(), ts.paper_id == paper_id, ts.rank > 0
                )
            ).first()
        return tuple(row) if row is not None else None

    def drop_trending(self, from_day: date, keep: date | None = None) -> int:
        """Forget materialised lists for days >= `from_day` (they are recomputed on demand)."""
        cond = ts.day >= from_day.isoformat()
        if keep is not None:
            cond = and_(cond, ts.day != keep.isoformat())
        with self.write_engine.begin() as conn:
            return int(conn.execute(delete(t.trending_scores).where(cond)).rowcount or 0)
