"""Passages: how a paper is cut, that their vectors are cached, and that dense search re-scores by them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperfeed.app import Paperfeed
from paperfeed.models import PaperRecord
from paperfeed.search import embedded_backends
from paperfeed.search.base import SearchRequest
from paperfeed.search.embed import embed_papers, paper_text, passage_keys, text_key
from paperfeed.search.engine import EngineParams, HybridSearcher
from paperfeed.search.passages import abstract_windows, paper_passages, split_sentences

from .conftest import HashEmbedder


def test_sentences_split_at_ends_not_at_abbreviations_or_decimals() -> None:
    text = "We study X.  It works well! Gains of 3.5 points (e.g. on Y) hold. 2 more: done? yes."
    assert split_sentences(text) == [
        "We study X.",
        "It works well!",
        "Gains of 3.5 points (e.g. on Y) hold.",
        "2 more: done? yes.",
    ]
    assert split_sentences("  ") == [] and split_sentences("no end at all") == ["no end at all"]


def test_windows_pack_whole_sentences_under_the_word_budget() -> None:
    text = "One two three. Four five six seven. Eight nine. Ten."
    assert abstract_windows(text, 6) == ["One two three.", "Four five six seven. Eight nine.", "Ten."]
    assert abstract_windows(text, 100) == [text]
    # a sentence longer than the window is cut into word chunks
    assert abstract_windows("a b c d e f g.", 3) == ["a b c", "d e f", "g."]
    # overlap repeats the last sentence when the next one still fits, never a window of old sentences alone
    assert abstract_windows(text, 6, overlap=1) == [
        "One two three.",
        "Four five six seven. Eight nine.",
        "Eight nine. Ten.",
    ]


@given(st.text(alphabet=st.sampled_from("ab. !?\n"), max_size=300), st.integers(1, 50))
def test_windows_keep_every_word_once_and_respect_the_budget(text: str, max_words: int) -> None:
    windows = abstract_windows(text, max_words)
    assert " ".join(windows).split() == text.split()
    assert all(0 < len(w.split()) <= max_words for w in windows)


def test_paper_passages_are_the_title_then_the_windows() -> None:
    assert paper_passages(" A  title ", "First sentence here. Second one.", max_words=3) == [
        "A title",
        "First sentence here.",
        "Second one.",
    ]
    assert paper_passages("", "") == []
    assert paper_passages("Only a title", "") == ["Only a title"]


def _record(i: int, title: str, abstract: str) -> PaperRecord:
    return PaperRecord(
        id=f"2502.{i:05d}",
        title=title,
        abstract=abstract,
        categories=["cs.LG"],
        submitted=date(2025, 2, 1),
        source="test",
    )


class CountingHash(HashEmbedder):
    def __init__(self) -> None:
        self.computed: list[str] = []

    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        self.computed.extend(texts)
        return super().embed(texts, batch_size, progress)


def test_embed_papers_caches_passage_vectors_once(pf: Paperfeed) -> None:
    pf.store.upsert_papers([_record(1, "Graph networks", "Message passing works. " * 30)])
    papers = pf.store.get_papers(["2502.00001"])
    emb = CountingHash()
    vectors = embed_papers(pf.store, emb, papers, progress=False)
    p = papers[0]
    keys = passage_keys(p.title, p.abstract)
    assert len(keys) > 2  # title + several windows of the 90-word abstract
    cached = pf.store.get_embeddings(emb.name, keys)
    assert set(cached) == set(keys)
    for text in paper_passages(p.title, p.abstract):
        np.testing.assert_array_equal(cached[text_key(text)], emb.embed_query(text))
    np.testing.assert_array_equal(vectors[0], emb.embed_query(paper_text(p.title, p.abstract)))
    emb.computed.clear()
    embed_papers(pf.store, emb, papers, progress=False)
    assert emb.computed == []  # everything, passages included, came from the cache
    embed_papers(pf.store, emb, [replace(p, abstract="Brand new text.")], progress=False, passages=False)
    assert emb.computed == [paper_text(p.title, "Brand new text.")]


FILLER = (
    "Bees forage across meadows in spring. Rivers carry sediment to the delta. Markets price "
    "risk through options. Volcanoes release ash into the stratosphere. "
)


@pytest.fixture
def corpus(pf: Paperfeed) -> Paperfeed:
    """Paper 1 says exactly what the query asks, once, among much unrelated text; paper 2 is half on topic."""
    pf.store.upsert_papers(
        [
            _record(
                1, "Assorted observations", FILLER * 5 + "Sparse attention kernels speed up transformer inference."
            ),
            _record(2, "Field notes", "Dense attention for transformer inference. " + FILLER),
            *[_record(10 + i, f"Unrelated note {i}", FILLER) for i in range(5)],
        ]
    )
    return pf


def _dense_ids(pf: Paperfeed, depth: int) -> list[str]:
    backends = embedded_backends(pf.settings)
    s = HybridSearcher(pf.store, backends, embedder_loader=HashEmbedder, params=EngineParams(passage_depth=depth))
    s.refresh(progress=False)
    try:
        res = s.search(SearchRequest(q="sparse attention kernels transformer inference", mode="dense"))
        return [h.paper.id for h in res.hits]
    finally:
        s.close()


def test_dense_search_rescores_by_the_best_passage(corpus: Paperfeed) -> None:
    with_passages = _dense_ids(corpus, 100)  # first: its refresh embeds the passages (depth 0 would not)
    without = _dense_ids(corpus, 0)
    assert without[0] == "2502.00002"  # the one paper vector dilutes paper 1's single on-topic sentence
    assert with_passages[0] == "2502.00001"  # its best passage matches the query almost exactly
    assert sorted(with_passages) == sorted(without)


def test_missing_passage_vectors_leave_the_ranking_alone(corpus: Paperfeed) -> None:
    backends = embedded_backends(corpus.settings)
    s = HybridSearcher(corpus.store, backends, embedder_loader=HashEmbedder)
    s.refresh(progress=False)
    store = corpus.store
    with store.engine.begin() as conn:  # an index built before passages existed: only paper vectors cached
        conn.exec_driver_sql("DELETE FROM embeddings")
    req = SearchRequest(q="sparse attention kernels transformer inference", mode="dense")
    ids = [h.paper.id for h in s.search(req).hits]
    s.close()
    assert ids == _dense_ids_from_index_only(corpus)


def _dense_ids_from_index_only(pf: Paperfeed) -> list[str]:
    backends = embedded_backends(pf.settings)
    s = HybridSearcher(pf.store, backends, embedder_loader=HashEmbedder, params=EngineParams(passage_depth=0))
    try:
        return [
            h.paper.id
            for h in s.search(SearchRequest(q="sparse attention kernels transformer inference", mode="dense")).hits
        ]
    finally:
        s.close()


def test_rebuild_computes_missing_passages(corpus: Paperfeed) -> None:
    """An index from before passages existed (paper vectors only) gets them from `paperfeed index --rebuild`."""
    from paperfeed.search import drop_indexes

    store = corpus.store
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM embeddings")
    papers = store.get_papers(["2502.00001", "2502.00002"])
    embed_papers(store, HashEmbedder(), papers, progress=False, passages=False)
    keys = [k for p in papers for k in passage_keys(p.title, p.abstract)]
    assert store.get_embeddings(HashEmbedder.name, keys) == {}
    drop_indexes(corpus.settings, store)
    assert _dense_ids(corpus, 100)[0] == "2502.00001"  # the refresh inside re-embedded, passages included
    assert set(store.get_embeddings(HashEmbedder.name, keys)) == set(keys)


def test_passages_off_embeds_one_vector_per_paper(pf: Paperfeed) -> None:
    """PAPERFEED_PASSAGES=false: no passage vectors are computed or read, and dense search still works."""
    from paperfeed.search import open_searcher

    from .conftest import load_records

    pf.store.upsert_papers(load_records())
    settings = pf.settings.model_copy(update={"passages": False})
    searcher = open_searcher(settings, pf.store)
    assert searcher.params.passage_depth == 0
    searcher._embedder, searcher._embedder_tried = HashEmbedder(), True
    searcher.refresh(progress=False)
    papers = pf.store.get_papers([r.id for r in load_records()])
    own = {text_key(paper_text(p.title, p.abstract)) for p in papers}
    keys = [k for p in papers for k in passage_keys(p.title, p.abstract) if k not in own]
    assert pf.store.get_embeddings(HashEmbedder.name, keys) == {}
    assert searcher.search(SearchRequest(q="protein structure", mode="dense")).hits
    searcher.close()
    assert open_searcher(pf.settings, pf.store).params.passage_depth > 0  # on by default
