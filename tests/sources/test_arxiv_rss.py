"""The daily listing feed: announce types new / cross / replace, announced dates, RSS and Atom."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from paperfeed.models import PaperRecord
from paperfeed.sources.arxiv_rss import ArxivRssSource, parse_feed
from paperfeed.sources.base import Rejection, SourceError

RSS = "fixtures/arxiv_rss"
FEEDS = {
    "jmamath_distill__arxiv_cs_ai.rss.xml": {"new": 3},
    "jmamath_distill__arxiv_cs_cl.rss.xml": {"new": 3},
    "jmamath_distill__arxiv_cs_lg.rss.xml": {"new": 3},
    "msudars_laya-reader__multi_cs.LG+cs.AI+cs.CL+stat.ML.rss.xml": {"new": 2, "cross": 1, "replace": 1},
}


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_real_feeds_announce_types(shared_dir: Path, name: str) -> None:
    feed = parse_feed((shared_dir / RSS / name).read_bytes(), name)
    counts: dict[str, int] = {}
    for listing in feed.listings:
        counts[listing.announce_type] = counts.get(listing.announce_type, 0) + 1
    assert counts == FEEDS[name]
    assert len(feed.items) == len(feed.listings)
    for listing in feed.listings:
        rec = listing.record
        assert rec.title and rec.abstract and rec.authors and rec.categories and rec.version
        assert not rec.abstract.startswith(("arXiv:", "Abstract:"))
        if listing.announce_type == "new":
            assert rec.announced == feed.feed_date and rec.updated is None


def test_real_new_cross_replace(shared_dir: Path) -> None:
    feed = parse_feed((shared_dir / RSS / "msudars_laya-reader__multi_cs.LG+cs.AI+cs.CL+stat.ML.rss.xml").read_bytes())
    assert feed.feed_date == date(2026, 9, 24)  # the listing's own day, not shifted to UTC
    by_type = {listing.announce_type: listing.record for listing in feed.listings}
    new = by_type["new"]
    assert new.announced == date(2026, 9, 24) and new.version == 1
    cross = by_type["cross"]
    assert (cross.id, cross.version) == ("2205.06398", 2)
    assert cross.categories == ["stat.ME", "stat.AP", "stat.ML"]  # its own primary first
    assert cross.announced is None  # a v2 cross-list is not this paper's first announcement
    assert cross.doi == "10.1093/bioinformatics/btac431"
    replace = by_type["replace"]
    assert (replace.id, replace.version) == ("2009.13987", 3)  # the version bump
    assert replace.updated == date(2026, 9, 24) and replace.announced is None
    assert replace.authors == ["Michael Joswig", "Marek Kaluba", "Lukas Ruff"]


def test_real_feed_through_the_source(shared_dir: Path, replay, clock) -> None:
    body = (shared_dir / RSS / "msudars_laya-reader__multi_cs.LG+cs.AI+cs.CL+stat.ML.rss.xml").read_bytes()
    rp = replay(lambda path, params: (200, {"Content-Type": "application/rss+xml"}, body))
    source = ArxivRssSource(rp.client(clock), "https://rss.arxiv.org/rss", ["cs.LG", "cs.AI", "cs.CL", "stat.ML"])
    items = list(source.read())
    assert len(items) == 4 and all(isinstance(i, PaperRecord) for i in items)
    assert rp.requests[0].url.path == "/rss/cs.LG+cs.AI+cs.CL+stat.ML"
    assert source.counts == {"new": 2, "cross": 1, "replace": 1}
    assert source.position() is None and source.checkpoint_key is None


# -- hand-written fixtures (always run) ---------------------------------------------------------------


def test_own_rss_every_type(testdata: Path) -> None:
    feed = parse_feed((testdata / "rss_listing.xml").read_bytes(), "own rss")
    kinds = [item.announce_type for item in feed.listings]
    assert kinds == ["new", "cross", "replace", "replace-cross"]
    new, cross, replace, replace_cross = (item.record for item in feed.listings)
    assert new.announced == date(2026, 1, 14) and new.authors == ["Ada Lovelace", "Charles Babbage"]
    assert new.abstract == "Brand new today." and new.categories == ["cs.DL", "cs.IR"]
    assert cross.announced == date(2026, 1, 14) and cross.categories == ["stat.ML", "cs.DL"]  # v1: new today
    assert replace.version == 4 and replace.updated == date(2026, 1, 14) and replace.announced is None
    assert replace.doi == "10.5555/replaced"
    assert replace_cross.version == 2 and replace_cross.announced is None
    assert replace_cross.categories == ["math.ST", "cs.DL"]
    (bad,) = [i for i in feed.items if isinstance(i, Rejection)]
    assert bad.field == "guid" and "not-an-id" in bad.message and "item 5" in bad.origin


def test_own_atom_form(testdata: Path) -> None:
    feed = parse_feed((testdata / "rss_listing.atom").read_bytes())
    new, replace = (item.record for item in feed.listings)
    assert new.id == "2601.00020" and new.announced == date(2026, 1, 14)
    assert new.authors == ["Ada Lovelace", "Charles Babbage"]
    assert replace.version == 4 and replace.updated == date(2026, 1, 14) and replace.authors == ["Grace Hopper"]


def test_own_feed_through_loopback(loopback, testdata: Path, clock) -> None:
    server = loopback(lambda path, params: (200, {}, (testdata / "rss_listing.xml").read_bytes()))
    source = ArxivRssSource(server.client(clock), server.url + "/rss/", ["cs.DL", "cs.IR"])
    items = list(source.read())
    assert len([i for i in items if isinstance(i, PaperRecord)]) == 4
    assert len([i for i in items if isinstance(i, Rejection)]) == 1
    assert server.hits[0][0] == "/rss/cs.DL+cs.IR"


def test_bad_categories_and_bodies() -> None:
    from paperfeed.sources.http import HttpClient

    with HttpClient() as client:
        with pytest.raises(SourceError, match="not an arXiv category: Machine Learning"):
            ArxivRssSource(client, "https://rss.arxiv.org/rss", ["cs.LG", "Machine Learning"])
        with pytest.raises(SourceError, match="at least one category"):
            ArxivRssSource(client, "https://rss.arxiv.org/rss", [])
    with pytest.raises(SourceError, match="neither an RSS nor an Atom feed"):
        parse_feed(b"<html><body>maintenance</body></html>")
