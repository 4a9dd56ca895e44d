"""The embedding backlog: which papers still lack a current vector, walked newest first.

The vector index used to record one number, the store `seq` it had caught up
to, and embedded everything after it in `seq` (arrival) order. On a freshly
ingested library of 75k papers that means hours before yesterday's papers are
semantic. Here the papers after that watermark are split into *jobs*, each a
range of `seq` taken when it was first seen, walked newest first by
(published, id); a job remembers the last (published, id) it finished, so an
interrupted walk resumes exactly there. Papers that arrive while a job runs
form the next job; each step takes the newest papers across all jobs, so a
daily ingest during a long backfill is embedded before the backfill goes on.
When the oldest jobs are finished the watermark moves past them and they go.

The state is plain JSON kept by the vector index beside its vectors (usearch's
state file, PostgreSQL's checkpoint row), written in the same save, so it can
never claim vectors the index does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from paperfeed.models import Paper
from paperfeed.store.base import PaperQuery, Store

MAX_JOBS = 16  # beyond this, the two newest unstarted-or-not jobs are merged (re-walked through the cache)


@dataclass(slots=True)
class Job:
    """Papers with `lo` < seq <= `hi`; those after `after` (newest-first order) are done."""

    lo: int
    hi: int
    after: tuple[str, str] | None = None  # (published or "", id) of the last paper done
    done: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"lo": self.lo, "hi": self.hi, "after": list(self.after) if self.after else None, "done": self.done}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Job:
        after = d.get("after")
        return cls(int(d["lo"]), int(d["hi"]), (str(after[0]), str(after[1])) if after else None, bool(d.get("done")))


@dataclass(slots=True)
class Backlog:
    """The watermark (`seq` below which every paper is embedded) and the jobs above it."""

    seq: int
    jobs: list[Job] = field(default_factory=list)

    @classmethod
    def load(cls, seq: int, raw: list[dict[str, Any]] | None) -> Backlog:
        jobs = []
        for d in raw or []:
            try:
                jobs.append(Job.from_dict(d))
            except (KeyError, TypeError, ValueError, IndexError):
                return cls(seq)  # unreadable progress: start the walk over (the cache makes that cheap)
        return cls(seq, jobs)

    def dump(self) -> list[dict[str, Any]]:
        return [j.as_dict() for j in self.jobs]

    @property
    def top(self) -> int:
        return self.jobs[-1].hi if self.jobs else self.seq

    def extend(self, top: int) -> None:
        """Take in the papers that arrived up to store seq `top` as a new job (or widen an unstarted one)."""
        if top <= self.top:
            return
        last = self.jobs[-1] if self.jobs else None
        if last is not None and last.after is None and not last.done:
            last.hi = top  # not started: it simply covers more
        else:
            self.jobs.append(Job(self.top, top))
        while len([j for j in self.jobs if not j.done]) > MAX_JOBS:
            self._merge_newest()
        self.settle()

    def _merge_newest(self) -> None:
        a, b = self.jobs[-2], self.jobs[-1]
        self.jobs[-2:] = [Job(a.lo, b.hi)]

    def settle(self) -> None:
        """Move the watermark past finished jobs at the bottom."""
        while self.jobs and self.jobs[0].done:
            self.seq = self.jobs.pop(0).hi

    @property
    def caught_up(self) -> bool:
        return not self.jobs

    def next_batch(self, store: Store, limit: int) -> list[tuple[Job, Paper]]:
        """The `limit` newest papers not yet done, across every job; jobs found empty are marked done.

        A k-way merge of each job's own newest-first list (as the database
        orders it), so what is taken from a job is always a prefix of its walk
        and its cursor stays exact even where the database's collation of ids
        differs from Python's.
        """
        lists: list[tuple[Job, list[Paper]]] = []
        for job in self.jobs:
            if job.done:
                continue
            papers = store.backlog_papers(job.lo, job.hi, job.after, limit)
            if papers:
                lists.append((job, papers))
            else:
                job.done = True
        heads = [0] * len(lists)
        out: list[tuple[Job, Paper]] = []
        while len(out) < limit:
            best = -1
            for i, (_, papers) in enumerate(lists):
                if heads[i] < len(papers) and (
                    best < 0 or order_key(papers[heads[i]]) > order_key(lists[best][1][heads[best]])
                ):
                    best = i
            if best < 0:
                break
            out.append((lists[best][0], lists[best][1][heads[best]]))
            heads[best] += 1
        return out

    @staticmethod
    def mark_done(batch: list[tuple[Job, Paper]]) -> None:
        """Move each job's cursor to the last of its papers in `batch` (a prefix of its walk, in order)."""
        for job, paper in batch:
            job.after = order_key(paper)

    def remaining(self, store: Store) -> tuple[int, str | None]:
        """(papers still to embed, newest published date among them)."""
        total, newest = 0, None
        for job in self.jobs:
            if job.done:
                continue
            n, top = store.backlog_size(job.lo, job.hi, job.after)
            total += n
            if top and (newest is None or top > newest):
                newest = top
        return total, newest


def order_key(paper: Paper) -> tuple[str, str]:
    """A paper's place in the newest-first walk (papers without a date come last)."""
    return (paper.published.isoformat() if paper.published else "", paper.id)


@dataclass(frozen=True, slots=True)
class Coverage:
    """How much of the library semantic search sees: what stats, readiness and search notices report.

    `complete_since`: every dated paper published on or after it has a vector
    (None when nothing is missing or nothing is covered); older ones may match
    by keyword only until the background job reaches them.
    """

    embedded: int
    total: int
    pending: int
    complete_since: date | None
    enabled: bool = True
    embedder: str | None = None

    @property
    def complete(self) -> bool:
        return self.pending == 0

    @property
    def percent(self) -> float:
        return 100.0 if self.total == 0 else 100.0 * self.embedded / self.total

    def as_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "embedder": self.embedder,
            "embedded": self.embedded,
            "total": self.total,
            "pending": self.pending,
            "percent": round(self.percent, 1),
            "complete": self.complete,
            "complete_since": self.complete_since.isoformat() if self.complete_since else None,
            # the newest date before which papers may still match by keyword only (same date, other name)
            "keyword_only_before": self.complete_since.isoformat() if self.complete_since else None,
        }

    def notice(self) -> str | None:
        """The sentence a search whose semantic leg misses part of the library carries; None when it misses none."""
        if not self.enabled or self.complete or self.total == 0:
            return None
        pct = _percent_text(self.percent)
        if self.complete_since is not None:
            return (
                f"semantic matching covers papers since {self.complete_since.isoformat()} ({pct}); "
                "older papers match by keyword only"
            )
        return f"semantic matching covers {pct} of papers so far; the rest match by keyword only"


def _percent_text(p: float) -> str:
    if 0 < p < 1:
        return "<1%"
    if 99 < p < 100:
        return ">99%"
    return f"{p:.0f}%"


def coverage_of(store: Store, backlog: Backlog, embedder: str | None) -> Coverage:
    """Coverage from the backlog state: pending papers are counted by the store, not estimated."""
    total = store.count_papers()
    pending, newest = backlog.remaining(store)
    pending = min(pending, total)
    since: date | None = None
    if pending and newest:
        try:
            since = date.fromisoformat(newest) + timedelta(days=1)
        except ValueError:
            since = None
        if since is not None and pending >= total:
            since = None  # nothing is covered yet: no date to name
        if since is not None and since > _newest_published(store):
            # The papers waiting are the newest ones (new arrivals): a date after every paper would
            # claim "covered since" while saying nothing, and "older ones keyword only" would be false.
            since = None
    return Coverage(embedded=total - pending, total=total, pending=pending, complete_since=since, embedder=embedder)


def _newest_published(store: Store) -> date:
    newest = store.list_papers(PaperQuery(order="published", limit=1))
    return newest[0].published if newest and newest[0].published else date.min
