"""Marking the matched words in titles and abstracts. Pure functions.

Every result shows why it matched; the marks follow the index's notion of a
word (same splitter, same stemmer, same stop words), so "models" in the query
marks "model" and "modelling" in the text. Output is HTML-escaped before the
``<mark>`` tags go in, so a title containing ``<script>`` renders as text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from paperfeed.search.text import STOPWORDS, stem

_WORD = re.compile(r"[^\W_]+")


def query_stems(words: Iterable[str]) -> frozenset[str]:
    """The stems to mark for these query words (stop words never marked)."""
    return frozenset(stem(w) for w in words if w and w.lower() not in STOPWORDS)


def spans(text: str, stems: frozenset[str]) -> list[tuple[int, int]]:
    """(start, end) character offsets of the words in `text` whose stem is wanted."""
    if not stems or not text:
        return []
    return [(m.start(), m.end()) for m in _WORD.finditer(text)
            if m.group().lower() not in STOPWORDS and stem(m.group()) in stems]


def mark(text: str, marks: list[tuple[int, int]]) -> str:
    """HTML-escaped `text` with ``<mark>`` around each span (spans must be sorted, disjoint)."""
    out: list[str] = []
    pos = 0
    for start, end in marks:
        out.append(html.escape(text[pos:start]))
        out.append("<mark>" + html.escape(text[start:end]) + "</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def highlight(text: str, stems: frozenset[str]) -> tuple[str, list[tuple[int, int]]]:
    """Both forms at once: safe HTML and the plain spans (for the HF-style API)."""
    found = spans(text or "", stems)
    return mark(text or "", found), found
