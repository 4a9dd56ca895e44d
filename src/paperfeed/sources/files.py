"""Paper metadata from files: JSONL (arXiv listings, any of their schema
variants, the Kaggle arXiv snapshot, a BEIR ``corpus.jsonl``), CSV, and the
seed page's text format. Gzip is read transparently.

The format is recognised per record, not per file, because real dumps mix
layouts (``cate`` vs ``categories``, ``url`` vs ``pdf_url``). Reading is
streamed line by line, so memory does not grow with the file, and the
position is a line number (plus byte offset for plain files) so an
interrupted ingest resumes where its last stored batch ended.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from paperfeed.models import PaperRecord
from paperfeed.sources.base import Item, RecordError, Rejection, SourceError
from paperfeed.sources.normalize import (
    clean_text,
    hash_id,
    paper_id,
    parse_date,
    require_title,
    split_authors,
    split_categories,
)

FORMATS = ("auto", "jsonl", "csv", "seed", "beir")
_VERSION_IN_URL = re.compile(r"v(\d+)(?:\.pdf)?/?$")


def _first(d: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = d.get(key)
        if value not in (None, "", []):
            return value
    return None


def _arxiv_links(pid: str) -> tuple[str | None, str | None]:
    """Canonical abs/pdf links: derived from the id so every source agrees (and dedupes)."""
    if pid.startswith(("doi:", "h:", "beir:")):
        return None, None
    return f"https://arxiv.org/abs/{pid}", f"https://arxiv.org/pdf/{pid}"


def record_from_mapping(d: dict[str, Any], origin: str, source: str = "file") -> PaperRecord:
    """One arXiv-like metadata record of any common layout -> `PaperRecord`."""
    if not isinstance(d, dict):
        raise RecordError(None, f"expected a JSON object, got {type(d).__name__}")
    if "_id" in d and "text" in d and "id" not in d:
        return beir_record(d, origin)
    for key in ("title", "summary", "abstract"):
        if key in d and d[key] is not None and not isinstance(d[key], str):
            raise RecordError(key, f"expected text, got {type(d[key]).__name__}")
    title = require_title(d.get("title"))
    pid, version = paper_id(_first(d, "id", "arxiv_id", "paper_id"), "id", doi=d.get("doi"))
    url = _first(d, "url", "abs", "abs_url", "pdf", "pdf_url")
    if version is None and isinstance(url, str):
        m = _VERSION_IN_URL.search(url)
        version = int(m.group(1)) if m else None
    submitted = parse_date(_first(d, "published", "submitted", "created"), "published")
    updated = parse_date(_first(d, "updated"), "updated")
    versions = d.get("versions")
    if isinstance(versions, list) and versions:  # Kaggle / OAI snapshot
        try:
            submitted = parse_date(versions[0].get("created"), "versions[0].created")
            updated = parse_date(versions[-1].get("created"), f"versions[{len(versions) - 1}].created")
            version = max(version or 0, int(str(versions[-1].get("version", "v0")).lstrip("v") or 0)) or None
        except AttributeError:
            raise RecordError("versions", "expected a list of {version, created} objects") from None
    if updated is None:
        updated = parse_date(d.get("update_date"), "update_date")
    categories = split_categories(_first(d, "cate", "primary_category"))
    for cat in split_categories(_first(d, "categories", "category")):
        if cat not in categories:
            categories.append(cat)
    authors_value = _first(d, "authors_parsed") if not isinstance(d.get("authors"), list) else None
    authors = split_authors(authors_value if authors_value is not None else d.get("authors"))
    abs_url, pdf_url = _arxiv_links(pid)
    return PaperRecord(
        id=pid,
        version=version,
        title=title,
        abstract=clean_text(_first(d, "summary", "abstract")),
        authors=authors,
        categories=categories,
        submitted=submitted,
        updated=updated,
        announced=parse_date(_first(d, "first_seen_listing_file_date", "announced"), "first_seen_listing_file_date"),
        abs_url=abs_url,
        pdf_url=pdf_url,
        code_url=_first(d, "code_url", "github", "repo_url"),
        project_url=_first(d, "project_url", "project_page"),
        doi=clean_text(d.get("doi")) or None,
        comment=clean_text(_first(d, "comment", "comments")) or None,
        journal_ref=clean_text(_first(d, "journal-ref", "journal_ref")) or None,
        source=source,
        origin=origin,
    )


def beir_record(d: dict[str, Any], origin: str) -> PaperRecord:
    """A BEIR corpus document. BEIR ids are arbitrary strings, kept as ``beir:<_id>``."""
    raw_id = clean_text(d.get("_id"))
    if not raw_id:
        raise RecordError("_id", "missing")
    text = clean_text(d.get("text"))
    title = clean_text(d.get("title")) or text[:120]
    if not title:
        raise RecordError("title", "missing (and no text to derive it from)")
    return PaperRecord(id=f"beir:{raw_id}", title=title, abstract=text, source="beir", origin=origin)


def parse_seed_page(lines: list[str], origin: str) -> Iterator[PaperRecord | Rejection]:
    """The seed page: a header, then title and abstract lines in turn.

    The first title is glued to the word "Subscribe" (the button before it).
    """
    start = next((i for i, line in enumerate(lines) if line.startswith("Subscribe")), None)
    if start is None:
        raise SourceError(f"{origin}: not a seed page (no line starting with 'Subscribe')")
    body = [line.rstrip("\n") for line in lines[start:]]
    body[0] = body[0].removeprefix("Subscribe")
    for i in range(0, len(body) - 1, 2):
        title, abstract = clean_text(body[i]), clean_text(body[i + 1])
        where = f"{origin}:{start + i + 1}"
        if not title:
            yield Rejection(where, "title", "missing")
            continue
        yield PaperRecord(id=hash_id(title, abstract), title=title, abstract=abstract, source="seed", origin=where)


class FileSource:
    """A metadata file as a resumable `Source`."""

    def __init__(self, path: Path, fmt: str = "auto", source_name: str = "file") -> None:
        if fmt not in FORMATS:
            raise SourceError(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})")
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"{self.path}: no such file")
        self.name = source_name
        self.fmt = fmt if fmt != "auto" else self._guess_format()
        stat = self.path.stat()
        self._identity = {"size": stat.st_size, "mtime": int(stat.st_mtime)}
        self.checkpoint_key = f"file:{self.path.resolve()}"
        self.bytes_total = stat.st_size
        self.bytes_read = 0
        self._line = 0
        self._offset = 0
        self._done = False

    def _guess_format(self) -> str:
        name = self.path.name.lower().removesuffix(".gz")
        if name.endswith(".csv"):
            return "csv"
        if name.endswith(".txt"):
            return "seed"
        return "jsonl"

    def _open(self) -> tuple[IO[bytes], IO[bytes]]:
        raw = self.path.open("rb")
        if self.path.suffix == ".gz":
            return raw, gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
        return raw, raw

    def position(self) -> Any:
        if self._done:
            return None
        return {"line": self._line, "offset": self._offset, **self._identity}

    def read(self, resume: Any | None = None) -> Iterator[Item]:
        start_line = 0
        start_offset = 0
        if isinstance(resume, dict) and all(resume.get(k) == v for k, v in self._identity.items()):
            start_line = int(resume.get("line", 0))
            start_offset = int(resume.get("offset", 0))
        if self.fmt == "seed":
            yield from self._read_seed()
        elif self.fmt == "csv":
            yield from self._read_csv(start_line)
        else:
            yield from self._read_jsonl(start_line, start_offset)
        self._done = True

    def _read_jsonl(self, start_line: int, start_offset: int) -> Iterator[Item]:
        raw, stream = self._open()
        with raw:
            if stream is raw and start_offset:
                raw.seek(start_offset)
                line_no = start_line
            else:
                line_no = 0
                while line_no < start_line and stream.readline():
                    line_no += 1
            self._line, self._offset = line_no, raw.tell() if stream is raw else 0
            for line in stream:
                line_no += 1
                origin = f"{self.path.name}:{line_no}"
                self.bytes_read = raw.tell()
                if line.strip():
                    try:
                        obj = orjson.loads(line)
                        item: Item = record_from_mapping(obj, origin, self.name)
                    except orjson.JSONDecodeError as exc:
                        item = Rejection(origin, None, f"bad JSON: {exc}")
                    except RecordError as exc:
                        item = Rejection(origin, exc.field, exc.message)
                    # Position is advanced before yielding: once the consumer has
                    # this item, a resume must start after it.
                    self._line = line_no
                    if stream is raw:
                        self._offset = raw.tell()
                    yield item
                else:
                    self._line = line_no

    def _read_csv(self, start_line: int) -> Iterator[Item]:
        raw, stream = self._open()
        with raw:
            text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
            reader = csv.DictReader(text)
            for row_no, row in enumerate(reader, start=1):
                if row_no <= start_line:
                    continue
                origin = f"{self.path.name}:{reader.line_num}"
                self.bytes_read = raw.tell()
                try:
                    mapping = {k.strip(): _csv_value(v) for k, v in row.items() if k}
                    item: Item = record_from_mapping(mapping, origin, self.name)
                except RecordError as exc:
                    item = Rejection(origin, exc.field, exc.message)
                self._line = row_no
                yield item

    def _read_seed(self) -> Iterator[Item]:
        lines = self.path.read_text(encoding="utf-8").splitlines()
        self.bytes_read = self.bytes_total
        yield from parse_seed_page(lines, self.path.name)


def _csv_value(value: str | None) -> Any:
    """CSV cells holding JSON lists (authors, categories) are decoded; others kept."""
    if value is None:
        return None
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    return text
