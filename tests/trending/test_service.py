"""Trending end to end on a real SQLite store: signals in, materialised ranked lists out."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from tests.trending.helpers import DAY, add_papers, at, sig

from paperfeed.app import Paperfeed
from paperfeed.store import Store
from paperfeed.trending import StoreTrending, TrendingConfig


@dataclass
class Env:
    """What a test needs: a store on one backend and trending over it (named like `Paperfeed`'s)."""

    store: Store
    trending: StoreTrending


@pytest.fixture(name="env")
def env_fixture(store_backend: Store) -> Env:
    """Every test below runs on SQLite and on PostgreSQL (the `store_backend` fixture)."""
    return Env(store_backend, StoreTrending(store_backend))


def ranks(entries) -> list[str]:
    return [e.paper.id for e in entries]


def test_open_trending_through_the_app(pf: Paperfeed) -> None:
    assert isinstance(pf.trending, StoreTrending)
    assert pf.trending.list("day", DAY) == []  # an empty store: nothing to show, no error


def test_duplicate_upvotes_from_one_client_count_once(env: Env) -> None:
    add_papers(env.store, ("2607.00001", DAY, "cs.CL"), ("2607.00002", DAY, "cs.CL"))
    # paper 1: one client clicks upvote 30 times; paper 2: three different clients once each.
    env.store.add_signals(
        sig("2607.00001", "upvote", 1, at(DAY, 9), "local", actor="a1", network=f"n{i}") for i in range(30)
    )
    env.store.add_signals(
        sig("2607.00002", "upvote", 1, at(DAY, 9), "local", actor=f"b{i}", network=f"m{i}") for i in range(3)
    )
    entries = env.trending.list("day", DAY)
    assert ranks(entries) == ["2607.00002", "2607.00001"]
    explained = env.trending.explain("2607.00001", "day", DAY)
    assert explained is not None and explained.rank == 2
    assert "+1 upvotes here" in explained.explanation


def test_burst_from_one_network_is_damped(env: Env) -> None:
    add_papers(env.store, ("2607.00001", DAY, "cs.CL"), ("2607.00002", DAY, "cs.CL"))
    env.store.add_signals(
        sig("2607.00001", "upvote", 1, at(DAY), "local", actor=f"a{i}", network="one-range") for i in range(40)
    )
    env.store.add_signals(
        sig("2607.00002", "upvote", 1, at(DAY), "local", actor=f"b{i}", network=f"r{i}") for i in range(12)
    )
    assert ranks(env.trending.list("day", DAY)) == ["2607.00002", "2607.00001"]


def test_only_hf_and_only_github_papers_are_both_ranked(env: Env) -> None:
    add_papers(env.store, ("2607.00001", DAY, "cs.CL"), ("2607.00002", DAY, "cs.CV"), ("2607.00003", DAY, "cs.AI"))
    env.store.add_signals(
        [
            sig("2607.00001", "hf_upvotes", 25, at(DAY)),
            sig("2607.00002", "github_stars", 80, at(DAY), source="pwc"),
        ]
    )
    entries = env.trending.list("day", DAY)
    assert set(ranks(entries)[:2]) == {"2607.00001", "2607.00002"}
    assert ranks(entries)[2] == "2607.00003"  # no signal: still listed, by recency
    by_id = {e.paper.id: e for e in entries}
    assert set(by_id["2607.00001"].breakdown) == {"hf_upvotes", "recency"}
    assert set(by_id["2607.00002"].breakdown) == {"github_stars", "recency"}
    for e in entries:
        assert math.fsum(e.breakdown.values()) == pytest.approx(e.score, abs=1e-9)


def test_faster_recent_rise_outranks_larger_older_total(env: Env) -> None:
    old_pub, new_pub = DAY - timedelta(days=20), DAY - timedelta(days=2)
    add_papers(env.store, ("2607.00001", old_pub, "cs.CL"), ("2607.00002", new_pub, "cs.CL"))
    env.store.add_signals(
        [
            sig("2607.00001", "hf_upvotes", 400, at(old_pub + timedelta(days=1))),
            sig("2607.00001", "hf_upvotes", 410, at(DAY - timedelta(days=1))),
            sig("2607.00002", "hf_upvotes", 60, at(DAY - timedelta(days=1))),
        ]
    )
    assert ranks(env.trending.list("week", DAY)) == ["2607.00002", "2607.00001"]
    line = env.trending.explain("2607.00002", "week", DAY).explanation
    assert "+60 Hugging Face upvotes" in line and "published 2 days before" in line


def test_an_empty_day_falls_back_to_recency(env: Env) -> None:
    add_papers(env.store, *[(f"2607.0000{i}", DAY - timedelta(days=i), "cs.CL") for i in range(1, 6)])
    later = DAY + timedelta(days=3)  # nothing published or observed that day
    entries = env.trending.list("day", later)
    assert ranks(entries) == [f"2607.0000{i}" for i in range(1, 6)]
    assert all(set(e.breakdown) == {"recency"} for e in entries)
    assert entries[0].explanation.startswith("No engagement on 2026-08-03 yet; ranked by recency")


def test_category_filter_and_paging(env: Env) -> None:
    add_papers(env.store, *[(f"2607.1{i:04d}", DAY, "cs.CL" if i % 2 else "cs.CV") for i in range(20)])
    env.store.add_signals(sig(f"2607.1{i:04d}", "hf_upvotes", i + 1, at(DAY)) for i in range(20))
    top = env.trending.list("day", DAY, category="cs.CL", limit=3)
    assert ranks(top) == ["2607.10019", "2607.10017", "2607.10015"]
    assert ranks(env.trending.list("day", DAY, category="cs.CL", limit=3, offset=3))[0] == "2607.10013"
    # A category with no paper on the list still shows its newest papers.
    add_papers(env.store, ("2607.20000", DAY - timedelta(days=400), "math.AG"))
    assert ranks(env.trending.list("day", DAY, category="math.AG")) == ["2607.20000"]


def test_refresh_is_incremental(env: Env) -> None:
    add_papers(env.store, ("2607.00001", DAY, "cs.CL"), ("2607.00002", DAY, "cs.CL"))
    trending = env.trending
    first = trending.refresh(DAY)
    assert first.recomputed == ["day", "week", "month"]
    assert trending.refresh(DAY).recomputed == []  # nothing new: nothing recomputed
    assert ranks(trending.list("day", DAY)) == ["2607.00002", "2607.00001"]  # equal: newer id first
    env.store.add_signals([sig("2607.00001", "hf_upvotes", 9, at(DAY, 18))])
    assert ranks(trending.list("day", DAY))[0] == "2607.00002"  # served from the list, not rescanned
    report = trending.refresh(DAY)
    assert report.recomputed == ["day", "week", "month"]
    assert ranks(trending.list("day", DAY))[0] == "2607.00001"


def test_refresh_drops_later_days_that_new_signals_touch(env: Env) -> None:
    add_papers(env.store, ("2607.00001", DAY, "cs.CL"), ("2607.00002", DAY, "cs.CL"))
    trending = env.trending
    later = DAY + timedelta(days=2)
    trending.refresh(later)
    assert ranks(trending.list("week", later))[0] == "2607.00002"
    env.store.add_signals([sig("2607.00001", "github_stars", 30, at(DAY + timedelta(days=1)), source="pwc")])
    report = trending.refresh(DAY)  # a backfill for an earlier day
    assert report.dropped_rows > 0  # `later`'s lists are stale now
    assert ranks(trending.list("week", later))[0] == "2607.00001"  # rebuilt on demand


def test_signals_after_the_day_do_not_count(env: Env) -> None:
    add_papers(env.store, ("2607.00001", DAY, "cs.CL"), ("2607.00002", DAY, "cs.CL"))
    env.store.add_signals([sig("2607.00001", "hf_upvotes", 50, at(DAY + timedelta(days=1)))])
    assert set(env.trending.list("day", DAY)[0].breakdown) == {"recency"}


def test_explain_unknown_and_unlisted(env: Env) -> None:
    add_papers(env.store, ("2607.00001", DAY, "cs.CL"), ("2001.00001", DAY - timedelta(days=2000), "cs.CL"))
    env.store.add_signals([sig("2607.00001", "hf_upvotes", 5, at(DAY))])
    trending = StoreTrending(env.store, TrendingConfig(fallback_pool=1))
    assert trending.explain("9999.99999", "day", DAY) is None
    unlisted = trending.explain("2001.00001", "day", DAY + timedelta(days=1))
    assert unlisted is not None and unlisted.rank == 0  # not on the list, and says why
    assert unlisted.explanation.startswith("Not on this list: no engagement on 2026-08-01")
    early = trending.explain("2607.00001", "day", DAY - timedelta(days=1))
    assert early.rank == 0 and "after 2026-07-30" in early.explanation


def test_bad_parameters_are_named(env: Env) -> None:
    with pytest.raises(ValueError, match="window"):
        env.trending.list("year", DAY)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit"):
        env.trending.list("day", DAY, limit=0)
    with pytest.raises(ValueError, match="offset"):
        env.trending.list("day", DAY, offset=-1)
    with pytest.raises(ValueError, match="since"):
        env.trending.range(DAY, DAY - timedelta(days=1))


def test_custom_range(env: Env) -> None:
    add_papers(env.store, ("2607.00001", DAY - timedelta(days=10), "cs.CL"), ("2607.00002", DAY, "cs.CL"))
    env.store.add_signals([sig("2607.00001", "hf_upvotes", 30, at(DAY - timedelta(days=9)))])
    span = env.trending.range(DAY - timedelta(days=12), DAY - timedelta(days=8))
    assert ranks(span) == ["2607.00001"]  # 2607.00002 was published after the range
    assert "from 2026-07-19 to 2026-07-23" in span[0].explanation


def test_one_read_of_the_month_gives_the_same_week_and_day(env: Env) -> None:
    add_papers(env.store, *[(f"2607.0000{i}", DAY - timedelta(days=3 * i), "cs.CL") for i in range(1, 8)])
    signals = []
    for i in range(1, 8):
        pid = f"2607.0000{i}"
        for d in range(0, 25, 2):
            when = at(DAY - timedelta(days=d), hour=6 + i)
            signals.append(sig(pid, "hf_upvotes", 100 - 3 * d + i, when))
            signals.append(sig(pid, "view", 1, when, "local", actor=f"v{d}", network=f"n{i}"))
    env.store.add_signals(signals)
    month = env.trending.fetch(DAY - timedelta(days=29), DAY)
    for window, days in (("week", 7), ("day", 1)):
        start = DAY - timedelta(days=days - 1)
        alone = env.trending.compute(start, DAY, window)
        shared = env.trending.compute(start, DAY, window, month)
        assert [(s.paper_id, s.score, s.rises) for s in shared.scored] == [
            (s.paper_id, s.score, s.rises) for s in alone.scored
        ]


def test_a_future_day_is_trending_as_of_today(env: Env) -> None:
    today = datetime.now(UTC).date()
    add_papers(env.store, ("2607.00001", today - timedelta(days=1), "cs.CL"), ("2607.00002", today, "cs.CL"))
    env.store.add_signals([sig("2607.00001", "hf_upvotes", 40, datetime.now(UTC) - timedelta(minutes=5))])
    later = env.trending.list("week", today + timedelta(days=5))  # e.g. the end of this calendar week
    assert ranks(later) == ranks(env.trending.list("week", today)) == ["2607.00001", "2607.00002"]
    assert env.store.trending_meta("week", today + timedelta(days=5)) is None  # nothing stored for the future
