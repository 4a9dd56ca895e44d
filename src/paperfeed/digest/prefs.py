"""Subscriber preferences: what a manage form or the API may set, validated in one place.

Topics are stored as JSON on the subscriber row::

    {"queries": [...], "categories": [...], "authors": [...], "exclude": [...], "liked": [...]}

Every limit here exists so that one subscriber cannot make composing slow
for everyone (a hundred topic queries) or smuggle control characters into
mail (they are refused outright, even though topics only ever reach a body).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

FREQUENCIES = ("daily", "weekly", "paused")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# field -> (max items, max chars per item)
TOPIC_LIMITS: dict[str, tuple[int, int]] = {
    "queries": (10, 200),
    "categories": (20, 32),
    "authors": (20, 100),
    "exclude": (20, 60),
    "liked": (5, 64),
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_CATEGORY = re.compile(r"^[a-z][a-z-]*(\.[A-Za-z][A-Za-z-]*)?$")
_PAPER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:-]*$")
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


class PrefsError(ValueError):
    """Bad preference input; `field` names the form field / JSON key."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def normalise_email(raw: Any) -> str:
    """A lower-cased, validated address; refuses anything that could not be a plain mailbox."""
    if not isinstance(raw, str):
        raise PrefsError("email", "an email address is required")
    email = raw.strip()
    if _CONTROL.search(email):
        raise PrefsError("email", "the address contains control characters")
    if not email or len(email) > 254 or not _EMAIL.match(email):
        raise PrefsError("email", "this is not a valid email address")
    local, _, domain = email.rpartition("@")
    if len(local) > 64:
        raise PrefsError("email", "this is not a valid email address")
    return f"{local}@{domain.lower()}".lower()


def validate_timezone(name: Any) -> str:
    if not isinstance(name, str) or not name or len(name) > 64 or _CONTROL.search(name) or ".." in name:
        raise PrefsError("timezone", "choose an IANA time zone such as Europe/Berlin")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PrefsError("timezone", f"unknown time zone '{name}' (use an IANA name such as Europe/Berlin)") from exc
    return name


def timezone_names() -> list[str]:
    return sorted(available_timezones())


def _int(name: str, value: Any, lo: int, hi: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise PrefsError(name, f"must be a whole number from {lo} to {hi}") from exc
    if not lo <= number <= hi:
        raise PrefsError(name, f"must be from {lo} to {hi}")
    return number


def _items(name: str, value: Any) -> list[str]:
    """A list from JSON, or from a textarea with one item per line."""
    if value is None:
        return []
    if isinstance(value, str):  # textarea lines; a stray CR or other control character is refused below
        value = value.replace("\r\n", "\n").split("\n")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PrefsError(name, "must be a list of strings")
    limit, width = TOPIC_LIMITS[name]
    out: list[str] = []
    for raw in value:
        if _CONTROL.search(raw):
            raise PrefsError(name, "contains control characters")
        item = " ".join(raw.split())
        if not item:
            continue
        if len(item) > width:
            raise PrefsError(name, f"'{item[:40]}…' is longer than {width} characters")
        if item not in out:
            out.append(item)
    if len(out) > limit:
        raise PrefsError(name, f"at most {limit} entries")
    if name == "categories":
        for item in out:
            if not _CATEGORY.match(item):
                raise PrefsError(name, f"'{item}' is not an arXiv category such as cs.CL")
    if name == "liked":
        for item in out:
            if not _PAPER_ID.match(item):
                raise PrefsError(name, f"'{item}' is not a paper id such as 2401.01234")
    return out


@dataclass(slots=True)
class Preferences:
    frequency: str = "daily"
    weekday: int = 0
    send_hour: int = 7
    timezone: str = "UTC"
    max_papers: int = 10
    include_trending: bool = True
    topics: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in TOPIC_LIMITS})

    def columns(self) -> dict[str, Any]:
        return {
            "frequency": self.frequency,
            "weekday": self.weekday,
            "send_hour": self.send_hour,
            "timezone": self.timezone,
            "max_papers": self.max_papers,
            "include_trending": self.include_trending,
            "topics": self.topics,
        }


def parse_preferences(data: dict[str, Any], current: Preferences | None = None) -> Preferences:
    """Validate a form or JSON body; absent keys keep their current value."""
    prefs = current or Preferences()
    out = Preferences(**{k: getattr(prefs, k) for k in Preferences.__slots__})
    out.topics = {k: list(prefs.topics.get(k, [])) for k in TOPIC_LIMITS}
    if "frequency" in data:
        if data["frequency"] not in FREQUENCIES:
            raise PrefsError("frequency", f"choose one of {', '.join(FREQUENCIES)}")
        out.frequency = data["frequency"]
    if "weekday" in data:
        out.weekday = _int("weekday", data["weekday"], 0, 6)
    if "send_hour" in data:
        out.send_hour = _int("send_hour", data["send_hour"], 0, 23)
    if "timezone" in data:
        out.timezone = validate_timezone(data["timezone"])
    if "max_papers" in data:
        out.max_papers = _int("max_papers", data["max_papers"], 1, 50)
    if "include_trending" in data:
        value = data["include_trending"]
        out.include_trending = value if isinstance(value, bool) else str(value).lower() in ("1", "true", "on", "yes")
    nested = data.get("topics")
    topics: dict[str, Any] = nested if isinstance(nested, dict) else data
    for name in TOPIC_LIMITS:
        if name in topics:
            out.topics[name] = _items(name, topics[name])
    return out


def preferences_of(subscriber: Any) -> Preferences:
    return Preferences(
        frequency=subscriber.frequency,
        weekday=subscriber.weekday,
        send_hour=subscriber.send_hour,
        timezone=subscriber.timezone,
        max_papers=subscriber.max_papers,
        include_trending=subscriber.include_trending,
        topics={k: list(subscriber.topics.get(k, [])) for k in TOPIC_LIMITS},
    )
