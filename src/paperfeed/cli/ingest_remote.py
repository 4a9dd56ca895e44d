"""`paperfeed ingest oai | arxiv-api | rss | hf | hf-paper`: the live network sources.

Each command only builds a source from the settings (URLs, request delay,
timeout) and hands it to `run_source`, which owns checkpointing, the progress
bar and the summary; so a live source behaves exactly like a file import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from paperfeed.cli.common import JsonOpt, date_option, fail, settings_of
from paperfeed.cli.ingest import StrictOpt, ingest_app, run_source
from paperfeed.sources.arxiv_api import ArxivApiSource
from paperfeed.sources.arxiv_oai import PREFIXES, ArxivOaiSource
from paperfeed.sources.arxiv_rss import ArxivRssSource
from paperfeed.sources.base import Source, SourceError
from paperfeed.sources.http import HttpClient
from paperfeed.sources.huggingface import HuggingFaceDailySource, HuggingFacePaperSource


def _run(ctx: typer.Context, client: HttpClient, build: Callable[[], Source], strict: bool, json_: bool) -> None:
    """Build the source (bad options exit 2 with the reason), run it, and always close the client."""
    try:
        source = build()
    except SourceError as exc:
        client.close()
        fail(str(exc), code=2)
    try:
        run_source(ctx, source, strict, json_)
    finally:
        client.close()


@ingest_app.command("oai")
def ingest_oai(
    ctx: typer.Context,
    from_: Annotated[
        str | None,
        typer.Option(
            "--from", help="First datestamp (YYYY-MM-DD). Default: where the last harvest ended, or 7 days ago."
        ),
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="Last datestamp (YYYY-MM-DD).")] = None,
    set_: Annotated[str | None, typer.Option("--set", help="OAI set, e.g. cs or physics:hep-th.")] = None,
    prefix: Annotated[str, typer.Option("--prefix", help=f"Metadata format: {', '.join(PREFIXES)}.")] = "arXiv",
    strict: StrictOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Harvest arXiv over OAI-PMH (one request per 3 s); a killed harvest resumes when rerun."""
    if prefix not in PREFIXES:
        fail(f"--prefix: '{prefix}' is not one of {', '.join(PREFIXES)}", code=2)
    settings = settings_of(ctx)
    start, end = date_option(from_, "--from"), date_option(until, "--until")
    client = HttpClient.from_settings(settings)
    _run(
        ctx,
        client,
        lambda: ArxivOaiSource(
            client, settings.arxiv_oai_url, prefix=prefix, from_date=start, until=end, set_spec=set_
        ),
        strict,
        json_,
    )


@ingest_app.command("arxiv-api")
def ingest_arxiv_api(
    ctx: typer.Context,
    query: Annotated[
        str | None, typer.Option("--query", help="arXiv search query, e.g. 'cat:cs.CL AND ti:rag'.")
    ] = None,
    ids: Annotated[list[str] | None, typer.Option("--id", help="arXiv id (repeat for several).")] = None,
    max_: Annotated[int | None, typer.Option("--max", min=1, max=30000, help="At most this many results.")] = None,
    strict: StrictOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Fetch papers from the arXiv API by search query or id list."""
    if not query and not ids:
        fail("give --query or at least one --id", code=2)
    settings = settings_of(ctx)
    client = HttpClient.from_settings(settings)
    _run(
        ctx,
        client,
        lambda: ArxivApiSource(client, settings.arxiv_api_url, query=query, ids=ids or (), max_results=max_),
        strict,
        json_,
    )


@ingest_app.command("rss")
def ingest_rss(
    ctx: typer.Context,
    categories: Annotated[list[str], typer.Argument(help="Categories, e.g. cs.AI cs.LG.")],
    strict: StrictOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Read today's arXiv listing feed (new, cross-listed and replaced papers)."""
    settings = settings_of(ctx)
    client = HttpClient.from_settings(settings)
    _run(ctx, client, lambda: ArxivRssSource(client, settings.arxiv_rss_url, categories), strict, json_)


@ingest_app.command("hf")
def ingest_hf(
    ctx: typer.Context,
    day: Annotated[str | None, typer.Option("--date", help="A day, YYYY-MM-DD.")] = None,
    week: Annotated[str | None, typer.Option("--week", help="An ISO week, YYYY-Www.")] = None,
    month: Annotated[str | None, typer.Option("--month", help="A month, YYYY-MM.")] = None,
    strict: StrictOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Hugging Face daily papers (today by default): papers plus upvote, comment and star signals."""
    settings = settings_of(ctx)
    when = date_option(day, "--date")
    # Hugging Face is not arXiv: its own limits apply, so no 3 s spacing here
    client = HttpClient.from_settings(settings, delay_s=min(settings.request_delay_s, 1.0))
    _run(
        ctx,
        client,
        lambda: HuggingFaceDailySource(client, settings.huggingface_url, day=when, week=week, month=month),
        strict,
        json_,
    )


@ingest_app.command("hf-paper")
def ingest_hf_paper(
    ctx: typer.Context,
    paper_id: Annotated[str, typer.Argument(help="arXiv id, e.g. 2501.01234.")],
    strict: StrictOpt = False,
    json_: JsonOpt = False,
) -> None:
    """One paper from Hugging Face, with its current signals."""
    settings = settings_of(ctx)
    client = HttpClient.from_settings(settings, delay_s=min(settings.request_delay_s, 1.0))
    _run(ctx, client, lambda: HuggingFacePaperSource(client, settings.huggingface_url, paper_id), strict, json_)
