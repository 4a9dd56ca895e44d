"""Schemathesis over every documented route, against a live uvicorn server on loopback.

Generated requests (schema-valid and schema-violating ones) must never get a 5xx, and every
response must match the OpenAPI document: a documented status code, the documented content
type and headers, and a body that validates against the response model. The number of
examples per route is bounded (`MAX_EXAMPLES`) so the run stays well under a minute here.

A summary (routes, requests, status codes) is written to
``test-artifacts/schemathesis-summary.txt`` for the closing note of a change.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.web.conftest import load_corpus
from tests.web.live import live_server

from paperfeed.app import open_paperfeed
from paperfeed.config import Settings
from paperfeed.digest import tokens
from paperfeed.models import Signal
from paperfeed.schemas import ApiError
from paperfeed.web.app import create_app
from paperfeed.web.serialize import HfError

# schemathesis's own strategies use `random`; Hypothesis warns about it, which is not this project's to fix.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")

MAX_EXAMPLES = 15
SECRET = "schemathesis-test-secret-key-0123456789"
ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "schemathesis-summary.txt"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

calls: Counter[tuple[str, int]] = Counter()
manage_token: dict[str, str] = {}


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The web corpus in a real SQLite store, one confirmed subscriber, served on 127.0.0.1."""
    data = tmp_path_factory.mktemp("schemathesis")
    pf = open_paperfeed(Settings(data_dir=data, embedder="none", request_delay_s=0.0, secret_key=SECRET))
    load_corpus(pf)
    pf.store.add_signals([Signal("2607.10001", "huggingface", "hf_upvotes", 5, datetime(2026, 7, 14, 9, tzinfo=UTC))])
    pf.search.refresh(progress=False)
    sub = pf.store.create_subscriber("reader@example.org", "2026-11-01T00:00:00+00:00")
    pf.store.update_subscriber(sub.id, status="confirmed", confirmed_at="2026-11-01T00:00:00+00:00")
    sub = pf.store.get_subscriber(sub.id)
    manage_token["token"] = tokens.make_token(SECRET, "manage", sub.id, sub.token_version, sub.email)
    with live_server(create_app(pf)) as url:
        yield url
    pf.close()
    ARTIFACT.parent.mkdir(exist_ok=True)
    routes = sorted({label for label, _ in calls})
    operations = len([r for r in routes if not r.startswith("other")])
    lines = [f"{operations} operations, {sum(calls.values())} requests, max {MAX_EXAMPLES} fuzzed examples each"]
    for label in routes:
        codes = {code: n for (name, code), n in sorted(calls.items()) if name == label}
        lines.append(f"{label:55s} {sum(codes.values()):4d}  " + " ".join(f"{c}:{n}" for c, n in codes.items()))
    ARTIFACT.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def api_schema(live_url: str) -> Any:
    return schemathesis.openapi.from_url(f"{live_url}/api/v1/openapi.json")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's lazy loader renames the test node through ``_nodeid``, which pytest 9 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_route_conforms_to_its_schema(case: Any) -> None:
    token = (case.path_parameters or {}).get("token")
    if isinstance(token, str) and len(token) % 2 == 0:
        case.path_parameters["token"] = manage_token["token"]  # about half the requests reach a real subscriber
    response = case.call_and_validate(checks=CHECKS)
    label = case.operation.label if case.method.upper() == case.operation.method.upper() else "other methods (probes)"
    calls[(label, response.status_code)] += 1


BOUNDARY_DAYS = ("0001-01-01", "1899-12-31", "3000-01-01", "9999-12-31")
DATED_ROUTES = (
    ("/api/v1/daily", "date"),
    ("/api/v1/weekly", "week"),
    ("/api/v1/monthly", "month"),
    ("/api/v1/trending", "date"),
    ("/api/v1/trending/2607.10001", "date"),
    ("/api/v1/search", "since"),
    ("/api/v1/search", "until"),
    ("/api/daily_papers", "date"),
    ("/api/daily_papers", "week"),
    ("/api/daily_papers", "month"),
)


@pytest.mark.parametrize(("path", "param"), DATED_ROUTES)
def test_boundary_dates_are_a_400_naming_the_parameter(live_url: str, path: str, param: str) -> None:
    """Where random fuzzing rarely lands: the first and last days Python's dates hold, and the edges of the
    span paperfeed serves. Each is a 400 in the route's documented error shape, never a 500."""
    for day in BOUNDARY_DAYS:
        value = {"week": f"{day[:4]}-W10", "month": day[:7]}.get(param, day)  # W01 of 3000 starts in 2999
        r = httpx.get(f"{live_url}{path}", params={param: value, "q": "x"} if "search" in path else {param: value})
        assert r.status_code == 400, (path, param, value, r.text)
        if path.startswith("/api/v1"):
            assert ApiError.model_validate(r.json()).error.param == param
        else:
            assert HfError.model_validate(r.json()).error.startswith(f"{param}:")


def test_the_guides_curl_examples_answer(live_url: str) -> None:
    """Every ``curl "$B/..."`` GET in docs/api.md answers 200 on the test corpus, so the guide stays true."""
    guide = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    urls = re.findall(r'^curl "\$B(/[^"]+)"', guide, flags=re.MULTILINE)
    assert len(urls) >= 10
    for url in urls:
        r = httpx.get(live_url + url.replace("$TOKEN", manage_token["token"]))
        assert r.status_code == 200, (url, r.text[:200])
