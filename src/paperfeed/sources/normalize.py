"""Field normalisation every source shares: ids, dates, names, whitespace.

Each function raises `RecordError` naming the field, so a source can turn a
bad record into a precise `Rejection` without knowing the rules itself.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from email.utils import parsedate_to_datetime

from paperfeed.sources.base import RecordError

# 2501.01234, 0704.0001 (4-digit before 2015), with optional version
_NEW_ID = re.compile(r"^(\d{4}\.\d{4,5})(?:v(\d+))?$")
# hep-th/9901001, math.GT/0309136, cs/0112017
_OLD_ID = re.compile(r"^([a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v(\d+))?$")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_PREFIXES = (
    "https://arxiv.org/abs/",
    "http://arxiv.org/abs/",
    "https://arxiv.org/pdf/",
    "http://arxiv.org/pdf/",
    "https://export.arxiv.org/abs/",
    "http://export.arxiv.org/abs/",
    "oai:arXiv.org:",
    "oai:arxiv.org:",
    "arXiv:",
    "arxiv:",
)
_WS = re.compile(r"\s+")
# ids paperfeed mints itself: content hashes (h:...) and BEIR corpus ids (beir:...)
_LOCAL_ID = re.compile(r"^(h:[0-9a-f]{20}|beir:\S{1,200})$")


# Field size caps. The largest real values are far below them (arXiv abstracts stop at
# 1,920 characters, SciFact's longest text is 10,000; real listings hold free-text
# "categories" of 150 characters and glued author strings of 512); a record over a cap is refused
# with its field named rather than stored, so one 50 MB abstract cannot bloat the
# database, the search index and every page that shows it.
MAX_CHARS = {
    "title": 2_000,
    "abstract": 100_000,
    "author": 1_000,
    "comment": 5_000,
    "journal_ref": 2_000,
    "doi": 300,
    "url": 2_000,
    "category": 300,
}
MAX_AUTHORS = 5_000
MAX_CATEGORIES = 50
MIN_YEAR, MAX_YEAR = 1900, 2999  # the dates the web site serves (web/params.py)
_URL_SCHEMES = ("http://", "https://")


def capped(text: str, field: str, kind: str | None = None) -> str:
    """`text` unless it is longer than the cap for `kind` (default: `field`)."""
    limit = MAX_CHARS[kind or field]
    if len(text) > limit:
        raise RecordError(field, f"is {len(text):,} characters long; the limit is {limit:,}")
    return text


def text_field(value: object, field: str, kind: str | None = None) -> str:
    """A text field: a string (or nothing), whitespace collapsed and size-capped."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(field, f"expected text, got {_kind(value)}")
    return capped(clean_text(value), field, kind)


def web_url(value: object, field: str) -> str | None:
    """An optional link shown on pages, feeds and mails: only http(s) URLs are accepted.

    Anything else (``javascript:``, ``data:``, a list) would become a clickable link to
    something that is not a web page, so the record is refused with the field named.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RecordError(field, f"expected a URL, got {_kind(value)}")
    text = value.strip()
    if not text.lower().startswith(_URL_SCHEMES) or any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise RecordError(field, f"'{text[:60]}' is not an http(s) URL")
    return capped(text, field, "url")


def kind_of(value: object) -> str:
    """How a JSON value's type reads in a rejection: "a number", "a list", "an object"."""
    return _kind(value)


def _kind(value: object) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def clean_text(value: object) -> str:
    """Collapse the hard line wraps and runs of spaces arXiv metadata is full of."""
    if value is None:
        return ""
    return _WS.sub(" ", str(value)).strip()


def arxiv_id(raw: object, field: str = "id") -> tuple[str, int | None]:
    """Split an arXiv identifier (any common spelling) into (id without version, version)."""
    text = clean_text(raw)
    if not text:
        raise RecordError(field, "missing")
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    text = text.removesuffix(".pdf")
    for pattern in (_NEW_ID, _OLD_ID):
        m = pattern.match(text)
        if m:
            return m.group(1), int(m.group(2)) if m.group(2) else None
    raise RecordError(field, f"unknown id form '{clean_text(raw)[:80]}'")


def is_arxiv_id(raw: str) -> bool:
    try:
        arxiv_id(raw)
    except RecordError:
        return False
    return True


def paper_id(raw: object, field: str = "id", doi: object = None) -> tuple[str, int | None]:
    """A stable paper id: the arXiv id if there is one, else ``doi:<doi>``."""
    text = clean_text(raw)
    if text:
        if _LOCAL_ID.match(text):
            return text, None
        if _DOI.match(text):
            return f"doi:{text.lower()}", None
        if text.lower().startswith("doi:") and _DOI.match(text[4:]):
            return f"doi:{text[4:].lower()}", None
        return arxiv_id(text, field)
    doi_text = clean_text(doi)
    if doi_text and _DOI.match(doi_text):
        return f"doi:{doi_text.lower()}", None
    raise RecordError(field, "missing")


def hash_id(title: str, abstract: str = "") -> str:
    """An id for a paper that has neither arXiv id nor DOI: a hash of its content."""
    digest = hashlib.sha256(f"{clean_text(title).lower()}\n{clean_text(abstract).lower()}".encode())
    return f"h:{digest.hexdigest()[:20]}"


def parse_date(value: object, field: str) -> date | None:
    """Parse ISO dates and datetimes, and RFC 2822 dates; None for empty values."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise RecordError(field, f"expected a date, got {_kind(value)}")
    return _in_years(_parse_date_text(value.strip(), field), field)


def _parse_date_text(text: str, field: str) -> date:
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError, OverflowError):
        raise RecordError(field, f"unparseable date '{text[:40]}'") from None


def _in_years(day: date, field: str) -> date:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise RecordError(field, f"{day.isoformat()} is outside the years {MIN_YEAR}-{MAX_YEAR}")
    return day


def split_authors(value: object, field: str = "authors") -> list[str]:
    """Authors from a list of names, arXiv's ``authors_parsed`` ([last, first, suffix] lists),
    or arXiv's "A, B and C" string. Anything else names `field` in a `RecordError`."""
    if value is None:
        return []
    if isinstance(value, list):
        if len(value) > MAX_AUTHORS:
            raise RecordError(field, f"has {len(value):,} authors; the limit is {MAX_AUTHORS:,}")
        names = [_author_name(v, f"{field}[{i}]") for i, v in enumerate(value)]
        return [n for n in names if n]
    if not isinstance(value, str):
        raise RecordError(field, f"expected names, got {_kind(value)}")
    text = clean_text(value)
    if not text:
        return []
    text = re.sub(r",?\s+and\s+", ", ", text)
    names = [capped(n.strip(), field, "author") for n in text.split(",") if n.strip()]
    if len(names) > MAX_AUTHORS:
        raise RecordError(field, f"has {len(names):,} authors; the limit is {MAX_AUTHORS:,}")
    return names


def _author_name(value: object, field: str) -> str:
    if isinstance(value, str):
        return capped(clean_text(value), field, "author")
    if isinstance(value, list) and all(isinstance(p, str) or p is None for p in value):
        parts = [p for p in value[:2] if p]
        return capped(clean_text(" ".join(reversed(parts))), field, "author")
    if isinstance(value, list):
        bad = next(p for p in value if not (isinstance(p, str) or p is None))
        raise RecordError(field, f"expected [last, first] strings, got a list holding {_kind(bad)}")
    raise RecordError(field, f"expected a name or [last, first] strings, got {_kind(value)}")


def split_categories(value: object, field: str = "categories") -> list[str]:
    """Categories from a list or a space/comma separated string, primary first, no repeats."""
    if value is None:
        return []
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise RecordError(field, "expected a list of category names")
        items = value
    elif isinstance(value, str):
        items = re.split(r"[\s,;]+", value)
    else:
        raise RecordError(field, f"expected category names, got {_kind(value)}")
    out: list[str] = []
    for item in items:
        cat = capped(clean_text(item), field, "category")
        if cat and cat not in out:
            out.append(cat)
    if len(out) > MAX_CATEGORIES:
        raise RecordError(field, f"has {len(out)} categories; the limit is {MAX_CATEGORIES}")
    return out


def require_title(value: object, field: str = "title") -> str:
    title = text_field(value, field, "title")
    if not title:
        raise RecordError(field, "missing")
    return title


def arxiv_links(paper: str) -> tuple[str, str]:
    """Version-less abs and pdf URLs for an arXiv id: they stay right when a new version appears."""
    return f"https://arxiv.org/abs/{paper}", f"https://arxiv.org/pdf/{paper}"
