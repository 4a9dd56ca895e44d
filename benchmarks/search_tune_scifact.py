"""Tune the lexical field weights and the fusion on SciFact **train** qrels (never test).

Needs a work dir made by `paperfeed eval beir ... --work-dir D` (corpus ingested,
indexes built, embeddings cached). Runs every judged query once per retriever,
then fuses the cached rankings offline for each grid point, so a grid of
hundreds of settings costs seconds.

    python benchmarks/search_tune_scifact.py --work-dir D [--qrels ../shared/data/scifact/qrels/train.tsv]
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

from paperfeed.app import open_paperfeed
from paperfeed.config import Settings
from paperfeed.search import open_searcher
from paperfeed.search.evaluate import beir_doc_id, mean_metrics, read_qrels, read_queries
from paperfeed.search.fusion import FusionParams, fuse
from paperfeed.search.lexical import LexicalParams
from paperfeed.search.query import parse_query

SCIFACT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "scifact"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work-dir", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=SCIFACT)
    ap.add_argument("--qrels", type=Path, default=SCIFACT / "qrels" / "train.tsv")
    ap.add_argument("--depth", type=int, default=100)
    args = ap.parse_args()
    qrels = read_qrels(args.qrels)
    queries = read_queries(args.data / "queries.jsonl")
    parsed = {q: parse_query(queries[q]) for q in qrels if q in queries}
    settings = Settings(data_dir=args.work_dir)
    pf = open_paperfeed(settings)
    searcher = open_searcher(settings, pf.store)
    searcher.refresh(progress=False)
    lexical = searcher.backends.lexical

    print("title_boost  nDCG@10  R@100  MRR@10  (lexical)")
    for tb in (0.0, 0.2, 0.35, 0.5, 0.7, 1.0, 2.0):
        lexical.params = LexicalParams(title_boost=tb)
        runs = {q: [beir_doc_id(i) for i in lexical.search(p, args.depth).ids] for q, p in parsed.items()}
        m = mean_metrics(runs, qrels)
        print(f"{tb:>11}  {m['ndcg@10']:.4f}  {m['recall@100']:.4f}  {m['mrr@10']:.4f}", flush=True)
    lexical.params = LexicalParams()

    lex = {q: lexical.search(p, args.depth) for q, p in parsed.items()}
    dense = {q: searcher._dense(p, args.depth) for q, p in parsed.items()}
    for name, ranked in (("lexical", lex), ("dense", dense)):
        m = mean_metrics({q: [beir_doc_id(i) for i in r.ids] for q, r in ranked.items()}, qrels)
        print(name, json.dumps({k: round(v, 4) for k, v in m.items()}))

    grid: list[FusionParams] = []
    for k, w in itertools.product((10, 20, 40, 60, 100), (0.5, 0.7, 1.0, 1.4, 2.0)):
        grid.append(FusionParams(method="rrf", k=k, lexical_weight=1.0, dense_weight=w))
    for norm, w in itertools.product(("minmax", "zscore"), (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)):
        grid.append(FusionParams(method="linear", normalise=norm, lexical_weight=1 - w, dense_weight=w))
    results = []
    for params in grid:
        runs = {q: [beir_doc_id(f.id) for f in fuse((lex[q].ids, lex[q].scores), (dense[q].ids, dense[q].scores),
                                                     params)] for q in parsed}
        results.append((mean_metrics(runs, qrels), params))
    results.sort(key=lambda r: -r[0]["ndcg@10"])
    print("best fusion settings (hybrid):")
    for m, p in results[:12]:
        print(f"  nDCG@10 {m['ndcg@10']:.4f}  R@100 {m['recall@100']:.4f}  MRR@10 {m['mrr@10']:.4f}  {p}")
    searcher.close()
    pf.close()


if __name__ == "__main__":
    main()
