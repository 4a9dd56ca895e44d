"""Paper id <-> small integer key, shared by the embedded indexes.

tantivy fast fields and usearch both want integer keys; paper ids are arbitrary
strings (arXiv ids, DOIs, ``beir:...``). Keys are handed out once and never
reused, so the mapping is an append-only file: a crash can at worst leave a key
that no index refers to yet, never a key that points at the wrong paper.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import orjson


class KeyMap:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._ids: list[str] = []
        self._keys: dict[str, int] = {}
        self._pending: list[str] = []
        self._offset = 0
        self.catch_up()

    def catch_up(self) -> None:
        """Read ids another process appended (a CLI `index` run beside a web server)."""
        if self._pending or not self.path.exists():
            return
        with self.path.open("rb") as fh:
            fh.seek(self._offset)
            data = fh.read()
        end = data.rfind(b"\n") + 1  # ignore a half-written last line
        for line in data[:end].splitlines():
            if line.strip():
                self._add(orjson.loads(line))
        self._offset += end

    def _add(self, paper_id: str) -> int:
        key = len(self._ids)
        self._ids.append(paper_id)
        self._keys[paper_id] = key
        return key

    def __len__(self) -> int:
        return len(self._ids)

    def key(self, paper_id: str) -> int | None:
        return self._keys.get(paper_id)

    def keys(self, paper_ids: Iterable[str]) -> list[int]:
        """Keys of the known ids (unknown ones are left out)."""
        get = self._keys.get
        return [k for k in (get(i) for i in paper_ids) if k is not None]

    def ensure(self, paper_id: str) -> int:
        """The key of `paper_id`, handing out a new one if needed (call `flush` before using it on disk)."""
        key = self._keys.get(paper_id)
        if key is None:
            key = self._add(paper_id)
            self._pending.append(paper_id)
        return key

    def id(self, key: int) -> str:
        if key >= len(self._ids):
            self.catch_up()
        return self._ids[key]

    def ids(self, keys: list[int]) -> list[str]:
        if keys and max(keys) >= len(self._ids):
            self.catch_up()
        ids = self._ids
        return [ids[k] for k in keys]

    def flush(self) -> None:
        """Append new ids durably, before any index that uses their keys is committed."""
        if not self._pending:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as fh:
            blob = b"".join(orjson.dumps(i) + b"\n" for i in self._pending)
            fh.write(blob)
            fh.flush()
            os.fsync(fh.fileno())
        self._offset += len(blob)
        self._pending.clear()
