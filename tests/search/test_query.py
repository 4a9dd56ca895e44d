"""The query language: what each construct parses to, and the errors users see."""

from __future__ import annotations

from datetime import date

import pytest

from paperfeed.search.base import QueryError
from paperfeed.search.query import Phrase, Term, parse_query


def test_free_words_are_ranked_terms() -> None:
    q = parse_query("diffusion transformer")
    assert q.should == [Term("diffusion"), Term("transformer")]
    assert not q.must and not q.must_not and q.filters.is_empty()


def test_phrase_exclusion_and_fields() -> None:
    q = parse_query('"exact phrase" -foo -"bad idea" +must au:"Geoffrey Hinton" ti:gpt-4 abs:attention')
    assert q.must == [
        Phrase(("exact", "phrase")),
        Term("must"),
        Phrase(("Geoffrey", "Hinton"), "author"),
        Phrase(("gpt", "4"), "title"),
        Term("attention", "abstract"),
    ]
    assert q.must_not == [Term("foo"), Phrase(("bad", "idea"))]


def test_not_and_or_keywords() -> None:
    q = parse_query("cats OR dogs NOT birds AND fish")
    assert q.should == [Term("cats"), Term("dogs"), Term("fish")]
    assert q.must_not == [Term("birds")]


def test_categories_and_dates() -> None:
    q = parse_query("x cat:cs.CL cat:cs.LG -cat:cs.CV year:2023..2025 since:2024-03 until:2024-06-15")
    assert q.filters.categories == ["cs.CL", "cs.LG"]
    assert q.filters.exclude_categories == ["cs.CV"]
    assert q.filters.since == date(2024, 3, 1)
    assert q.filters.until == date(2024, 6, 15)


def test_year_covers_whole_year_and_open_ranges() -> None:
    q = parse_query("year:2024")
    assert (q.filters.since, q.filters.until) == (date(2024, 1, 1), date(2024, 12, 31))
    assert parse_query("year:2024..").filters.until is None
    assert parse_query("date:..2024-02").filters.until == date(2024, 2, 29)


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("year:20x4", "is not a year"),
        ("since:2024-13", "is not a date"),
        ("since:yesterday", "is not a date"),
        ("cat:<script>", "is not a category"),
        ("year:2025 until:2024", "date range is empty"),
        ("-year:2024", "cannot be negated"),
        ("x" * 5000, "too long"),
        ("a " * 300, "too many words"),
    ],
)
def test_errors_name_the_parameter(text: str, fragment: str) -> None:
    with pytest.raises(QueryError) as err:
        parse_query(text)
    assert err.value.param == "q"
    assert fragment in err.value.message


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "NEAR(",
        "*",
        ":",
        "au:",
        "-",
        "+",
        "---",
        '"""',
        "((()))",
        "\x00\x07\x1b[31m",
        "foo:bar",
        "C++",
        "state-of-the-art",
        "日本語 Ελληνικά",
        "🙂",
    ],
)
def test_odd_inputs_parse(text: str) -> None:
    parse_query(text)  # no exception


def test_unknown_field_is_text_and_control_chars_are_spaces() -> None:
    assert parse_query("foo:bar").should == [Term("foo"), Term("bar")]
    assert parse_query("graph\x00neural\tnets").should == [Term("graph"), Term("neural"), Term("nets")]


def test_semantic_text_leaves_out_authors() -> None:
    q = parse_query('au:hinton "capsule networks" routing')
    assert q.semantic_text() == "capsule networks routing"
    assert not parse_query("au:hinton").semantic_text()
