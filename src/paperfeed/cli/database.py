"""`paperfeed migrate` and `paperfeed migrate-to URL`: the database's schema and its move to a server."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table
from sqlalchemy import Engine

from paperfeed.cli.common import JsonOpt, app, console, fail, print_json, settings_of


def _hidden(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command("migrate")
def migrate_cmd(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="Database to migrate (default: the configured one)."),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Bring the database schema up to this paperfeed's version.

    On PostgreSQL the servers do not migrate on start (several may start at once,
    and a schema change deserves a deliberate step): run this once per upgrade.
    """
    from paperfeed.store import migrate

    url = database_url or settings_of(ctx).resolved_database_url
    engine = _engine_for(url)
    try:
        before = migrate.current_revision(engine)
        migrate.upgrade(engine)
        after = migrate.current_revision(engine)
    finally:
        engine.dispose()
    data = {"database": _hidden(url), "from": before, "to": after, "changed": before != after}
    if json_:
        print_json(data)
        return
    if before == after:
        console.print(f"{data['database']}: schema is current ({after})", highlight=False)
    else:
        console.print(f"{data['database']}: migrated {before or 'empty'} -> {after}", highlight=False)


def _engine_for(url: str) -> Engine:
    if url.startswith("postgres"):
        from paperfeed.store.postgres import postgres_engine

        return postgres_engine(url, pool_size=1)
    from paperfeed.store.sqlite import sqlite_engine

    return sqlite_engine(url, immediate=True)


@app.command("migrate-to")
def migrate_to(
    ctx: typer.Context,
    target_url: Annotated[str, typer.Argument(help="Where to copy to, e.g. postgresql://user@host/paperfeed.")],
    source_url: Annotated[
        str | None, typer.Option("--from", help="Database to copy from (default: the configured one).")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=100_000, help="Rows per committed batch.")] = 5000,
    json_: JsonOpt = False,
) -> None:
    """Copy this instance's database into another (e.g. PostgreSQL), resumably, verified by counts and checksums.

    Copies papers, signals, trending, subscribers, outbox and the embedding cache.
    Safe to rerun after an interruption: it continues after the last committed batch.
    Afterwards point PAPERFEED_DATABASE_URL at the target and run `paperfeed index`
    to fill the server's vector index (cached embeddings are reused, not recomputed).
    """
    from paperfeed.store import migrate, open_store_url
    from paperfeed.store.copy import CopyError, copy_database

    src_url = source_url or settings_of(ctx).resolved_database_url
    if src_url == target_url:
        fail("migrate-to: the target is the same database as the source", code=2)
    source = open_store_url(src_url)  # the source is brought to the current schema, as any command would
    target_engine = _engine_for(target_url)
    try:
        migrate.upgrade(target_engine)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            disable=json_ or not console.is_terminal,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def on_batch(table: str, n: int) -> None:
                if table not in tasks:
                    tasks[table] = bar.add_task(f"copy {table}", total=None)
                bar.advance(tasks[table], n)

            try:
                report = copy_database(source.write_engine, target_engine, batch_size=batch_size, on_batch=on_batch)
            except CopyError as exc:
                fail(f"migrate-to: {exc}", code=2)
    finally:
        target_engine.dispose()
        source.close()
    if json_:
        print_json(
            {
                "ok": report.ok,
                "resumed": report.resumed,
                "source": _hidden(src_url),
                "target": _hidden(target_url),
                "tables": [asdict(r) | {"ok": r.ok} for r in report.tables],
            }
        )
    else:
        table = Table(
            "table",
            "copied now",
            "source rows",
            "target rows",
            "checksum",
            "ok",
            title=f"{_hidden(src_url)} -> {_hidden(target_url)}" + (" (resumed)" if report.resumed else ""),
        )
        for r in report.tables:
            table.add_row(
                r.table,
                str(r.copied),
                str(r.source_rows),
                str(r.target_rows),
                r.source_checksum[:12],
                "yes" if r.ok else "[bold red]NO[/]",
            )
        console.print(table)
    if not report.ok:
        bad = ", ".join(r.table for r in report.tables if not r.ok)
        fail(f"migrate-to: verification failed for {bad}: the source changed during the copy, or rows were lost")
