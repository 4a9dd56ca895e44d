"""Atom and RSS feeds: parsed by feedparser without bozo errors, and checked against RFC 4287's rules."""

from __future__ import annotations

import feedparser
import httpx
import pytest
from lxml import etree

pytestmark = pytest.mark.anyio

ATOM = "{http://www.w3.org/2005/Atom}"
FEEDS = [
    "/feeds/daily.{fmt}",
    "/feeds/daily.{fmt}?date=2026-07-13",
    "/feeds/weekly.{fmt}?date=2026-07-14",
    "/feeds/monthly.{fmt}?date=2026-06-01&category=cs.CV",
    "/feeds/trending.{fmt}?window=week&date=2026-07-14",
    "/feeds/search.{fmt}?q=diffusion",
    "/feeds/search.{fmt}?q=%3Cscript%3E&category=cs.CR",
    "/feeds/category/cs.LG.{fmt}",
    "/feeds/category/hep-th.{fmt}",
]


def check_atom_structure(xml: bytes) -> etree._Element:
    """The RFC 4287 MUSTs feedparser does not enforce: ids, titles, updated, one self link, authors."""
    root = etree.fromstring(xml)
    assert root.tag == ATOM + "feed"
    for tag in ("id", "title", "updated"):
        assert len(root.findall(ATOM + tag)) == 1, tag
    assert len(root.findall(f"{ATOM}link[@rel='self']")) == 1
    feed_has_author = root.find(ATOM + "author") is not None
    ids = []
    for entry in root.findall(ATOM + "entry"):
        for tag in ("id", "title", "updated"):
            assert len(entry.findall(ATOM + tag)) == 1, tag
        ids.append(entry.findtext(ATOM + "id"))
        assert feed_has_author or entry.find(ATOM + "author") is not None
        alternates = entry.findall(f"{ATOM}link[@rel='alternate']")
        assert len(alternates) == 1
        updated = entry.findtext(ATOM + "updated")
        assert updated.endswith("Z") and "T" in updated
    assert len(ids) == len(set(ids)), "entry ids must be unique"
    return root


@pytest.mark.parametrize("path", FEEDS)
async def test_atom_feeds_are_valid(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path.format(fmt="atom"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(r.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    check_atom_structure(r.content)


@pytest.mark.parametrize("path", FEEDS)
async def test_rss_feeds_are_valid(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path.format(fmt="rss"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/rss+xml")
    parsed = feedparser.parse(r.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    for entry in parsed.entries:
        assert entry.id == entry.link  # guid isPermaLink
        assert entry.published_parsed is not None


async def test_entries_are_stable_and_dated(client: httpx.AsyncClient) -> None:
    first = feedparser.parse((await client.get("/feeds/daily.atom")).content)
    again = feedparser.parse((await client.get("/feeds/daily.atom")).content)
    assert [e.id for e in first.entries] == [e.id for e in again.entries]
    assert first.feed.updated == again.feed.updated
    ids = {e.id for e in first.entries}
    assert "http://127.0.0.1:8000/papers/2607.10001" in ids
    entry = next(e for e in first.entries if e.id.endswith("2607.10001"))
    assert entry.updated == "2026-07-14T00:00:00Z"
    assert entry.title == "Sparse Diffusion Transformers for Fast Image Synthesis"
    assert [a.name for a in entry.authors] == ["Ada Lovelace", "Alan Turing"]
    assert {t.term for t in entry.tags} == {"cs.CV", "cs.LG"}


async def test_script_title_is_text_in_feeds(client: httpx.AsyncClient) -> None:
    for fmt in ("atom", "rss"):
        raw = (await client.get(f"/feeds/daily.{fmt}")).content
        assert b"<script>" not in raw
        parsed = feedparser.parse(raw)
        titles = [e.title for e in parsed.entries]
        assert "<script>alert(1)</script>" in titles


async def test_feed_errors(client: httpx.AsyncClient) -> None:
    assert (await client.get("/feeds/daily.json")).status_code == 404
    assert (await client.get("/feeds/nothing.atom")).status_code == 404
    assert (await client.get("/feeds/daily.atom?date=yesterday")).status_code == 400
    assert (await client.get("/feeds/trending.atom?window=year")).status_code == 400
    assert (await client.get("/feeds/category/%3Cb%3E.atom")).status_code == 400


async def test_home_advertises_feeds(client: httpx.AsyncClient) -> None:
    html = (await client.get("/")).text
    assert 'type="application/atom+xml"' in html
