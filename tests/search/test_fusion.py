"""Fusion of two rankings: hand-computed RRF and normalised-score examples."""

from __future__ import annotations

import pytest

from paperfeed.search.fusion import FusionParams, fuse, normalise, rrf_scores

RRF = FusionParams(method="rrf", k=60, lexical_weight=1.0, dense_weight=1.0)


def test_default_is_the_tuned_zscore_blend() -> None:
    out = fuse((["a", "b"], [3.0, 1.0]), (["b", "c", "a"], [0.9, 0.7, 0.5]))
    # z-scores: lexical a=+1, b=-1 (c missing: the list's lowest, -1); dense b=+1.2247, c=0, a=-1.2247
    # -> weights 0.55/0.45: b 0.0011, a -0.0011, c -0.55
    assert [(f.id, round(f.score, 4)) for f in out] == [("b", 0.0011), ("a", -0.0011), ("c", -0.55)]


def test_rrf_by_hand() -> None:
    scores = rrf_scores([["a", "b", "c"], ["c", "a"]], [1.0, 1.0], k=60)
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert scores["b"] == pytest.approx(1 / 62)
    assert scores["c"] == pytest.approx(1 / 63 + 1 / 61)


def test_fuse_keeps_components_and_orders_best_first() -> None:
    out = fuse((["a", "b", "c"], [9.0, 5.0, 1.0]), (["c", "a", "d"], [0.9, 0.8, 0.1]), RRF)
    assert [f.id for f in out] == ["a", "c", "b", "d"]
    a = out[0]
    assert (a.lexical_rank, a.dense_rank, a.lexical_score, a.dense_score) == (1, 2, 9.0, 0.8)
    d = out[-1]
    assert (d.lexical_rank, d.dense_rank) == (None, 3)


def test_weights_shift_the_balance() -> None:
    lex, den = (["a", "b"], [2.0, 1.0]), (["b", "a"], [0.9, 0.1])
    for method in ("rrf", "linear"):
        assert fuse(lex, den, FusionParams(method=method, lexical_weight=2.0, dense_weight=1.0))[0].id == "a"
        assert fuse(lex, den, FusionParams(method=method, lexical_weight=1.0, dense_weight=2.0))[0].id == "b"


def test_linear_minmax_by_hand() -> None:
    out = fuse(
        (["a", "b"], [10.0, 0.0]),
        (["b", "c"], [0.5, 0.3]),
        FusionParams(method="linear", lexical_weight=0.5, dense_weight=0.5, normalise="minmax"),
    )
    got = {f.id: f.score for f in out}
    assert got == pytest.approx({"a": 0.5, "b": 0.5, "c": 0.0})
    assert [f.id for f in out][:2] == ["a", "b"]  # tie broken by best single rank, then id


def test_normalise_edge_cases() -> None:
    assert normalise([]) == []
    assert normalise([3.0, 3.0]) == [1.0, 1.0]
    assert normalise([1.0, 3.0], "zscore") == pytest.approx([-1.0, 1.0])
    assert normalise([2.0, 2.0], "zscore") == [1.0, 1.0]


def test_a_single_keyword_hit_is_not_drowned_by_dense_neighbours() -> None:
    # Before the fix a one-element list z-scored to 0 and the keyword match counted for nothing.
    out = fuse((["rare"], [7.0]), (["d1", "rare", "d2"], [0.9, 0.85, 0.1]))
    assert out[0].id == "rare"


def test_empty_inputs() -> None:
    assert fuse(([], []), ([], [])) == []
    assert [f.id for f in fuse((["x"], [1.0]), ([], []))] == ["x"]
    assert [f.id for f in fuse(([], []), (["y"], [0.3]))] == ["y"]


def test_combine_sums_weighted_zscores_and_floors_missing_documents() -> None:
    from paperfeed.search.fusion import combine

    lex = {"a": 3.0, "b": 1.0}  # z: a +1, b -1
    dense = {"a": 0.2, "b": 0.4, "c": 0.9}  # mean 0.5, sd ~0.294: a -1.02, b -0.34, c +1.36
    out = combine([(lex, 0.5), (dense, 0.5)])
    assert set(out) == {"a", "b", "c"}
    zd = normalise([0.2, 0.4, 0.9], "zscore")
    assert out["a"] == pytest.approx(0.5 * 1 + 0.5 * zd[0])
    assert out["b"] == pytest.approx(0.5 * -1 + 0.5 * zd[1])
    assert out["c"] == pytest.approx(0.5 * -1 + 0.5 * zd[2])  # not in lex: lex's lowest z-score
    assert combine([(lex, 1.0), (dense, 0.0)])["a"] > combine([(lex, 1.0), (dense, 0.0)])["b"]
    assert combine([]) == {}
