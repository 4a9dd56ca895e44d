"""A BibTeX entry for a paper, in the form arXiv's own "Export BibTeX citation" uses."""

from __future__ import annotations

import re
import unicodedata

from paperfeed.models import Paper

_KEY_WORD = re.compile(r"[A-Za-z]+")
_STOP = {"a", "an", "the", "on", "of", "in", "for", "and", "to", "with", "towards", "toward"}


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _braces_balanced(text: str) -> str:
    """BibTeX breaks on unbalanced braces; drop them rather than emit a broken entry."""
    depth = 0
    for ch in text:
        depth += ch == "{"
        depth -= ch == "}"
        if depth < 0:
            break
    return text if depth == 0 else text.replace("{", "").replace("}", "")


def cite_key(paper: Paper) -> str:
    last = ""
    if paper.authors:
        parts = _ascii(paper.authors[0]).replace(",", " ").split()
        last = parts[-1].lower() if parts else ""
    last = re.sub(r"[^a-z]", "", last) or "anon"
    year = str(paper.published.year) if paper.published else ""
    word = next((w.lower() for w in _KEY_WORD.findall(_ascii(paper.title)) if w.lower() not in _STOP), "")
    return f"{last}{year}{word}"


def bibtex_entry(paper: Paper) -> str:
    fields: list[tuple[str, str]] = [("title", "{" + _braces_balanced(" ".join(paper.title.split())) + "}")]
    if paper.authors:  # no authors known (a seed-page paper): no author field, rather than a made-up "Unknown"
        fields.append(("author", " and ".join(_braces_balanced(a) for a in paper.authors)))
    if paper.published:
        fields.append(("year", str(paper.published.year)))
    looks_arxiv = bool(re.match(r"^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})$", paper.id))
    if looks_arxiv:
        fields += [("eprint", paper.id), ("archivePrefix", "arXiv")]
        if paper.primary_category:
            fields.append(("primaryClass", paper.primary_category))
    if paper.doi:
        fields.append(("doi", paper.doi))
    url = paper.abs_url or (f"https://arxiv.org/abs/{paper.id}" if looks_arxiv else None)
    if url:
        fields.append(("url", url))
    body = ",\n".join(f"      {name}={{{value}}}" for name, value in fields)
    return f"@misc{{{cite_key(paper)},\n{body}\n}}"
