"""The web's engagement reads (store/sql_web.py) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from paperfeed.models import PaperRecord, Signal


def test_upvote_counts_and_one_vote_check(store_backend) -> None:
    store = store_backend
    store.upsert_papers(
        [PaperRecord(id=f"2601.0000{i}", title=f"P{i}", submitted=date(2026, 1, i + 1), source="t") for i in range(3)]
    )
    at = datetime(2026, 1, 5, 12, tzinfo=UTC)
    store.add_signals(
        [
            Signal("2601.00000", "local", "upvote", 1, at, actor="a", network="n1"),
            Signal("2601.00000", "local", "upvote", 1, at, actor="a", network="n1"),  # same actor: once
            Signal("2601.00000", "local", "upvote", 1, at, actor="b", network="n1"),
            Signal("2601.00000", "local", "view", 1, at, actor="c", network="n2"),  # views are not votes
            Signal("2601.00000", "huggingface", "hf_upvotes", 10, at, None, None),
            Signal("2601.00000", "huggingface", "hf_upvotes", 12, at.replace(hour=13), None, None),
            Signal("2601.00001", "huggingface", "hf_upvotes", 3, at, None, None),
            Signal("2601.00002", "local", "view", 1, at, actor="a", network="n1"),
        ]
    )
    counts = store.upvote_counts(["2601.00000", "2601.00001", "2601.00002", "missing"])
    assert counts == {"2601.00000": 14, "2601.00001": 3}
    assert store.has_signal("2601.00000", "upvote", "a")
    assert not store.has_signal("2601.00001", "upvote", "a")
    assert not store.has_signal("2601.00000", "upvote", "c")
    assert store.upvote_counts([]) == {}


def test_signal_totals_take_the_highest_observation(store_backend) -> None:
    store = store_backend
    store.upsert_papers([PaperRecord(id="2601.00010", title="P", submitted=date(2026, 1, 1), source="t")])
    at = datetime(2026, 1, 5, 12, tzinfo=UTC)
    store.add_signals(
        [
            Signal("2601.00010", "pwc", "github_stars", 120, at, None, None),
            Signal("2601.00010", "huggingface", "github_stars", 150, at.replace(hour=13), None, None),
            Signal("2601.00010", "huggingface", "github_stars", 149, at.replace(hour=14), None, None),  # a dip
            Signal("2601.00010", "huggingface", "hf_comments", 4, at, None, None),
            Signal("2601.00010", "huggingface", "hf_upvotes", 9, at, None, None),  # not asked for
        ]
    )
    totals = store.signal_totals(["2601.00010", "missing"], ("github_stars", "hf_comments"))
    assert totals == {"2601.00010": {"github_stars": 150, "hf_comments": 4}}
    assert store.signal_totals([], ("github_stars",)) == {}
