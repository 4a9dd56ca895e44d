"""The PostgreSQL search pair against the same answers as the embedded pair, on the search fixture corpus.

The full search contract suite also runs on this pair (``search_backends``
parameter "postgres" in tests/search); these tests pin what is specific to it:
query composition from the AST (field weights, phrases, negation, filters,
stop words, hostile input), the HNSW index life cycle and cross-process locks.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from paperfeed.models import PaperRecord
from paperfeed.search.postgres import PgLexicalIndex, PgVectorIndex, postgres_backends
from paperfeed.search.query import parse_query
from paperfeed.store import open_store_url

pytestmark = pytest.mark.postgres

CORPUS = Path(__file__).resolve().parents[1] / "testdata" / "search" / "papers.jsonl"


def load() -> list[PaperRecord]:
    out = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        out.append(
            PaperRecord(
                id=d["id"],
                title=d["title"],
                abstract=d["abstract"],
                version=1,
                authors=d["authors"],
                categories=d["categories"],
                submitted=date.fromisoformat(d["submitted"]),
                source="t",
            )
        )
    return out


@pytest.fixture
def pg_store(pg_url: str):
    store = open_store_url(pg_url)
    store.upsert_papers(load())
    yield store
    store.close()


@pytest.fixture
def lexical(pg_store) -> PgLexicalIndex:
    return PgLexicalIndex(pg_store)


def top(lexical: PgLexicalIndex, q: str, k: int = 10, order: str = "relevance") -> list[str]:
    return lexical.search(parse_query(q), limit=k, order=order).ids


def test_keyword_ranking_prefers_title_matches(lexical: PgLexicalIndex, pg_store) -> None:
    ids = top(lexical, "diffusion", k=100)
    in_title = ["diffusion" in pg_store.get_paper(i).title.lower() for i in ids]
    assert in_title[0] and in_title == sorted(in_title, reverse=True)  # title hits before abstract-only hits
    ranked = lexical.search(parse_query("diffusion"), limit=3)
    assert ranked.total >= len(ranked.ids) and ranked.scores == sorted(ranked.scores, reverse=True)
    assert lexical.indexed_seq() == 0  # nothing refreshed yet, and still every paper is searchable
    assert lexical.count() == 30


def test_required_forbidden_fields_and_filters(lexical: PgLexicalIndex, pg_store) -> None:
    everything = set(top(lexical, "diffusion", k=100))
    no_latent = set(top(lexical, "diffusion -latent", k=100))
    assert no_latent and no_latent < everything
    for pid in no_latent:
        p = pg_store.get_paper(pid)
        assert "latent" not in (p.title + " " + p.abstract).lower()
    by_author = top(lexical, "au:martin", k=100)
    assert "2401.00001" in by_author
    assert all(any("martin" in a.lower() for a in pg_store.get_paper(i).authors) for i in by_author)
    titled = top(lexical, "ti:transformers", k=100)
    assert titled and all("transformer" in pg_store.get_paper(i).title.lower() for i in titled)
    assert top(lexical, '"diffusion probabilistic models"', k=100) == ["2401.00001"]
    cv = top(lexical, "diffusion cat:cs.cv", k=100)  # categories match case-insensitively
    assert cv and all("cs.CV" in pg_store.get_paper(i).categories for i in cv)
    assert set(top(lexical, "diffusion -cat:cs.CV", k=100)) == everything - set(cv)
    dated = top(lexical, "year:2024", k=100, order="date")
    dates = [pg_store.get_paper(i).published for i in dated]
    assert dates == sorted(dates, reverse=True) and all(d.year == 2024 for d in dates)


def test_stop_words_and_hostile_input_never_error(lexical: PgLexicalIndex) -> None:
    assert top(lexical, "the of and") == []
    for q in ["NEAR(", "C++ & | ! <->", "'; DROP TABLE papers; --", "a:b:c \\ ' \"", "*:*", "\x00"]:
        lexical.search(parse_query(q), limit=5)
    assert lexical.count() == 30


def test_filter_ids_and_paging(lexical: PgLexicalIndex) -> None:
    all_ids = top(lexical, "", k=100)
    assert len(all_ids) == 30  # no words: everything, newest first
    page2 = lexical.search(parse_query(""), limit=10, offset=10)
    assert page2.ids == all_ids[10:20] and page2.total == 30
    past = lexical.search(parse_query(""), limit=10, offset=100)
    assert past.ids == [] and past.total == 30
    keep = lexical.filter_ids(all_ids, parse_query("whatever -diffusion"))
    assert keep == set(all_ids) - set(top(lexical, "diffusion", k=100))


def test_more_like_this_excludes_itself(lexical: PgLexicalIndex, pg_store) -> None:
    paper = pg_store.get_paper("2401.00001")
    ranked = lexical.more_like_this(paper, 5)
    assert ranked.ids and "2401.00001" not in ranked.ids


def test_vector_index_life_cycle(pg_store) -> None:
    vectors = PgVectorIndex(pg_store, meta_ttl_s=0)
    assert (vectors.embedder_name(), vectors.dim, vectors.count()) == (None, 0, 0)
    rng = np.random.default_rng(7)
    ids = [p.id for p in pg_store.iter_papers()]
    mat = rng.normal(size=(len(ids), 8)).astype(np.float32)
    mat /= np.linalg.norm(mat, axis=1, keepdims=True)
    vectors.reset("test-8", 8)
    vectors.upsert(ids, mat)
    vectors.commit(pg_store.max_seq())  # caught up: the HNSW index gets built
    assert (vectors.embedder_name(), vectors.dim, vectors.indexed_seq()) == ("test-8", 8, pg_store.max_seq())
    assert vectors.count() == len(ids)
    hit = vectors.search(mat[3], 5)
    assert hit.ids[0] == ids[3] and hit.scores[0] == pytest.approx(1.0, abs=1e-5)
    got = vectors.get([ids[0], "missing"])
    np.testing.assert_allclose(got[ids[0]], mat[0], rtol=1e-6)
    vectors.upsert([ids[0]], mat[1:2])  # replace, not duplicate
    assert vectors.count() == len(ids)
    with pytest.raises(ValueError, match="shape"):
        vectors.upsert([ids[0]], np.zeros((1, 4), np.float32))
    vectors.reset("test-16", 16)  # another embedder: starts over at its dimension
    assert (vectors.count(), vectors.dim, vectors.indexed_seq()) == (0, 16, 0)
    assert vectors.search(np.ones(16, np.float32), 3).ids == []


def test_backends_pair_shares_the_store(pg_store) -> None:
    pair = postgres_backends(pg_store)
    assert pair.lexical.count() == 30
    pair.close()
    assert pg_store.count_papers() == 30  # closing the pair leaves the store open


def test_open_searcher_picks_the_postgres_pair(pg_url: str, tmp_path: Path) -> None:
    from paperfeed.app import open_paperfeed
    from paperfeed.config import Settings
    from paperfeed.search import SearchRequest
    from paperfeed.search.postgres import PostgresSearcher

    pf = open_paperfeed(Settings(data_dir=tmp_path / "data", database_url=pg_url, embedder="none"))
    try:
        pf.store.upsert_papers(load())
        assert isinstance(pf.search, PostgresSearcher)
        assert pf.search.refresh(progress=False) == 30  # counted, not copied: the table is the index
        assert pf.search.refresh(progress=False) == 0
        results = pf.search.search(SearchRequest(q="diffusion video", mode="lexical"))
        assert results.hits and results.hits[0].paper.id == "2402.00003"
        assert "<mark>" in results.hits[0].title_html
        assert not (tmp_path / "data" / "index").exists()  # no index files in server mode
    finally:
        pf.close()


def test_broad_queries_score_only_the_newest_matches_within_the_budget(lexical: PgLexicalIndex, pg_store) -> None:
    """Past `candidate_budget` estimated matches, relevance ranks the newest ones; a short window falls back."""
    from sqlalchemy import text

    with pg_store.write_engine.begin() as conn:
        conn.execute(text("ANALYZE papers"))
    q = parse_query("models")
    lexical.candidate_budget = None
    full = lexical.search(q, 50)
    by_date = lexical.search(q, 5, order="date")
    published = {p.id: p.published for p in pg_store.get_papers(full.ids)}
    assert full.total > 6
    lexical.candidate_budget = 3
    capped = lexical.search(q, 3)
    assert len(capped.ids) == 3 and set(capped.ids) <= set(full.ids)
    assert lexical._dates and capped.ids != full.ids[:3]  # the window was cut: not simply the top 3
    newest = sorted(published.values(), reverse=True)
    assert min(published[i] for i in capped.ids) >= newest[len(newest) // 2]  # from the newer half
    assert capped.total >= len(capped.ids)
    assert lexical.search(q, 50).ids == full.ids  # the window holds fewer than 50: asked again without it
    dated = lexical.search(q, 5, order="date")
    assert dated.ids == by_date.ids and dated.total >= 5
    assert lexical.search(parse_query("models year:2024"), 50).ids == [i for i in full.ids if published[i].year == 2024]
