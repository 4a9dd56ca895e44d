"""Combining the keyword and the semantic ranking into one. Pure functions.

Two methods, both standard: reciprocal rank fusion (RRF, Cormack et al. 2009),
which needs no score calibration, and a convex combination of normalised
scores, which keeps how *much* better one hit is than the next. Which one and
with what weights is chosen on SciFact train qrels only (docs/benchmarks.md, section Search).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class FusionParams:
    # Defaults: from a 47-point grid on SciFact train (benchmarks/search_tune_scifact.py, docs/benchmarks.md):
    # z-scored BM25 x 0.55 + z-scored cosine x 0.45 is the best or near it at every passage re-scoring depth
    # (engine.EngineParams.passage_depth): 0.730 at depth 0 (0.6/0.4 gave 0.727), 0.737 at the default 20.
    method: Literal["rrf", "linear"] = "linear"
    k: float = 60.0  # RRF rank offset
    lexical_weight: float = 0.55
    dense_weight: float = 0.45
    normalise: Literal["minmax", "zscore"] = "zscore"  # for method="linear"


@dataclass(frozen=True, slots=True)
class Fused:
    id: str
    score: float
    lexical_rank: int | None  # 1-based
    dense_rank: int | None
    lexical_score: float | None
    dense_score: float | None


def rrf_scores(rankings: list[list[str]], weights: list[float], k: float = 60.0) -> dict[str, float]:
    """sum_i w_i / (k + rank_i(d)) over the rankings a document appears in (rank 1-based)."""
    out: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, doc in enumerate(ranking, start=1):
            out[doc] = out.get(doc, 0.0) + weight / (k + rank)
    return out


def normalise(scores: list[float], how: str = "minmax") -> list[float]:
    """Scores mapped to a comparable scale; a constant list (one hit, say) maps to all 1.0: every
    one of them matched, which must count for more than not being in the list at all (see `fuse`)."""
    if not scores:
        return []
    if how == "zscore":
        mean = sum(scores) / len(scores)
        var = sum((s - mean) ** 2 for s in scores) / len(scores)
        sd = var**0.5
        return [(s - mean) / sd for s in scores] if sd > 0 else [1.0] * len(scores)
    lo, hi = min(scores), max(scores)
    return [(s - lo) / (hi - lo) if hi > lo else 1.0 for s in scores]


def fuse(
    lexical: tuple[list[str], list[float]], dense: tuple[list[str], list[float]], params: FusionParams = FusionParams()
) -> list[Fused]:
    """One ranking from two (ids, scores) lists, best first; ties broken by best single rank, then id."""
    lex_ids, lex_scores = lexical
    den_ids, den_scores = dense
    lex_rank = {d: r for r, d in enumerate(lex_ids, start=1)}
    den_rank = {d: r for r, d in enumerate(den_ids, start=1)}
    lex_score = dict(zip(lex_ids, lex_scores, strict=True))
    den_score = dict(zip(den_ids, den_scores, strict=True))
    if params.method == "rrf":
        fused = rrf_scores([lex_ids, den_ids], [params.lexical_weight, params.dense_weight], params.k)
    else:
        fused = combine([(lex_score, params.lexical_weight), (den_score, params.dense_weight)], params.normalise)
    big = 1 << 30
    order = sorted(fused, key=lambda d: (-fused[d], min(lex_rank.get(d, big), den_rank.get(d, big)), d))
    return [Fused(d, fused[d], lex_rank.get(d), den_rank.get(d), lex_score.get(d), den_score.get(d)) for d in order]


def combine(signals: list[tuple[dict[str, float], float]], how: str = "zscore") -> dict[str, float]:
    """Weighted sum of normalised signals over every document any of them scored.

    Each signal is (doc -> raw score, weight). A document a signal did not
    score gets that signal's lowest normalised value, never above 0 (so a
    single-hit list, normalised to 1.0, still lifts its hit above the rest).
    `fuse` uses it for two signals; the searcher's second stage for three.
    """
    out: dict[str, float] = {}
    scaled: list[tuple[dict[str, float], float, float]] = []
    for scores, weight in signals:
        z = dict(zip(scores, normalise(list(scores.values()), how), strict=True))
        scaled.append((z, min([0.0, *z.values()]), weight))
        out.update(dict.fromkeys(z, 0.0))
    for doc in out:
        out[doc] = sum(weight * z.get(doc, floor) for z, floor, weight in scaled)
    return out


@dataclass(frozen=True, slots=True)
class RescoreParams:
    """The hybrid's second stage: the head of the fused ranking re-scored, then all fused again.

    Tuned on SciFact train (benchmarks/search_tune_scifact.py): the first stage's top `depth` get
    MiniLM's best-passage cosine (and the re-rank model's cosine when one is configured); the final
    score is a weighted sum of z-scored keyword, MiniLM and re-rank scores over every candidate.
    Defaults: hybrid nDCG@10 0.744 (0.737 before this stage); depth 20 reads as many passage vectors
    per query as the dense re-scoring did. With the re-rank model the grid's best is at depth 30.
    """

    depth: int = 20
    lexical_weight: float = 0.4
    dense_weight: float = 0.6
    rerank_weight: float = 0.0

    @classmethod
    def with_rerank(cls) -> RescoreParams:
        return cls(depth=30, lexical_weight=0.25, dense_weight=0.45, rerank_weight=0.35)


def two_stage(
    lexical: dict[str, float],
    dense: dict[str, float],
    first: FusionParams,
    params: RescoreParams,
    passages: Callable[[list[str]], dict[str, float]],
    rerank: Callable[[list[str]], dict[str, float]],
    tiebreak: Callable[[str], tuple] = lambda d: (d,),
) -> tuple[list[tuple[str, float]], dict[str, float]]:
    """The hybrid ranking: fuse, re-score the head, fuse again. Returns (id, score) best first, and the
    dense scores with the head's best-passage cosines in.

    `lexical` and `dense` score the candidates (dense should cover every
    candidate: the engine looks up keyword-only ones in the vector index).
    `passages(head)` gives the best passage cosine of head papers; `rerank(head)`
    the re-rank model's cosine, or {} to leave that signal out. Both may
    return more than the head; only the head's entries are used, so a tuning
    script can compute them for every candidate once.
    """
    fused = combine([(lexical, first.lexical_weight), (dense, first.dense_weight)])
    head = sorted(fused, key=lambda d: (-fused[d], *tiebreak(d)))[: params.depth]
    dense = dict(dense)
    best = passages(head)
    for doc in head:
        if doc in best:
            dense[doc] = max(dense.get(doc, best[doc]), best[doc])
    signals = [(lexical, params.lexical_weight), (dense, params.dense_weight)]
    if params.rerank_weight > 0:
        second = rerank(head)
        if second:
            signals.append(({d: second[d] for d in head if d in second}, params.rerank_weight))
    final = combine(signals)
    return [(d, final[d]) for d in sorted(final, key=lambda d: (-final[d], *tiebreak(d)))], dense
