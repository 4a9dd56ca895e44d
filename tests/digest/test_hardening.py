"""Issue 16: the JSON subscription endpoints survive hostile bodies and cannot be driven cross-site."""

from __future__ import annotations

import itertools

import pytest
from fastapi.testclient import TestClient

from conftest import SECRET, add_subscribers
from paperfeed.digest import tokens
from paperfeed.web.app import create_app
from paperfeed.web.bodies import nesting_depth, parse_json

# The bodies: under the 1 MiB default cap, so judged by their content, far past any sane depth.
DEEP_BODIES = ["[" * 100_000 + "]" * 100_000, '["' * 100_000 + "]" * 100_000]


@pytest.fixture
def client(dpf):
    return TestClient(create_app(dpf))


def _manage_url(dpf) -> str:
    add_subscribers(dpf, 1)
    sub = dpf.store.get_subscriber_by_email("reader0@example.org")
    return "/api/v1/subscription/" + tokens.make_token(SECRET, "manage", sub.id, sub.token_version, sub.email)


def test_deeply_nested_json_is_400_not_500(dpf, client) -> None:
    headers = {"content-type": "application/json"}
    manage = _manage_url(dpf)
    for (method, url), deep in itertools.product((("POST", "/api/v1/subscribe"), ("PUT", manage)), DEEP_BODIES):
        r = client.request(method, url, content=deep, headers=headers)
        assert r.status_code == 400, (url, r.status_code, r.text[:200])
        assert r.json()["error"]["param"] == "body"
        assert "nested" in r.json()["error"]["message"] or "not valid JSON" in r.json()["error"]["message"]
        assert r.headers["x-content-type-options"] == "nosniff"


def test_bodies_over_the_cap_are_413_declared_or_streamed(dpf, client) -> None:
    big = b'{"email": "a@example.org", "pad": "' + b"x" * (1100 * 1024) + b'"}'
    r = client.post("/api/v1/subscribe", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["param"] == "body"
    assert r.headers["x-content-type-options"] == "nosniff"

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(120):
            yield b"x" * 10_000

    r = client.post("/api/v1/subscribe", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["param"] == "body"
    assert dpf.store.get_subscriber_by_email("a@example.org") is None


def test_the_cap_is_a_setting(dpf) -> None:
    dpf.settings.max_body_bytes = 100
    client = TestClient(create_app(dpf))
    r = client.post("/api/v1/subscribe", json={"email": "x" * 200 + "@example.org"})
    assert r.status_code == 413


def test_json_subscribe_requires_a_json_content_type(dpf, client) -> None:
    r = client.post(
        "/api/v1/subscribe", content='{"email": "victim@example.org"}', headers={"content-type": "text/plain"}
    )
    assert r.status_code == 415 and r.json()["error"]["param"] == "content-type"
    r = client.put(_manage_url(dpf), content='{"max_papers": 3}', headers={"content-type": "text/plain"})
    assert r.status_code == 415


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"origin": "http://rebound.example", "host": "rebound.example"},  # DNS rebinding: Origin matches Host
        {"sec-fetch-site": "cross-site"},
        {"origin": "https://evil.example", "sec-fetch-site": "cross-site"},
    ],
)
def test_json_subscribe_refuses_other_origins(dpf, client, headers: dict[str, str]) -> None:
    r = client.post("/api/v1/subscribe", json={"email": "victim@example.org"}, headers=headers)
    assert r.status_code == 403 and r.json()["error"]["param"] == "origin"
    r = client.put(_manage_url(dpf), json={"max_papers": 3}, headers=headers)
    assert r.status_code == 403


def test_json_subscribe_accepts_its_own_origin_and_non_browsers(dpf, client) -> None:
    base = dpf.settings.base_url.rstrip("/")
    for headers in ({"origin": base, "sec-fetch-site": "same-origin"}, {"origin": base + "/"}, {}):
        r = client.post("/api/v1/subscribe", json={"email": "reader@example.org"}, headers=headers)
        assert r.status_code == 202, (headers, r.text)


def test_depth_scan_ignores_brackets_inside_strings() -> None:
    assert nesting_depth('{"a": "[[[[[[", "b": [[1]]}') == 3
    assert parse_json(('{"q": "' + "[" * 100 + '"}').encode()) == {"q": "[" * 100}
