"""`paperfeed serve`: the web site, JSON API and feeds under uvicorn.

uvicorn gets the app *factory* (``paperfeed.web.app:factory``), which reads
its settings from ``PAPERFEED_*``: that is what lets ``--workers 2`` start
two independent processes. Options given here are passed on through the
environment for the same reason.
"""

from __future__ import annotations

import copy
import os
from typing import Annotated

import typer

from paperfeed.app import Paperfeed, open_paperfeed
from paperfeed.cli.common import app, console, settings_of

FACTORY = "paperfeed.web.app:factory"


def prepare(pf: Paperfeed) -> None:
    """First-start preparation: demo corpus, source probe, index (`paperfeed.bootstrap`)."""
    from paperfeed import bootstrap  # here, not at the top: every CLI command imports this module

    bootstrap.prepare(pf, say=lambda line: console.print(line, highlight=False))


def start_scheduler(pf: Paperfeed) -> None:
    """The mail scheduler runs once, in this (supervisor) process.

    With ``--workers N`` uvicorn's workers are separate processes; starting the
    scheduler here, not in `factory()`, keeps it from running N times.
    """
    from paperfeed.digest import scheduler

    scheduler.start_in_background(pf)
    console.print("digest scheduler started", highlight=False)


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port (0 picks a free one).")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    reload: Annotated[bool, typer.Option("--reload", help="Restart on code changes (development).")] = False,
    prepare_data: Annotated[
        bool, typer.Option("--prepare/--no-prepare", help="Load the demo corpus into an empty store and index it.")
    ] = True,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    migrate: Annotated[
        bool, typer.Option("--migrate", help="Apply pending schema migrations first (PostgreSQL is not auto-migrated).")
    ] = False,
) -> None:
    """Serve the web site, the JSON API (/api/v1), the Hugging Face compatible API and the feeds."""
    import uvicorn

    settings = settings_of(ctx)
    if "base_url" not in settings.model_fields_set and host not in ("0.0.0.0", "::") and port:
        settings = settings.model_copy(update={"base_url": f"http://{host}:{port}"})
    # the workers build their own `Settings` from the environment (`factory()`)
    os.environ["PAPERFEED_DATA_DIR"] = str(settings.data_dir)
    os.environ["PAPERFEED_BASE_URL"] = settings.base_url
    pf = open_paperfeed(settings, migrate=True if migrate else None)
    settings.resolved_secret_key()  # create the key once, before several workers race to
    if prepare_data:
        prepare(pf)
    start_scheduler(pf)
    console.print(f"serving on http://{host}:{port} with {workers} worker(s)", highlight=False)
    uvicorn.run(
        FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=None if reload else workers,
        reload=reload,
        log_level=log_level,
        proxy_headers=True,
        # Only these addresses' X-Forwarded-For/-Proto are believed; from anyone else the
        # headers are ignored, so a client cannot pick its own address for the rate limits.
        forwarded_allow_ips=settings.trusted_proxies,
        server_header=False,
        access_log=False,  # paperfeed.web's AccessLogMiddleware logs one line per request instead
        log_config=log_config(log_level),
    )


def log_config(level: str) -> dict:
    """uvicorn's logging set-up plus the ``paperfeed`` loggers; applied in every worker process."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["paperfeed"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return config
