"""Digest throughput: compose and send 10,000 personal digests over a 100k-paper corpus.

    PYTHONPATH=. python benchmarks/digest.py [--papers 100000] [--subscribers 10000] [--runs 1]
                                             [--data-dir /tmp/paperfeed-digest-bench]

(from the repository root: the SMTP sink is the digest tests' own, `tests.digest.smtp_sink`).

1. Builds (once, then reuses) a corpus: the 74,728-paper arXiv listing file
   from ../shared plus derived copies (new ids, same dates) up to ``--papers``,
   and its keyword index (``PAPERFEED_EMBEDDER=none``: embedding 100k abstracts
   on a 2-core CPU takes far longer than the benchmark; topic queries use the
   keyword path).
2. Per run: a fresh copy of that database, ``--subscribers`` confirmed daily
   subscribers with varied topics (1-3 queries from 40, categories, followed
   authors, "papers like these", negative keywords; max 5-15 papers).
3. Timed: `compose_due` (every digest composed, rendered and stored in the
   outbox), then the worker sending the outbox over SMTP with STARTTLS and AUTH
   (one reused connection, no rate limit) to an aiosmtpd sink in a separate
   process that counts what it accepts.

Prints the per-phase times, digests/s and a markdown table (medians over runs).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from workload import LISTINGS, QUERIES

from paperfeed.app import open_paperfeed
from paperfeed.config import Settings
from paperfeed.digest.outbox import MailContext, compose_due
from paperfeed.digest.scheduler import send_pass
from paperfeed.models import PaperRecord

try:
    from tests.digest.smtp_sink import PASSWORD, USER, free_port, make_cert, spawn
except ModuleNotFoundError as exc:  # pragma: no cover - a usage error, said plainly
    if exc.name not in ("tests", "tests.digest"):
        raise
    sys.exit("run from the repository root with the root on the path: PYTHONPATH=. python benchmarks/digest.py ...")


CATEGORIES = ["cs.CV", "cs.CL", "cs.AI", "cs.LG", "cs.RO", "eess.IV", "cs.IR", "stat.ML"]
NEGATIVE = ["survey", "benchmark", "medical", "quantum", "dataset"]


def _settings(data_dir: Path, smtp_url: str | None = None) -> Settings:
    return Settings(
        data_dir=data_dir,
        embedder="none",
        smtp_url=smtp_url,
        mail_rate_per_s=0.0,
        base_url="https://papers.example.org",
        mail_from="paperfeed <digest@papers.example.org>",
        secret_key="benchmark-secret",
    )


def _records(limit: int) -> list[PaperRecord]:
    if not LISTINGS.exists():
        sys.exit(f"needs {LISTINGS} (../shared beside the repository)")
    base = []
    with gzip.open(LISTINGS, "rt") as fh:
        for line in fh:
            raw = json.loads(line)
            day = raw.get("first_seen_listing_file_date")
            base.append(
                PaperRecord(
                    id=raw["id"],
                    title=raw["title"],
                    abstract=raw.get("summary") or "",
                    authors=raw.get("authors") or [],
                    categories=raw.get("categories") or [],
                    announced=date.fromisoformat(day[:10]) if day else None,
                    pdf_url=raw.get("pdf"),
                    abs_url=raw.get("abs"),
                    source="bench",
                )
            )
    out = list(base[:limit])
    copy = 0
    while len(out) < limit:
        copy += 1
        for rec in base:
            if len(out) >= limit:
                break
            out.append(
                PaperRecord(
                    id=f"{rec.id}-d{copy}",
                    title=f"{rec.title} (revisited)",
                    abstract=". ".join(reversed(rec.abstract.split(". "))),
                    authors=rec.authors,
                    categories=rec.categories,
                    announced=rec.announced,
                    pdf_url=rec.pdf_url,
                    source="bench",
                )
            )
    return out


def build_corpus(base: Path, papers: int) -> None:
    marker = base / f"corpus-{papers}.done"
    if marker.exists():
        return
    shutil.rmtree(base, ignore_errors=True)
    pf = open_paperfeed(_settings(base))
    t0 = time.perf_counter()
    records = _records(papers)
    for i in range(0, len(records), 5000):
        pf.store.upsert_papers(records[i : i + 5000])
    t1 = time.perf_counter()
    pf.search.refresh(progress=False)
    t2 = time.perf_counter()
    pf.close()
    marker.write_text(f"ingest {t1 - t0:.1f}s, index {t2 - t1:.1f}s\n")
    print(f"corpus: {papers} papers stored in {t1 - t0:.1f} s, indexed in {t2 - t1:.1f} s", flush=True)


def add_subscribers(pf, n: int, rng: random.Random, last_day: date) -> None:
    recent = [p.id for p in pf.store.list_papers(_query(last_day - timedelta(days=20), last_day, 400))]
    authors = sorted(
        {a for p in pf.store.list_papers(_query(last_day - timedelta(days=3), last_day, 300)) for a in p.authors[:2]}
    )
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for i in range(n):
        topics: dict[str, list[str]] = {"queries": rng.sample(QUERIES, rng.randint(1, 3))}
        if rng.random() < 0.4:
            topics["categories"] = rng.sample(CATEGORIES, rng.randint(1, 2))
        if rng.random() < 0.3 and authors:
            topics["authors"] = rng.sample(authors[:200], 1)
        if rng.random() < 0.2 and recent:
            topics["liked"] = rng.sample(recent[:100], rng.randint(1, 2))
        if rng.random() < 0.2:
            topics["exclude"] = rng.sample(NEGATIVE, 1)
        sub = pf.store.create_subscriber(f"reader{i}@example.org", now)
        pf.store.update_subscriber(
            sub.id,
            status="confirmed",
            confirmed_at=now,
            topics=topics,
            max_papers=rng.choice([5, 10, 15]),
            include_trending=rng.random() < 0.7,
        )


def _query(since: date, until: date, limit: int):
    from paperfeed.store import PaperQuery

    return PaperQuery(since=since, until=until, limit=limit)


def one_run(
    base: Path, work: Path, subscribers: int, seed: int, tls: tuple[Path, Path], connections: int, processes: int
) -> dict[str, float]:
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(base, work)
    port = free_port()
    cert, key = tls
    url = (
        f"smtp+starttls://{USER}:{quote(PASSWORD)}@127.0.0.1:{port}?cafile={quote(str(cert))}&connections={connections}"
    )
    settings = _settings(work, url)
    pf = open_paperfeed(settings)
    last = pf.store.list_papers(_query(None, None, 1))[0].published  # type: ignore[arg-type]
    t0 = time.perf_counter()
    add_subscribers(pf, subscribers, random.Random(seed), last)
    setup_s = time.perf_counter() - t0
    now = datetime(last.year, last.month, last.day, 12, 0, tzinfo=UTC)
    searcher, trending = pf.search, pf.trending
    trending.list(window="day", day=last, limit=1)  # materialise the day's list outside the timing

    sink = spawn(work / "sink", cert, key, port, "--count-only")
    assert sink.stdout.readline().startswith("READY")
    load_before = os.getloadavg()[0]
    if processes == 1:  # in this process: compose, then send
        t_compose, c_compose = time.perf_counter(), time.process_time()
        report = compose_due(pf.store, searcher, trending, MailContext.from_settings(settings), now)
        compose_s, compose_cpu = time.perf_counter() - t_compose, time.process_time() - c_compose
        composed = report.composed
        empty = report.empty
        t_send, c_send = time.perf_counter(), time.process_time()
        sent_report = send_pass(pf, now)
        send_s, send_cpu = time.perf_counter() - t_send, time.process_time() - c_send
        sent = sent_report.sent
        total_s = compose_s + send_s
    else:  # `paperfeed digest run --shard i/N` in N processes, as a deployment would run it
        env = os.environ | {
            "PAPERFEED_DATA_DIR": str(work),
            "PAPERFEED_SMTP_URL": url,
            "PAPERFEED_MAIL_RATE_PER_S": "0",
            "PAPERFEED_SECRET_KEY": settings.secret_key,
            "PAPERFEED_EMBEDDER": "none",
            "PAPERFEED_BASE_URL": settings.base_url,
            "PAPERFEED_MAIL_FROM": settings.mail_from,
        }
        t0 = time.perf_counter()
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from paperfeed.cli import main; main()",
                    "digest",
                    "run",
                    "--now",
                    now.isoformat(),
                    "--shard",
                    f"{i}/{processes}",
                    "--json",
                ],
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for i in range(processes)
        ]
        reports = [json.loads(proc.communicate()[0]) for proc in procs]
        total_s = time.perf_counter() - t0
        compose_s = max(r["compose"]["seconds"] for r in reports)
        send_s = max(r["send"]["seconds"] for r in reports)
        composed = sum(r["compose"]["composed"] for r in reports)
        empty = sum(r["compose"]["empty"] for r in reports)
        sent = sum(r["send"]["sent"] for r in reports)
        used = resource.getrusage(resource.RUSAGE_CHILDREN)  # the N workers, reaped; the sink still runs
        cpu = (used.ru_utime - children_before.ru_utime) + (used.ru_stime - children_before.ru_stime)
        compose_cpu, send_cpu = cpu, 0.0  # one figure for both phases of all N processes
    sink.stdin.close()
    tail = sink.stdout.read()
    sink.wait(30)
    received = int(tail.split("RECEIVED")[1].split()[0])
    pf.close()
    return {
        "setup_s": setup_s,
        "compose_s": compose_s,
        "send_s": send_s,
        "total_s": total_s,
        "compose_cpu": compose_cpu,
        "send_cpu": send_cpu,
        "load": (load_before + os.getloadavg()[0]) / 2,
        "composed": composed,
        "empty": empty,
        "sent": sent,
        "received": received,
        "connections": connections,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--subscribers", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--processes", type=int, default=1, help="N `digest run --shard i/N` processes (1: in-process)")
    ap.add_argument("--connections", type=int, default=2, help="parallel SMTP connections (smtp_url ?connections=)")
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/paperfeed-digest-bench"))
    args = ap.parse_args()
    base = args.data_dir / "corpus"
    build_corpus(base, args.papers)
    tls = make_cert(args.data_dir / "tls")
    results = []
    for run in range(args.runs):
        r = one_run(
            base,
            args.data_dir / "run",
            args.subscribers,
            seed=run,
            tls=tls,
            connections=args.connections,
            processes=args.processes,
        )
        total = r["total_s"]
        print(
            f"run {run + 1}: compose {r['compose_s']:.1f} s ({r['composed'] / r['compose_s']:.0f} digests/s), "
            f"send {r['send_s']:.1f} s ({r['sent'] / r['send_s']:.0f} digests/s), total {total:.1f} s; "
            f"composed {r['composed']}, empty {r['empty']}, sent {r['sent']}, server received {r['received']}, "
            f"SMTP connections {r['connections']} (subscriber setup {r['setup_s']:.1f} s, untimed); CPU of this "
            f"process: compose {r['compose_cpu']:.1f} s, send {r['send_cpu']:.1f} s; load average {r['load']:.1f}",
            flush=True,
        )
        results.append(r)
    med = {k: statistics.median(r[k] for r in results) for k in results[0]}
    total = med["total_s"]
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    print()
    print(f"machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, SQLite store")
    print(
        f"command: PYTHONPATH=. python benchmarks/digest.py --papers {args.papers} --subscribers {args.subscribers} "
        f"--runs {args.runs} --processes {args.processes} --connections {args.connections}"
    )
    print()
    print("| phase | wall seconds (median) | digests/s | CPU seconds of the paperfeed process |")
    print("|---|---:|---:|---:|")
    compose_rate, send_rate = med["composed"] / med["compose_s"], med["sent"] / med["send_s"]
    print(
        f"| compose (search, render, store in outbox) | {med['compose_s']:.1f} | {compose_rate:.0f} "
        f"| {med['compose_cpu']:.1f} |"
    )
    print(
        f"| send (SMTP STARTTLS+AUTH, loopback sink) | {med['send_s']:.1f} | {send_rate:.0f} | {med['send_cpu']:.1f} |"
    )
    print(f"| **total** | **{total:.1f}** | {med['sent'] / total:.0f} | {med['compose_cpu'] + med['send_cpu']:.1f} |")
    print(f"\nload average during the timed phases: {med['load']:.1f} on {os.cpu_count()} cores")
    print(f"\ntarget: total <= 120 s -> {'met' if total <= 120 else 'NOT met'}")


if __name__ == "__main__":
    main()
