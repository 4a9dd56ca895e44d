"""The storage contract every backend implements.

Callers depend on `Store` only; `open_store(settings)` picks SQLite or
PostgreSQL. The shared contract suite in ``tests/store/`` runs against both,
which is what keeps the two honest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from paperfeed.models import Paper, PaperRecord, Signal, SignalLimit, UpsertResult

if TYPE_CHECKING:
    import numpy as np
    from sqlalchemy.engine import Engine


@dataclass(slots=True)
class PaperQuery:
    """Filters for listing papers; every field is optional."""

    since: date | None = None
    until: date | None = None
    category: str | None = None
    author: str | None = None
    # published (newest first), oldest (oldest dated first), id, or engagement
    # (all-time upvotes, then other activity: the period lists)
    order: str = "published"
    limit: int = 50
    offset: int = 0


@dataclass(slots=True)
class Stats:
    papers: int
    by_source: dict[str, int]
    by_category: dict[str, int]
    by_month: dict[str, int]
    signals: int


@dataclass(slots=True)
class Subscriber:
    """A digest subscriber as stored (``topics`` is the decoded JSON preferences)."""

    id: int
    email: str
    status: str  # pending, confirmed, unsubscribed
    created_at: str
    confirmed_at: str | None
    unsubscribed_at: str | None
    frequency: str  # daily, weekly, paused
    weekday: int  # 0 = Monday
    send_hour: int
    timezone: str
    max_papers: int
    include_trending: bool
    topics: dict[str, Any]
    token_version: int


@dataclass(slots=True)
class OutboxRow:
    """One composed email waiting in, or done with, the outbox."""

    id: int
    subscriber_id: int
    period: str
    kind: str
    status: str  # pending, sent, failed, skipped
    recipient: str
    subject: str
    message: str
    paper_ids: list[str]
    attempts: int
    next_attempt_at: str
    claimed_by: str | None
    claimed_until: str | None
    last_error: str | None
    created_at: str
    sent_at: str | None


class Store(Protocol):
    """What the rest of paperfeed may ask of storage."""

    url: str
    # The SQLAlchemy engine that writes: `migrate-to` copies through it, and the PostgreSQL search backend
    # runs its statements on it (both implementations are SQL stores).
    write_engine: Engine

    # papers -----------------------------------------------------------------
    def upsert_papers(
        self,
        records: Iterable[PaperRecord],
        checkpoint: tuple[str, Any] | None = None,
        signals: Iterable[Signal] = (),
    ) -> UpsertResult:
        """Insert or update one batch atomically.

        Records with the same id inside the batch are merged first. The
        `checkpoint` and `signals` are written in the same transaction, so a
        crash can never store the batch without its checkpoint or vice versa.
        """
        ...

    def get_paper(self, paper_id: str) -> Paper | None: ...

    def get_papers(self, paper_ids: list[str]) -> list[Paper]:
        """Papers in the order asked for; unknown ids are left out."""
        ...

    def list_papers(self, query: PaperQuery) -> list[Paper]: ...

    def count_papers(self, query: PaperQuery | None = None) -> int: ...

    def iter_papers(self, after_seq: int = 0, batch_size: int = 1000) -> Iterator[Paper]:
        """Every paper changed after `after_seq`, in `seq` order (for indexers)."""
        ...

    def backlog_papers(self, lo: int, hi: int, before: tuple[str, str] | None, limit: int) -> list[Paper]:
        """Papers with `lo` < seq <= `hi`, newest first by (published or "", id), below `before` if given.

        What the background embedder walks: a range of the change counter,
        newest papers first, resumable from the last (published, id) done.
        """
        ...

    def backlog_size(self, lo: int, hi: int, before: tuple[str, str] | None) -> tuple[int, str | None]:
        """(how many, newest published date) of the papers `backlog_papers` would still return."""
        ...

    def max_seq(self) -> int: ...

    def paper_versions(self, paper_id: str) -> list[dict[str, Any]]: ...

    def stats(self) -> Stats: ...

    # checkpoints --------------------------------------------------------------
    def get_checkpoint(self, name: str) -> Any | None: ...

    def set_checkpoint(self, name: str, value: Any) -> None: ...

    def delete_checkpoint(self, name: str) -> None: ...

    # signals ------------------------------------------------------------------
    def add_signals(self, signals: Iterable[Signal]) -> int: ...

    def upvote_counts(self, paper_ids: list[str]) -> dict[str, int]:
        """Distinct local upvoters plus the imported Hugging Face upvote total, per paper (absent: none)."""
        ...

    def signal_totals(self, paper_ids: list[str], kinds: tuple[str, ...]) -> dict[str, dict[str, int]]:
        """The highest observation of each cumulative kind (``github_stars``, ``hf_comments``) per paper."""
        ...

    def has_signal(self, paper_id: str, kind: str, actor: str) -> bool:
        """Whether this actor already left a signal of this kind on this paper."""
        ...

    def add_signal_within(self, signal: Signal, limits: Sequence[SignalLimit]) -> str | None:
        """Store `signal` unless a limit is already reached; returns that limit's name, or None.

        Counting and inserting are one serialised step per network (SQLite's write lock, a
        PostgreSQL advisory lock), so concurrent workers can never overshoot a limit.
        """
        ...

    def add_signals_within(self, items: Sequence[tuple[Signal, Sequence[SignalLimit]]]) -> list[str | None]:
        """`add_signal_within` for a batch, in one transaction; the outcome of each, in order."""
        ...

    # trending (store/sql_signals.py): signal reads and materialised lists ---------
    def event_signals(self, start: str, end: str, kinds: Iterable[str]) -> list[tuple[Any, ...]]:
        """(paper_id, kind, value, actor, network) of events observed in [start, end), in id order."""
        ...

    def cumulative_signals(self, start: str, end: str, kinds: Iterable[str]) -> list[tuple[Any, ...]]:
        """(paper_id, kind, source, value, observed_at) in [start, end), oldest first per series."""
        ...

    def window_signals(self, start: str, end: str) -> list[tuple[Any, ...]]:
        """(paper_id, kind, source, value, observed_at, actor, network) in [start, end), in id order."""
        ...

    def cumulative_baselines(
        self, start: str, end: str, kinds: Iterable[str]
    ) -> dict[tuple[str, str, str], tuple[float, str]]:
        """(paper, kind, source) -> (max value, last observed_at) before `start`, for series seen in the window."""
        ...

    def max_signal_id(self) -> int: ...

    def rollup_position(self) -> int:
        """The highest signal id folded into the per-day roll-up."""
        ...

    def trending_status(self, window: str, day: date) -> tuple[int, int, int, dict[str, Any] | None]:
        """(max signal id, roll-up position, max paper seq, the list's metadata or None), in one round trip."""
        ...

    def roll_up_signals(self, batch: int = 20_000) -> int:
        """Fold up to `batch` new signals into the per-day roll-up; returns how many (0: caught up)."""
        ...

    def rollup_sums(
        self, start: date, end: date, paper_ids: list[str] | None = None
    ) -> list[tuple[str, str, str, str, float]]:
        """(paper, kind, source, bucket, sum over the days [start, end]) of the roll-up."""
        ...

    def signal_papers(self, after_id: int, upto_id: int) -> list[str]: ...

    def changed_papers(self, after_seq: int, upto_seq: int) -> list[str]: ...

    def engagement_totals(self, paper_ids: list[str]) -> dict[str, tuple[float, float]]: ...

    def signal_changes_since(self, signal_id: int) -> tuple[int, str | None]: ...

    def paper_changes_since(self, seq: int) -> tuple[int, str | None]: ...

    def published_dates(self, paper_ids: list[str], until: date) -> dict[str, str | None]: ...

    def recent_published(self, since: date, until: date, pool: int) -> dict[str, str]: ...

    def replace_trending(
        self, window: str, day: date, rows: list[tuple[str, int, float, str]], meta: dict[str, Any], computed_at: str
    ) -> None: ...

    def trending_meta(self, window: str, day: date) -> dict[str, Any] | None: ...

    def trending_page(
        self, window: str, day: date, category: str | None, limit: int, offset: int
    ) -> list[tuple[Paper, int, float, str]]:
        """(paper without `sources`, rank, score, breakdown JSON) of one materialised page, by rank."""
        ...

    def trending_row(self, window: str, day: date, paper_id: str) -> tuple[str, int, float, str] | None: ...

    def patch_trending(
        self,
        window: str,
        day: date,
        rows: list[tuple[str, float, str]],
        remove: list[str],
        meta: dict[str, Any],
        computed_at: str,
    ) -> None: ...

    def drop_trending(self, from_day: date, keep: date | None = None, before: date | None = None) -> int: ...

    # embedding cache -------------------------------------------------------------
    def get_embeddings(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        """Cached float32 vectors for the text hashes that have one under `model`."""
        ...

    def put_embeddings(self, model: str, items: dict[str, np.ndarray]) -> None:
        """Cache vectors by text hash; keys already cached for `model` keep their row."""
        ...

    def iter_embeddings(self, model: str, batch_size: int = 5000) -> Iterator[dict[str, np.ndarray]]:
        """Every cached vector of `model`, as {text hash: vector} batches in hash order (for export)."""
        ...

    # digest (store/sql_digest.py): subscribers, subscribe attempts, outbox, sent papers --------
    def create_subscriber(self, email: str, now: str) -> Subscriber:
        """The subscriber with this (normalised) email, created as `pending` if absent."""
        ...

    def get_subscriber(self, subscriber_id: int) -> Subscriber | None: ...

    def get_subscriber_by_email(self, email: str) -> Subscriber | None: ...

    def get_subscribers(self, subscriber_ids: list[int]) -> dict[int, Subscriber]:
        """The subscribers that exist among these ids (one query per chunk, for the send loop)."""
        ...

    def update_subscriber(self, subscriber_id: int, **values: Any) -> bool:
        """Set columns (``topics`` as a dict); True when the subscriber exists."""
        ...

    def delete_subscriber(self, subscriber_id: int) -> bool:
        """Erase the subscriber, its outbox rows and its sent-paper history."""
        ...

    def active_subscribers(self) -> list[Subscriber]:
        """Confirmed subscribers whose frequency is not `paused`."""
        ...

    def count_subscribers(self) -> dict[str, int]: ...

    def record_subscribe_attempt(
        self, email_hash: str, network: str, now: str, email_since: str, network_since: str
    ) -> tuple[int, int]:
        """Count earlier attempts (per address since `email_since`, per network since
        `network_since`) and record this one, atomically; returns the two counts."""
        ...

    def outbox_keys(self, kind: str, periods: list[str]) -> set[tuple[int, str]]:
        """(subscriber_id, period) of outbox rows of `kind` for these periods."""
        ...

    def add_outbox(self, row: dict[str, Any]) -> int | None:
        """Insert a composed email; None when (subscriber, period, kind) already exists."""
        ...

    def add_outbox_many(self, rows: list[dict[str, Any]]) -> int:
        """Insert many composed emails in one transaction; rows whose key exists are left out.
        Returns how many were inserted."""
        ...

    def claim_outbox(
        self, claim: str, now: str, lease_until: str, limit: int, kind: str | None = None
    ) -> list[OutboxRow]:
        """Atomically lease up to `limit` due pending rows to `claim` (safe across processes)."""
        ...

    def finish_outbox(self, row_id: int, claim: str, now: str, deliver: Callable[[], None]) -> bool:
        """Mark a claimed row sent and record its papers, calling `deliver` before the commit.

        If the claim was lost nothing is written, `deliver` is not called and the
        result is False. If `deliver` raises, nothing is written and it propagates.
        """
        ...

    def release_outbox(
        self, row_id: int, claim: str, *, status: str, attempts: int, next_attempt_at: str, error: str | None
    ) -> bool:
        """Give a claimed row back (retry later) or close it (`failed`, `skipped`)."""
        ...

    def release_claims(self, claims: list[str]) -> int:
        """Drop the leases of workers known to be dead, so their rows are due again."""
        ...

    def active_claims(self, now: str) -> list[str]: ...

    def get_outbox(self, row_id: int) -> OutboxRow | None: ...

    def list_outbox(
        self, subscriber_id: int | None = None, kind: str | None = None, limit: int = 100
    ) -> list[OutboxRow]:
        """Newest first."""
        ...

    def skip_pending_outbox(self, subscriber_id: int, kinds: tuple[str, ...] = ("digest",)) -> int: ...

    def digest_history(self, subscriber_ids: list[int]) -> dict[int, tuple[set[str], list[str] | None]]:
        """Per subscriber: papers sent or waiting to be sent, and the last sent digest's paper ids."""
        ...

    def outbox_summary(self, since: str | None = None) -> list[tuple[str, str, str, int]]:
        """(day of creation, kind, status, count), newest day first."""
        ...

    def close(self) -> None: ...
