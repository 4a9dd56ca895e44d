"""Due times at each subscriber's local hour, across daylight-saving changes (explicit `now`, no sleeping)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from paperfeed.digest.schedule import due_period


@dataclass
class Sub:
    timezone: str = "UTC"
    send_hour: int = 7
    frequency: str = "daily"
    weekday: int = 0
    status: str = "confirmed"


def _hours(sub: Sub, start: datetime, hours: int) -> list[tuple[datetime, str]]:
    """Every hour in [start, start + hours): the first moment each period becomes due."""
    seen: dict[str, datetime] = {}
    for h in range(hours * 4):  # every 15 minutes, as a scheduler would look
        moment = start + timedelta(minutes=15 * h)
        found = due_period(sub, moment)
        if found and found[1] not in seen:
            seen[found[1]] = moment
    return sorted((m, p) for p, m in seen.items())


def test_local_hour_in_a_zone() -> None:
    sub = Sub(timezone="Asia/Tokyo", send_hour=7)
    assert due_period(sub, datetime(2026, 11, 2, 21, 59, tzinfo=UTC)) is None  # 06:59 in Tokyo
    day, period = due_period(sub, datetime(2026, 11, 2, 22, 0, tzinfo=UTC))
    assert period == "daily:2026-11-03" and str(day) == "2026-11-03"


def test_spring_forward_new_york_sends_once_at_the_first_hour_after_the_gap() -> None:
    # 2026-03-08: clocks jump from 02:00 to 03:00 in America/New_York.
    sub = Sub(timezone="America/New_York", send_hour=2)
    due = _hours(sub, datetime(2026, 3, 7, 5, 0, tzinfo=UTC), 72)  # from local midnight
    assert [p for _, p in due] == ["daily:2026-03-07", "daily:2026-03-08", "daily:2026-03-09"]
    times = {p: m for m, p in due}
    assert times["daily:2026-03-07"] == datetime(2026, 3, 7, 7, 0, tzinfo=UTC)  # 02:00 EST
    assert times["daily:2026-03-08"] == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT: 02:00 does not exist
    assert times["daily:2026-03-09"] == datetime(2026, 3, 9, 6, 0, tzinfo=UTC)  # 02:00 EDT


def test_fall_back_berlin_sends_once_although_the_hour_happens_twice() -> None:
    # 2026-10-25: 03:00 CEST becomes 02:00 CET in Europe/Berlin; 02:xx happens twice.
    sub = Sub(timezone="Europe/Berlin", send_hour=2)
    due = _hours(sub, datetime(2026, 10, 23, 22, 0, tzinfo=UTC), 72)  # from local midnight
    assert [p for _, p in due] == ["daily:2026-10-24", "daily:2026-10-25", "daily:2026-10-26"]
    times = {p: m for m, p in due}
    assert times["daily:2026-10-24"] == datetime(2026, 10, 24, 0, 0, tzinfo=UTC)  # 02:00 CEST
    assert times["daily:2026-10-25"] == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # the first 02:00 (CEST)
    assert times["daily:2026-10-26"] == datetime(2026, 10, 26, 1, 0, tzinfo=UTC)  # 02:00 CET


def test_utc_offset_of_the_send_moment_follows_dst() -> None:
    sub = Sub(timezone="Europe/London", send_hour=7)
    summer = _hours(sub, datetime(2026, 7, 1, 0, 0, tzinfo=UTC), 24)
    winter = _hours(sub, datetime(2026, 12, 1, 0, 0, tzinfo=UTC), 24)
    assert summer[0][0].hour == 6 and winter[0][0].hour == 7


def test_weekly_on_its_weekday_only() -> None:
    sub = Sub(frequency="weekly", weekday=1, send_hour=9, timezone="America/Los_Angeles")  # Tuesdays
    due = _hours(sub, datetime(2026, 11, 1, 0, 0, tzinfo=UTC), 24 * 14)
    assert [p for _, p in due] == ["weekly:2026-11-03", "weekly:2026-11-10"]
    assert due[0][0] == datetime(2026, 11, 3, 17, 0, tzinfo=UTC)  # 09:00 PST


@pytest.mark.parametrize("change", [{"frequency": "paused"}, {"status": "pending"}, {"status": "unsubscribed"}])
def test_paused_pending_and_unsubscribed_are_never_due(change: dict) -> None:
    sub = Sub(**change)
    assert _hours(sub, datetime(2026, 11, 1, tzinfo=UTC), 48) == []


def test_unknown_zone_falls_back_to_utc() -> None:
    assert due_period(Sub(timezone="Mars/Olympus_Mons"), datetime(2026, 11, 3, 7, 0, tzinfo=UTC))[1] == (
        "daily:2026-11-03"
    )
