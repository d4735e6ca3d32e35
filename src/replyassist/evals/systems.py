"""The systems an evaluation compares, each turning a case into a :class:`CaseResult`.

- ``replyassist``: :meth:`ReplyAssistant.suggest` (tags, articles, drafts, timings, usage).
- ``bm25``: BM25 alone over the tenant's article chunks (the same index replyassist uses).
- ``dense``: the embedder alone (Chroma nearest chunks).
- ``langchain``: the plain LangChain recipe — the tenant's articles split with
  ``RecursiveCharacterTextSplitter`` (1,000 characters, 200 overlap), indexed with
  ``Chroma.from_documents`` (in memory, same embedder), ``similarity_search(k=4)``.
- ``most_used``: the tenant's most linked articles in its history, whatever the message.

Baselines return ranked article ids only; all use the same store, tenant and embedder.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from ..embeddings import embed_array
from ..models import Conversation, Suggestions
from ..retrieval import Filters, tokenize
from . import metrics
from .results import CaseResult, DraftResult

if TYPE_CHECKING:
    from ..assistant import ReplyAssistant

__all__ = ["BaselineSystems", "replyassist_result"]

RANKED = 5  # articles kept per system (hit@5, recall@5)


def _base(conversation: Conversation, system: str) -> dict[str, Any]:
    return {"case_id": conversation.id, "system": system, "channel": conversation.channel,
            "tenant": conversation.tenant,
            "customer_text": conversation.latest_customer_text()[-2000:],
            "expected": conversation.expected}


def _dedupe(doc_ids: list[str], k: int = RANKED) -> list[str]:
    return list(dict.fromkeys(doc_ids))[:k]


def replyassist_result(assistant: ReplyAssistant, conversation: Conversation,
                       suggestions: Suggestions, known_urls: set[str]) -> CaseResult:
    """The case result of one ``suggest`` call, with the first draft's metrics."""
    articles = [a.doc_id for a in suggestions.articles]
    drafts = [DraftResult(text=d.text, tone=d.tone, strategy=d.strategy,
                          citations=[c.doc_id for c in d.citations],
                          warnings=[w.code for w in d.warnings])
              for d in suggestions.drafts]
    result = CaseResult(**_base(conversation, "replyassist"), articles=articles,
                        known_articles=articles, analysis=suggestions.analysis,
                        drafts=drafts, timings_ms=suggestions.timings_ms,
                        usage=suggestions.usage)
    if drafts:
        result.draft_metrics = draft_metrics(assistant, conversation, suggestions, drafts[0],
                                             known_urls)
    return result


def draft_metrics(assistant: ReplyAssistant, conversation: Conversation,
                  suggestions: Suggestions, draft: DraftResult, known_urls: set[str]
                  ) -> dict[str, float | bool | None]:
    expected = conversation.expected.reply if conversation.expected else None
    out: dict[str, float | bool | None] = {
        "within_channel_limit": metrics.within_channel_limit(draft.text, conversation.channel),
        "citations_retrieved": metrics.citations_retrieved(draft.citations,
                                                           [a.doc_id for a in
                                                            suggestions.articles]),
        "links_known": metrics.links_known(draft.text, known_urls),
        "similarity": None, "chrf": None,
    }
    target = suggestions.analysis.language
    found, _ = assistant.detector.detect(draft.text, default=target or "fr")
    out["language_match"] = found == target if target else None
    if expected:
        vectors = embed_array(assistant.embedder, [draft.text, expected])
        out["similarity"] = round(metrics.cosine(vectors[0], vectors[1]), 4)
        out["chrf"] = round(metrics.chrf(draft.text, expected), 2)
    usage = suggestions.usage
    out["usd"] = metrics.estimated_cost(usage.prompt_tokens, usage.completion_tokens,
                                        usage.model) if usage.prompt_tokens else None
    return out


class BaselineSystems:
    """The baselines for one assistant (indexes cached per tenant)."""

    NAMES = ("bm25", "dense", "langchain", "most_used")

    def __init__(self, assistant: ReplyAssistant) -> None:
        self.assistant = assistant
        self._lc_stores: dict[str, Any] = {}
        self._lock = threading.Lock()

    def run(self, system: str, conversation: Conversation) -> CaseResult:
        started = time.perf_counter()
        query = conversation.latest_customer_text()[-2000:]
        ranked = getattr(self, f"_{system}")(conversation.tenant, query)
        return CaseResult(**_base(conversation, system), articles=_dedupe(ranked),
                          timings_ms={"total": (time.perf_counter() - started) * 1000})

    def _collections(self, tenant: str) -> tuple[Any, Any]:
        return self.assistant.pipeline.collections(tenant)

    def _bm25(self, tenant: str, query: str) -> list[str]:
        kb, _ = self._collections(tenant)
        if kb is None:
            return []
        index = self.assistant.pipeline.retriever._lexical(kb)
        items = index.search(tokenize(query), 30, Filters(), "kb")
        return [str(i.metadata.get("doc_id")) for i in items]

    def _dense(self, tenant: str, query: str) -> list[str]:
        kb, _ = self._collections(tenant)
        if kb is None:
            return []
        vector = embed_array(self.assistant.embedder, [query])[0]
        return [str(i.metadata.get("doc_id")) for i in kb.query(vector, 30)]

    def _most_used(self, tenant: str, query: str) -> list[str]:
        _, history = self._collections(tenant)
        if history is None:
            return []
        counts = self.assistant.pipeline.retriever._lexical(history).link_counts
        return [d for d, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]

    def _langchain(self, tenant: str, query: str) -> list[str]:
        store = self._langchain_store(tenant)
        if store is None:
            return []
        return [str(d.metadata.get("doc_id")) for d in store.similarity_search(query, k=4)]

    def _langchain_store(self, tenant: str) -> Any:
        with self._lock:
            if tenant in self._lc_stores:
                return self._lc_stores[tenant]
            kb, _ = self._collections(tenant)
            store = None
            if kb is not None:
                import chromadb
                from langchain_chroma import Chroma
                from langchain_core.documents import Document
                from langchain_text_splitters import RecursiveCharacterTextSplitter

                texts: dict[str, list[tuple[int, str]]] = defaultdict(list)
                titles: dict[str, str] = {}
                for item in kb.iter_all(documents=True):
                    doc_id = str(item.metadata.get("doc_id"))
                    titles[doc_id] = str(item.metadata.get("title", ""))
                    texts[doc_id].append((int(item.metadata.get("chunk_index", 0) or 0),
                                          str(item.metadata.get("passage", item.document))))
                documents = [Document(page_content=f"{titles[d]}\n\n" + "\n\n".join(
                    t for _, t in sorted(parts)), metadata={"doc_id": d})
                    for d, parts in texts.items()]
                splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
                chunks = splitter.split_documents(documents)
                if chunks:
                    store = Chroma.from_documents(
                        chunks, embedding=self.assistant.embedder,
                        client=chromadb.EphemeralClient(),
                        collection_name=f"lc-{abs(hash(tenant)) % 10**8:08d}")
            self._lc_stores[tenant] = store
            return store
