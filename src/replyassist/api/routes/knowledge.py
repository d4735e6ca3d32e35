"""GET /v1/articles/search; POST /v1/ingest/kb and /v1/ingest/history (admin keys)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from ...assistant import ReplyAssistant
from ...embeddings import embed_array
from ...models import ArticleHit, Conversation, KnowledgeArticle
from ...pipeline import MAX_QUERY_CHARS
from ...retrieval import Filters
from ..auth import Principal, TenantQuery, authenticated, require_admin, resolve_tenant
from ..schemas import IngestReportOut
from ..state import assistant_of

__all__ = ["router", "search_articles"]

router = APIRouter()
Caller = Annotated[Principal, Depends(authenticated)]
Admin = Annotated[Principal, Depends(require_admin)]


def search_articles(assistant: ReplyAssistant, tenant: str, query: str, *, k: int = 5,
                    language: str | None = None) -> list[ArticleHit]:
    """The tenant's articles for a free-text query (the suggest pipeline's retriever)."""
    pipeline = assistant.pipeline
    kb, _ = pipeline.collections(tenant)
    if kb is None:
        return []
    text = query[-MAX_QUERY_CHARS:]
    vector = embed_array(assistant.embedder, [text])[0]
    spoken = language or assistant.detector.detect(text, default=None)[0]
    result = pipeline.retrieve(tenant, text, vector, language=spoken, k_articles=k,
                               k_exchanges=0, filters=Filters(language=language))
    return [ArticleHit(doc_id=a.doc_id, title=a.title, url=a.url, score=round(a.score, 4))
            for a in result.articles]


@router.get("/articles/search", response_model=list[ArticleHit], tags=["knowledge"],
            summary="Search the knowledge base")
def articles_search(
    request: Request, caller: Caller,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS,
                            description="Free text, e.g. the customer's message.")],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    language: Annotated[str | None, Query(min_length=2, max_length=8)] = None,
    tenant: TenantQuery = None,
) -> list[ArticleHit]:
    acting = resolve_tenant(caller, tenant)
    return search_articles(assistant_of(request), acting, q, k=k, language=language)


@router.post("/ingest/kb", response_model=IngestReportOut, tags=["ingest"],
             summary="Add or update knowledge articles (admin)")
def ingest_kb(
    articles: list[KnowledgeArticle], request: Request, admin: Admin,
    tenant: TenantQuery = None,
    prune: Annotated[bool, Query(description="Remove the tenant's articles absent from "
                                 "this list.")] = False,
) -> IngestReportOut:
    acting = resolve_tenant(admin, tenant)
    report = assistant_of(request).ingest_kb(articles, tenant=acting, prune=prune)
    return IngestReportOut.from_report(report, acting)


@router.post("/ingest/history", response_model=IngestReportOut, tags=["ingest"],
             summary="Add past conversations (admin)")
def ingest_history(conversations: list[Conversation], request: Request, admin: Admin,
                   tenant: TenantQuery = None) -> IngestReportOut:
    acting = resolve_tenant(admin, tenant, tuple(c.tenant for c in conversations))
    conversations = [c.model_copy(update={"tenant": acting}) for c in conversations]
    report = assistant_of(request).ingest_history(conversations, tenant=acting)
    return IngestReportOut.from_report(report, acting)
