"""Pure helpers of the web layer: periods, parameter parsing, BibTeX, HF highlight segments, feeds' cleaning."""

from __future__ import annotations

from datetime import date

import pytest

from paperfeed.models import Paper
from paperfeed.search.base import QueryError
from paperfeed.web.citation import bibtex_entry, cite_key
from paperfeed.web.feeds import _clean
from paperfeed.web.params import Span, parse_int, parse_month, parse_week, search_request
from paperfeed.web.serialize import segments


def _paper(**kw: object) -> Paper:
    base = dict(
        id="2401.00001",
        title="A Title",
        abstract="",
        version=1,
        authors=["Jane Q. Doe"],
        categories=["cs.CL"],
        submitted=date(2024, 1, 2),
        updated=None,
        announced=None,
        abs_url=None,
        pdf_url=None,
        code_url=None,
        project_url=None,
        doi=None,
        comment=None,
        journal_ref=None,
        content_hash="x",
    )
    base.update(kw)
    return Paper(**base)  # type: ignore[arg-type]


def test_spans_and_shifts() -> None:
    week = Span.containing("week", date(2026, 1, 1))  # a Thursday
    assert (week.start, week.end) == (date(2025, 12, 29), date(2026, 1, 4))
    assert week.key == "2026-W01"
    assert week.shifted(-1).key == "2025-W52"
    month = Span.containing("month", date(2024, 2, 10))
    assert month.end == date(2024, 2, 29)
    assert month.shifted(-2).start == date(2023, 12, 1)
    assert month.shifted(11).key == "2025-01"
    assert Span.containing("day", date(2026, 3, 1)).shifted(-1).key == "2026-02-28"


def test_week_and_month_parsing() -> None:
    assert parse_week("2025-W09") == date(2025, 2, 24)
    assert parse_month("2025-02") == date(2025, 2, 1)
    for bad in ("2025-W54", "2025-09", "W09"):
        with pytest.raises(QueryError) as err:
            parse_week(bad)
        assert err.value.param == "week"
    with pytest.raises(QueryError):
        parse_month("2025-13")


def test_limits_are_capped_not_refused() -> None:
    assert parse_int("5000", "limit", 50, 1, 100) == 100
    with pytest.raises(QueryError):
        parse_int("0", "limit", 50, 1, 100)
    req = search_request({"q": " diffusion ", "page_size": "999", "page": "2"})
    assert (req.q, req.page_size, req.page) == ("diffusion", 100, 2)


def test_bibtex() -> None:
    paper = _paper(title="On {Unbalanced} braces} in Titles", authors=["José Núñez", "B. Smith"])
    entry = bibtex_entry(paper)
    assert entry.startswith("@misc{nunez2024unbalanced,")
    assert "author = {Jos{\\'e} N{\\'u}{\\~n}ez and B. Smith}" in entry  # non-ASCII as BibTeX accent commands
    assert "title = {{On \\{Unbalanced\\} braces\\} in Titles}}" in entry  # every brace escaped, so balanced
    assert "eprint = {2401.00001}" in entry and "primaryClass = {cs.CL}" in entry
    assert cite_key(_paper(authors=[], title="The")) == "anon2024"
    specials = bibtex_entry(_paper(title="100% of #1 & $x_i$ {a} ~b ^c \\d", authors=["Adam Hewitt and", "B. Smith"]))
    assert (
        r"title = {{100\% of \#1 \& \$x\_i\$ \{a\} \textasciitilde{}b \textasciicircum{}c \textbackslash{}d}}"
        in specials
    )
    assert "author = {Adam Hewitt {and} and B. Smith}" in specials  # a stray "and" cannot split a name in two


def test_segments_cover_the_text() -> None:
    text = "Denoising Diffusion Models"
    segs = segments(text, [(10, 19), (12, 15), (40, 50)])
    assert segs == [
        {"type": "text", "text": "Denoising "},
        {"type": "highlight", "text": "Diffusion"},
        {"type": "text", "text": " Models"},
    ]
    assert segments("", []) == [{"type": "text", "text": ""}]


def test_feed_text_is_cleaned_of_xml_invalid_characters() -> None:
    assert _clean("a\x00b\x0bc  d\n e\x1f") == "ab c d e"  # NUL and US dropped, VT is whitespace
