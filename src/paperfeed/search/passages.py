"""Cutting a paper into short passages for embedding.

Why: all-MiniLM-L6-v2 reads at most 256 tokens and was trained on 128-token
inputs, while most abstracts are longer (SciFact: median 317 tokens for
"Title. Abstract", 72% over 256), so one vector per paper loses the tail of
the abstract. The title and windows of whole sentences get vectors of their
own (cached beside the paper's), and the searcher re-scores its dense top
candidates by the best of them; averaging them into the paper's one vector
was tried and gained nothing (docs/benchmarks.md).

The cut is word based (whitespace words, not model tokens) so it is pure,
cheap and the same in every runtime; ~1.7 model tokens per word on
scientific English puts a 40-word window well inside the model's 128-token regime.
"""

from __future__ import annotations

import re

# A sentence ends at . ! or ? followed by space and something that starts a sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, whitespace collapsed; a text without ends is one sentence."""
    text = " ".join((text or "").split())
    if not text:
        return []
    return [s for s in _SENTENCE_END.split(text) if s]


def abstract_windows(abstract: str, max_words: int = 70, overlap: int = 0) -> list[str]:
    """Consecutive sentences packed greedily into windows of at most `max_words` words.

    Each window after the first starts `overlap` sentences before the previous
    one ended, when the window still has room for the next new sentence. A single sentence longer than the
    window is cut into word chunks.
    """
    units: list[str] = []
    sizes: list[int] = []
    for sentence in split_sentences(abstract):  # the searcher cuts its candidates at query time: keep it lean
        words = sentence.split()
        if len(words) <= max_words:
            units.append(sentence)
            sizes.append(len(words))
            continue
        for i in range(0, len(words), max_words):
            units.append(" ".join(words[i : i + max_words]))
            sizes.append(len(words[i : i + max_words]))
    windows: list[str] = []
    start = 0
    while start < len(units):
        end, taken = start, 0
        while end < len(units) and (end == start or taken + sizes[end] <= max_words):
            taken += sizes[end]
            end += 1
        windows.append(" ".join(units[start:end]))
        if end >= len(units):
            break
        nxt = max(start + 1, end - overlap)
        if sum(sizes[nxt : end + 1]) > max_words:
            nxt = end  # the overlap would crowd out the next new sentence: no overlap here
        start = nxt
    return windows


PASSAGE_WORDS = 40  # SciFact train, MaxP re-scoring: 25/40/55/70-word windows gave hybrid 0.736/0.744/0.741/0.742


def paper_passages(title: str, abstract: str, max_words: int = PASSAGE_WORDS) -> list[str]:
    """The short texts whose vectors re-score a paper in dense retrieval: its title, then its abstract's windows.

    Windows carry no title prefix: the title is its own passage, which keeps
    the embedding work about the size of the abstract itself (measured 9.5
    against 12 docs/s per core for the one-vector text). A paper with neither
    gives no passages.
    """
    t = " ".join((title or "").split())
    return ([t] if t else []) + abstract_windows(abstract, max_words)
