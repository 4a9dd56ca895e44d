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
    text = str(value).strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        raise RecordError(field, f"unparseable date '{text[:40]}'") from None


def split_authors(value: object) -> list[str]:
    """Authors from a list, or from arXiv's "A, B and C" string."""
    if value is None:
        return []
    if isinstance(value, list):
        names = [clean_text(v if isinstance(v, str) else " ".join(reversed([p for p in v[:2] if p]))) for v in value]
        return [n for n in names if n]
    text = clean_text(value)
    if not text:
        return []
    text = re.sub(r",?\s+and\s+", ", ", text)
    return [n.strip() for n in text.split(",") if n.strip()]


def split_categories(value: object) -> list[str]:
    """Categories from a list or a space/comma separated string, primary first, no repeats."""
    if value is None:
        return []
    items = value if isinstance(value, list) else re.split(r"[\s,;]+", str(value))
    out: list[str] = []
    for item in items:
        cat = clean_text(item)
        if cat and cat not in out:
            out.append(cat)
    return out


def require_title(value: object, field: str = "title") -> str:
    title = clean_text(value)
    if not title:
        raise RecordError(field, "missing")
    return title


def arxiv_links(paper: str) -> tuple[str, str]:
    """Version-less abs and pdf URLs for an arXiv id: they stay right when a new version appears."""
    return f"https://arxiv.org/abs/{paper}", f"https://arxiv.org/pdf/{paper}"
