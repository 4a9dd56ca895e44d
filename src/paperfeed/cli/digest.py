"""`paperfeed digest run|send|preview|status` and `paperfeed worker`: the digest job from the shell."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from paperfeed.cli.common import EXIT_NOT_FOUND, JsonOpt, app, console, fail, open_from, plain, print_json

digest_app = typer.Typer(
    help="Email digests: compose what is due, send the outbox, preview, status.", no_args_is_help=True
)
app.add_typer(digest_app, name="digest")

NowOpt = Annotated[str | None, typer.Option("--now", help="Act as if it were this time (ISO 8601, UTC if no zone).")]


def _now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--now: '{value}' is not an ISO 8601 time such as 2026-11-03T07:00:00+01:00", code=2)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


ShardOpt = Annotated[
    str | None, typer.Option("--shard", help="I/N: compose only subscribers whose id is I modulo N (N processes).")
]


def _shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    i, _, n = value.partition("/")
    if not (i.isdigit() and n.isdigit() and 0 <= int(i) < int(n)):
        fail(f"--shard: '{value}' is not I/N with 0 <= I < N, e.g. 0/2", code=2)
    return int(i), int(n)


@digest_app.command("run")
def run(ctx: typer.Context, now: NowOpt = None, shard: ShardOpt = None, json_: JsonOpt = False) -> None:
    """One pass: compose every digest due now, then send everything pending."""
    from paperfeed.digest.scheduler import run_once

    pf = open_from(ctx)
    report = run_once(pf, _now(now), shard=_shard(shard))
    if json_:
        print_json(report.as_dict())
        return
    c, s = report.compose, report.send
    if c is not None:
        console.print(
            f"composed {c.composed} (due {c.due}, empty {c.empty}, repeated {c.repeated}, already done {c.already})",
            highlight=False,
        )
    console.print(
        f"sent {s.sent}, retrying {s.retrying}, failed {s.failed}, skipped {s.skipped}"
        + (f"; stopped: {s.stopped}" if s.stopped else ""),
        highlight=False,
    )
    if s.stopped:
        raise typer.Exit(1)


@digest_app.command("send")
def send(ctx: typer.Context, now: NowOpt = None, json_: JsonOpt = False) -> None:
    """Send what is pending in the outbox (compose nothing)."""
    from paperfeed.digest.scheduler import send_pass

    report = send_pass(open_from(ctx), _now(now))
    if json_:
        print_json(report.as_dict())
    else:
        console.print(
            f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}, skipped {report.skipped}",
            highlight=False,
        )
    if report.stopped:
        raise typer.Exit(1)


@digest_app.command("preview")
def preview(
    ctx: typer.Context,
    email: str,
    out: Annotated[Path | None, typer.Option("--out", help="Write the HTML part to this file.")] = None,
    now: NowOpt = None,
) -> None:
    """Render the digest EMAIL would get now, without sending or recording anything."""
    from paperfeed.digest.compose import Composer
    from paperfeed.digest.outbox import MailContext
    from paperfeed.digest.prefs import PrefsError, normalise_email
    from paperfeed.digest.render import render_digest
    from paperfeed.digest.schedule import local_now
    from paperfeed.digest.scheduler import _optional

    pf = open_from(ctx)
    try:
        address = normalise_email(email)
    except PrefsError as exc:
        fail(f"EMAIL: {exc.message}", code=2)
    sub = pf.store.get_subscriber_by_email(address)
    if sub is None:
        fail(f"no subscriber with address '{address}'", code=EXIT_NOT_FOUND)
    moment = _now(now) or datetime.now(UTC)
    day = local_now(sub.timezone, moment).date()
    period = f"{sub.frequency}:{day.isoformat()}"
    seen, _ = pf.store.digest_history([sub.id])[sub.id]
    digest = Composer(pf.store, _optional(pf, "search"), _optional(pf, "trending")).compose(sub, day, period, seen)
    if not digest.items:
        console.print(f"nothing new for {address} on {day}: no digest would be sent", highlight=False)
        return
    mctx = MailContext.from_settings(pf.settings)
    rendered = render_digest(
        digest, links=mctx.links(sub), sender=mctx.sender, msg_id="<preview@localhost>", when=moment, domain=mctx.domain
    )
    if out is not None:
        out.write_text(rendered.html, encoding="utf-8")
        console.print(f"{rendered.subject}: HTML written to {out}", highlight=False)
    else:
        console.print(plain(f"Subject: {rendered.subject}\n"), highlight=False)
        console.print(plain(rendered.text), highlight=False)


@digest_app.command("status")
def status(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Outbox counts per day, kind and status, and subscribers per status."""
    pf = open_from(ctx)
    rows = pf.store.outbox_summary()
    subs = pf.store.count_subscribers()
    if json_:
        days: dict[str, dict[str, dict[str, int]]] = {}
        for day, kind, state, n in rows:
            days.setdefault(day, {}).setdefault(kind, {})[state] = n
        print_json({"subscribers": subs, "outbox": days})
        return
    console.print("subscribers: " + (", ".join(f"{k} {v}" for k, v in sorted(subs.items())) or "none"), highlight=False)
    from rich.table import Table

    table = Table("day", "kind", "status", "count")
    for day, kind, state, n in rows:
        table.add_row(day, kind, state, str(n))
    console.print(table)


@app.command("worker")
def worker(ctx: typer.Context) -> None:
    """Run the digest scheduler in the foreground: compose at each subscriber's hour, send continuously."""
    from paperfeed.digest.scheduler import run_forever

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    pf = open_from(ctx)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    console.print("digest worker running; Ctrl-C stops it after the current message", highlight=False)
    run_forever(pf, stop)
