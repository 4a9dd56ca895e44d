"""Hugging Face papers: ``/api/daily_papers``, ``/api/papers/{id}`` and ``/api/papers/search``.

Hugging Face knows what people are reading: upvotes, comment counts, the code
repository and its GitHub stars. Those numbers change by the hour, so they are
not paper fields: each becomes a time-stamped `Signal` (``hf_upvotes``,
``hf_comments``, ``github_stars``) that trending differences into rates. The
paper itself (id = arXiv id; code and project links) is a `PaperRecord`.

``observed_at`` is the fetch time; parsers take it as an argument so replayed
fixtures get a fixed, known time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from paperfeed.models import PaperRecord, Signal
from paperfeed.sources.base import Item, RecordError, Rejection, SourceError
from paperfeed.sources.http import HttpClient, HttpError
from paperfeed.sources.normalize import arxiv_id, arxiv_links, capped, clean_text, parse_date, require_title

NAME = "huggingface"
MAX_LIMIT = 100
_WEEK = re.compile(r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _url(value: object) -> str | None:
    text = clean_text(value)
    return text if text.startswith(("http://", "https://")) else None


def _count(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def parse_paper(
    paper: dict[str, Any], observed_at: datetime, extra: dict[str, Any] | None = None, origin: str = "hf paper"
) -> list[Item]:
    """One HF paper object (and, for daily/search lists, its wrapper `extra`) -> record + signals."""
    if not isinstance(paper, dict):
        return [Rejection(origin, "paper", "expected an object")]
    try:
        pid, version = arxiv_id(paper.get("id"), "id")
        title = require_title(paper.get("title") or (extra or {}).get("title"))
        submitted = parse_date(paper.get("publishedAt"), "publishedAt")
        abstract = capped(clean_text(paper.get("summary") or (extra or {}).get("summary")), "summary", "abstract")
    except RecordError as exc:
        return [Rejection(origin, exc.field, exc.message)]
    authors = [
        clean_text(a.get("name"))
        for a in paper.get("authors") or []
        if isinstance(a, dict) and clean_text(a.get("name"))
    ]
    abs_url, pdf_url = arxiv_links(pid)
    record = PaperRecord(
        id=pid,
        version=version,
        title=title,
        abstract=abstract,
        authors=authors,
        submitted=submitted,
        abs_url=abs_url,
        pdf_url=pdf_url,
        code_url=_url(paper.get("githubRepo")),
        project_url=_url(paper.get("projectPage")),
        source=NAME,
        origin=f"{origin} ({pid})",
    )
    items: list[Item] = [record]
    for kind, value in (
        ("hf_upvotes", paper.get("upvotes")),
        ("hf_comments", (extra or {}).get("numComments", paper.get("numComments"))),
        ("github_stars", paper.get("githubStars")),
    ):
        number = _count(value)
        if number is not None:
            items.append(Signal(paper_id=pid, source=NAME, kind=kind, value=number, observed_at=observed_at))
    return items


def parse_daily_papers(data: Any, observed_at: datetime, label: str = "hf daily_papers") -> list[Item]:
    """A ``/api/daily_papers`` answer: a list of ``{"paper": {...}, "numComments": n, ...}``."""
    if not isinstance(data, list):
        raise SourceError(f"{label}: expected a JSON list of papers, got {type(data).__name__}")
    items: list[Item] = []
    for n, entry in enumerate(data, start=1):
        origin = f"{label} item {n}"
        if not isinstance(entry, dict) or not isinstance(entry.get("paper"), dict):
            items.append(Rejection(origin, "paper", "item has no paper object"))
            continue
        items.extend(parse_paper(entry["paper"], observed_at, extra=entry, origin=origin))
    return items


def parse_search(data: Any, observed_at: datetime, label: str = "hf papers search") -> list[Item]:
    """A ``/api/papers/search`` answer: same wrapper shape as the daily list (plus highlights)."""
    return parse_daily_papers(data, observed_at, label)


def parse_paper_response(data: Any, observed_at: datetime, label: str = "hf paper") -> list[Item]:
    """A ``/api/papers/{id}`` answer: the paper object itself (no comment count)."""
    if not isinstance(data, dict):
        raise SourceError(f"{label}: expected a JSON object, got {type(data).__name__}")
    return parse_paper(data, observed_at, origin=label)


def _json(body: bytes, label: str) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise SourceError(f"{label}: the answer is not JSON ({exc}); is PAPERFEED_HUGGINGFACE_URL right?") from None


def _now() -> datetime:
    return datetime.now(UTC)


class HuggingFaceDailySource:
    """The daily papers list for one date, ISO week (``2026-W27``) or month (``2026-07``), page by page."""

    name = NAME
    checkpoint_key: str | None = None  # a few pages at most; rerunning refreshes the signals anyway

    def __init__(
        self,
        client: HttpClient,
        base_url: str,
        *,
        day: date | None = None,
        week: str | None = None,
        month: str | None = None,
        limit: int = MAX_LIMIT,
        max_pages: int = 50,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        if sum(x is not None for x in (day, week, month)) > 1:
            raise SourceError("give only one of --date, --week, --month")
        if week is not None and not _WEEK.match(week):
            raise SourceError(f"--week '{week}' is not an ISO week (use YYYY-Www, e.g. 2026-W27)")
        if month is not None and not _MONTH.match(month):
            raise SourceError(f"--month '{month}' is not a month (use YYYY-MM)")
        if not 1 <= limit <= MAX_LIMIT:
            raise SourceError(f"limit must be between 1 and {MAX_LIMIT}")
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.params: dict[str, Any] = {"date": day.isoformat() if day else None, "week": week, "month": month}
        self.limit = limit
        self.max_pages = max_pages
        self.clock = clock
        self._page = 0

    def position(self) -> Any:
        return None

    def read(self, resume: Any | None = None) -> Iterator[Item]:
        seen: set[str] = set()
        for page in range(self.max_pages):
            self._page = page
            observed = self.clock()
            label = f"hf daily_papers page {page + 1}"
            response = self.client.get(
                f"{self.base_url}/api/daily_papers", params={**self.params, "p": page, "limit": self.limit}
            )
            data = _json(response.content, label)
            fresh = 0
            skip: str | None = None
            for item in parse_daily_papers(data, observed, label):
                if isinstance(item, PaperRecord):
                    if item.id in seen:  # lists can shift between pages; one sighting per run is enough
                        skip = item.id
                        continue
                    skip = None
                    seen.add(item.id)
                    fresh += 1
                elif isinstance(item, Signal) and item.paper_id == skip:
                    continue
                yield item
            if not isinstance(data, list) or len(data) < self.limit or fresh == 0:
                break


class HuggingFacePaperSource:
    """One paper by arXiv id via ``/api/papers/{id}``."""

    name = NAME
    checkpoint_key: str | None = None

    def __init__(self, client: HttpClient, base_url: str, paper_id: str, clock: Callable[[], datetime] = _now) -> None:
        try:
            self.paper_id, _ = arxiv_id(paper_id, "id")
        except RecordError as exc:
            raise SourceError(f"'{paper_id}': {exc.message}; Hugging Face papers are keyed by arXiv id") from None
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.clock = clock

    def position(self) -> Any:
        return None

    def read(self, resume: Any | None = None) -> Iterator[Item]:
        label = f"hf paper {self.paper_id}"
        try:
            response = self.client.get(f"{self.base_url}/api/papers/{self.paper_id}")
        except HttpError as exc:
            if exc.status == 404:
                yield Rejection(label, "id", "Hugging Face has no page for this paper")
                return
            raise
        yield from parse_paper_response(_json(response.content, label), self.clock(), label)
