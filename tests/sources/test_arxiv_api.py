"""arXiv API (Atom): every recorded call, the legacy format, the HTTP 400, paging, unknown ids."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from paperfeed.models import PaperRecord
from paperfeed.sources.arxiv_api import ArxivApiError, ArxivApiSource, error_message, parse_feed
from paperfeed.sources.base import Rejection, SourceError

API = "fixtures/arxiv_api_atom"
RECORDED = f"{API}/lukasschwab_arxiv.py_fixtures"
BASE = "https://export.arxiv.org/api/query"
MATCH = ("search_query", "id_list", "start", "max_results")


def recordings(shared_dir: Path) -> list[dict]:
    out = []
    for path in sorted((shared_dir / RECORDED).glob("*.json")):
        data = json.loads(path.read_text())
        query = {k: v[-1] for k, v in parse_qs(urlsplit(data["url"]).query, keep_blank_values=True).items()}
        out.append({"name": path.name, "params": {k: query.get(k, "") for k in MATCH}, **data})
    return out


def recorded_route(shared_dir: Path):
    table = {tuple(r["params"].values()): r for r in recordings(shared_dir)}

    def route(path: str, params: dict[str, str]):
        key = tuple(params.get(k, "") for k in MATCH)
        rec = table[key]  # a KeyError here means the source asked for something never recorded
        return rec["status_code"], {"Content-Type": "application/atom+xml"}, rec["body"].encode()

    return route


def records(items) -> list[PaperRecord]:
    return [i for i in items if isinstance(i, PaperRecord)]


def test_all_recorded_calls_are_found(shared_dir: Path) -> None:
    # ../shared/README speaks of 19 calls; the folder holds 20 files, and every one of them is checked
    assert len(recordings(shared_dir)) >= 19


def test_every_recorded_call_parses(shared_dir: Path) -> None:
    for rec in recordings(shared_dir):
        if rec["status_code"] == 400:
            with pytest.raises(ArxivApiError, match="incorrect id format for abc"):
                parse_feed(rec["body"])
            continue
        page = parse_feed(rec["body"], rec["name"])
        assert rec["status_code"] == 200
        assert page.start == int(rec["params"]["start"])
        assert all(isinstance(i, PaperRecord) for i in page.items), rec["name"]
        expected = min(int(rec["params"]["max_results"]), max(0, (page.total or 0) - page.start))
        assert len(page.items) == expected, rec["name"]
        for r in page.records:
            assert r.title and r.abstract and r.authors and r.categories and r.submitted and r.version


def test_overlapping_pages_agree(shared_dir: Path) -> None:
    by_name = {
        r["name"].rsplit("_", 1)[0]: parse_feed(r["body"]) for r in recordings(shared_dir) if r["name"].startswith("q_")
    }
    ids = {name: [p.id for p in page.records] for name, page in by_name.items()}
    assert ids["q_testing_s0_m15"][5:15] == ids["q_testing_s5_m10"]
    assert ids["q_testing_s0_m100"][9:24] == ids["q_testing_s9_m15"]


@pytest.mark.parametrize(
    ("ids", "expected", "missing"),
    [
        (["1605.08386"], ["1605.08386"], []),
        (["2104.12255v1"], ["2104.12255"], []),
        (["astro-ph/0601001"], ["astro-ph/0601001"], []),
        (["quant-ph/0201082v1"], ["quant-ph/0201082"], []),
        (["0000.0000"], [], ["0000.0000"]),
        (["0808.05394"], [], ["0808.05394"]),
        (["0808.05394", "1707.08567"], ["1707.08567"], ["0808.05394"]),
    ],
)
def test_id_lookups_through_the_source(shared_dir: Path, replay, clock, ids, expected, missing) -> None:
    rp = replay(recorded_route(shared_dir))
    source = ArxivApiSource(rp.client(clock), BASE, ids=ids, max_results=100, sort_by="relevance")
    items = list(source.read())
    assert [r.id for r in records(items)] == expected
    unknown = [i for i in items if isinstance(i, Rejection)]
    assert [u.origin for u in unknown] == [f"arxiv api id {m}" for m in missing]
    assert all(u.field == "id" and "no paper with this id" in u.message for u in unknown)
    assert source.position() is None  # complete: nothing to resume


def test_old_style_id_record(shared_dir: Path, replay, clock) -> None:
    rp = replay(recorded_route(shared_dir))
    (rec,) = ArxivApiSource(
        rp.client(clock), BASE, ids=["astro-ph/0601001"], max_results=100, sort_by="relevance"
    ).read()
    assert rec.version == 1 and rec.categories == ["astro-ph"]
    assert rec.journal_ref == "ActaAstron.56:1-50,2006"
    assert rec.authors[:2] == ["Andrew Gould", "Susan Dorsher"]
    assert rec.abs_url == "https://arxiv.org/abs/astro-ph/0601001"
    assert rec.submitted == date(2006, 1, 2)


def test_recorded_http_400_gives_a_clear_error(shared_dir: Path, replay, clock) -> None:
    rp = replay(recorded_route(shared_dir))
    source = ArxivApiSource(rp.client(clock), BASE, ids=["abc"], max_results=100, sort_by="relevance")
    with pytest.raises(ArxivApiError) as info:
        list(source.read())
    message = str(info.value)
    assert "HTTP 400" in message and "incorrect id format for abc" in message
    assert "2501.01234" in message  # says what an id looks like
    assert len(rp.requests) == 1  # a 400 is not retried


def test_query_paging_over_recorded_pages(shared_dir: Path, replay, clock) -> None:
    rp = replay(recorded_route(shared_dir))
    source = ArxivApiSource(
        rp.client(clock, delay_s=3.0), BASE, query="testing", max_results=60, page_size=10, sort_by="relevance"
    )
    items = list(source.read())
    assert len(items) == 60 and len(records(items)) == 60
    assert [int(r.url.params["start"]) for r in rp.requests] == [0, 10, 20, 30, 40, 50]
    assert clock.sleeps == [3.0] * 5
    recorded_first_100 = [
        r.id
        for r in parse_feed(
            next(x for x in recordings(shared_dir) if x["name"].startswith("q_testing_s0_m100_"))["body"]
        ).records
    ]
    assert [r.id for r in items] == recorded_first_100[:60]


def test_query_resumes_at_offset(shared_dir: Path, replay, clock) -> None:
    rp = replay(recorded_route(shared_dir))
    source = ArxivApiSource(rp.client(clock), BASE, query="testing", max_results=60, page_size=10, sort_by="relevance")
    gen = source.read()
    for _ in range(20):
        next(gen)
    stored = source.position()
    gen.close()
    assert stored == {"start": 20}
    rest = list(
        ArxivApiSource(rp.client(clock), BASE, query="testing", max_results=60, page_size=10, sort_by="relevance").read(
            resume=stored
        )
    )
    assert len(rest) == 40


STANDALONE = {
    "CrSamson_brevio-ai__query_cs.LG_AI_20_2026-04-30.xml": 20,
    "ikevinxie__query_cs.AI_LG_50_2026-07-13.xml": 50,
    "james-akl_xiv__legacy_format_query_cs.RO_neural_2025-10-17.xml": 2,
    "scout-cpu__query_cs.AI_LG_CL_25_2026-08-02.xml": 25,
    "sotawhat__query_transformer_cs.LG_2026-06-14.xml": 5,
    "zhangyee_fastpaper-cli__arxiv_search.xml": 3,
}


@pytest.mark.parametrize("name", sorted(STANDALONE))
def test_standalone_responses(shared_dir: Path, name: str) -> None:
    page = parse_feed((shared_dir / API / name).read_bytes(), name)
    assert len(page.records) == len(page.items) == STANDALONE[name]
    for rec in page.records:
        assert rec.title and rec.abstract and rec.authors and rec.categories and rec.submitted and rec.updated
        assert rec.abs_url == f"https://arxiv.org/abs/{rec.id}"


def test_legacy_format(shared_dir: Path) -> None:
    page = parse_feed(
        (shared_dir / API / "james-akl_xiv__legacy_format_query_cs.RO_neural_2025-10-17.xml").read_bytes()
    )
    assert page.total == 5619 and page.per_page == 2
    first = page.records[0]
    assert (first.id, first.version) == ("2510.14968", 1)
    assert first.title.startswith("RDD: Retrieval-Based Demonstration Decomposer for Planner Alignment in Long-Horizon")
    assert first.categories == ["cs.RO", "cs.AI", "cs.CV", "cs.LG", "cs.SY", "eess.SY"]
    assert first.comment and "NeurIPS 2025" in first.comment
    assert first.submitted == date(2025, 10, 16)


# -- hand-written fixtures (always run) -----------------------------------------------------------------


def test_own_pages_through_loopback(loopback, testdata: Path, clock) -> None:
    pages = {"0": testdata / "api_p1.xml", "2": testdata / "api_p2.xml"}
    server = loopback(lambda path, params: (200, {}, pages[params["start"]].read_bytes()))
    source = ArxivApiSource(
        server.client(clock), server.url + "/api/query", query="all:sorting", max_results=10, page_size=2
    )
    items = list(source.read())
    recs = records(items)
    assert [r.id for r in recs] == ["2601.00001", "cs/0112017"]
    (bad,) = [i for i in items if isinstance(i, Rejection)]
    assert bad.field == "updated" and "not a date" in bad.message and "entry 3" in bad.origin
    first = recs[0]
    assert first.version == 2 and first.categories == ["cs.IR", "cs.LG"]  # primary first
    assert first.title == "Sorting Papers by Interest" and first.abstract == "We sort papers. Then we sort them again."
    assert first.doi == "10.1234/example.1" and first.journal_ref == "Imaginary J. 2 (2026) 7"
    assert first.pdf_url == "https://arxiv.org/pdf/2601.00001"
    assert [h[1]["start"] for h in server.hits] == ["0", "2"]
    assert server.hits[0][1]["sortBy"] == "submittedDate" and server.hits[0][1]["search_query"] == "all:sorting"


def test_own_error_entry(testdata: Path, loopback, clock) -> None:
    body = (testdata / "api_error.xml").read_bytes()
    assert error_message(body) == "max_results must be non-negative"
    with pytest.raises(ArxivApiError, match="max_results must be non-negative"):
        parse_feed(body)  # some deployments send the error entry with HTTP 200
    server = loopback(lambda path, params: (400, {}, body))
    with pytest.raises(ArxivApiError, match=r"HTTP 400\): max_results must be non-negative"):
        list(ArxivApiSource(server.client(clock), server.url, query="x").read())


def test_bad_arguments() -> None:
    from paperfeed.sources.http import HttpClient

    with HttpClient() as client:
        with pytest.raises(SourceError, match="search query or at least one arXiv id"):
            ArxivApiSource(client, BASE)
        with pytest.raises(SourceError, match="page size"):
            ArxivApiSource(client, BASE, query="x", page_size=5000)
    with pytest.raises(SourceError, match="not XML"):
        parse_feed(b"Rate exceeded.")
