"""The background index job: keeps the keyword index current and embeds the backlog, newest first.

`paperfeed serve` used to embed every unembedded paper before it listened
(hours for a freshly ingested 75k-paper library). Now the scheduler process
(one per install, never one per web worker) runs this loop in a thread of its
own: each turn catches the keyword index up, then embeds for at most
`SLICE_S` seconds and saves, so the web workers see the newest days become
semantic within minutes, and nothing else waits on it (digests and mail run
in their own thread and never take the vector lock). The work is resumable:
the walk's position is saved with the vectors (`search.backlog`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

SLICE_S = 20.0  # embedding per turn before the loop looks around again (stop, new papers, keyword index)
IDLE_S = 5.0  # when caught up: how often to look for newly stored papers (one max(seq) query)
STARTUP_GRACE_S = 5.0  # `serve`: the web server starts before the job competes with it
YIELD_S = 0.05  # pause between busy turns: lets other threads take the locks this one just released


def index_turn(searcher: Any, slice_s: float = SLICE_S, stop: threading.Event | None = None) -> int:
    """One turn: keyword index caught up, then up to `slice_s` of embedding; returns papers embedded."""
    searcher.refresh_lexical()
    return int(searcher.embed_backlog(budget_s=slice_s, rerank_budget_s=slice_s, stop=stop.is_set if stop else None))


def run_index_loop(
    searcher_of: Callable[[], Any],
    stop: threading.Event,
    slice_s: float = SLICE_S,
    idle_s: float = IDLE_S,
    start_delay_s: float = 0.0,
) -> None:
    """Turn until `stop` is set; errors are logged and retried after `idle_s` (state is on disk).

    `start_delay_s` lets the web server start first: in `serve`'s process the
    job would otherwise compete with uvicorn's start-up for the CPU and the GIL.
    """
    searcher = None
    stop.wait(start_delay_s)
    while not stop.is_set():
        busy = False
        try:
            if searcher is None:
                searcher = searcher_of()
            done = index_turn(searcher, slice_s, stop)
            busy = done > 0
            if busy:
                cov = searcher.coverage(max_age_s=0)
                log.info(
                    "embedded %d papers in the background: %d of %d (%.0f%%)%s",
                    done,
                    cov.embedded,
                    cov.total,
                    cov.percent,
                    f", complete since {cov.complete_since}" if cov.complete_since else "",
                )
        except Exception:
            log.exception("background indexing failed; retrying in %.0f s", idle_s)
        stop.wait(YIELD_S if busy else idle_s)


class IndexKeeper:
    """A daemon thread running `run_index_loop`; `stop()` ends it after the current batch (saved)."""

    def __init__(
        self,
        searcher_of: Callable[[], Any],
        slice_s: float = SLICE_S,
        idle_s: float = IDLE_S,
        start_delay_s: float = 0.0,
    ) -> None:
        self.stop_event = threading.Event()
        self.thread = threading.Thread(
            target=run_index_loop,
            args=(searcher_of, self.stop_event, slice_s, idle_s, start_delay_s),
            name="paperfeed-index",
            daemon=True,
        )

    def start(self) -> IndexKeeper:
        self.thread.start()
        return self

    def stop(self, timeout: float | None = 60.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)
