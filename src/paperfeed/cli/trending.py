"""`paperfeed trending ...`: show, explain and refresh trending lists; import code-link stars."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.table import Table

from paperfeed.cli.common import JsonOpt, app, console, date_option, err_console, fail, open_from, print_json
from paperfeed.trending.base import TrendingEntry, Window
from paperfeed.trending.config import WINDOW_DAYS

trending_app = typer.Typer(
    help="What is rising now, from upvotes, views, Hugging Face and GitHub signals (every score explained).",
    invoke_without_command=True,
)
app.add_typer(trending_app, name="trending")

WindowOpt = Annotated[str, typer.Option("--window", "-w", help="day, week or month.")]
DateOpt = Annotated[str | None, typer.Option("--date", help="The window's last day, YYYY-MM-DD (default today, UTC).")]


def _window(value: str) -> Window:
    value = {"daily": "day", "weekly": "week", "monthly": "month"}.get(value, value)  # the feeds' spelling
    if value not in WINDOW_DAYS:
        fail(f"--window: '{value}' is not one of {', '.join(WINDOW_DAYS)}", code=2)
    return cast(Window, value)


def entry_dict(e: TrendingEntry) -> dict[str, Any]:
    p = e.paper
    return {
        "rank": e.rank,
        "id": p.id,
        "title": p.title,
        "published": p.published.isoformat() if p.published else None,
        "categories": p.categories,
        "score": e.score,
        "breakdown": e.breakdown,
        "explanation": e.explanation,
    }


def _table(entries: list[TrendingEntry]) -> Table:
    table = Table("#", "id", "score", "title", "why")
    for e in entries:
        table.add_row(str(e.rank), e.paper.id, f"{e.score:.3f}", e.paper.title, e.explanation)
    return table


@trending_app.callback()
def trending(
    ctx: typer.Context,
    window: WindowOpt = "day",
    date_: DateOpt = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Custom range start (YYYY-MM-DD); with --date as its end.")
    ] = None,
    category: Annotated[str | None, typer.Option("--category", "-c", help="arXiv category, e.g. cs.CL.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    json_: JsonOpt = False,
) -> None:
    """List trending papers for a window (or a custom range with --since)."""
    if ctx.invoked_subcommand is not None:
        return
    window = _window(window)
    day = date_option(date_)
    start = date_option(since, "--since")
    pf = open_from(ctx)
    try:
        if start is not None:
            entries = pf.trending.range(start, day or datetime.now(UTC).date(), category, limit, offset)
        else:
            entries = pf.trending.list(window, day, category, limit, offset)
    except ValueError as exc:
        fail(str(exc), code=2)
    finally:
        pf.close()
    if json_:
        print_json([entry_dict(e) for e in entries])
        return
    console.print(_table(entries))
    if not entries:
        console.print("nothing is rising in that window (no engagement there, or in that category); see ingest")


@trending_app.command("explain")
def explain(
    ctx: typer.Context,
    paper_id: Annotated[str, typer.Argument(help="The paper's id, e.g. 2607.28568.")],
    window: WindowOpt = "day",
    date_: DateOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Why a paper ranks where it does: its score broken down by signal and age decay."""
    window = _window(window)
    day = date_option(date_)
    pf = open_from(ctx)
    try:
        entry = pf.trending.explain(paper_id.strip(), window, day)
    finally:
        pf.close()
    if entry is None:
        fail(f"no paper with id '{paper_id}'", code=2)
    if json_:
        print_json(entry_dict(entry))
        return
    where = f"rank {entry.rank}" if entry.rank else "not ranked"
    console.print(f"[bold]{entry.paper.title}[/] ({entry.paper.id}): {where}, score {entry.score:.4f}", highlight=False)
    console.print(entry.explanation, highlight=False)
    table = Table("signal", "contribution", "share")
    for name, value in sorted(entry.breakdown.items(), key=lambda kv: -kv[1]):
        share = value / entry.score if entry.score else 0.0
        table.add_row(name, f"{value:.4f}", f"{share:.0%}")
    console.print(table)


@trending_app.command("refresh")
def refresh(
    ctx: typer.Context,
    date_: DateOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Roll up new signals and bring the day's lists up to date (the server also does this every 10 s)."""
    day = date_option(date_)
    pf = open_from(ctx)
    try:
        report = pf.trending.refresh(day)
    finally:
        pf.close()
    data = {
        "day": report.day.isoformat(),
        "recomputed": report.recomputed,
        "patched": getattr(report, "patched", []),
        "rolled_up": getattr(report, "rolled_up", 0),
        "dropped_rows": report.dropped_rows,
        "seconds": round(report.seconds, 3),
        "signal_id": report.signal_id,
        "paper_seq": report.paper_seq,
    }
    if json_:
        print_json(data)
        return
    parts = [f"rolled up {data['rolled_up']:,} signals"] if data["rolled_up"] else []
    if report.recomputed:
        parts.append("built " + ", ".join(report.recomputed))
    if data["patched"]:
        parts.append("patched " + ", ".join(data["patched"]))
    what = "; ".join(parts) or "nothing to do (no new signals or papers)"
    console.print(f"trending {data['day']}: {what} in {data['seconds']} s", highlight=False)


@trending_app.command("import-links")
def import_links(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Papers-with-Code style links CSV (paper_arxiv_id, repo_url, stars).")],
    observed_at: Annotated[
        str | None, typer.Option("--observed-at", help="When the star counts were captured (default: now).")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Import GitHub stars per paper from a links file (and fill missing code links)."""
    from paperfeed.ingest import ingest
    from paperfeed.sources.base import SourceError
    from paperfeed.sources.pwc_links import PwcLinksSource, code_url_records

    when = None
    if observed_at is not None:
        try:
            when = datetime.fromisoformat(observed_at)
        except ValueError:
            fail(f"--observed-at: '{observed_at}' is not a date or time (use YYYY-MM-DD[THH:MM])", code=2)
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
    source = PwcLinksSource(path, when)
    pf = open_from(ctx)
    try:
        report = ingest(pf.store, source)
        stored = pf.store.get_papers(list(source.code_urls))
        filled = pf.store.upsert_papers(code_url_records(source.code_urls, stored))
    except SourceError as exc:
        fail(str(exc), code=2)
    finally:
        pf.close()
    data = {
        "file": str(path),
        "signals": report.signals,
        "papers_in_store": len(stored),
        "code_links_filled": filled.updated,
        "rejected": len(report.rejections),
        "rejections": [str(r) for r in report.rejections],
    }
    if json_:
        print_json(data)
        return
    for rejection in report.rejections[:10]:
        err_console.print(f"skipped: {rejection}", highlight=False, markup=False)
    if len(report.rejections) > 10:
        err_console.print(f"... and {len(report.rejections) - 10} more (use --json for all)")
    console.print(
        f"{path.name}: {data['signals']} star counts ({data['papers_in_store']} for stored papers), "
        f"{data['code_links_filled']} code links filled, {data['rejected']} rows skipped",
        highlight=False,
    )
