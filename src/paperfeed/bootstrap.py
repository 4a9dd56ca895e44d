"""First-start preparation for `paperfeed serve`: zero setup, even offline.

On an empty store it loads the demo corpus shipped in the package, then asks
the live sources whether they can be reached and says in one line which could
not, and says how much of the library semantic search covers (the indexes are
caught up in the background, by the scheduler's index job). Everything here is
idempotent, so it simply runs at every start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

from paperfeed.app import Paperfeed
from paperfeed.ingest import ingest
from paperfeed.sources.files import FileSource

log = logging.getLogger("paperfeed")


def demo_corpus_path() -> Path:
    return Path(str(files("paperfeed") / "data" / "demo.jsonl.gz"))


def load_demo_if_empty(pf: Paperfeed) -> int:
    """Load the demo corpus (and its precomputed vectors) into an empty store.

    Returns how many papers were added. The vectors go into the embedding
    cache, so semantic search works at once instead of after minutes of CPU
    embedding.
    """
    if pf.store.count_papers() > 0:
        return 0
    report = ingest(pf.store, FileSource(demo_corpus_path(), "jsonl", source_name="demo"))
    load_demo_embeddings(pf)
    return report.counts.new


def load_demo_embeddings(pf: Paperfeed) -> int:
    """Put the shipped demo vectors into the store's embedding cache; returns how many."""
    path = demo_corpus_path().with_name("demo_embeddings.npz")
    if not path.exists() or not hasattr(pf.store, "put_embeddings"):
        return 0
    import numpy as np

    with np.load(path) as data:
        model = str(data["model"])
        vectors = data["vectors"].astype(np.float32)
        items = dict(zip((str(k) for k in data["keys"]), vectors, strict=True))
    pf.store.put_embeddings(model, items)
    return len(items)


def live_source_line(pf: Paperfeed, timeout_s: float = 3.0) -> str:
    """One line saying which live sources could not be reached, or that all answered."""
    from paperfeed.sources.probe import probe_live_sources, unreachable_line

    results = probe_live_sources(pf.settings, timeout_s=timeout_s)
    return unreachable_line(results) or f"live sources reachable: {', '.join(name for name, _ in results)}"


def prepare(pf: Paperfeed, say: Callable[[str], None] = print, probe: bool = True) -> None:
    """Make a fresh or existing data dir ready to serve, in seconds whatever the index backlog."""
    added = load_demo_if_empty(pf)
    if added:
        say(f"loaded the demo corpus: {added} papers (from the seed page and arXiv's CC0 metadata)")
    say(f"{pf.store.count_papers()} papers in {pf.settings.data_dir}")
    if probe:
        say(live_source_line(pf))
    if added:
        index_demo(pf, say)
    say(index_line(pf))
    try:  # trending takes seconds; the index job catches up while serving
        pf.trending.refresh()
    except Exception as exc:
        log.exception("trending refresh failed")
        say(f"trending refresh failed ({exc})")


def index_demo(pf: Paperfeed, say: Callable[[str], None] = print) -> None:
    """Index a just-loaded demo corpus before listening, so a first search already finds papers.

    It is small (about 1,300 papers) and its vectors ship with it, so this takes
    seconds: keywords at thousands of papers a second, vectors read from the cache
    instead of computed. Any other backlog is the background job's, newest first.
    """
    try:
        pf.search.refresh_lexical()
        pf.search.embed_backlog(budget_s=60.0)
    except Exception as exc:  # the background job retries; serving must start either way
        log.exception("indexing the demo corpus failed")
        say(f"indexing the demo corpus failed ({exc}); the background job will retry")


def index_line(pf: Paperfeed) -> str:
    """One line on what the background index job has left to do.

    The indexes are no longer brought up to date here: embedding a large
    backlog took hours before `serve` listened. The scheduler's index job does
    it while serving, newest papers first (`paperfeed index` does it in the
    foreground, with progress).
    """
    try:
        cov = pf.search.coverage(max_age_s=0)
    except Exception as exc:
        log.exception("search index state unreadable")
        return f"search index state unreadable ({exc}); search may be incomplete"
    if not cov.enabled:
        return "semantic search is off: keyword search only"
    if cov.complete:
        return f"semantic index: all {cov.total:,} papers embedded"
    return (
        f"semantic index: {cov.embedded:,} of {cov.total:,} papers embedded; the rest are embedded in the "
        "background, newest first (until then they match by keyword only)"
    )
