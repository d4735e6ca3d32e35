"""POST /v1/rewrite (the agent's own draft) and /v1/summarize (a hand-off summary).

The cores live in :mod:`replyassist.assist`; they are imported when the app is built, so
that the API package imports without them (the routes then answer 501).
"""

# no `from __future__ import annotations`: FastAPI must see the locally imported models

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from ..auth import Principal, TenantQuery, authenticated, resolve_tenant
from ..state import assistant_of
from .unavailable import unavailable_router

__all__ = ["build_router"]

Caller = Annotated[Principal, Depends(authenticated)]


def build_router() -> APIRouter:
    try:
        from ...assist.rewrite import RewriteRequest, RewriteResult, arewrite
        from ...assist.summarize import HandoffSummary, SummaryRequest, asummarize
    except ImportError:
        return unavailable_router(["/rewrite", "/summarize"], tag="assist")
    router = APIRouter(tags=["assist"])

    @router.post("/rewrite", response_model=RewriteResult, summary="Rewrite the agent's draft")
    async def rewrite(body: RewriteRequest, request: Request, caller: Caller,
                      tenant: TenantQuery = None) -> RewriteResult:
        """Friendlier, more formal, shorter, more empathetic, fixed, or translated into the
        customer's language — keeping quoted text, links and signature."""
        conversation = body.conversation
        acting = resolve_tenant(caller, tenant,
                                (conversation.tenant,) if conversation else ())
        if conversation is not None:
            body = body.model_copy(update={
                "conversation": conversation.model_copy(update={"tenant": acting})})
        return await arewrite(assistant_of(request), body)

    @router.post("/summarize", response_model=HandoffSummary, summary="Hand-off summary")
    async def summarize(body: SummaryRequest, request: Request, caller: Caller,
                        tenant: TenantQuery = None) -> HandoffSummary:
        """Intent, what was done and what is pending, in the agent's language."""
        acting = resolve_tenant(caller, tenant, (body.conversation.tenant,))
        body = body.model_copy(update={
            "conversation": body.conversation.model_copy(update={"tenant": acting})})
        return await asummarize(assistant_of(request), body)

    return router
