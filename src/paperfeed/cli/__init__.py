"""The `paperfeed` command line. Each command lives in a module of its own and
calls into the library; nothing here knows about SQL or HTTP.
"""

from __future__ import annotations

import sys

from paperfeed.cli import ingest as _ingest  # noqa: F401

# Importing a command module registers its commands on `app`.
from paperfeed.cli import papers as _papers  # noqa: F401
from paperfeed.cli.common import app, fail

for _optional in ("ingest_remote", "search", "trending", "serve", "digest", "database", "evaluate"):
    try:
        __import__(f"paperfeed.cli.{_optional}")
    except ModuleNotFoundError as exc:  # a part not built yet must not break the others
        if exc.name != f"paperfeed.cli.{_optional}":
            raise


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
