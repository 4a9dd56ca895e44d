"""Retrieval evaluation on BEIR-format data: metrics (pure) and the run behind `paperfeed eval beir`.

The metrics follow trec_eval / BEIR conventions (linear gain nDCG, recall over
judged-relevant documents, reciprocal rank of the first relevant hit), so the
numbers are comparable with the published SciFact baselines. Queries run
through the public `Searcher` exactly as a user's would, query language and all.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from paperfeed.models import PaperRecord
from paperfeed.search.base import QueryError, SearchRequest
from paperfeed.store.base import Store

BEIR_PREFIX = "beir:"
Qrels = dict[str, dict[str, int]]  # query id -> doc id -> relevance


# -- ids: the one place that maps BEIR ids to paperfeed ids ------------------------------


def beir_paper_id(doc_id: str) -> str:
    return f"{BEIR_PREFIX}{doc_id}"


def beir_doc_id(paper_id: str) -> str:
    return paper_id.removeprefix(BEIR_PREFIX)


# -- metrics -------------------------------------------------------------------------


def ndcg_at_k(ranked: list[str], relevant: dict[str, int], k: int = 10) -> float:
    """nDCG@k with linear gains (trec_eval's ndcg_cut, as BEIR reports it)."""
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((r for r in relevant.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranked: list[str], relevant: dict[str, int], k: int = 100) -> float:
    wanted = {d for d, r in relevant.items() if r > 0}
    if not wanted:
        return 0.0
    return len(wanted.intersection(ranked[:k])) / len(wanted)


def mrr_at_k(ranked: list[str], relevant: dict[str, int], k: int = 10) -> float:
    for i, d in enumerate(ranked[:k]):
        if relevant.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def mean_metrics(runs: dict[str, list[str]], qrels: Qrels) -> dict[str, float]:
    """Mean nDCG@10, Recall@100 and MRR@10 over the judged queries (a missing run scores 0)."""
    qids = [q for q in qrels if any(r > 0 for r in qrels[q].values())]
    if not qids:
        return {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    n = len(qids)
    return {
        "ndcg@10": sum(ndcg_at_k(runs.get(q, []), qrels[q]) for q in qids) / n,
        "recall@100": sum(recall_at_k(runs.get(q, []), qrels[q]) for q in qids) / n,
        "mrr@10": sum(mrr_at_k(runs.get(q, []), qrels[q]) for q in qids) / n,
    }


# -- BEIR files ------------------------------------------------------------------------


class BeirFormatError(ValueError):
    """A BEIR file that cannot be read; the message names the file and line."""


def read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise BeirFormatError(f"{path}: cannot open ({exc.strerror})") from None
    with fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise BeirFormatError(f"{path}:{n}: not JSON ({exc})") from None
            if not isinstance(obj, dict) or "_id" not in obj:
                raise BeirFormatError(f"{path}:{n}: expected an object with an '_id' field")
            yield n, obj


def read_corpus(path: Path) -> Iterator[PaperRecord]:
    for n, obj in read_jsonl(path):
        title, text = str(obj.get("title") or ""), str(obj.get("text") or "")
        if not (title or text):
            continue
        yield PaperRecord(
            id=beir_paper_id(str(obj["_id"])),
            title=title or text[:120],
            abstract=text,
            source="beir",
            origin=f"{path.name}:{n}",
        )


def read_queries(path: Path) -> dict[str, str]:
    return {str(obj["_id"]): str(obj.get("text") or "") for _, obj in read_jsonl(path)}


def read_qrels(path: Path) -> Qrels:
    qrels: Qrels = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BeirFormatError(f"{path}: cannot open ({exc.strerror})") from None
    for n, line in enumerate(lines, start=1):
        parts = line.strip().split("\t") if "\t" in line else line.split()
        if not parts or not parts[0]:
            continue
        if n == 1 and parts[0].lower() in ("query-id", "query_id", "qid"):
            continue  # header
        if len(parts) == 4:  # TREC style: qid 0 docid rel
            parts = [parts[0], parts[2], parts[3]]
        if len(parts) != 3:
            raise BeirFormatError(f"{path}:{n}: expected 'query-id<TAB>corpus-id<TAB>score'")
        try:
            rel = int(float(parts[2]))
        except ValueError:
            raise BeirFormatError(f"{path}:{n}: score '{parts[2]}' is not a number") from None
        qrels.setdefault(parts[0], {})[parts[1]] = rel
    if not qrels:
        raise BeirFormatError(f"{path}: no judgements found")
    return qrels


def ingest_corpus(store: Store, corpus: Path, batch: int = 2000) -> int:
    """Upsert the corpus (idempotent: unchanged documents stay as they are)."""
    n = 0
    chunk: list[PaperRecord] = []
    for rec in read_corpus(corpus):
        chunk.append(rec)
        if len(chunk) >= batch:
            store.upsert_papers(chunk)
            n += len(chunk)
            chunk = []
    if chunk:
        store.upsert_papers(chunk)
        n += len(chunk)
    return n


# -- running -----------------------------------------------------------------------


@dataclass(slots=True)
class ModeResult:
    metrics: dict[str, float] | None
    seconds: float = 0.0
    note: str | None = None
    runs: dict[str, list[str]] = field(default_factory=dict)


def run_queries(
    search: Callable[[SearchRequest], list[str]], queries: dict[str, str], qrels: Qrels, mode: str, depth: int = 100
) -> ModeResult:
    """Run every judged query in `mode`; the ranked doc ids are kept for inspection."""
    runs: dict[str, list[str]] = {}
    start = time.perf_counter()
    skipped = 0
    for qid in qrels:
        text = queries.get(qid)
        if text is None:
            skipped += 1
            continue
        try:
            ids = search(SearchRequest(q=text, mode=mode, page_size=depth))  # type: ignore[arg-type]
        except QueryError:
            ids = []  # an unsearchable query scores zero, as a user would see nothing
        runs[qid] = [beir_doc_id(i) for i in ids]
    note = f"{skipped} judged queries missing from queries.jsonl" if skipped else None
    return ModeResult(mean_metrics(runs, qrels), time.perf_counter() - start, note, runs)
