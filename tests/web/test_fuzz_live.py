"""Issue 16's fuzz run in CI form: hostile parameters against every route of a live server, 0 5xx.

A real uvicorn server on loopback (tests/web/live.py) over the web corpus. Each hypothesis
example draws one set of parameter values (boundary dates, huge numbers, control characters,
arbitrary text) and sends it to every GET route, plus hostile bodies to every POST/PUT route.
Every answer must be below 500 and carry the security headers. The request count is printed
and checked, so a change that silently skips routes shows up.
"""

from __future__ import annotations

import os
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.web.live import live_server

EXAMPLES = int(os.environ.get("PAPERFEED_FUZZ_EXAMPLES", "75"))  # 75 x 40 routes = 3,000 requests

BOUNDARY = [
    "9999-12-31",
    "0001-01-01",
    "0001-01",
    "9999-12",
    "9999-W52",
    "0001-W01",
    "2026-W53",
    "2026-02-30",
    "2026-13",
    "1899-12-31",
    "3000-01-01",
    "-1",
    "0",
    "99999999999999999999",
    "1e309",
    "NaN",
    "",
    " ",
    "\x00",
    "%00",
    "\x1b[2J",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "a" * 3000,
    "cs.",
    "day",
    "week",
    "month",
    "trending",
    "publishedAt",
    "2607.10001",
    "2607.10002",
    "é" * 10,
    "\ud7ff",
    '"unterminated',
    "au:",
    "NEAR(",
]
VALUE = st.one_of(
    st.sampled_from(BOUNDARY),
    st.text(max_size=40),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.dates().map(lambda d: d.isoformat()),
    st.builds(lambda y, w: f"{y:04d}-W{w:02d}", st.integers(0, 9999), st.integers(0, 60)),
    st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(0, 9999), st.integers(0, 14)),
)
NAMES = [
    "date", "period", "category", "page", "q", "since", "until", "sort", "mode", "author", "window",
    "week", "month", "limit", "offset", "p", "k", "page_size", "submitter", "welcome", "upvote",
]  # fmt: skip
PARAMS = st.dictionaries(st.sampled_from(NAMES), VALUE, max_size=6)
SEGMENT = st.one_of(st.sampled_from(BOUNDARY), st.text(min_size=1, max_size=30))

# Every GET route (pages, JSON API, HF-compatible API, feeds, subscription links); {x} is the drawn segment.
GET_ROUTES = [
    "/",
    "/search",
    "/papers/{x}",
    "/papers/{x}.md",
    "/api/v1/search",
    "/api/v1/suggest",
    "/api/v1/papers/{x}",
    "/api/v1/papers/{x}/similar",
    "/api/v1/daily",
    "/api/v1/weekly",
    "/api/v1/monthly",
    "/api/v1/trending",
    "/api/v1/trending/{x}",
    "/api/v1/trending/2607.10001",
    "/api/v1/stats",
    "/api/papers/search",
    "/api/papers/{x}",
    "/api/daily_papers",
    "/feeds/daily.atom",
    "/feeds/weekly.rss",
    "/feeds/monthly.atom",
    "/feeds/trending.rss",
    "/feeds/search.atom",
    "/feeds/{x}.atom",
    "/feeds/category/{x}.rss",
    "/subscribe/confirm/{x}",
    "/subscribe/manage/{x}",
    "/subscribe/manage/{x}/export",
    "/unsubscribe/{x}",
    "/api/v1/subscription/{x}",
    "/static/{x}",
    "/healthz",
]
BODY = st.one_of(
    st.sampled_from(
        [
            b"",
            b"[" * 100_000 + b"]" * 100_000,
            b'{"email": "a@example.org"}',
            b'{"email": ["a"]}',
            b'{"email": "' + b"x" * 5000 + b'@example.org"}',
            b'{"max_papers": 1e309, "topics": {"queries": [[[[]]]]}}',
            b"\xff\xfe",
            b"null",
        ]
    ),
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
)
CONTENT_TYPES = st.sampled_from(
    ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]
)
WRITE_ROUTES = [
    ("POST", "/api/v1/subscribe"),
    ("PUT", "/api/v1/subscription/{x}"),
    ("POST", "/subscribe"),
    ("POST", "/upvote/{x}"),
    ("POST", "/subscribe/confirm/{x}"),
    ("POST", "/subscribe/manage/{x}"),
    ("POST", "/subscribe/manage/{x}/delete"),
    ("POST", "/unsubscribe/{x}"),
]


@pytest.mark.slow
def test_no_input_gets_a_5xx_from_a_live_server(app: FastAPI) -> None:
    failures: list[str] = []
    sent = 0
    with live_server(app) as base, httpx.Client(base_url=base, timeout=30) as client:

        def check(r: httpx.Response, what: str) -> None:
            nonlocal sent
            sent += 1
            if r.status_code >= 500 or "content-security-policy" not in r.headers:
                failures.append(f"{r.status_code} {what}")

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(params=PARAMS, segment=SEGMENT, body=BODY, content_type=CONTENT_TYPES)
        def one(params: dict[str, str], segment: str, body: bytes, content_type: str) -> None:
            x = quote(segment, safe="")
            for template in GET_ROUTES:
                url = template.replace("{x}", x)
                check(client.get(url, params=params), f"GET {url} {params!r}"[:300])
            headers = {"content-type": content_type} if content_type else {}
            for method, template in WRITE_ROUTES:
                url = template.replace("{x}", x)
                r = client.request(method, url, content=body, headers=headers)
                check(r, f"{method} {url} {content_type} {body[:60]!r}")

        one()
    print(f"fuzz: {sent} requests, {len(failures)} failures")
    assert sent >= EXAMPLES * (len(GET_ROUTES) + len(WRITE_ROUTES))
    assert failures == [], failures[:20]
