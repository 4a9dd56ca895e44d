"""`paperfeed index`, `paperfeed search QUERY` and `paperfeed similar ID`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.table import Table
from rich.text import Text

from paperfeed.app import Paperfeed
from paperfeed.cli.common import (
    EXIT_USAGE,
    JsonOpt,
    app,
    base_url,
    console,
    date_option,
    fail,
    not_found,
    open_from,
    plain,
    print_json,
    safe,
    upvotes_of,
)
from paperfeed.schemas import SearchOut, SearchQueryEcho, SimilarOut, hit_out
from paperfeed.search.base import Hit, Mode, PaperNotFound, QueryError, SearchRequest, Sort


def _print_hits(hits: list[Hit], start: int = 1) -> None:
    table = Table("#", "id", "published", "why", "title")
    for n, hit in enumerate(hits, start=start):
        why = " ".join(
            part
            for part in (
                f"kw#{hit.lexical_rank}" if hit.lexical_rank else "",
                f"sem#{hit.dense_rank}" if hit.dense_rank else "",
            )
            if part
        )
        table.add_row(str(n), plain(hit.paper.id), str(hit.paper.published or ""), why, plain(hit.paper.title))
    console.print(table)


index_app = typer.Typer(
    help="Bring the keyword and semantic indexes up to date (newest papers first); export or import vectors.",
    invoke_without_command=True,
)
app.add_typer(index_app, name="index")


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@index_app.callback()
def index(
    ctx: typer.Context,
    device: Annotated[str | None, typer.Option("--device", help="Embedding device: cpu, cuda, auto.")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Drop the indexes and build them again.")] = False,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, max=256, help="CPU embedding workers (default: every core).")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Bring the keyword and semantic indexes up to date with the stored papers.

    Papers are embedded newest first, with papers/s and an ETA (a bar on a
    terminal, a line every 10 s in logs). A running server does the same in
    the background; this is the foreground way, e.g. right after a big ingest.
    """
    if ctx.invoked_subcommand is not None:
        return
    from paperfeed.search import drop_indexes, open_searcher

    pf = open_from(ctx)
    if rebuild:
        drop_indexes(pf.settings, pf.store)
    searcher = open_searcher(pf.settings, pf.store, device=device)
    embedder = getattr(searcher, "embedder", None)
    if embedder is not None and hasattr(embedder, "workers"):
        embedder.workers = workers or _usable_cores()  # numpy drops the GIL: one thread per core
    try:
        n = searcher.refresh(progress=not json_)
        notice = searcher.search(SearchRequest(q="index probe", page_size=1)).notice
        coverage = searcher.coverage(max_age_s=0)
    finally:
        searcher.close()
        pf.close()
    if json_:
        print_json({"indexed": n, "notice": notice, "semantic_coverage": coverage.as_dict()})
        return
    console.print(f"indexed {n} papers" + (f" ({notice})" if notice else ""), highlight=False)


def _embedder_or_fail(pf: Paperfeed) -> object:
    embedder = pf.search.embedder  # type: ignore[attr-defined]
    if embedder is None:
        fail("semantic search is off (PAPERFEED_EMBEDDER=none): there are no vectors to move", code=2)
    return embedder


@index_app.command("export")
def index_export(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Where to write the vectors (replaced atomically).")],
    json_: JsonOpt = False,
) -> None:
    """Write every cached vector of this install's model to FILE (keyed by model and text hash)."""
    from paperfeed.search.transfer import TransferError, export_vectors

    pf = open_from(ctx)
    try:
        embedder = _embedder_or_fail(pf)
        model = embedder.name  # type: ignore[attr-defined]
        try:
            n = export_vectors(pf.store, model, file)
        except (TransferError, OSError) as exc:
            fail(f"export to {file}: {exc}")
    finally:
        pf.close()
    if json_:
        print_json({"file": str(file), "model": model, "vectors": n})
        return
    console.print(f"exported {n:,} vectors of {model} to {file}", highlight=False)


@index_app.command("import")
def index_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A file made by `paperfeed index export`.")],
    json_: JsonOpt = False,
) -> None:
    """Add FILE's vectors to the embedding cache; refuses a file of another model.

    The next `paperfeed index` (or a running server's background job) then
    builds the semantic index from them without embedding those papers again.
    """
    from paperfeed.search.transfer import TransferError, import_vectors

    pf = open_from(ctx)
    try:
        embedder = _embedder_or_fail(pf)
        model, dim = embedder.name, int(embedder.dim)  # type: ignore[attr-defined]
        try:
            read, stored = import_vectors(pf.store, model, dim, file)
        except TransferError as exc:
            fail(str(exc), code=2)
    finally:
        pf.close()
    if json_:
        print_json({"file": str(file), "model": model, "read": read, "stored": stored})
        return
    console.print(
        f"imported {stored:,} new vectors of {model} ({read - stored:,} were already cached); "
        "`paperfeed index` or a running server builds the index from them",
        highlight=False,
    )


@app.command("search")
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help='Words, "phrases", -exclude, au:, ti:, cat:, year:2024, since:...')],
    mode: Annotated[str, typer.Option("--mode", help="hybrid, lexical or dense.")] = "hybrid",
    sort: Annotated[str, typer.Option("--sort", help="relevance or date.")] = "relevance",
    category: Annotated[str | None, typer.Option("--category", help="arXiv category, e.g. cs.CL.")] = None,
    author: Annotated[str | None, typer.Option("--author", help="Author name.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Published on or after (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Published on or before (YYYY-MM-DD).")] = None,
    page: Annotated[int, typer.Option("--page", min=1)] = 1,
    page_size: Annotated[int, typer.Option("--page-size", min=1, max=100)] = 20,
    json_: JsonOpt = False,
) -> None:
    """Search the stored papers (run `paperfeed index` after ingesting). --json prints GET /api/v1/search's shape."""
    request = SearchRequest(
        q=query,
        mode=cast(Mode, mode),  # checked by the engine: a bad value is a QueryError naming --mode
        sort=cast(Sort, sort),
        page=page,
        page_size=page_size,
        since=date_option(since, "--since"),
        until=date_option(until, "--until"),
        category=category,
        author=author,
    )
    pf = open_from(ctx)
    try:
        results = pf.search.search(request)
        upvotes = upvotes_of(pf, [h.paper.id for h in results.hits]) if json_ else {}
    except QueryError as exc:
        fail(f"{'--' + exc.param.replace('_', '-') if exc.param != 'q' else 'query'}: {exc.message}", code=EXIT_USAGE)
    finally:
        pf.close()
    if json_:
        echo = SearchQueryEcho(
            q=request.q,
            category=request.category,
            author=request.author,
            since=request.since,
            until=request.until,
            sort=request.sort,
            mode=request.mode,
            page=request.page,
            page_size=request.page_size,
        )
        base = base_url(pf)
        hits = [hit_out(h, upvotes.get(h.paper.id, 0), base) for h in results.hits]
        print_json(
            SearchOut(
                query=echo, mode=results.mode, total=results.total, notice=results.notice, results=hits, next=None
            )
        )
        return
    if results.notice:
        console.print(Text(safe(results.notice), style="yellow"), highlight=False)
    _print_hits(results.hits, start=(page - 1) * page_size + 1)
    console.print(f"{results.total} results ({results.mode})", highlight=False)


@app.command("similar")
def similar(
    ctx: typer.Context,
    paper_id: Annotated[str, typer.Argument(help="A stored paper id.")],
    k: Annotated[int, typer.Option("-k", "--k", min=1, max=100, help="How many.")] = 10,
    json_: JsonOpt = False,
) -> None:
    """Papers most like the given one (semantic neighbours, keyword fallback). Exit 3 if it is not stored."""
    pf = open_from(ctx)
    try:
        hits = pf.search.similar(paper_id.strip(), k)
        upvotes = upvotes_of(pf, [h.paper.id for h in hits]) if json_ else {}
    except PaperNotFound as exc:
        not_found(exc.message)
    except QueryError as exc:
        fail(f"{exc.param}: {exc.message}", code=EXIT_USAGE)
    finally:
        pf.close()
    if json_:
        base = base_url(pf)
        results = [hit_out(h, upvotes.get(h.paper.id, 0), base) for h in hits]
        print_json(SimilarOut(paper_id=paper_id.strip(), results=results))
        return
    _print_hits(hits)
