"""OAI-PMH: parsing the three formats, following tokens, resuming, and the protocol's errors."""

from __future__ import annotations

import json
from datetime import date
from itertools import islice
from pathlib import Path

import pytest

from paperfeed.ingest import ingest
from paperfeed.models import PaperRecord
from paperfeed.sources.arxiv_oai import ArxivOaiSource, OaiError, parse_page
from paperfeed.sources.base import Rejection, SourceError

SCIX = "fixtures/arxiv_oai_pmh/scix_oai_dc_2023-03-07"
RAW = "fixtures/arxiv_oai_pmh/mikesaelim_arXivRaw_2015"
BASE = "http://export.arxiv.org/oai2"


def scix_route(shared_dir: Path):
    """Serve the recorded 3-page oai_dc chain by the request it answers."""
    pages = {
        None: shared_dir / SCIX / "ListRecords_data_0.xml",
        "6511260|1001": shared_dir / SCIX / "ListRecords_data_1.xml",
        "6511260|2001": shared_dir / SCIX / "ListRecords_data_2.xml",
    }

    def route(path: str, params: dict[str, str]):
        token = params.get("resumptionToken")
        if token is None:
            assert params == {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2023-03-07"}
        else:
            assert params == {"verb": "ListRecords", "resumptionToken": token}  # the token is exclusive
        return 200, {"Content-Type": "text/xml"}, pages[token].read_bytes()

    return route


def scix_source(client) -> ArxivOaiSource:
    return ArxivOaiSource(client, BASE, prefix="oai_dc", from_date=date(2023, 3, 7))


def records(items) -> list[PaperRecord]:
    return [i for i in items if isinstance(i, PaperRecord)]


# -- the real 3-page oai_dc chain --------------------------------------------------------------


def test_full_oai_dc_chain_yields_2265_records(shared_dir: Path, replay, clock) -> None:
    rp = replay(scix_route(shared_dir))
    source = scix_source(rp.client(clock, delay_s=3.0))
    items = list(source.read())
    assert len(items) == 2265
    assert all(isinstance(i, PaperRecord) for i in items)
    assert len({i.id for i in items}) == 2265
    tokens = [r.url.params.get("resumptionToken") for r in rp.requests]
    assert tokens == [None, "6511260|1001", "6511260|2001"]
    assert clock.sleeps == [3.0, 3.0]  # one request per 3 s
    assert source.position() == {"from": "2023-03-07", "until": None, "set": None, "prefix": "oai_dc", "token": None}
    first = items[0]
    assert first.id == "0806.4410" and first.authors == ["Robert Baillie"]
    assert first.categories == ["math.CA", "math.NT"]
    assert first.submitted == date(2008, 6, 27) and first.updated == date(2023, 3, 4)
    assert first.comment and first.comment.startswith("29 pages")
    assert all(r.categories for r in items)


def test_resume_after_page_one_yields_exactly_the_rest(shared_dir: Path, replay, clock) -> None:
    full = [r.id for r in scix_source(replay(scix_route(shared_dir)).client(clock)).read()]

    rp = replay(scix_route(shared_dir))
    source = scix_source(rp.client(clock))
    gen = source.read()
    first_page = list(islice(gen, 1000))
    stored = json.loads(json.dumps(source.position()))  # what the ingest job would store
    gen.close()  # the "kill": the generator is abandoned after page 1
    assert stored["token"] == "6511260|1001"

    rp2 = replay(scix_route(shared_dir))
    rest = list(scix_source(rp2.client(clock)).read(resume=stored))
    assert [r.id for r in first_page] + [r.id for r in rest] == full
    assert len(rest) == 1265
    assert [r.url.params.get("resumptionToken") for r in rp2.requests] == ["6511260|1001", "6511260|2001"]


def test_kill_mid_page_refetches_at_most_that_page(shared_dir: Path, replay, clock) -> None:
    rp = replay(scix_route(shared_dir))
    source = scix_source(rp.client(clock))
    gen = source.read()
    list(islice(gen, 1500))  # half-way through page 2
    stored = source.position()
    gen.close()
    assert stored["token"] == "6511260|1001"
    rest = list(scix_source(replay(scix_route(shared_dir)).client(clock)).read(resume=stored))
    assert len(rest) == 1265  # page 2 again (500 re-read, harmless) and page 3


def test_ingest_of_the_chain_is_idempotent(shared_dir: Path, replay, clock, pf) -> None:
    report = ingest(pf.store, scix_source(replay(scix_route(shared_dir)).client(clock)), batch_size=500)
    assert report.counts.new == 2265 and report.counts.rejected == 0
    checkpoint = pf.store.get_checkpoint("arxiv-oai:oai_dc:*:2023-03-07..")
    assert checkpoint["token"] is None and checkpoint["from"] == "2023-03-07"
    again = ingest(pf.store, scix_source(replay(scix_route(shared_dir)).client(clock)), batch_size=500)
    assert again.counts.new == 0 and again.counts.updated == 0 and again.counts.unchanged == 2265
    paper = pf.store.get_paper("2107.10460") or pf.store.get_paper("0806.4410")
    assert paper is not None and paper.sources and "arxiv-oai" in paper.sources


class DiesAfter:
    """The source, with the process "killed" (KeyboardInterrupt) after `n` items."""

    def __init__(self, source: ArxivOaiSource, n: int) -> None:
        self.source, self.n = source, n
        self.name, self.checkpoint_key = source.name, source.checkpoint_key

    def position(self):
        return self.source.position()

    def read(self, resume=None):
        for count, item in enumerate(self.source.read(resume)):
            if count == self.n:
                raise KeyboardInterrupt
            yield item


def test_interrupted_ingest_resumes_from_the_stored_token(shared_dir: Path, replay, clock, pf) -> None:
    with pytest.raises(KeyboardInterrupt):
        ingest(pf.store, DiesAfter(scix_source(replay(scix_route(shared_dir)).client(clock)), 1500), batch_size=400)
    assert pf.store.count_papers() == 1200  # three whole batches; the fourth died with the process
    assert pf.store.get_checkpoint("arxiv-oai:oai_dc:*:2023-03-07..")["token"] == "6511260|1001"

    rp = replay(scix_route(shared_dir))
    report = ingest(pf.store, scix_source(rp.client(clock)), batch_size=400)
    assert report.resumed
    assert [r.url.params.get("resumptionToken") for r in rp.requests] == ["6511260|1001", "6511260|2001"]
    assert report.counts.new == 1065 and report.counts.unchanged == 200  # page 2 re-read, nothing lost
    assert pf.store.count_papers() == 2265


def test_getrecord_oai_dc(shared_dir: Path) -> None:
    page = parse_page((shared_dir / SCIX / "GetRecord_data.xml").read_bytes(), "oai_dc")
    (rec,) = page.items
    assert isinstance(rec, PaperRecord)
    assert rec.id == "2107.10460"
    assert rec.doi == "10.1038/s41535-022-00470-6"
    assert rec.journal_ref == "npj Quantum Materials 7, 62 (2022)"
    assert rec.categories == ["cond-mat.supr-con", "cond-mat.mtrl-sci", "cond-mat.str-el"]
    assert rec.authors[0] == "Taichi Terashima"


# -- arXivRaw and arXiv formats (real) -------------------------------------------------------------


def test_arxivraw_versions_give_version_and_dates(shared_dir: Path) -> None:
    page = parse_page((shared_dir / RAW / "GetRecordResponse.xml").read_bytes(), "arXivRaw")
    (rec,) = page.items
    assert isinstance(rec, PaperRecord)
    assert (rec.id, rec.version) == ("1302.2146", 2)
    assert rec.submitted == date(2013, 2, 8) and rec.updated == date(2013, 4, 2)
    assert rec.authors == ["Joshua Berger", "Maxim Perelstein", "Michael Saelim", "Philip Tanedo"]
    assert rec.categories == ["hep-ph", "hep-ex"]

    listing = parse_page((shared_dir / RAW / "ListRecordsResponse.xml").read_bytes(), "arXivRaw")
    assert listing.token == "726959|1001" and listing.complete_size == 58011
    recs = records(listing.items)
    assert len(recs) == len(listing.items) > 0
    by_id = {r.id: r for r in recs}
    assert by_id["0704.0716"].version == 4
    assert by_id["0704.0471"].doi == "10.1103/PhysRevC.76.024606"  # the first of two DOIs


def test_hand_edited_arxiv_file_rejects_precisely(shared_dir: Path) -> None:
    page = parse_page((shared_dir / "fixtures/arxiv_oai_pmh/nesta/mocked_arxiv_response.xml").read_bytes(), "arXiv")
    rejections = [i for i in page.items if isinstance(i, Rejection)]
    good = records(page.items)
    assert good[0].id == "0704.0999" and good[0].authors == ["G. Author"]
    assert any(r.field == "created" and "2007-04-999" in r.message and "0704.1000" in r.origin for r in rejections)


# -- the 5 real OAI-PMH error answers --------------------------------------------------------------------

ERRORS = {
    "ErrorResponseBadArgument.xml": ("badArgument", "check --from/--until"),
    "ErrorResponseBadResumptionToken.xml": ("badResumptionToken", "invalid or has expired"),
    "ErrorResponseBadVerb.xml": ("badVerb", "not point at an OAI-PMH endpoint"),
    "ErrorResponseIdDoesNotExist.xml": ("idDoesNotExist", "check the arXiv id"),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_each_real_error_has_its_own_message(shared_dir: Path, name: str) -> None:
    code, advice = ERRORS[name]
    with pytest.raises(OaiError) as info:
        parse_page((shared_dir / RAW / name).read_bytes(), "arXivRaw")
    assert info.value.code == code
    assert str(info.value).startswith(f"OAI-PMH {code}: ")
    assert advice in str(info.value)
    assert info.value.server_text in str(info.value)  # the server's own words are kept


def test_error_messages_are_all_different(shared_dir: Path) -> None:
    messages = set()
    for name in ERRORS:
        with pytest.raises(OaiError) as info:
            parse_page((shared_dir / RAW / name).read_bytes(), "arXivRaw")
        messages.add(str(info.value).split("(")[0])
    assert len(messages) == 4


def test_real_no_records_match_is_zero_records(shared_dir: Path, replay, clock) -> None:
    body = (shared_dir / RAW / "ErrorResponseNoRecordsMatch.xml").read_bytes()
    page = parse_page(body, "arXivRaw")
    assert page.items == [] and page.token is None and "moo" in (page.no_records or "")

    rp = replay(lambda path, params: (200, {}, body))
    source = ArxivOaiSource(rp.client(clock), BASE, prefix="arXivRaw", set_spec="moo", today=date(2015, 6, 30))
    assert list(source.read()) == []
    assert source.no_records and source.position()["from"] == "2015-06-23"  # the answer's date: next time from there


def test_real_bad_resumption_token_mid_harvest_is_a_clear_failure(shared_dir: Path, replay, clock) -> None:
    first = (shared_dir / SCIX / "ListRecords_data_0.xml").read_bytes()
    bad = (shared_dir / RAW / "ErrorResponseBadResumptionToken.xml").read_bytes()
    rp = replay(lambda path, params: (200, {}, bad if "resumptionToken" in params else first))
    source = scix_source(rp.client(clock))
    seen = []
    with pytest.raises(SourceError, match="badResumptionToken"):
        for item in source.read():
            seen.append(item)
    assert len(seen) == 1000
    assert source.position()["token"] == "6511260|1001"  # the checkpoint stays where it was


# -- the recorded 503 before a ListRecords page (arXiv format) ---------------------------------------------


def test_recorded_503_then_listrecords(shared_dir: Path, replay, clock) -> None:
    folder = shared_dir / "fixtures/arxiv_oai_pmh/paperhive_nock_2018"
    path = folder / "oaipmh-listrecords---should-list-identifiers-from-arxiv.json"
    steps = iter(json.loads(path.read_text()))

    def route(url_path: str, params: dict[str, str]):
        step = next(steps)
        headers = dict(zip(step["rawHeaders"][::2], step["rawHeaders"][1::2], strict=True))
        headers = {k: v for k, v in headers.items() if k in ("Retry-After", "Content-Type", "Date")}
        return step["status"], headers, step["response"].encode()

    rp = replay(route)
    source = ArxivOaiSource(
        rp.client(clock, delay_s=3.0), BASE, prefix="arXiv", from_date=date(2015, 1, 1), until=date(2015, 1, 3)
    )
    items = list(source.read())
    assert clock.sleeps == [10.0]
    assert [r.id for r in records(items)] == ["1412.8544", "hep-th/9504118"]
    assert items[0].authors == ["Sander Uijlen", "Bas Westerbaan"]
    assert items[0].doi == "10.4204/EPTCS.172.11"
    assert source.position()["from"] == "2015-01-03"  # a bounded harvest continues from its end


# -- hand-written fixtures (always run) ---------------------------------------------------------------------


def oai_server(loopback, testdata: Path, stale: set[str] | None = None):
    def route(path: str, params: dict[str, str]):
        token = params.get("resumptionToken")
        if token in (stale or set()):
            return 200, {}, (testdata / "oai_error_badResumptionToken.xml").read_bytes()
        if token == "demo|3":
            return 200, {}, (testdata / "oai_arxiv_p2.xml").read_bytes()
        if params.get("metadataPrefix") == "arXiv" and token is None:
            return 200, {}, (testdata / "oai_arxiv_p1.xml").read_bytes()
        return 200, {}, (testdata / "oai_error_badArgument.xml").read_bytes()

    return loopback(route)


def test_own_chain_with_rejection_and_deleted(loopback, testdata: Path, clock) -> None:
    server = oai_server(loopback, testdata)
    source = ArxivOaiSource(server.client(clock), server.url + "/oai", from_date=date(2026, 1, 14))
    items = list(source.read())
    assert [i.id for i in records(items)] == ["2601.00001", "hep-th/9901001", "2601.00004"]
    (rejection,) = [i for i in items if isinstance(i, Rejection)]
    assert rejection.field == "title" and "2601.00003" in rejection.origin and "oai page 1" in rejection.origin
    first = items[0]
    assert first.title == "Sorting Papers by Interest"
    assert first.abstract == "We sort papers. Then we sort them again."
    assert first.authors == ["Ada Lovelace", "Charles Babbage Jr"]
    assert first.doi == "10.1234/example.1"
    assert first.abs_url == "https://arxiv.org/abs/2601.00001"
    assert server.hits[0] == ("/oai", {"verb": "ListRecords", "metadataPrefix": "arXiv", "from": "2026-01-14"})
    assert source.position()["from"] == "2026-01-15" and source.position()["token"] is None


def test_own_chain_resume_after_page_one(loopback, testdata: Path, clock) -> None:
    server = oai_server(loopback, testdata)
    source = ArxivOaiSource(server.client(clock), server.url + "/oai", from_date=date(2026, 1, 14))
    gen = source.read()
    page_one = list(islice(gen, 2))  # one record and one rejection; the deleted record yields nothing
    position = source.position()
    gen.close()
    assert position["token"] == "demo|3"
    rest = list(ArxivOaiSource(server.client(clock), server.url + "/oai").read(resume=position))
    assert [i.id for i in records(page_one + rest)] == ["2601.00001", "hep-th/9901001", "2601.00004"]


def test_stale_stored_token_restarts_the_range(loopback, testdata: Path, clock) -> None:
    server = oai_server(loopback, testdata, stale={"expired|1"})
    source = ArxivOaiSource(server.client(clock), server.url + "/oai")
    resume = {"from": "2026-01-14", "until": None, "set": None, "prefix": "arXiv", "token": "expired|1"}
    items = list(source.read(resume=resume))
    assert len(records(items)) == 3
    assert [params.get("resumptionToken") for _, params in server.hits] == ["expired|1", None, "demo|3"]


def test_own_bad_argument_is_a_clear_error(loopback, testdata: Path, clock) -> None:
    server = oai_server(loopback, testdata)
    source = ArxivOaiSource(server.client(clock), server.url + "/oai", prefix="oai_dc", set_spec="nonsense")
    with pytest.raises(OaiError, match=r"badArgument.*check --from/--until"):
        list(source.read())


def test_own_arxivraw_versions_out_of_order(testdata: Path) -> None:
    page = parse_page((testdata / "oai_arxivraw.xml").read_bytes(), "arXivRaw")
    rec, rejection = page.items
    assert isinstance(rec, PaperRecord) and isinstance(rejection, Rejection)
    assert rec.version == 3 and rec.submitted == date(2025, 12, 31) and rec.updated == date(2026, 1, 13)
    assert rec.authors == ["A. One", "B. Two", "C. Three"]
    assert rejection.field == "version v1 date" and "someday" in rejection.message
    assert "2512.09998" in rejection.origin


def test_own_oai_dc_record(testdata: Path) -> None:
    (rec,) = parse_page((testdata / "oai_dc.xml").read_bytes(), "oai_dc").items
    assert isinstance(rec, PaperRecord)
    assert rec.title == "Dublin Core, Briefly"
    assert rec.authors == ["Marie Curie", "Albert Einstein"]
    assert rec.categories == ["cs.DL", "cs.IR"]  # the MSC class 68P20 is not an arXiv category
    assert rec.comment == "4 pages, 1 figure" and rec.abstract == "The abstract comes first."
    assert rec.doi == "10.5555/dc.example" and rec.journal_ref == "Made-up Journal 2, 3 (2026)"
    assert rec.submitted == date(2026, 1, 3) and rec.updated == date(2026, 1, 12)


def test_own_no_records_match(testdata: Path) -> None:
    page = parse_page((testdata / "oai_error_noRecordsMatch.xml").read_bytes(), "arXiv")
    assert page.items == [] and page.no_records


def test_not_xml_and_not_oai(testdata: Path) -> None:
    with pytest.raises(SourceError, match="not XML"):
        parse_page(b"<html><body>Retry after 10 seconds", "arXiv")
    with pytest.raises(SourceError, match="not an OAI-PMH document"):
        parse_page((testdata / "api_p1.xml").read_bytes(), "arXiv")


def test_checkpoint_keys_and_defaults(clock) -> None:
    from paperfeed.sources.http import HttpClient

    client = HttpClient()
    incremental = ArxivOaiSource(client, BASE, set_spec="cs", today=date(2026, 1, 15))
    bounded = ArxivOaiSource(client, BASE, from_date=date(2026, 1, 1), until=date(2026, 1, 7))
    assert incremental.checkpoint_key == "arxiv-oai:arXiv:cs"
    assert bounded.checkpoint_key == "arxiv-oai:arXiv:*:2026-01-01..2026-01-07"
    assert incremental._start_from(None) == ("2026-01-08", None)  # a week back by default
    assert incremental._start_from({"from": "2026-01-14", "token": None, "prefix": "arXiv"}) == ("2026-01-14", None)
    with pytest.raises(SourceError, match="unknown metadata prefix"):
        ArxivOaiSource(client, BASE, prefix="marc")
    with pytest.raises(SourceError, match="before --from"):
        ArxivOaiSource(client, BASE, from_date=date(2026, 1, 7), until=date(2026, 1, 1))
    client.close()
