"""A synthetic dated corpus for backlog tests: `n` papers spread evenly over `days` days, stored out of date order.

Titles and abstracts mix a few dozen topic words, so keyword and semantic
search both find things; the store receives the papers shuffled, so a walk in
`seq` (arrival) order and a walk newest first visit them differently.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from paperfeed.models import PaperRecord

TOPICS = (
    "diffusion transformers image generation",
    "protein structure prediction folding",
    "graph neural networks molecules",
    "language model reasoning benchmarks",
    "reinforcement learning robot control",
    "speech recognition streaming",
    "quantum error correction codes",
    "galaxy survey redshift estimation",
    "federated learning privacy",
    "retrieval augmented question answering",
)


def dated_corpus(n: int, days: int, newest: date, seed: int = 19) -> list[PaperRecord]:
    rng = random.Random(seed)
    records = []
    for i in range(n):
        day = newest - timedelta(days=i % days)
        topic = TOPICS[(i // days) % len(TOPICS)]
        extra = " ".join(" ".join(rng.choice(TOPICS).split()[:2]) for _ in range(3))
        records.append(
            PaperRecord(
                id=f"{day:%y%m}.{i:05d}",
                title=f"{topic.capitalize()} study {i}",
                abstract=f"We study {topic} with {extra}. Results on benchmark {i % 97} improve the state of the art.",
                authors=[f"Author {i % 53}", f"Writer {i % 31}"],
                categories=["cs.LG"],
                submitted=day,
                source="test",
                origin=f"synthetic:{i}",
            )
        )
    rng.shuffle(records)
    return records


def count_since(records: list[PaperRecord], day: date) -> int:
    """Papers submitted on or after `day`."""
    return sum(1 for r in records if r.submitted and r.submitted >= day)
