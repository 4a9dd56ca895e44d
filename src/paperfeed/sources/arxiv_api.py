"""The arXiv API (``/api/query``, Atom): papers by search query or by id list.

It is the quick way to pull a handful of known papers or the latest hits for
a query; bulk harvesting belongs to OAI-PMH. Parsing (`parse_feed`) is pure and
reads both the current feed layout and the legacy (pre-2026) one, which puts a
namespace declaration on every element and orders them differently. arXiv
reports a bad request as an Atom entry titled "Error" (with HTTP 400, and in
older deployments with HTTP 200); both become a `SourceError` in words.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from paperfeed.models import PaperRecord
from paperfeed.sources.base import Item, RecordError, Rejection, SourceError
from paperfeed.sources.http import HttpClient, HttpError
from paperfeed.sources.normalize import arxiv_id, arxiv_links, capped, clean_text, parse_date, require_title

NAME = "arxiv-api"
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
MAX_PAGE = 2000  # arXiv's own per-request ceiling
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


class ArxivApiError(SourceError):
    """arXiv answered with an Atom error entry."""


@dataclass(slots=True)
class AtomPage:
    items: list[PaperRecord | Rejection] = field(default_factory=list)
    total: int | None = None
    start: int | None = None
    per_page: int | None = None

    @property
    def records(self) -> list[PaperRecord]:
        return [i for i in self.items if isinstance(i, PaperRecord)]


def _text(el: etree._Element | None) -> str:
    """An element's text with whitespace collapsed (the hot path of parsing: keep it cheap)."""
    if el is None:
        return ""
    raw = el.text if len(el) == 0 else "".join(el.itertext())
    return " ".join(raw.split()) if raw else ""


def _int(el: etree._Element | None) -> int | None:
    text = _text(el)
    return int(text) if text.isdigit() else None


def error_message(body: bytes | str) -> str | None:
    """The text of arXiv's Atom error entry, or None when the body is not one."""
    try:
        root = etree.fromstring(body.encode() if isinstance(body, str) else body, _PARSER)
    except etree.XMLSyntaxError:
        return None
    for entry in root.iterfind(f"{ATOM}entry"):
        if "/api/errors" in _text(entry.find(f"{ATOM}id")) or _text(entry.find(f"{ATOM}title")) == "Error":
            return _text(entry.find(f"{ATOM}summary")) or "unspecified error"
    return None


def parse_entry(entry: etree._Element) -> PaperRecord:
    """One Atom entry -> a record; the primary category goes first."""
    pid, version = arxiv_id(_text(entry.find(f"{ATOM}id")))
    categories: list[str] = []
    primary = entry.find(f"{ARXIV}primary_category")
    if primary is not None and primary.get("term"):
        categories.append(primary.get("term", ""))
    for cat in entry.iterfind(f"{ATOM}category"):
        term = cat.get("term")
        if term and term not in categories:
            categories.append(term)
    # The feed links to one version (…/abs/2501.01234v2); store the version-less links, which stay current.
    abs_url, pdf_url = arxiv_links(pid)
    authors = [_text(a.find(f"{ATOM}name")) for a in entry.iterfind(f"{ATOM}author")]
    return PaperRecord(
        id=pid,
        version=version,
        title=require_title(_text(entry.find(f"{ATOM}title"))),
        abstract=capped(_text(entry.find(f"{ATOM}summary")), "summary", "abstract"),
        authors=[a for a in authors if a],
        categories=categories,
        submitted=parse_date(_text(entry.find(f"{ATOM}published")), "published"),
        updated=parse_date(_text(entry.find(f"{ATOM}updated")), "updated"),
        abs_url=abs_url,
        pdf_url=pdf_url,
        doi=_text(entry.find(f"{ARXIV}doi")) or None,
        comment=_text(entry.find(f"{ARXIV}comment")) or None,
        journal_ref=_text(entry.find(f"{ARXIV}journal_ref")) or None,
        source=NAME,
    )


def parse_feed(body: bytes | str, label: str = "arxiv api") -> AtomPage:
    """Parse one API answer; raises `ArxivApiError` for an error entry, `SourceError` for non-Atom bodies."""
    try:
        root = etree.fromstring(body.encode() if isinstance(body, str) else body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"{label}: the answer is not XML ({exc}); is PAPERFEED_ARXIV_API_URL right?") from None
    if root.tag != f"{ATOM}feed":
        raise SourceError(f"{label}: the answer is not an Atom feed (root element {root.tag})")
    problem = error_message(body)
    if problem is not None:
        raise ArxivApiError(f"arXiv API refused the request: {problem}")
    page = AtomPage(
        total=_int(root.find(f"{OPENSEARCH}totalResults")),
        start=_int(root.find(f"{OPENSEARCH}startIndex")),
        per_page=_int(root.find(f"{OPENSEARCH}itemsPerPage")),
    )
    offset = page.start or 0
    for n, entry in enumerate(root.iterfind(f"{ATOM}entry"), start=1):
        ident = _text(entry.find(f"{ATOM}id"))
        origin = f"{label} entry {offset + n}" + (f" ({ident})" if ident else "")
        try:
            rec = parse_entry(entry)
        except RecordError as exc:
            page.items.append(Rejection(origin, exc.field, exc.message))
            continue
        rec.origin = origin
        page.items.append(rec)
    return page


class ArxivApiSource:
    """Pages through ``/api/query`` for a search query and/or an id list.

    Resumable by result offset: a rerun of the same query continues where the
    last stored batch ended (sorting newest first means new papers only push
    old ones later, so resuming re-reads rather than skips).
    """

    name = NAME

    def __init__(
        self,
        client: HttpClient,
        base_url: str,
        *,
        query: str | None = None,
        ids: Sequence[str] = (),
        max_results: int | None = None,
        page_size: int = 100,
        sort_by: str | None = None,
        sort_order: str = "descending",
    ) -> None:
        if not query and not ids:
            raise SourceError("give a search query or at least one arXiv id")
        if not 1 <= page_size <= MAX_PAGE:
            raise SourceError(f"page size must be between 1 and {MAX_PAGE}")
        self.client = client
        self.base_url = base_url
        self.query = query
        self.ids = [clean_text(i) for i in ids if clean_text(i)]
        self.max_results = max_results if max_results is not None else (len(self.ids) if not query else 100)
        self.page_size = page_size
        self.sort_by = sort_by if sort_by is not None else ("submittedDate" if query else None)
        self.sort_order = sort_order
        self._start = 0
        self._done = False
        digest = hashlib.sha256(f"{query}|{','.join(self.ids)}|{self.max_results}".encode()).hexdigest()[:12]
        self.checkpoint_key: str | None = f"{NAME}:{digest}"

    def position(self) -> dict[str, Any] | None:
        # None once complete, so the ingest job drops the checkpoint and a rerun fetches afresh
        return None if self._done else {"start": self._start}

    def _params(self, start: int, size: int) -> dict[str, Any]:
        return {
            "search_query": self.query or "",
            "id_list": ",".join(self.ids),
            "sortBy": self.sort_by,
            "sortOrder": self.sort_order if self.sort_by else None,
            "start": start,
            "max_results": size,
        }

    def _fetch(self, start: int, size: int) -> AtomPage:
        label = f"arxiv api results {start + 1}-{start + size}"
        try:
            response = self.client.get(self.base_url, params=self._params(start, size))
        except HttpError as exc:
            problem = error_message(exc.response.content) if exc.response is not None else None
            if problem is None:
                raise
            hint = "; arXiv ids look like 2501.01234 or hep-th/9901001" if "id" in problem else ""
            raise ArxivApiError(f"arXiv API refused the request (HTTP {exc.status}): {problem}{hint}") from None
        return parse_feed(response.content, label)

    def read(self, resume: Any | None = None) -> Iterator[Item]:
        start = int(resume.get("start", 0)) if isinstance(resume, dict) else 0
        self._start = start
        self._done = False
        seen: set[str] = set()
        while start < self.max_results:
            size = min(self.page_size, self.max_results - start)
            page = self._fetch(start, size)
            for i, item in enumerate(page.items):
                if isinstance(item, PaperRecord):
                    seen.add(item.id)
                self._start = start + i + 1  # the consumer holds this item once it is yielded
                yield item
            got = len(page.items)
            start += got
            self._start = start
            if got < size or (page.total is not None and start >= page.total):
                break
        self._done = True
        if self.ids and resume is None:
            for raw in self.ids:
                try:
                    wanted, _ = arxiv_id(raw)
                except RecordError:
                    wanted = raw
                if wanted not in seen:
                    yield Rejection(f"arxiv api id {raw}", "id", "arXiv has no paper with this id")
