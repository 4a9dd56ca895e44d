"""Fuzzing the query path: no input may crash the parser or make the engine raise.

The property: `parse_query` returns an AST or raises `QueryError`; and every
AST it returns runs through the real tantivy backend without an exception.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperfeed.search.base import QueryError
from paperfeed.search.keys import KeyMap
from paperfeed.search.lexical import TantivyIndex
from paperfeed.search.query import ParsedQuery, parse_query

# Pieces users (and attackers) actually type, mixed with arbitrary text.
PIECES = st.sampled_from(
    [
        '"',
        "'",
        "-",
        "+",
        "*",
        ":",
        "(",
        ")",
        "NEAR(",
        "OR",
        "AND",
        "NOT",
        "au:",
        "author:",
        "ti:",
        "cat:",
        "year:",
        "since:",
        "until:",
        "date:",
        "..",
        "cs.CL",
        "2024",
        "2024-02-30",
        "\\",
        "^2",
        "~1",
        "{",
        "}",
        "[",
        "]",
        "<script>",
        "&amp;",
        "\x00",
        "\n",
        "\t",
        "\u200b",
        "\u202e",
        "ﬁ",
        "İ",
        "日本",
        "🙂",
        " ",
    ]
)
QUERIES = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=30).map("".join),
    st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=30).map(" ".join),
)


@settings(max_examples=600, deadline=None)
@given(QUERIES)
def test_parser_never_crashes(text: str) -> None:
    try:
        q = parse_query(text)
    except QueryError as exc:
        assert exc.param == "q" and exc.message
        return
    assert isinstance(q, ParsedQuery)


@pytest.fixture(scope="module")
def empty_index(tmp_path_factory: pytest.TempPathFactory) -> TantivyIndex:
    root: Path = tmp_path_factory.mktemp("fuzz")
    index = TantivyIndex(root / "lexical", KeyMap(root / "keys.jsonl"))
    index.commit(0)
    return index


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(QUERIES)
def test_every_parsed_query_runs_on_the_engine(empty_index: TantivyIndex, text: str) -> None:
    try:
        q = parse_query(text)
    except QueryError:
        return
    for order in ("relevance", "date"):
        empty_index.search(q, limit=10, order=order)
    empty_index.filter_ids(["x"], q)


def test_ten_kilobytes_is_a_clear_error() -> None:
    with pytest.raises(QueryError, match="too long"):
        parse_query("attention " * 1024)


@pytest.fixture(scope="module")
def small_searcher(tmp_path_factory: pytest.TempPathFactory):
    from tests.search.conftest import HashEmbedder, load_records

    from paperfeed.app import open_paperfeed
    from paperfeed.config import Settings
    from paperfeed.search import embedded_backends
    from paperfeed.search.engine import HybridSearcher

    settings = Settings(data_dir=tmp_path_factory.mktemp("fuzz-engine"), embedder="none")
    pf = open_paperfeed(settings)
    pf.store.upsert_papers(load_records())
    searcher = HybridSearcher(pf.store, embedded_backends(settings), embedder_loader=HashEmbedder)
    searcher.refresh(progress=False)
    yield searcher
    searcher.close()
    pf.close()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(QUERIES, st.sampled_from(["hybrid", "lexical", "dense"]), st.sampled_from(["relevance", "date"]))
def test_the_whole_engine_answers_or_says_why(small_searcher, text: str, mode: str, sort: str) -> None:
    from paperfeed.search.base import SearchRequest

    try:
        res = small_searcher.search(SearchRequest(q=text, mode=mode, sort=sort, page_size=5))  # type: ignore[arg-type]
    except QueryError as exc:
        assert exc.param == "q" and exc.message
        return
    assert res.total >= len(res.hits)
    for hit in res.hits:
        assert "<script" not in hit.title_html
