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
import zlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any

import orjson

from paperfeed.models import PaperRecord
from paperfeed.sources.base import Item, RecordError, Rejection, SourceError
from paperfeed.sources.normalize import (
    capped,
    clean_text,
    hash_id,
    kind_of,
    paper_id,
    parse_date,
    require_title,
    split_authors,
    split_categories,
    text_field,
    web_url,
)

FORMATS = ("auto", "jsonl", "csv", "seed", "beir")
MAX_LINE_BYTES = 1 << 20  # one JSON record; the largest real ones are under 20 KB
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
    """One arXiv-like metadata record of any common layout -> `PaperRecord`.

    Every field is checked for its type and size here, so a bad record becomes one
    `RecordError` naming its field instead of an exception in the middle of a stored
    batch (which used to abort the whole run and keep nothing).
    """
    if not isinstance(d, dict):
        raise RecordError(None, f"expected a JSON object, got {type(d).__name__}")
    if "_id" in d and "text" in d and "id" not in d:
        return beir_record(d, origin)
    title = require_title(d.get("title"))
    abstract_key = "summary" if d.get("summary") not in (None, "") else "abstract"
    abstract = text_field(d.get(abstract_key), abstract_key, "abstract")
    id_key = next((k for k in ("id", "arxiv_id", "paper_id") if d.get(k) not in (None, "", [])), "id")
    raw_id = d.get(id_key)
    if raw_id is not None and not isinstance(raw_id, str):
        raise RecordError(id_key, f"expected an id as text, got {kind_of(raw_id)}")
    doi = text_field(d.get("doi"), "doi") or None
    pid, version = paper_id(raw_id, id_key, doi=doi)
    url = _first(d, "url", "abs", "abs_url", "pdf", "pdf_url")
    if version is None and isinstance(url, str):
        m = _VERSION_IN_URL.search(url)
        version = int(m.group(1)) if m else None
    submitted = parse_date(_first(d, "published", "submitted", "created"), "published")
    updated = parse_date(_first(d, "updated"), "updated")
    versions = d.get("versions")
    if versions not in (None, "", []):  # Kaggle / OAI snapshot
        submitted, updated, latest = _versions(versions)
        version = max(version or 0, latest) or None
    if updated is None:
        updated = parse_date(d.get("update_date"), "update_date")
    categories = split_categories(_first(d, "cate", "primary_category"), "cate")
    for cat in split_categories(_first(d, "categories", "category"), "categories"):
        if cat not in categories:
            categories.append(cat)
    if isinstance(d.get("authors"), list) or _first(d, "authors_parsed") is None:
        authors = split_authors(d.get("authors"), "authors")
    else:
        authors = split_authors(d.get("authors_parsed"), "authors_parsed")
    abs_url, pdf_url = _arxiv_links(pid)
    code_key = next((k for k in ("code_url", "github", "repo_url") if d.get(k) not in (None, "", [])), "code_url")
    project_key = "project_url" if d.get("project_url") not in (None, "", []) else "project_page"
    comment_key = "comment" if d.get("comment") not in (None, "", []) else "comments"
    journal_key = "journal-ref" if d.get("journal-ref") not in (None, "", []) else "journal_ref"
    announced_key = "first_seen_listing_file_date" if d.get("first_seen_listing_file_date") else "announced"
    return PaperRecord(
        id=pid,
        version=version,
        title=title,
        abstract=abstract,
        authors=authors,
        categories=categories,
        submitted=submitted,
        updated=updated,
        announced=parse_date(d.get(announced_key), announced_key),
        abs_url=abs_url,
        pdf_url=pdf_url,
        code_url=web_url(d.get(code_key), code_key),
        project_url=web_url(d.get(project_key), project_key),
        doi=doi,
        comment=text_field(d.get(comment_key), comment_key, "comment") or None,
        journal_ref=text_field(d.get(journal_key), journal_key, "journal_ref") or None,
        source=source,
        origin=origin,
    )


def _versions(versions: object) -> tuple[date | None, date | None, int]:
    """(first created, last created, latest version number) of a Kaggle/OAI ``versions`` list."""
    shape = "expected a list of {version: 'v1', created: date} objects"
    if not isinstance(versions, list) or not all(isinstance(v, dict) for v in versions):
        raise RecordError("versions", shape)
    numbers = []
    for i, v in enumerate(versions):
        label = v.get("version", "v0")
        m = re.fullmatch(r"v?(\d{1,4})", label) if isinstance(label, str) else None
        if m is None:
            raise RecordError(f"versions[{i}].version", f"'{str(label)[:20]}' is not a version like v1")
        numbers.append(int(m.group(1)))
    last = len(versions) - 1
    first_created = parse_date(versions[0].get("created"), "versions[0].created")
    last_created = parse_date(versions[-1].get("created"), f"versions[{last}].created")
    return first_created, last_created, max(numbers)


def beir_record(d: dict[str, Any], origin: str) -> PaperRecord:
    """A BEIR corpus document. BEIR ids are arbitrary strings, kept as ``beir:<_id>``."""
    raw_id = d.get("_id")
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)
    raw_id = text_field(raw_id, "_id", "doi")
    if not raw_id:
        raise RecordError("_id", "missing")
    text = text_field(d.get("text"), "text", "abstract")
    title = text_field(d.get("title"), "title") or text[:120]
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
        try:
            capped(title, "title")
            capped(abstract, "abstract")
        except RecordError as exc:
            yield Rejection(where, exc.field, exc.message)
            continue
        yield PaperRecord(id=hash_id(title, abstract), title=title, abstract=abstract, source="seed", origin=where)


class FileSource:
    """A metadata file as a resumable `Source`."""

    def __init__(self, path: Path, fmt: str = "auto", source_name: str = "file") -> None:
        if fmt not in FORMATS:
            raise SourceError(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})")
        self.path = Path(path)
        if self.path.is_dir():
            raise SourceError(f"{self.path}: is a directory; give the files in it (e.g. {self.path}/*.jsonl)")
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
            for line in _lines(stream, self.path.name, line_no):
                line_no += 1
                origin = f"{self.path.name}:{line_no}"
                self.bytes_read = raw.tell()
                if isinstance(line, Rejection):  # the compressed stream broke: nothing more to read
                    self._line = line_no
                    yield line
                    return
                if line.strip():
                    item: Item
                    if len(line) > MAX_LINE_BYTES:
                        item = Rejection(origin, None, f"line is {len(line):,} bytes; the limit is {MAX_LINE_BYTES:,}")
                    else:
                        try:
                            item = record_from_mapping(orjson.loads(line), origin, self.name)
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
        """Rows as records; a quoting error rejects its row and reading resumes on the next line.

        The reader is strict: an unterminated quote used to swallow every row after it
        into one field, silently. Now the row is rejected with the line its quote opened
        on, and the rows after it are read again from the following line.
        """
        header: list[str] | None = None
        resume_at = 1  # physical line to start reading data from (after the header)
        row_no = 0
        while True:
            restart = None
            raw, stream = self._open()
            with raw:
                text = io.TextIOWrapper(stream, encoding="utf-8", newline="", errors="replace")
                lines = _counted(text)
                if header is None:
                    try:
                        header = next(csv.reader(lines, strict=True), None)
                    except csv.Error as exc:
                        raise SourceError(f"{self.path}: the header line is not valid CSV ({exc})") from None
                    if header is None:
                        return
                    resume_at = lines.count + 1
                else:
                    for _ in range(resume_at - 1):
                        if next(lines, None) is None:
                            return
                reader = csv.reader(lines, strict=True)
                keys = [k.strip() for k in header]
                while True:
                    first_line = lines.count + 1
                    try:
                        cells = next(reader)
                    except StopIteration:
                        return
                    except (csv.Error, EOFError, OSError) as exc:
                        row_no += 1
                        self._line = row_no
                        where = f"{self.path.name}:{first_line}"
                        if isinstance(exc, csv.Error):
                            yield Rejection(where, None, f"CSV quoting error in the row starting here: {exc}")
                            restart = first_line + 1
                            break
                        yield Rejection(where, None, f"the file breaks off here ({exc}); rows before it are kept")
                        return
                    if not cells:
                        continue
                    row_no += 1
                    if row_no <= start_line:
                        continue
                    origin = f"{self.path.name}:{first_line}"
                    self.bytes_read = raw.tell()
                    item: Item
                    if len(cells) > len(keys):
                        item = Rejection(origin, None, f"has {len(cells)} cells; the header has {len(keys)}")
                    else:
                        try:
                            mapping = {k: _csv_value(v) for k, v in zip(keys, cells, strict=False) if k}
                            item = record_from_mapping(mapping, origin, self.name)
                        except RecordError as exc:
                            item = Rejection(origin, exc.field, exc.message)
                    self._line = row_no
                    yield item
            if restart is None:
                return
            resume_at = restart

    def _read_seed(self) -> Iterator[Item]:
        lines = self.path.read_text(encoding="utf-8").splitlines()
        self.bytes_read = self.bytes_total
        yield from parse_seed_page(lines, self.path.name)


class _counted:
    """Iterates a text stream's lines, counting them (csv needs physical line numbers)."""

    def __init__(self, text: IO[str]) -> None:
        self.text = text
        self.count = 0

    def __iter__(self) -> _counted:
        return self

    def __next__(self) -> str:
        line = self.text.readline()
        if not line:
            raise StopIteration
        self.count += 1
        return line


def _lines(stream: IO[bytes], name: str, before: int) -> Iterator[bytes | Rejection]:
    """The stream's lines; a damaged compressed file ends them with a `Rejection` saying where.

    A truncated or corrupt .gz used to raise out of the run, losing the batch in hand;
    now every line read before the damage is kept and the break is reported.
    """
    line_no = before
    while True:
        try:
            line = stream.readline()
        except (EOFError, OSError, zlib.error) as exc:
            yield Rejection(
                f"{name}:{line_no + 1}",
                None,
                f"the compressed file breaks off after line {line_no} ({exc}); the lines before it are kept",
            )
            return
        if not line:
            return
        line_no += 1
        yield line


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
