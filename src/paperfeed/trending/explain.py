"""Turn a score's breakdown into the one line a reader sees ("why is this trending").

Pure: the stored breakdown JSON carries everything needed (contributions,
raw rises, age and decay), so explaining a page of 50 costs no queries.
"""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

LABELS = {
    "hf_upvotes": "Hugging Face upvotes",
    "hf_comments": "Hugging Face comments",
    "github_stars": "GitHub stars",
    "upvote": "upvotes here",
    "view": "views",
    "click": "digest clicks",
}
SINGULAR = {
    "hf_upvotes": "Hugging Face upvote",
    "hf_comments": "Hugging Face comment",
    "github_stars": "GitHub star",
    "upvote": "upvote here",
    "view": "view",
    "click": "digest click",
}


def period(window: str, day: date, start: date | None = None) -> str:
    """'on 2026-07-31', 'in the week to 2026-07-31', 'in the 30 days to ...'."""
    if window == "day":
        return f"on {day.isoformat()}"
    if window == "week":
        return f"in the week to {day.isoformat()}"
    if window == "month":
        return f"in the 30 days to {day.isoformat()}"
    since = start or day
    return f"from {since.isoformat()} to {day.isoformat()}"


def encode(
    contributions: dict[str, float], rises: dict[str, float], age_days: int, decay: float, line: str = ""
) -> str:
    """The breakdown as stored in `trending_scores.breakdown` (compact JSON, with the line pre-rendered)."""
    return json.dumps(
        {
            # Full precision: an old paper's decay can be 1e-15, and its breakdown must still add up.
            "c": {k: float(v) for k, v in contributions.items()},
            "r": {k: round(v, 3) for k, v in rises.items()},
            "age": age_days,
            "d": float(decay),
            "x": line,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def decode(raw: str) -> dict[str, Any]:
    data = json.loads(raw)
    return {
        "c": data.get("c", {}),
        "r": data.get("r", {}),
        "age": data.get("age", 0),
        "d": data.get("d", 1.0),
        "x": data.get("x", ""),
    }


def shown(value: float) -> int:
    """The whole count a reader sees for a rise (rises spread over days are fractional)."""
    return math.floor(value + 0.5)


def count_words(n: int, kind: str) -> str:
    """'+1 GitHub star', '+12 GitHub stars': whole counts, the right plural."""
    label = SINGULAR.get(kind, kind) if n == 1 else LABELS.get(kind, kind)
    return f"+{n:,} {label}"


def _age(age_days: int) -> str:
    if age_days <= 0:
        return "published that day"
    if age_days == 1:
        return "published 1 day before"
    return f"published {age_days} days before"


def explanation(
    contributions: dict[str, float],
    rises: dict[str, float],
    age_days: int,
    decay: float,
    window: str,
    day: date,
    start: date | None = None,
) -> str:
    """One line: the signals that drove the score, biggest first, then the age penalty."""
    total = sum(contributions.values()) or 1.0
    drivers = sorted(((k, v) for k, v in contributions.items() if k != "recency" and v > 0), key=lambda kv: -kv[1])
    when = period(window, day, start)
    age = f"{_age(age_days)} (age weight x{decay:.2f})"
    if not drivers:
        return f"No engagement {when} yet; ranked by recency, {age}."
    parts = [
        f"{count_words(shown(rises.get(k, 0.0)), k)} ({v / total:.0%})" for k, v in drivers if shown(rises.get(k, 0.0))
    ]
    if not parts:  # every rise is a fraction of one (a running total spread over the days since its last count)
        return f"Less than one new signal {when}; {age}."
    return f"{', '.join(parts)} {when}; {age}."
