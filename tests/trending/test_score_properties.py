"""Property tests of the formula over random inputs (hypothesis): the breakdown always adds up,
more rise never scores lower, more age never scores higher."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from paperfeed.trending.config import CUMULATIVE_KINDS, EVENT_KINDS, TrendingConfig
from paperfeed.trending.score import score_papers

CFG = TrendingConfig()
KINDS = st.sampled_from([*EVENT_KINDS, *CUMULATIVE_KINDS])
RISES = st.dictionaries(
    st.sampled_from([f"p{i}" for i in range(12)]),
    st.dictionaries(KINDS, st.floats(min_value=0, max_value=1e6, allow_nan=False), max_size=6),
    min_size=1,
)
WINDOWS = st.sampled_from(["day", "week", "month"])


def _ages(rises: dict, age: int = 2) -> dict[str, int]:
    return {pid: age for pid in rises}


@settings(max_examples=150, deadline=None)
@given(RISES, WINDOWS, st.integers(min_value=0, max_value=400))
def test_breakdown_adds_up_and_ranks_are_ordered(rises: dict, window: str, age: int) -> None:
    scored = score_papers(rises, _ages(rises, age), window, CFG)
    for s in scored:
        assert math.fsum(s.contributions.values()) == s.score
        assert s.score > 0  # the recency term: every candidate is rankable
    assert [s.score for s in scored] == sorted((s.score for s in scored), reverse=True)


@settings(max_examples=150, deadline=None)
@given(RISES, WINDOWS, KINDS, st.floats(min_value=0.5, max_value=1e4))
def test_more_rise_never_scores_lower(rises: dict, window: str, kind: str, extra: float) -> None:
    pid = sorted(rises)[0]
    before = {s.paper_id: s.score for s in score_papers(rises, _ages(rises), window, CFG)}[pid]
    bumped = {k: dict(v) for k, v in rises.items()}
    bumped[pid][kind] = bumped[pid].get(kind, 0.0) + extra
    after = {s.paper_id: s.score for s in score_papers(bumped, _ages(bumped), window, CFG)}[pid]
    assert after >= before * (1 - 1e-12)


@settings(max_examples=100, deadline=None)
@given(RISES, WINDOWS, st.integers(min_value=0, max_value=100), st.integers(min_value=1, max_value=100))
def test_more_age_never_scores_higher(rises: dict, window: str, age: int, older: int) -> None:
    pid = sorted(rises)[0]
    young = _ages(rises, age)
    old = dict(young)
    old[pid] = age + older
    s_young = {s.paper_id: s.score for s in score_papers(rises, young, window, CFG)}[pid]
    s_old = {s.paper_id: s.score for s in score_papers(rises, old, window, CFG)}[pid]
    assert s_old < s_young
    assert math.isclose(s_old / s_young, 0.5 ** (older / CFG.half_life(window)), rel_tol=1e-9)
