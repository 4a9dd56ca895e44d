"""Small real embedders for tests, importable by a server subprocess too.

`PAPERFEED_EMBEDDER=tests.search.embedders:SlowHashEmbedder` (with the
repository root on PYTHONPATH) runs `paperfeed serve` with one of these, so a
test can watch the background index job work through a backlog without the
real model's minutes of CPU.
"""

from __future__ import annotations

import time
import zlib

import numpy as np

from paperfeed.search.text import content_stems


class HashEmbedder:
    """A tiny deterministic embedder for tests: hashed bag of stems, L2-normalised.

    Texts that share words get close vectors, which is all the engine's
    contract needs; it is a real `Embedder` (no mock), just a weak one.
    """

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


class SlowHashEmbedder(HashEmbedder):
    """`HashEmbedder` that spends at least `COST_S` per bulk text, as a real model does (queries stay fast).

    The cost is a floor, not a measurement: it keeps a 5,000-paper backlog
    busy for tens of seconds on any machine, so a test can see it half done.
    """

    COST_S = 0.0005

    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        time.sleep(self.COST_S * len(texts))
        return super().embed(texts, batch_size, progress)


class OtherHashEmbedder(HashEmbedder):
    """The same arithmetic under another model name: its vectors must never be mixed with `HashEmbedder`'s."""

    name = "test-hash-other"


class VerySlowHashEmbedder(SlowHashEmbedder):
    """Ten times slower still: a backlog that outlasts any mail round trip in a test."""

    COST_S = 0.005
