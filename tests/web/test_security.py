"""Escaping, security headers, CSRF, and the one-upvote-per-visitor rule."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from paperfeed.app import Paperfeed
from paperfeed.web.engagement import EngagementLimits
from paperfeed.web.security import CSRF_COOKIE, network_of

pytestmark = pytest.mark.anyio

RAW_SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
RAW_AUTHOR = "<img src=x onerror=alert(2)>"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/?period=week&date=2026-07-14",
        "/?period=month&date=2026-07-14",
        "/search?q=alert",
        "/search?q=escaping+textarea",
        "/search?author=Mallory",
        "/papers/2607.10002",
        "/papers/2607.10003",  # the script paper may show up among similar papers
    ],
)
async def test_script_title_renders_as_text(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code == 200
    assert RAW_SCRIPT not in r.text
    assert RAW_AUTHOR not in r.text
    assert "</textarea> tag" not in r.text


async def test_script_title_is_visible_escaped(client: httpx.AsyncClient) -> None:
    page = (await client.get("/papers/2607.10002")).text
    assert f'<h1 id="paper-title">{ESCAPED_SCRIPT}</h1>' in page
    assert "Eve &lt;img src=x onerror=alert(2)&gt;" in page
    # BibTeX lives in a <textarea>: the abstract's "</textarea>" cannot break out of it either
    home = (await client.get("/")).text
    assert ESCAPED_SCRIPT in home
    search = (await client.get("/search", params={"q": "alert"})).text
    assert "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;" in search or ESCAPED_SCRIPT in search


@pytest.mark.parametrize(
    "params",
    [
        {"q": '"><script>alert(3)</script>'},
        {"q": "x", "author": "<svg onload=alert(4)>"},
        {"q": "</title><script>alert(5)</script>", "since": "bad<script>"},
    ],
)
async def test_reflected_query_is_escaped(client: httpx.AsyncClient, params: dict) -> None:
    r = await client.get("/search", params=params)
    assert r.status_code in (200, 400)
    assert "<script>alert(" not in r.text
    assert "<svg onload" not in r.text


async def test_reflected_path_is_escaped(client: httpx.AsyncClient) -> None:
    r = await client.get("/papers/%3Cscript%3Ealert(6)%3C%2Fscript%3E")
    assert r.status_code == 404
    assert "<script>alert(6)" not in r.text
    assert "&lt;script&gt;alert(6)" in r.text


async def test_security_headers(client: httpx.AsyncClient) -> None:
    for path in ("/", "/api/v1/stats", "/feeds/daily.atom", "/static/style.css", "/nope"):
        r = await client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"


async def test_no_inline_scripts_or_styles(client: httpx.AsyncClient) -> None:
    for path in ("/", "/search?q=diffusion", "/papers/2607.10001", "/api/v1/docs"):
        html = (await client.get(path)).text
        assert re.findall(r"<script(?![^>]*\bsrc=)", html) == [], path
        assert " style=" not in html and "<style" not in html, path
        assert " onclick=" not in html


def _csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


async def test_upvote_requires_csrf(client: httpx.AsyncClient) -> None:
    await client.get("/papers/2607.10003")  # sets the CSRF cookie
    r = await client.post("/upvote/2607.10003", data={})
    assert r.status_code == 403
    r = await client.post("/upvote/2607.10003", data={"csrf_token": "forged"})
    assert r.status_code == 403
    r = await client.post("/upvote/2607.10003", data={"csrf_token": "x"}, headers={"Accept": "application/json"})
    assert r.status_code == 403
    assert r.json()["error"]["param"] == "csrf_token"


async def test_csrf_token_bound_to_its_cookie(app: FastAPI) -> None:
    """A token from one browser is useless with another browser's cookie (double submit)."""
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://t") as a,
        httpx.AsyncClient(transport=transport, base_url="http://t") as b,
    ):
        token_a = _csrf_from((await a.get("/papers/2607.10003")).text)
        await b.get("/papers/2607.10003")
        assert a.cookies[CSRF_COOKIE] != b.cookies[CSRF_COOKIE]
        r = await b.post("/upvote/2607.10003", data={"csrf_token": token_a})
        assert r.status_code == 403
        r = await a.post("/upvote/2607.10003", data={"csrf_token": token_a})
        assert r.status_code == 303


async def test_upvote_once_per_visitor(client: httpx.AsyncClient, web_pf: Paperfeed) -> None:
    page = await client.get("/papers/2607.10003")
    assert "HttpOnly" in page.headers.get("set-cookie", "") and "SameSite=Lax" in page.headers["set-cookie"]
    token = _csrf_from(page.text)
    assert '<span class="upvote-count" id="upvote-count">2</span>' in page.text  # HF's 2
    r = await client.post("/upvote/2607.10003", data={"csrf_token": token})
    assert r.status_code == 303
    assert r.headers["location"].startswith("/papers/2607.10003?upvote=recorded")
    after = await client.get(r.headers["location"])
    assert '<span class="upvote-count" id="upvote-count">3</span>' in after.text
    assert "Upvoted" in after.text and "disabled" in after.text
    again = await client.post("/upvote/2607.10003", data={"csrf_token": token}, headers={"Accept": "application/json"})
    assert again.status_code == 200
    assert again.json() == {
        "paper_id": "2607.10003",
        "status": "already",
        "upvotes": 3,
        "message": "You have already upvoted this paper.",
    }
    assert web_pf.store.upvote_counts(["2607.10003"]) == {"2607.10003": 3}
    missing = await client.post("/upvote/0000.00000", data={"csrf_token": token})
    assert missing.status_code == 404


async def test_each_visitor_counts_once(app: FastAPI, web_pf: Paperfeed) -> None:
    transport = httpx.ASGITransport(app=app)
    for _ in range(3):
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as visitor:
            token = _csrf_from((await visitor.get("/papers/2607.10005")).text)
            r = await visitor.post(
                "/upvote/2607.10005", data={"csrf_token": token}, headers={"Accept": "application/json"}
            )
            assert r.json()["status"] == "recorded"
    assert web_pf.store.upvote_counts(["2607.10005"]) == {"2607.10005": 3}


async def test_upvotes_are_rate_limited_per_network(app: FastAPI) -> None:
    app.state.engagement.limits = EngagementLimits(upvotes_per_hour=2)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.20", 1234))
    statuses = []
    for paper in ("2607.10001", "2607.10004", "2607.10006"):
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as visitor:
            token = _csrf_from((await visitor.get(f"/papers/{paper}")).text)
            r = await visitor.post(
                f"/upvote/{paper}", data={"csrf_token": token}, headers={"Accept": "application/json"}
            )
            statuses.append((r.status_code, r.json()["status"]))
    assert statuses == [(200, "recorded"), (200, "recorded"), (429, "rate_limited")]


async def test_views_are_signals_with_hashed_ids(client: httpx.AsyncClient, app: FastAPI, web_pf: Paperfeed) -> None:
    from sqlalchemy import select

    from paperfeed.store import schema as t

    await client.get("/papers/2607.10006")
    await client.get("/papers/2607.10006")  # a reload on the same day is not a second view
    assert app.state.engagement.views.flush() == 1  # views are queued and written in batches
    with web_pf.store.engine.connect() as conn:
        rows = conn.execute(
            select(t.signals.c.kind, t.signals.c.source, t.signals.c.actor, t.signals.c.network).where(
                t.signals.c.paper_id == "2607.10006"
            )
        ).all()
    assert len(rows) == 1
    kind, source, actor, network = rows[0]
    assert (kind, source) == ("view", "local")
    assert len(actor) == 32 and len(network) == 32
    assert "203.0.113" not in network


def test_network_prefixes() -> None:
    assert network_of("203.0.113.7") == "203.0.113.0/24"
    assert network_of("2001:db8:1234:5678::1") == "2001:db8:1234::/48"
    assert network_of("::ffff:198.51.100.9") == "198.51.100.0/24"
    assert network_of(None) == "unknown"
