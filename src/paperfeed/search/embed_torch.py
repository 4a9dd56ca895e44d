"""all-MiniLM-L6-v2 on torch, for bulk embedding on a GPU (`paperfeed index --device cuda`).

Optional: torch is never a paperfeed dependency, so this module is imported
only when a torch device is asked for. It reuses the numpy loader's files and
weights (no sentence-transformers, no hub) and mirrors its forward pass with
padded, length-sorted batches. On CUDA it runs in float16 by default (cosine to
the float32 reference stays above 0.999; the benchmark prints it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from paperfeed.search.embed_model import (
    MODEL_NAME,
    EmbedderUnavailable,
    load_tokenizer,
    load_weights,
    model_dir,
    read_config,
    tokenize,
)


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise EmbedderUnavailable("torch is not installed: the torch embedder needs it (pip install torch)") from exc
    return torch


class TorchMiniLM:
    """Implements `paperfeed.search.embed.Embedder` on a torch device ("cuda", "cuda:1", "cpu")."""

    def __init__(self, device: str = "cuda", folder: Path | None = None, dtype: str | None = None) -> None:
        torch = _import_torch()
        self._torch = torch
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise EmbedderUnavailable(f"device {device!r} was asked for but torch sees no CUDA GPU")
        folder = folder or model_dir()
        self.config = read_config(folder)
        self.tokenizer = load_tokenizer(folder, self.config.max_seq_length)
        self.name = MODEL_NAME
        self.dim = self.config.hidden
        self.device = device
        # measured on an H200 (fp16): 3.5k docs/s at 128 sequences per pass, 6.5k at 256, 7.6k at 512;
        # 256 keeps the peak under ~1 GB so that small cards fit too
        self.default_batch_size = 256 if device.startswith("cuda") else 32
        dtype = dtype or ("float16" if device.startswith("cuda") else "float32")
        self._dtype = getattr(torch, dtype)
        w = {
            k: torch.from_numpy(np.ascontiguousarray(v)).to(device=device, dtype=self._dtype)
            for k, v in load_weights(folder).items()
            if not k.endswith("position_ids")
        }
        self._w = w
        for i in range(self.config.layers):  # fuse q, k, v into one projection
            p = f"encoder.layer.{i}.attention.self."
            w[f"{p}qkv.weight"] = torch.cat([w.pop(f"{p}{n}.weight") for n in ("query", "key", "value")])
            w[f"{p}qkv.bias"] = torch.cat([w.pop(f"{p}{n}.bias") for n in ("query", "key", "value")])

    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """L2-normalised float32 rows in input order; batches are length-sorted to keep padding small."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = tokenize(self.tokenizer, list(texts))
        order = np.argsort([-len(x) for x in ids], kind="stable")
        cap = max(1, int(batch_size))
        with self._torch.inference_mode():
            for start in range(0, len(order), cap):
                idx = order[start : start + cap]
                out[idx] = self._forward([ids[i] for i in idx])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def _forward(self, seqs: list[np.ndarray]) -> np.ndarray:
        torch = self._torch
        F = torch.nn.functional
        cfg, w = self.config, self._w
        n = max(len(s) for s in seqs)
        ids = np.zeros((len(seqs), n), dtype=np.int64)
        mask = np.zeros((len(seqs), n), dtype=bool)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = s
            mask[i, : len(s)] = True
        ids_t = torch.from_numpy(ids).to(self.device, non_blocking=True)
        mask_t = torch.from_numpy(mask).to(self.device, non_blocking=True)
        b = len(seqs)
        x = w["embeddings.word_embeddings.weight"][ids_t]
        x = x + w["embeddings.position_embeddings.weight"][:n] + w["embeddings.token_type_embeddings.weight"][0]
        x = F.layer_norm(x, (cfg.hidden,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], cfg.eps)
        attn_mask = mask_t[:, None, None, :]
        for i in range(cfg.layers):
            p = f"encoder.layer.{i}."
            qkv = F.linear(x, w[f"{p}attention.self.qkv.weight"], w[f"{p}attention.self.qkv.bias"])
            q, k, v = qkv.view(b, n, 3, cfg.heads, cfg.head_dim).permute(2, 0, 3, 1, 4)
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
            ctx = ctx.transpose(1, 2).reshape(b, n, cfg.hidden)
            a = F.linear(ctx, w[f"{p}attention.output.dense.weight"], w[f"{p}attention.output.dense.bias"])
            ln1 = (w[f"{p}attention.output.LayerNorm.weight"], w[f"{p}attention.output.LayerNorm.bias"])
            x = F.layer_norm(x + a, (cfg.hidden,), *ln1, cfg.eps)
            h = F.gelu(F.linear(x, w[f"{p}intermediate.dense.weight"], w[f"{p}intermediate.dense.bias"]))
            h = F.linear(h, w[f"{p}output.dense.weight"], w[f"{p}output.dense.bias"])
            ln2 = (w[f"{p}output.LayerNorm.weight"], w[f"{p}output.LayerNorm.bias"])
            x = F.layer_norm(x + h, (cfg.hidden,), *ln2, cfg.eps)
        m = mask_t.unsqueeze(-1).to(torch.float32)
        pooled = (x.float() * m).sum(1) / m.sum(1)
        pooled = F.normalize(pooled, p=2, dim=1)
        return pooled.cpu().numpy()
