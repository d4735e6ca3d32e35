"""POST /v1/suggest, /v1/suggest/stream (server-sent events) and /v1/analyze."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sse_starlette import EventSourceResponse, ServerSentEvent

from ...errors import ReplyAssistError
from ...models import Analysis, Conversation, Suggestions
from ...pipeline import StreamEvent
from ..auth import Principal, TenantQuery, authenticated, resolve_tenant
from ..errors import describe, error_body
from ..schemas import SuggestRequest
from ..state import assistant_of

__all__ = ["router"]

log = logging.getLogger("replyassist.api")
router = APIRouter(tags=["suggest"])
Caller = Annotated[Principal, Depends(authenticated)]

_STREAM_DOC = ("Server-sent events: `analysis` (Analysis), `articles` (list of ArticleHit), "
               "`token` (a piece of the first draft, generated mode), `final` (Suggestions); "
               "`error` (the error shape) if the stream fails after it started.")


def _tenant_conversation(conversation: Conversation, tenant: str) -> Conversation:
    return conversation.model_copy(update={"tenant": tenant})


def _json(data: Any) -> str:
    if isinstance(data, BaseModel):
        return data.model_dump_json()
    if isinstance(data, list):
        return json.dumps([d.model_dump(mode="json") if isinstance(d, BaseModel) else d
                           for d in data], ensure_ascii=False)
    return json.dumps(data, ensure_ascii=False)


def _event(event: StreamEvent) -> ServerSentEvent:
    return ServerSentEvent(data=_json(event.data), event=event.type)


async def _events(first: StreamEvent, rest: AsyncIterator[StreamEvent], request: Request
                  ) -> AsyncIterator[ServerSentEvent]:
    yield _event(first)
    try:
        async for event in rest:
            yield _event(event)
    except ReplyAssistError as error:
        _, code, message, field = describe(error)
        log.warning("stream failed: [%s] %s", error.code, error)
        yield ServerSentEvent(data=json.dumps(error_body(request.scope, code, message,
                                                         field=field)), event="error")
    except Exception:
        log.exception("stream failed")
        yield ServerSentEvent(data=json.dumps(error_body(
            request.scope, "internal_error", "Internal error.")), event="error")


@router.post("/suggest", response_model=Suggestions, summary="Suggest replies")
async def suggest(body: SuggestRequest, request: Request, caller: Caller,
                  tenant: TenantQuery = None) -> Suggestions:
    """Analysis, articles, similar past answers and validated drafts for a conversation."""
    acting = resolve_tenant(caller, tenant, (body.tenant,))
    conversation = _tenant_conversation(body.conversation(), acting)
    return await assistant_of(request).asuggest(conversation, mode=body.mode, tenant=acting)


@router.post("/suggest/stream", summary="Suggest replies, streamed", description=_STREAM_DOC,
             response_class=EventSourceResponse,
             responses={200: {"content": {"text/event-stream": {}}}})
async def suggest_stream(body: SuggestRequest, request: Request, caller: Caller,
                         tenant: TenantQuery = None) -> EventSourceResponse:
    acting = resolve_tenant(caller, tenant, (body.tenant,))
    conversation = _tenant_conversation(body.conversation(), acting)
    events = assistant_of(request).astream(conversation, mode=body.mode, tenant=acting)
    # the first event is awaited here: failures before the stream starts get a status
    first = await anext(aiter(events))
    return EventSourceResponse(_events(first, events, request))


@router.post("/analyze", response_model=Analysis, summary="Tag a conversation")
def analyze(body: Conversation, request: Request, caller: Caller,
            tenant: TenantQuery = None) -> Analysis:
    """Language, mood, sentiment, urgency, register, intent, flags, SLA and priority."""
    acting = resolve_tenant(caller, tenant, (body.tenant,))
    return assistant_of(request).analyze(_tenant_conversation(body, acting))
