"""Store queries the web site needs for engagement: upvote counts and "did I vote".

A mixin of `SqlStore` (SQL stays inside ``store/``). Kept apart from the
core contract because only the web layer asks these questions, and so that
its owner can change them without touching the shared store module.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import TYPE_CHECKING

from sqlalchemy import and_, case, func, insert, select

from paperfeed.models import Signal, SignalLimit
from paperfeed.store import schema as t

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

_CHUNK = 900  # SQLite's bound-parameter limit is 999 on old builds


class SqlWebMixin:
    """Engagement reads over the `signals` table."""

    engine: Engine
    write_engine: Engine

    def _serialise_limits(self, conn: Connection, network: str) -> None:
        """Make limit checks for one network take turns. SQLite's writes already do
        (BEGIN IMMEDIATE takes the database's write lock); PostgreSQL overrides this."""

    def _lock_signal_writes(self, conn: Connection) -> None:
        """Defined by `SqlStore` (and PostgreSQL's): signal ids must commit in id order."""

    def add_signal_within(self, signal: Signal, limits: Sequence[SignalLimit]) -> str | None:
        """Store `signal` unless one of `limits` is reached; returns the reached limit's name.

        One transaction counts and inserts, serialised per network, so two workers
        answering the same network at once cannot both see room for the last signal.
        """
        return self.add_signals_within([(signal, limits)])[0]

    def add_signals_within(self, items: Sequence[tuple[Signal, Sequence[SignalLimit]]]) -> list[str | None]:
        """`add_signal_within` for a batch in one transaction: each signal is counted against its
        limits after the batch's earlier signals; returns, per signal, the reached limit or None."""
        if not items:
            return []
        s = t.signals.c
        outcomes: list[str | None] = []
        with self.write_engine.begin() as conn:
            for network in sorted({signal.network or "" for signal, _ in items}):  # one order: no lock cycles
                self._serialise_limits(conn, network)
            self._lock_signal_writes(conn)  # then the roll-up's: ids commit in id order (sql.py)
            for signal, limits in items:
                reached = None
                for limit in limits:
                    where = [s.kind == limit.kind, s.network == limit.network]
                    if limit.paper_id is not None:
                        where.append(s.paper_id == limit.paper_id)
                    if limit.since is not None:
                        where.append(s.observed_at >= limit.since.astimezone(UTC).isoformat(timespec="seconds"))
                    count = conn.execute(select(func.count()).select_from(t.signals).where(*where)).scalar_one()
                    if count >= limit.max_count:
                        reached = limit.name
                        break
                if reached is None:
                    conn.execute(
                        insert(t.signals),
                        {
                            "paper_id": signal.paper_id,
                            "source": signal.source,
                            "kind": signal.kind,
                            "value": float(signal.value),
                            "observed_at": signal.observed_at.astimezone(UTC).isoformat(timespec="seconds"),
                            "actor": signal.actor,
                            "network": signal.network,
                        },
                    )
                outcomes.append(reached)
        return outcomes

    def upvote_counts(self, paper_ids: list[str]) -> dict[str, int]:
        """Distinct local upvoters plus the imported Hugging Face upvote total, per paper.

        Local upvotes count once per actor (an anonymous visitor). `hf_upvotes`
        is a running total; its highest observation counts, which is how
        trending reads it too (a dip in a total is a glitch, not lost votes).
        One grouped query over the (paper_id, kind, ...) index: lists of 50
        papers ask this on every page view. Papers without signals are absent.
        """
        ids = list(dict.fromkeys(paper_ids))
        out: dict[str, int] = {}
        s = t.signals.c
        # Distinct actors, plus every upvote without one (an import): as the roll-up counts them.
        local = func.count(func.distinct(case((s.kind == "upvote", s.actor)))) + func.sum(
            case((and_(s.kind == "upvote", s.actor.is_(None)), 1), else_=0)
        )
        imported = func.max(case((s.kind == "hf_upvotes", s.value)))
        with self.engine.connect() as conn:
            for i in range(0, len(ids), _CHUNK):
                rows = conn.execute(
                    select(s.paper_id, local, imported)
                    .where(s.paper_id.in_(ids[i : i + _CHUNK]), s.kind.in_(("upvote", "hf_upvotes")))
                    .group_by(s.paper_id)
                )
                for paper_id, n_local, n_imported in rows:
                    total = int(n_local or 0) + int(n_imported or 0)
                    if total:
                        out[paper_id] = total
        return out

    def signal_totals(self, paper_ids: list[str], kinds: tuple[str, ...]) -> dict[str, dict[str, int]]:
        """The highest observation of each cumulative kind (``github_stars``, ``hf_comments``) per paper.

        Highest, as `upvote_counts` reads ``hf_upvotes``: a dip in a running total is a glitch of the
        source. The Hugging Face compatible API serves these as ``githubStars`` and ``numComments``.
        Papers (and kinds) without observations are absent.
        """
        ids = list(dict.fromkeys(paper_ids))
        out: dict[str, dict[str, int]] = {}
        s = t.signals.c
        with self.engine.connect() as conn:
            for i in range(0, len(ids), _CHUNK):
                rows = conn.execute(
                    select(s.paper_id, s.kind, func.max(s.value))
                    .where(s.paper_id.in_(ids[i : i + _CHUNK]), s.kind.in_(kinds))
                    .group_by(s.paper_id, s.kind)
                )
                for paper_id, kind, value in rows:
                    if value is not None:
                        out.setdefault(paper_id, {})[kind] = int(value)
        return out

    def has_signal(self, paper_id: str, kind: str, actor: str) -> bool:
        """Whether this actor already left a signal of this kind on this paper (one upvote each)."""
        s = t.signals.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(s.id).where(s.paper_id == paper_id, s.kind == kind, s.actor == actor).limit(1)
            ).first()
        return row is not None
