"""arXiv's daily listing feeds (``rss.arxiv.org/rss/cs.AI+cs.LG`` and the Atom twin).

The feed is the only source that says *when a paper was announced*; each item
also says why it is listed (``arxiv:announce_type``):

* ``new``: a first announcement -> announced = the feed's date;
* ``cross``: a cross-list into the requested category -> its categories matter;
  announced only when it is version 1 (a new paper announced today elsewhere);
* ``replace`` / ``replace-cross``: a new version -> version bump and updated date,
  but no announced date (the paper was announced long ago).

Parsing (`parse_feed`) is pure; `ArxivRssSource` fetches one combined feed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lxml import etree

from paperfeed.models import PaperRecord
from paperfeed.sources.base import Item, RecordError, Rejection, SourceError
from paperfeed.sources.http import HttpClient
from paperfeed.sources.normalize import (
    arxiv_id,
    arxiv_links,
    capped,
    parse_date,
    require_title,
    split_authors,
    split_categories,
)

NAME = "arxiv-rss"
ARXIV = "{http://arxiv.org/schemas/atom}"
ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross")
_CATEGORY = re.compile(r"^[a-z][a-z\-]*(\.[A-Za-z\-]+)?$")
_PREAMBLE = re.compile(r"^arXiv:\S+\s+Announce Type:\s*\S+\s*", re.IGNORECASE)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


@dataclass(slots=True)
class Listing:
    """One listed item: the record plus why it was listed."""

    record: PaperRecord
    announce_type: str


@dataclass(slots=True)
class RssFeed:
    items: list[Listing | Rejection] = field(default_factory=list)
    feed_date: date | None = None

    @property
    def listings(self) -> list[Listing]:
        return [i for i in self.items if isinstance(i, Listing)]


def _text(el: etree._Element | None) -> str:
    """An element's text with whitespace collapsed (the hot path of parsing: keep it cheap)."""
    if el is None:
        return ""
    raw = el.text if len(el) == 0 else "".join(el.itertext())
    return " ".join(raw.split()) if raw else ""


def _abstract(description: str) -> str:
    """Drop the "arXiv:2501.01234v1 Announce Type: new Abstract:" preamble of the description."""
    text = _PREAMBLE.sub("", description)
    return text.removeprefix("Abstract:").strip()


def _apply_type(rec: PaperRecord, kind: str, day: date | None) -> None:
    if kind == "new" or (kind == "cross" and rec.version in (None, 1)):
        rec.announced = day
    elif kind.startswith("replace"):
        rec.updated = day


def _record(
    *, ident: str, title: str, description: str, authors: str, categories: list[str], kind: str, day: date | None
) -> PaperRecord:
    if kind not in ANNOUNCE_TYPES:
        raise RecordError("announce_type", f"unknown announce type '{kind}' (expected one of {ANNOUNCE_TYPES})")
    pid, version = arxiv_id(ident, "guid")
    abs_url, pdf_url = arxiv_links(pid)
    rec = PaperRecord(
        id=pid,
        version=version,
        title=require_title(title),
        abstract=capped(_abstract(description), "description", "abstract"),
        authors=split_authors(authors),
        categories=split_categories([c for c in categories if _CATEGORY.match(c)]),
        abs_url=abs_url,
        pdf_url=pdf_url,
        source=NAME,
    )
    _apply_type(rec, kind, day)
    return rec


def _announce_type(el: etree._Element, description: str) -> str:
    kind = _text(el.find(f"{ARXIV}announce_type")).lower()
    if not kind:  # older feeds only say it inside the description
        m = re.search(r"Announce Type:\s*(\S+)", description)
        kind = m.group(1).lower() if m else "new"
    return kind


def _parse_rss(root: etree._Element, label: str) -> RssFeed:
    channel = root.find("channel")
    if channel is None:
        raise SourceError(f"{label}: an RSS document without a channel")
    feed = RssFeed(feed_date=parse_date(_text(channel.find("pubDate")) or None, "pubDate"))
    for n, item in enumerate(channel.iterfind("item"), start=1):
        guid = _text(item.find("guid")) or _text(item.find("link"))
        origin = f"{label} item {n}" + (f" ({guid})" if guid else "")
        description = _text(item.find("description"))
        try:
            kind = _announce_type(item, description)
            day = parse_date(_text(item.find("pubDate")) or None, "pubDate") or feed.feed_date
            # the guid carries the version (oai:arXiv.org:2501.01234v2); the link does not
            ident = guid if guid.startswith("oai:") else (_text(item.find("link")) or guid)
            rec = _record(
                ident=ident,
                title=_text(item.find("title")),
                description=description,
                authors=_text(item.find(f"{DC}creator")),
                categories=[_text(c) for c in item.iterfind("category")],
                kind=kind,
                day=day,
            )
            rec.doi = _text(item.find(f"{ARXIV}DOI")) or None
        except RecordError as exc:
            feed.items.append(Rejection(origin, exc.field, exc.message))
            continue
        rec.origin = origin
        feed.items.append(Listing(rec, kind))
    return feed


def _parse_atom(root: etree._Element, label: str) -> RssFeed:
    feed = RssFeed(feed_date=parse_date(_text(root.find(f"{ATOM}updated")) or None, "updated"))
    for n, entry in enumerate(root.iterfind(f"{ATOM}entry"), start=1):
        ident = _text(entry.find(f"{ATOM}id"))
        origin = f"{label} entry {n}" + (f" ({ident})" if ident else "")
        summary = _text(entry.find(f"{ATOM}summary"))
        try:
            kind = _announce_type(entry, summary)
            day = parse_date(_text(entry.find(f"{ATOM}published")) or None, "published") or feed.feed_date
            names = [_text(a.find(f"{ATOM}name")) for a in entry.iterfind(f"{ATOM}author")]
            authors = _text(entry.find(f"{DC}creator")) or ", ".join(n for n in names if n)
            rec = _record(
                ident=ident,
                title=_text(entry.find(f"{ATOM}title")),
                description=summary,
                authors=authors,
                categories=[c.get("term", "") for c in entry.iterfind(f"{ATOM}category")],
                kind=kind,
                day=day,
            )
            rec.doi = _text(entry.find(f"{ARXIV}DOI")) or None
        except RecordError as exc:
            feed.items.append(Rejection(origin, exc.field, exc.message))
            continue
        rec.origin = origin
        feed.items.append(Listing(rec, kind))
    return feed


def parse_feed(body: bytes | str, label: str = "arxiv rss") -> RssFeed:
    """Parse an arXiv listing feed, RSS 2.0 or Atom."""
    try:
        root = etree.fromstring(body.encode() if isinstance(body, str) else body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"{label}: the answer is not XML ({exc}); is PAPERFEED_ARXIV_RSS_URL right?") from None
    if root.tag == "rss":
        return _parse_rss(root, label)
    if root.tag == f"{ATOM}feed":
        return _parse_atom(root, label)
    raise SourceError(f"{label}: neither an RSS nor an Atom feed (root element {root.tag})")


class ArxivRssSource:
    """Today's listing for one or more categories (one request: arXiv joins them with '+')."""

    name = NAME
    checkpoint_key: str | None = None  # one small request; nothing to resume

    def __init__(self, client: HttpClient, base_url: str, categories: Sequence[str]) -> None:
        cats = [c.strip() for c in categories if c.strip()]
        if not cats:
            raise SourceError("give at least one category, e.g. cs.AI")
        bad = [c for c in cats if not _CATEGORY.match(c)]
        if bad:
            raise SourceError(f"not an arXiv category: {', '.join(bad)} (categories look like cs.AI or hep-th)")
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.categories = cats
        self.counts: dict[str, int] = {}
        self.feed_date: date | None = None

    def position(self) -> Any:
        return None

    def read(self, resume: Any | None = None) -> Iterator[Item]:
        url = f"{self.base_url}/{'+'.join(self.categories)}"
        response = self.client.get(url)
        feed = parse_feed(response.content, f"arxiv rss {'+'.join(self.categories)}")
        self.feed_date = feed.feed_date
        for item in feed.items:
            if isinstance(item, Rejection):
                yield item
                continue
            self.counts[item.announce_type] = self.counts.get(item.announce_type, 0) + 1
            yield item.record
