"""Trending end to end on a real store (SQLite and PostgreSQL): signals in, current ranked lists out.

"Now" is an injected clock (`Env.now`), so tests move time instead of waiting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from tests.trending.helpers import DAY, add_papers, at, sig

from paperfeed.app import Paperfeed
from paperfeed.models import PaperRecord
from paperfeed.store import Store
from paperfeed.trending import StoreTrending, TrendingConfig


@dataclass
class Env:
    """A store on one backend and trending over it, with a clock the test moves."""

    store: Store
    now: list[datetime] = field(default_factory=lambda: [at(DAY, 23)])
    trending: StoreTrending = field(init=False)

    def __post_init__(self) -> None:
        self.trending = StoreTrending(self.store, clock=lambda: self.now[0])

    def move_to(self, when: datetime) -> None:
        self.now[0] = when


@pytest.fixture(name="env")
def env_fixture(store_backend: Store) -> Env:
    """Every test below runs on SQLite and on PostgreSQL (the `store_backend` fixture)."""
    return Env(store_backend)


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
    entries = env.trending.list("day")
    assert ranks(entries) == ["2607.00002", "2607.00001"]
    explained = env.trending.explain("2607.00001", "day")
    assert explained is not None and explained.rank == 2
    assert "+1 upvote here (" in explained.explanation  # a whole count, singular


def test_burst_from_one_network_is_damped(env: Env) -> None:
    add_papers(env.store, ("2607.00001", DAY, "cs.CL"), ("2607.00002", DAY, "cs.CL"))
    env.store.add_signals(
        sig("2607.00001", "upvote", 1, at(DAY), "local", actor=f"a{i}", network="one-range") for i in range(40)
    )
    env.store.add_signals(
        sig("2607.00002", "upvote", 1, at(DAY), "local", actor=f"b{i}", network=f"r{i}") for i in range(12)
    )
    assert ranks(env.trending.list("day")) == ["2607.00002", "2607.00001"]


def test_only_hf_and_only_github_papers_are_both_ranked(env: Env) -> None:
    add_papers(env.store, ("2607.00001", DAY, "cs.CL"), ("2607.00002", DAY, "cs.CV"), ("2607.00003", DAY, "cs.AI"))
    env.store.add_signals(
        [
            sig("2607.00001", "hf_upvotes", 25, at(DAY)),
            sig("2607.00002", "github_stars", 80, at(DAY), source="pwc"),
        ]
    )
    entries = env.trending.list("day")
    assert set(ranks(entries)) == {"2607.00001", "2607.00002"}  # no engagement: not trending
    by_id = {e.paper.id: e for e in entries}
    assert set(by_id["2607.00001"].breakdown) == {"hf_upvotes", "recency"}
    assert set(by_id["2607.00002"].breakdown) == {"github_stars", "recency"}
    for e in entries:
        assert math.fsum(e.breakdown.values()) == pytest.approx(e.score, abs=1e-9)
    unlisted = env.trending.explain("2607.00003", "day")
    assert unlisted is not None and unlisted.rank == 0
    assert unlisted.explanation == "Not on this list: no engagement on 2026-07-31."


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
    assert ranks(env.trending.list("week")) == ["2607.00002", "2607.00001"]
    line = env.trending.explain("2607.00002", "week").explanation
    assert "+60 Hugging Face upvotes" in line and "published 2 days before" in line


def test_papers_without_a_date_are_never_trending(env: Env) -> None:
    env.store.upsert_papers(
        [PaperRecord(id="h:1ffa0000", title="A seed-page paper", abstract="x", categories=["cs.CL"], source="test")]
    )
    add_papers(env.store, ("2607.00001", DAY, "cs.CL"))
    env.store.add_signals([sig("h:1ffa0000", "hf_upvotes", 500, at(DAY)), sig("2607.00001", "hf_upvotes", 3, at(DAY))])
    for window in ("day", "week", "month"):
        assert ranks(env.trending.list(window)) == ["2607.00001"]
    line = env.trending.explain("h:1ffa0000", "week").explanation
    assert line == "Not on trending lists: its publication date is unknown."


def test_category_filter_and_paging(env: Env) -> None:
    add_papers(env.store, *[(f"2607.1{i:04d}", DAY, "cs.CL" if i % 2 else "cs.CV") for i in range(20)])
    env.store.add_signals(sig(f"2607.1{i:04d}", "hf_upvotes", i + 1, at(DAY)) for i in range(20))
    top = env.trending.list("day", category="cs.CL", limit=3)
    assert ranks(top) == ["2607.10019", "2607.10017", "2607.10015"]
    assert [e.rank for e in top] == [1, 2, 3]
    assert ranks(env.trending.list("day", category="cs.CL", limit=3, offset=3))[0] == "2607.10013"
    assert env.trending.list("day", category="math.AG") == []  # nothing rising there: nothing shown


def test_a_new_signal_counts_at_once_without_a_rebuild(env: Env) -> None:
    add_papers(env.store, ("2607.00001", DAY, "cs.CL"), ("2607.00002", DAY, "cs.CL"))
    env.store.add_signals([sig("2607.00002", "hf_upvotes", 4, at(DAY, 8))])
    first = env.trending.refresh()
    assert first.recomputed == ["day", "week", "month"] and first.rolled_up == 1
    again = env.trending.refresh()
    assert again.recomputed == [] and again.patched == []  # nothing new: nothing done
    built = env.store.trending_meta("day", DAY)
    assert built is not None
    env.store.add_signals([sig("2607.00001", "hf_upvotes", 40, at(DAY, 18))])
    entries = env.trending.list("day")  # asked for while behind: it catches up first
    assert ranks(entries) == ["2607.00001", "2607.00002"]
    meta = env.store.trending_meta("day", DAY)
    assert meta is not None and meta["built_at"] == built["built_at"] and meta["signal_id"] > built["signal_id"]
    assert meta["scales"] == built["scales"]  # patched on the list's own scale, not rebuilt
    explained = env.trending.explain("2607.00001", "day")
    assert explained.rank == 1 and "+40 Hugging Face upvotes" in explained.explanation


def test_the_windows_move_with_the_clock(env: Env) -> None:
    add_papers(env.store, ("2607.00001", DAY - timedelta(days=1), "cs.CL"))
    env.store.add_signals([sig("2607.00001", "upvote", 1, at(DAY, 9), "local", actor="a", network="n")])
    assert ranks(env.trending.list("day")) == ["2607.00001"]
    env.move_to(at(DAY + timedelta(days=1), 8))  # the next day: today's window has no engagement yet
    assert env.trending.list("day") == []
    assert ranks(env.trending.list("week")) == ["2607.00001"]
    env.move_to(at(DAY + timedelta(days=8), 8))
    assert env.trending.list("week") == []
    assert "published 9 days before" in env.trending.list("month")[0].explanation


def test_a_running_total_spreads_over_the_days_since_its_last_count(env: Env) -> None:
    add_papers(env.store, ("2607.00001", DAY - timedelta(days=9), "cs.CL"))
    env.store.add_signals(
        [
            sig("2607.00001", "github_stars", 100, at(DAY - timedelta(days=5), 0)),
            sig("2607.00001", "github_stars", 150, at(DAY, 0)),  # +50 over five days: +10 a day
        ]
    )
    env.move_to(at(DAY, 12))
    week = env.trending.explain("2607.00001", "week")
    # The first 100 accrued over the 4 days since publication (25 a day): the week to DAY holds
    # the last of those days, and the 50 that followed (10 a day over the 5 days before DAY).
    assert week.rises["github_stars"] == pytest.approx(75, abs=1e-6)
    day = env.trending.explain("2607.00001", "day")
    assert day.rank == 0  # the increase accrued before DAY: nothing rose today


def test_old_days_lists_are_forgotten_by_refresh(env: Env) -> None:
    add_papers(env.store, ("2607.00001", DAY, "cs.CL"))
    env.store.add_signals([sig("2607.00001", "hf_upvotes", 3, at(DAY))])
    env.trending.refresh()
    env.move_to(at(DAY + timedelta(days=5)))
    report = env.trending.refresh()
    assert report.dropped_rows > 0 and env.store.trending_meta("week", DAY) is None
    assert ranks(env.trending.list("week", DAY)) == ["2607.00001"]  # a past day is rebuilt when asked for


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


def test_a_future_day_is_trending_as_of_today(env: Env) -> None:
    add_papers(env.store, ("2607.00001", DAY - timedelta(days=1), "cs.CL"), ("2607.00002", DAY, "cs.CL"))
    env.store.add_signals([sig("2607.00001", "hf_upvotes", 40, at(DAY, 22))])
    later = env.trending.list("week", DAY + timedelta(days=5))  # e.g. the end of this calendar week
    assert ranks(later) == ranks(env.trending.list("week", DAY)) == ["2607.00001"]
    assert env.store.trending_meta("week", DAY + timedelta(days=5)) is None  # nothing stored for the future


def test_the_rollup_matches_the_formula_read_from_raw_signals(env: Env) -> None:
    """Folding signal by signal gives the same rises as differencing the whole history at once."""
    from paperfeed.trending.score import cumulative_rise, event_rises

    add_papers(env.store, *[(f"2607.0000{i}", DAY - timedelta(days=3 * i), "cs.CL") for i in range(1, 6)])
    signals = []
    for i in range(1, 6):
        pid = f"2607.0000{i}"
        for d in range(0, 25, 2):
            when = at(DAY - timedelta(days=d), hour=6 + i)
            signals.append(sig(pid, "hf_upvotes", 100 - 3 * d + i, when))
            signals.append(sig(pid, "view", 1, when, "local", actor=f"v{d}", network=f"n{i % 2}"))
    signals.sort(key=lambda x: x.observed_at)  # they arrive as they are observed, in two batches
    half = len(signals) // 2
    for chunk in (signals[:half], signals[half:]):
        env.store.add_signals(chunk)
        env.trending.catch_up()
    start = DAY - timedelta(days=6)
    computed = env.trending.compute(start, DAY, "week")
    lo, hi = at(start, 0).timestamp(), at(DAY + timedelta(days=1), 0).timestamp()
    for s in computed.scored:
        pid = s.paper_id
        obs = sorted((x.observed_at.timestamp(), x.value) for x in signals if x.paper_id == pid and x.kind != "view")
        pub = at(DAY - timedelta(days=3 * int(pid[-1])), 0).timestamp()
        assert s.rises["hf_upvotes"] == pytest.approx(cumulative_rise(obs, None, pub, lo, hi), rel=1e-9)
        events = [
            (pid, "view", 1.0, x.actor, x.network)
            for x in signals
            if x.paper_id == pid and x.kind == "view" and lo <= x.observed_at.timestamp() < hi
        ]
        assert s.rises["view"] == pytest.approx(event_rises(events)[(pid, "view")], rel=1e-9)


def test_only_the_papers_with_new_signals_are_rescored(env: Env) -> None:
    add_papers(env.store, *[(f"2607.1{i:04d}", DAY, "cs.CL") for i in range(30)])
    env.store.add_signals(sig(f"2607.1{i:04d}", "hf_upvotes", i + 1, at(DAY, 6)) for i in range(30))
    trending = StoreTrending(env.store, TrendingConfig(), clock=lambda: env.now[0])
    trending.refresh()
    before = {e.paper.id: e.score for e in trending.list("day", limit=100)}
    env.store.add_signals([sig("2607.10000", "hf_upvotes", 100, at(DAY, 20))])
    after = {e.paper.id: e.score for e in trending.list("day", limit=100)}
    changed = {pid for pid in after if after[pid] != before[pid]}
    assert changed == {"2607.10000"}
    assert next(iter(after)) == "2607.10000"
