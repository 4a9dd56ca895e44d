"""Retrieval metrics on hand-computed examples, and BEIR file reading errors."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from paperfeed.search.evaluate import (
    BeirFormatError,
    beir_doc_id,
    beir_paper_id,
    mean_metrics,
    mrr_at_k,
    ndcg_at_k,
    read_corpus,
    read_qrels,
    recall_at_k,
)


def test_ndcg_by_hand() -> None:
    rel = {"a": 1, "b": 1}
    # hits at ranks 1 and 3: DCG = 1 + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3)
    assert ndcg_at_k(["a", "x", "b"], rel) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert ndcg_at_k(["a", "b"], rel) == pytest.approx(1.0)
    assert ndcg_at_k(["x"] * 10 + ["a"], rel) == 0.0  # beyond the cut-off
    graded = {"a": 2, "b": 1}
    assert ndcg_at_k(["b", "a"], graded) == pytest.approx((1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3)))


def test_recall_and_mrr_by_hand() -> None:
    rel = {"a": 1, "b": 1, "c": 0}
    assert recall_at_k(["b", "c", "x"], rel) == 0.5
    assert recall_at_k(["x"] * 100 + ["a"], rel) == 0.0
    assert mrr_at_k(["x", "c", "b"], rel) == pytest.approx(1 / 3)
    assert mrr_at_k(["x"] * 10 + ["a"], rel) == 0.0


def test_mean_counts_missing_runs_as_zero() -> None:
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}}
    m = mean_metrics({"q1": ["a"]}, qrels)
    assert m == {"ndcg@10": 0.5, "recall@100": 0.5, "mrr@10": 0.5}


def test_id_mapping_round_trips() -> None:
    for doc in ("4983", "weird id/with:colons", "beir:nested"):
        assert beir_doc_id(beir_paper_id(doc)) == doc


def test_qrels_reading(tmp_path: Path) -> None:
    good = tmp_path / "q.tsv"
    good.write_text("query-id\tcorpus-id\tscore\n1\t31715818\t1\n1\t14717500\t1\n3\t2\t0\n")
    assert read_qrels(good) == {"1": {"31715818": 1, "14717500": 1}, "3": {"2": 0}}
    bad = tmp_path / "bad.tsv"
    bad.write_text("query-id\tcorpus-id\tscore\n1\t2\tmany\n")
    with pytest.raises(BeirFormatError, match=r"bad\.tsv:2"):
        read_qrels(bad)
    with pytest.raises(BeirFormatError, match="cannot open"):
        read_qrels(tmp_path / "missing.tsv")


def test_corpus_reading_names_the_line(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"_id": "1", "title": "T", "text": "abstract"}\n{not json}\n')
    with pytest.raises(BeirFormatError, match=r"corpus\.jsonl:2"):
        list(read_corpus(corpus))
