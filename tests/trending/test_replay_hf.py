"""Replay the real Hugging Face daily lists in ../shared and check trending explains its order.

The captured lists carry no capture time, so each list's entries are taken as
observed late on the day they were listed (``submittedOnDailyAt``). Two
captures of 2026-07-31 exist; counts only grow, so the one with the lower
counts is taken as the earlier observation (the test asserts that premise).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from paperfeed.app import Paperfeed
from paperfeed.models import PaperRecord, Signal
from paperfeed.sources.huggingface import parse_daily_papers
from paperfeed.trending import StoreTrending, TrendingConfig

pytestmark = pytest.mark.shared

FILES = [  # (file, hour of observation on its listing day)
    ("sotawhat__daily_papers_2026-06.json", 22),
    ("ikevinxie_ai-weekly-radar__daily_papers_2026-07.json", 22),
    ("BuiVannn_All-News-AI__daily_papers.json", 12),  # the earlier 2026-07-31 capture
    ("scout-cpu_personal-news-feed__daily_papers_2026-07.json", 22),
]


def _load(shared: Path) -> tuple[list[PaperRecord], list[Signal], dict[date, dict[str, int]]]:
    records: list[PaperRecord] = []
    signals: list[Signal] = []
    upvotes: dict[date, dict[str, int]] = defaultdict(dict)  # listing day -> id -> last upvotes seen
    for name, hour in FILES:
        data = json.loads((shared / "fixtures" / "hf_daily_papers" / name).read_text())
        by_day: dict[date, list] = defaultdict(list)
        for entry in data:
            by_day[date.fromisoformat(entry["paper"]["submittedOnDailyAt"][:10])].append(entry)
        for day, entries in sorted(by_day.items()):
            observed = datetime.combine(day, time(hour), tzinfo=UTC)
            for item in parse_daily_papers(entries, observed, label=name):
                if isinstance(item, PaperRecord):
                    records.append(item)
                elif isinstance(item, Signal):
                    signals.append(item)
            for entry in entries:
                pid = entry["paper"]["id"]
                before = upvotes[day].get(pid)
                assert before is None or before <= entry["paper"]["upvotes"]  # the ordering premise
                upvotes[day][pid] = entry["paper"]["upvotes"]
    return records, signals, upvotes


@pytest.fixture
def replayed(pf: Paperfeed, shared_dir: Path) -> dict[date, dict[str, int]]:
    records, signals, upvotes = _load(shared_dir)
    pf.store.upsert_papers(records)
    assert pf.store.add_signals(signals) == len(signals)
    return upvotes


def test_replay_daily_lists_rank_explained_by_signals(pf: Paperfeed, replayed: dict[date, dict[str, int]]) -> None:
    assert sorted(replayed) == [date(2026, 6, 12), date(2026, 7, 10), date(2026, 7, 13), date(2026, 7, 31)]
    for day, listed in replayed.items():
        report = pf.trending.refresh(day)
        assert report.recomputed == ["day", "week", "month"]
        entries = pf.trending.list("day", day, limit=200)
        on_list = {e.paper.id: e for e in entries}
        # Every paper HF listed that day with upvotes (and published by then) is ranked, with its signals.
        for pid, ups in listed.items():
            paper = pf.store.get_paper(pid)
            if (paper.published and paper.published > day) or ups == 0:
                continue
            assert pid in on_list, f"{pid} listed by HF on {day} is missing"
            assert on_list[pid].breakdown.get("hf_upvotes", 0) > 0
        scores = [e.score for e in entries]
        assert scores == sorted(scores, reverse=True)
        assert [e.rank for e in entries] == list(range(1, len(entries) + 1))
        for e in entries:
            assert math.fsum(e.breakdown.values()) == pytest.approx(e.score, abs=1e-9)
            assert e.explanation
        # The top paper is there because of what was imported, and its line says so.
        assert "Hugging Face upvotes" in entries[0].explanation


def test_replay_higher_upvotes_rank_higher_at_equal_age(pf: Paperfeed, replayed: dict[date, dict[str, int]]) -> None:
    """With only the HF-upvote signal weighted, equal-age papers seen once order by upvotes."""
    only_upvotes = TrendingConfig().with_overrides(
        weights={"hf_comments": 0, "github_stars": 0, "upvote": 0, "view": 0, "click": 0}
    )
    trending = StoreTrending(pf.store, only_upvotes)
    day = date(2026, 7, 31)
    entries = trending.list("day", day, limit=200)
    seen_twice = set(replayed[day]) & _first_capture_ids(pf)
    groups: dict[int, list] = defaultdict(list)
    for e in entries:
        if e.paper.id in replayed[day] and e.paper.id not in seen_twice:
            groups[(day - e.paper.published).days].append(e)
    compared = 0
    for same_age in groups.values():
        for a in same_age:
            for b in same_age:
                if replayed[day][a.paper.id] > replayed[day][b.paper.id]:
                    assert a.rank < b.rank, (a.paper.id, b.paper.id)
                    compared += 1
    assert compared > 50  # the check had real pairs to compare


def _first_capture_ids(pf: Paperfeed) -> set[str]:
    """Papers observed twice on 2026-07-31 (their rise is differenced, not spread)."""
    rows = pf.store.cumulative_signals("2026-07-31T00:00:00+00:00", "2026-08-01T00:00:00+00:00", ["hf_upvotes"])
    counts: dict[str, int] = defaultdict(int)
    for pid, *_ in rows:
        counts[pid] += 1
    return {pid for pid, n in counts.items() if n > 1}
