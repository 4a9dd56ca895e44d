"""Store queries the web site needs for engagement: upvote counts and "did I vote".

A mixin of `SqlStore` (SQL stays inside ``store/``). Kept apart from the
core contract because only the web layer asks these questions, and so that
its owner can change them without touching the shared store module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import and_, case, func, select

from paperfeed.store import schema as t

if TYPE_CHECKING:
    from sqlalchemy import Engine

_CHUNK = 900  # SQLite's bound-parameter limit is 999 on old builds


class SqlWebMixin:
    """Engagement reads over the `signals` table."""

    engine: Engine

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

    def has_signal(self, paper_id: str, kind: str, actor: str) -> bool:
        """Whether this actor already left a signal of this kind on this paper (one upvote each)."""
        s = t.signals.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(s.id).where(s.paper_id == paper_id, s.kind == kind, s.actor == actor).limit(1)
            ).first()
        return row is not None
