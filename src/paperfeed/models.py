"""Plain data types shared by every stage. No I/O lives here.

Sources produce `PaperRecord`s; the store turns them into `Paper`s. Keeping the
two apart lets a source say "I saw this, from here, at this time" while the
store decides what the paper *is* after merging every sighting.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime


def http_url(value: object) -> str | None:
    """`value` when it is an http(s) URL safe to put in an href; otherwise None.

    Stored links come from outside (ingested files, Hugging Face, Papers with Code, and
    databases filled before sources checked them). A ``javascript:`` or ``data:`` URL in
    an href runs or renders on click, and mail clients apply no CSP, so every place that
    turns a stored URL into a link (pages, JSON, Markdown, feeds, digests) asks this first.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text.lower().startswith(("http://", "https://")) or len(text) > 2000:
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return None
    return text


@dataclass(frozen=True, slots=True)
class SignalLimit:
    """At most `max_count` signals of `kind` from `network` (on `paper_id`, when given) since `since`.

    The web layer's abuse limits. They are counted in the signals table itself, so every
    worker process and host of one install shares them, and a limit keyed on the network
    holds however often a visitor clears its cookies.
    """

    name: str
    kind: str
    network: str
    max_count: int
    since: datetime | None = None  # None: ever
    paper_id: str | None = None


@dataclass(slots=True)
class PaperRecord:
    """One normalised sighting of a paper, as any source yields it."""

    id: str
    title: str
    abstract: str = ""
    version: int | None = None
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)  # primary first
    submitted: date | None = None
    updated: date | None = None
    announced: date | None = None
    abs_url: str | None = None
    pdf_url: str | None = None
    code_url: str | None = None
    project_url: str | None = None
    doi: str | None = None
    comment: str | None = None
    journal_ref: str | None = None
    source: str = "unknown"
    # Where in the input this came from, for error messages ("file.jsonl:12").
    origin: str | None = None


@dataclass(slots=True)
class Paper:
    """A paper as stored: the merge of every record seen for its id."""

    id: str
    title: str
    abstract: str
    version: int | None
    authors: list[str]
    categories: list[str]
    submitted: date | None
    updated: date | None
    announced: date | None
    abs_url: str | None
    pdf_url: str | None
    code_url: str | None
    project_url: str | None
    doi: str | None
    comment: str | None
    journal_ref: str | None
    content_hash: str
    sources: dict[str, datetime] = field(default_factory=dict)  # source -> last seen
    seq: int = 0  # store-wide change counter; lets indexes catch up incrementally

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def published(self) -> date | None:
        """The date a reader thinks of as 'when it came out'."""
        return self.announced or self.submitted or self.updated


# Local events: each row is one occurrence with value 1 (deduplicated per actor).
EVENT_KINDS: tuple[str, ...] = ("upvote", "view", "click")
# Imported running totals: differenced into rises between successive observations.
CUMULATIVE_KINDS: tuple[str, ...] = ("hf_upvotes", "hf_comments", "github_stars")


@dataclass(slots=True)
class Signal:
    """A time-stamped engagement observation (an upvote, a view, a star count).

    `value` is an increment for event kinds (`upvote`, `view`, `click`) and a
    running total for cumulative kinds (`hf_upvotes`, `github_stars`,
    `hf_comments`); trending differences the latter into rates.
    """

    paper_id: str
    source: str
    kind: str
    value: float
    observed_at: datetime
    actor: str | None = None  # hashed client id: one actor's repeats count once
    network: str | None = None  # hashed IP prefix, for burst damping


@dataclass(slots=True)
class UpsertResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def add(self, other: UpsertResult) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected += other.rejected


CONTENT_FIELDS = (
    "title",
    "abstract",
    "version",
    "authors",
    "categories",
    "submitted",
    "updated",
    "announced",
    "abs_url",
    "pdf_url",
    "code_url",
    "project_url",
    "doi",
    "comment",
    "journal_ref",
)


def content_hash(values: dict[str, object]) -> str:
    """Hash of the fields a reader sees; equal hashes mean nothing to update."""
    payload = {k: values.get(k) for k in CONTENT_FIELDS}
    blob = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]
