"""The server pair: PostgreSQL full-text search (weighted tsvector, GIN) and pgvector HNSW.

Both indexes live inside the database every paperfeed process already shares,
so any number of web workers see the same index without copying files. The
lexical side is the generated ``papers.search_tsv`` column (title weight A,
abstract B, authors C; revision 0002): the database keeps it current as papers
are stored, so `upsert` has nothing to do and keyword search never lags the store
(a refresh only counts what arrived).

Queries are composed from the parsed AST with tsquery *operators* on bound
parameters (``plainto_tsquery(:w) || ...``, ``&&``, ``!!``), never by pasting
user text into ``to_tsquery`` syntax, so no input can cause a syntax error or
reach the parser. Field clauses (``ti:``, ``au:``) check the matching weight
with ``ts_filter``. Highlighting is the engine's shared highlighter.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from sqlalchemy import text

from paperfeed.models import Paper
from paperfeed.search.backends import Backends, Ranked
from paperfeed.search.engine import HybridSearcher
from paperfeed.search.query import Clause, Filters, ParsedQuery, Phrase, Term
from paperfeed.store.postgres import PostgresStore

VECTOR_META = "search:postgres:vectors"  # checkpoint row: {"embedder", "dim", "seq"}
LEXICAL_META = "search:postgres:lexical"  # checkpoint row: {"seq"}, what refreshes have reported
# Our text search configurations (revision 0003): english / simple with accents folded, as tantivy does.
ENGLISH, SIMPLE = "paperfeed_english", "paperfeed_simple"
_WEIGHT_OF = {"title": "a", "abstract": "b", "author": "c"}
# ts_rank_cd weights in {D, C, B, A} order: title 1.0, abstract 0.5, authors 0.25 (tantivy boosts 2 : 1 : 0.5).
RANK_WEIGHTS = "{0.1, 0.25, 0.5, 1.0}"
RANK_NORMALIZATION = 1  # divide by 1 + log(document length): long abstracts do not win by length alone
ANALYZE_AFTER = 1000  # papers arrived since the last refresh that make it re-ANALYZE (autovacuum is slower)
COMMON_FREQ = 0.05  # a word in more than 5% of papers ranks candidates but does not select them
CANDIDATE_BUDGET = 5_000  # papers a keyword query may score; beyond it, the newest matches are scored
STATS_TTL_S = 600.0  # lexeme frequencies (idf) change slowly: re-read the planner's statistics every 10 min


@dataclass
class _Sql:
    """A WHERE fragment under construction, with its bound parameters."""

    params: dict[str, Any] = field(default_factory=dict)

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"


def _tsquery(sql: _Sql, clause: Clause) -> str:
    """The tsquery expression for one clause (a word or a phrase), analysed by the server."""
    words = (clause.text,) if isinstance(clause, Term) else clause.words
    fn = "phraseto_tsquery" if isinstance(clause, Phrase) else "plainto_tsquery"
    p = sql.bind(" ".join(words))
    if clause.field == "author":
        return f"{fn}('{SIMPLE}', {p})"
    if clause.field in ("title", "abstract"):
        return f"{fn}('{ENGLISH}', {p})"
    return f"({fn}('{ENGLISH}', {p}) || {fn}('{SIMPLE}', {p}))"


def _matches(sql: _Sql, clause: Clause) -> str:
    q = _tsquery(sql, clause)
    if clause.field == "all":
        return f"(search_tsv @@ {q})"
    # The unweighted test lets the GIN index find candidates; ts_filter checks the field.
    return f"(search_tsv @@ {q} AND ts_filter(search_tsv, '{{{_WEIGHT_OF[clause.field]}}}') @@ {q})"


def _rank_term(sql: _Sql, clause: Clause, idf: float) -> str:
    return f"{sql.bind(idf)} * ts_rank('{RANK_WEIGHTS}', search_tsv, {_tsquery(sql, clause)}, {RANK_NORMALIZATION})"


def _filter_sql(sql: _Sql, filters: Filters) -> list[str]:
    out = []
    if filters.since:
        out.append(f"published >= {sql.bind(filters.since.isoformat())}")
    if filters.until:
        out.append(f"published <= {sql.bind(filters.until.isoformat())}")
    if filters.categories:
        cats = sql.bind([c.lower() for c in filters.categories])
        out.append(
            "EXISTS (SELECT 1 FROM paper_categories pc "
            f"WHERE pc.paper_id = papers.id AND lower(pc.category) = ANY({cats}))"
        )
    if filters.exclude_categories:
        cats = sql.bind([c.lower() for c in filters.exclude_categories])
        out.append(
            "NOT EXISTS (SELECT 1 FROM paper_categories pc "
            f"WHERE pc.paper_id = papers.id AND lower(pc.category) = ANY({cats}))"
        )
    return out


class PgLexicalIndex:
    """`LexicalIndex` over ``papers.search_tsv`` (GIN), ranked with ``ts_rank_cd``."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self.engine = store.engine
        self._stats_cache: tuple[dict[str, float], float, float] | None = None
        self._stats_at = -STATS_TTL_S
        self._dates: list[str] | None = None
        self._dates_at = -STATS_TTL_S
        self.candidate_budget: int | None = CANDIDATE_BUDGET

    # -- the index is the table: nothing to write ------------------------------------
    def upsert(self, papers: Iterable[Paper]) -> int:
        """Nothing to write (the database indexed each paper as it was stored); counts them."""
        return sum(1 for _ in papers)

    def commit(self, seq: int) -> None:
        """Record how far refreshes have reported; after a bulk arrival, refresh the statistics (idf).

        Once per refresh, when it has caught up: an ANALYZE per batch cost ~10 s each
        at a million papers (the statistics target is 1000), 200 times over.
        """
        seq = int(seq)
        meta = self.store.get_checkpoint(LEXICAL_META) or {}
        analyzed = int(meta.get("analyzed", meta.get("seq", 0)))
        if seq >= self.store.max_seq() and seq - analyzed >= ANALYZE_AFTER:
            with self.store.write_engine.begin() as conn:
                conn.execute(text("SET LOCAL statement_timeout = 0"))
                conn.execute(text("ANALYZE papers"))
            self._stats_at = -STATS_TTL_S
            analyzed = seq
        self.store.set_checkpoint(LEXICAL_META, {"seq": seq, "analyzed": analyzed})

    def indexed_seq(self) -> int:
        meta = self.store.get_checkpoint(LEXICAL_META) or {}
        return int(meta.get("seq", 0))

    def count(self) -> int:
        return self.store.count_papers()

    def close(self) -> None:
        """The store owns the connections."""

    # -- queries ------------------------------------------------------------------------
    def _analyse(self, clauses: list[Clause]) -> list[list[str]]:
        """Each clause's lexemes after the server's analysis; [] for a stop word (it constrains nothing)."""
        if not clauses:
            return []
        probe = _Sql()
        exprs = [
            f"CASE WHEN numnode({_tsquery(probe, c)}) > 0 THEN "
            f"tsvector_to_array(to_tsvector('{SIMPLE if c.field == 'author' else ENGLISH}', "
            f"{probe.bind(' '.join((c.text,) if isinstance(c, Term) else c.words))})) END"
            for c in clauses
        ]
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT " + ", ".join(exprs)), probe.params).one()
        return [list(lexemes) if lexemes else [] for lexemes in row]

    def _freq(self, lexemes: list[str]) -> float:
        """The fraction of papers holding the rarest of these lexemes (0.0 when unknown: treated as rare)."""
        stats = self._stats()
        if stats is None or not lexemes:
            return 0.0
        freqs, floor, _ = stats
        return min(freqs.get(lx, floor) for lx in lexemes)

    def _idf(self, lexemes: list[str]) -> float:
        """BM25's idf for the rarest of a clause's lexemes, from the planner's statistics.

        PostgreSQL ranks without document frequencies, so a common word counts as
        much as a rare one; on SciFact train that costs 0.06 nDCG@10 (0.59 -> 0.65
        with idf). ANALYZE already records the frequency of the most common lexemes
        of ``search_tsv`` (statistics target 1000, revision 0002): a lexeme it does
        not list is rarer than all it does. No statistics yet: every idf is 1.
        """
        stats = self._stats()
        if stats is None or not lexemes:
            return 1.0
        n = stats[2]
        df = self._freq(lexemes) * n
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def _stats(self) -> tuple[dict[str, float], float, float] | None:
        now = time.monotonic()
        if now - self._stats_at > STATS_TTL_S:
            self._stats_at = now
            with self.engine.connect() as conn:
                row = conn.execute(
                    text(
                        "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples "
                        "FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename "
                        "WHERE s.schemaname = current_schema() AND s.tablename = 'papers' "
                        "AND s.attname = 'search_tsv' AND c.relnamespace = current_schema()::regnamespace"
                    )
                ).first()
            if row is None or not row[0] or not row[1] or not row[2] or row[2] <= 0:
                self._stats_cache = None
            else:
                elems, freqs = list(row[0]), list(row[1])
                floor = freqs[len(elems)] / 2  # after the per-element list: min, max, null fraction
                self._stats_cache = (dict(zip(elems, freqs[: len(elems)], strict=True)), floor, float(row[2]))
        return self._stats_cache

    def _conditions(
        self, sql: _Sql, query: ParsedQuery, ranked: bool, all_required: bool, narrow: bool = False
    ) -> tuple[list[str], str, float | None]:
        """(WHERE conditions, rank expression, estimated matches); "false" when nothing can match.

        The rank is the sum over the query's clauses of idf x ``ts_rank`` (weights
        title 1.0 / abstract 0.5 / authors 0.25, length-normalised): BM25's shape
        from PostgreSQL's parts. Chosen on SciFact train: ``ts_rank_cd`` over the
        whole query 0.44 nDCG@10, ``ts_rank`` 0.59, this 0.65 (tantivy BM25: 0.69).

        With `narrow`, words in more than `COMMON_FREQ` of the papers do not select
        candidates, they only rank them (Lucene's "cutoff frequency"): ranking every
        paper that contains "learning" costs seconds at 100k papers, and such papers
        rarely reach the top anyway. When every word is that common, all are required.

        The estimate (papers the conditions select, from the planner's lexeme
        frequencies, before filters) is None where it cannot be told (field clauses).
        """
        where: list[str] = []
        rank_parts: list[str] = []
        candidates = query.should if ranked else []
        analysed = self._analyse([*candidates, *query.must])
        flags = [bool(lx) for lx in analysed]
        should = [c for c, ok in zip(candidates, flags[: len(candidates)], strict=True) if ok]
        idf = {id(c): self._idf(lx) for c, lx in zip([*candidates, *query.must], analysed, strict=True)}
        freq = {id(c): self._freq(lx) for c, lx in zip([*candidates, *query.must], analysed, strict=True)}
        must_ok = flags[len(candidates) :]
        if ranked and query.should and not should and not query.must:
            return ["false"], "0", 0.0
        stats = self._stats()
        n = stats[2] if stats else None
        estimate: float | None = None
        if should:
            if all_required:
                where.extend(_matches(sql, c) for c in should)
                if n and all(c.field == "all" for c in should):
                    estimate = n * min(freq[id(c)] for c in should)
            elif all(c.field == "all" for c in should):  # one GIN lookup for "any of these words"
                select = should
                if narrow:
                    rare = [c for c in should if freq[id(c)] <= COMMON_FREQ]
                    select = rare or should
                    joint = " || " if rare else " && "
                else:
                    joint = " || "
                where.append("search_tsv @@ (" + joint.join(_tsquery(sql, c) for c in select) + ")")
                if n:
                    fs = [freq[id(c)] for c in select]
                    estimate = n * (min(fs) if joint == " && " else min(1.0, sum(fs)))
            else:
                where.append("(" + " OR ".join(_matches(sql, c) for c in should) + ")")
            rank_parts.extend(_rank_term(sql, c, idf[id(c)]) for c in should)
        for clause, ok in zip(query.must, must_ok, strict=True):
            if ok:
                where.append(_matches(sql, clause))
                rank_parts.append(_rank_term(sql, clause, idf[id(clause)]))
                if n and clause.field == "all":
                    estimate = min(estimate if estimate is not None else n, n * freq[id(clause)])
        for clause in query.must_not:
            where.append(f"NOT {_matches(sql, clause)}")
        where.extend(_filter_sql(sql, query.filters))
        rank = "(" + " + ".join(rank_parts) + ")" if rank_parts else "0"
        return where, rank, estimate

    def search(self, query: ParsedQuery, limit: int, offset: int = 0, order: str = "relevance") -> Ranked:
        if limit <= 0:
            return Ranked()
        budget = self.candidate_budget
        ranked = self._search(query, limit, offset, order, narrow=True, budget=budget)
        if ranked.ids or offset > 0 or order == "date" or not query.has_text:
            return ranked
        return self._search(query, limit, offset, order, narrow=False, budget=budget)  # only common words

    def _search(
        self, query: ParsedQuery, limit: int, offset: int, order: str, narrow: bool, budget: int | None
    ) -> Ranked:
        """One keyword query; a query matching more than `candidate_budget` papers scores only the newest.

        PostgreSQL must read every matching row to rank it (or to count it): a
        word in 40% of a million papers costs ~2 s however it is ranked. Beyond
        the budget the relevance ranking therefore runs over the newest matches
        (a ``published`` cut-off from the planner's histogram, so the GIN and
        date indexes select them together), and by-date order skips the exact
        count; the total is then the planner's estimate. If the window yields
        less than the page asked for, the query runs again without it.
        """
        by_date = order == "date" or not query.has_text
        sql = _Sql()
        where, rank_q, estimate = self._conditions(sql, query, ranked=True, all_required=order == "date", narrow=narrow)
        if not where and self._stats():
            estimate = self._stats()[2]  # type: ignore[index]  # every paper
        over = budget is not None and estimate is not None and estimate > budget
        window = None
        if over and not by_date:
            f = query.filters
            since, until = (d.isoformat() if d else None for d in (f.since, f.until))
            window = self._recent_cutoff(budget, estimate, since, until)  # type: ignore[arg-type]
        if window:
            where = [*where, f"published >= {sql.bind(window)}"]
        cond = " AND ".join(where) if where else "true"
        lim, off = sql.bind(limit), sql.bind(offset)
        counted = "0" if by_date and over else "count(*) OVER ()"
        if by_date:
            stmt = (
                f"SELECT id, 0.0 AS score, {counted} AS total FROM papers WHERE {cond} "
                f"ORDER BY published DESC NULLS LAST, id DESC LIMIT {lim} OFFSET {off}"
            )
        else:
            stmt = (
                f"SELECT id, {rank_q} AS score, "
                f"{counted} AS total FROM papers WHERE {cond} "
                f"ORDER BY score DESC, id LIMIT {lim} OFFSET {off}"
            )
        with self.engine.connect() as conn:
            rows = conn.execute(text(stmt), sql.params).all()
        if window and len(rows) < limit:
            return self._search(query, limit, offset, order, narrow, budget=None)
        if not rows:
            total = 0
            if offset > 0:  # a page past the end still reports how many matched
                total = int(estimate) if over and estimate is not None else self._count(cond, sql.params)
            return Ranked(total=total)
        total = int(rows[0][2])
        if over:
            total = max(total, int(estimate))  # type: ignore[arg-type]
        return Ranked(ids=[r[0] for r in rows], scores=[float(r[1]) for r in rows], total=total)

    def _count(self, cond: str, params: dict[str, Any]) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM papers WHERE {cond}"), params).scalar_one())

    def _recent_cutoff(self, budget: int, estimate: float, since: str | None, until: str | None) -> str | None:
        """The ``published`` date after which about `budget` of the `estimate` matches lie (pg_stats histogram).

        Matches are assumed spread like all papers; with a date range, only its part
        of the histogram counts. None when there is no histogram or no cut is needed.
        """
        now = time.monotonic()
        if self._dates is None or now - self._dates_at > STATS_TTL_S:
            self._dates_at = now
            with self.engine.connect() as conn:
                bounds = conn.execute(
                    text(
                        "SELECT histogram_bounds::text::text[] FROM pg_stats WHERE schemaname = current_schema() "
                        "AND tablename = 'papers' AND attname = 'published'"
                    )
                ).scalar()
            self._dates = list(bounds) if bounds else []
        dates = [d for d in self._dates if (not since or d >= since) and (not until or d <= until)]
        if len(dates) < 2 or not self._dates:
            return None
        in_range = estimate * len(dates) / len(self._dates)
        keep = budget / max(in_range, 1.0)
        if keep >= 1:
            return None
        return dates[min(len(dates) - 1, int((1.0 - keep) * (len(dates) - 1)))]

    def filter_ids(self, ids: Sequence[str], query: ParsedQuery) -> set[str]:
        if not ids:
            return set()
        sql = _Sql()
        where, _, _ = self._conditions(sql, query, ranked=False, all_required=False)
        cond = " AND ".join(where) if where else "true"
        # The candidates first (a few hundred at most), then the checks row by row: the planner
        # cannot turn this into a scan of every paper in a category, whatever its statistics say.
        stmt = (
            "WITH papers AS MATERIALIZED (SELECT id, published, search_tsv FROM public.papers "
            f"WHERE id = ANY({sql.bind(list(ids))})) SELECT id FROM papers WHERE {cond}"
        )
        with self.engine.connect() as conn:
            return set(conn.execute(text(stmt), sql.params).scalars())

    def more_like_this(self, paper: Paper, limit: int, max_terms: int = 25) -> Ranked:
        """The paper's most frequent lexemes (title counted twice), OR-ed and ranked; itself excluded.

        The tsquery is assembled by the server from lexemes it produced itself
        (``quote_literal``), not from user text.
        """
        if limit <= 0:
            return Ranked()
        stmt = text(
            """
            WITH terms AS (
                SELECT lexeme FROM (
                    SELECT unnest(tsvector_to_array(to_tsvector(CAST(:config AS regconfig), :title))) AS lexeme
                    UNION ALL SELECT unnest(tsvector_to_array(to_tsvector(CAST(:config AS regconfig), :title)))
                    UNION ALL SELECT unnest(tsvector_to_array(to_tsvector(CAST(:config AS regconfig), :abstract)))
                ) AS words WHERE length(lexeme) > 2
                GROUP BY lexeme ORDER BY count(*) DESC, lexeme LIMIT :max_terms
            ), q AS (
                SELECT CAST(string_agg(quote_literal(lexeme), ' | ') AS tsquery) AS q FROM terms
            )
            SELECT id, ts_rank_cd(CAST(:weights AS real[]), search_tsv, q.q, :norm) AS score, count(*) OVER ()
            FROM papers, q
            WHERE q.q IS NOT NULL AND search_tsv @@ q.q AND id <> :id
            ORDER BY score DESC, id LIMIT :limit
            """
        )
        params = {  # PostgreSQL text cannot hold NUL; no stored id or lexeme has one either
            "title": (paper.title or "").replace("\x00", " "),
            "abstract": (paper.abstract or "").replace("\x00", " "),
            "config": ENGLISH,
            "max_terms": max_terms,
            "weights": RANK_WEIGHTS,
            "norm": RANK_NORMALIZATION,
            "id": paper.id.replace("\x00", ""),
            "limit": limit,
        }
        with self.engine.connect() as conn:
            rows = conn.execute(stmt, params).all()
        if not rows:
            return Ranked()
        return Ranked(ids=[r[0] for r in rows], scores=[float(r[1]) for r in rows], total=int(rows[0][2]))


def _binary_copy(paper_ids: Sequence[str], vectors: np.ndarray) -> bytes:
    """(id, vector) rows in PostgreSQL's binary COPY format, the vector in pgvector's wire form.

    An INSERT per row spends its time turning 384 floats into text and back
    (~1,700 rows/s); the binary stream is built by numpy and parsed by the
    server without any float formatting.
    """
    n, dim = vectors.shape
    vec = np.empty((n, 8 + 4 * dim), dtype=np.uint8)  # len(int32) + dim(int16) + unused(int16) + floats
    vec[:, :4] = np.frombuffer(np.array([4 + 4 * dim], ">i4").tobytes(), np.uint8)
    vec[:, 4:6] = np.frombuffer(np.array([dim], ">i2").tobytes(), np.uint8)
    vec[:, 6:8] = 0
    vec[:, 8:] = np.ascontiguousarray(vectors, dtype=">f4").view(np.uint8).reshape(n, 4 * dim)
    parts = [b"PGCOPY\n\xff\r\n\x00", b"\x00" * 8]
    two_fields = (2).to_bytes(2, "big")
    for i, pid in enumerate(paper_ids):
        raw = pid.encode("utf-8")
        parts += [two_fields, len(raw).to_bytes(4, "big"), raw, vec[i, :4].tobytes(), vec[i, 4:].tobytes()]
    parts.append(b"\xff\xff")
    return b"".join(parts)


def _build_memory(conn: Any, dim: int) -> str:
    """``maintenance_work_mem`` for an HNSW build: enough for the whole graph, never less than the server's.

    pgvector builds fast only while the graph fits in memory; past that it says
    "hnsw graph no longer fits into maintenance_work_mem" and slows down many
    times. Each vector needs its floats plus ~0.5 kB of neighbour lists (m = 16).
    Capped at 4 GB: a bigger build should get its memory from the server's own
    setting, which is kept when it is larger.
    """
    rows = int(conn.execute(text("SELECT count(*) FROM paper_vectors")).scalar() or 0)
    need_kb = int(rows * (max(dim, 1) * 4 + 512) * 1.25 / 1024) + 65536
    current_kb = int(
        conn.execute(text("SELECT setting::bigint FROM pg_settings WHERE name = 'maintenance_work_mem'")).scalar() or 0
    )
    return f"{max(current_kb, min(need_kb, 4 * 1024 * 1024))}kB"


class PgVectorIndex:
    """`VectorIndex` on pgvector: ``paper_vectors`` with an HNSW index over cosine distance.

    A bulk (re)build loads without the index and builds it once at the end
    (much faster than growing the graph row by row); searches before that are
    exact scans, so results are right, just slower, while it builds.
    """

    INDEX = "ix_paper_vectors_hnsw"

    def __init__(self, store: PostgresStore, ef_search: int = 64, meta_ttl_s: float = 2.0) -> None:
        self.store = store
        self.engine = store.write_engine
        self.ef_search = ef_search
        self._meta_ttl = meta_ttl_s
        self._meta: dict[str, Any] = {}
        self._meta_at = 0.0

    # -- meta (which embedder, what dimension, how far) -------------------------------
    def _read_meta(self) -> dict[str, Any]:
        now = time.monotonic()
        if now - self._meta_at > self._meta_ttl:
            self._meta = self.store.get_checkpoint(VECTOR_META) or {}
            self._meta_at = now
        return self._meta

    def _write_meta(self, conn: Any, meta: dict[str, Any]) -> None:
        self.store._write_checkpoint(conn, VECTOR_META, meta)
        self._meta, self._meta_at = dict(meta), time.monotonic()

    @property
    def dim(self) -> int:
        return int(self._read_meta().get("dim", 0))

    def embedder_name(self) -> str | None:
        return self._read_meta().get("embedder")

    def indexed_seq(self) -> int:
        return int(self._read_meta().get("seq", 0))

    def backlog(self) -> list[dict]:
        return list(self._read_meta().get("backlog") or [])

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM paper_vectors")).scalar_one())

    def is_empty(self) -> bool:
        """One row looked up, not a million counted (count(*) took ~80 ms per query at 1M papers)."""
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT NOT EXISTS (SELECT 1 FROM paper_vectors)")).scalar() is True

    # -- writing ------------------------------------------------------------------------
    def reset(self, embedder_name: str, dim: int) -> None:
        """Empty the table and size its column for `dim`; the HNSW index is rebuilt at the end of the load."""
        with self.engine.begin() as conn:
            conn.execute(text("SET LOCAL statement_timeout = 0"))
            conn.execute(text("LOCK TABLE paper_vectors IN ACCESS EXCLUSIVE MODE"))
            conn.execute(text("TRUNCATE paper_vectors"))
            conn.execute(text(f"DROP INDEX IF EXISTS {self.INDEX}"))
            conn.execute(text(f"ALTER TABLE paper_vectors ALTER COLUMN embedding TYPE vector({int(dim)})"))
            self._write_meta(conn, {"embedder": embedder_name, "dim": int(dim), "seq": 0})

    def upsert(self, paper_ids: Sequence[str], vectors: np.ndarray) -> None:
        if not len(paper_ids):
            return
        meta = self._read_meta()
        if not meta.get("dim"):
            raise RuntimeError("vector index has no embedder yet: call reset(embedder_name, dim) first")
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(paper_ids), meta["dim"]):
            raise ValueError(f"expected vectors of shape ({len(paper_ids)}, {meta['dim']}), got {vectors.shape}")
        dim = int(meta["dim"])
        with self.engine.begin() as conn:
            conn.execute(text(f"CREATE TEMP TABLE _vectors_in (paper_id text, embedding vector({dim})) ON COMMIT DROP"))
            driver = conn.connection.driver_connection
            assert driver is not None, "a connection inside a transaction always has its driver connection"
            cursor = driver.cursor()
            with cursor, cursor.copy("COPY _vectors_in FROM STDIN WITH (FORMAT binary)") as copy:
                copy.write(_binary_copy(paper_ids, vectors))
            conn.execute(
                text(
                    "INSERT INTO paper_vectors (paper_id, embedding) SELECT paper_id, embedding FROM _vectors_in "
                    "ON CONFLICT (paper_id) DO UPDATE SET embedding = EXCLUDED.embedding"
                )
            )

    def commit(self, seq: int, backlog: list[dict] | None = None) -> None:
        """Record progress; once caught up with the store, build the HNSW index if it is missing."""
        with self.engine.begin() as conn:
            meta = dict(self.store.get_checkpoint(VECTOR_META) or {})
            meta["seq"] = int(seq)
            if backlog:
                meta["backlog"] = list(backlog)
            else:
                meta.pop("backlog", None)
            self._write_meta(conn, meta)
        if not backlog and seq >= self.store.max_seq():
            self.ensure_index()

    def ensure_index(self) -> None:
        """Build the HNSW index if missing; after a bulk load, refresh the planner's statistics too.

        Without fresh statistics a just-loaded table looks empty to the planner, which
        then picks plans (a category filter as a nested loop) that are 100x too slow
        until autovacuum's next analyze.
        """
        with self.engine.begin() as conn:
            exists = conn.execute(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": self.INDEX}).scalar()
            if exists:
                return
            conn.execute(text("SET LOCAL statement_timeout = 0"))
            conn.execute(
                text("SELECT set_config('maintenance_work_mem', :mem, true)"), {"mem": _build_memory(conn, self.dim)}
            )
            conn.execute(
                text(
                    f"CREATE INDEX IF NOT EXISTS {self.INDEX} ON paper_vectors "
                    "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
                )
            )
            for table in ("papers", "paper_categories", "paper_vectors"):
                conn.execute(text(f"ANALYZE {table}"))

    # -- reading ------------------------------------------------------------------------
    @staticmethod
    def _vector_param(vector: np.ndarray) -> list[float]:
        return np.asarray(vector, dtype=np.float32).reshape(-1).tolist()

    def search(self, vector: np.ndarray, limit: int) -> Ranked:
        if limit <= 0 or not self.dim:
            return Ranked()
        q = self._vector_param(vector)
        if len(q) != self.dim:
            raise ValueError(f"query vector has {len(q)} dimensions; the index holds {self.dim}")
        with self.store.engine.begin() as conn:
            conn.execute(
                text("SELECT set_config('hnsw.ef_search', :ef, true)"),
                {"ef": str(min(1000, max(self.ef_search, limit)))},
            )
            rows = conn.execute(
                text(
                    "SELECT paper_id, 1 - (embedding <=> CAST(CAST(:q AS real[]) AS vector)) AS score "
                    "FROM paper_vectors ORDER BY embedding <=> CAST(CAST(:q AS real[]) AS vector) LIMIT :k"
                ),
                {"q": q, "k": limit},
            ).all()
        return Ranked(ids=[r[0] for r in rows], scores=[float(r[1]) for r in rows], total=len(rows))

    def get(self, paper_ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not paper_ids:
            return {}
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT paper_id, CAST(embedding AS real[]) FROM paper_vectors WHERE paper_id = ANY(:ids)"),
                {"ids": list(paper_ids)},
            ).all()
        return {pid: np.asarray(vec, dtype=np.float32) for pid, vec in rows}

    def close(self) -> None:
        """The store owns the connections."""


class PostgresSearcher(HybridSearcher):
    """The hybrid searcher, with refreshes serialised across every process sharing the database.

    A second process that asks for a refresh waits for the first, then finds
    the indexes caught up (both read their progress from the database), so no
    paper is embedded twice and none is skipped.
    """

    store: PostgresStore

    _ADVISORY: ClassVar[dict[str, str]] = {"vectors": "search:refresh", "lexical": "search:refresh:lexical"}

    @contextmanager
    def _job(self, name: str, wait: bool = True) -> Iterator[bool]:
        """The thread lock, then the database-wide advisory lock of the same job."""
        with super()._job(name, wait) as got:
            if not got:
                yield False
                return
            with self.store.advisory_lock(self._ADVISORY[name], wait=wait) as held:
                yield held


def drop_indexes(store: PostgresStore) -> None:
    """Forget both indexes' progress and empty the vectors (`paperfeed index --rebuild`).

    The keyword index is the ``search_tsv`` column, always current, so only its
    checkpoint goes; the next refresh re-embeds from the store's embedding cache
    (nothing is computed twice) and builds the HNSW index once at the end.
    """
    with store.advisory_lock("search:refresh"), store.write_engine.begin() as conn:
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        conn.execute(text("LOCK TABLE paper_vectors IN ACCESS EXCLUSIVE MODE"))
        conn.execute(text("TRUNCATE paper_vectors"))
        conn.execute(text(f"DROP INDEX IF EXISTS {PgVectorIndex.INDEX}"))
        conn.execute(text("DELETE FROM checkpoints WHERE name IN (:v, :l)"), {"v": VECTOR_META, "l": LEXICAL_META})


def postgres_backends(store: PostgresStore) -> Backends:
    """The lexical + vector pair inside `store`'s database."""
    return Backends(lexical=PgLexicalIndex(store), vectors=PgVectorIndex(store))


def describe(store: PostgresStore) -> dict[str, Any]:
    """Index state for `paperfeed stats`-style diagnostics."""
    meta = store.get_checkpoint(VECTOR_META) or {}
    return {"lexical": "papers.search_tsv (GIN)", "vectors": json.dumps(meta)}
