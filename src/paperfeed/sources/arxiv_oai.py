"""arXiv's OAI-PMH interface: bulk, incremental harvesting by date.

Three metadata formats are understood: ``arXiv`` (structured authors, created
and updated dates), ``arXivRaw`` (every version with its date, so paperfeed
learns the version number) and ``oai_dc`` (Dublin Core, the lowest common
denominator). Parsing is pure (`parse_page`), fetching is `ArxivOaiSource`.

Resuming: `position()` names the resumption token of the page being yielded
(None for the first page), so a harvest killed at any point re-fetches at most
one page. Once the list is complete, `position()` holds the next incremental
``from`` date, so the same command run tomorrow fetches only what changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from lxml import etree

from paperfeed.models import PaperRecord
from paperfeed.sources.arxiv_subjects import subject_code
from paperfeed.sources.base import Item, RecordError, Rejection, SourceError
from paperfeed.sources.http import HttpClient
from paperfeed.sources.normalize import arxiv_id, arxiv_links, capped, parse_date, require_title, split_authors

NAME = "arxiv-oai"
PREFIXES = ("arXiv", "arXivRaw", "oai_dc")
OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
_NS = {
    "arXiv": "{http://arxiv.org/OAI/arXiv/}",
    "arXivRaw": "{http://arxiv.org/OAI/arXivRaw/}",
}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


class OaiError(SourceError):
    """An OAI-PMH ``<error>`` answer; `code` is the protocol's error code."""

    def __init__(self, code: str, server_text: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.server_text = server_text


_ERROR_MESSAGES = {
    "badArgument": "the OAI-PMH server rejected the request's arguments ({text}); check --from/--until "
    "(YYYY-MM-DD), --set and --prefix",
    "badResumptionToken": "the resumption token is invalid or has expired ({text}); the checkpoint was kept: "
    "rerun the command to restart this harvest from its 'from' date (already stored papers are not duplicated)",
    "badVerb": "the server does not understand the request ({text}); PAPERFEED_ARXIV_OAI_URL may not point at an "
    "OAI-PMH endpoint",
    "idDoesNotExist": "no such record in the archive ({text}); check the arXiv id",
    "cannotDisseminateFormat": "the archive does not offer this metadata format ({text}); use --prefix "
    "arXiv, arXivRaw or oai_dc",
    "noSetHierarchy": "the archive has no sets ({text}); drop --set",
}


def oai_error(code: str, text: str) -> OaiError:
    """The user-facing error for an OAI-PMH error code (``noRecordsMatch`` is handled as an empty list)."""
    template = _ERROR_MESSAGES.get(code, "the OAI-PMH server answered with error '{code}' ({text})")
    return OaiError(code, text, f"OAI-PMH {code}: " + template.format(text=text or "no details", code=code))


@dataclass(slots=True)
class OaiPage:
    """One parsed ListRecords/GetRecord answer."""

    items: list[PaperRecord | Rejection] = field(default_factory=list)
    token: str | None = None  # resumption token for the next page; None when the list is complete
    complete_size: int | None = None
    cursor: int | None = None
    response_date: date | None = None
    no_records: str | None = None  # set (to the server's text) for a noRecordsMatch answer
    deleted: int = 0


# -- record parsers ------------------------------------------------------------


def _text(el: etree._Element | None) -> str:
    """An element's text with whitespace collapsed (the hot path of parsing: keep it cheap)."""
    if el is None:
        return ""
    raw = el.text if len(el) == 0 else "".join(el.itertext())
    return " ".join(raw.split()) if raw else ""


def _first_doi(value: str) -> str | None:
    parts = value.split()
    return parts[0] if parts else None


def parse_arxiv(meta: etree._Element) -> PaperRecord:
    """The ``arXiv`` format: structured authors, ``created`` (v1) and ``updated`` dates, no version number."""
    ns = _NS["arXiv"]
    pid, version = arxiv_id(_text(meta.find(f"{ns}id")))
    authors = []
    for author in meta.iterfind(f"{ns}authors/{ns}author"):
        parts = [_text(author.find(f"{ns}{part}")) for part in ("forenames", "keyname", "suffix")]
        name = " ".join(p for p in parts if p)
        if name:
            authors.append(name)
    abs_url, pdf_url = arxiv_links(pid)
    return PaperRecord(
        id=pid,
        version=version,
        title=require_title(_text(meta.find(f"{ns}title"))),
        abstract=capped(_text(meta.find(f"{ns}abstract")), "abstract"),
        authors=authors,
        categories=_text(meta.find(f"{ns}categories")).split(),
        submitted=parse_date(_text(meta.find(f"{ns}created")), "created"),
        updated=parse_date(_text(meta.find(f"{ns}updated")), "updated"),
        abs_url=abs_url,
        pdf_url=pdf_url,
        doi=_first_doi(_text(meta.find(f"{ns}doi"))),
        comment=_text(meta.find(f"{ns}comments")) or None,
        journal_ref=_text(meta.find(f"{ns}journal-ref")) or None,
        source=NAME,
    )


def parse_arxiv_raw(meta: etree._Element) -> PaperRecord:
    """The ``arXivRaw`` format: every version with its date -> version, submitted (v1), updated (latest)."""
    ns = _NS["arXivRaw"]
    pid, _ = arxiv_id(_text(meta.find(f"{ns}id")))
    versions: list[tuple[int, date | None]] = []
    for el in meta.iterfind(f"{ns}version"):
        label = (el.get("version") or "").lstrip("v")
        if not label.isdigit():
            raise RecordError("version", f"unreadable version label '{el.get('version')}'")
        versions.append((int(label), parse_date(_text(el.find(f"{ns}date")), f"version v{label} date")))
    versions.sort()
    abs_url, pdf_url = arxiv_links(pid)
    return PaperRecord(
        id=pid,
        version=versions[-1][0] if versions else None,
        title=require_title(_text(meta.find(f"{ns}title"))),
        abstract=capped(_text(meta.find(f"{ns}abstract")), "abstract"),
        authors=split_authors(_text(meta.find(f"{ns}authors"))),
        categories=_text(meta.find(f"{ns}categories")).split(),
        submitted=versions[0][1] if versions else None,
        updated=versions[-1][1] if versions else None,
        abs_url=abs_url,
        pdf_url=pdf_url,
        doi=_first_doi(_text(meta.find(f"{ns}doi"))),
        comment=_text(meta.find(f"{ns}comments")) or None,
        journal_ref=_text(meta.find(f"{ns}journal-ref")) or None,
        source=NAME,
    )


def _dc_name(value: str) -> str:
    """Dublin Core writes "Last, First"; paperfeed stores "First Last"."""
    last, sep, first = value.partition(",")
    return f"{first.strip()} {last.strip()}".strip() if sep else value


def parse_oai_dc(meta: etree._Element, set_specs: list[str] | None = None) -> PaperRecord:
    """The ``oai_dc`` format: subject names become codes; "Comment:" descriptions become the comment."""
    pid = None
    doi = None
    journal_ref = None
    for ident in meta.iterfind(f"{DC}identifier"):
        text = _text(ident)
        if "arxiv.org/abs/" in text and pid is None:
            pid = text
        elif text.lower().startswith("doi:"):
            doi = doi or text[4:].strip()
        elif text and not text.startswith("http"):
            journal_ref = journal_ref or text
    paper, version = arxiv_id(pid or "", "identifier")
    abstract, comment = "", None
    for desc in meta.iterfind(f"{DC}description"):
        text = _text(desc)
        if text.startswith("Comment:"):
            comment = text[len("Comment:") :].strip() or None
        elif not abstract:
            abstract = text
    categories: list[str] = []
    for subject in meta.iterfind(f"{DC}subject"):
        code = subject_code(_text(subject))
        if code and code not in categories:
            categories.append(code)
    if not categories and set_specs:  # fall back to the archive the record is filed under
        categories = [s.split(":")[-1] for s in set_specs]
    dates = sorted(d for d in (parse_date(_text(el), "date") for el in meta.iterfind(f"{DC}date")) if d)
    abs_url, pdf_url = arxiv_links(paper)
    return PaperRecord(
        id=paper,
        version=version,
        title=require_title(_text(meta.find(f"{DC}title"))),
        abstract=capped(abstract, "description", "abstract"),
        authors=[_dc_name(name) for name in (_text(c) for c in meta.iterfind(f"{DC}creator")) if name],
        categories=categories,
        submitted=dates[0] if dates else None,
        updated=dates[-1] if len(dates) > 1 else None,
        abs_url=abs_url,
        pdf_url=pdf_url,
        doi=doi,
        comment=comment,
        journal_ref=journal_ref,
        source=NAME,
    )


# -- page parser ----------------------------------------------------------------


def parse_page(body: bytes | str, prefix: str, label: str = "oai page") -> OaiPage:
    """Parse a ListRecords (or GetRecord) answer.

    Raises `OaiError` for protocol errors, except ``noRecordsMatch``, which is an
    empty page. A record that cannot be used becomes a `Rejection` naming the page,
    the record's position and its identifier.
    """
    if prefix not in PREFIXES:
        raise SourceError(f"unknown metadata prefix '{prefix}' (use one of {', '.join(PREFIXES)})")
    try:
        root = etree.fromstring(body.encode() if isinstance(body, str) else body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"{label}: the answer is not XML ({exc}); is PAPERFEED_ARXIV_OAI_URL right?") from None
    if root.tag != f"{OAI}OAI-PMH":
        raise SourceError(f"{label}: the answer is not an OAI-PMH document (root element {root.tag})")
    page = OaiPage()
    with_date = root.find(f"{OAI}responseDate")
    if with_date is not None and with_date.text:
        try:
            page.response_date = datetime.fromisoformat(with_date.text.strip().replace("Z", "+00:00")).date()
        except ValueError:
            page.response_date = None
    error = root.find(f"{OAI}error")
    if error is not None:
        code = error.get("code") or "unknown"
        text = _text(error)
        if code == "noRecordsMatch":
            page.no_records = text or "no records match"
            return page
        raise oai_error(code, text)
    container = root.find(f"{OAI}ListRecords")
    if container is None:
        container = root.find(f"{OAI}GetRecord")
    if container is None:
        raise SourceError(f"{label}: the answer holds neither ListRecords nor GetRecord")
    for n, record in enumerate(container.iterfind(f"{OAI}record"), start=1):
        header = record.find(f"{OAI}header")
        ident = _text(header.find(f"{OAI}identifier")) if header is not None else ""
        origin = f"{label} record {n}" + (f" ({ident})" if ident else "")
        if header is not None and header.get("status") == "deleted":
            page.deleted += 1
            continue
        meta_wrapper = record.find(f"{OAI}metadata")
        meta = meta_wrapper[0] if meta_wrapper is not None and len(meta_wrapper) else None
        if meta is None:
            page.items.append(Rejection(origin, "metadata", "record has no metadata"))
            continue
        try:
            if prefix == "arXiv":
                rec = parse_arxiv(meta)
            elif prefix == "arXivRaw":
                rec = parse_arxiv_raw(meta)
            else:
                specs = [_text(s) for s in header.iterfind(f"{OAI}setSpec")] if header is not None else []
                rec = parse_oai_dc(meta, specs)
        except RecordError as exc:
            page.items.append(Rejection(origin, exc.field, exc.message))
            continue
        rec.origin = origin
        page.items.append(rec)
    token_el = container.find(f"{OAI}resumptionToken")
    if token_el is not None:
        page.token = (token_el.text or "").strip() or None
        size = token_el.get("completeListSize")
        cursor = token_el.get("cursor")
        page.complete_size = int(size) if size and size.isdigit() else None
        page.cursor = int(cursor) if cursor and cursor.isdigit() else None
    return page


# -- the source -------------------------------------------------------------------


class ArxivOaiSource:
    """ListRecords over a date range (and optional set), following resumption tokens."""

    name = NAME

    def __init__(
        self,
        client: HttpClient,
        base_url: str,
        *,
        prefix: str = "arXiv",
        from_date: date | None = None,
        until: date | None = None,
        set_spec: str | None = None,
        default_days: int = 7,
        today: date | None = None,
    ) -> None:
        if prefix not in PREFIXES:
            raise SourceError(f"unknown metadata prefix '{prefix}' (use one of {', '.join(PREFIXES)})")
        if from_date and until and until < from_date:
            raise SourceError(f"--until {until} is before --from {from_date}")
        self.client = client
        self.base_url = base_url
        self.prefix = prefix
        self.from_date = from_date
        self.until = until
        self.set_spec = set_spec
        self.default_days = default_days
        self.today = today
        self.pages = 0
        self.no_records: str | None = None
        self._pos: dict[str, Any] | None = None
        # An explicit range is a harvest of its own (resumable by rerunning it);
        # without one the key names the incremental harvest of this prefix and set.
        key = f"{NAME}:{prefix}:{set_spec or '*'}"
        if from_date or until:
            key += f":{from_date or ''}..{until or ''}"
        self.checkpoint_key: str | None = key

    def _state(self, frm: str | None, token: str | None) -> dict[str, Any]:
        return {
            "from": frm,
            "until": self.until.isoformat() if self.until else None,
            "set": self.set_spec,
            "prefix": self.prefix,
            "token": token,
        }

    def position(self) -> dict[str, Any] | None:
        return self._pos

    def _start_from(self, resume: Any | None) -> tuple[str | None, str | None]:
        if isinstance(resume, dict) and resume.get("prefix", self.prefix) == self.prefix:
            return resume.get("from"), resume.get("token")
        if self.from_date:
            return self.from_date.isoformat(), None
        today = self.today or date.today()
        return (today - timedelta(days=self.default_days)).isoformat(), None

    def _fetch(self, frm: str | None, token: str | None, label: str) -> OaiPage:
        if token:
            params: dict[str, Any] = {"verb": "ListRecords", "resumptionToken": token}
        else:
            params = {
                "verb": "ListRecords",
                "metadataPrefix": self.prefix,
                "from": frm,
                "until": self.until.isoformat() if self.until else None,
                "set": self.set_spec,
            }
        response = self.client.get(self.base_url, params=params)
        self.pages += 1
        return parse_page(response.content, self.prefix, label)

    def read(self, resume: Any | None = None) -> Iterator[Item]:
        frm, token = self._start_from(resume)
        resumed_token = token
        first_date: date | None = None
        page_no = 0
        while True:
            page_no += 1
            self._pos = self._state(frm, token)
            label = f"oai page {page_no}" + (f" (token {token})" if token else "")
            try:
                page = self._fetch(frm, token, label)
            except OaiError as exc:
                if exc.code == "badResumptionToken" and token is not None and token == resumed_token:
                    # A stored token outlives the server's; start this range over (ingest is idempotent).
                    token = resumed_token = None
                    continue
                raise
            first_date = first_date or page.response_date
            if page.no_records is not None:
                self.no_records = page.no_records
            items = page.items
            for i, item in enumerate(items):
                if i == len(items) - 1 and page.token:
                    # everything of this page has now been handed out: resume at the next page
                    self._pos = self._state(frm, page.token)
                yield item
            if not page.token:
                break
            token = page.token
            self._pos = self._state(frm, token)
        self._pos = self._state(self._next_from(first_date), None)

    def _next_from(self, response_date: date | None) -> str | None:
        """Where the next incremental harvest starts: the day of this harvest (re-reading a day is harmless)."""
        candidates = [d for d in (response_date, self.until) if d]
        if not candidates:
            return (self.today or date.today()).isoformat()
        return min(candidates).isoformat()
