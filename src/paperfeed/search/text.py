"""Word-level text analysis shared by the index, the highlighter and the fuzz tests.

The index (tantivy's Snowball English stemmer) and the highlighter (PyStemmer's
Snowball English) must agree on what "the same word" is, or a hit would show no
marks; keeping the stop words and the word splitter here keeps them in step.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import Stemmer

from paperfeed.search.query import split_words

# Lucene's English stop words: the list BM25 baselines (Anserini/Pyserini) use.
STOPWORDS: frozenset[str] = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
    }
)

_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Lower-cased, accent-folded Snowball English stem of one word (the index folds accents too)."""
    word = word.lower()
    if not word.isascii():
        word = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    return _stemmer.stemWord(word)


def content_stems(text: str) -> list[str]:
    """The stems the index sees for `text` (stop words dropped)."""
    return [stem(w) for w in split_words(text) if w.lower() not in STOPWORDS]
