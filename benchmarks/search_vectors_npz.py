"""Embed the arXiv listing once (ideally on a GPU) into the .npz that search_latency.py reads.

    python benchmarks/search_vectors_npz.py --device cuda --out /tmp/arxiv_vectors.npz

The file holds `keys` (the store's embedding-cache key of each paper's text)
and `vectors` (float16, L2-normalised). The numbers in docs/benchmarks.md, section Search
used vectors made this way on an H200 (fp16 TorchMiniLM, ~5,000 docs/s).
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import numpy as np

from paperfeed.search.embed import load_embedder, paper_text, text_key

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
ARXIV = SHARED / "data" / "arxiv" / "listings-2025-03-to-2026-07.jsonl.gz"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--arxiv", type=Path, default=ARXIV)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    with gzip.open(args.arxiv, "rt", encoding="utf-8") as fh:
        texts = [paper_text(d.get("title") or "", d.get("summary") or "") for d in map(json.loads, fh)]
    embedder = load_embedder("minilm", device=args.device)
    vectors = embedder.embed(texts, batch_size=args.batch_size, progress=True).astype(np.float16)
    np.savez(args.out, keys=np.array([text_key(t) for t in texts]), vectors=vectors)
    print(f"{len(texts)} vectors -> {args.out}")


if __name__ == "__main__":
    main()
