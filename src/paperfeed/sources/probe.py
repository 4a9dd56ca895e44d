"""Can the live sources be reached right now? Asked once at ``paperfeed serve`` start-up.

Each source gets one cheap request with a short timeout and no retries, all at
the same time, so with no network the answer comes back within ``timeout_s``
and the server starts on its local corpus, saying in one line what it could
not reach.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from paperfeed.config import Settings
from paperfeed.sources.http import HttpClient


def _targets(settings: Settings) -> list[tuple[str, str, dict[str, str | int]]]:
    return [
        ("arXiv OAI-PMH", settings.arxiv_oai_url, {"verb": "Identify"}),
        ("arXiv API", settings.arxiv_api_url, {"id_list": "2301.00001", "max_results": 1}),
        ("Hugging Face", settings.huggingface_url.rstrip("/") + "/api/daily_papers", {"limit": 1}),
    ]


def _probe_one(
    url: str, params: dict[str, str | int], timeout_s: float, transport: httpx.BaseTransport | None
) -> str | None:
    client = HttpClient(delay_s=0, timeout_s=timeout_s, retries=0, transport=transport)
    try:
        client.get(url, params=params)
    except Exception as exc:  # any failure means "not reachable", reported in words
        text = str(exc)
        return text if len(text) <= 300 else text[:297] + "..."
    finally:
        client.close()
    return None


def probe_live_sources(
    settings: Settings, timeout_s: float = 3.0, transport: httpx.BaseTransport | None = None
) -> list[tuple[str, str | None]]:
    """(source name, error or None) for arXiv OAI, arXiv API and Hugging Face, in that order."""
    targets = _targets(settings)
    with ThreadPoolExecutor(max_workers=len(targets)) as pool:
        futures = [pool.submit(_probe_one, url, params, timeout_s, transport) for _, url, params in targets]
        return [(name, f.result()) for (name, _, _), f in zip(targets, futures, strict=True)]


def unreachable_line(results: list[tuple[str, str | None]]) -> str | None:
    """One line for the start-up banner naming what could not be reached (and the first reason),
    or None when every source answered."""
    down = [(name, error) for name, error in results if error]
    if not down:
        return None
    reason = (down[0][1] or "").split(": ", 1)[-1].split(";")[0]  # drop the URL and the advice
    return (
        f"could not reach {', '.join(name for name, _ in down)} ({reason}); "
        "serving the stored corpus, live updates resume when they can be reached"
    )
