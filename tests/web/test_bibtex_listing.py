"""Every BibTeX entry paperfeed writes for the shipped listing's LaTeX-heavy papers parses back to what it says.

The papers are those of ../shared's 75k listing whose title or abstract holds one of the ten
characters special to (La)TeX. All their entries go into one .bib text, as a user's file would
hold them, which bibtexparser must read back whole: one entry per paper (an unescaped ``{`` or
``%`` would swallow or split its neighbours), each title and author list that, decoded as LaTeX
by pylatexenc, is the original text again.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import bibtexparser
import pytest
from bibtexparser.model import DuplicateBlockKeyBlock, Entry
from pylatexenc.latex2text import LatexNodes2Text

from paperfeed.models import Paper
from paperfeed.web.citation import bibtex_entry

pytestmark = [pytest.mark.shared, pytest.mark.slow]
SPECIALS = re.compile(r"[%#&$_{}~^\\]")
LISTING = "data/arxiv/listings-2025-03-to-2026-07.jsonl.gz"


def _papers_with_specials(path: Path) -> list[Paper]:
    """One pass over the file; the JSON of a line without any special is never parsed."""
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if not SPECIALS.search(line):
                continue
            raw = json.loads(line)
            title, abstract = raw.get("title") or "", raw.get("summary") or ""
            if not (SPECIALS.search(title) or SPECIALS.search(abstract)):
                continue  # the special was in another field (a comment, an author)
            out.append(
                Paper(
                    id=raw["id"],
                    title=title,
                    abstract=abstract,
                    version=None,
                    authors=list(raw.get("authors") or []),
                    categories=list(raw.get("categories") or []),
                    submitted=None,
                    updated=None,
                    announced=None,
                    abs_url=raw.get("abs"),
                    pdf_url=raw.get("pdf"),
                    code_url=None,
                    project_url=None,
                    doi=None,
                    comment=raw.get("comment"),
                    journal_ref=None,
                    content_hash="",
                )
            )
    return out


def _split_names(names: str) -> list[str]:
    """BibTeX's rule: names are separated by the word "and" (any case) at brace depth 0.

    (bibtexparser's own splitter drops a character from a name that starts with ``\\t``.)
    """
    out, current, depth = [], [], 0
    for word in names.split(" "):
        if depth == 0 and word.lower() == "and" and current:
            out.append(" ".join(current))
            current = []
            continue
        current.append(word)
        depth += word.count("{") - word.count("}") - word.count("\\{") + word.count("\\}")
    out.append(" ".join(current))
    return out


def _as_printed(text: str) -> str:
    """What LaTeX prints for plain text: whitespace folded, ``--``/``---`` its dashes, ``''``/````` its quotes."""
    folded = " ".join(text.split()).replace("---", "—").replace("--", "–")
    return folded.replace("''", "\u201d").replace("``", "\u201c")


def test_every_entry_with_latex_specials_round_trips(shared_dir: Path) -> None:
    papers = _papers_with_specials(shared_dir / LISTING)
    assert len(papers) > 20_000  # 26,327 when measured: the filter found the papers it is about
    library = bibtexparser.parse_string("\n\n".join(bibtex_entry(p) for p in papers))
    # Two papers may share a cite key (as two arXiv exports can); that is not a parse failure.
    broken = [b for b in library.failed_blocks if not isinstance(b, DuplicateBlockKeyBlock)]
    assert not broken, broken[:3]
    entries = [b.ignore_error_block if isinstance(b, DuplicateBlockKeyBlock) else b for b in library.blocks]
    assert all(isinstance(e, Entry) for e in entries)
    assert len(entries) == len(papers)

    duplicates = {id(b.ignore_error_block) for b in library.failed_blocks}
    decode = LatexNodes2Text().latex_to_text
    wrong = []
    for paper, entry in zip(papers, entries, strict=True):
        # A duplicate's entry skips the parser's last step, which strips each value's delimiting braces.
        fields = {k: f.value[1:-1] if id(entry) in duplicates else f.value for k, f in entry.fields_dict.items()}
        assert fields["eprint"] == paper.id  # the parser strips the field's delimiting braces
        title = fields["title"]
        assert title.startswith("{") and title.endswith("}"), (paper.id, title)  # the braces that keep its case
        latex = title[1:-1]
        # U+02C6 is how pylatexenc prints \textasciicircum; LaTeX prints a plain circumflex.
        if "\\" in latex:
            got, want = decode(latex).replace("\u02c6", "^"), _as_printed(paper.title)
        else:  # nothing escaped: the title itself, byte for byte
            got, want = latex, " ".join(paper.title.split())
        if got != want:
            wrong.append((paper.id, paper.title, latex, got))
        if paper.authors:
            names = fields["author"]
            # Split as BibTeX does (on "and" outside braces), then decode each name.
            if "\\" in names or "{" in names:
                authors = [decode(n) for n in _split_names(names)]
                want_authors = [_as_printed(a) for a in paper.authors]
            else:
                authors, want_authors = names.split(" and "), [" ".join(a.split()) for a in paper.authors]
            if authors != want_authors:
                wrong.append((paper.id, paper.authors, fields["author"], authors))
    assert not wrong, f"{len(wrong)} entries do not round-trip, e.g. {wrong[:3]}"
