"""Retrieval per tenant: candidates from dense (Chroma) and lexical (BM25, bm25s) search,
ranked by the tenant's learnt ranking (:mod:`replyassist.ranking`).

Articles are scored by a logistic model over their text similarity (chunks, title),
BM25, the links agents gave in the most similar past exchanges and the tenant's link
prior; past exchanges by one over their similarity and BM25. The models are
fitted on the tenant's own history when it has enough labelled cases, else the package
defaults apply. English queries are matched with the English embedder against the
English views of the knowledge base and history (``kb_en``, ``history_en``) when the
assistant has one; everything else with the primary, multilingual embedder, which also
matches across languages. An article in another language than the customer's costs
``other_language_penalty`` (logit): it is offered when nothing in the customer's
language fits, below an equally good one that is.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import bm25s
import numpy as np

from .embeddings import unit_rows
from .ranking.features import article_matrix, exchange_matrix, knn_votes, link_shares
from .ranking.model import LinearModel, Ranking, Route, RouteRanking, default_ranking
from .store import StoredItem, TenantCollection

__all__ = ["ArticleResult", "ExchangeResult", "Filters", "HybridRetriever", "RetrievalResult",
           "TenantViews", "tokenize"]

RANKING_KEY = "ranking"  # the fitted ranking, kept in the history collection's metadata
_WORD = re.compile(r"\w+", re.UNICODE)
_STOPWORDS = frozenset((
    "a an and are as at be but by de des du en et for from how i if in is it je la "
    "le les ma me mes mon my ne no not of on or our pas pour que qui sur the this "
    "to un une vous was we what with you your est au aux ce ces il elle on nous "
    "ils avec dans par plus hi hello bonjour merci thanks please svp stp is am do "
    "does can could would "
).split())


def tokenize(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return [w for w in _WORD.findall(folded) if len(w) > 1 and w not in _STOPWORDS]


@dataclass(frozen=True)
class Filters:
    """Optional metadata filters (applied to both retrievers)."""

    language: str | None = None
    channel: str | None = None
    tags: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.language or self.channel or self.tags)

    def where(self, kind: str) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.language:
            clauses.append({"language": self.language})
        if self.channel and kind == "history":
            clauses.append({"channel": self.channel})
        if self.tags and kind == "kb":
            clauses.extend({"tags": {"$contains": tag}} for tag in self.tags)
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def accepts(self, metadata: dict[str, Any], kind: str) -> bool:
        if self.language and metadata.get("language") != self.language:
            return False
        if self.channel and kind == "history" and metadata.get("channel") != self.channel:
            return False
        if self.tags and kind == "kb":
            tags = metadata.get("tags") or []
            if not all(tag in tags for tag in self.tags):
                return False
        return True


@dataclass
class ArticleResult:
    doc_id: str
    title: str
    url: str | None
    language: str | None
    score: float  # the ranking's relevance, in [0, 1]
    similarity: float  # best dense cosine of its chunks (0 when only lexical)
    passages: list[tuple[str, str]] = field(default_factory=list)  # (heading, passage)


@dataclass
class ExchangeResult:
    id: str
    conversation_id: str
    score: float
    similarity: float
    context: str
    answer: str
    language: str | None
    channel: str | None
    linked_doc_ids: list[str]


@dataclass
class RetrievalResult:
    articles: list[ArticleResult]
    exchanges: list[ExchangeResult]


@dataclass(frozen=True)
class TenantViews:
    """A tenant's derived collections (see :mod:`kb_ingest.views`) and the query's vector
    under the English embedder (``None``: not an English query, or no English model)."""

    titles: TenantCollection | None = None
    kb_en: TenantCollection | None = None
    history_en: TenantCollection | None = None
    english_vector: np.ndarray | None = None

    @property
    def route(self) -> Route:
        return "english" if self.english_vector is not None else "primary"


@dataclass
class _LexicalIndex:
    generation: int
    items: list[StoredItem]
    bm25: Any
    link_counts: dict[str, int] = field(default_factory=dict)  # history: doc_id → links
    vectors: np.ndarray | None = None  # unit rows of ``items`` (small collections only)
    by_doc: dict[str, list[StoredItem]] = field(default_factory=dict)  # kb: doc_id → chunks
    doc_ids: list[str] = field(default_factory=list)  # kb: distinct doc_ids
    doc_of: np.ndarray | None = None  # kb: chunk row → position in ``doc_ids``
    row_of: dict[str, int] = field(default_factory=dict)  # item id → row

    def dense(self, vector: np.ndarray, n: int, filters: Filters, kind: str
              ) -> list[StoredItem]:
        """Exact cosine search in memory (what Chroma returns for a small collection,
        without its per-query overhead)."""
        assert self.vectors is not None
        scores = self.vectors @ np.asarray(vector, dtype=np.float32)
        order = np.argsort(-scores, kind="stable")
        found: list[StoredItem] = []
        for index in order:
            item = self.items[int(index)]
            if filters.accepts(item.metadata, kind):
                found.append(StoredItem(item.id, item.document, item.metadata,
                                        float(scores[index])))
                if len(found) >= n:
                    break
        return found

    def scored(self, query: list[str], n: int, filters: Filters, kind: str
               ) -> list[tuple[StoredItem, float]]:
        """The ``n`` best BM25 matches with their scores (positive only)."""
        if not query or not self.items or self.bm25 is None:
            return []
        k = min(len(self.items), n * 3 if filters else n)  # room for post-filtering
        # n_threads=0: no thread pool per call (n_threads=1 starts one, ~3 ms)
        docs, scores = self.bm25.retrieve([query], k=k, show_progress=False, n_threads=0)
        found: list[tuple[StoredItem, float]] = []
        for index, score in zip(docs[0], scores[0], strict=True):
            if score <= 0:
                break
            item = self.items[int(index)]
            if filters.accepts(item.metadata, kind):
                found.append((item, float(score)))
            if len(found) >= n:
                break
        return found

    def search(self, query: list[str], n: int, filters: Filters, kind: str) -> list[StoredItem]:
        return [item for item, _ in self.scored(query, n, filters, kind)]


@dataclass
class _ViewIndex:
    """Title and English vectors of a knowledge base, aligned with its lexical index."""

    key: tuple[int, int, int, int]
    titles: np.ndarray | None = None  # per doc (primary embedder), zero rows where missing
    en_rows: np.ndarray | None = None  # kb rows that have an English vector
    en_vectors: np.ndarray | None = None
    en_title_docs: np.ndarray | None = None  # doc positions with an English title vector
    en_titles: np.ndarray | None = None


def _generation(collection: TenantCollection | None) -> int:
    return -1 if collection is None else collection.generation


@dataclass
class ArticleCandidates:
    """Candidate articles of one query with their feature rows (``ARTICLE_FEATURES``)."""

    doc_ids: list[str]
    rows: np.ndarray
    similarity: dict[str, float]
    chunks: dict[str, list[StoredItem]]  # each doc's chunks, best match first

    @classmethod
    def empty(cls) -> ArticleCandidates:
        return cls([], np.zeros((0, 6)), {}, {})


class HybridRetriever:
    """Dense + BM25 candidates, ranked by the tenant's learnt (or default) ranking; the
    lexical indexes and vectors of small knowledge bases are cached per generation."""

    def __init__(self, *, candidates: int = 30, article_candidates: int = 50,
                 other_language_penalty: float = 0.5, memory_dense_limit: int = 20000) -> None:
        """``candidates`` past exchanges (dense and BM25 each) and ``article_candidates``
        articles (dense; BM25 gives ``candidates``) are scored per query. A knowledge base
        of at most ``memory_dense_limit`` chunks is searched in memory (exact cosine,
        cached with its BM25 index); history collections always go to Chroma."""
        self.candidates = candidates
        self.article_pool = article_candidates
        self.other_language_penalty = other_language_penalty
        self.memory_dense_limit = memory_dense_limit
        self._indexes: dict[str, _LexicalIndex] = {}
        self._views: dict[str, _ViewIndex] = {}
        self._rankings: dict[str, tuple[str | None, Ranking | None]] = {}
        self._lock = threading.Lock()

    # ----------------------------------------------------------- caches
    def _lexical(self, collection: TenantCollection) -> _LexicalIndex:
        generation = collection.generation
        cached = self._indexes.get(collection.name)
        if cached is not None and cached.generation == generation:
            return cached
        with self._lock:
            cached = self._indexes.get(collection.name)
            if cached is not None and cached.generation == generation:
                return cached
            items = list(collection.iter_all(documents=True))
            corpus = [tokenize(item.document) or ["_"] for item in items]
            bm25 = None
            if items:
                bm25 = bm25s.BM25()
                bm25.index(corpus, show_progress=False)
            links: dict[str, int] = defaultdict(int)
            for item in items:
                for doc_id in item.metadata.get("linked_doc_ids") or []:
                    links[str(doc_id)] += 1
            index = _LexicalIndex(generation, items, bm25, dict(links))
            index.row_of = {item.id: row for row, item in enumerate(items)}
            if collection.kind == "kb":
                positions: dict[str, int] = {}
                doc_of = []
                for item in items:
                    doc_id = str(item.metadata.get("doc_id"))
                    index.by_doc.setdefault(doc_id, []).append(item)
                    doc_of.append(positions.setdefault(doc_id, len(positions)))
                index.doc_ids = list(positions)
                index.doc_of = np.asarray(doc_of, dtype=np.int64)
                if 0 < len(items) <= self.memory_dense_limit:
                    index.vectors = unit_rows(collection.vectors([item.id for item in items]))
            self._indexes[collection.name] = index
            return index

    def _view_index(self, kb: TenantCollection, index: _LexicalIndex, views: TenantViews
                    ) -> _ViewIndex:
        key = (index.generation, _generation(views.titles), _generation(views.kb_en),
               len(index.items))
        cached = self._views.get(kb.name)
        if cached is not None and cached.key == key:
            return cached
        with self._lock:
            made = _ViewIndex(key)
            position = {doc_id: i for i, doc_id in enumerate(index.doc_ids)}
            if views.titles is not None:
                items = list(views.titles.iter_all(documents=False))
                if items:
                    vectors = unit_rows(views.titles.vectors([i.id for i in items]))
                    made.titles = np.zeros((len(index.doc_ids), vectors.shape[1]),
                                           dtype=np.float32)
                    for item, vector in zip(items, vectors, strict=True):
                        doc = position.get(str(item.metadata.get("doc_id")))
                        if doc is not None:
                            made.titles[doc] = vector
            if views.kb_en is not None:
                items = list(views.kb_en.iter_all(documents=False))
                if items:
                    vectors = unit_rows(views.kb_en.vectors([i.id for i in items]))
                    rows, chunk_vectors, docs, title_vectors = [], [], [], []
                    for item, vector in zip(items, vectors, strict=True):
                        if item.metadata.get("view_kind") == "title":
                            doc = position.get(str(item.metadata.get("doc_id")))
                            if doc is not None:
                                docs.append(doc)
                                title_vectors.append(vector)
                        elif item.id in index.row_of:
                            rows.append(index.row_of[item.id])
                            chunk_vectors.append(vector)
                    if rows:
                        made.en_rows = np.asarray(rows, dtype=np.int64)
                        made.en_vectors = np.vstack(chunk_vectors)
                    if docs:
                        made.en_title_docs = np.asarray(docs, dtype=np.int64)
                        made.en_titles = np.vstack(title_vectors)
            self._views[kb.name] = made
            return made

    def ranking_of(self, history: TenantCollection | None) -> Ranking | None:
        """The tenant's fitted ranking (kept with its history collection), if any."""
        if history is None:
            return None
        _ = history.generation  # re-reads the collection's metadata when due
        raw = history.read_meta(RANKING_KEY)
        cached = self._rankings.get(history.name)
        if cached is not None and cached[0] == raw:
            return cached[1]
        ranking = None
        if raw:
            try:
                ranking = Ranking.model_validate(json.loads(raw))
            except (ValueError, TypeError):
                ranking = None  # fitted by another release: the defaults apply until a refit
        self._rankings[history.name] = (raw, ranking)
        return ranking

    def warm(self, *collections: TenantCollection | None) -> None:
        for collection in collections:
            if collection is not None:
                self._lexical(collection)

    # ----------------------------------------------------------- retrieval
    def retrieve(
        self,
        kb: TenantCollection | None,
        history: TenantCollection | None,
        query_text: str,
        query_vector: np.ndarray,
        *,
        k_articles: int = 3,
        k_exchanges: int = 5,
        filters: Filters | None = None,
        history_filters: Filters | None = None,
        language: str | None = None,
        views: TenantViews | None = None,
    ) -> RetrievalResult:
        """Articles and past exchanges for a query; ``language``: the customer's (an
        article in another one ranks below an equally good one); ``views``: the tenant's
        derived collections and the query's English vector (the English route)."""
        filters = filters or Filters()
        history_filters = history_filters or Filters(channel=filters.channel)
        views = views or TenantViews()
        ranking = self.ranking_of(history)
        route = ranking.route(views.route) if ranking else default_ranking().route(views.route)
        tokens = tokenize(query_text)
        neighbours = self.neighbours(history, views, query_vector, history_filters)
        exchanges = self._exchanges(history, tokens, neighbours, max(k_exchanges, 0),
                                    history_filters, route)
        prior = link_shares(self._lexical(history).link_counts) if history is not None else {}
        votes, vote_sim = knn_votes((item.score, _links(item)) for item in neighbours)
        articles: list[ArticleResult] = []
        if kb is not None and k_articles > 0:
            found = self.article_candidates(kb, views, query_vector, tokens, filters,
                                            votes=votes, vote_sim=vote_sim, prior=prior)
            # no labelled history (a new tenant, or one whose agents never link): the
            # model fitted without history features
            model = route.articles if votes or prior else route.cold()
            articles = self._rank_articles(found, model, language, k_articles)
        return RetrievalResult(articles, exchanges[:k_exchanges])

    def neighbours(self, history: TenantCollection | None, views: TenantViews,
                   query_vector: np.ndarray, filters: Filters) -> list[StoredItem]:
        """The most similar past exchanges by dense search, on the query's route."""
        if history is None:
            return []
        # a view written at least once (its generation) holds items: no count() per query
        if views.english_vector is not None and views.history_en is not None \
                and views.history_en.generation > 0:
            return views.history_en.query(views.english_vector, self.candidates,
                                          filters.where("history"))
        return history.query(query_vector, self.candidates, filters.where("history"))

    def _exchanges(self, history: TenantCollection | None, tokens: list[str],
                   dense: list[StoredItem], k: int, filters: Filters,
                   route: RouteRanking) -> list[ExchangeResult]:
        if history is None or k == 0:
            return []
        lexical = self._lexical(history).scored(tokens, self.candidates, filters, "history")
        by_id = {item.id: item for item, _ in lexical}
        by_id.update({item.id: item for item in dense})
        similarity = {item.id: item.score for item in dense}
        best = max((score for _, score in lexical), default=0.0) or 1.0
        bm25 = {item.id: score / best for item, score in lexical}
        ids = list(by_id)
        rows = exchange_matrix([similarity.get(i, 0.0) for i in ids],
                               [bm25.get(i, 0.0) for i in ids])
        scores = route.exchanges.probabilities(rows)
        order = np.argsort(-scores, kind="stable")[: max(k, 10)]
        results = []
        for position in order:
            item = by_id[ids[int(position)]]
            meta = item.metadata
            results.append(ExchangeResult(
                id=item.id, conversation_id=str(meta.get("conversation_id", item.id)),
                score=float(scores[position]), similarity=similarity.get(item.id, 0.0),
                context=item.document, answer=str(meta.get("answer", "")),
                language=meta.get("language"), channel=meta.get("channel"),
                linked_doc_ids=_links(item)))
        return results

    def article_candidates(self, kb: TenantCollection, views: TenantViews,
                           query_vector: np.ndarray, tokens: list[str], filters: Filters, *,
                           votes: dict[str, float], vote_sim: dict[str, float],
                           prior: dict[str, float]) -> ArticleCandidates:
        """Candidate articles and their features (online and when fitting, the same)."""
        index = self._lexical(kb)
        if not index.items:
            return ArticleCandidates.empty()
        chunk_score: dict[str, float] = {}
        if index.vectors is not None:
            dense, title, sims = self._memory_dense(kb, index, views, query_vector, filters)
        else:
            dense, title, chunk_score = self._chroma_dense(kb, views, query_vector, filters)
            sims = None
        lexical = index.scored(tokens, self.candidates, filters, "kb")
        best = max((score for _, score in lexical), default=0.0) or 1.0
        bm25: dict[str, float] = {}
        for item, score in lexical:
            doc_id = str(item.metadata.get("doc_id"))
            bm25[doc_id] = max(bm25.get(doc_id, 0.0), score / best)
            chunk_score.setdefault(item.id, 0.0)
        ranked_dense = sorted(dense, key=lambda d: -dense[d])[: self.article_pool]
        ranked_prior = sorted(prior, key=lambda d: -prior[d])[: self.candidates]
        doc_ids = [d for d in dict.fromkeys([*ranked_dense, *bm25, *votes, *ranked_prior])
                   if d in index.by_doc and (not filters or any(
                       filters.accepts(c.metadata, "kb") for c in index.by_doc[d]))]
        rows = article_matrix(doc_ids, dense=dense, title=title, bm25=bm25, votes=votes,
                              vote_sim=vote_sim, prior=prior)

        def chunk_rank(item: StoredItem) -> float:
            if sims is not None:
                return -float(sims[index.row_of[item.id]])
            return -chunk_score.get(item.id, -1.0)

        chunks = {d: sorted((c for c in index.by_doc[d]
                             if not filters or filters.accepts(c.metadata, "kb")),
                            key=chunk_rank) for d in doc_ids}
        return ArticleCandidates(doc_ids, rows, {d: dense.get(d, 0.0) for d in doc_ids},
                                 chunks)

    def _memory_dense(self, kb: TenantCollection, index: _LexicalIndex, views: TenantViews,
                      vector: np.ndarray, filters: Filters
                      ) -> tuple[dict[str, float], dict[str, float], np.ndarray]:
        assert index.vectors is not None and index.doc_of is not None
        view = self._view_index(kb, index, views)
        sims = index.vectors @ np.asarray(vector, dtype=np.float32)
        english = views.english_vector
        if english is not None and view.en_rows is not None and view.en_vectors is not None:
            sims[view.en_rows] = view.en_vectors @ np.asarray(english, dtype=np.float32)
        if filters:
            keep = np.array([filters.accepts(item.metadata, "kb") for item in index.items])
            sims = np.where(keep, sims, -1.0)
        best = np.full(len(index.doc_ids), -1.0, dtype=np.float32)
        np.maximum.at(best, index.doc_of, sims)
        titles = np.zeros(len(index.doc_ids), dtype=np.float32)
        if view.titles is not None:
            titles = view.titles @ np.asarray(vector, dtype=np.float32)
        if english is not None and view.en_title_docs is not None and view.en_titles is not None:
            titles[view.en_title_docs] = view.en_titles @ np.asarray(english, dtype=np.float32)
        top = np.argsort(-best, kind="stable")[: self.article_pool * 2]
        dense = {index.doc_ids[int(i)]: float(best[i]) for i in top if best[i] > -1.0}
        title = {index.doc_ids[int(i)]: float(titles[i]) for i in range(len(titles))}
        return dense, title, sims

    def _chroma_dense(self, kb: TenantCollection, views: TenantViews, vector: np.ndarray,
                      filters: Filters
                      ) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
        """Large knowledge bases: the best chunks from Chroma (and from the views)."""
        n = self.article_pool * 2
        dense: dict[str, float] = {}
        found = list(kb.query(vector, n, filters.where("kb")))
        if views.english_vector is not None and views.kb_en is not None:
            found += [i for i in views.kb_en.query(views.english_vector, n, filters.where("kb"))
                      if i.metadata.get("view_kind") != "title"]
        chunk_score: dict[str, float] = {}
        for item in found:
            doc_id = str(item.metadata.get("doc_id"))
            dense[doc_id] = max(dense.get(doc_id, -1.0), item.score)
            chunk_score[item.id] = max(chunk_score.get(item.id, -1.0), item.score)
        title: dict[str, float] = {}
        if views.titles is not None:
            for item in views.titles.query(vector, n):
                title[str(item.metadata.get("doc_id"))] = item.score
        if views.english_vector is not None and views.kb_en is not None:
            for item in views.kb_en.query(views.english_vector, n,
                                          {"view_kind": "title"}):
                title[str(item.metadata.get("doc_id"))] = item.score
        return dense, title, chunk_score

    def _rank_articles(self, found: ArticleCandidates, model: LinearModel,
                       language: str | None, k: int) -> list[ArticleResult]:
        offsets = None
        metas = [found.chunks[d][0].metadata if found.chunks.get(d) else {}
                 for d in found.doc_ids]
        if language:
            offsets = np.array([-self.other_language_penalty
                                if m.get("language") and m.get("language") != language
                                else 0.0 for m in metas])
        scores = model.probabilities(found.rows, offsets)
        order = np.argsort(-scores, kind="stable")[:k]
        results = []
        for position in order:
            doc_id = found.doc_ids[int(position)]
            meta = metas[int(position)]
            items = found.chunks.get(doc_id) or []
            results.append(ArticleResult(
                doc_id=doc_id, title=str(meta.get("title", doc_id)), url=meta.get("url"),
                language=meta.get("language"), score=float(scores[position]),
                similarity=max(found.similarity.get(doc_id, 0.0), 0.0),
                passages=[(str(c.metadata.get("heading", "")),
                           str(c.metadata.get("passage", c.document))) for c in items[:3]]))
        return results


def _links(item: StoredItem) -> list[str]:
    return [str(d) for d in item.metadata.get("linked_doc_ids") or []]
