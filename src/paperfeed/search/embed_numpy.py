"""all-MiniLM-L6-v2 in plain numpy: the default CPU embedder, no torch needed.

Why numpy and not a framework: the default install must not pull torch, and
BLAS-backed float32 matrix products are most of the work anyway. Two choices
make it fast on a small CPU:

* **Packed sequences, no padding.** Texts are sorted by token count and a
  batch is stored as one (tokens, hidden) matrix, so every linear layer (about
  nine tenths of the arithmetic) touches real tokens only. Attention runs per
  sequence, all heads in one call, on strided views of the packed projection.
* **Blocked feed-forward.** The 4x-wide intermediate activation and its GELU
  are computed in row blocks, bounding memory and staying near the cache.

GELU is the exact erf form BERT was trained with; numpy has no erf, so we use
Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7, under float32's own
rounding at these magnitudes).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
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

FFN_BLOCK_ROWS = 1024  # 1024 x 1536 float32 = 6 MB: near-cache, yet large enough for BLAS to run at speed
TOKENS_PER_BATCH = 8192  # packed tokens per forward pass: bounds memory, keeps BLAS calls large


def gelu_erf_(x: np.ndarray) -> np.ndarray:
    """In-place exact GELU, x * Phi(x), with erf from A&S 7.1.26.

    Written without a sign or mask (numpy's masked ufuncs are ~50x slower than
    plain ones): since x * erf(x/sqrt2) = |x| * erf(|x|/sqrt2),
    gelu(x) = (x + |x| - |x| * q) / 2 with q = 1 - erf(|x|/sqrt2) = poly(t) * exp(-x^2/2).
    """
    a = np.abs(x)
    t = a * (_P * _SQRT_HALF)
    t += _F(1.0)
    np.divide(_F(1.0), t, out=t)
    poly = t * _A[0]
    for coef in _A[1:]:
        poly += coef
        poly *= t
    e = np.square(a)
    e *= _F(-0.5)
    np.exp(e, out=e)
    poly *= e  # q
    poly *= a
    a -= poly
    x += a
    x *= _F(0.5)
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

    def __init__(self, w: dict[str, np.ndarray], i: int, query_scale: float) -> None:
        p = f"encoder.layer.{i}."
        q, k, v = (w[f"{p}attention.self.{n}.weight"] for n in ("query", "key", "value"))
        qb, kb, vb = (w[f"{p}attention.self.{n}.bias"] for n in ("query", "key", "value"))
        # softmax(q.k / sqrt(d)) == softmax((q / sqrt(d)).k): scale the query projection once, here
        self.w_qkv = np.ascontiguousarray(np.concatenate([q * query_scale, k, v], axis=0).T, dtype=np.float32)
        self.b_qkv = np.concatenate([qb * query_scale, kb, vb]).astype(np.float32)
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

    def __init__(
        self,
        folder: Path | None = None,
        gelu: str = "erf",
        workers: int | None = None,
        blas_threads: int | None = 1,
    ) -> None:
        """`workers`: batches embedded side by side (default: usable cores, at most 8).
        `blas_threads`: BLAS threads per worker while embedding (None leaves BLAS as configured).

        Parallelism comes from workers, not from BLAS: measured on the shared
        2-core box, a 2-thread OpenBLAS spins against the other load and ran 4-10x
        slower per CPU-second, and a single query took ~800 ms instead of ~30 ms.
        """
        folder = folder or model_dir()
        self.config: BertConfig = read_config(folder)
        self.tokenizer = load_tokenizer(folder, self.config.max_seq_length)
        w = load_weights(folder)
        self.name = MODEL_NAME
        self.dim = self.config.hidden
        self.device = "cpu"
        self.default_batch_size = 32  # sequences per packed pass (a token budget caps it too)
        self._word = w["embeddings.word_embeddings.weight"]
        self._pos = w["embeddings.position_embeddings.weight"]
        self._type0 = w["embeddings.token_type_embeddings.weight"][0]
        self._ln_emb = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        scale = 1.0 / np.sqrt(self.config.head_dim)
        self._layers = [_Layer(w, i, scale) for i in range(self.config.layers)]
        self._gelu: Callable[[np.ndarray], np.ndarray] = gelu_erf_ if gelu == "erf" else gelu_tanh_
        self.workers = max(1, int(workers)) if workers is not None else _usable_cores()
        self.blas_threads = blas_threads

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
        batches = list(self._batches(ids, batch_size))
        if self.workers == 1 or len(batches) == 1:
            with blas_threads_local(self.blas_threads):
                for idx in batches:
                    out[idx] = self._forward([ids[i] for i in idx])
            return out
        # numpy drops the GIL inside BLAS and large ufunc loops, so batches can run side by side;
        # this also parallelises the elementwise work that a multi-threaded BLAS leaves on one core.
        init = (lambda: _set_local(self.blas_threads)) if self.blas_threads else None
        with ThreadPoolExecutor(self.workers, thread_name_prefix="embed", initializer=init) as pool:
            results = pool.map(lambda idx: self._forward([ids[i] for i in idx]), batches)
            for idx, vectors in zip(batches, results, strict=True):
                out[idx] = vectors
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
        spans = [(int(o), int(n)) for o, n in zip(offsets[:-1], lengths, strict=True)]
        for layer in self._layers:
            x = self._layer(x, layer, spans)
        # mean pooling over every token (no padding exists to mask), then L2 normalisation
        pooled = np.add.reduceat(x, offsets[:-1], axis=0) / lengths[:, None].astype(np.float32)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        np.maximum(norms, _F(1e-12), out=norms)
        return (pooled / norms).astype(np.float32, copy=False)

    def _layer(self, x: np.ndarray, w: _Layer, spans: list[tuple[int, int]]) -> np.ndarray:
        cfg = self.config
        h, nh, hd = cfg.hidden, cfg.heads, cfg.head_dim
        qkv = x @ w.w_qkv
        qkv += w.b_qkv
        ctx = np.empty_like(x)
        for o, n in spans:
            # Views of the packed projection, one sequence at a time: each 2-D slice has a unit
            # stride, so matmul hands it to BLAS without copying (4-D stacks of runs were slower).
            blk = qkv[o : o + n]
            q = blk[:, :h].reshape(n, nh, hd).transpose(1, 0, 2)  # (heads, n, hd); pre-scaled
            k = blk[:, h : 2 * h].reshape(n, nh, hd).transpose(1, 2, 0)  # (heads, hd, n)
            v = blk[:, 2 * h :].reshape(n, nh, hd).transpose(1, 0, 2)
            scores = np.matmul(q, k)
            with np.errstate(over="ignore"):  # the fast path may overflow; the check below redoes it then
                weights = np.exp(scores)
                total = weights.sum(axis=-1, keepdims=True)
            if not np.all(np.isfinite(total)):  # exp overflowed: redo this one the careful way
                scores -= scores.max(axis=-1, keepdims=True)
                weights = np.exp(scores)
                total = weights.sum(axis=-1, keepdims=True)
            out = np.matmul(weights, v)  # (heads, n, hd); normalising here is n/hd times cheaper
            out /= total
            ctx[o : o + n] = out.transpose(1, 0, 2).reshape(n, h)
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


def _usable_cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's count), at most 8."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n = os.cpu_count() or 1
    return max(1, min(n, 8))


@functools.cache
def _openblas_local_setter() -> Callable[[int], int] | None:
    """numpy's bundled OpenBLAS `openblas_set_num_threads_local`, if this build has it (0.3.27+)."""
    import ctypes

    libs = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for path in sorted(libs.glob("*openblas*")):
        try:
            fn = ctypes.CDLL(str(path)).openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        fn.argtypes = [ctypes.c_int]
        fn.restype = ctypes.c_int
        return fn
    return None


def _set_local(n: int | None) -> int | None:
    """Set BLAS threads for the calling thread only; returns the previous count (None if unsupported)."""
    setter = _openblas_local_setter()
    if setter is None or n is None:
        return None
    return setter(int(n))


@contextmanager
def blas_threads_local(n: int | None) -> Iterator[None]:
    """BLAS uses `n` threads in this thread for the block, then what it used before.

    Thread-local (OpenBLAS 0.3.27+ `openblas_set_num_threads_local`), so other
    threads' numpy work is unaffected. With another BLAS this does nothing;
    OPENBLAS_NUM_THREADS / OMP_NUM_THREADS=1 in the environment then do the same.
    """
    previous = _set_local(n)
    try:
        yield
    finally:
        if previous is not None:
            _set_local(previous)
