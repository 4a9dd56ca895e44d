"""Trending at scale: refresh time and the latency of serving a page from the materialised list.

    python benchmarks/trending.py [--papers 100000] [--signals 1000000] [--requests 2000] [--data-dir DIR]

Builds a SQLite store with synthetic papers (published over 90 days, eight
categories) and a synthetic but shaped signal history (seeded, reproducible):

* Hugging Face style running totals: ``hf_upvotes`` and ``hf_comments`` observed
  daily for ten days after a paper is listed, ``github_stars`` for papers with code;
* local events: ``view`` (most), ``upvote`` (with repeat clicks by one actor and
  bursts from one network prefix) and ``click``.

"Now" is the end of the data (an injected clock). It times: the one-time roll-up
of every stored signal (what the first start after migration 0004 does), building
today's three lists, a refresh with nothing new, then **one new signal at a
time**: the CPU from storing it until each window's list, asked for, has caught
up (roll-up + re-scoring the one paper), checked by `explain`; a refresh after
1,000 new signals; and page requests (random window, first three pages, and with
a category filter) plus ``explain``. Medians and p99 are printed as a table.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from paperfeed.models import PaperRecord, Signal
from paperfeed.store import open_store_url
from paperfeed.trending import StoreTrending

END = date(2026, 7, 31)
SPAN_DAYS = 90
CATEGORIES = ["cs.CL", "cs.CV", "cs.LG", "cs.AI", "cs.RO", "stat.ML", "cs.IR", "eess.AS"]


def paper_id(i: int, published: date) -> str:
    return f"{published:%y%m}.{i:05d}"


def make_papers(n: int, rng: random.Random) -> list[tuple[str, date, str]]:
    out = []
    for i in range(n):
        published = END - timedelta(days=int(rng.random() ** 0.8 * SPAN_DAYS))
        out.append((paper_id(i, published), published, CATEGORIES[i % len(CATEGORIES)]))
    return out


def insert_papers(store, papers: list[tuple[str, date, str]], batch: int = 5000) -> float:
    t0 = time.perf_counter()
    for i in range(0, len(papers), batch):
        store.upsert_papers(
            PaperRecord(
                id=pid,
                title=f"Synthetic paper {pid}",
                abstract="Synthetic abstract for benchmarking.",
                categories=[cat],
                announced=pub,
                source="bench",
            )
            for pid, pub, cat in papers[i : i + batch]
        )
    return time.perf_counter() - t0


def _when(published: date, days_after: float) -> datetime:
    t = datetime(published.year, published.month, published.day, tzinfo=UTC) + timedelta(days=days_after)
    return min(t, datetime(END.year, END.month, END.day, 23, 59, tzinfo=UTC))


def make_signals(papers: list[tuple[str, date, str]], total: int, rng: random.Random):
    """Yield `total` signals: ~60% running totals, ~40% local events (seeded)."""
    made = 0
    hf = rng.sample(papers, k=min(len(papers), int(total * 0.03)))  # ~10 obs x 2 kinds each
    for pid, pub, _ in hf:
        upvotes, comments, stars = 0.0, 0.0, 0.0
        has_code = rng.random() < 0.6
        pop = rng.paretovariate(1.3)
        for day in range(10):
            upvotes += int(pop * rng.random() * 6)
            comments += rng.random() < 0.2
            when = _when(pub, day + rng.random())
            yield Signal(pid, "huggingface", "hf_upvotes", upvotes, when)
            yield Signal(pid, "huggingface", "hf_comments", comments, when)
            made += 2
            if has_code:
                stars += int(pop * rng.random() * 10)
                yield Signal(pid, "huggingface", "github_stars", stars, when)
                made += 1
            if made >= total * 0.6:
                break
        if made >= total * 0.6:
            break
    weights = [(p, 1.0 / (1 + (END - p[1]).days)) for p in papers]  # newer papers get more traffic
    population, w = zip(*weights, strict=True)
    while made < total:
        chunk = min(10000, total - made)
        for pid, pub, _ in rng.choices(population, weights=w, k=chunk):
            r = rng.random()
            kind = "view" if r < 0.7 else ("upvote" if r < 0.95 else "click")
            actor = f"a{rng.randrange(200_000)}"
            network = f"n{rng.randrange(20_000)}"
            if kind == "upvote" and rng.random() < 0.05:
                network = "n-burst"  # a slice of upvotes from one address range
            yield Signal(
                pid,
                "local",
                kind,
                1.0,
                _when(pub, rng.random() * max(1, (END - pub).days + 1)),
                actor=actor,
                network=network,
            )
        made += chunk


def insert_signals(store, signals, batch: int = 50_000) -> tuple[int, float]:
    t0 = time.perf_counter()
    buf: list[Signal] = []
    n = 0
    for s in signals:
        buf.append(s)
        if len(buf) >= batch:
            n += store.add_signals(buf)
            buf = []
    n += store.add_signals(buf)
    return n, time.perf_counter() - t0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(fn, n: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds per call (CPU time is the steadier number on a shared machine)."""
    wall, cpu = [], []
    for i in range(n):
        t0, c0 = time.perf_counter(), time.process_time()
        fn(i)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu


class Clock:
    """Wall and CPU seconds of a block."""

    def __enter__(self) -> Clock:
        self.t0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.t0, time.process_time() - self.c0

    def __str__(self) -> str:
        return f"{self.wall:.2f} s (cpu {self.cpu:.2f} s)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--signals", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--new-signals", type=int, default=20, help="single new signals timed one by one")
    ap.add_argument("--data-dir", type=Path, default=None, help="reuse a store built by an earlier run")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="pf-trending-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    db = data_dir / "paperfeed.db"
    fresh = not db.exists()
    store = open_store_url(f"sqlite:///{db}")
    papers = make_papers(args.papers, rng)
    rows: list[tuple[str, str, str]] = []
    if fresh:
        t_papers = insert_papers(store, papers)
        n_signals, t_signals = insert_signals(store, make_signals(papers, args.signals, rng))
        rows.append(("insert papers", f"{args.papers:,}", f"{t_papers:.1f} s"))
        rows.append(("insert signals", f"{n_signals:,}", f"{t_signals:.1f} s"))
    print(f"store: {db} ({db.stat().st_size / 1e6:.0f} MB), {store.stats().signals:,} signals", flush=True)

    now = datetime(END.year, END.month, END.day, 23, 59, tzinfo=UTC)  # "now" is the end of the data
    trending = StoreTrending(store, clock=lambda: now)
    with Clock() as clock:
        rolled = trending.catch_up()  # once per store (after the migration): every stored signal
    rows.append(("roll-up of stored signals (once)", f"{rolled:,} signals", str(clock)))
    store.drop_trending(date(1970, 1, 1))
    with Clock() as clock:
        report = trending.refresh()
    rows.append(("build today's lists (3 windows)", ",".join(report.recomputed) or "-", str(clock)))
    for window in ("day", "week", "month"):
        meta = store.trending_meta(window, END) or {}
        rows.append((f"  listed, {window}", f"{meta.get('candidates', 0):,} papers", ""))
    with Clock() as clock:
        report = trending.refresh()
    rows.append(("refresh, nothing new", ",".join(report.recomputed + report.patched) or "-", str(clock)))

    # One new signal at a time: store it, then ask for each window's list (it catches up when asked).
    ids = [p[0] for p in papers if END - timedelta(days=5) <= p[1] <= END]
    per_window: dict[str, list[float]] = {"day": [], "week": [], "month": []}
    totals: list[float] = []
    for i in range(args.new_signals):
        pid = rng.choice(ids)
        c0 = time.process_time()
        store.add_signals([Signal(pid, "local", "upvote", 1.0, now, actor=f"new{i}", network=f"fresh{i}")])
        for window in per_window:
            w0 = time.process_time()
            trending.list(window, limit=50)
            per_window[window].append((time.process_time() - w0) * 1000)
        totals.append((time.process_time() - c0) * 1000)
        entry = trending.explain(pid, "day")
        assert entry is not None and entry.rank >= 1 and "upvote" in entry.breakdown, entry
    for window, cpu in per_window.items():
        rows.append(
            (
                f"  new signal -> {window} list current",
                f"cpu p50 {statistics.median(cpu):.1f} ms",
                f"max {max(cpu):.1f} ms",
            )
        )
    rows.append(
        (
            f"one new upvote -> all 3 lists current (x{args.new_signals})",
            f"cpu p50 {statistics.median(totals):.1f} ms",
            f"max {max(totals):.1f} ms",
        )
    )
    store.add_signals(
        Signal(rng.choice(ids), "local", "upvote", 1.0, now, actor=f"late{i}", network=f"m{i}") for i in range(1000)
    )
    with Clock() as clock:
        report = trending.refresh()
    rows.append(("refresh after +1,000 signals", ",".join(report.recomputed + report.patched), str(clock)))

    windows = ("day", "week", "month")
    n = args.requests
    cases = {
        "list page (50), random window, pages 1-3": lambda i: trending.list(
            windows[i % 3], None, None, 50, 50 * ((i // 3) % 3)
        ),
        "list page (50), category filter": lambda i: trending.list(windows[i % 3], None, CATEGORIES[i % 8], 50, 0),
        "explain one paper": lambda i: trending.explain(papers[i % len(papers)][0], windows[i % 3]),
    }
    for name, fn in cases.items():
        wall, cpu = timed(fn, n)
        rows.append(
            (
                name,
                f"p50 {statistics.median(wall):.2f} ms, p99 {pct(wall, 0.99):.2f} ms",
                f"cpu p50 {statistics.median(cpu):.2f} ms",
            )
        )

    width = max(len(r[0]) for r in rows)
    load = os.getloadavg()[0]
    print(
        f"\ntrending benchmark: {args.papers:,} papers, {store.stats().signals:,} signals, {n:,} requests per case,"
        f" {os.cpu_count()} CPUs, load average {load:.1f} at the end"
    )
    for a, b, c in rows:
        print(f"{a:<{width}}  {b:>30}  {c:>26}")
    store.close()


if __name__ == "__main__":
    main()
