"""Property test on a real SQLite store: for any stored signals, a card never shows a count
that its explanation contradicts, and the period lists rank by the count their cards show.

A card shows ▲ N (`upvote_counts`: distinct local upvoters, imports, plus Hugging
Face's running total); a trending card's line says how many of those arrived in
the window. So the line's upvotes can never exceed the card's N, a card at 0
never has upvotes in its line, and every count in a line is a whole number.
"""

from __future__ import annotations

import re
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.trending.helpers import DAY, add_papers, at

from paperfeed.app import open_paperfeed
from paperfeed.config import Settings
from paperfeed.models import Signal
from paperfeed.store import PaperQuery
from paperfeed.trending import StoreTrending

PAPERS = [("2607.00001", DAY, "cs.CL"), ("2607.00002", DAY - timedelta(days=3), "cs.CL"), ("2607.00003", DAY, "cs.CV")]
NOW = at(DAY, 23)

EVENT = st.builds(
    lambda pid, kind, hours, actor, network: Signal(
        pid, "local", kind, 1.0, NOW - timedelta(hours=hours), actor=actor, network=network
    ),
    st.sampled_from([p[0] for p in PAPERS]),
    st.sampled_from(["upvote", "view", "click"]),
    st.integers(min_value=0, max_value=24 * 40),
    st.one_of(st.none(), st.sampled_from([f"actor{i}" for i in range(6)])),
    st.one_of(st.none(), st.sampled_from(["net-a", "net-b"])),
)
TOTAL = st.builds(
    lambda pid, kind, hours, value, source: Signal(pid, source, kind, float(value), NOW - timedelta(hours=hours)),
    st.sampled_from([p[0] for p in PAPERS]),
    st.sampled_from(["hf_upvotes", "hf_comments", "github_stars"]),
    st.integers(min_value=0, max_value=24 * 40),
    st.integers(min_value=0, max_value=400),
    st.sampled_from(["huggingface", "pwc"]),
)
# Several batches, stored one after another: the roll-up folds each as it comes.
BATCHES = st.lists(st.lists(st.one_of(EVENT, TOTAL), max_size=12), min_size=1, max_size=3)

_HF = re.compile(r"\+([\d,]+) Hugging Face upvotes?\b")
_LOCAL = re.compile(r"\+([\d,]+) upvotes? here\b")


def _count(pattern: re.Pattern[str], line: str) -> int:
    m = pattern.search(line)
    return int(m.group(1).replace(",", "")) if m else 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BATCHES)
def test_a_card_never_shows_a_count_its_explanation_contradicts(batches: list[list[Signal]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pf = open_paperfeed(Settings(data_dir=Path(tmp), embedder="none"), clock=lambda: NOW)
        try:
            add_papers(pf.store, *PAPERS)
            trending = StoreTrending(pf.store, clock=lambda: NOW)
            for batch in batches:
                pf.store.add_signals(batch)
                for window in ("day", "week", "month"):
                    entries = trending.list(window, limit=50)
                    cards = pf.store.upvote_counts([e.paper.id for e in entries])
                    for e in entries:
                        card = cards.get(e.paper.id, 0)
                        line = e.explanation
                        hf, local = _count(_HF, line), _count(_LOCAL, line)
                        assert hf + local <= card, (card, line)
                        assert not re.search(r"\d\.\d+ (Hugging|GitHub|upvote|view|digest)", line), line
                        assert "No engagement" not in line  # on the list means engagement in the window
                        assert e.rank >= 1
                # The period list ranks by exactly the count its cards show.
                ranked = pf.store.list_papers(PaperQuery(since=DAY - timedelta(days=7), until=DAY, order="engagement"))
                shown = pf.store.upvote_counts([p.id for p in ranked])
                counts = [shown.get(p.id, 0) for p in ranked]
                assert counts == sorted(counts, reverse=True), counts
                totals = pf.store.engagement_totals([p.id for p in ranked])
                assert {pid: round(up) for pid, (up, _a) in totals.items() if round(up)} == shown
        finally:
            pf.close()
