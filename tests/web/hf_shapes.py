"""Key sets and JSON value types of API responses, and their differences (for the HF compatibility diff)."""

from __future__ import annotations

from typing import Any

JSON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number", list: "array", dict: "object"}


def _type(value: Any) -> str:
    return "null" if value is None else JSON_TYPES[type(value)]


def shape(items: list[Any], prefix: str = "") -> dict[str, set[str]]:
    """Every key path in `items` (``paper.authors[].name``) -> the JSON types seen at it, over all items."""
    out: dict[str, set[str]] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            path = f"{prefix}{key}"
            out.setdefault(path, set()).add(_type(value))
            if isinstance(value, dict):
                for sub, kinds in shape([value], f"{path}.").items():
                    out.setdefault(sub, set()).update(kinds)
            elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
                for sub, kinds in shape(value, f"{path}[].").items():
                    out.setdefault(sub, set()).update(kinds)
    return out


def _under(path: str, parents: set[str]) -> bool:
    return any(path.startswith(p + ".") or path.startswith(p + "[].") for p in parents)


def diff(real: dict[str, set[str]], ours: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(key path, difference) rows: "missing" (HF has it, we never send it), "extra" (only we send it),
    or "type: ours X, HF Y". Children of a missing or extra key are not listed again."""
    missing = {k for k in real if k not in ours}
    extra = {k for k in ours if k not in real}
    rows = [(k, "missing") for k in sorted(missing) if not _under(k, missing)]
    rows += [(k, "extra") for k in sorted(extra) if not _under(k, extra)]
    for key in sorted(set(real) & set(ours)):
        if not ours[key] <= real[key]:
            rows.append((key, f"type: ours {'|'.join(sorted(ours[key]))}, HF {'|'.join(sorted(real[key]))}"))
    return sorted(rows)
