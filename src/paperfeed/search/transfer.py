"""Moving cached vectors between installs: `paperfeed index export FILE` / `import FILE`.

One machine with a GPU (or a quiet night) can embed for many installs: the
embedding cache is keyed by model name and a hash of the embedded text, so
its rows mean the same thing everywhere. The file is a stream, written and
read a chunk at a time (a million papers' vectors do not fit in memory twice):

    b"PFVEC1\\n"
    one JSON line: {"model": ..., "dim": ..., "dtype": "<f4"}
    records: 32 ASCII hex digits of the text hash, then `dim` little-endian float32

An import refuses a file made by another model (its vectors live in another
space), and stores only rows the cache lacks, so it never changes a stored vector.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np

from paperfeed.store.base import Store

MAGIC = b"PFVEC1\n"
KEY_BYTES = 32
IMPORT_CHUNK = 2000
_HEX = re.compile(rb"^[0-9a-f]{32}$")


class TransferError(ValueError):
    """A file that cannot be imported; the message names the file and what is wrong."""


def export_vectors(store: Store, model: str, path: Path) -> int:
    """Write every cached vector of `model` to `path` (atomically: a temporary file, then a rename)."""
    tmp = path.with_name(path.name + ".tmp")
    n, dim = 0, None
    with tmp.open("wb") as fh:
        fh.write(MAGIC)
        header_at = fh.tell()
        fh.write(b" " * 200 + b"\n")  # the header is filled in once the dimension is known
        for batch in store.iter_embeddings(model):
            for key, vec in batch.items():
                raw = key.encode("ascii")
                if len(raw) != KEY_BYTES:
                    continue  # not a text hash of ours
                v = np.asarray(vec, dtype="<f4").reshape(-1)
                if dim is None:
                    dim = int(v.shape[0])
                if v.shape[0] != dim:
                    continue
                fh.write(raw)
                fh.write(v.tobytes())
                n += 1
        header = json.dumps({"model": model, "dim": dim or 0, "dtype": "<f4", "count": n}).encode()
        if len(header) > 200:
            raise TransferError(f"model name too long to export: {model!r}")
        fh.seek(header_at)
        fh.write(header.ljust(200))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return n


def read_header(path: Path) -> dict:
    """The file's header (model, dim, count); a clear `TransferError` for anything else."""
    try:
        with path.open("rb") as fh:
            return _header(fh, path)
    except OSError as exc:
        raise TransferError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def _header(fh: BinaryIO, path: Path) -> dict:
    if fh.read(len(MAGIC)) != MAGIC:
        raise TransferError(f"{path}: not a paperfeed vectors file (made by `paperfeed index export`)")
    line = fh.readline()
    try:
        header = json.loads(line)
        header["model"], header["dim"] = str(header["model"]), int(header["dim"])
    except (ValueError, KeyError, TypeError) as exc:
        raise TransferError(f"{path}: unreadable header ({exc})") from exc
    if header.get("dtype", "<f4") != "<f4" or header["dim"] < 0:
        raise TransferError(f"{path}: unsupported vector layout {header.get('dtype')!r}, dim {header['dim']}")
    return header


def import_vectors(
    store: Store, model: str, dim: int, path: Path, progress: Callable[[int], None] | None = None
) -> tuple[int, int]:
    """Put the file's vectors into the cache for `model`; returns (read, stored ones the cache lacked).

    Refuses, before storing anything, a file of another model or dimension.
    A damaged record stops the import with its number; the chunks before it
    stay stored (each is a whole, valid set of rows).
    """
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise TransferError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    read = stored = 0
    with fh:
        header = _header(fh, path)
        if header["model"] != model:
            raise TransferError(
                f"{path} holds vectors of model {header['model']!r}, but this install embeds with {model!r}: "
                "vectors of two models are not comparable (set PAPERFEED_EMBEDDER to match, or re-export)"
            )
        if header["dim"] not in (0, dim):
            raise TransferError(f"{path}: vectors have {header['dim']} dimensions; {model} makes {dim}")
        size = KEY_BYTES + 4 * dim
        while True:
            blob = fh.read(size * IMPORT_CHUNK)
            if not blob:
                break
            if len(blob) % size:
                whole = len(blob) // size
                raise TransferError(f"{path}: truncated in record {read + whole + 1} (the file is incomplete)")
            items: dict[str, np.ndarray] = {}
            for i in range(len(blob) // size):
                rec = blob[i * size : (i + 1) * size]
                key = rec[:KEY_BYTES]
                if not _HEX.match(key):
                    raise TransferError(f"{path}: record {read + i + 1} has a malformed text hash")
                vec = np.frombuffer(rec[KEY_BYTES:], dtype="<f4").astype(np.float32)
                if not np.all(np.isfinite(vec)):
                    raise TransferError(f"{path}: record {read + i + 1} ({key.decode()}) has non-finite values")
                items[key.decode()] = vec
            before = len(store.get_embeddings(model, list(items)))
            store.put_embeddings(model, items)
            read += len(items)
            stored += len(items) - before
            if progress:
                progress(read)
    return read, stored
