"""The hybrid `Searcher`: keyword top-N + semantic top-N -> fusion -> filters -> page of Hits.

It knows only the two backend protocols (`backends.py`), the store and an
embedder, so the embedded pair and a PostgreSQL pair give the same behaviour.
Semantic search is an improvement, never a dependency: without an embedder,
with an empty vector index, or when embedding the query fails, a search
degrades to keyword matches and says so in `SearchResults.notice`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from paperfeed.models import Paper
from paperfeed.search.backends import Backends, Ranked
from paperfeed.search.backlog import Coverage
from paperfeed.search.base import Hit, PaperNotFound, QueryError, SearchRequest, SearchResults
from paperfeed.search.fusion import FusionParams, RescoreParams, fuse, two_stage
from paperfeed.search.highlight import highlight, query_stems
from paperfeed.search.query import Filters, ParsedQuery, Phrase, Term, parse_query, split_words
from paperfeed.store.base import Store

if TYPE_CHECKING:
    from paperfeed.search.embed import Embedder

log = logging.getLogger(__name__)

MAX_PAGE_SIZE = 100
# Hybrid queries fetch keyword candidates here while the calling thread embeds the query and searches
# the vectors: the two wait on different things (a server round trip, tantivy and usearch, numpy), all
# outside the GIL. Shared by every searcher in the process; threads are made only when needed.
_KEYWORD_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="paperfeed-keyword")
MAX_DEPTH = 1000  # deepest result a page may reach; deeper paging is not a search use


@dataclass(frozen=True, slots=True)
class EngineParams:
    """Tuned on SciFact train qrels only (docs/benchmarks.md, section Search)."""

    candidates: int = 100  # top-N taken from each retriever before fusion
    fusion: FusionParams = field(default_factory=FusionParams)
    # Dense mode: the top-N re-scored by their best passage (title, ~40-word abstract windows; vectors read
    # from the embedding cache): dense nDCG@10 0.657 -> 0.683 on SciFact train at 20. 0 turns passages off
    # everywhere (hybrid's second stage then only uses the re-rank model, if any).
    passage_depth: int = 20
    # Hybrid only: passages (and the optional re-rank model) re-score the fused head instead; 0 turns it off.
    rescore: RescoreParams = field(default_factory=RescoreParams)
    similar_author_bonus: float = 0.03  # per shared author (at most two count)
    similar_category_bonus: float = 0.01  # same primary category


class HybridSearcher:
    """`Searcher` over a lexical + vector backend pair."""

    def __init__(
        self,
        store: Store,
        backends: Backends,
        embedder_loader: Callable[[], Embedder | None] | None = None,
        params: EngineParams | None = None,
        embedder_off_reason: str | None = None,
        rerank_loader: Callable[[], Embedder | None] | None = None,
    ) -> None:
        self.store = store
        self.backends = backends
        self.params = params or EngineParams()
        self._loader = embedder_loader
        self._embedder: Embedder | None = None
        self._embedder_tried = embedder_loader is None
        self._off_reason = embedder_off_reason
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._rerank_loader = rerank_loader
        self._reranker: Embedder | None = None
        self._reranker_tried = rerank_loader is None
        self._job_locks = {"lexical": threading.Lock(), "vectors": threading.Lock()}
        self._coverage: tuple[float, Coverage] | None = None

    # -- embedder ----------------------------------------------------------------
    @property
    def embedder(self) -> Embedder | None:
        """The embedder, loaded on first use; None (with a reason kept) when unavailable."""
        if not self._embedder_tried:
            self._embedder_tried = True
            try:
                self._embedder = self._loader() if self._loader else None
            except Exception as exc:
                log.warning("semantic search unavailable: %s", exc)
                self._off_reason = f"semantic search unavailable ({exc})"
        return self._embedder

    @property
    def reranker(self) -> Embedder | None:
        """The optional second model (`Settings.rerank_model`), loaded on first use; None when off or broken."""
        if not self._reranker_tried:
            self._reranker_tried = True
            try:
                self._reranker = self._rerank_loader() if self._rerank_loader else None
            except Exception as exc:
                log.warning("re-rank model unavailable, ranking without it: %s", exc)
        return self._reranker

    def _dense_unavailable(self) -> str | None:
        """Why dense retrieval cannot run now, or None when it can."""
        embedder = self.embedder
        if embedder is None:
            return self._off_reason or "semantic search is off"
        vectors = self.backends.vectors
        if vectors.is_empty() or vectors.embedder_name() != getattr(embedder, "name", None):
            cov = self.coverage()
            if cov.total and vectors.embedder_name() == getattr(embedder, "name", None):
                return f"the semantic index is being built (0 of {cov.total:,} papers so far)"
            return "the semantic index is not built yet (it is built in the background, or run `paperfeed index`)"
        return None

    # -- coverage ----------------------------------------------------------------------
    COVERAGE_TTL_S = 5.0  # searches read coverage this stale at most (two store queries per refresh)

    def coverage(self, max_age_s: float | None = None) -> Coverage:
        """How much of the library has a current vector (`search.backlog.Coverage`), cached briefly.

        Read from the vector index's saved walk and counted by the store, so
        every process (web workers included) sees what the background job saved.
        Does not load the model: an unbuilt index for the configured embedder
        counts as nothing embedded.
        """
        from paperfeed.search.backlog import Backlog, coverage_of

        ttl = self.COVERAGE_TTL_S if max_age_s is None else max_age_s
        now = time.monotonic()
        cached = self._coverage
        if cached is not None and now - cached[0] <= ttl:
            return cached[1]
        vectors = self.backends.vectors
        if self._loader is None:
            total = self.store.count_papers()
            cov = Coverage(embedded=0, total=total, pending=total, complete_since=None, enabled=False)
        else:
            raw = vectors.backlog()  # first: it picks up another process's save, which the reads below then see
            built = vectors.embedder_name()
            backlog = Backlog(0) if built is None else Backlog.load(vectors.indexed_seq(), raw)
            backlog.extend(self.store.max_seq())
            cov = coverage_of(self.store, backlog, built)
        self._coverage = (now, cov)
        return cov

    def _embed_query(self, text: str) -> np.ndarray:
        """The query's vector, from a small LRU cache (web servers call this from many threads)."""
        with self._cache_lock:
            vec = self._query_vectors.get(text)
            if vec is not None:
                self._query_vectors.move_to_end(text)
                return vec
        vec = np.asarray(self.embedder.embed_query(text), dtype=np.float32)  # type: ignore[union-attr]
        with self._cache_lock:
            self._query_vectors[text] = vec
            while len(self._query_vectors) > 1024:
                self._query_vectors.popitem(last=False)
        return vec

    # -- search ------------------------------------------------------------------
    def search(self, request: SearchRequest) -> SearchResults:
        _validate(request)
        parsed = _with_request_filters(parse_query(request.q), request)
        depth = request.page * request.page_size
        offset = depth - request.page_size
        mode = request.mode
        notice: str | None = None
        if mode != "lexical" and parsed.has_text and parsed.semantic_text().strip():
            reason = self._dense_unavailable()
            if reason:
                mode, notice = "lexical", f"{reason}: showing keyword matches"
            elif request.sort != "date" or mode == "dense":  # a semantic leg runs: it sees only what is embedded
                notice = self.coverage().notice()
        elif mode != "lexical":
            mode = "lexical"  # nothing to embed (only filters or author names): keyword listing
        lexical = self.backends.lexical

        if not parsed.has_text or (request.sort == "date" and mode != "dense"):
            ranked = lexical.search(parsed, limit=request.page_size, offset=offset, order="date")
            fused = _lex_rows(ranked, start=offset + 1)
            return self._results(request, parsed, fused, ranked.total, mode, notice)

        if mode == "lexical":
            ranked = lexical.search(parsed, limit=request.page_size, offset=offset)
            fused = _lex_rows(ranked, start=offset + 1)
            return self._results(request, parsed, fused, ranked.total, mode, notice)

        lex_future = None  # only hybrid reaches the fusion below
        if mode == "hybrid":
            lex_future = _KEYWORD_POOL.submit(lexical.search, parsed, max(depth, self.params.candidates))
        p = self.params
        rescore = (
            mode == "hybrid"
            and p.rescore.depth > 0
            and p.fusion.method == "linear"
            and (p.passage_depth > 0 or p.rescore.rerank_weight > 0)
        )
        try:
            dense = self._dense(parsed, max(depth, self.params.candidates), need=depth, passages=not rescore)
        except Exception as exc:
            log.warning("query embedding failed: %s", exc)
            request_lex = replace(request, mode="lexical")
            results = self.search(request_lex)
            results.request, results.notice = request, f"semantic search failed ({exc}): showing keyword matches"
            return results

        if mode == "dense":
            rows = _dense_rows(dense)
            if request.sort == "date":
                day = {p.id: p.published.toordinal() for p in self.store.get_papers(dense.ids) if p.published}
                rows.sort(key=lambda r: day.get(r[0], 0), reverse=True)
            return self._results(request, parsed, rows[offset:depth], len(rows), mode, notice)

        assert lex_future is not None
        lex = lex_future.result()
        papers: dict[str, Paper] = {}  # the second stage reads the head's papers; the page reuses them
        if rescore:
            rows = self._fuse_and_rescore(parsed, lex, dense, papers)
        else:
            merged = fuse((lex.ids, lex.scores), (dense.ids, dense.scores), self.params.fusion)
            rows = [(f.id, f.score, f.lexical_rank, f.dense_rank, f.lexical_score, f.dense_score) for f in merged]
        total = max(len(rows), min(lex.total, MAX_DEPTH))
        return self._results(request, parsed, rows[offset:depth], total, mode, notice, papers)

    def _fuse_and_rescore(
        self, parsed: ParsedQuery, lex: Ranked, dense: Ranked, papers: dict[str, Paper]
    ) -> list[tuple]:
        """Rows of the hybrid ranking: fuse, re-score the head, fuse again (`RescoreParams`).

        Keyword-only candidates get their MiniLM cosine from the vector index, so
        every candidate is judged by both signals; the head then gets its best
        passage cosine (and the re-rank model's), which a single 256-token
        vector per paper misses. The head's papers are fetched into `papers`.
        """
        vec = self._embed_query(parsed.semantic_text())
        lex_scores = dict(zip(lex.ids, lex.scores, strict=True))
        dense_scores = self._candidate_cosines(vec, lex, dense)
        lex_rank = {d: r for r, d in enumerate(lex.ids, start=1)}
        den_rank = {d: r for r, d in enumerate(dense.ids, start=1)}
        big = 1 << 30

        def passages(head: list[str]) -> dict[str, float]:
            return self._passage_scores(vec, head, papers) if self.params.passage_depth > 0 else {}

        final, dense_scores = two_stage(
            lex_scores,
            dense_scores,
            self.params.fusion,
            self.params.rescore,
            passages,
            lambda head: self._rerank_scores(parsed, head, papers),
            tiebreak=lambda d: (min(lex_rank.get(d, big), den_rank.get(d, big)), d),
        )
        return [
            (d, score, lex_rank.get(d), den_rank.get(d), lex_scores.get(d), dense_scores.get(d)) for d, score in final
        ]

    def _candidate_cosines(self, vec: np.ndarray, lex: Ranked, dense: Ranked) -> dict[str, float]:
        """MiniLM cosine of every candidate: the dense list's own, keyword-only ones from the vector index."""
        scores = dict(zip(dense.ids, dense.scores, strict=True))
        missing = [i for i in lex.ids if i not in scores]
        if missing:
            scores.update((pid, float(v @ vec)) for pid, v in self.backends.vectors.get(missing).items())
        return scores

    def _papers(self, ids: list[str], known: dict[str, Paper]) -> dict[str, Paper]:
        """`known`, with the papers of `ids` it lacks fetched into it (one store call at most)."""
        missing = [i for i in ids if i not in known]
        if missing:
            known.update((p.id, p) for p in self.store.get_papers(missing))
        return known

    def _passage_scores(
        self, vec: np.ndarray, ids: list[str], papers: dict[str, Paper] | None = None
    ) -> dict[str, float]:
        """Best cached passage cosine of each paper in `ids` (papers with no cached passages are left out)."""
        from paperfeed.search.embed import passage_keys

        papers = self._papers(ids, {} if papers is None else papers)
        keys = {pid: passage_keys(papers[pid].title, papers[pid].abstract) for pid in ids if pid in papers}
        cached = self.store.get_embeddings(self.embedder.name, [k for ks in keys.values() for k in ks])  # type: ignore[union-attr]
        out: dict[str, float] = {}
        for pid, ks in keys.items():
            found = [cached[k] for k in ks if k in cached]
            if found:
                out[pid] = float(np.max(np.stack(found) @ vec))
        return out

    def _rerank_scores(self, parsed: ParsedQuery, ids: list[str], papers: dict[str, Paper]) -> dict[str, float]:
        """The re-rank model's cosine for every paper in `ids`, or {} when it is off or any vector is missing.

        All or nothing: scoring only the papers already embedded would rank a
        half-embedded corpus by how far the background job has got.
        """
        model = self.reranker
        if model is None or not ids:
            return {}
        from paperfeed.search.embed import paper_text, text_key

        papers = self._papers(ids, papers)
        keys = {pid: text_key(paper_text(papers[pid].title, papers[pid].abstract)) for pid in ids if pid in papers}
        cached = self.store.get_embeddings(model.name, list(keys.values()))
        if len(cached) < len(set(keys.values())):
            return {}
        try:
            qvec = model.embed_query(parsed.semantic_text())
        except Exception as exc:
            log.warning("re-rank model failed on a query, ranking without it: %s", exc)
            return {}
        return {pid: float(cached[key] @ qvec) for pid, key in keys.items()}

    def _dense(self, parsed: ParsedQuery, limit: int, need: int | None = None, passages: bool = True) -> Ranked:
        """Nearest papers to the query text that also satisfy its required/forbidden parts.

        With constraints, neighbours are fetched, checked and the list widened until `need`
        pass (the page's depth: 43 ms p50 at 1M when it waited for all `limit`)."""
        need = limit if need is None else min(need, limit)
        vec = self._embed_query(parsed.semantic_text())
        vectors, lexical = self.backends.vectors, self.backends.lexical
        n = limit
        while True:
            ranked = vectors.search(vec, n)
            if not parsed.is_constrained:
                return self._by_passages(vec, ranked) if passages else ranked
            keep = lexical.filter_ids(ranked.ids, parsed)
            pairs = [(i, s) for i, s in zip(ranked.ids, ranked.scores, strict=True) if i in keep]
            if len(pairs) >= need or len(ranked.ids) < n or n >= 20 * limit:
                pairs = pairs[:limit]
                ranked = Ranked(ids=[i for i, _ in pairs], scores=[s for _, s in pairs], total=len(pairs))
                return self._by_passages(vec, ranked) if passages else ranked
            n *= 5  # a narrow filter: look further down the neighbour list

    def _by_passages(self, vec: np.ndarray, ranked: Ranked) -> Ranked:
        """The top `passage_depth` neighbours re-scored by max(paper cosine, best passage cosine).

        The index holds one vector per paper, made from at most 256 tokens, so a
        long abstract's tail is invisible to it; the passage vectors (in the
        embedding cache, written by `embed_papers`) see every sentence. Scores
        only go up, so the re-scored head stays above the untouched tail. A
        paper whose passages are not cached (an index built before passages
        existed: `paperfeed index --rebuild` adds them) keeps its own score.
        """
        depth = min(self.params.passage_depth, len(ranked.ids))
        if depth <= 0:
            return ranked
        head = ranked.ids[:depth]
        best = self._passage_scores(vec, head)
        if not best:
            return ranked
        scores = list(ranked.scores[:depth])
        for i, pid in enumerate(head):
            if pid in best:
                scores[i] = max(scores[i], best[pid])
        order = sorted(range(depth), key=lambda i: -scores[i])  # stable: ties keep the index's order
        return Ranked(
            ids=[head[i] for i in order] + ranked.ids[depth:],
            scores=[scores[i] for i in order] + ranked.scores[depth:],
            total=ranked.total,
        )

    # -- similar -----------------------------------------------------------------
    def similar(self, paper_id: str, k: int = 10) -> list[Hit]:
        paper = self.store.get_paper(paper_id)
        if paper is None:
            raise PaperNotFound("id", f"no paper with id '{paper_id}'")
        k = _check_k(k)
        vec = None if self._dense_unavailable() else self.backends.vectors.get([paper.id]).get(paper.id)
        if vec is None:
            ranked = self.backends.lexical.more_like_this(paper, k)
            rows = _lex_rows(ranked)
            return self._hits(rows, frozenset())
        ranked = self.backends.vectors.search(vec, 3 * k + 1)
        pairs = [(i, s) for i, s in zip(ranked.ids, ranked.scores, strict=True) if i != paper.id]
        papers = {p.id: p for p in self.store.get_papers([i for i, _ in pairs])}
        authors = set(paper.authors)
        rows = []
        for rank, (pid, sim) in enumerate(pairs, start=1):
            other = papers.get(pid)
            if other is None:
                continue
            bonus = self.params.similar_author_bonus * min(len(authors.intersection(other.authors)), 2)
            if paper.primary_category and other.primary_category == paper.primary_category:
                bonus += self.params.similar_category_bonus
            rows.append((pid, sim + bonus, None, rank, None, sim))
        rows.sort(key=lambda r: -r[1])
        return self._hits(rows[:k], frozenset(), papers)

    def more_like(self, paper_ids: list[str], k: int = 10, exclude: set[str] | None = None) -> list[Hit]:
        k = _check_k(k)
        skip = set(paper_ids) | (exclude or set())
        if not paper_ids:
            return []
        vecs = {} if self._dense_unavailable() else self.backends.vectors.get(paper_ids)
        if vecs:
            centroid = np.mean(np.stack(list(vecs.values())), axis=0)
            norm = float(np.linalg.norm(centroid))
            if norm > 0:
                ranked = self.backends.vectors.search(centroid / norm, k + len(skip))
                rows = _dense_rows(ranked, skip)
                return self._hits(rows[:k], frozenset())
        papers = self.store.get_papers(paper_ids[:50])
        if not papers:
            return []
        pseudo = replace(
            papers[0],
            id="\x00more-like",
            title=" ".join(p.title for p in papers),
            abstract=" ".join(p.abstract for p in papers),
        )
        ranked = self.backends.lexical.more_like_this(pseudo, k + len(skip))
        rows = _lex_rows(ranked, skip=skip)
        return self._hits(rows[:k], frozenset())

    # -- keeping the indexes current ---------------------------------------------------
    @contextmanager
    def _job(self, name: str, wait: bool = True) -> Iterator[bool]:
        """Hold the `name` job ("lexical" or "vectors") for the block; yields whether it was acquired.

        One writer per index at a time, in this process (a thread lock) and
        across processes where the backend offers a `writer_lock` (usearch's
        file lock; PostgreSQL's searcher adds an advisory lock).
        """
        lock = self._job_locks[name]
        got = lock.acquire(blocking=wait)
        try:
            index = self.backends.vectors if name == "vectors" else self.backends.lexical
            writer_lock = getattr(index, "writer_lock", None)  # across processes, where the backend has one
            if not got or writer_lock is None:
                yield got
            else:
                with writer_lock(wait) as held:
                    yield held
        finally:
            if got:
                lock.release()

    def refresh_lexical(self, progress: bool = False, wait: bool = True) -> int:
        """Catch the keyword index up (fast: thousands of papers a second); 0 when another holder is at it."""
        from paperfeed.search.refresh import refresh_lexical

        with self._job("lexical", wait) as got:
            return refresh_lexical(self.store, self.backends, progress) if got else 0

    def embed_backlog(
        self,
        budget_s: float | None = None,
        progress: bool | Callable[[int, int], None] = False,
        rerank_budget_s: float | None = None,
        wait: bool = True,
        stop: Callable[[], bool] | None = None,
    ) -> int:
        """Embed papers lacking a current vector, newest first, for about `budget_s` (None: all of them).

        Once the vectors are caught up, the optional re-rank model's vectors get
        `rerank_budget_s`. Returns how many papers got a vector (either model): 0 means caught up.
        """
        from paperfeed.search.refresh import refresh_rerank, refresh_vectors

        embedder = self.embedder
        with self._job("vectors", wait) as got:
            if not got:
                return 0
            done = 0
            if embedder is not None:
                passages = self.params.passage_depth > 0  # nothing would read them otherwise
                done = refresh_vectors(self.store, self.backends, embedder, progress, passages, budget_s, stop)
                self._coverage = None
            if self.params.rescore.rerank_weight > 0 and (budget_s is None or done == 0):
                rerank = self.reranker
                if rerank is not None:
                    done += refresh_rerank(self.store, rerank, progress is True, rerank_budget_s)
            return done

    def refresh(self, progress: bool | Callable[[int, int], None] = True, rerank_budget_s: float | None = None) -> int:
        """Bring both indexes fully up to date; returns how many papers the keyword index took in."""
        n = self.refresh_lexical(progress is True)
        self.embed_backlog(None, progress, rerank_budget_s)
        return n

    def close(self) -> None:
        self.backends.close()

    # -- assembling hits -----------------------------------------------------------
    def _results(
        self,
        request: SearchRequest,
        parsed: ParsedQuery,
        rows: list[tuple],
        total: int,
        mode: str,
        notice: str | None,
        papers: dict[str, Paper] | None = None,
    ) -> SearchResults:
        hits = self._hits(rows, query_stems(_highlight_words(parsed)), papers)
        return SearchResults(request=request, hits=hits, total=total, mode=mode, notice=notice)  # type: ignore[arg-type]

    def _hits(self, rows: list[tuple], stems: frozenset[str], papers: dict[str, Paper] | None = None) -> list[Hit]:
        papers = self._papers([r[0] for r in rows], {} if papers is None else papers)
        hits = []
        for pid, score, lex_rank, dense_rank, lex_score, dense_score in rows:
            paper = papers.get(pid)
            if paper is None:
                continue  # deleted from the store since it was indexed
            title_html, title_spans = highlight(paper.title, stems)
            abstract_html, abstract_spans = highlight(paper.abstract, stems)
            hits.append(
                Hit(
                    paper=paper,
                    score=float(score),
                    lexical_rank=lex_rank,
                    dense_rank=dense_rank,
                    lexical_score=lex_score,
                    dense_score=dense_score,
                    title_html=title_html,
                    abstract_html=abstract_html,
                    title_highlights=title_spans,
                    abstract_highlights=abstract_spans,
                )
            )
        return hits


def _lex_rows(ranked: Ranked, start: int = 1, skip: set[str] | frozenset[str] = frozenset()) -> list[tuple]:
    """(id, score, lexical_rank, dense_rank, lexical_score, dense_score) rows from a keyword ranking."""
    return [
        (i, s, start + n, None, s, None)
        for n, (i, s) in enumerate(zip(ranked.ids, ranked.scores, strict=True))
        if i not in skip
    ]


def _dense_rows(ranked: Ranked, skip: set[str] | frozenset[str] = frozenset()) -> list[tuple]:
    return [
        (i, s, None, n, None, s)
        for n, (i, s) in enumerate(zip(ranked.ids, ranked.scores, strict=True), start=1)
        if i not in skip
    ]


def _highlight_words(parsed: ParsedQuery) -> list[str]:
    words: list[str] = []
    for clause in (*parsed.should, *parsed.must):
        if clause.field == "author":
            continue
        words.extend((clause.text,) if isinstance(clause, Term) else clause.words)
    return words


def _validate(request: SearchRequest) -> None:
    if request.mode not in ("hybrid", "lexical", "dense"):
        raise QueryError("mode", f"'{request.mode}' is not a mode (use hybrid, lexical or dense)")
    if request.sort not in ("relevance", "date"):
        raise QueryError("sort", f"'{request.sort}' is not a sort order (use relevance or date)")
    if not isinstance(request.page, int) or request.page < 1:
        raise QueryError("page", "must be a whole number from 1")
    if not isinstance(request.page_size, int) or not 1 <= request.page_size <= MAX_PAGE_SIZE:
        raise QueryError("page_size", f"must be between 1 and {MAX_PAGE_SIZE}")
    if request.page * request.page_size > MAX_DEPTH:
        raise QueryError("page", f"results are available up to the {MAX_DEPTH}th; narrow the query instead")
    if request.since and request.until and request.since > request.until:
        raise QueryError("since", f"{request.since} is after until={request.until}")


def _check_k(k: int) -> int:
    if not isinstance(k, int) or not 1 <= k <= MAX_PAGE_SIZE:
        raise QueryError("k", f"must be between 1 and {MAX_PAGE_SIZE}")
    return k


def _with_request_filters(parsed: ParsedQuery, request: SearchRequest) -> ParsedQuery:
    """Fold the request's form fields (since, category, author...) into the query's filters."""
    f = parsed.filters
    since = max(d for d in (f.since, request.since) if d) if (f.since or request.since) else None
    until = min(d for d in (f.until, request.until) if d) if (f.until or request.until) else None
    categories = list(f.categories)
    if request.category:
        cat = request.category.strip()
        if not cat or len(cat) > 40:
            raise QueryError("category", f"'{cat[:40]}' is not a category (e.g. cs.CL)")
        categories = [cat] if not categories else [c for c in categories if c.lower() == cat.lower()] or ["\x00none"]
    must = list(parsed.must)
    if request.author:
        words = tuple(split_words(request.author))[:20]
        if words:
            must.append(Phrase(words, "author") if len(words) > 1 else Term(words[0], "author"))
    if since and until and since > until:
        raise QueryError("since", f"the date range is empty: {since} is after {until}")
    filters = Filters(since=since, until=until, categories=categories, exclude_categories=list(f.exclude_categories))
    return ParsedQuery(
        should=list(parsed.should),
        must=must,
        must_not=list(parsed.must_not),
        filters=filters,
        text_parts=list(parsed.text_parts),
    )
