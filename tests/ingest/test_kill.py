"""A kill -9 in the middle of a large ingest, then a rerun, ends with the same
database as an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

N_PAPERS = 30_000


def write_corpus(path: Path) -> None:
    with path.open("w") as fh:
        for i in range(N_PAPERS):
            rec = {
                "id": f"2401.{i:05d}",
                "title": f"Paper number {i} on topic {i % 97}",
                "summary": f"Abstract {i}. " * 20,
                "authors": [f"Author {i % 311}", f"Author {i % 53}"],
                "categories": [f"cs.{'CL' if i % 2 else 'CV'}", "cs.AI"],
                "first_seen_listing_file_date": f"2024-01-{1 + i % 28:02d}",
            }
            fh.write(json.dumps(rec) + "\n")
            if i % 1000 == 7:  # duplicates inside the file, as in real listings
                fh.write(json.dumps(rec) + "\n")


def ingest_cmd(data_dir: Path, corpus: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "paperfeed",
        "--data-dir",
        str(data_dir),
        "ingest",
        "file",
        str(corpus),
        "--batch-size",
        "500",
        "--json",
    ]


def snapshot(db: Path) -> dict[str, list]:
    conn = sqlite3.connect(db)
    try:
        return {
            "papers": conn.execute(
                "SELECT id, seq, content_hash, title, authors, categories FROM papers ORDER BY id"
            ).fetchall(),
            "categories": conn.execute("SELECT * FROM paper_categories ORDER BY 1, 2").fetchall(),
            "sources": conn.execute("SELECT paper_id, source FROM paper_sources ORDER BY 1, 2").fetchall(),
            "checkpoints": conn.execute("SELECT name FROM checkpoints").fetchall(),
        }
    finally:
        conn.close()


def wait_for_progress(db: Path, proc: subprocess.Popen, min_papers: int, deadline_s: float = 120) -> int:
    """Block until the running ingest has committed some batches (a condition, not a fixed sleep)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        assert proc.poll() is None, "ingest finished before it could be interrupted"
        if db.exists():
            try:
                conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
                n = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
                conn.close()
                if n >= min_papers:
                    return n
            except sqlite3.OperationalError:
                pass  # schema not created yet
        time.sleep(0.02)
    raise AssertionError("ingest made no progress")


def test_kill_9_then_rerun_equals_uninterrupted_run(tmp_path):
    corpus = tmp_path / "big.jsonl"
    write_corpus(corpus)

    clean_dir = tmp_path / "clean"
    done = subprocess.run(ingest_cmd(clean_dir, corpus), capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)[0]["new"] == N_PAPERS

    killed_dir = tmp_path / "killed"
    db = killed_dir / "paperfeed.db"
    proc = subprocess.Popen(ingest_cmd(killed_dir, corpus), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stored = wait_for_progress(db, proc, min_papers=2000)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    partial = snapshot(db)
    assert stored <= len(partial["papers"]) < N_PAPERS
    assert partial["checkpoints"], "the checkpoint is stored with each batch"

    rerun = subprocess.run(ingest_cmd(killed_dir, corpus), capture_output=True, text=True, check=True)
    report = json.loads(rerun.stdout)[0]
    assert report["resumed"] is True
    assert report["new"] == N_PAPERS - len(partial["papers"])

    assert snapshot(db) == snapshot(clean_dir / "paperfeed.db")
