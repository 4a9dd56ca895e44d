"""Issue 16: no 5xx from any parameter, security headers on every response (errors included)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from paperfeed.web.params import Span

pytestmark = pytest.mark.anyio

# Every URL the fuzz run answered 500, plus the other ends of the same ranges.
BOUNDARY_URLS = [
    ("/?date=9999-12-31", "date"),
    ("/?period=week&date=9999-12-31", "date"),
    ("/?period=month&date=0001-01-01", "date"),
    ("/api/v1/monthly?month=0001-01", "month"),
    ("/api/v1/monthly?month=9999-12", "month"),
    ("/api/v1/weekly?week=9999-W52", "week"),
    ("/api/v1/weekly?week=0001-W01", "week"),
    ("/api/v1/daily?date=0001-01-01", "date"),
    ("/feeds/weekly.rss?date=9999-12-31", "date"),
    ("/feeds/monthly.atom?date=0001-01-01", "date"),
    ("/feeds/trending.atom?window=month&date=0001-01-01", "date"),
    ("/api/daily_papers?week=9999-W52", "week"),
    ("/api/daily_papers?month=0001-01", "month"),
    ("/api/daily_papers?date=9999-12-31", "date"),
    ("/api/v1/trending?window=month&date=0001-01-01", "date"),
    ("/api/v1/trending/2607.10001?window=month&date=0001-01-01", "date"),
    ("/api/v1/trending/2607.10001?window=week&date=9999-12-31", "date"),
    ("/api/v1/search?q=x&since=0001-01-01", "since"),
    ("/search?q=x&until=9999-12-31", "until"),
]


@pytest.mark.parametrize(("url", "param"), BOUNDARY_URLS)
async def test_boundary_dates_are_400_naming_the_parameter(client: httpx.AsyncClient, url: str, param: str) -> None:
    r = await client.get(url, headers={"accept": "application/json"})
    assert r.status_code == 400, (url, r.status_code, r.text[:300])
    assert param in r.text
    assert r.headers["x-content-type-options"] == "nosniff"


def test_span_shifts_stop_at_the_ends_of_the_calendar() -> None:
    from datetime import date

    last = Span.containing("week", date.max)
    assert last.end == date.max and last.shifted(1) == last
    assert Span.containing("month", date.max).shifted(1).start == date(9999, 12, 1)
    assert Span.containing("day", date.min).shifted(-1).start == date.min
    assert Span.containing("month", date.min).shifted(-1).start == date.min


async def test_a_500_page_still_carries_the_security_headers(app: FastAPI) -> None:
    @app.get("/boom-for-test")
    def boom() -> None:
        raise RuntimeError("boom")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        r = await c.get("/boom-for-test")
    assert r.status_code == 500
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert "boom" not in r.text
