"""The Searcher contract, end to end on a real store, for every backend pair in `search_backends`."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date

import pytest
from tests.search.conftest import HashEmbedder, SearchPair

from paperfeed.models import PaperRecord
from paperfeed.search.base import PaperNotFound, QueryError, SearchRequest
from paperfeed.search.engine import HybridSearcher
from paperfeed.search.passages import paper_passages

R = SearchRequest


def ids(results) -> list[str]:
    return [h.paper.id for h in (results.hits if hasattr(results, "hits") else results)]


def test_keyword_search_ranks_and_highlights(lexical_searcher: HybridSearcher) -> None:
    res = lexical_searcher.search(R(q="diffusion models", mode="lexical"))
    assert res.mode == "lexical" and res.notice is None
    assert set(ids(res)[:4]) >= {"2401.00001", "2401.00002"}
    hit = res.hits[0]
    assert hit.lexical_rank == 1 and hit.dense_rank is None and hit.lexical_score and hit.lexical_score > 0
    assert "<mark>" in hit.title_html + hit.abstract_html
    for a, b in hit.title_highlights:
        assert hit.paper.title[a:b].lower().startswith(("diffusion", "model"))


def test_hybrid_reports_both_components(searcher: HybridSearcher) -> None:
    res = searcher.search(R(q="diffusion models for images"))
    assert res.mode == "hybrid" and res.notice is None
    both = [h for h in res.hits if h.lexical_rank and h.dense_rank]
    assert both, "some hits should be found by both retrievers"
    assert all(math.isfinite(h.score) for h in res.hits)
    assert res.hits == sorted(res.hits, key=lambda h: -h.score)
    dense = searcher.search(R(q="diffusion models for images", mode="dense"))
    assert dense.mode == "dense" and all(h.dense_rank and h.lexical_rank is None for h in dense.hits)


def test_hybrid_judges_every_candidate_by_both_signals(searcher: HybridSearcher) -> None:
    """Keyword-only candidates get their semantic score from the vector index (the second stage's input)."""
    searcher.params = replace(searcher.params, candidates=4)  # a semantic top-4 leaves keyword hits outside it
    res = searcher.search(R(q="language model", page_size=4))
    keyword_only = [h for h in res.hits if h.lexical_rank and not h.dense_rank]
    assert keyword_only, "the fixture query should reach papers outside the semantic top-N"
    emb = HashEmbedder()
    q = emb.embed_query("language model")
    for hit in keyword_only:  # the paper vector's cosine, or its best passage's where that is higher (the head)
        vec = searcher.backends.vectors.get([hit.paper.id])[hit.paper.id]
        best = max(float(emb.embed_query(t) @ q) for t in paper_passages(hit.paper.title, hit.paper.abstract))
        assert hit.dense_score == pytest.approx(max(float(vec @ q), best), abs=1e-5)


def test_without_embedder_hybrid_degrades_with_notice(lexical_searcher: HybridSearcher) -> None:
    res = lexical_searcher.search(R(q="diffusion", mode="hybrid"))
    assert res.mode == "lexical"
    assert res.notice and "keyword" in res.notice
    assert ids(res)


def test_unloadable_embedder_degrades(search_backends: SearchPair) -> None:
    def broken() -> None:
        raise RuntimeError("model files missing")

    s = HybridSearcher(search_backends.store, search_backends.backends, embedder_loader=broken)
    s.refresh(progress=False)
    res = s.search(R(q="diffusion", mode="dense"))
    assert res.mode == "lexical" and "model files missing" in (res.notice or "")


def test_failing_query_embedding_degrades(searcher: HybridSearcher) -> None:
    class Failing(HashEmbedder):
        def embed_query(self, text: str):
            raise RuntimeError("embedder timed out")

    searcher._embedder = Failing()  # the same model name, so the index still matches
    res = searcher.search(R(q="diffusion"))
    assert res.mode == "lexical" and "timed out" in (res.notice or "") and ids(res)


def test_pagination_is_consistent(searcher: HybridSearcher) -> None:
    for mode in ("lexical", "hybrid"):
        whole = ids(searcher.search(R(q="language models learning", mode=mode, page_size=9)))
        pages = [
            ids(searcher.search(R(q="language models learning", mode=mode, page=p, page_size=3))) for p in (1, 2, 3)
        ]
        assert [i for page in pages for i in page] == whole, mode
        assert len(set(whole)) == len(whole)
    res = searcher.search(R(q="language", mode="lexical", page=2, page_size=3))
    assert [h.lexical_rank for h in res.hits] == [4, 5, 6][: len(res.hits)]


@pytest.mark.parametrize("mode", ["lexical", "hybrid", "dense"])
def test_filters_apply_to_every_mode(searcher: HybridSearcher, mode: str) -> None:
    def papers(**kw):
        return [h.paper for h in searcher.search(R(mode=mode, page_size=50, **kw)).hits]

    assert all("cs.CV" in p.categories for p in papers(q="models", category="cs.CV"))
    assert all("cs.CV" in p.categories for p in papers(q="models cat:cs.cv"))
    assert all("cs.CV" not in p.categories for p in papers(q="models -cat:cs.CV"))
    assert all(p.published.year == 2025 for p in papers(q="models year:2025"))
    assert all(
        date(2024, 6, 1) <= p.published <= date(2024, 9, 30)
        for p in papers(q="learning", since=date(2024, 6, 1), until=date(2024, 9, 30))
    )
    assert all("Evan Stone" in p.authors for p in papers(q="language", author="Evan Stone"))
    assert all("Evan Stone" in p.authors for p in papers(q='language au:"evan stone"'))
    assert "2412.00024" not in [p.id for p in papers(q="diffusion -robot")]
    assert all(
        "state of the art" in (p.title + " " + p.abstract).lower().replace("-", " ")
        for p in papers(q='"state of the art"')
    )


def test_sort_by_date_and_empty_query(searcher: HybridSearcher) -> None:
    res = searcher.search(R(q="models", sort="date", page_size=50))
    dates = [h.paper.published for h in res.hits]
    assert dates == sorted(dates, reverse=True) and len(dates) >= 3
    listing = searcher.search(R(q="", page_size=5))
    assert listing.total == 30 and ids(listing)[0] == "2503.00030"
    assert ids(searcher.search(R(q="cat:cs.CL", page_size=50, mode="dense")))[0] == "2503.00029"


@pytest.mark.parametrize(
    "bad,param",
    [
        (R(page=0), "page"),
        (R(page_size=0), "page_size"),
        (R(page_size=101), "page_size"),
        (R(page=60, page_size=20), "page"),
        (R(mode="fuzzy"), "mode"),
        (R(sort="popular"), "sort"),  # type: ignore[arg-type]
        (R(since=date(2025, 1, 1), until=date(2024, 1, 1)), "since"),
        (R(q="year:abc"), "q"),
    ],
)
def test_bad_requests_name_the_parameter(searcher: HybridSearcher, bad: SearchRequest, param: str) -> None:
    with pytest.raises(QueryError) as err:
        searcher.search(bad)
    assert err.value.param == param


@pytest.mark.parametrize("q", ['"', "NEAR(", "*", ":", "au:", "-", "\x00", "🙂" * 50, "a OR OR b", "((", "the of"])
def test_odd_queries_return_results_not_errors(searcher: HybridSearcher, q: str) -> None:
    res = searcher.search(R(q=q))
    assert res.total >= 0


def test_markup_in_titles_is_escaped(searcher: HybridSearcher) -> None:
    hit = next(h for h in searcher.search(R(q="script adversarial")).hits if h.paper.id == "2410.00020")
    assert "<script>" not in hit.title_html and "&lt;<mark>script</mark>&gt;" in hit.title_html
    assert "<b>" not in hit.abstract_html


def test_similar_and_more_like(searcher: HybridSearcher) -> None:
    sim = searcher.similar("2401.00001", k=3)
    assert len(sim) == 3 and "2401.00001" not in ids(sim)
    assert all(h.dense_rank for h in sim)
    more = searcher.more_like(["2401.00001", "2401.00002"], k=4, exclude={"2402.00003"})
    assert len(more) == 4 and not {"2401.00001", "2401.00002", "2402.00003"} & set(ids(more))
    with pytest.raises(PaperNotFound):
        searcher.similar("nope")
    with pytest.raises(QueryError):
        searcher.similar("2401.00001", k=0)
    assert searcher.more_like([], k=3) == []


def test_similar_without_embedder_uses_keywords(lexical_searcher: HybridSearcher) -> None:
    sim = lexical_searcher.similar("2401.00001", k=3)
    assert sim and "2401.00001" not in ids(sim)
    assert all(h.lexical_rank for h in sim)
    assert any("iffusion" in h.paper.title for h in sim)
    more = lexical_searcher.more_like(["2402.00004"], k=3)
    assert more and "2402.00004" not in ids(more)


def test_refresh_is_incremental_and_sees_updates(searcher: HybridSearcher, search_backends: SearchPair) -> None:
    store = search_backends.store
    assert searcher.refresh(progress=False) == 0
    store.upsert_papers(
        [
            PaperRecord(
                id="2504.00031",
                title="Zebrafish regeneration atlas",
                abstract="Single-cell maps of fin regrowth.",
                submitted=date(2025, 4, 1),
                categories=["q-bio.CB"],
                source="test",
            )
        ]
    )
    assert searcher.refresh(progress=False) == 1
    assert ids(searcher.search(R(q="zebrafish", mode="lexical"))) == ["2504.00031"]
    assert "2504.00031" in ids(searcher.search(R(q="zebrafish")))
    old = store.get_paper("2401.00001")
    store.upsert_papers(
        [
            PaperRecord(
                id=old.id,
                title="Axolotl limb renewal",
                abstract=old.abstract,
                submitted=old.submitted,
                authors=old.authors,
                categories=old.categories,
                source="test2",
            )
        ]
    )
    assert searcher.refresh(progress=False) >= 1
    assert "2401.00001" in ids(searcher.search(R(q="axolotl", mode="lexical")))
    assert "2401.00001" not in ids(searcher.search(R(q="ti:synthesis", mode="lexical")))
    assert searcher.backends.lexical.count() == 31


# Index files and their schema version belong to the embedded pair only.
@pytest.mark.parametrize("search_backends", ["embedded"], indirect=True)
def test_indexes_persist_and_rebuild_on_schema_change(searcher: HybridSearcher, pf) -> None:
    from paperfeed.search import embedded_backends

    searcher.close()
    again = HybridSearcher(pf.store, embedded_backends(pf.settings), embedder_loader=HashEmbedder)
    assert again.refresh(progress=False) == 0
    assert ids(again.search(R(q="protein structure")))[0] == "2404.00008"
    again.close()
    state = pf.settings.index_dir / "lexical" / "paperfeed-state.json"
    state.write_text(json.dumps({**json.loads(state.read_text()), "schema_version": -1}))
    rebuilt = HybridSearcher(pf.store, embedded_backends(pf.settings), embedder_loader=HashEmbedder)
    assert rebuilt.backends.lexical.indexed_seq() == 0
    assert rebuilt.refresh(progress=False) == 30
    assert ids(rebuilt.search(R(q="protein structure", mode="lexical")))[0] == "2404.00008"
    rebuilt.close()


def test_a_different_embedder_rebuilds_the_vectors(searcher: HybridSearcher) -> None:
    class Other(HashEmbedder):
        name = "test-hash-other"

    searcher._embedder = Other()
    assert searcher.search(R(q="diffusion")).mode == "lexical"  # the index belongs to another model
    searcher.refresh(progress=False)
    assert searcher.backends.vectors.embedder_name() == "test-hash-other"
    assert searcher.search(R(q="diffusion")).mode == "hybrid"


def test_request_object_is_echoed(searcher: HybridSearcher) -> None:
    req = R(q="attention", page_size=2)
    res = searcher.search(req)
    assert res.request == req and len(res.hits) <= 2
    assert replace(req) == req


def test_drop_indexes_then_refresh_rebuilds_from_the_store(searcher: HybridSearcher, search_backends, pf) -> None:
    """`paperfeed index --rebuild` on either backend: progress forgotten, vectors gone, then all back."""
    from paperfeed.search import drop_indexes, embedded_backends
    from paperfeed.search.postgres import postgres_backends

    store = search_backends.store
    before = ids(searcher.search(R(q="protein structure", mode="lexical")))
    searcher.close()
    drop_indexes(pf.settings, store)
    backends = postgres_backends(store) if store.url.startswith("postgresql") else embedded_backends(pf.settings)
    fresh = HybridSearcher(store, backends, embedder_loader=HashEmbedder)
    assert fresh.backends.lexical.indexed_seq() == 0 and fresh.backends.vectors.indexed_seq() == 0
    assert fresh.backends.vectors.count() == 0
    assert fresh.refresh(progress=False) == 30
    assert fresh.backends.vectors.count() == 30
    assert ids(fresh.search(R(q="protein structure", mode="lexical"))) == before
    assert ids(fresh.search(R(q="protein structure", mode="dense")))[0] == "2404.00008"
    fresh.close()


def test_vectors_round_trip_exactly_and_upsert_replaces(searcher: HybridSearcher) -> None:
    """What goes into the vector index comes back (bit for bit on pgvector, within usearch's storage
    precision embedded), and a second write of an id replaces it."""
    import numpy as np

    vectors = searcher.backends.vectors
    rng = np.random.default_rng(3)
    first = rng.standard_normal((3, vectors.dim)).astype(np.float32)
    first /= np.linalg.norm(first, axis=1, keepdims=True)
    ids_ = ["2401.00001", "2401.00002", "2401.00003"]
    vectors.upsert(ids_, first)
    got = vectors.get(ids_)
    exact = searcher.store.url.startswith("postgresql")
    same = np.array_equal if exact else (lambda a, b: bool(np.allclose(a, b, atol=2e-3)))
    assert all(same(got[i], first[n]) for n, i in enumerate(ids_))
    vectors.upsert(ids_[:1], -first[:1])
    assert same(vectors.get(ids_[:1])[ids_[0]], -first[0])
    assert vectors.search(-first[0], 1).ids == [ids_[0]]


def test_accents_fold_on_both_sides(searcher: HybridSearcher, search_backends) -> None:
    """au:Godel finds Gödel and "schrodinger" finds "Schrödinger" (and back), on every backend."""
    store = search_backends.store
    store.upsert_papers(
        [
            PaperRecord(
                id="2501.99999",
                title="Schrödinger bridges for incompleteness",
                abstract="A note on Gödel numbering.",
                authors=["Kurt Gödel", "Erwin Schrödinger"],
                categories=["math.LO"],
                submitted=date(2025, 1, 2),
                source="test",
                origin="inline",
            )
        ]
    )
    searcher.refresh(progress=False)
    for q in (
        "au:Godel",
        "au:gödel",
        "au:schrodinger",
        "Schrödinger",
        "ti:schrödinger",
        "gödel numbering",
        "ti:schrodinger",
        "godel numbering",
        "schrodinger",
    ):
        assert ids(searcher.search(R(q=q, mode="lexical")))[:1] == ["2501.99999"], q
