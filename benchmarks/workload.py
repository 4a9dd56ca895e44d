"""What the benchmarks share: the real arXiv listing file in ../shared and a set of realistic queries.

Benchmarks run as `python benchmarks/NAME.py`, which puts this folder on the import path.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LISTINGS = REPO.parent / "shared/data/arxiv/listings-2025-03-to-2026-07.jsonl.gz"

# 40 queries of the kind researchers type: topics, a phrase, field filters.
QUERIES = [
    "diffusion",
    "large language models",
    "image segmentation",
    "reinforcement learning",
    "graph neural network",
    "retrieval augmented generation",
    "video generation",
    "speech recognition",
    "3d reconstruction",
    "vision transformer",
    "text to image",
    "object detection",
    "knowledge distillation",
    "contrastive learning",
    "medical imaging",
    "multimodal reasoning",
    "chain of thought",
    "point cloud",
    "federated learning",
    "neural radiance fields",
    "gaussian splatting",
    "code generation",
    "machine translation",
    "benchmark",
    "low rank adaptation",
    "mixture of experts",
    "hallucination",
    "autonomous driving",
    "depth estimation",
    "instruction tuning",
    "preference optimization",
    "agents tool use",
    "sparse attention",
    "quantization",
    '"in-context learning"',
    "cat:cs.CV diffusion",
    "au:wang segmentation",
    "pose estimation",
    "anomaly detection",
    "time series forecasting",
]
