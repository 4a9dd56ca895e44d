"""What reference managers read: a BibTeX entry, a RIS record and the paper page's meta tags.

BibTeX is written by bibtexparser and its text escaped by pylatexenc rather than by hand:
arXiv titles and abstracts are full of ``% # & $ _ { } ~ ^ \\`` and non-ASCII letters, and a
single unescaped ``%`` or ``{`` breaks the entry (or everything after it in a .bib file).
RIS goes through rispy. The meta tags are the Highwire ``citation_*`` set that Google Scholar
and Zotero's connector read, plus Open Graph and Twitter for link previews; they are returned
as plain (attribute, name, content) triples and escaped by the template like any other text.

A paper known only from the seed listing page (``h:`` ids) has no arXiv id, date or authors:
every format leaves those fields out rather than inventing an "Unknown" author.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

import bibtexparser
import rispy
from bibtexparser import model
from pylatexenc.latexencode import (
    RULE_CALLABLE,
    RULE_DICT,
    UnicodeToLatexConversionRule,
    UnicodeToLatexEncoder,
)

from paperfeed.models import Paper, http_url

_KEY_WORD = re.compile(r"[A-Za-z]+")
_STOP = {"a", "an", "the", "on", "of", "in", "for", "and", "to", "with", "towards", "toward"}
_ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})$")
SITE_NAME = "paperfeed"
RIS_MEDIA_TYPE = "application/x-research-info-systems"

# The ten characters special to (La)TeX, as text-mode commands that print the character itself.
_SPECIALS = {
    ord("%"): r"\%",
    ord("#"): r"\#",
    ord("&"): r"\&",
    ord("$"): r"\$",
    ord("_"): r"\_",
    ord("{"): r"\{",
    ord("}"): r"\}",
    ord("~"): r"\textasciitilde{}",
    ord("^"): r"\textasciicircum{}",
    ord("\\"): r"\textbackslash{}",
}


def _plain_ascii(text: str, pos: int) -> tuple[int, str] | None:
    """Every other ASCII character stays as it is (pylatexenc would turn ``"`` into ``''`` and ``<`` into math)."""
    return (1, text[pos]) if ord(text[pos]) < 128 else None


_ENCODER = UnicodeToLatexEncoder(
    conversion_rules=[
        UnicodeToLatexConversionRule(RULE_DICT, _SPECIALS, replacement_latex_protection="none"),
        UnicodeToLatexConversionRule(RULE_CALLABLE, _plain_ascii, replacement_latex_protection="none"),
        "defaults",  # non-ASCII letters and symbols: é -> {\'e}, α -> {\ensuremath{\alpha}}
    ],
    replacement_latex_protection="braces-all",  # {\'e}: the form BibTeX sorts and abbreviates correctly
    unknown_char_policy="keep",  # CJK, emoji: no LaTeX form; kept for biber/UTF-8 BibTeX
    unknown_char_warning=False,
)


# What needs escaping: the specials and anything outside printable ASCII. Most of a title is neither, and
# pylatexenc walks its rules in Python for every character, so only these go through it (once each: cached).
_NEEDS_ESCAPE = re.compile(r"[%#&$_{}~^\\]|[^\x20-\x7e]")


@lru_cache(maxsize=4096)
def _escape_char(ch: str) -> str:
    return str(_ENCODER.unicode_to_latex(ch))


def latex_escape(text: str) -> str:
    """`text` as LaTeX that prints it verbatim: specials escaped, non-ASCII as accent commands, whitespace folded."""
    folded = unicodedata.normalize("NFC", " ".join(text.split()))  # é as one character, not e + a combining accent
    return _NEEDS_ESCAPE.sub(lambda m: _escape_char(m.group()), folded)


def is_arxiv_id(paper_id: str) -> bool:
    """A new-style (2401.00001) or old-style (hep-th/9901001) arXiv id; seed-page ``h:`` ids are not."""
    return bool(_ARXIV_ID.match(paper_id))


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def cite_key(paper: Paper) -> str:
    """arXiv's own key form: first author's last name, year, first significant title word."""
    last = ""
    if paper.authors:
        parts = _ascii(paper.authors[0]).replace(",", " ").split()
        last = parts[-1].lower() if parts else ""
    last = re.sub(r"[^a-z]", "", last) or "anon"
    year = str(paper.published.year) if paper.published else ""
    word = next((w.lower() for w in _KEY_WORD.findall(_ascii(paper.title)) if w.lower() not in _STOP), "")
    return f"{last}{year}{word}"


def _abs_url(paper: Paper) -> str | None:
    return http_url(paper.abs_url) or (f"https://arxiv.org/abs/{paper.id}" if is_arxiv_id(paper.id) else None)


_AND = re.compile(r"(?<!\S)and(?!\S)", re.IGNORECASE)


def _bibtex_name(name: str) -> str:
    """One author, escaped; a stray word "and" inside it (the listing has "Adam Hewitt and") is braced,
    since BibTeX splits the author list on every "and" outside braces."""
    return _AND.sub(lambda m: "{" + m.group() + "}", latex_escape(name))


def bibtex_entry(paper: Paper) -> str:
    """A ``@misc`` entry in the form arXiv's "Export BibTeX citation" uses, every value escaped."""
    fields: list[tuple[str, str]] = [("title", "{" + latex_escape(paper.title) + "}")]  # inner braces keep case
    if paper.authors:  # no authors known (a seed-page paper): no author field, rather than a made-up "Unknown"
        fields.append(("author", " and ".join(_bibtex_name(a) for a in paper.authors)))
    if paper.published:
        fields.append(("year", str(paper.published.year)))
    if is_arxiv_id(paper.id):
        fields += [("eprint", paper.id), ("archivePrefix", "arXiv")]
        if paper.primary_category:
            fields.append(("primaryClass", latex_escape(paper.primary_category)))
    if paper.doi:
        fields.append(("doi", latex_escape(paper.doi)))
    url = _abs_url(paper)
    if url:
        fields.append(("url", url))  # \url-style field: read verbatim by biblatex and hyperref
    entry = model.Entry("misc", cite_key(paper), [model.Field(k, v) for k, v in fields])
    fmt = bibtexparser.BibtexFormat()
    fmt.indent = "      "
    fmt.block_separator = "\n"
    return bibtexparser.write_string(bibtexparser.Library([entry]), bibtex_format=fmt).strip()


class _RisWriter(rispy.RisWriter):
    """rispy's writer without its "1." line before each record, which other readers do not expect."""

    def set_header(self, count: int) -> str:
        return ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def ris_record(paper: Paper) -> str:
    """The paper as one RIS record (``TY  - UNPB``: a preprint), for EndNote, Zotero, Mendeley."""
    ref: dict[str, Any] = {"type_of_reference": "UNPB", "title": _one_line(paper.title)}
    if paper.authors:
        ref["authors"] = [_one_line(a) for a in paper.authors]
    if paper.published:
        ref["year"] = str(paper.published.year)
        ref["date"] = paper.published.strftime("%Y/%m/%d")
    if paper.abstract.strip():
        ref["abstract"] = _one_line(paper.abstract)
    if is_arxiv_id(paper.id):
        ref["name_of_database"] = "arXiv"
        ref["accession_number"] = paper.id
    if paper.doi:
        ref["doi"] = _one_line(paper.doi)
    url = _abs_url(paper)
    if url:
        ref["urls"] = [url]
    pdf = http_url(paper.pdf_url)
    if pdf:
        ref["file_attachments1"] = pdf
    if paper.categories:
        ref["keywords"] = list(paper.categories)
    if paper.comment:
        ref["notes"] = [_one_line(paper.comment)]
    return str(rispy.dumps([ref], implementation=_RisWriter))


def meta_tags(paper: Paper, page_url: str) -> list[tuple[str, str, str]]:
    """(attribute, key, content) for each ``<meta>`` of the paper page; a field the paper lacks is left out.

    `page_url` is the paper page's absolute address (from the configured base URL).
    """
    title = _one_line(paper.title)
    description = _one_line(paper.abstract)
    if len(description) > 300:
        description = description[:299].rsplit(" ", 1)[0] + "…"
    tags: list[tuple[str, str, str]] = [("name", "citation_title", title)]
    tags += [("name", "citation_author", _one_line(a)) for a in paper.authors if a.strip()]
    if paper.published:
        tags.append(("name", "citation_publication_date", paper.published.strftime("%Y/%m/%d")))
    if paper.submitted:
        tags.append(("name", "citation_online_date", paper.submitted.strftime("%Y/%m/%d")))
    if is_arxiv_id(paper.id):
        tags.append(("name", "citation_arxiv_id", paper.id))
    if paper.doi:
        tags.append(("name", "citation_doi", _one_line(paper.doi)))
    pdf = http_url(paper.pdf_url)
    if pdf:
        tags.append(("name", "citation_pdf_url", pdf))
    tags.append(("name", "citation_abstract_html_url", page_url))
    if description:
        tags.append(("name", "description", description))
    tags += [
        ("property", "og:type", "article"),
        ("property", "og:site_name", SITE_NAME),
        ("property", "og:title", title),
        ("property", "og:url", page_url),
    ]
    if description:
        tags.append(("property", "og:description", description))
    if paper.published:
        tags.append(("property", "article:published_time", paper.published.isoformat()))
    tags += [("name", "twitter:card", "summary"), ("name", "twitter:title", title)]
    if description:
        tags.append(("name", "twitter:description", description))
    return tags
