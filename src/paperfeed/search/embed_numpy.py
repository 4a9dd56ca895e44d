"""all-MiniLM-L6-v2 in plain numpy: the default CPU embedder, no torch needed.

Why numpy and not a framework: the default install must not pull torch, and
BLAS-backed float32 matrix products are most of the work anyway. Two choices
make it fast on a small CPU:

* **Packed sequences, no padding.** Texts are sorted by token count and a
  batch is stored as one (tokens, hidden) matrix, so every linear layer (about
  nine tenths of the arithmetic) touches real tokens only. Attention runs per
  sequence (all heads at once); sequences of equal length share one call.
* **Cache-sized feed-forward blocks.** The 4x-wide intermediate activation and
  its GELU are computed in row blocks that stay in the CPU cache.

GELU is the exact erf form BERT was trained with; numpy has no erf, so we use
Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7, under float32's own
rounding at these magnitudes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from paperfeed.search.embed_model import (
    MODEL_NAME,
    BertConfig,
    load_tokenizer,
    load_weights,
    model_dir,
    read_config,
    tokenize,
)

_F = np.float32
# Abramowitz & Stegun 7.1.26 coefficients for erf.
_P = _F(0.3275911)
_A = tuple(_F(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592))
_SQRT_HALF = _F(np.sqrt(0.5))
_TANH_C = _F(np.sqrt(2.0 / np.pi))

FFN_BLOCK_ROWS = 256  # 256 x 1536 float32 = 1.5 MB: stays in L2 on most CPUs
TOKENS_PER_BATCH = 8192  # packed tokens per forward pass: bounds memory, keeps BLAS calls large


def gelu_erf_(x: np.ndarray) -> np.ndarray:
    """In-place exact GELU, x * Phi(x), with erf from A&S 7.1.26."""
    a = np.abs(x)
    a *= _SQRT_HALF  # |x| / sqrt(2)
    t = a * _P
    t += _F(1.0)
    np.reciprocal(t, out=t)
    poly = t * _A[0]
    for coef in _A[1:]:
        poly += coef
        poly *= t
    np.square(a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a
    poly *= _F(0.5)  # poly = 1 - Phi(|x|) = Phi(-|x|)
    # Phi(x) = 1 - poly for x >= 0, poly for x < 0; gelu = x * Phi(x) = x - x*poly or x*poly
    neg = x < 0
    xp = x * poly
    np.subtract(x, xp, out=x, where=~neg)
    np.copyto(x, xp, where=neg)
    return x


def gelu_tanh_(x: np.ndarray) -> np.ndarray:
    """In-place tanh approximation of GELU: faster, but not what BERT was trained with (benchmark variant)."""
    inner = x * x
    inner *= _F(0.044715)
    inner += _F(1.0)
    inner *= x
    inner *= _TANH_C
    np.tanh(inner, out=inner)
    inner += _F(1.0)
    inner *= _F(0.5)
    x *= inner
    return x


def layer_norm_(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """In-place LayerNorm over the last axis."""
    mean = x.mean(axis=-1, keepdims=True)
    x -= mean
    var = np.einsum("ij,ij->i", x, x)[:, None]
    var *= _F(1.0 / x.shape[-1])
    var += _F(eps)
    np.sqrt(var, out=var)
    x /= var
    x *= weight
    x += bias
    return x


class _Layer:
    """One encoder layer's weights, laid out for x @ W (input-major, contiguous)."""

    def __init__(self, w: dict[str, np.ndarray], i: int) -> None:
        p = f"encoder.layer.{i}."
        q, k, v = (w[f"{p}attention.self.{n}.weight"] for n in ("query", "key", "value"))
        self.w_qkv = np.ascontiguousarray(np.concatenate([q, k, v], axis=0).T)
        self.b_qkv = np.concatenate([w[f"{p}attention.self.{n}.bias"] for n in ("query", "key", "value")])
        self.w_o = np.ascontiguousarray(w[f"{p}attention.output.dense.weight"].T)
        self.b_o = w[f"{p}attention.output.dense.bias"]
        self.ln1 = (w[f"{p}attention.output.LayerNorm.weight"], w[f"{p}attention.output.LayerNorm.bias"])
        self.w_1 = np.ascontiguousarray(w[f"{p}intermediate.dense.weight"].T)
        self.b_1 = w[f"{p}intermediate.dense.bias"]
        self.w_2 = np.ascontiguousarray(w[f"{p}output.dense.weight"].T)
        self.b_2 = w[f"{p}output.dense.bias"]
        self.ln2 = (w[f"{p}output.LayerNorm.weight"], w[f"{p}output.LayerNorm.bias"])


class NumpyMiniLM:
    """Implements `paperfeed.search.embed.Embedder` with numpy on the CPU."""

    def __init__(self, folder: Path | None = None, gelu: str = "erf") -> None:
        folder = folder or model_dir()
        self.config: BertConfig = read_config(folder)
        self.tokenizer = load_tokenizer(folder, self.config.max_seq_length)
        w = load_weights(folder)
        self.name = MODEL_NAME
        self.dim = self.config.hidden
        self.device = "cpu"
        self._word = w["embeddings.word_embeddings.weight"]
        self._pos = w["embeddings.position_embeddings.weight"]
        self._type0 = w["embeddings.token_type_embeddings.weight"][0]
        self._ln_emb = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self._layers = [_Layer(w, i) for i in range(self.config.layers)]
        self._gelu: Callable[[np.ndarray], np.ndarray] = gelu_erf_ if gelu == "erf" else gelu_tanh_
        self._scale = _F(1.0 / np.sqrt(self.config.head_dim))

    # -- public ------------------------------------------------------------------
    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """L2-normalised embeddings, one row per text, in input order.

        `batch_size` caps sequences per forward pass; a token budget caps it too,
        so long texts do not blow up memory. `progress` is accepted for the
        protocol; progress bars live in `embed_papers`, which sees whole jobs.
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = tokenize(self.tokenizer, list(texts))
        for idx in self._batches(ids, batch_size):
            out[idx] = self._forward([ids[i] for i in idx])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def token_counts(self, texts: list[str]) -> list[int]:
        """Tokens per text after truncation (for benchmarks and batching decisions)."""
        return [len(x) for x in tokenize(self.tokenizer, list(texts))]

    # -- internals ---------------------------------------------------------------
    @staticmethod
    def _batches(ids: list[np.ndarray], batch_size: int) -> Iterator[np.ndarray]:
        """Indices grouped longest-first under both a sequence cap and a packed-token budget."""
        order = np.argsort([-len(x) for x in ids], kind="stable")
        batch: list[int] = []
        tokens = 0
        cap = max(1, int(batch_size))
        for i in order:
            n = len(ids[i])
            if batch and (len(batch) >= cap or tokens + n > TOKENS_PER_BATCH):
                yield np.asarray(batch)
                batch, tokens = [], 0
            batch.append(int(i))
            tokens += n
        if batch:
            yield np.asarray(batch)

    def _forward(self, seqs: list[np.ndarray]) -> np.ndarray:
        cfg = self.config
        lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        flat = np.concatenate(seqs)
        positions = np.concatenate([np.arange(n) for n in lengths])
        x = self._word[flat]
        x += self._pos[positions]
        x += self._type0
        layer_norm_(x, *self._ln_emb, cfg.eps)
        groups = _equal_length_runs(lengths, offsets)
        for layer in self._layers:
            x = self._layer(x, layer, groups)
        # mean pooling over every token (no padding exists to mask), then L2 normalisation
        pooled = np.add.reduceat(x, offsets[:-1], axis=0) / lengths[:, None].astype(np.float32)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        np.maximum(norms, _F(1e-12), out=norms)
        return (pooled / norms).astype(np.float32, copy=False)

    def _layer(self, x: np.ndarray, w: _Layer, groups: list[tuple[int, int, int]]) -> np.ndarray:
        cfg = self.config
        h, nh, hd = cfg.hidden, cfg.heads, cfg.head_dim
        qkv = x @ w.w_qkv
        qkv += w.b_qkv
        ctx = np.empty_like(x)
        for start, count, n in groups:
            block = qkv[start : start + count * n].reshape(count, n, 3, nh, hd)
            q = block[:, :, 0].transpose(0, 2, 1, 3)  # (count, heads, n, hd)
            k = block[:, :, 1].transpose(0, 2, 3, 1)  # (count, heads, hd, n)
            v = block[:, :, 2].transpose(0, 2, 1, 3)
            scores = np.matmul(q, k)
            scores *= self._scale
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            out = np.matmul(scores, v)  # (count, heads, n, hd)
            ctx[start : start + count * n] = out.transpose(0, 2, 1, 3).reshape(count * n, h)
        attn = ctx @ w.w_o
        attn += w.b_o
        attn += x
        x = layer_norm_(attn, *w.ln1, cfg.eps)
        for r in range(0, x.shape[0], FFN_BLOCK_ROWS):
            rows = x[r : r + FFN_BLOCK_ROWS]
            inter = rows @ w.w_1
            inter += w.b_1
            self._gelu(inter)
            out = inter @ w.w_2
            out += w.b_2
            out += rows
            rows[...] = layer_norm_(out, *w.ln2, cfg.eps)
        return x


def _equal_length_runs(lengths: np.ndarray, offsets: np.ndarray) -> list[tuple[int, int, int]]:
    """(token offset, sequence count, length) for each run of equal-length neighbours.

    Batches arrive sorted by length, so equal lengths are adjacent and one
    attention call can serve the whole run.
    """
    runs: list[tuple[int, int, int]] = []
    i = 0
    while i < len(lengths):
        j = i
        while j + 1 < len(lengths) and lengths[j + 1] == lengths[i]:
            j += 1
        runs.append((int(offsets[i]), j - i + 1, int(lengths[i])))
        i = j + 1
    return runs
