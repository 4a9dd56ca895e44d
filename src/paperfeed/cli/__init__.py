"""The `paperfeed` command line. Each command lives in a module of its own and
calls into the library; nothing here knows about SQL or HTTP.
"""

from __future__ import annotations

import sys

# Importing a command module registers its commands on `app`.
from paperfeed.cli import (  # noqa: F401
    database,
    digest,
    evaluate,
    ingest,
    ingest_remote,
    papers,
    search,
    serve,
    trending,
)
from paperfeed.cli.common import app, fail


def main() -> None:
    """Console entry point: no traceback ever reaches the user."""
    try:
        app()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        fail(f"{type(exc).__name__}: {exc}")


__all__ = ["app", "main"]
