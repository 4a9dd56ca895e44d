"""`paperfeed trending ...`: show, explain and refresh trending lists; import code-link stars."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.table import Table
from rich.text import Text

from paperfeed.cli.common import (
    EXIT_USAGE,
    JsonOpt,
    app,
    base_url,
    console,
    date_option,
    err_console,
    fail,
    not_found,
    open_from,
    plain,
    print_json,
    safe,
    upvotes_of,
)
from paperfeed.schemas import TrendingOut, trending_entry_out
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
        fail(f"--window: '{value}' is not one of {', '.join(WINDOW_DAYS)}", code=EXIT_USAGE)
    return cast(Window, value)


def _table(entries: list[TrendingEntry]) -> Table:
    table = Table("#", "id", "score", "title", "why")
    for e in entries:
        table.add_row(str(e.rank), plain(e.paper.id), f"{e.score:.3f}", plain(e.paper.title), plain(e.explanation))
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
    """List trending papers for a window (or a custom range with --since). --json: GET /api/v1/trending's shape."""
    if ctx.invoked_subcommand is not None:
        return
    checked = _window(window)
    day = date_option(date_)
    start = date_option(since, "--since")
    pf = open_from(ctx)
    try:
        if start is not None:
            entries = pf.trending.range(start, day or datetime.now(UTC).date(), category, limit, offset)
        else:
            entries = pf.trending.list(checked, day, category, limit, offset)
        upvotes = upvotes_of(pf, [e.paper.id for e in entries]) if json_ else {}
    except ValueError as exc:
        fail(str(exc), code=EXIT_USAGE)
    finally:
        pf.close()
    if json_:
        base = base_url(pf)
        print_json(
            TrendingOut(
                window="range" if start is not None else checked,
                date=day or datetime.now(UTC).date(),
                since=start,
                category=category,
                notice=None,
                entries=[trending_entry_out(e, upvotes.get(e.paper.id, 0), base) for e in entries],
            )
        )
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
    """Why a paper ranks where it does: its score broken down by signal and age decay. Exit 3 if it is not stored."""
    checked = _window(window)
    day = date_option(date_)
    pf = open_from(ctx)
    try:
        entry = pf.trending.explain(paper_id.strip(), checked, day)
        upvotes = upvotes_of(pf, [entry.paper.id]) if entry is not None and json_ else {}
    finally:
        pf.close()
    if entry is None:
        not_found(f"no paper with id '{paper_id}'")
    if json_:
        print_json(trending_entry_out(entry, upvotes.get(entry.paper.id, 0), base_url(pf)))
        return
    where = f"rank {entry.rank}" if entry.rank else "not ranked"
    console.print(
        Text.assemble(
            (safe(entry.paper.title), "bold"), safe(f" ({entry.paper.id}): {where}, score {entry.score:.4f}")
        ),
        highlight=False,
    )
    console.print(plain(entry.explanation), highlight=False)
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
    from paperfeed.ingest import IngestFailed, ingest
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
    except (SourceError, IngestFailed) as exc:  # an unreadable links file: a usage error, like any input file
        fail(str(exc), code=EXIT_USAGE)
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
