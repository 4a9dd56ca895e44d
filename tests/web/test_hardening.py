"""Issue 16: no 5xx from any parameter, security headers on every response (errors included)."""

from __future__ import annotations

from datetime import UTC, date, datetime

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


# -- only http(s) URLs become links --------------------------------------------------------------
HOSTILE_LINKS = ("javascript:alert(document.domain)", "data:text/html,<script>alert(1)</script>", " JavaScript:x")


@pytest.fixture
def hostile_paper(web_pf) -> str:
    """A paper stored with hostile links, as a database filled before sources checked them holds."""
    from paperfeed.models import PaperRecord

    web_pf.store.upsert_papers(
        [
            PaperRecord(
                id="2607.10099",
                title="Hostile links",
                abstract="Stored before sources checked URL schemes.",
                submitted=date(2026, 7, 14),
                code_url=HOSTILE_LINKS[0],
                project_url=HOSTILE_LINKS[1],
                pdf_url=HOSTILE_LINKS[2],
                source="old",
            )
        ]
    )
    return "2607.10099"


async def test_hostile_stored_links_are_never_links(client: httpx.AsyncClient, hostile_paper: str) -> None:
    for path in (
        f"/papers/{hostile_paper}",
        f"/api/v1/papers/{hostile_paper}",
        f"/api/papers/{hostile_paper}",
        f"/papers/{hostile_paper}.md",
        "/feeds/daily.atom?date=2026-07-14",
        "/api/v1/daily?date=2026-07-14",
        "/api/daily_papers?date=2026-07-14",
    ):
        r = await client.get(path)
        assert r.status_code == 200, path
        assert "Hostile links" in r.text, path
        body = r.text.lower()
        assert "javascript:" not in body and "data:text/html" not in body, path


def test_hostile_links_never_reach_a_digest_mail() -> None:
    from paperfeed.digest.model import Digest, DigestItem
    from paperfeed.digest.render import Links, render_digest
    from paperfeed.models import Paper

    paper = Paper(
        id="2611.00001",
        title="Hostile links",
        abstract="a",
        version=1,
        authors=["A"],
        categories=["cs.CL"],
        submitted=date(2026, 11, 3),
        updated=None,
        announced=None,
        abs_url=None,
        pdf_url=HOSTILE_LINKS[2],
        code_url=HOSTILE_LINKS[0],
        project_url=HOSTILE_LINKS[1],
        doi=None,
        comment=None,
        journal_ref=None,
        content_hash="h",
    )
    digest = Digest(1, "r@example.org", "daily:2026-11-03", date(2026, 11, 3), "daily", [], [DigestItem(paper, "why")])
    links = Links("https://p.example", "https://p.example/m", "https://p.example/u", "mailto:u@p.example")
    rendered = render_digest(
        digest,
        links=links,
        sender="p <d@p.example>",
        msg_id="<x@p.example>",
        when=datetime.now(UTC),
        domain="p.example",
    )
    assert "Hostile links" in rendered.html
    for text in (rendered.html.lower(), rendered.text.lower()):
        assert "javascript:" not in text and "data:text/html" not in text


# -- the Host header is the client's: never reflected ------------------------------------------------
async def test_trailing_slash_redirect_uses_the_base_url_not_the_host_header(client: httpx.AsyncClient, web_pf) -> None:
    base = web_pf.settings.base_url.rstrip("/")
    r = await client.get("/search/?q=x", headers={"host": "evil.example"})
    assert r.status_code == 307
    assert r.headers["location"] == f"{base}/search?q=x"
    assert "evil.example" not in r.headers["location"]
    assert (await client.get("/no/such/page/")).status_code == 404
    # the API answers its documented 404 instead of a redirect its schema never mentions
    assert (await client.get("/api/v1/stats/")).status_code == 404


async def test_link_header_uses_the_base_url_not_the_host_header(client: httpx.AsyncClient, web_pf) -> None:
    base = web_pf.settings.base_url.rstrip("/")
    r = await client.get("/api/daily_papers?date=2026-07-14&limit=1", headers={"host": "evil.example"})
    assert r.status_code == 200
    link = r.headers["link"]
    assert link.startswith(f"<{base}/api/daily_papers?") and "p=1" in link and "evil.example" not in link


# -- abuse limits that hold: per network, in the database, whatever the cookies ----------------------
def _csrf(html: str) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


async def _upvote_as_new_visitor(transport: httpx.ASGITransport, paper: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as visitor:  # fresh cookie jar
        token = _csrf((await visitor.get(f"/papers/{paper}")).text)
        return await visitor.post(
            f"/upvote/{paper}", data={"csrf_token": token}, headers={"Accept": "application/json"}
        )


async def test_clearing_cookies_cannot_pass_the_per_paper_network_cap(app: FastAPI, web_pf) -> None:
    from paperfeed.web.engagement import EngagementLimits

    cap = EngagementLimits().upvotes_per_paper
    transport = httpx.ASGITransport(app=app, client=("198.51.100.20", 1234))
    statuses = [(await _upvote_as_new_visitor(transport, "2607.10004")).json()["status"] for _ in range(cap + 5)]
    assert statuses == ["recorded"] * cap + ["network_cap"] * 5
    assert web_pf.store.upvote_counts(["2607.10004"]) == {"2607.10004": cap}
    # another network is not affected
    other = httpx.ASGITransport(app=app, client=("192.0.2.9", 1234))
    assert (await _upvote_as_new_visitor(other, "2607.10004")).json()["status"] == "recorded"


async def test_a_failing_view_write_never_fails_the_read(client: httpx.AsyncClient, app: FastAPI, web_pf) -> None:
    from sqlalchemy import text

    with web_pf.store.write_engine.begin() as conn:  # what a full disk looks like to the writer
        conn.execute(
            text(
                "CREATE TRIGGER no_views BEFORE INSERT ON signals WHEN NEW.kind = 'view' "
                "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
            )
        )
    r = await client.get("/papers/2607.10001")
    assert r.status_code == 200 and "Sparse Diffusion Transformers" in r.text
    views = app.state.engagement.views
    assert views.flush() == 0 and views.dropped == 1  # the batch failed: logged and dropped, nothing raised
    assert (await client.get("/papers/2607.10002")).status_code == 200


def test_views_are_written_in_batches_by_a_background_thread(web_pf) -> None:
    """Queuing never writes; a full batch wakes the writer thread, and close() writes the rest."""
    import threading

    from paperfeed.models import Signal
    from paperfeed.web.engagement import EngagementLimits, ViewLog

    written = threading.Event()

    class Watched:
        """The real store, with a signal when the background thread has written a batch."""

        def add_signals_within(self, items):
            out = web_pf.store.add_signals_within(items)
            written.set()
            return out

    log = ViewLog(Watched(), EngagementLimits(), batch=3, interval_s=3600)
    at = datetime.now(UTC)
    views = [Signal("2607.10001", "local", "view", 1, at, actor=f"a{i}", network="n") for i in range(4)]
    assert all(log.add(v) for v in views[:2]) and not written.is_set()
    log.add(views[2])  # the third fills the batch
    assert written.wait(30)
    log.add(views[3])
    log.close()
    from sqlalchemy import func, select

    from paperfeed.store import schema as t

    with web_pf.store.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(t.signals).where(t.signals.c.kind == "view")).scalar()
    assert stored == 4


async def test_cookieless_views_are_capped_per_network(app: FastAPI, web_pf) -> None:
    from sqlalchemy import func, select

    from paperfeed.store import schema as t
    from paperfeed.web.engagement import EngagementLimits

    app.state.engagement.limits = EngagementLimits(views_per_hour=3)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.30", 1234))
    for _ in range(6):
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as visitor:
            assert (await visitor.get("/papers/2607.10001")).status_code == 200
    app.state.engagement.views.flush()
    with web_pf.store.engine.connect() as conn:
        views = conn.execute(select(func.count()).select_from(t.signals).where(t.signals.c.kind == "view")).scalar()
    assert views == 3
