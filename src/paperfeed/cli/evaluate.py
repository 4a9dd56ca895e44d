"""`paperfeed eval beir DATA_DIR --qrels QRELS_TSV`: retrieval quality on a BEIR dataset.

The corpus goes into a throwaway data dir (or `--work-dir`, which keeps the
store, the indexes and the embedding cache between runs, so only the first run
pays for embedding), then every judged query runs through the public Searcher.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from paperfeed.app import open_paperfeed
from paperfeed.cli.common import JsonOpt, app, console, err_console, fail, print_json, settings_of
from paperfeed.search.base import SearchRequest

eval_app = typer.Typer(help="Measure retrieval quality.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")

MODES = ("lexical", "dense", "hybrid")


@eval_app.command("beir")
def beir(
    ctx: typer.Context,
    data_dir: Annotated[Path, typer.Argument(help="BEIR dataset folder with corpus.jsonl and queries.jsonl.")],
    qrels: Annotated[Path, typer.Option("--qrels", help="Judgements (query-id, corpus-id, score), e.g. train.tsv.")],
    modes: Annotated[str, typer.Option("--modes", help="Comma-separated: lexical,dense,hybrid.")] = ",".join(MODES),
    work_dir: Annotated[Path | None, typer.Option("--work-dir", help="Reuse this data dir (keeps embeddings).")] = None,
    device: Annotated[str | None, typer.Option("--device", help="Embedding device: cpu, cuda, auto.")] = None,
    json_: JsonOpt = False,
) -> None:
    """nDCG@10, Recall@100 and MRR@10 for lexical-only, dense-only and hybrid search."""
    from paperfeed.search import open_searcher
    from paperfeed.search.evaluate import BeirFormatError, ingest_corpus, read_qrels, read_queries, run_queries

    wanted = [m.strip() for m in modes.split(",") if m.strip()]
    bad = [m for m in wanted if m not in MODES]
    if bad or not wanted:
        fail(f"--modes: unknown mode(s) {', '.join(bad) or '(none)'}; use lexical, dense, hybrid", code=2)
    corpus, queries_path = data_dir / "corpus.jsonl", data_dir / "queries.jsonl"
    for path in (corpus, queries_path):
        if not path.is_file():
            fail(f"{path}: not found (DATA_DIR must hold corpus.jsonl and queries.jsonl)", code=2)
    try:
        judged = read_qrels(qrels)
        queries = read_queries(queries_path)
    except BeirFormatError as exc:
        fail(str(exc), code=2)

    base = settings_of(ctx)
    tmp = None if work_dir else tempfile.TemporaryDirectory(prefix="paperfeed-eval-")
    root = work_dir or Path(tmp.name)  # type: ignore[union-attr]
    # A PostgreSQL PAPERFEED_DATABASE_URL is kept, so the server backends are measured (give it a
    # scratch database: the corpus is ingested there); any other configured database is left alone.
    server_url = base.database_url if (base.database_url or "").startswith("postgres") else None
    update: dict[str, object] = {"data_dir": root, "database_url": server_url}
    if wanted == ["lexical"]:
        update["embedder"] = "none"  # no embedding work when only keywords are measured
    settings = base.model_copy(update=update)
    pf = open_paperfeed(settings, migrate=True)
    try:
        try:
            n_docs = ingest_corpus(pf.store, corpus)
        except BeirFormatError as exc:
            fail(str(exc), code=2)
        searcher = open_searcher(settings, pf.store, device=device)
        searcher.refresh(progress=not json_)

        def ids_for(request: SearchRequest) -> list[str]:
            return [h.paper.id for h in searcher.search(request).hits]

        results: dict[str, object] = {}
        for mode in wanted:
            probe = searcher.search(_probe(mode))
            if mode != "lexical" and probe.mode != mode:
                results[mode] = None
                err_console.print(f"{mode}: not measured ({probe.notice})", highlight=False)
                continue
            outcome = run_queries(ids_for, queries, judged, mode)
            results[mode] = {k: round(v, 4) for k, v in (outcome.metrics or {}).items()}
            if not json_:
                err_console.print(f"{mode}: {len(outcome.runs)} queries in {outcome.seconds:.1f} s", highlight=False)
        results["n_queries"] = sum(1 for q in judged if q in queries)
        results["n_docs"] = n_docs
        results["qrels"] = str(qrels)
        # Which re-rank model took part (None: off, or configured but not loadable: the log says why).
        results["rerank_model"] = getattr(getattr(searcher, "reranker", None), "name", None)
        if json_:
            print_json(results)
            return
        table = Table("mode", "nDCG@10", "Recall@100", "MRR@10", title=f"{data_dir.name} ({qrels.name})")
        for mode in wanted:
            m = results.get(mode)
            if isinstance(m, dict):
                table.add_row(mode, f"{m['ndcg@10']:.4f}", f"{m['recall@100']:.4f}", f"{m['mrr@10']:.4f}")
            else:
                table.add_row(mode, "n/a", "n/a", "n/a")
        console.print(table)
        console.print(
            f"{results['n_queries']} queries, {n_docs} documents; re-rank model: {results['rerank_model'] or 'none'}",
            highlight=False,
        )
    finally:
        searcher_close = getattr(locals().get("searcher"), "close", None)
        if searcher_close:
            searcher_close()
        pf.close()
        if tmp is not None:
            tmp.cleanup()


def _probe(mode: str) -> SearchRequest:
    return SearchRequest(q="evaluation probe", mode=mode, page_size=1)  # type: ignore[arg-type]
