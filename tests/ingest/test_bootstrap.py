"""First start: an empty data dir becomes a usable instance with no network."""

from __future__ import annotations

from paperfeed.app import open_paperfeed
from paperfeed.bootstrap import demo_corpus_path, prepare
from paperfeed.config import Settings
from paperfeed.store import PaperQuery


def offline_settings(tmp_path) -> Settings:
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens, connects fail at once
    return Settings(
        data_dir=tmp_path / "data",
        embedder="none",
        arxiv_oai_url=closed,
        arxiv_api_url=closed,
        huggingface_url=closed,
    )


def test_first_start_offline_loads_demo_and_says_what_was_unreachable(tmp_path):
    pf = open_paperfeed(offline_settings(tmp_path))
    lines: list[str] = []
    prepare(pf, say=lines.append)
    assert pf.store.count_papers() >= 1250
    assert any(line.startswith("loaded the demo corpus") for line in lines)
    unreachable = [line for line in lines if line.startswith("could not reach")]
    assert len(unreachable) == 1
    assert "arXiv OAI-PMH" in unreachable[0] and "Hugging Face" in unreachable[0]
    # the demo has dated, categorised papers for the daily pages
    newest = pf.store.list_papers(PaperQuery(limit=1))[0]
    assert newest.published is not None and newest.categories

    # the shipped vectors are in the embedding cache: no CPU embedding at first start
    import numpy as np

    with np.load(demo_corpus_path().with_name("demo_embeddings.npz")) as data:
        keys = [str(k) for k in data["keys"][:5]]
        model = str(data["model"])
    assert len(pf.store.get_embeddings(model, keys)) == 5

    again: list[str] = []
    prepare(pf, say=again.append, probe=False)
    assert not any(line.startswith("loaded the demo corpus") for line in again)
    pf.close()


def test_first_start_indexes_the_demo_before_serving(tmp_path):
    """A newcomer's first search, seconds after `make serve`, finds papers, semantically too.

    The demo is small and its vectors ship with it, so `prepare` indexes it before
    the server listens; any other backlog is left to the background job.
    """
    from paperfeed.search import SearchRequest

    settings = offline_settings(tmp_path).model_copy(update={"embedder": "minilm"})
    pf = open_paperfeed(settings)
    try:
        lines: list[str] = []
        prepare(pf, say=lines.append, probe=False)
        assert any(line.startswith("semantic index: all") for line in lines), lines
        results = pf.search.search(SearchRequest(q="diffusion model", page_size=3))
        assert results.total > 0 and results.hits
        assert results.mode == "hybrid" and results.notice is None
    finally:
        pf.close()
