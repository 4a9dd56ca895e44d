"""Shared CLI plumbing: the Typer app, global options, output helpers."""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.text import Text

from paperfeed.app import Paperfeed, open_paperfeed
from paperfeed.config import Settings
from paperfeed.schemas import dump

app = typer.Typer(
    name="paperfeed",
    help="Self-hosted research-paper discovery: gather, search, trending, daily digest.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
)
console = Console()
err_console = Console(stderr=True)

# C0 and C1 control characters (ESC starts terminal escape sequences, U+009B is an 8-bit CSI)
# and the bidi overrides that reorder what a terminal shows. Tab and newline stay.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe(value: object) -> str:
    """Stored text made harmless for a terminal: control characters removed.

    Titles, authors and abstracts come from ingested files and remote sources; printed
    raw, an ESC sequence in a title can rewrite the screen or the window title.
    """
    return _UNSAFE.sub("", str(value))


def plain(value: object) -> Text:
    """Stored text as a Rich `Text`: control characters removed and never read as markup."""
    return Text(safe(value))


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console.print(f"paperfeed {version('paperfeed')}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", envvar="PAPERFEED_DATA_DIR", help="Where the database and index files live."),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    overrides: dict[str, Any] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    ctx.obj = Settings(**overrides)


def settings_of(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings()


def open_from(ctx: typer.Context) -> Paperfeed:
    return open_paperfeed(settings_of(ctx))


# Exit codes, the same for every command (docs/api.md): 0 ok, 1 error (the command ran and failed,
# or rejected some input records), 2 usage (a bad option, argument or file name; click uses 2 too),
# 3 not found (the paper, subscriber ... asked about is not stored).
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3


def not_found(message: str) -> NoReturn:
    fail(message, code=EXIT_NOT_FOUND)


def fail(message: str, code: int = 1) -> NoReturn:
    # soft_wrap: one message is one line, however narrow the terminal (scripts grep stderr).
    err_console.print(Text.assemble(("error:", "bold red"), " ", safe(message)), highlight=False, soft_wrap=True)
    sys.exit(code)


def date_option(value: str | None, param: str = "--date") -> date | None:
    """A YYYY-MM-DD option value, or a clean exit-2 error that names the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{param}: '{value}' is not a date (use YYYY-MM-DD)", code=2)


def print_json(data: Any) -> None:
    """Print JSON; a pydantic model (or a list of them) prints exactly as the API sends it (`schemas.dump`)."""
    if isinstance(data, BaseModel):
        data = dump(data)
    elif isinstance(data, list) and data and isinstance(data[0], BaseModel):
        data = [dump(item) for item in data]
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    # json.dumps escapes C0 controls but leaves C1 and bidi characters raw; escaped they
    # are the same JSON string and harmless on a terminal.
    sys.stdout.write(_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")


def upvotes_of(pf: Paperfeed, paper_ids: list[str]) -> dict[str, int]:
    """The upvote counts the API shows (local upvoters plus imported HF upvotes), so both print the same."""
    return pf.store.upvote_counts(paper_ids)


def base_url(pf: Paperfeed) -> str:
    return pf.settings.base_url.rstrip("/")


JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
