"""Papers-with-Code style links files: paper -> code repository -> GitHub stars.

A CSV with at least ``paper_arxiv_id``, ``repo_url`` and ``stars`` columns
(``is_official`` optional), as in the enriched PwC links dumps. Each paper
yields one cumulative `Signal` (``github_stars``, source ``pwc``) observed at
import time, or at ``observed_at`` when the caller knows the capture time;
trending differences successive imports into a rise.

Why no `PaperRecord`s: a links row carries a title and a repository but none
of the paper's own metadata, so a record would either create a stub paper
(no abstract, no date) or let PwC's title overwrite the arXiv one. Code links
are kept in `code_urls` instead; `code_url_records` turns them into records
only for papers already stored and only where the paper has no code link.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from paperfeed.models import Paper, PaperRecord, Signal
from paperfeed.sources.base import Item, RecordError, Rejection, SourceError
from paperfeed.sources.normalize import arxiv_id

REQUIRED = ("paper_arxiv_id", "repo_url", "stars")


@dataclass(slots=True)
class _Link:
    repo_url: str
    stars: int
    official: bool


def _stars(raw: str | None) -> int:
    text = (raw or "").strip().replace(",", "")
    if not text:
        raise RecordError("stars", "missing")
    try:
        value = int(float(text))
    except ValueError:
        raise RecordError("stars", f"not a number: '{text[:40]}'") from None
    if value < 0:
        raise RecordError("stars", f"negative: {value}")
    return value


def _repo(raw: str | None) -> str:
    text = (raw or "").strip()
    if not text.startswith(("https://", "http://")):
        raise RecordError("repo_url", f"not a URL: '{text[:80]}'" if text else "missing")
    return text


class PwcLinksSource:
    """Reads one links CSV; implements `paperfeed.sources.base.Source` (not resumable: small input)."""

    name = "pwc"
    checkpoint_key = None

    def __init__(self, path: Path, observed_at: datetime | None = None) -> None:
        self.path = Path(path)
        self.observed_at = observed_at or datetime.now(UTC).replace(microsecond=0)
        self.code_urls: dict[str, str] = {}  # paper id -> the repository its stars come from

    def position(self) -> Any:
        return None

    def read(self, resume: Any | None = None) -> Iterator[Item]:
        """Yield one github_stars `Signal` per paper (after all rows are read), and a `Rejection` per bad row."""
        best: dict[str, _Link] = {}
        try:
            handle = self.path.open(newline="", encoding="utf-8")
        except OSError as exc:
            raise SourceError(f"{self.path}: cannot read ({exc.strerror or exc})") from exc
        with handle:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
            if missing:
                raise SourceError(f"{self.path}: not a links file, missing column(s) {', '.join(missing)}")
            for line, row in enumerate(reader, start=2):
                origin = f"{self.path.name}:{line}"
                if row.get("stars") == "stars":
                    yield Rejection(origin, None, "a repeated header row")
                    continue
                try:
                    link = self._parse(row)
                except RecordError as exc:
                    yield Rejection(origin, exc.field, exc.message)
                    continue
                pid, value = link
                if _better(value, best.get(pid)):
                    best[pid] = value
        for pid, chosen in best.items():
            self.code_urls[pid] = chosen.repo_url
            yield Signal(
                paper_id=pid,
                source=self.name,
                kind="github_stars",
                value=float(chosen.stars),
                observed_at=self.observed_at,
            )

    @staticmethod
    def _parse(row: dict[str, str]) -> tuple[str, _Link]:
        raw_id = (row.get("paper_arxiv_id") or "").strip()
        if not raw_id:
            raise RecordError("paper_arxiv_id", "missing: a link without an arXiv id cannot be matched to a paper")
        pid, _version = arxiv_id(raw_id, "paper_arxiv_id")
        official = (row.get("is_official") or "").strip().lower() in ("true", "1", "yes")
        return pid, _Link(_repo(row.get("repo_url")), _stars(row.get("stars")), official)


def _better(candidate: _Link, current: _Link | None) -> bool:
    """The paper's own (official) repository wins; among equals, the most starred one."""
    if current is None:
        return True
    return (candidate.official, candidate.stars) > (current.official, current.stars)


def code_url_records(code_urls: dict[str, str], stored: list[Paper]) -> list[PaperRecord]:
    """Records that fill `code_url` on stored papers that have none (never overwrite a link)."""
    return [
        PaperRecord(id=p.id, title=p.title, code_url=code_urls[p.id], source=PwcLinksSource.name)
        for p in stored
        if not p.code_url and code_urls.get(p.id)
    ]
