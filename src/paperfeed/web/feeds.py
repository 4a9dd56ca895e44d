"""Atom (RFC 4287) and RSS 2.0 renderings of the same views the pages show.

Entry ids are the paper's page URL, which never changes for a paper, so a
feed reader does not show an entry twice when the feed is regenerated.
`updated` is the paper's last-updated (or published) date at 00:00 UTC: a
revised paper moves up in readers, a re-fetch without change does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import format_datetime
from urllib.parse import quote

from lxml import etree

from paperfeed.models import Paper, http_url

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
CONTENT_TYPES = {"atom": "application/atom+xml; charset=utf-8", "rss": "application/rss+xml; charset=utf-8"}
_XML_INVALID = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(slots=True)
class Feed:
    """What any feed needs; built by the feed routes from a view's data."""

    title: str
    subtitle: str
    page_url: str  # the HTML page this feed mirrors
    self_url: str  # this feed's own URL (also its Atom id: stable for the same query)
    papers: list[Paper]
    base_url: str


def _clean(text: str | None) -> str:
    return _XML_INVALID.sub("", " ".join((text or "").split()))


def paper_url(base_url: str, paper: Paper) -> str:
    return f"{base_url}/papers/{quote(paper.id, safe='/.-_')}"


def entry_updated(paper: Paper) -> datetime:
    days = [d for d in (paper.updated, paper.published, paper.submitted) if d]
    day = max(days) if days else date(1970, 1, 1)
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def entry_published(paper: Paper) -> datetime | None:
    return datetime.combine(paper.published, time(0, 0), tzinfo=UTC) if paper.published else None


def _atom_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def feed_updated(feed: Feed) -> datetime:
    if not feed.papers:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return max(entry_updated(p) for p in feed.papers)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        el.text = _clean(text)
    return el


def render_atom(feed: Feed) -> bytes:
    a = f"{{{ATOM_NS}}}"
    root = etree.Element(a + "feed", nsmap={None: ATOM_NS})
    _sub(root, a + "id", feed.self_url)
    _sub(root, a + "title", feed.title, type="text")
    _sub(root, a + "subtitle", feed.subtitle, type="text")
    _sub(root, a + "updated", _atom_time(feed_updated(feed)))
    _sub(root, a + "link", rel="self", href=feed.self_url, type="application/atom+xml")
    _sub(root, a + "link", rel="alternate", href=feed.page_url, type="text/html")
    author = _sub(root, a + "author")
    _sub(author, a + "name", "paperfeed")
    _sub(root, a + "generator", "paperfeed", uri=feed.base_url + "/")
    for paper in feed.papers:
        url = paper_url(feed.base_url, paper)
        entry = _sub(root, a + "entry")
        _sub(entry, a + "id", url)
        _sub(entry, a + "title", paper.title, type="text")
        _sub(entry, a + "updated", _atom_time(entry_updated(paper)))
        published = entry_published(paper)
        if published:
            _sub(entry, a + "published", _atom_time(published))
        _sub(entry, a + "link", rel="alternate", href=url, type="text/html")
        pdf = http_url(paper.pdf_url)
        if pdf:
            _sub(entry, a + "link", rel="related", href=pdf, type="application/pdf", title="PDF")
        for name in paper.authors:
            if _clean(name):
                _sub(_sub(entry, a + "author"), a + "name", name)
        for cat in paper.categories:
            _sub(entry, a + "category", term=_clean(cat))
        _sub(entry, a + "summary", paper.abstract, type="text")
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def render_rss(feed: Feed) -> bytes:
    root = etree.Element("rss", version="2.0", nsmap={"atom": ATOM_NS, "dc": DC_NS})
    channel = _sub(root, "channel")
    _sub(channel, "title", feed.title)
    _sub(channel, "link", feed.page_url)
    _sub(channel, "description", feed.subtitle or feed.title)
    _sub(channel, "lastBuildDate", format_datetime(feed_updated(feed), usegmt=True))
    _sub(channel, "generator", "paperfeed")
    _sub(channel, f"{{{ATOM_NS}}}link", rel="self", href=feed.self_url, type="application/rss+xml")
    for paper in feed.papers:
        url = paper_url(feed.base_url, paper)
        item = _sub(channel, "item")
        _sub(item, "title", paper.title)
        _sub(item, "link", url)
        _sub(item, "guid", url, isPermaLink="true")
        _sub(item, "pubDate", format_datetime(entry_published(paper) or entry_updated(paper), usegmt=True))
        _sub(item, "description", paper.abstract)
        for name in paper.authors:
            _sub(item, f"{{{DC_NS}}}creator", name)
        for cat in paper.categories:
            _sub(item, "category", cat)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def render(feed: Feed, fmt: str) -> bytes:
    return render_atom(feed) if fmt == "atom" else render_rss(feed)
