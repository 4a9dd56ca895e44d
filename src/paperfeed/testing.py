"""Deterministic stand-ins shared by the tests and the benchmarks (nothing in the product uses them).

`HashEmbedder` is a real `Embedder`, just a weak one: a hashed bag of stems,
L2-normalised, so texts that share words get close vectors. It needs no model
weights and gives the same vectors on every machine. Subclass it to change
`name` and `dim` (the benchmarks use 384 dimensions, MiniLM's).
"""

from __future__ import annotations

import zlib

import numpy as np

from paperfeed.search.text import content_stems


class HashEmbedder:
    """A tiny deterministic embedder: hashed bag of stems, L2-normalised."""

    name = "test-hash-64"
    dim = 64

    def _one(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for s in content_stems(text):
            h = zlib.crc32(s.encode())
            vec[h % self.dim] += 1.0 if (h >> 16) & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0:
            vec[0] = 1.0
            return vec
        return vec / norm

    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._one(text)


__all__ = ["HashEmbedder"]
