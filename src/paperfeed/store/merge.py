"""How a new sighting of a paper combines with what is stored. Pure functions.

The rules, chosen so that re-ingesting anything is harmless and the order in
which sources arrive does not matter much:

* a field a record leaves empty never erases a stored value;
* a record of an *older* version only fills gaps, it never overwrites;
* ``submitted`` and ``announced`` keep the earliest date, ``updated`` the latest;
* ``version`` only goes up.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from paperfeed.models import CONTENT_FIELDS, PaperRecord, content_hash

_SCALAR_FIELDS = (
    "title",
    "abstract",
    "abs_url",
    "pdf_url",
    "code_url",
    "project_url",
    "doi",
    "comment",
    "journal_ref",
)


def record_values(rec: PaperRecord) -> dict[str, Any]:
    return {name: getattr(rec, name) for name in CONTENT_FIELDS}


def _earliest(a: date | None, b: date | None) -> date | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _latest(a: date | None, b: date | None) -> date | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def merge(stored: dict[str, Any] | None, rec: PaperRecord) -> dict[str, Any]:
    """Return the content fields after applying `rec` on top of `stored`."""
    incoming = record_values(rec)
    if stored is None:
        return incoming
    out = dict(stored)
    older = rec.version is not None and stored.get("version") is not None and rec.version < stored["version"]
    for name in (*_SCALAR_FIELDS, "authors", "categories"):
        value = incoming[name]
        if not value:
            continue
        if older and out.get(name):
            continue
        out[name] = value
    out["submitted"] = _earliest(stored.get("submitted"), incoming["submitted"])
    out["announced"] = _earliest(stored.get("announced"), incoming["announced"])
    out["updated"] = _latest(stored.get("updated"), incoming["updated"])
    versions = [v for v in (stored.get("version"), incoming["version"]) if v is not None]
    out["version"] = max(versions) if versions else None
    return out


def hash_of(values: dict[str, Any]) -> str:
    return content_hash(values)
