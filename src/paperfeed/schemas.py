"""The JSON contract: pydantic models for everything paperfeed prints as JSON, and the one serialiser.

The JSON API (``/api/v1``, `web/api.py`) returns these models and FastAPI
publishes them in ``/api/v1/openapi.json``; the CLI's ``--json`` prints the
very same models (`dump`), so a script can move between ``paperfeed search
--json`` and ``GET /api/v1/search`` without translating field names.

This module sits beside `models.py`: it imports only the data classes of the
stages to its left (``Paper``, ``Hit``, ``TrendingEntry``, ``Stats``), so the
web app and the CLI can both depend on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from paperfeed.models import Paper, http_url
from paperfeed.search.base import Hit
from paperfeed.trending.base import TrendingEntry

EXAMPLE_ID = "2607.10001"
EXAMPLE_TITLE = "Sparse Diffusion Transformers for Fast Image Synthesis"


class Out(BaseModel):
    """Base of every response model: unknown keys are a bug here, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


# -- errors -------------------------------------------------------------------------
class ErrorDetail(Out):
    param: str | None = Field(
        description="The query parameter, path segment or body field at fault; null when none applies.",
        examples=["date"],
    )
    message: str = Field(examples=["'2025-02-31' is not a date (use YYYY-MM-DD)"])


class ApiError(Out):
    """Every ``/api/v1`` error: 400 bad input, 403 bad token or foreign origin, 404 unknown id, 413 body too large,
    415 not JSON, 429 slow down."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"error": {"param": "date", "message": "'2025-02-31' is not a date (use YYYY-MM-DD)"}}]
        },
    )
    error: ErrorDetail


# -- papers ---------------------------------------------------------------------------
class PaperLinks(Out):
    html: str = Field(
        description="The paper's page on this paperfeed.", examples=[f"https://papers.example.org/papers/{EXAMPLE_ID}"]
    )
    abs: str | None = Field(examples=[f"https://arxiv.org/abs/{EXAMPLE_ID}"])
    pdf: str | None = Field(examples=[f"https://arxiv.org/pdf/{EXAMPLE_ID}"])
    code: str | None = Field(examples=["https://github.com/example/sparse-dit"])
    project: str | None = Field(examples=[None])


class PaperOut(Out):
    """One stored paper. Dates are ``YYYY-MM-DD`` or null; ``published`` is announced, else submitted, else updated."""

    id: str = Field(description="arXiv id without version (or DOI / content hash).", examples=[EXAMPLE_ID])
    version: int | None = Field(examples=[1])
    title: str = Field(examples=[EXAMPLE_TITLE])
    abstract: str = Field(examples=["We present a sparse diffusion transformer that skips redundant attention blocks."])
    authors: list[str] = Field(examples=[["Ada Lovelace", "Alan Turing"]])
    categories: list[str] = Field(examples=[["cs.CV", "cs.LG"]])
    primary_category: str | None = Field(examples=["cs.CV"])
    published: dt.date | None = Field(examples=["2026-07-14"])
    submitted: dt.date | None = Field(examples=["2026-07-14"])
    updated: dt.date | None = Field(examples=[None])
    announced: dt.date | None = Field(examples=["2026-07-14"])
    doi: str | None = Field(examples=[None])
    comment: str | None = Field(examples=["12 pages, 5 figures"])
    journal_ref: str | None = Field(examples=[None])
    links: PaperLinks
    upvotes: int = Field(ge=0, description="Upvotes recorded by this paperfeed.", examples=[7])


class VersionOut(Out):
    version: int | None = Field(examples=[1])
    title: str | None = Field(examples=[EXAMPLE_TITLE])
    replaced_at: str | None = Field(description="When a newer version replaced this one.", examples=[None])


class PaperDetail(PaperOut):
    """``GET /api/v1/papers/{id}`` (and ``paperfeed papers show --json``): a paper and its version history."""

    versions: list[VersionOut]
    sources: dict[str, dt.datetime] = Field(
        description="Where the paper was seen: source name -> when first seen.",
        examples=[{"arxiv_oai": "2026-07-15T06:00:00Z"}],
    )


class HitOut(Out):
    """One search result: the paper and why it matched (rank and score per retriever, highlighted HTML)."""

    paper: PaperOut
    score: float = Field(description="Fused score (or the single mode's score).", examples=[0.0328])
    lexical_rank: int | None = Field(description="1-based rank in the keyword (BM25) list.", examples=[1])
    dense_rank: int | None = Field(description="1-based rank in the semantic list.", examples=[2])
    lexical_score: float | None = Field(examples=[7.31])
    dense_score: float | None = Field(examples=[0.62])
    title_html: str = Field(
        description="Title, HTML-escaped, matched terms in <mark>.",
        examples=["Sparse <mark>Diffusion</mark> Transformers"],
    )
    abstract_html: str = Field(description="Abstract window, HTML-escaped, matched terms in <mark>.")


class SearchQueryEcho(Out):
    q: str = Field(examples=["diffusion"])
    category: str | None = Field(examples=[None])
    author: str | None = Field(examples=[None])
    since: dt.date | None = Field(examples=[None])
    until: dt.date | None = Field(examples=[None])
    sort: Literal["relevance", "date"]
    mode: Literal["hybrid", "lexical", "dense"]
    page: int = Field(ge=1, examples=[1])
    page_size: int = Field(ge=1, examples=[20])


class SearchOut(Out):
    """``GET /api/v1/search`` and ``paperfeed search --json``."""

    query: SearchQueryEcho
    mode: Literal["hybrid", "lexical", "dense"] | None = Field(
        description="The mode actually used (hybrid degrades to lexical without vectors); null for an empty query.",
        examples=["hybrid"],
    )
    total: int = Field(ge=0, examples=[42])
    notice: str | None = Field(description="Why results are degraded or empty, when they are.", examples=[None])
    results: list[HitOut]
    next: str | None = Field(description="URL of the next page; null on the last (always null from the CLI).")


class SuggestOut(Out):
    suggestions: list[str] = Field(examples=[[EXAMPLE_TITLE]])


class SimilarOut(Out):
    """``GET /api/v1/papers/{id}/similar`` and ``paperfeed similar --json``."""

    paper_id: str = Field(examples=[EXAMPLE_ID])
    results: list[HitOut]


class ListingOut(Out):
    """``GET /api/v1/daily|weekly|monthly``: one day, ISO week or month of papers, newest first."""

    period: Literal["day", "week", "month"]
    key: str = Field(description="2026-07-14, 2026-W29 or 2026-07.", examples=["2026-07-14"])
    start: dt.date = Field(examples=["2026-07-14"])
    end: dt.date = Field(description="Inclusive.", examples=["2026-07-14"])
    category: str | None = Field(examples=[None])
    total: int = Field(ge=0, examples=[6])
    page: int = Field(ge=1, examples=[1])
    limit: int = Field(ge=1, examples=[50])
    papers: list[PaperOut]
    previous: str | None = Field(
        description="Key of the nearest earlier span with papers (empty days are skipped); null when none.",
        examples=["2026-07-13"],
    )
    next: str | None = Field(
        description="Key of the nearest later span with papers; null at the newest.", examples=["2026-07-15"]
    )


class TrendingEntryOut(Out):
    """One trending paper with its score explained (``paperfeed trending explain --json`` prints one)."""

    rank: int = Field(ge=0, description="1 = top; 0 when the paper is not on the list (explanation says why).")
    score: float = Field(examples=[0.91])
    breakdown: dict[str, float] = Field(
        description="Signal name -> contribution to the score.", examples=[{"hf_upvotes": 0.6, "upvote": 0.31}]
    )
    explanation: str = Field(examples=["7 Hugging Face upvotes today; published today"])
    paper: PaperOut


class TrendingOut(Out):
    """``GET /api/v1/trending`` and ``paperfeed trending --json``."""

    window: Literal["day", "week", "month", "range"] = Field(
        description="range: the CLI's --since custom range.", examples=["day"]
    )
    date: dt.date = Field(description="The window's last day.", examples=["2026-07-14"])
    since: dt.date | None = Field(default=None, description="First day of a custom range (CLI --since only).")
    category: str | None = Field(examples=[None])
    notice: str | None = Field(examples=[None])
    entries: list[TrendingEntryOut]


class SemanticCoverageOut(Out):
    """How much of the library the semantic (dense) leg of search covers; embedding runs newest first."""

    enabled: bool = Field(description="Whether semantic search is on and its model loaded.")
    embedder: str | None = Field(examples=["all-MiniLM-L6-v2"])
    embedded: int = Field(ge=0, description="Papers with a vector.", examples=[9000])
    total: int = Field(ge=0, description="Papers in the library.", examples=[74728])
    pending: int = Field(ge=0, description="Papers still waiting for a vector.", examples=[65728])
    percent: float = Field(ge=0, le=100, examples=[12.0])
    complete: bool = Field(description="Every paper has a vector.")
    complete_since: str | None = Field(
        description=(
            "Papers published on or after this date all have vectors; older ones may match by keyword only "
            "(null: all or none are covered, or the papers waiting are the newest, so no date describes it)."
        ),
        examples=["2026-06-20"],
    )
    keyword_only_before: str | None = Field(
        description="The same date, named for what it means: older papers may match by keyword only.",
        examples=["2026-06-20"],
    )


class StatsOut(Out):
    """``GET /api/v1/stats`` and ``paperfeed stats --json``."""

    papers: int = Field(ge=0, examples=[74728])
    by_source: dict[str, int] = Field(examples=[{"arxiv_oai": 74728, "huggingface": 830}])
    by_category: dict[str, int] = Field(examples=[{"cs.CV": 30112, "cs.CL": 21400}])
    by_month: dict[str, int] = Field(examples=[{"2026-07": 6120}])
    signals: int = Field(ge=0, examples=[12045])
    semantic_coverage: SemanticCoverageOut | None = Field(default=None, description="Null when search is unavailable.")


# -- subscriptions (request bodies reject unknown fields: a typo must not be silently ignored) ----------------------
class In(BaseModel):
    """Base of every request body: an unknown key is a 400 naming it (``{"frequncy": ...}``, a wrapped body)."""

    model_config = ConfigDict(extra="forbid")


class SubscribeIn(In):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"email": "you@example.org"}]})
    email: str = Field(
        max_length=254,
        description="The address to send the confirmation link to.",
        json_schema_extra={"format": "email"},
    )


class SubscribeAccepted(Out):
    status: Literal["accepted"]
    message: str = Field(description="The same text whatever the address's state (no account enumeration).")


class TopicsIn(In):
    """What a digest is about; each list replaces the stored one."""

    queries: list[str] | None = Field(default=None, max_length=10, examples=[["diffusion transformers"]])
    categories: list[str] | None = Field(default=None, max_length=20, examples=[["cs.CV"]])
    authors: list[str] | None = Field(default=None, max_length=20, examples=[["Ada Lovelace"]])
    exclude: list[str] | None = Field(default=None, max_length=20, examples=[["survey"]])
    liked: list[str] | None = Field(default=None, max_length=5, examples=[["2607.10001"]])


class PreferencesIn(In):
    """``PUT /api/v1/subscription/{token}``: any subset of the preferences; an absent or null key keeps its value."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"frequency": "weekly", "weekday": 0, "send_hour": 7}]}
    )
    frequency: Literal["daily", "weekly", "paused"] | None = None
    weekday: int | None = Field(default=None, ge=0, le=6, description="0 = Monday (weekly digests).")
    send_hour: int | None = Field(default=None, ge=0, le=23, description="Local hour of day, 0-23.")
    timezone: str | None = Field(default=None, max_length=64, description="IANA name.", examples=["Europe/Berlin"])
    max_papers: int | None = Field(default=None, ge=1, le=50)
    include_trending: bool | None = None
    topics: TopicsIn | None = None


class TopicsOut(Out):
    queries: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    authors: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    liked: list[str] = Field(default_factory=list)


class PreferencesOut(Out):
    frequency: Literal["daily", "weekly", "paused"]
    weekday: int = Field(ge=0, le=6)
    send_hour: int = Field(ge=0, le=23)
    timezone: str = Field(examples=["UTC"])
    max_papers: int = Field(ge=1, le=50)
    include_trending: bool
    topics: TopicsOut


class MailOut(Out):
    kind: str = Field(examples=["digest"])
    period: str = Field(examples=["2026-07-14"])
    status: str = Field(examples=["sent"])
    subject: str
    created_at: str
    sent_at: str | None
    paper_ids: list[str]


class SubscriptionOut(Out):
    """Everything stored about one subscriber (GDPR art. 15/20)."""

    email: str = Field(examples=["you@example.org"])
    status: Literal["pending", "confirmed", "unsubscribed"]
    created_at: str
    confirmed_at: str | None
    unsubscribed_at: str | None
    preferences: PreferencesOut
    mails: list[MailOut]


# -- the serialiser -------------------------------------------------------------------------
def paper_out(paper: Paper, upvotes: int = 0, base_url: str = "") -> PaperOut:
    return PaperOut(
        id=paper.id,
        version=paper.version,
        title=paper.title,
        abstract=paper.abstract,
        authors=list(paper.authors),
        categories=list(paper.categories),
        primary_category=paper.primary_category,
        published=paper.published,
        submitted=paper.submitted,
        updated=paper.updated,
        announced=paper.announced,
        doi=paper.doi,
        comment=paper.comment,
        journal_ref=paper.journal_ref,
        links=PaperLinks(
            html=f"{base_url}/papers/{paper.id}",
            abs=http_url(paper.abs_url),
            pdf=http_url(paper.pdf_url),
            code=http_url(paper.code_url),
            project=http_url(paper.project_url),
        ),
        upvotes=upvotes,
    )


def paper_detail(paper: Paper, versions: Sequence[dict[str, Any]], upvotes: int = 0, base_url: str = "") -> PaperDetail:
    """`versions` are the store's ``paper_versions`` rows."""
    base = paper_out(paper, upvotes, base_url)
    history = [
        VersionOut(
            version=v.get("version"),
            title=v.get("title"),
            replaced_at=None if v.get("replaced_at") is None else str(v.get("replaced_at")),
        )
        for v in versions
    ]
    return PaperDetail(**dict(base), versions=history, sources=dict(paper.sources))


def hit_out(hit: Hit, upvotes: int = 0, base_url: str = "") -> HitOut:
    return HitOut(
        paper=paper_out(hit.paper, upvotes, base_url),
        score=hit.score,
        lexical_rank=hit.lexical_rank,
        dense_rank=hit.dense_rank,
        lexical_score=hit.lexical_score,
        dense_score=hit.dense_score,
        title_html=hit.title_html,
        abstract_html=hit.abstract_html,
    )


def trending_entry_out(entry: TrendingEntry, upvotes: int = 0, base_url: str = "") -> TrendingEntryOut:
    return TrendingEntryOut(
        rank=entry.rank,
        score=entry.score,
        breakdown=dict(entry.breakdown),
        explanation=entry.explanation,
        paper=paper_out(entry.paper, upvotes, base_url),
    )


def dump(model: BaseModel) -> dict[str, Any]:
    """The JSON-ready dict of a model, exactly as the API sends it (dates as ISO strings)."""
    return model.model_dump(mode="json")


__all__ = [
    "ApiError",
    "ErrorDetail",
    "HitOut",
    "ListingOut",
    "MailOut",
    "PaperDetail",
    "PaperLinks",
    "PaperOut",
    "PreferencesIn",
    "PreferencesOut",
    "SearchOut",
    "SearchQueryEcho",
    "SemanticCoverageOut",
    "SimilarOut",
    "StatsOut",
    "SubscribeAccepted",
    "SubscribeIn",
    "SubscriptionOut",
    "SuggestOut",
    "TopicsIn",
    "TopicsOut",
    "TrendingEntryOut",
    "TrendingOut",
    "VersionOut",
    "dump",
    "hit_out",
    "paper_detail",
    "paper_out",
    "trending_entry_out",
]
