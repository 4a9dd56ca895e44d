"""Precompute the demo corpus's embeddings so a fresh start has semantic search at once.

Writes src/paperfeed/data/demo_embeddings.npz: `keys` (the embedding cache's
text keys: the papers' texts and their passages) and `vectors` (float16, L2-normalised), for the model named in
`model`. `paperfeed.bootstrap` loads them into the store's embedding cache.

    python scripts/build_demo_embeddings.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from paperfeed.bootstrap import demo_corpus_path
from paperfeed.search.embed import load_embedder, paper_passages, paper_text, text_key
from paperfeed.sources.files import FileSource


def main() -> None:
    records = [r for r in FileSource(demo_corpus_path(), "jsonl").read() if hasattr(r, "title")]
    # each paper's one vector and its passages' vectors (the searcher re-scores by the best passage)
    texts = list(
        dict.fromkeys(
            t for r in records for t in (paper_text(r.title, r.abstract), *paper_passages(r.title, r.abstract))
        )
    )
    embedder = load_embedder()
    vectors = embedder.embed(texts, progress=True)
    out = Path("src/paperfeed/data/demo_embeddings.npz")
    np.savez_compressed(
        out,
        keys=np.array([text_key(t) for t in texts]),
        vectors=vectors.astype(np.float16),
        model=np.array(embedder.name),
    )
    print(f"{len(texts)} vectors for {embedder.name} -> {out} ({out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
