"""`paperfeed ingest ...`: bring papers in from files and live sources."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from paperfeed.cli.common import JsonOpt, app, console, err_console, fail, open_from, plain, print_json
from paperfeed.ingest import IngestFailed, IngestReport, StrictStop, ingest
from paperfeed.sources.base import Source, SourceError
from paperfeed.sources.files import FORMATS, FileSource

ingest_app = typer.Typer(help="Bring papers in from files and live sources.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")

StrictOpt = Annotated[bool, typer.Option("--strict", help="Stop at the first rejected record.")]


def _progress_callback(bar: Progress, task: TaskID) -> Callable[[Source, int], None]:
    def update(source: Source, seen: int) -> None:
        total = getattr(source, "bytes_total", None)
        done = getattr(source, "bytes_read", None)
        if total and done is not None:
            bar.update(task, total=total, completed=done, description=f"{source.name}: {seen:,} records")
        else:
            bar.update(task, completed=seen, description=f"{source.name}: {seen:,} records")

    return update


def execute(ctx: typer.Context, source: Source, strict: bool = False, batch_size: int = 2000) -> IngestReport:
    """Run one source with a progress bar (on a terminal only) and return its report.

    Errors of the source as a whole end the run with what was read before them
    stored and counted (the report's `error` says why it stopped); the checkpoint
    of the last stored batch is kept, so the same command resumes.
    """
    pf = open_from(ctx)
    show = err_console.is_terminal
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn() if not hasattr(source, "bytes_total") else TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=err_console,
        disable=not show,
        transient=True,
    )
    try:
        with bar:
            task = bar.add_task(source.name, total=None)
            return ingest(
                pf.store, source, strict=strict, batch_size=batch_size, progress=_progress_callback(bar, task)
            )
    except StrictStop as stop:
        report = stop.report or IngestReport(source=source.name)
        report.error = f"stopped at the first rejected record (--strict): {stop.rejection}"
        return report
    except IngestFailed as failed:
        failed.report.error = f"{failed.cause} (progress so far is kept; rerun the same command to resume)"
        return failed.report
    except SourceError as exc:
        return IngestReport(source=source.name, error=f"{exc} (rerun the same command to resume)")
    finally:
        pf.close()


def report_and_exit(reports: list[IngestReport], json_: bool) -> None:
    """Print summaries (always, also with --json); exit 1 when anything was rejected or failed."""
    rejected = sum(r.counts.rejected for r in reports)
    failed = any(r.error for r in reports)
    if json_:
        print_json(
            [
                {
                    "source": r.source,
                    "new": r.counts.new,
                    "updated": r.counts.updated,
                    "unchanged": r.counts.unchanged,
                    "rejected": r.counts.rejected,
                    "duplicates_merged": r.duplicates,
                    "signals": r.signals,
                    "resumed": r.resumed,
                    "rejections": [str(x) for x in r.rejections],
                    "rejected_records": [
                        {"origin": x.origin, "field": x.field, "reason": x.message} for x in r.rejections
                    ],
                    "error": r.error,
                }
                for r in reports
            ]
        )
    else:
        for r in reports:
            for rejection in r.rejections[:20]:
                err_console.print(plain(f"rejected: {rejection}"), highlight=False)
            if len(r.rejections) > 20:
                err_console.print(f"... and {len(r.rejections) - 20} more rejections (use --json for all)")
            resumed = " (resumed)" if r.resumed else ""
            console.print(plain(f"{r.source}{resumed}: {r.summary()}"), highlight=False, soft_wrap=True)
            if r.error:
                err_console.print(plain(f"error: {r.source}: {r.error}"), highlight=False)
    if rejected or failed:
        sys.exit(1)


def run_source(ctx: typer.Context, source: Source, strict: bool = False, json_: bool = False) -> None:
    """Ingest one source and report: the entry point the live-source commands use."""
    report_and_exit([execute(ctx, source, strict)], json_)


@ingest_app.command("file")
def ingest_file(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="JSONL / CSV / Kaggle / BEIR corpus.jsonl / seed .txt; .gz ok.")],
    format_: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")] = "auto",
    strict: StrictOpt = False,
    batch_size: Annotated[int, typer.Option(min=1, max=100_000)] = 2000,
    json_: JsonOpt = False,
) -> None:
    """Ingest metadata files. Re-ingesting the same data changes nothing."""
    sources = []
    for path in paths:  # every argument is checked before anything is read
        try:
            sources.append((path, FileSource(path, format_)))
        except SourceError as exc:
            if json_:
                print_json([{"source": str(path), "error": str(exc)}])
            fail(str(exc), code=2)
    reports = []
    for path, source in sources:
        report = execute(ctx, source, strict, batch_size)
        report.source = str(path)
        reports.append(report)
    report_and_exit(reports, json_)


@ingest_app.command("demo")
def ingest_demo(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Load the small demo corpus that ships with paperfeed."""
    from paperfeed.bootstrap import demo_corpus_path

    report = execute(ctx, FileSource(demo_corpus_path(), "jsonl", source_name="demo"))
    report_and_exit([report], json_)
