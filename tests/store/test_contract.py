"""The `Store` contract, run against every backend (`store_backend`: sqlite, postgres).

Whatever a caller can observe must be the same on both: these tests are what
keeps the PostgreSQL store honest against the embedded one, and the other way round.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from paperfeed.models import PaperRecord, Signal
from paperfeed.store import PaperQuery, Store


def rec(paper_id: str, **fields) -> PaperRecord:
    base = {
        "title": f"Title of {paper_id}",
        "abstract": f"Abstract of {paper_id}.",
        "version": 1,
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.CL", "cs.AI"],
        "submitted": date(2025, 3, 1),
        "announced": date(2025, 3, 3),
        "source": "test",
    }
    base.update(fields)
    return PaperRecord(id=paper_id, **base)


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=UTC)


# -- upsert --------------------------------------------------------------------------


def test_upsert_counts_new_updated_unchanged(store_backend: Store) -> None:
    s = store_backend
    first = s.upsert_papers([rec("2503.00001"), rec("2503.00002")])
    assert (first.new, first.updated, first.unchanged) == (2, 0, 0)
    again = s.upsert_papers([rec("2503.00001"), rec("2503.00002")])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    changed = s.upsert_papers([rec("2503.00001", abstract="A better abstract."), rec("2503.00003")])
    assert (changed.new, changed.updated, changed.unchanged) == (1, 1, 0)
    assert s.get_paper("2503.00001").abstract == "A better abstract."
    assert s.count_papers() == 3


def test_unchanged_reingest_does_not_move_seq(store_backend: Store) -> None:
    s = store_backend
    s.upsert_papers([rec("2503.00001"), rec("2503.00002")])
    seq = s.max_seq()
    s.upsert_papers([rec("2503.00001"), rec("2503.00002")])
    assert s.max_seq() == seq
    s.upsert_papers([rec("2503.00002", title="New title")])
    assert s.max_seq() == seq + 1
    assert s.get_paper("2503.00002").seq == seq + 1


def test_duplicates_inside_a_batch_are_merged(store_backend: Store) -> None:
    s = store_backend
    result = s.upsert_papers(
        [
            rec("2503.00001", abstract="", code_url=None, source="a"),
            rec("2503.00001", abstract="Filled later.", code_url="https://github.com/x/y", source="b"),
        ]
    )
    assert (result.new, result.updated, result.unchanged) == (1, 0, 0)
    paper = s.get_paper("2503.00001")
    assert paper.abstract == "Filled later."
    assert paper.code_url == "https://github.com/x/y"
    assert set(paper.sources) == {"a", "b"}
    assert s.count_papers() == 1


def test_newer_version_updates_in_place_and_keeps_history(store_backend: Store) -> None:
    s = store_backend
    s.upsert_papers([rec("2503.00001", version=1, title="First")])
    s.upsert_papers([rec("2503.00001", version=2, title="Second", updated=date(2025, 4, 1))])
    s.upsert_papers([rec("2503.00001", version=3, title="Third", updated=date(2025, 5, 1))])
    paper = s.get_paper("2503.00001")
    assert (paper.version, paper.title, paper.updated) == (3, "Third", date(2025, 5, 1))
    history = s.paper_versions("2503.00001")
    assert [(h["version"], h["title"]) for h in history] == [(1, "First"), (2, "Second")]
    assert all(h["content_hash"] for h in history)


def test_older_version_never_overwrites(store_backend: Store) -> None:
    s = store_backend
    s.upsert_papers([rec("2503.00001", version=2, title="Second", code_url=None)])
    result = s.upsert_papers([rec("2503.00001", version=1, title="First", code_url="https://github.com/a/b")])
    paper = s.get_paper("2503.00001")
    assert (paper.version, paper.title) == (2, "Second")
    assert paper.code_url == "https://github.com/a/b"  # an older record may still fill a gap
    assert result.updated == 1
    assert s.paper_versions("2503.00001") == []


def test_empty_fields_never_erase(store_backend: Store) -> None:
    s = store_backend
    s.upsert_papers([rec("2503.00001", doi="10.1/x", comment="10 pages")])
    result = s.upsert_papers([rec("2503.00001", abstract="", authors=[], categories=[], doi=None, comment=None)])
    assert result.unchanged == 1
    paper = s.get_paper("2503.00001")
    assert paper.abstract == "Abstract of 2503.00001."
    assert paper.authors == ["Ada Lovelace", "Alan Turing"]
    assert paper.categories == ["cs.CL", "cs.AI"]
    assert (paper.doi, paper.comment) == ("10.1/x", "10 pages")


def test_dates_keep_earliest_announcement_and_latest_update(store_backend: Store) -> None:
    s = store_backend
    s.upsert_papers([rec("2503.00001", announced=date(2025, 3, 3), updated=date(2025, 3, 5))])
    s.upsert_papers([rec("2503.00001", announced=date(2025, 3, 10), updated=date(2025, 3, 4))])
    paper = s.get_paper("2503.00001")
    assert (paper.announced, paper.updated, paper.published) == (date(2025, 3, 3), date(2025, 3, 5), date(2025, 3, 3))


def test_unicode_round_trips(store_backend: Store) -> None:
    s = store_backend
    s.upsert_papers([rec("2503.00001", title="Über naïve Bayes — 量子", authors=["Zoë Ærø", "李雷"])])
    paper = s.get_paper("2503.00001")
    assert paper.title == "Über naïve Bayes — 量子"
    assert paper.authors == ["Zoë Ærø", "李雷"]


def test_long_values_are_stored_alike(store_backend: Store) -> None:
    """Messy listings carry 70-character "categories" and DOIs make long ids: both backends keep them."""
    s = store_backend
    long_id = "doi:10.1002/(sici)1097-4636(199706)35:4<1::aid-jbm1>3.0.co;2-x/" + "x" * 40
    odd_category = "Information storage and retrieval of data, Natural language\n  processing"
    s.upsert_papers([rec(long_id, categories=["cs.IR", odd_category], source="s" * 80)])
    paper = s.get_paper(long_id)
    assert paper.categories == ["cs.IR", odd_category]
    assert set(paper.sources) == {"s" * 80}
    assert s.count_papers(PaperQuery(category=odd_category)) == 1


# -- checkpoints --------------------------------------------------------------------


def test_checkpoint_round_trip_and_delete(store_backend: Store) -> None:
    s = store_backend
    assert s.get_checkpoint("oai:arXiv") is None
    s.set_checkpoint("oai:arXiv", {"from": "2025-03-01", "token": "abc|1001"})
    s.set_checkpoint("oai:arXiv", {"from": "2025-03-02", "token": None})
    assert s.get_checkpoint("oai:arXiv") == {"from": "2025-03-02", "token": None}
    s.delete_checkpoint("oai:arXiv")
    assert s.get_checkpoint("oai:arXiv") is None


def test_checkpoint_is_written_with_the_batch(store_backend: Store) -> None:
    s = store_backend
    s.upsert_papers([rec("2503.00001")], checkpoint=("files:x", {"line": 1}))
    assert s.get_checkpoint("files:x") == {"line": 1}
    s.upsert_papers([], checkpoint=("files:x", {"line": 2}))
    assert s.get_checkpoint("files:x") == {"line": 2}


def test_a_failing_batch_stores_neither_papers_nor_checkpoint_nor_signals(store_backend: Store) -> None:
    s = store_backend
    s.upsert_papers([rec("2503.00001")], checkpoint=("files:x", {"line": 1}))
    unstorable = rec("2503.00003", authors=[object()])  # fails while the transaction is open
    signal = Signal("2503.00002", "huggingface", "hf_upvotes", 5, at(3))
    with pytest.raises(TypeError):
        s.upsert_papers([rec("2503.00002"), unstorable], checkpoint=("files:x", {"line": 3}), signals=[signal])
    assert s.get_checkpoint("files:x") == {"line": 1}
    assert s.get_paper("2503.00002") is None
    assert s.count_papers() == 1
    assert s.stats().signals == 0


# -- reads --------------------------------------------------------------------------


@pytest.fixture
def corpus(store_backend: Store) -> Store:
    s = store_backend
    s.upsert_papers(
        [
            rec("2503.00001", announced=date(2025, 3, 3), categories=["cs.CL"], authors=["Ada Lovelace"]),
            rec("2503.00002", announced=date(2025, 3, 4), categories=["cs.CV", "cs.CL"], authors=["Grace Hopper"]),
            rec("2504.00003", announced=date(2025, 4, 1), categories=["cs.CV"], authors=["Alan Turing"], source="x"),
            rec(
                "2504.00004", announced=None, submitted=date(2025, 4, 2), categories=["stat.ML"], authors=["Ada Byron"]
            ),
        ]
    )
    return s


def ids(papers) -> list[str]:
    return [p.id for p in papers]


def test_list_filters_and_counts(corpus: Store) -> None:
    s = corpus
    assert ids(s.list_papers(PaperQuery())) == ["2504.00004", "2504.00003", "2503.00002", "2503.00001"]
    q = PaperQuery(since=date(2025, 3, 4), until=date(2025, 4, 1))
    assert ids(s.list_papers(q)) == ["2504.00003", "2503.00002"]
    assert s.count_papers(q) == 2
    assert ids(s.list_papers(PaperQuery(category="cs.CL"))) == ["2503.00002", "2503.00001"]  # cross-lists count
    assert s.count_papers(PaperQuery(category="cs.CL")) == 2
    assert ids(s.list_papers(PaperQuery(author="ada"))) == ["2504.00004", "2503.00001"]  # case-insensitive
    assert ids(s.list_papers(PaperQuery(author="100%_"))) == []  # LIKE wildcards are literal
    assert ids(s.list_papers(PaperQuery(order="id", limit=2, offset=1))) == ["2503.00002", "2504.00003"]
    assert s.count_papers() == 4
    assert s.count_papers(PaperQuery(category="nope")) == 0


def test_get_papers_keeps_the_order_asked_and_skips_unknown(corpus: Store) -> None:
    s = corpus
    got = s.get_papers(["2504.00003", "missing", "2503.00001", "2504.00003"])
    assert ids(got) == ["2504.00003", "2503.00001"]
    assert s.get_papers([]) == []
    assert s.get_paper("missing") is None
    assert set(s.get_paper("2504.00003").sources) == {"x"}


def test_iter_papers_by_seq(corpus: Store) -> None:
    s = corpus
    all_papers = list(s.iter_papers(batch_size=3))
    seqs = [p.seq for p in all_papers]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4
    assert s.max_seq() == seqs[-1]
    s.upsert_papers([rec("2503.00001", title="Changed")])
    later = list(s.iter_papers(after_seq=seqs[-1]))
    assert ids(later) == ["2503.00001"]
    assert later[0].seq == s.max_seq()
    assert list(s.iter_papers(after_seq=s.max_seq())) == []


def test_stats(corpus: Store) -> None:
    s = corpus
    s.add_signals([Signal("2503.00001", "local", "upvote", 1, at(5), actor="a1")])
    st = s.stats()
    assert st.papers == 4
    assert st.by_source == {"test": 3, "x": 1}
    assert st.by_category == {"cs.CL": 2, "cs.CV": 2, "stat.ML": 1}
    assert st.by_month == {"2025-03": 2, "2025-04": 2}
    assert st.signals == 1


# -- signals, trending, web engagement (mixins) ---------------------------------


def test_signals_insert_and_read(corpus: Store) -> None:
    s = corpus
    n = s.add_signals(
        [
            Signal("2503.00001", "local", "upvote", 1, at(5, 9), actor="a1", network="n1"),
            Signal("2503.00001", "local", "upvote", 1, at(5, 10), actor="a2", network="n1"),
            Signal("2503.00002", "huggingface", "hf_upvotes", 10, at(4)),
            Signal("2503.00002", "huggingface", "hf_upvotes", 25, at(6)),
        ]
    )
    assert n == 4
    assert s.add_signals([]) == 0
    events = s.event_signals(at(5, 0).isoformat(), at(6, 0).isoformat(), ["upvote"])
    assert [(e[0], e[1], e[3]) for e in events] == [("2503.00001", "upvote", "a1"), ("2503.00001", "upvote", "a2")]
    cum = s.cumulative_signals(at(5, 0).isoformat(), at(7, 0).isoformat(), ["hf_upvotes"])
    assert [(c[0], c[3]) for c in cum] == [("2503.00002", 25.0)]
    base = s.cumulative_baselines(at(5, 0).isoformat(), at(7, 0).isoformat(), ["hf_upvotes"])
    assert base == {("2503.00002", "hf_upvotes", "huggingface"): (10.0, at(4).isoformat(timespec="seconds"))}
    assert s.upvote_counts(["2503.00001", "2503.00002", "2504.00003"]) == {"2503.00001": 2, "2503.00002": 25}
    assert s.has_signal("2503.00001", "upvote", "a1")
    assert not s.has_signal("2503.00001", "upvote", "a3")
    last_id, earliest = s.signal_changes_since(0)
    assert last_id >= 4 and earliest == at(4).isoformat(timespec="seconds")
    assert s.signal_changes_since(last_id) == (last_id, None)


def test_add_signal_within_limits_never_overshoots_under_concurrency(corpus: Store) -> None:
    """Issue 16: abuse limits live in the database, so every worker shares them, exactly."""
    from concurrent.futures import ThreadPoolExecutor

    from paperfeed.models import SignalLimit

    s = corpus
    cap = [SignalLimit("network_cap", "upvote", "n1", 5, paper_id="2503.00001")]

    def vote(i: int) -> str | None:
        return s.add_signal_within(Signal("2503.00001", "local", "upvote", 1, at(5), actor=f"a{i}", network="n1"), cap)

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(vote, range(24)))
    assert outcomes.count(None) == 5 and outcomes.count("network_cap") == 19
    assert s.upvote_counts(["2503.00001"]) == {"2503.00001": 5}
    # other papers, networks and kinds are counted apart; `since` bounds the window
    assert vote_other(s, "2503.00002", "n1") is None
    assert vote_other(s, "2503.00001", "n2") is None
    hourly = [SignalLimit("rate_limited", "upvote", "n1", 6, since=at(5, 0))]
    assert s.add_signal_within(Signal("2504.00003", "local", "upvote", 1, at(5), actor="z", network="n1"), hourly) == (
        "rate_limited"
    )
    # a batch is counted signal by signal, each after the batch's earlier ones
    views = [Signal("2503.00002", "local", "view", 1, at(5), actor=f"v{i}", network="n3") for i in range(4)]
    cap3 = [SignalLimit("views", "view", "n3", 3, since=at(5, 0))]
    assert s.add_signals_within([(v, cap3) for v in views]) == [None, None, None, "views"]
    later = [SignalLimit("rate_limited", "upvote", "n1", 6, since=at(6, 0))]
    assert (
        s.add_signal_within(Signal("2504.00003", "local", "upvote", 1, at(6), actor="z", network="n1"), later) is None
    )


def vote_other(s: Store, paper_id: str, network: str) -> str | None:
    from paperfeed.models import SignalLimit

    limit = [SignalLimit("network_cap", "upvote", network, 5, paper_id=paper_id)]
    return s.add_signal_within(Signal(paper_id, "local", "upvote", 1, at(5), actor="x", network=network), limit)


def test_signals_written_with_a_batch(store_backend: Store) -> None:
    s = store_backend
    s.upsert_papers([rec("2503.00001")], signals=[Signal("2503.00001", "huggingface", "hf_upvotes", 3, at(3))])
    assert s.stats().signals == 1


def test_trending_lists_replace_page_and_drop(corpus: Store) -> None:
    s = corpus
    day = date(2025, 4, 2)
    rows = [("2503.00002", 1, 2.5, json.dumps({"upvote": 2.5})), ("2503.00001", 2, 1.0, "{}")]
    s.replace_trending("week", day, rows, {"signal_id": 7}, at(5).isoformat())
    assert s.trending_meta("week", day) == {"signal_id": 7}
    page = s.trending_page("week", day, None, 10, 0)
    assert [(r[0].id, r[1], r[2]) for r in page] == [("2503.00002", 1, 2.5), ("2503.00001", 2, 1.0)]
    assert page[0][0].title == "Title of 2503.00002"  # the paper comes joined in
    assert [r[0].id for r in s.trending_page("week", day, "cs.CV", 10, 0)] == ["2503.00002"]
    assert s.trending_row("week", day, "2503.00001")[1] == 2
    assert s.trending_row("week", day, "2504.00003") is None
    s.replace_trending("week", day, rows[:1], {"signal_id": 8}, at(6).isoformat())  # swap, no duplicates
    assert [r[0].id for r in s.trending_page("week", day, None, 10, 0)] == ["2503.00002"]
    assert s.trending_meta("week", day) == {"signal_id": 8}
    assert s.drop_trending(date(2025, 4, 1)) == 2  # the row and the list's marker
    assert s.trending_meta("week", day) is None


def test_paper_dates_for_trending(corpus: Store) -> None:
    s = corpus
    assert s.published_dates(["2503.00001", "2504.00003", "nope"], date(2025, 3, 31)) == {"2503.00001": "2025-03-03"}
    recent = s.recent_published(date(2025, 4, 1), date(2025, 4, 30), pool=1)
    assert set(recent) == {"2504.00003", "2504.00004"}
    last, earliest = s.paper_changes_since(0)
    assert last == s.max_seq() and earliest == "2025-03-03"


# -- embedding cache ---------------------------------------------------------------


def test_embedding_cache(store_backend: Store) -> None:
    s = store_backend
    v1 = np.arange(4, dtype=np.float32) / 3
    v2 = np.ones(4, dtype=np.float32)
    s.put_embeddings("minilm", {"h1": v1, "h2": v2})
    s.put_embeddings("minilm", {"h1": v2})  # already cached: keeps its row
    got = s.get_embeddings("minilm", ["h1", "h2", "h3"])
    assert set(got) == {"h1", "h2"}
    np.testing.assert_array_equal(got["h1"], v1)
    assert s.get_embeddings("other", ["h1"]) == {}
    with pytest.raises(ValueError, match="non-finite"):
        s.put_embeddings("minilm", {"bad": np.array([np.nan], dtype=np.float32)})


def test_iter_embeddings_pages_one_model_in_hash_order(store_backend: Store) -> None:
    s = store_backend
    vecs = {f"{i:032x}": np.full(3, i, dtype=np.float32) for i in range(7)}
    s.put_embeddings("minilm", vecs)
    s.put_embeddings("other", {"f" * 32: np.zeros(3, dtype=np.float32)})
    pages = list(s.iter_embeddings("minilm", batch_size=3))
    assert [len(p) for p in pages] == [3, 3, 1]
    keys = [k for p in pages for k in p]
    assert keys == sorted(vecs)
    assert all(np.array_equal(p[k], vecs[k]) for p in pages for k in p)
    assert list(s.iter_embeddings("nobody")) == []


def test_backlog_walks_a_seq_range_newest_first_from_a_cursor(store_backend: Store) -> None:
    s = store_backend
    s.upsert_papers([rec("2503.00002", announced=date(2025, 3, 2)), rec("2503.00009", announced=date(2025, 3, 9))])
    s.upsert_papers([rec("2503.00005", announced=date(2025, 3, 5)), rec("2503.00001", announced=date(2025, 3, 9))])
    top = s.max_seq()
    got = [p.id for p in s.backlog_papers(0, top, None, 10)]
    assert got == ["2503.00009", "2503.00001", "2503.00005", "2503.00002"]  # date desc, then id desc
    assert [p.id for p in s.backlog_papers(0, top, ("2025-03-09", "2503.00001"), 10)] == got[2:]
    assert [p.id for p in s.backlog_papers(2, top, None, 1)] == ["2503.00001"]  # only the later batch
    assert s.backlog_size(0, top, ("2025-03-09", "2503.00001")) == (2, "2025-03-05")
    assert s.backlog_size(top, top, None) == (0, None)


def test_timestamps_are_utc_iso(store_backend: Store) -> None:
    s = store_backend
    local = datetime(2025, 3, 5, 14, 0, tzinfo=UTC) + timedelta(0)
    s.upsert_papers([rec("2503.00001")])
    s.add_signals([Signal("2503.00001", "local", "view", 1, local)])
    events = s.event_signals("2025-03-05T00:00:00+00:00", "2025-03-06T00:00:00+00:00", ["view"])
    assert len(events) == 1
