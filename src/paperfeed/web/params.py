"""Parsing of query-string parameters, shared by the pages, the JSON API and the feeds.

Every failure is a `QueryError(param, message)`: the HTML pages show it, the
JSON API returns it as ``{"error": {"param", "message"}}`` with status 400.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, cast

from paperfeed.search.base import Mode, QueryError, SearchRequest, Sort

Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")
PERIOD_LABELS = {"day": "Daily", "week": "Weekly", "month": "Monthly"}

MAX_PAGE_SIZE = 100
MAX_PAGE = 500
MAX_QUERY_CHARS = 1000
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{1,2})$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_CATEGORY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*(\.[A-Za-z0-9-]+)?$")

# The dates the site computes with. Python's `date` ends at 0001-01-01 and 9999-12-31, and a
# listing reaches past the day it is given (the week around it, the month before and after,
# a trending window 30 days back), so a day at either end used to overflow into a 500. No
# paper is older than 1900 or dated after 2999: outside this span a date is refused with 400.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)


def in_range(day: date, param: str, value: str) -> date:
    """`day` when it lies in [MIN_DATE, MAX_DATE]; otherwise a `QueryError` naming `param`."""
    if not MIN_DATE <= day <= MAX_DATE:
        raise QueryError(
            param, f"'{_clip(value)}' is outside the dates paperfeed serves ({MIN_DATE:%Y} to {MAX_DATE:%Y})"
        )
    return day


def parse_date(value: str | None, param: str) -> date | None:
    if value is None or value.strip() == "":
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise QueryError(param, f"'{_clip(value)}' is not a date (use YYYY-MM-DD)") from None
    return in_range(day, param, value)


def parse_week(value: str | None, param: str = "week") -> date | None:
    """``2025-W09`` -> the Monday of that ISO week."""
    if not value:
        return None
    m = _WEEK_RE.match(value.strip())
    if not m:
        raise QueryError(param, f"'{_clip(value)}' is not an ISO week (use YYYY-Www, e.g. 2025-W09)")
    try:
        monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise QueryError(param, f"'{_clip(value)}' is not an ISO week of that year") from None
    return in_range(monday, param, value)


def parse_month(value: str | None, param: str = "month") -> date | None:
    """``2025-02`` -> 2025-02-01."""
    if not value:
        return None
    m = _MONTH_RE.match(value.strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1:
        raise QueryError(param, f"'{_clip(value)}' is not a month (use YYYY-MM)")
    return in_range(date(int(m.group(1)), int(m.group(2)), 1), param, value)


def parse_int(value: str | int | None, param: str, default: int, minimum: int, cap: int | None = None) -> int:
    """An integer >= `minimum`; values above `cap` are lowered to it (limits are capped, not refused)."""
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise QueryError(param, f"'{_clip(str(value))}' is not a whole number") from None
    if n < minimum:
        raise QueryError(param, f"must be at least {minimum}")
    return min(n, cap) if cap is not None else n


def parse_choice(value: str | None, param: str, choices: tuple[str, ...], default: str) -> str:
    if value is None or value == "":
        return default
    if value not in choices:
        raise QueryError(param, f"'{_clip(value)}' is not one of: {', '.join(choices)}")
    return value


def parse_category(value: str | None, param: str = "category") -> str | None:
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    if not _CATEGORY_RE.match(value) or len(value) > 40:
        raise QueryError(param, f"'{_clip(value)}' is not a category (e.g. cs.CL)")
    return value


# The feeds and the HF API say daily/weekly/monthly; pages and the API say day/week/month: both are accepted.
PERIOD_ALIASES = {"daily": "day", "weekly": "week", "monthly": "month"}


def parse_period(value: str | None, param: str = "period") -> Period:
    value = PERIOD_ALIASES.get((value or "").strip().lower(), value)
    return cast(Period, parse_choice(value, param, PERIODS, "day"))


def search_request(params: Mapping[str, str], page_size_default: int = 20) -> SearchRequest:
    """The search page's and the API's parameters as a `SearchRequest`."""
    q = (params.get("q") or "").strip()
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError("q", f"the query is longer than {MAX_QUERY_CHARS} characters")
    since = parse_date(params.get("since"), "since")
    until = parse_date(params.get("until"), "until")
    if since and until and since > until:
        raise QueryError("until", "must not be before since")
    author = (params.get("author") or "").strip() or None
    if author and len(author) > 200:
        raise QueryError("author", "is longer than 200 characters")
    return SearchRequest(
        q=q,
        mode=cast(Mode, parse_choice(params.get("mode"), "mode", ("hybrid", "lexical", "dense"), "hybrid")),
        sort=cast(Sort, parse_choice(params.get("sort"), "sort", ("relevance", "date"), "relevance")),
        page=parse_int(params.get("page"), "page", 1, 1, MAX_PAGE),
        page_size=parse_int(
            params.get("page_size") or params.get("limit"), "page_size", page_size_default, 1, MAX_PAGE_SIZE
        ),
        since=since,
        until=until,
        category=parse_category(params.get("category")),
        author=author,
    )


@dataclass(frozen=True, slots=True)
class Span:
    """One day, ISO week or calendar month: what the Daily / Weekly / Monthly tabs show."""

    period: Period
    start: date
    end: date  # inclusive

    @classmethod
    def containing(cls, period: Period, day: date) -> Span:
        if period == "day":
            return cls(period, day, day)
        if period == "week":
            start = day - timedelta(days=day.weekday())
            return cls(period, start, start + timedelta(days=min(6, (date.max - start).days)))
        last = calendar.monthrange(day.year, day.month)[1]
        return cls(period, day.replace(day=1), day.replace(day=last))

    def shifted(self, n: int) -> Span:
        """The span `n` periods later (negative: earlier); itself at the ends of `date`'s range.

        Parameters are kept inside [MIN_DATE, MAX_DATE], but a stored paper's date is not a
        parameter: a "next" link past 9999-12-31 must not turn a page into a 500.
        """
        try:
            if self.period == "day":
                return Span.containing("day", self.start + timedelta(days=n))
            if self.period == "week":
                return Span.containing("week", self.start + timedelta(weeks=n))
            month = self.start.year * 12 + self.start.month - 1 + n
            return Span.containing("month", date(month // 12, month % 12 + 1, 1))
        except (OverflowError, ValueError):
            return self

    @property
    def label(self) -> str:
        if self.period == "day":
            return self.start.strftime("%A, %-d %B %Y")
        if self.period == "week":
            year, week, _ = self.start.isocalendar()
            return f"Week {week} of {year} ({self.start:%-d %b} – {self.end:%-d %b %Y})"
        return self.start.strftime("%B %Y")

    @property
    def key(self) -> str:
        """The HF-style name of the span: 2025-03-04, 2025-W10 or 2025-03."""
        if self.period == "day":
            return self.start.isoformat()
        if self.period == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start:%Y-%m}"


def _clip(value: str, n: int = 60) -> str:
    value = value.replace("\n", " ")
    return value if len(value) <= n else value[: n - 1] + "…"
