"""Small real embedders for tests, importable by a server subprocess too.

`PAPERFEED_EMBEDDER=tests.search.embedders:SlowHashEmbedder` (with the
repository root on PYTHONPATH) runs `paperfeed serve` with one of these, so a
test can watch the background index job work through a backlog without the
real model's minutes of CPU.
"""

from __future__ import annotations

import time

import numpy as np

from paperfeed.testing import HashEmbedder

__all__ = ["HashEmbedder", "OtherHashEmbedder", "SlowHashEmbedder", "VerySlowHashEmbedder"]


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
