"""The embedded keyword index: BM25 on tantivy, files under ``settings.index_dir``.

Chosen by measurement (issue 3): at 1M papers tantivy answers OR queries in
about 1 ms p50 against SQLite FTS5's 31 ms, in a sixth of the disk. Queries are
built as tantivy `Query` objects from the AST, never as query strings, so no
user input can cause an engine syntax error. A schema version file makes a
changed schema (fields, analysers) trigger a rebuild instead of wrong answers.
"""

from __future__ import annotations

import json
import math
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import tantivy
from tantivy import FieldType, Occur, Query

from paperfeed.models import Paper
from paperfeed.search.backends import Ranked
from paperfeed.search.keys import KeyMap
from paperfeed.search.query import Clause, Filters, ParsedQuery, Phrase, Term, split_words
from paperfeed.search.text import STOPWORDS

SCHEMA_VERSION = 2
_EPOCH = date(1970, 1, 1).toordinal()
NO_DATE = -(10**6)  # sorts last under "newest first" and falls outside every date range


@dataclass(slots=True)
class LexicalParams:
    """Query-time weights (tuned on SciFact train qrels only; see docs/benchmarks.md, section Search).

    tantivy fixes BM25's k1=1.2 and b=0.75, so the tunable knobs are the field
    weights; they apply at query time, no reindex needed.
    """

    title_boost: float = 0.5
    abstract_boost: float = 1.0
    author_boost: float = 0.5


def day_number(d: date | None) -> int:
    return d.toordinal() - _EPOCH if d else NO_DATE


def _analyzers() -> dict[str, tantivy.TextAnalyzer]:
    b = tantivy.TextAnalyzerBuilder
    words = (
        b(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(100))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())  # "Schrodinger" finds "Schrödinger", as on PostgreSQL (unaccent)
        .filter(tantivy.Filter.custom_stopword(sorted(STOPWORDS)))
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )
    names = (
        b(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(100))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )
    keyword = b(tantivy.Tokenizer.raw()).filter(tantivy.Filter.lowercase()).build()
    return {"pf_en": words, "pf_name": names, "pf_keyword": keyword}


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field("key", stored=False, indexed=True, fast=True)
    sb.add_text_field("id", stored=False, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("title", stored=False, tokenizer_name="pf_en", index_option="position")
    sb.add_text_field("abstract", stored=False, tokenizer_name="pf_en", index_option="position")
    sb.add_text_field("authors", stored=False, tokenizer_name="pf_name", index_option="position")
    sb.add_text_field("category", stored=False, tokenizer_name="pf_keyword", index_option="basic")
    sb.add_integer_field("published", stored=False, indexed=True, fast=True)
    return sb.build()


class TantivyIndex:
    """`LexicalIndex` on tantivy. One writer per index directory (tantivy locks it)."""

    def __init__(
        self,
        path: Path,
        keys: KeyMap,
        params: LexicalParams | None = None,
        writer_heap_mb: int = 256,
        writer_threads: int = 1,
    ) -> None:
        self.path = path
        self.keys = keys
        self.params = params or LexicalParams()
        self._writer_heap = writer_heap_mb * 1024 * 1024
        self._writer_threads = writer_threads
        self._writer: tantivy.IndexWriter | None = None
        self._state_path = path / "paperfeed-state.json"
        state = self._read_state()
        if state.get("schema_version") != SCHEMA_VERSION and path.exists():
            shutil.rmtree(path)  # an older layout: rebuild from the store rather than answer wrongly
            state = {}
        path.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(path), reuse=True)
        self.analyzers = _analyzers()
        for name, analyzer in self.analyzers.items():
            self.index.register_tokenizer(name, analyzer)
        if not state:
            self._write_state({"schema_version": SCHEMA_VERSION, "seq": 0})
        self._seq = int(self._read_state().get("seq", 0))

    # -- state ------------------------------------------------------------------
    def _read_state(self) -> dict:
        try:
            return json.loads(self._state_path.read_text())
        except (OSError, ValueError):
            return {}

    def _write_state(self, state: dict) -> None:
        tmp = self._state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        tmp.replace(self._state_path)

    def indexed_seq(self) -> int:
        """From the state file, not memory: a web worker reports the lag of the index the job writes."""
        return int(self._read_state().get("seq", self._seq))

    def count(self) -> int:
        self.index.reload()
        return self.index.searcher().num_docs

    # -- writing ----------------------------------------------------------------
    def upsert(self, papers: Iterable[Paper]) -> int:
        if self._writer is None:
            self._writer = self.index.writer(heap_size=self._writer_heap, num_threads=self._writer_threads)
        writer = self._writer
        n = 0
        for paper in papers:
            known = self.keys.key(paper.id) is not None
            key = self.keys.ensure(paper.id)
            if known:
                writer.delete_documents_by_term("id", paper.id)
            doc = tantivy.Document()
            doc.add_unsigned("key", key)
            doc.add_text("id", paper.id)
            doc.add_text("title", paper.title or "")
            doc.add_text("abstract", paper.abstract or "")
            for author in paper.authors:
                doc.add_text("authors", author)
            for cat in paper.categories:
                doc.add_text("category", cat)
            doc.add_integer("published", day_number(paper.published))
            writer.add_document(doc)
            n += 1
        return n

    def commit(self, seq: int) -> None:
        self.keys.flush()  # keys first: the index may only refer to keys already on disk
        if self._writer is not None:
            self._writer.commit()
            self._writer.wait_merging_threads()
            self._writer = None
        self._seq = seq
        self._write_state({"schema_version": SCHEMA_VERSION, "seq": seq})
        self.index.reload()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.rollback()
            self._writer = None

    # -- query building ---------------------------------------------------------
    def _tokens(self, analyzer: str, words: Sequence[str]) -> list[tuple[int, str]]:
        """(position, token) for each word that survives analysis (stop words leave gaps)."""
        a = self.analyzers[analyzer]
        out: list[tuple[int, str]] = []
        for pos, word in enumerate(words):
            toks = a.analyze(word)
            if toks:
                out.append((pos, toks[0]))
        return out

    def _field_query(self, fld: str, analyzer: str, words: Sequence[str]) -> Query | None:
        toks = self._tokens(analyzer, words)
        if not toks:
            return None
        if len(toks) == 1:
            return Query.term_query(self.schema, fld, toks[0][1], index_option="freq")
        base = toks[0][0]
        return Query.phrase_query(self.schema, fld, [(p - base, t) for p, t in toks])

    def _clause_query(self, clause: Clause) -> Query | None:
        words = (clause.text,) if isinstance(clause, Term) else clause.words
        p = self.params
        targets = {
            "all": (
                ("title", "pf_en", p.title_boost),
                ("abstract", "pf_en", p.abstract_boost),
                ("authors", "pf_name", p.author_boost),
            ),
            "title": (("title", "pf_en", 1.0),),
            "abstract": (("abstract", "pf_en", 1.0),),
            "author": (("authors", "pf_name", 1.0),),
        }[clause.field]
        parts: list[Query] = []
        for fld, analyzer, boost in targets:
            if boost <= 0:
                continue
            q = self._field_query(fld, analyzer, words)
            if q is not None:
                parts.append(q if boost == 1.0 else Query.boost_query(q, boost))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else Query.boolean_query([(Occur.Should, q) for q in parts])

    def _filter_queries(self, filters: Filters) -> list[tuple[Occur, Query]]:
        out: list[tuple[Occur, Query]] = []
        if filters.since or filters.until:
            rng = Query.range_query(
                self.schema,
                "published",
                FieldType.Integer,
                day_number(filters.since) if filters.since else NO_DATE + 1,
                day_number(filters.until) if filters.until else 10**7,
            )
            out.append((Occur.Must, Query.const_score_query(rng, 0.0)))
        if filters.categories:
            cats = [Query.term_query(self.schema, "category", c.lower()) for c in filters.categories]
            out.append(
                (Occur.Must, Query.const_score_query(Query.boolean_query([(Occur.Should, q) for q in cats]), 0.0))
            )
        for c in filters.exclude_categories:
            out.append((Occur.MustNot, Query.term_query(self.schema, "category", c.lower())))
        return out

    def build(self, query: ParsedQuery, ranked: bool = True, all_required: bool = False) -> Query | None:
        """The tantivy query for the AST; None when it can match nothing.

        `ranked=False` drops the free words (membership only); `all_required`
        turns them into required words (for date-ordered listings).
        """
        subs: list[tuple[Occur, Query]] = []
        if ranked:
            should = [q for q in map(self._clause_query, query.should) if q is not None]
            if should:
                if all_required:
                    subs.extend((Occur.Must, q) for q in should)
                else:
                    subs.append((Occur.Must, Query.boolean_query([(Occur.Should, q) for q in should])))
            elif query.should and not query.must:
                return None  # only stop words / unindexable words: nothing can match
        for clause in query.must:
            q = self._clause_query(clause)
            if q is None:
                if isinstance(clause, Phrase) or clause.field != "all":
                    continue  # a required stop word constrains nothing
                continue
            subs.append((Occur.Must, q))
        for clause in query.must_not:
            q = self._clause_query(clause)
            if q is not None:
                subs.append((Occur.MustNot, q))
        subs.extend(self._filter_queries(query.filters))
        if not any(occur == Occur.Must for occur, _ in subs):
            subs.append((Occur.Must, Query.const_score_query(Query.all_query(), 0.0)))
        return Query.boolean_query(subs)

    # -- reading ----------------------------------------------------------------
    def _ranked(self, searcher: tantivy.Searcher, result: tantivy.SearchResult) -> Ranked:
        hits = result.hits
        total = int(getattr(result, "count", None) or 0)  # set when the search asked for a count
        if not hits:
            return Ranked(total=total)
        addrs = [addr for _, addr in hits]
        keys = [int(k) for k in searcher.fast_field_values("key", addrs) if k is not None]
        scores = [float(s) if isinstance(s, float) else 0.0 for s, _ in hits]
        return Ranked(ids=self.keys.ids(keys), scores=scores, total=total)

    def search(self, query: ParsedQuery, limit: int, offset: int = 0, order: str = "relevance") -> Ranked:
        by_date = order == "date" or not query.has_text
        q = self.build(query, all_required=order == "date")
        if q is None or limit <= 0:
            return Ranked()
        searcher = self.index.searcher()
        if by_date:
            result = searcher.search(q, limit=limit, offset=offset, count=True, order_by_field="published")
            ranked = self._ranked(searcher, result)
            ranked.scores = [0.0] * len(ranked.ids)
            return ranked
        return self._ranked(searcher, searcher.search(q, limit=limit, offset=offset, count=True))

    def filter_ids(self, ids: Sequence[str], query: ParsedQuery) -> set[str]:
        keys = self.keys.keys(ids)
        if not keys:
            return set()
        q = self.build(query, ranked=False)
        if q is None:
            return set()
        q = Query.boolean_query([(Occur.Must, Query.term_set_query(self.schema, "key", keys)), (Occur.Must, q)])
        searcher = self.index.searcher()
        result = searcher.search(q, limit=len(keys), count=False)
        return set(self._ranked(searcher, result).ids)

    def more_like_this(self, paper: Paper, limit: int, max_terms: int = 25) -> Ranked:
        """BM25 over the paper's most distinctive words (tf * idf), itself excluded."""
        searcher = self.index.searcher()
        n_docs = max(searcher.num_docs, 1)
        a = self.analyzers["pf_en"]
        tf = Counter(a.analyze(paper.title or "") * 2 + a.analyze(paper.abstract or ""))
        weighted = []
        for tok, count in tf.items():
            df = searcher.doc_freq("abstract", tok) + searcher.doc_freq("title", tok)
            if df <= 1:
                continue  # only this paper has it: says nothing about others
            weighted.append((count * math.log(1 + n_docs / df), tok))
        weighted.sort(reverse=True)
        parts: list[tuple[Occur, Query]] = []
        for weight, tok in weighted[:max_terms]:
            for fld, boost in (("title", self.params.title_boost), ("abstract", 1.0)):
                q = Query.term_query(self.schema, fld, tok, index_option="freq")
                parts.append((Occur.Should, Query.boost_query(q, boost * weight)))
        if not parts:
            return Ranked()
        q = Query.boolean_query(
            [(Occur.Must, Query.boolean_query(parts)), (Occur.MustNot, Query.term_query(self.schema, "id", paper.id))]
        )
        return self._ranked(searcher, searcher.search(q, limit=limit, count=True))

    def words_of(self, text: str) -> list[str]:
        """Index tokens of `text` (for tests and diagnostics)."""
        return self.analyzers["pf_en"].analyze(" ".join(split_words(text)))
