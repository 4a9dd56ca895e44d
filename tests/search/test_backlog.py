"""The embedding backlog on every backend pair: newest papers first, resumable, new arrivals first, coverage told.

Each step is driven with `embed_backlog(budget_s=0)`, which embeds exactly one
batch (the budget is spent once a batch is done), so what is embedded after
each step is deterministic.
"""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import numpy as np
import pytest
from tests.search.conftest import HashEmbedder, SearchPair

from paperfeed.models import PaperRecord
from paperfeed.search import embedded_backends, refresh
from paperfeed.search.backlog import Backlog, order_key
from paperfeed.search.base import SearchRequest
from paperfeed.search.engine import HybridSearcher

BATCH = 5


class CountingEmbedder(HashEmbedder):
    """Counts the texts it really computes (cache hits never reach it)."""

    def __init__(self) -> None:
        self.texts = 0

    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        self.texts += len(texts)
        return super().embed(texts, batch_size, progress)


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(refresh, "EMBED_BATCH", BATCH)


def _searcher(pair: SearchPair, embedder: HashEmbedder | None = None, pf=None) -> HybridSearcher:
    backends = pair.backends
    if pf is not None and not pair.store.url.startswith("postgresql"):
        backends = embedded_backends(pf.settings)  # a fresh open from disk: what a restart sees
    emb = embedder or CountingEmbedder()
    s = HybridSearcher(pair.store, backends, embedder_loader=lambda: emb)
    s.refresh_lexical()
    return s


def _newest_first(pair: SearchPair) -> list[str]:
    papers = pair.store.get_papers([p.id for p in pair.store.iter_papers()])
    return [p.id for p in sorted(papers, key=order_key, reverse=True)]


def _embedded(s: HybridSearcher, ids: list[str]) -> set[str]:
    return set(s.backends.vectors.get(ids))


def test_one_step_embeds_the_newest_papers_and_coverage_says_so(search_backends: SearchPair) -> None:
    s = _searcher(search_backends)
    order = _newest_first(search_backends)
    assert s.coverage(max_age_s=0).embedded == 0
    assert s.embed_backlog(budget_s=0) == BATCH
    assert _embedded(s, order) == set(order[:BATCH])
    cov = s.coverage(max_age_s=0)
    assert (cov.embedded, cov.total, cov.pending) == (BATCH, 30, 30 - BATCH)
    newest_missing = search_backends.store.get_paper(order[BATCH]).published
    assert cov.complete_since == newest_missing + timedelta(days=1)
    assert cov.as_dict()["keyword_only_before"] == cov.complete_since.isoformat()


def test_search_during_the_backlog_carries_the_coverage_notice(search_backends: SearchPair) -> None:
    s = _searcher(search_backends)
    res = s.search(SearchRequest(q="diffusion"))
    assert res.mode == "lexical" and "showing keyword matches" in (res.notice or "")
    s.embed_backlog(budget_s=0)
    s.embed_backlog(budget_s=0)
    cov = s.coverage(max_age_s=0)
    res = s.search(SearchRequest(q="diffusion"))
    assert res.mode == "hybrid"
    assert res.notice == (
        f"semantic matching covers papers since {cov.complete_since.isoformat()} (33%); "
        "older papers match by keyword only"
    )
    assert s.search(SearchRequest(q="diffusion", mode="lexical")).notice is None  # no semantic leg, nothing missed
    s.embed_backlog()
    s._coverage = None
    assert s.search(SearchRequest(q="diffusion")).notice is None
    assert s.coverage(max_age_s=0).complete


def test_the_walk_resumes_after_a_restart_without_embedding_twice(search_backends: SearchPair, pf) -> None:
    emb = CountingEmbedder()
    s = _searcher(search_backends, emb)
    order = _newest_first(search_backends)
    s.embed_backlog(budget_s=0)
    s.embed_backlog(budget_s=0)
    first = emb.texts
    if not search_backends.store.url.startswith("postgresql"):
        s.close()
    again = _searcher(search_backends, emb, pf=pf)  # reopened from what was saved
    assert again.coverage(max_age_s=0).embedded == 2 * BATCH
    again.embed_backlog(budget_s=0)
    assert _embedded(again, order) == set(order[: 3 * BATCH])
    per_step = first / 2
    assert emb.texts - first <= per_step * 1.5  # the third batch only, not the first two again
    again.embed_backlog()
    assert _embedded(again, order) == set(order)
    assert (
        again.backends.vectors.backlog() == []
        and again.backends.vectors.indexed_seq() == search_backends.store.max_seq()
    )
    assert again.embed_backlog() == 0


def _paper(pid: str, day: date, title: str) -> PaperRecord:
    return PaperRecord(
        id=pid,
        title=title,
        abstract=f"{title}: an abstract long enough to embed.",
        submitted=day,
        categories=["cs.LG"],
        source="test",
    )


def test_papers_arriving_during_a_backlog_go_first_when_newer(search_backends: SearchPair) -> None:
    store = search_backends.store
    s = _searcher(search_backends)
    s.embed_backlog(budget_s=0)
    fresh = [_paper(f"2612.0000{i}", date(2026, 12, 1), f"Tomorrow's paper {i}") for i in range(3)]
    old = [_paper(f"1001.0000{i}", date(2010, 1, 4), f"An old paper {i}") for i in range(3)]
    store.upsert_papers(old + fresh)
    s.refresh_lexical()
    s.embed_backlog(budget_s=0)
    got = _embedded(s, [p.id for p in fresh + old])
    assert got == {p.id for p in fresh}  # the newest three, and two from the first walk; no old one
    s.embed_backlog()
    assert _embedded(s, [p.id for p in old]) == {p.id for p in old}
    assert s.coverage(max_age_s=0).complete


def test_new_arrivals_after_a_complete_walk_name_no_date_past_every_paper(search_backends: SearchPair) -> None:
    """Only the newest papers wait: "covered since <the day after them>; older ones keyword only" would be false."""
    s = _searcher(search_backends)
    s.embed_backlog()
    search_backends.store.upsert_papers([_paper("2612.00009", date(2026, 12, 1), "A paper that just arrived")])
    s.refresh_lexical()
    cov = s.coverage(max_age_s=0)
    assert (cov.pending, cov.complete_since) == (1, None)
    assert cov.notice() is not None and "older papers" not in (cov.notice() or "")
    assert "the rest match by keyword only" in (cov.notice() or "")


def test_a_paper_changed_after_it_was_embedded_is_embedded_again(search_backends: SearchPair) -> None:
    store = search_backends.store
    s = _searcher(search_backends)
    s.embed_backlog()
    target = _newest_first(search_backends)[0]
    paper = store.get_paper(target)
    before = s.backends.vectors.get([target])[target]
    store.upsert_papers(
        [
            PaperRecord(
                id=paper.id,
                title="Completely different words about glaciers",
                abstract="Ice sheet melt rates measured by satellites.",
                submitted=paper.submitted,
                authors=paper.authors,
                categories=paper.categories,
                source="test2",
            )
        ]
    )
    assert not s.coverage(max_age_s=0).complete
    s.embed_backlog()
    after = s.backends.vectors.get([target])[target]
    assert not np.allclose(before, after, atol=1e-2)
    assert s.coverage(max_age_s=0).complete


def test_backlog_state_round_trips_and_bad_state_restarts_the_walk() -> None:
    b = Backlog(3)
    b.extend(10)
    b.jobs[0].after = ("2025-01-02", "x")
    b.extend(12)
    again = Backlog.load(b.seq, b.dump())
    assert again == b and [(j.lo, j.hi) for j in again.jobs] == [(3, 10), (10, 12)]
    assert Backlog.load(3, [{"lo": "x"}]).jobs == []  # unreadable: start over (the cache makes it cheap)
    again.jobs[0].done = again.jobs[1].done = True
    again.settle()
    assert again.seq == 12 and again.caught_up


def test_the_digest_loop_never_embeds_and_the_index_job_does(search_backends: SearchPair, pf) -> None:
    """keep_fresh (before each compose pass) leaves the indexes alone; the background job does both."""
    from paperfeed.digest.scheduler import keep_fresh
    from paperfeed.search.background import IndexKeeper

    s = HybridSearcher(search_backends.store, search_backends.backends, embedder_loader=CountingEmbedder)

    class Pf:
        search = s
        trending = pf.trending

    keep_fresh(Pf())
    assert s.backends.lexical.indexed_seq() == 0 and s.backends.vectors.count() == 0  # left to the index job
    keeper = IndexKeeper(lambda: s, slice_s=0.0, idle_s=0.05).start()
    try:
        deadline = time.monotonic() + 60
        while not s.coverage(max_age_s=0).complete:  # a bounded poll of the running job
            assert time.monotonic() < deadline, "the index job did not catch up"
            threading.Event().wait(0.05)
    finally:
        keeper.stop()
    assert s.backends.vectors.count() == 30
    assert s.backends.lexical.indexed_seq() == search_backends.store.max_seq()
