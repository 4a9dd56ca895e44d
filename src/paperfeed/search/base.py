"""The search contract that the web site, the API, digests and the CLI use.

Implementations live beside this file; callers import only these names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Literal, Protocol

from paperfeed.models import Paper

if TYPE_CHECKING:
    from paperfeed.search.backlog import Coverage

Mode = Literal["hybrid", "lexical", "dense"]
Sort = Literal["relevance", "date"]


class QueryError(ValueError):
    """Bad user input. `param` names the parameter, `message` says what is wrong (-> HTTP 400)."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


class PaperNotFound(QueryError):
    """The paper id asked about is not stored (-> HTTP 404 where the caller distinguishes it)."""


@dataclass(slots=True)
class SearchRequest:
    q: str = ""
    mode: Mode = "hybrid"
    sort: Sort = "relevance"
    page: int = 1
    page_size: int = 20
    since: date | None = None
    until: date | None = None
    category: str | None = None
    author: str | None = None


@dataclass(slots=True)
class Hit:
    paper: Paper
    score: float  # fused score (or the single mode's score)
    lexical_rank: int | None = None
    dense_rank: int | None = None
    lexical_score: float | None = None
    dense_score: float | None = None
    # HTML-escaped text with matched terms wrapped in <mark>; safe to insert as is.
    title_html: str = ""
    abstract_html: str = ""
    # Plain spans for clients that want to do their own marking (HF-compatible API).
    title_highlights: list[tuple[int, int]] = field(default_factory=list)
    abstract_highlights: list[tuple[int, int]] = field(default_factory=list)


@dataclass(slots=True)
class SearchResults:
    request: SearchRequest
    hits: list[Hit]
    total: int
    mode: Mode  # the mode actually used (hybrid may degrade to lexical)
    notice: str | None = None  # e.g. "semantic search unavailable: showing keyword matches"


class Searcher(Protocol):
    def search(self, request: SearchRequest) -> SearchResults: ...

    def similar(self, paper_id: str, k: int = 10) -> list[Hit]: ...

    def more_like(self, paper_ids: list[str], k: int = 10, exclude: set[str] | None = None) -> list[Hit]: ...

    def close(self) -> None:
        """Release index files and threads; the searcher is not used afterwards."""
        ...

    def refresh(self, progress: bool | Callable[[int, int], None] = True, rerank_budget_s: float | None = None) -> int:
        """Bring the index up to date with the store; returns how many papers were (re)indexed.

        `rerank_budget_s` bounds the time spent on the (slow, optional) re-rank
        model's vectors in this call; the rest waits for the next call.
        """
        ...

    def refresh_lexical(self, progress: bool = False, wait: bool = True) -> int:
        """Catch the keyword index up; with `wait=False`, 0 at once when another caller is at it."""
        ...

    def embed_backlog(
        self,
        budget_s: float | None = None,
        progress: bool | Callable[[int, int], None] = False,
        rerank_budget_s: float | None = None,
        wait: bool = True,
        stop: Callable[[], bool] | None = None,
    ) -> int:
        """Embed papers lacking a current vector, newest first, for about `budget_s` seconds (None: all).

        `stop` is asked after each batch: True ends the call early (progress is saved)."""
        ...

    def coverage(self, max_age_s: float | None = None) -> Coverage:
        """How much of the library semantic search sees (`search.backlog.Coverage`)."""
        ...
