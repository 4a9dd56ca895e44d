"""The formula's properties, pinned on the pure functions (no database)."""

from __future__ import annotations

import math

import pytest

from paperfeed.trending.config import TrendingConfig
from paperfeed.trending.score import (
    DAY_S,
    cumulative_rise,
    damp_burst,
    decay,
    event_rises,
    quantile,
    scales,
    score_papers,
)

CFG = TrendingConfig()
START, END = 100 * DAY_S, 107 * DAY_S  # a week window


def test_decay_halves_per_half_life_exactly() -> None:
    assert decay(0, 7) == 1.0
    assert decay(7, 7) == 0.5
    assert decay(14, 7) == 0.25
    assert decay(-3, 7) == 1.0  # published "after" the day (clock skew) is not a bonus


@pytest.mark.parametrize("window", ["day", "week", "month"])
def test_score_decays_by_the_configured_half_life(window: str) -> None:
    half_life = CFG.half_life(window)
    age = int(half_life) if half_life == int(half_life) else 3
    rises = {"new": {"hf_upvotes": 30.0}, "old": {"hf_upvotes": 30.0}}
    scored = {s.paper_id: s for s in score_papers(rises, {"new": 0, "old": age}, window, CFG)}
    assert scored["old"].score / scored["new"].score == pytest.approx(0.5 ** (age / half_life), rel=1e-12)


def test_custom_half_life_is_used() -> None:
    cfg = TrendingConfig().with_overrides(half_lives={"week": 2.0})
    rises = {"a": {"github_stars": 100.0}, "b": {"github_stars": 100.0}}
    scored = {s.paper_id: s for s in score_papers(rises, {"a": 0, "b": 2}, "week", cfg)}
    assert scored["b"].score == pytest.approx(scored["a"].score / 2, rel=1e-12)


def test_faster_recent_rise_beats_larger_older_total() -> None:
    # "big": 5,000 stars, but only +20 of them this week (it was at 4,980 before).
    big = cumulative_rise([(START + 3 * DAY_S, 5000.0)], (4980.0, START - 2 * DAY_S), None, START, END)
    # "fast": first seen this week at 300 stars, published 3 days before the window's end.
    fast = cumulative_rise([(END - DAY_S, 300.0)], None, END - 3 * DAY_S, START, END)
    assert big == pytest.approx(20 * 3 / 5)  # only the part of the rise inside the window
    assert fast == 300.0
    ranked = score_papers(
        {"big": {"github_stars": big}, "fast": {"github_stars": fast}}, {"big": 3, "fast": 3}, "week", CFG
    )
    assert [s.paper_id for s in ranked] == ["fast", "big"]
    # Even a much older paper with the same large total does not catch up on velocity.
    ranked = score_papers(
        {"big": {"github_stars": big}, "fast": {"github_stars": fast}}, {"big": 400, "fast": 3}, "week", CFG
    )
    assert ranked[0].paper_id == "fast"


def test_first_observation_counts_as_rise_since_publication() -> None:
    # Published 10 days before the window ends, first seen at its end with 100: 70 fall in the week.
    rise = cumulative_rise([(END, 100.0)], None, END - 10 * DAY_S, START, END)
    assert rise == pytest.approx(70.0)
    # No publication date known: the whole first count is dated at its observation.
    assert cumulative_rise([(END - 1, 100.0)], None, None, START, END) == 100.0


def test_cumulative_differencing_ignores_dips_and_repeats() -> None:
    obs = [(START + DAY_S, 50.0), (START + 2 * DAY_S, 40.0), (START + 3 * DAY_S, 50.0), (START + 4 * DAY_S, 55.0)]
    assert cumulative_rise(obs, (50.0, START), None, START, END) == pytest.approx(5.0)
    # The same count observed twice adds nothing.
    assert cumulative_rise([(START + DAY_S, 50.0), (START + 2 * DAY_S, 50.0)], (50.0, START), None, START, END) == 0


def test_duplicate_upvotes_from_one_actor_count_once() -> None:
    events = [("p", "upvote", 1.0, "actor-1", None)] * 25 + [("p", "upvote", 1.0, "actor-2", None)]
    assert event_rises(events) == {("p", "upvote"): 2.0}
    # The same actor upvoting another paper still counts there.
    events.append(("q", "upvote", 1.0, "actor-1", None))
    assert event_rises(events)[("q", "upvote")] == 1.0


def test_burst_from_one_network_is_damped() -> None:
    one_net = [("p", "upvote", 1.0, f"a{i}", "net-1") for i in range(52)]
    spread = [("q", "upvote", 1.0, f"b{i}", f"net-{i}") for i in range(52)]
    rises = event_rises(one_net + spread, burst_free=3.0)
    assert rises[("q", "upvote")] == 52.0
    assert rises[("p", "upvote")] == pytest.approx(3 + math.sqrt(49))
    assert damp_burst(2.0, 3.0) == 2.0  # a few colleagues behind one NAT are not penalised


def test_only_hf_and_only_github_are_both_rankable_and_comparable() -> None:
    rises = {"hf": {"hf_upvotes": 40.0}, "gh": {"github_stars": 120.0}, "none": {}}
    ranked = score_papers(rises, {"hf": 1, "gh": 1, "none": 1}, "week", CFG)
    by_id = {s.paper_id: s for s in ranked}
    assert by_id["hf"].score > by_id["none"].score
    assert by_id["gh"].score > by_id["none"].score
    # Normalised per kind: each paper is the top of its own kind, so neither source dominates.
    assert by_id["hf"].contributions["hf_upvotes"] == pytest.approx(by_id["gh"].contributions["github_stars"])


def test_no_signals_rank_by_recency() -> None:
    ranked = score_papers({}, {"old": 5, "new": 0, "mid": 2}, "day", CFG)
    assert [s.paper_id for s in ranked] == ["new", "mid", "old"]
    assert all(set(s.contributions) == {"recency"} for s in ranked)


def test_breakdown_sums_to_score() -> None:
    rises = {"a": {"hf_upvotes": 12.0, "github_stars": 3.0, "view": 9.0, "upvote": 2.0}, "b": {"click": 1.0}}
    for s in score_papers(rises, {"a": 2, "b": 0}, "month", CFG):
        assert math.fsum(s.contributions.values()) == pytest.approx(s.score, abs=1e-12)


def test_scale_floor_keeps_a_single_view_small() -> None:
    # One view on a quiet day is not worth as much as a paper at the top of a busy kind.
    rises = {"v": {"view": 1.0}, **{f"h{i}": {"hf_upvotes": float(10 + i)} for i in range(40)}}
    s = scales(rises, CFG)
    assert s["view"] == pytest.approx(math.log1p(CFG.floor("view")))
    assert s["hf_upvotes"] == pytest.approx(math.log1p(quantile([10.0 + i for i in range(40)], 0.95)))


def test_config_overrides_reject_unknown_names() -> None:
    with pytest.raises(ValueError, match="half-lives"):
        TrendingConfig().with_overrides(half_lives={"year": 3})
    with pytest.raises(ValueError, match="weights"):
        TrendingConfig().with_overrides(weights={"likes": 1})
