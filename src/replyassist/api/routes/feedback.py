"""POST /v1/feedback (what the agent did with a suggestion) and GET /v1/metrics/feedback.

Recording is synchronous; learning from an accepted or edited reply (adding it to the
tenant's history) runs after the response, in a background task.
"""

# no `from __future__ import annotations`: FastAPI must see the locally imported models

import logging
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request

from ...assistant import ReplyAssistant
from ..auth import Principal, TenantQuery, authenticated, resolve_tenant
from ..state import assistant_of, state_of
from .unavailable import unavailable_router

__all__ = ["build_router"]

log = logging.getLogger("replyassist.api")
Caller = Annotated[Principal, Depends(authenticated)]


def _learn_quietly(learn: Any, assistant: ReplyAssistant, tenant: str, item: Any) -> None:
    try:
        added = learn(assistant, tenant, item)
        log.info("feedback %s: %s exchange(s) learned", item.suggestion_id, added)
    except Exception:
        log.exception("learning from feedback %s failed", item.suggestion_id)


def build_router() -> APIRouter:
    try:
        from ...feedback import FeedbackIn, FeedbackMetrics, FeedbackRecord, learn
    except ImportError:
        router = unavailable_router(["/feedback"], tag="feedback")
        router.include_router(unavailable_router(["/metrics/feedback"], tag="feedback",
                                                 method="GET"))
        return router
    router = APIRouter(tags=["feedback"])

    @router.post("/feedback", response_model=FeedbackRecord, status_code=201,
                 summary="Record what the agent did with a suggestion")
    def feedback(body: FeedbackIn, request: Request, caller: Caller,
                 background: BackgroundTasks, tenant: TenantQuery = None) -> FeedbackRecord:
        conversation = body.conversation
        acting = resolve_tenant(caller, tenant, (conversation.tenant,) if conversation else ())
        if conversation is not None:
            body = body.model_copy(update={
                "conversation": conversation.model_copy(update={"tenant": acting})})
        record = state_of(request).feedback().record(acting, body)
        if body.action in ("accepted", "edited"):
            background.add_task(_learn_quietly, learn, assistant_of(request), acting, body)
        return record

    @router.get("/metrics/feedback", response_model=FeedbackMetrics,
                summary="Acceptance and edit metrics of the tenant")
    def metrics(request: Request, caller: Caller,
                tenant: TenantQuery = None) -> FeedbackMetrics:
        return state_of(request).feedback().metrics(resolve_tenant(caller, tenant))

    return router
