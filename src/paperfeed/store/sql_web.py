"""Store queries the web site needs for engagement: upvote counts and "did I vote".

A mixin of `SqlStore` (SQL stays inside ``store/``). Kept apart from the
core contract because only the web layer asks these questions, and so that
its owner can change them without touching the shared store module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import and_, func, select

from paperfeed.store import schema as t

if TYPE_CHECKING:
    from sqlalchemy import Engine

_CHUNK = 900  # SQLite's bound-parameter limit is 999 on old builds


class SqlWebMixin:
    """Engagement reads over the `signals` table."""

    engine: Engine

    def upvote_counts(self, paper_ids: list[str]) -> dict[str, int]:
        """Distinct local upvoters plus the latest imported Hugging Face upvote total, per paper.

        Local upvotes count once per actor (an anonymous visitor); `hf_upvotes`
        is a running total, so only its most recent observation counts.
        Papers without any signal are absent from the result (read as 0).
        """
        ids = list(dict.fromkeys(paper_ids))
        out: dict[str, int] = {}
        s = t.signals.c
        with self.engine.connect() as conn:
            for i in range(0, len(ids), _CHUNK):
                chunk = ids[i : i + _CHUNK]
                local = conn.execute(
                    select(s.paper_id, func.count(func.distinct(s.actor)))
                    .where(s.paper_id.in_(chunk), s.kind == "upvote", s.source == "local", s.actor.is_not(None))
                    .group_by(s.paper_id)
                )
                for paper_id, n in local:
                    out[paper_id] = out.get(paper_id, 0) + int(n)
                latest = (
                    select(s.paper_id, func.max(s.observed_at).label("at"))
                    .where(s.paper_id.in_(chunk), s.kind == "hf_upvotes")
                    .group_by(s.paper_id)
                    .subquery()
                )
                imported = conn.execute(
                    select(s.paper_id, func.max(s.value))
                    .join(latest, and_(s.paper_id == latest.c.paper_id, s.observed_at == latest.c.at))
                    .where(s.kind == "hf_upvotes")
                    .group_by(s.paper_id)
                )
                for paper_id, value in imported:
                    out[paper_id] = out.get(paper_id, 0) + int(value or 0)
        return out

    def has_signal(self, paper_id: str, kind: str, actor: str) -> bool:
        """Whether this actor already left a signal of this kind on this paper (one upvote each)."""
        s = t.signals.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(s.id).where(s.paper_id == paper_id, s.kind == kind, s.actor == actor).limit(1)
            ).first()
        return row is not None
