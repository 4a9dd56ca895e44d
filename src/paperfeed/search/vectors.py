"""The embedded vector index: usearch HNSW (cosine, f16) persisted beside the database.

usearch was picked for its small footprint and incremental adds (issue 3
measured hnswlib/faiss/usearch at 0.5-1 ms p50 on 200k vectors). Vectors are
stored as f16: half the memory of f32 at no measurable cost to cosine ranking,
which is what keeps 1M x 384 dims under the 2 GB RSS target. Saves are atomic
(write a temporary file, then rename), and a state file records which embedder
made the vectors, so switching embedders rebuilds instead of mixing spaces.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from usearch.index import Index

from paperfeed.search.backends import Ranked
from paperfeed.search.keys import KeyMap

FORMAT_VERSION = 1


class UsearchIndex:
    """`VectorIndex` on usearch. Keys come from the shared `KeyMap`."""

    def __init__(
        self,
        path: Path,
        keys: KeyMap,
        connectivity: int = 16,
        expansion_add: int = 64,
        expansion_search: int = 64,
        dtype: str = "f16",
        threads: int = 0,
    ) -> None:
        self.path = path
        self.keys = keys
        self._file = path / "vectors.usearch"
        self._state_path = path / "state.json"
        self._dtype = dtype
        self._graph = {
            "connectivity": connectivity,
            "expansion_add": expansion_add,
            "expansion_search": expansion_search,
        }
        self._threads = threads  # for bulk adds; 0 = every core (an index build is a batch job)
        self._lock = threading.Lock()  # usearch allows concurrent reads, not reads during a resize
        self._mtime: int | None = None  # st_mtime_ns of the vectors file and of the state file last read
        self._state_mtime: int | None = None
        state = self._read_state()
        self._embedder: str | None = state.get("embedder")
        self.dim: int = int(state.get("dim", 0))
        self._seq = int(state.get("seq", 0))
        self._backlog: list[dict] = list(state.get("backlog") or [])
        self._index: Index | None = None
        if state.get("format") == FORMAT_VERSION and self.dim and self._file.exists():
            self._index = self._new_index(self.dim)
            self._index.load(str(self._file))
            self._mtime = self._file.stat().st_mtime_ns
            self._state_mtime = self._state_path.stat().st_mtime_ns
        elif state:
            self._embedder, self.dim, self._seq, self._backlog = None, 0, 0, []  # unknown layout: start over

    def _new_index(self, dim: int) -> Index:
        o = self._graph
        return Index(
            ndim=dim,
            metric="cos",
            dtype=self._dtype,
            connectivity=o["connectivity"],
            expansion_add=o["expansion_add"],
            expansion_search=o["expansion_search"],
            multi=False,
        )

    def _read_state(self) -> dict:
        try:
            return json.loads(self._state_path.read_text())
        except (OSError, ValueError):
            return {}

    def _reload_if_changed(self) -> None:
        """Pick up a save made by another process (`paperfeed index` or the background job beside a server).

        The vectors file and the state file are checked apart: a save replaces
        the vectors first and the state (how far the walk got) just after, so a
        reader that came in between must still pick the new state up later.
        """
        if not self._file.exists():
            return
        mtime = self._file.stat().st_mtime_ns
        try:
            state_mtime: int | None = self._state_path.stat().st_mtime_ns
        except OSError:
            state_mtime = None
        if mtime == self._mtime and state_mtime == self._state_mtime:
            return
        state = self._read_state()
        if not state.get("dim"):
            return
        index = self._index
        if mtime != self._mtime or index is None or int(state["dim"]) != self.dim:
            index = self._new_index(int(state["dim"]))
            index.load(str(self._file))
        with self._lock:
            self._index, self.dim, self._embedder = index, int(state["dim"]), state.get("embedder")
            self._seq, self._mtime, self._state_mtime = int(state.get("seq", 0)), mtime, state_mtime
            self._backlog = list(state.get("backlog") or [])

    @contextmanager
    def writer_lock(self, wait: bool = True) -> Iterator[bool]:
        """Hold the index's cross-process writer lock (a `flock` beside the files); yields whether it was got.

        Each writer saves its whole in-memory index, so two processes embedding
        at once (`paperfeed index` beside a server's background job) would
        overwrite each other's work; with the lock the second waits, then
        reloads and finds the walk done.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        with (self.path / "writer.lock").open("a+b") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                self._reload_if_changed()  # start from the last save, whoever made it
                yield True
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    # -- contract -----------------------------------------------------------------
    def embedder_name(self) -> str | None:
        return self._embedder

    def indexed_seq(self) -> int:
        return self._seq

    def backlog(self) -> list[dict]:
        self._reload_if_changed()
        return list(self._backlog)

    def count(self) -> int:
        return len(self._index) if self._index is not None else 0

    def is_empty(self) -> bool:
        return self.count() == 0

    def reset(self, embedder_name: str, dim: int) -> None:
        with self._lock:
            self._index = self._new_index(dim)
            self._embedder, self.dim, self._seq, self._backlog = embedder_name, dim, 0, []

    def upsert(self, paper_ids: Sequence[str], vectors: np.ndarray) -> None:
        if not len(paper_ids):
            return
        if self._index is None:
            raise RuntimeError("vector index has no embedder yet: call reset(embedder_name, dim) first")
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(paper_ids), self.dim):
            raise ValueError(f"expected vectors of shape ({len(paper_ids)}, {self.dim}), got {vectors.shape}")
        keys = np.array([self.keys.ensure(i) for i in paper_ids], dtype=np.uint64)
        with self._lock:
            present = np.asarray(self._index.contains(keys), dtype=bool).reshape(-1)
            if present.any():
                self._index.remove(keys[present])
            self._index.add(keys, vectors, threads=self._threads)

    def commit(self, seq: int, backlog: list[dict] | None = None) -> None:
        self.keys.flush()
        self.path.mkdir(parents=True, exist_ok=True)
        if self._index is not None:
            tmp = self._file.with_suffix(".tmp")
            with self._lock:
                self._index.save(str(tmp))
            os.replace(tmp, self._file)
            self._mtime = self._file.stat().st_mtime_ns
        self._seq, self._backlog = seq, list(backlog or [])
        state: dict[str, Any] = {"format": FORMAT_VERSION, "embedder": self._embedder, "dim": self.dim, "seq": seq}
        if self._backlog:
            state["backlog"] = self._backlog
        tmp_state = self._state_path.with_suffix(".tmp")
        tmp_state.write_text(json.dumps(state))
        os.replace(tmp_state, self._state_path)
        self._state_mtime = self._state_path.stat().st_mtime_ns

    def search(self, vector: np.ndarray, limit: int) -> Ranked:
        self._reload_if_changed()
        index = self._index
        if index is None or len(index) == 0 or limit <= 0:
            return Ranked()
        matches = index.search(np.asarray(vector, dtype=np.float32), min(limit, len(index)))
        keys = [int(k) for k in matches.keys]
        scores = [1.0 - float(d) for d in matches.distances]
        return Ranked(ids=self.keys.ids(keys), scores=scores, total=len(keys))

    def get(self, paper_ids: Sequence[str]) -> dict[str, np.ndarray]:
        self._reload_if_changed()
        index = self._index
        out: dict[str, np.ndarray] = {}
        if index is None:
            return out
        for pid in paper_ids:
            key = self.keys.key(pid)
            if key is None:
                continue
            vec = index.get(key)
            if vec is not None:
                out[pid] = np.asarray(vec, dtype=np.float32).reshape(-1)
        return out

    def close(self) -> None:
        self._index = None
