"""When is a subscriber's digest due? Pure functions of (subscriber, now), DST included.

A digest is due once the subscriber's local clock has reached their send
hour on a day they receive mail (every day, or their weekday). The period
key is the local date, so each local day yields at most one digest however
often the scheduler runs, and a scheduler that was down at the send hour
catches up later the same local day. Daylight-saving changes need no special
case: when 02:00 does not exist (spring forward) the digest goes at the
first hour past it; when 01:00 happens twice (fall back) the period key
already exists the second time.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def local_now(timezone: str, now: datetime) -> datetime:
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")  # validated on save; an old zone name removed from tzdata falls back
    return now.astimezone(zone)


def due_period(sub: Any, now: datetime) -> tuple[date, str] | None:
    """(local day, period key) if `sub`'s digest is due at `now` (aware), else None."""
    if sub.status != "confirmed" or sub.frequency not in ("daily", "weekly"):
        return None
    local = local_now(sub.timezone, now)
    if sub.frequency == "weekly" and local.weekday() != sub.weekday:
        return None
    if local.hour < sub.send_hour:
        return None
    day = local.date()
    return day, f"{sub.frequency}:{day.isoformat()}"
