"""Known-item search on the seed page's 260 papers: a title must find its own paper.

The seed page (../shared/seed) lists each paper as a title line and an abstract
line after a two-line header; the first title is glued to the word "Subscribe".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.search.conftest import HashEmbedder

from paperfeed.app import Paperfeed
from paperfeed.models import PaperRecord
from paperfeed.search import embedded_backends
from paperfeed.search.base import SearchRequest
from paperfeed.search.engine import HybridSearcher
from paperfeed.search.evaluate import mrr_at_k


def seed_papers(path: Path) -> list[PaperRecord]:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    body = [line for line in lines[2:] if line]
    body[0] = body[0].removeprefix("Subscribe")
    return [
        PaperRecord(id=f"seed:{n}", title=t, abstract=a, source="seed")
        for n, (t, a) in enumerate(zip(body[0::2], body[1::2], strict=True))
    ]


@pytest.mark.shared
@pytest.mark.parametrize("mode", ["lexical"])
def test_title_finds_its_paper(shared_dir: Path, pf: Paperfeed, mode: str) -> None:
    papers = seed_papers(next((shared_dir / "seed").glob("*.txt")))
    assert len(papers) == 260
    assert papers[0].title == "Doubly Robust Alignment for Large Language Models"
    pf.store.upsert_papers(papers)
    searcher = HybridSearcher(pf.store, embedded_backends(pf.settings), embedder_loader=HashEmbedder)
    searcher.refresh(progress=False)
    rr = []
    for p in papers:
        res = searcher.search(SearchRequest(q=p.title, mode=mode, page_size=10))  # type: ignore[arg-type]
        rr.append(mrr_at_k([h.paper.id for h in res.hits], {p.id: 1}))
    mrr = sum(rr) / len(rr)
    print(f"known-item MRR@10 ({mode}, 260 seed titles): {mrr:.4f}")
    assert mrr >= 0.95
    searcher.close()
