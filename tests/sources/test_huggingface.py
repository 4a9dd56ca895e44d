"""Hugging Face papers: daily lists, one paper, search; engagement numbers become signals, not fields."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from paperfeed.models import PaperRecord, Signal
from paperfeed.sources.base import Rejection, SourceError
from paperfeed.sources.huggingface import (
    HuggingFaceDailySource,
    HuggingFacePaperSource,
    parse_daily_papers,
    parse_paper_response,
    parse_search,
)

HF = "fixtures/hf_daily_papers"
SEEN = datetime(2026, 8, 15, 12, 0, tzinfo=UTC)  # the replay's observation time
DAILY = {
    "BuiVannn_All-News-AI__daily_papers.json": 5,
    "ikevinxie_ai-weekly-radar__daily_papers_2026-07.json": 25,
    "scout-cpu_personal-news-feed__daily_papers_2026-07.json": 30,
    "sotawhat__daily_papers_2026-06.json": 30,
}


def split(items):
    items = list(items)
    recs = [i for i in items if isinstance(i, PaperRecord)]
    sigs = [i for i in items if isinstance(i, Signal)]
    rejs = [i for i in items if isinstance(i, Rejection)]
    return recs, sigs, rejs


def test_signals_are_not_paper_fields() -> None:
    names = {f.name for f in fields(PaperRecord)}
    assert not names & {"upvotes", "stars", "github_stars", "num_comments", "comments"}


@pytest.mark.parametrize("name", sorted(DAILY))
def test_real_daily_lists(shared_dir: Path, name: str) -> None:
    data = json.loads((shared_dir / HF / name).read_text())
    recs, sigs, rejs = split(parse_daily_papers(data, SEEN, name))
    assert len(recs) == DAILY[name] and rejs == []
    for entry, rec in zip(data, recs, strict=True):
        paper = entry["paper"]
        assert rec.id == paper["id"] and rec.title and rec.abstract and rec.authors and rec.submitted
        assert rec.code_url == paper.get("githubRepo") and rec.project_url == paper.get("projectPage")
        assert rec.abs_url == f"https://arxiv.org/abs/{rec.id}" and rec.source == "huggingface"
        mine = {s.kind: s.value for s in sigs if s.paper_id == rec.id}
        assert mine["hf_upvotes"] == paper["upvotes"]
        assert mine["hf_comments"] == entry["numComments"]
        assert mine.get("github_stars") == paper.get("githubStars")
    assert all(s.observed_at == SEEN and s.source == "huggingface" for s in sigs)
    assert {s.kind for s in sigs} <= {"hf_upvotes", "hf_comments", "github_stars"}


def test_real_daily_first_item(shared_dir: Path) -> None:
    data = json.loads((shared_dir / HF / "BuiVannn_All-News-AI__daily_papers.json").read_text())
    recs, sigs, _ = split(parse_daily_papers(data, SEEN))
    first = recs[0]
    assert first.id == "2607.23193" and first.submitted == date(2026, 7, 28)
    assert first.authors[:2] == ["Jinsen Su", "Yongdong Luo"]
    assert first.code_url == "https://github.com/MAC-AutoML/OmniScope"
    assert [(s.kind, s.value) for s in sigs if s.paper_id == "2607.23193"] == [
        ("hf_upvotes", 3.0),
        ("hf_comments", 2.0),
        ("github_stars", 3.0),
    ]


def test_real_paper(shared_dir: Path) -> None:
    data = json.loads((shared_dir / HF / "zhangyee_fastpaper-cli__api_papers_2608.09888.json").read_text())
    recs, sigs, rejs = split(parse_paper_response(data, SEEN))
    (rec,) = recs
    assert rec.id == "2608.09888" and rec.title.startswith("BDH-CQ")
    assert rec.code_url == "https://github.com/pathwaycom/arc-task-gen"
    assert rec.project_url and rec.project_url.startswith("https://pathway.com/")
    assert rec.authors[0] == "Björn Engdahl"
    assert {(s.kind, s.value) for s in sigs} == {("hf_upvotes", 782.0), ("github_stars", 11184.0)}
    assert rejs == []


def test_real_search_response(shared_dir: Path) -> None:
    data = json.loads((shared_dir / HF / "zhangyee_fastpaper-cli__api_papers_search_q-diffusion.json").read_text())
    recs, sigs, rejs = split(parse_search(data, SEEN))
    assert [r.id for r in recs] == [e["paper"]["id"] for e in data] and len(recs) == 3
    assert recs[0].title == "Denoising Diffusion Probabilistic Models"
    assert recs[0].submitted == date(2020, 6, 19)
    assert ("hf_comments", 5.0) in {(s.kind, s.value) for s in sigs if s.paper_id == "2006.11239"}
    assert rejs == []


def test_real_daily_list_through_the_source(shared_dir: Path, replay, clock) -> None:
    body = (shared_dir / HF / "sotawhat__daily_papers_2026-06.json").read_bytes()
    rp = replay(lambda path, params: (200, {"Content-Type": "application/json"}, body))
    source = HuggingFaceDailySource(rp.client(clock), "https://huggingface.co", month="2026-06", clock=lambda: SEEN)
    recs, sigs, _ = split(source.read())
    assert len(recs) == 30  # fewer than the page size: one request is enough
    assert dict(rp.requests[0].url.params) == {"month": "2026-06", "p": "0", "limit": "100"}
    assert rp.requests[0].url.path == "/api/daily_papers"
    assert all(s.observed_at == SEEN for s in sigs)


# -- hand-written fixtures (always run) -----------------------------------------------------------------


def test_own_daily_pagination(loopback, testdata: Path, clock) -> None:
    pages = {"0": testdata / "hf_daily_p0.json", "1": testdata / "hf_daily_p1.json"}
    server = loopback(lambda path, params: (200, {}, pages[params["p"]].read_bytes()))
    source = HuggingFaceDailySource(
        server.client(clock), server.url, day=date(2026, 1, 14), limit=2, clock=lambda: SEEN
    )
    recs, sigs, rejs = split(source.read())
    assert [r.id for r in recs] == ["2601.00020", "2601.00021"]  # the repeat on page 2 is dropped
    assert [(s.paper_id, s.kind, s.value) for s in sigs] == [
        ("2601.00020", "hf_upvotes", 12.0),
        ("2601.00020", "hf_comments", 3.0),
        ("2601.00020", "github_stars", 42.0),
        ("2601.00021", "hf_upvotes", 0.0),
        ("2601.00021", "hf_comments", 0.0),
    ]
    assert [(r.field, r.origin) for r in rejs] == [
        ("id", "hf daily_papers page 2 item 2"),
        ("paper", "hf daily_papers page 2 item 3"),
    ]
    assert [h[1] for h in server.hits] == [
        {"date": "2026-01-14", "p": "0", "limit": "2"},
        {"date": "2026-01-14", "p": "1", "limit": "2"},
    ]
    first = recs[0]
    assert first.code_url == "https://github.com/example/sorting" and first.project_url == "https://example.org/sorting"


def test_own_paper_and_missing_paper(loopback, testdata: Path, clock) -> None:
    def route(path: str, params: dict[str, str]):
        if path == "/api/papers/2601.00020":
            return 200, {}, (testdata / "hf_paper.json").read_bytes()
        return 404, {}, b'{"error": "Paper not found"}'

    server = loopback(route)
    recs, sigs, _ = split(
        HuggingFacePaperSource(server.client(clock), server.url, "arXiv:2601.00020v1", clock=lambda: SEEN).read()
    )
    assert recs[0].id == "2601.00020"
    assert {(s.kind, s.value) for s in sigs} == {("hf_upvotes", 15.0), ("github_stars", 44.0)}
    items = list(HuggingFacePaperSource(server.client(clock), server.url, "2601.09999").read())
    assert len(items) == 1 and isinstance(items[0], Rejection) and "no page" in items[0].message


def test_bad_arguments_and_bodies() -> None:
    from paperfeed.sources.http import HttpClient

    with HttpClient() as client:
        with pytest.raises(SourceError, match="only one of"):
            HuggingFaceDailySource(client, "x", week="2026-W01", month="2026-01")
        with pytest.raises(SourceError, match="not an ISO week"):
            HuggingFaceDailySource(client, "x", week="2026-53x")
        with pytest.raises(SourceError, match="not a month"):
            HuggingFaceDailySource(client, "x", month="2026-13")
        with pytest.raises(SourceError, match="keyed by arXiv id"):
            HuggingFacePaperSource(client, "x", "not an id")
    with pytest.raises(SourceError, match="expected a JSON list"):
        parse_daily_papers({"error": "rate limited"}, SEEN)
