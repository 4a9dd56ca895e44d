"""Finding, verifying and reading the bundled all-MiniLM-L6-v2 files, shared by every runtime.

The weights ship inside paperfeed itself (``paperfeed/data/all-MiniLM-L6-v2``,
Apache-2.0, see its MODEL_CARD.md). The PyPI packages that carry them declare
sentence-transformers as a dependency, which drags in a multi-GB CUDA torch
that paperfeed never uses, so ``pip install paperfeed`` alone must give a
working semantic search. Every file is checked against the sha256 sums below
before it is used: a truncated download or an edited file is refused with its
name, never silently embedded with. Nothing here talks to a model hub.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_DIR = Path(__file__).resolve().parent.parent / "data" / MODEL_NAME

# The published sentence-transformers/all-MiniLM-L6-v2 files, byte for byte.
MODEL_SHA256 = {
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "sentence_bert_config.json": "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
    "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
}

_verified: set[tuple[Path, int, int]] = set()
_verify_lock = threading.Lock()


class EmbedderUnavailable(RuntimeError):
    """The embedder cannot run here (model files or runtime missing); callers fall back to lexical search."""


class ModelFileCorrupt(EmbedderUnavailable):
    """A bundled model file exists but is not the file that was shipped (its sha256 differs)."""


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
    """The bundled model folder, its files verified against the shipped sha256 sums."""
    verify_model_files(MODEL_DIR)
    return MODEL_DIR


def verify_model_files(folder: Path, expected: dict[str, str] | None = None) -> None:
    """Refuse a model folder whose files are missing or differ from the shipped ones, naming the file.

    Hashing 90 MB costs a fraction of a second, so it is done once per process
    per (file, size, mtime): a file replaced while running is checked again.
    """
    for name, digest in (expected or MODEL_SHA256).items():
        path = folder / name
        try:
            stat = path.stat()
        except OSError as exc:
            raise EmbedderUnavailable(f"model file {path} is missing: {exc.strerror or exc}") from exc
        key = (path, stat.st_size, stat.st_mtime_ns)
        with _verify_lock:
            if key in _verified:
                continue
            actual = _sha256(path)
            if actual != digest:
                raise ModelFileCorrupt(
                    f"model file {path} is corrupt: sha256 {actual} differs from the shipped {digest}; "
                    "reinstall paperfeed (pip install --force-reinstall paperfeed)"
                )
            _verified.add(key)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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
