"""`paperfeed papers ...` and `paperfeed stats`: read what is stored."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from paperfeed.cli.common import (
    JsonOpt,
    app,
    base_url,
    console,
    date_option,
    not_found,
    open_from,
    plain,
    print_json,
    safe,
    upvotes_of,
)
from paperfeed.models import Paper
from paperfeed.schemas import SemanticCoverageOut, StatsOut, paper_detail, paper_out
from paperfeed.search.backlog import Coverage
from paperfeed.store import PaperQuery

papers_app = typer.Typer(help="Show and list stored papers.", no_args_is_help=True)
app.add_typer(papers_app, name="papers")


def _dates(paper: Paper) -> str:
    """The dates a paper has, labelled; a missing one is left out rather than printed as None."""
    dates = (
        ("published", paper.published),
        ("submitted", paper.submitted),
        ("updated", paper.updated),
        ("announced", paper.announced),
    )
    return "   ".join(f"{label}: {day.isoformat()}" for label, day in dates if day is not None)


@papers_app.command("show")
def show(ctx: typer.Context, paper_id: str, json_: JsonOpt = False) -> None:
    """Show one paper by id (arXiv id without version, DOI or content hash). Exit 3 if it is not stored."""
    pf = open_from(ctx)
    paper = pf.store.get_paper(paper_id.strip())
    if paper is None:
        not_found(f"no paper with id '{paper_id}'")
    if json_:
        upvotes = upvotes_of(pf, [paper.id]).get(paper.id, 0)
        print_json(paper_detail(paper, pf.store.paper_versions(paper.id), upvotes, base_url(pf)))
        return
    console.print(Text(safe(paper.title), style="bold"), highlight=False)
    console.print(plain(f"{paper.id}" + (f"v{paper.version}" if paper.version else "")), highlight=False)
    if paper.authors:
        console.print(plain(", ".join(paper.authors)), highlight=False)
    meta = ([f"categories: {' '.join(paper.categories)}"] if paper.categories else []) + [_dates(paper)]
    console.print(plain("   ".join(m for m in meta if m)), highlight=False)
    for label, url in (
        ("abs", paper.abs_url),
        ("pdf", paper.pdf_url),
        ("code", paper.code_url),
        ("project", paper.project_url),
    ):
        if url:
            console.print(plain(f"{label}: {url}"), highlight=False)
    console.print()
    console.print(plain(paper.abstract), highlight=False)


@papers_app.command("list")
def list_(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="Published on or after (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before (YYYY-MM-DD).")] = None,
    category: Annotated[str | None, typer.Option(help="arXiv category, e.g. cs.CL.")] = None,
    author: Annotated[str | None, typer.Option(help="Author name (substring).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 20,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    json_: JsonOpt = False,
) -> None:
    """List papers, newest first."""
    pf = open_from(ctx)
    query = PaperQuery(
        since=date_option(since, "--since"),
        until=date_option(until, "--until"),
        category=category,
        author=author,
        limit=limit,
        offset=offset,
    )
    papers = pf.store.list_papers(query)
    if json_:
        upvotes = upvotes_of(pf, [p.id for p in papers])
        print_json([paper_out(p, upvotes.get(p.id, 0), base_url(pf)) for p in papers])
        return
    table = Table("id", "published", "category", "title")
    for p in papers:
        table.add_row(plain(p.id), str(p.published or ""), plain(p.primary_category or ""), plain(p.title))
    console.print(table)
    console.print(f"{len(papers)} of {pf.store.count_papers(query)} papers")


@app.command("stats")
def stats(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Counts by source, category and month."""
    pf = open_from(ctx)
    s = pf.store.stats()
    try:
        coverage = pf.search.coverage(max_age_s=0)
    except Exception as exc:  # a broken index must not hide the counts
        coverage = None
        typer.echo(f"search index unreadable: {exc}", err=True)
    if json_:
        print_json(
            StatsOut(**asdict(s), semantic_coverage=SemanticCoverageOut(**coverage.as_dict()) if coverage else None)
        )
        return
    console.print(f"[bold]{s.papers}[/] papers, {s.signals} signals")
    if coverage is not None:
        console.print(_coverage_line(coverage), highlight=False)
    for title, data, limit in (
        ("source", s.by_source, 50),
        ("category", s.by_category, 20),
        ("month", s.by_month, 120),
    ):
        table = Table(title, "papers", title=f"by {title}")
        for key, count in list(data.items())[:limit]:
            table.add_row(plain(key), str(count))  # sources and categories come from ingested data
        console.print(table)


def _coverage_line(cov: Coverage) -> str:
    if not cov.enabled:
        return "semantic search: off (keyword only)"
    line = f"semantic search: {cov.embedded:,} of {cov.total:,} papers embedded ({cov.percent:.0f}%)"
    if cov.complete_since:
        line += f", complete since {cov.complete_since.isoformat()}; older papers match by keyword only for now"
    return line
