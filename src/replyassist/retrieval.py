"""Hybrid retrieval per tenant: dense (Chroma) + lexical (BM25, bm25s), fused by RRF.

Knowledge chunks are ranked by both retrievers and grouped by article; articles that
agents linked in the most similar past exchanges get a third vote, so the articles
colleagues actually used for similar cases rank higher. Past exchanges are ranked by
dense + BM25 over their customer context.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import bm25s
import numpy as np

from .store import StoredItem, TenantCollection

__all__ = ["ArticleResult", "ExchangeResult", "Filters", "HybridRetriever", "RetrievalResult"]

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
    score: float  # fused, normalised to [0, 1]
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


@dataclass
class _LexicalIndex:
    generation: int
    items: list[StoredItem]
    bm25: Any
    link_counts: dict[str, int] = field(default_factory=dict)  # history: doc_id → links
    vectors: np.ndarray | None = None  # unit rows of ``items`` (small collections only)
    by_doc: dict[str, list[StoredItem]] = field(default_factory=dict)  # kb: doc_id → chunks

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

    def search(self, query: list[str], n: int, filters: Filters, kind: str) -> list[StoredItem]:
        if not query or not self.items or self.bm25 is None:
            return []
        filtered = bool(filters.language or filters.tags or filters.channel)
        k = min(len(self.items), n * 3 if filtered else n)  # room for post-filtering
        # n_threads=0: no thread pool per call (n_threads=1 starts one, ~3 ms)
        docs, scores = self.bm25.retrieve([query], k=k, show_progress=False, n_threads=0)
        found: list[StoredItem] = []
        for index, score in zip(docs[0], scores[0], strict=True):
            if score <= 0:
                break
            item = self.items[int(index)]
            if filters.accepts(item.metadata, kind):
                found.append(item)
            if len(found) >= n:
                break
        return found


class HybridRetriever:
    """Dense + BM25 with reciprocal-rank fusion; BM25 indexes are cached per collection."""

    def __init__(self, *, rrf_k: int = 10, candidates: int = 30, link_weight: float = 2.0,
                 lexical_weight: float = 1.0, prior_weight: float = 0.5,
                 min_text_trust: float = 0.25, memory_dense_limit: int = 20000) -> None:
        """Defaults tuned on the sample brand and the Twitter customer-care set (see
        README "Figures"): RRF over dense and BM25 lists with a small ``rrf_k`` (short
        lists), agents' links worth ``link_weight`` first-ranks at most, the tenant's most
        linked articles as a weak prior, and article text trusted less (down to
        ``min_text_trust``) when its best dense similarity is weak. A knowledge base of at
        most ``memory_dense_limit`` chunks is searched in memory (exact cosine, cached with
        its BM25 index); history collections always go to Chroma."""
        self.rrf_k = rrf_k
        self.candidates = candidates
        self.link_weight = link_weight
        self.lexical_weight = lexical_weight
        self.prior_weight = prior_weight
        self.min_text_trust = min_text_trust
        self.memory_dense_limit = memory_dense_limit
        self._indexes: dict[str, _LexicalIndex] = {}
        self._lock = threading.Lock()

    # ----------------------------------------------------------- lexical index
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
            if collection.kind == "kb":
                for item in items:
                    index.by_doc.setdefault(str(item.metadata.get("doc_id")), []).append(item)
                if 0 < len(items) <= self.memory_dense_limit:
                    vectors = collection.vectors([item.id for item in items])
                    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
                    index.vectors = vectors / np.maximum(norms, 1e-12)
            self._indexes[collection.name] = index
            return index

    def warm(self, *collections: TenantCollection | None) -> None:
        for collection in collections:
            if collection is not None:
                self._lexical(collection)

    # ----------------------------------------------------------- fusion
    def _fuse(self, *rankings: tuple[list[str], float]) -> dict[str, float]:
        scores: dict[str, float] = defaultdict(float)
        for ranking, weight in rankings:
            for rank, key in enumerate(ranking):
                scores[key] += weight / (self.rrf_k + rank + 1)
        return scores

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
    ) -> RetrievalResult:
        filters = filters or Filters()
        history_filters = history_filters or Filters(channel=filters.channel)
        query_tokens = tokenize(query_text)
        exchanges = self._exchanges(history, query_tokens, query_vector, k_exchanges,
                                    history_filters)
        popularity = self._lexical(history).link_counts if history is not None else {}
        articles = self._articles(kb, query_tokens, query_vector, k_articles, filters, exchanges,
                                  popularity)
        return RetrievalResult(articles, exchanges[:k_exchanges])

    def _exchanges(self, history: TenantCollection | None, tokens: list[str],
                   vector: np.ndarray, k: int, filters: Filters) -> list[ExchangeResult]:
        if history is None:
            return []
        n = max(self.candidates, k)
        dense = history.query(vector, n, filters.where("history"))
        lexical = self._lexical(history).search(tokens, n, filters, "history")
        by_id = {item.id: item for item in [*lexical, *dense]}
        similarity = {item.id: item.score for item in dense}
        fused = self._fuse(([i.id for i in dense], 1.0),
                           ([i.id for i in lexical], self.lexical_weight))
        top = 1.0 / (self.rrf_k + 1) * (1.0 + self.lexical_weight)
        ranked = sorted(fused.items(), key=lambda kv: kv[1], reverse=True)[: max(k, 10)]
        results = []
        for key, score in ranked:
            item = by_id[key]
            meta = item.metadata
            results.append(ExchangeResult(
                id=key, conversation_id=str(meta.get("conversation_id", key)),
                score=min(1.0, score / top), similarity=similarity.get(key, 0.0),
                context=item.document, answer=str(meta.get("answer", "")),
                language=meta.get("language"), channel=meta.get("channel"),
                linked_doc_ids=list(meta.get("linked_doc_ids") or [])))
        return results

    def _articles(self, kb: TenantCollection | None, tokens: list[str], vector: np.ndarray,
                  k: int, filters: Filters, exchanges: list[ExchangeResult],
                  popularity: dict[str, int]) -> list[ArticleResult]:
        if kb is None:
            return []
        n = max(self.candidates, k * 4)
        index = self._lexical(kb)
        dense = index.dense(vector, n, filters, "kb") if index.vectors is not None \
            else kb.query(vector, n, filters.where("kb"))
        lexical = index.search(tokens, n, filters, "kb")
        chunks: dict[str, list[StoredItem]] = defaultdict(list)
        best_similarity: dict[str, float] = defaultdict(float)
        dense_order: list[str] = []
        lexical_order: list[str] = []
        for item in dense:
            doc_id = str(item.metadata.get("doc_id"))
            best_similarity[doc_id] = max(best_similarity[doc_id], item.score)
            if doc_id not in dense_order:
                dense_order.append(doc_id)
            chunks[doc_id].append(item)
        for item in lexical:
            doc_id = str(item.metadata.get("doc_id"))
            if doc_id not in lexical_order:
                lexical_order.append(doc_id)
            if all(c.id != item.id for c in chunks[doc_id]):
                chunks[doc_id].append(item)
        link_votes: dict[str, float] = defaultdict(float)
        for rank, exchange in enumerate(exchanges):
            for doc_id in exchange.linked_doc_ids:
                link_votes[doc_id] += exchange.score / (rank + 1)
        linked_order = [d for d, _ in sorted(link_votes.items(), key=lambda kv: -kv[1])]
        prior_order = [d for d, _ in sorted(popularity.items(), key=lambda kv: -kv[1])][:n] \
            if self.prior_weight else []
        missing = [d for d in dict.fromkeys([*linked_order, *prior_order]) if d not in chunks]
        if missing:  # linked or popular articles without a retrieved chunk: from the cache
            for doc_id in missing:
                for item in index.by_doc.get(doc_id, []):
                    if filters.accepts(item.metadata, "kb"):
                        chunks[doc_id].append(item)
            linked_order = [d for d in linked_order if d in chunks]
            prior_order = [d for d in prior_order if d in chunks]
        # Trust the articles' own text in proportion to how well it matches: help centres
        # whose articles are little more than titles must not drown the agents' links.
        text_trust = min(1.0, max(self.min_text_trust, (max(best_similarity.values(),
                                                                default=0.0) - 0.2) / 0.3))
        fused = self._fuse((dense_order, text_trust), (lexical_order,
                                                       self.lexical_weight * text_trust))
        # Evidence from agents' links keeps its magnitude: the share of the similar cases'
        # votes (9 of 10 similar cases linking a doc is not the same as 1 of 10), and the
        # tenant-wide share of links as a weak prior.
        first = 1.0 / (self.rrf_k + 1)
        total_votes = sum(link_votes.values())
        for doc_id in linked_order:
            fused[doc_id] += self.link_weight * first * link_votes[doc_id] / total_votes
        if prior_order:
            most = max(popularity[d] for d in prior_order)
            for doc_id in prior_order:
                fused[doc_id] += self.prior_weight * first * popularity[doc_id] / most
        top = (1.0 + self.lexical_weight + (self.link_weight if linked_order else 0.0)
               + (self.prior_weight if prior_order else 0.0)) * first
        results = []
        for doc_id, score in sorted(fused.items(), key=lambda kv: kv[1], reverse=True)[:k]:
            items = sorted(chunks[doc_id], key=lambda c: -c.score)
            meta = items[0].metadata
            results.append(ArticleResult(
                doc_id=doc_id, title=str(meta.get("title", doc_id)), url=meta.get("url"),
                language=meta.get("language"), score=min(1.0, score / top),
                similarity=best_similarity.get(doc_id, 0.0),
                passages=[(str(c.metadata.get("heading", "")),
                           str(c.metadata.get("passage", c.document))) for c in items[:3]]))
        return results
