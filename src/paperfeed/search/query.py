"""The search query language, parsed into a small AST. Pure: no I/O, no engine.

Why a parser of our own: the engines' own query languages (tantivy's, or
PostgreSQL's ``to_tsquery``) raise syntax errors on ordinary user input such as
``NEAR(``, an odd number of quotes or ``C++``. Here every input either parses
into a safe AST or raises `QueryError` with a message a user can act on;
backends then build engine queries from the AST programmatically.

The language (documented for users in the web help and ``paperfeed search --help``):

- ``diffusion transformer``: free words, ranked by relevance (any may match)
- ``"exact phrase"``: must appear as a phrase
- ``-word`` / ``-"a phrase"`` / ``NOT word``: must not appear
- ``+word``: must appear
- ``au:hinton`` / ``author:"Geoffrey Hinton"``: author must match
- ``ti:transformer`` / ``title:"..."``: title must match; ``abs:``/``abstract:`` likewise
- ``cat:cs.CL`` (several: any of them), ``-cat:cs.CV``: category filter
- ``year:2024``, ``year:2023..2025``, ``since:2024-03``, ``until:2025-01-31``,
  ``date:2024-01..2024-06``: publication date filter
- ``OR`` / ``AND`` between words are accepted and ignored: free words are
  already ranked by how many of them match; an unknown ``field:`` is read as text.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from paperfeed.search.base import QueryError

Field = Literal["all", "title", "abstract", "author"]

MAX_QUERY_CHARS = 4096
MAX_CLAUSES = 256
MAX_WORD_CHARS = 100

_FIELD_ALIASES: dict[str, str] = {
    "au": "author",
    "author": "author",
    "authors": "author",
    "ti": "title",
    "title": "title",
    "abs": "abstract",
    "abstract": "abstract",
    "cat": "cat",
    "category": "cat",
    "year": "year",
    "since": "since",
    "from": "since",
    "until": "until",
    "to": "until",
    "date": "date",
}
_CATEGORY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*(\.[A-Za-z0-9-]+)?$")
_YEAR_RE = re.compile(r"^\d{4}$")
_PARTIAL_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_WORD_SPLIT_RE = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Term:
    """One word as the user typed it (backends analyse/stem it themselves)."""

    text: str
    field: Field = "all"


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words that must appear next to each other, in order."""

    words: tuple[str, ...]
    field: Field = "all"


Clause = Term | Phrase


@dataclass(slots=True)
class Filters:
    """Restrictions that do not affect ranking, only membership."""

    since: date | None = None
    until: date | None = None
    categories: list[str] = field(default_factory=list)  # any of these
    exclude_categories: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.since or self.until or self.categories or self.exclude_categories)


@dataclass(slots=True)
class ParsedQuery:
    """The AST: ranked words, required and forbidden clauses, and filters."""

    should: list[Clause] = field(default_factory=list)
    must: list[Clause] = field(default_factory=list)
    must_not: list[Clause] = field(default_factory=list)
    filters: Filters = field(default_factory=Filters)
    # The user's own wording of the ranked/required text (punctuation kept: "GPT-4", "C++"),
    # which is what a sentence embedder should see; author and filter tokens are left out.
    text_parts: list[str] = field(default_factory=list)

    @property
    def has_text(self) -> bool:
        """True when there is anything to rank by (otherwise: list by date)."""
        return bool(self.should or self.must)

    @property
    def is_constrained(self) -> bool:
        """True when membership is restricted beyond ranking (dense hits must be checked)."""
        return bool(self.must or self.must_not or not self.filters.is_empty())

    def positive_words(self) -> list[str]:
        """Every word the user wants to see, for highlighting."""
        out: list[str] = []
        for clause in (*self.should, *self.must):
            out.extend((clause.text,) if isinstance(clause, Term) else clause.words)
        return out

    def semantic_text(self) -> str:
        """The text to embed for dense retrieval: the user's non-author words, in order."""
        if self.text_parts:
            return " ".join(self.text_parts)
        words: list[str] = []
        for clause in (*self.should, *self.must):
            if clause.field == "author":
                continue
            words.extend((clause.text,) if isinstance(clause, Term) else clause.words)
        return " ".join(words)


def split_words(text: str) -> list[str]:
    """Alphanumeric runs: the same word boundaries the index's tokenizer uses."""
    return _WORD_SPLIT_RE.findall(text)


def clean(text: str) -> str:
    """NFKC-normalise and turn control/format characters into spaces."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(" " if unicodedata.category(ch)[0] in "CZ" and ch != " " else ch for ch in text)


# -- lexer ----------------------------------------------------------------------


@dataclass(slots=True)
class _Token:
    sign: str  # "", "+", "-"
    field: str | None  # canonical field name, or None for free text
    value: str
    quoted: bool


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == " ":
            i += 1
            continue
        sign = ""
        if text[i] in "+-" and i + 1 < n and text[i + 1] not in " +-":
            sign = text[i]
            i += 1
        fld: str | None = None
        m = re.match(r"([A-Za-z]+):", text[i:])
        if m and m.group(1).lower() in _FIELD_ALIASES and i + m.end() < n and text[i + m.end()] != " ":
            fld = _FIELD_ALIASES[m.group(1).lower()]
            i += m.end()
        if i < n and text[i] == '"':
            end = text.find('"', i + 1)
            end = n if end < 0 else end
            tokens.append(_Token(sign, fld, text[i + 1 : end], True))
            i = end + 1
            continue
        end = i
        while end < n and text[end] != " " and not (text[end] == '"' and end > i and fld is None):
            end += 1
        tokens.append(_Token(sign, fld, text[i:end], False))
        i = end
    return tokens


# -- parser ---------------------------------------------------------------------


def parse_query(q: str | None) -> ParsedQuery:
    """Parse any string into a `ParsedQuery`, or raise `QueryError` naming ``q``."""
    if q is None:
        return ParsedQuery()
    if not isinstance(q, str):
        raise QueryError("q", "the query must be text")
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError("q", f"the query is too long ({len(q)} characters; at most {MAX_QUERY_CHARS})")
    parsed = ParsedQuery()
    negate_next = False
    for tok in _lex(clean(q)):
        sign = tok.sign
        if not tok.quoted and tok.field is None and sign == "":
            if tok.value in ("OR", "AND", "||", "&&"):
                continue
            if tok.value == "NOT":
                negate_next = True
                continue
        if negate_next:
            sign, negate_next = "-", False
        if tok.field in ("cat", "year", "since", "until", "date"):
            _apply_filter(parsed.filters, tok.field, tok.value.strip(), negated=sign == "-")
            continue
        fld: Field = tok.field if tok.field in ("title", "abstract", "author") else "all"  # type: ignore[assignment]
        words = [w[:MAX_WORD_CHARS] for w in split_words(tok.value)]
        if not words:
            continue  # punctuation only ("*", "NEAR(", ":"): nothing to search for
        if sign != "-" and fld != "author":
            parsed.text_parts.append(" ".join(tok.value.split()))
        if tok.quoted or (len(words) > 1 and (sign or fld != "all")):
            clause: Clause = Phrase(tuple(words), fld) if len(words) > 1 else Term(words[0], fld)
            target = parsed.must_not if sign == "-" else parsed.must
            target.append(clause)
        else:
            # "C++", "state-of-the-art", "GPT-4": free words split at punctuation, each ranked.
            if sign == "-":
                parsed.must_not.append(Phrase(tuple(words), fld) if len(words) > 1 else Term(words[0], fld))
            elif sign == "+" or fld != "all":
                parsed.must.extend(Term(w, fld) for w in words)
            else:
                parsed.should.extend(Term(w) for w in words)
        if len(parsed.should) + len(parsed.must) + len(parsed.must_not) > MAX_CLAUSES:
            raise QueryError("q", f"the query has too many words (at most {MAX_CLAUSES})")
    f = parsed.filters
    if f.since and f.until and f.since > f.until:
        raise QueryError("q", f"the date range is empty: {f.since} is after {f.until}")
    return parsed


def _apply_filter(filters: Filters, name: str, value: str, negated: bool) -> None:
    if name == "cat":
        if not _CATEGORY_RE.match(value):
            raise QueryError("q", f"cat: '{_show(value)}' is not a category (use e.g. cat:cs.CL)")
        (filters.exclude_categories if negated else filters.categories).append(value)
        return
    if negated:
        raise QueryError("q", f"{name}: cannot be negated; use since:/until: for date ranges")
    if name in ("year", "date"):
        lo_text, sep, hi_text = value.partition("..")
        if name == "year":
            for part in (lo_text, hi_text):
                if part and not _YEAR_RE.match(part):
                    raise QueryError("q", f"year: '{_show(value)}' is not a year (use year:2024 or year:2023..2025)")
        if not sep:
            hi_text = lo_text  # year:2024 covers the whole year
        lo = _partial_date(lo_text, "start", name) if lo_text else None
        hi = _partial_date(hi_text, "end", name) if hi_text else None
        if lo is None and hi is None:
            raise QueryError("q", f"{name}: needs a value (e.g. {name}:2024 or {name}:2023..2025)")
        _narrow(filters, lo, hi)
    elif name == "since":
        _narrow(filters, _partial_date(value, "start", name), None)
    else:
        _narrow(filters, None, _partial_date(value, "end", name))


def _narrow(filters: Filters, lo: date | None, hi: date | None) -> None:
    if lo and (filters.since is None or lo > filters.since):
        filters.since = lo
    if hi and (filters.until is None or hi < filters.until):
        filters.until = hi


def _partial_date(text: str, side: Literal["start", "end"], name: str) -> date:
    """``2024`` / ``2024-03`` / ``2024-03-05`` as the first or last day it covers."""
    m = _PARTIAL_DATE_RE.match(text)
    problem = f"{name}: '{_show(text)}' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"
    if not m:
        raise QueryError("q", problem)
    year = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else (1 if side == "start" else 12)
    if m.group(3):
        day = int(m.group(3))
    else:
        day = 1 if side == "start" or not 1 <= month <= 12 else calendar.monthrange(year, month)[1]
    try:
        return date(year, month, day)
    except ValueError:
        raise QueryError("q", problem) from None


def _show(value: str) -> str:
    return value if len(value) <= 40 else value[:37] + "..."
