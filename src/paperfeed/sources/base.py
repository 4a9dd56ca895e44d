"""What a source is: something that yields normalised records, resumably.

Every source module (``arxiv_oai``, ``arxiv_api``, ``arxiv_rss``,
``huggingface``, ``files``) exposes a class implementing `Source`. A source
never writes to the store: it yields `PaperRecord`s, `Signal`s and
`Rejection`s, and the ingest job (``paperfeed.ingest``) stores them in atomic
batches together with `position()`, so that a run killed at any point resumes
where it stopped without losing or repeating work.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from paperfeed.models import PaperRecord, Signal


@dataclass(slots=True)
class Rejection:
    """A record that could not be used, and exactly why."""

    origin: str  # "file.jsonl:12", "oai page 2 record 17", ...
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.origin}: field '{self.field}'" if self.field else self.origin
        return f"{where}: {self.message}"


class RecordError(ValueError):
    """Raised by a parser for one bad record; turned into a `Rejection` by its source."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class SourceError(RuntimeError):
    """The source as a whole failed (HTTP error, OAI-PMH error, unreadable file).

    The message is meant for the user as is; the checkpoint is kept.
    """


Item = PaperRecord | Signal | Rejection


class Source(Protocol):
    # Read-only members, so that a source may declare them as plain attributes of a narrower type.
    @property
    def name(self) -> str:
        """Recorded as the paper's source, e.g. "arxiv-oai", "file"."""
        ...

    @property
    def checkpoint_key(self) -> str | None:
        """Where its position is stored; None: not resumable (small inputs)."""
        ...

    def read(self, resume: Any | None = None) -> Iterator[Item]:
        """Yield items, starting from a position previously returned by `position()`."""
        ...

    def position(self) -> Any:
        """A JSON-able position such that resuming there misses nothing already yielded.

        It may point *before* the last yielded item (re-reading is harmless:
        ingest is idempotent) but never after it.
        """
        ...
