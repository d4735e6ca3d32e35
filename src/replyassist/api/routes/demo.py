"""The demo page (``/demo``), its config (``/demo/config``) and ``/static`` files, served
from the package's ``web/`` directory when it exists; and, on a server with a demo key,
``GET /v1/demo/conversations``: the conversations the demo page offers (the sample
brand's incoming ones, or ``demo_conversations``), the caller's tenant's only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from ...jsonl import read_records
from ...models import Conversation
from ...sample import sample_path
from ..auth import Principal, TenantQuery, authenticated, resolve_tenant
from ..config import ApiConfig
from ..errors import ApiError
from ..schemas import DemoConfig

__all__ = ["WEB_DIR", "build_conversations_router", "install_demo", "load_demo_conversations",
           "recent"]

WEB_DIR = Path(__file__).resolve().parents[2] / "web"


def install_demo(app: FastAPI, config: ApiConfig, web_dir: Path = WEB_DIR) -> None:
    router = APIRouter(include_in_schema=False)

    @router.get("/demo")
    def demo_page() -> FileResponse:
        page = web_dir / "demo.html"
        if not page.is_file():
            raise ApiError(404, "not_found", "the demo page is not installed")
        return FileResponse(page, media_type="text/html")

    @router.get("/demo/config", response_model=DemoConfig)
    def demo_config() -> DemoConfig:
        return DemoConfig(key=config.demo_key)

    app.include_router(router)
    if web_dir.is_dir():
        app.mount("/static", StaticFiles(directory=web_dir), name="static")


def load_demo_conversations(config: ApiConfig) -> list[Conversation] | None:
    """The demo conversations, read once at start-up (``None`` without a demo key). A bad
    file stops the start with an :class:`~replyassist.errors.InvalidInputError` naming its
    line and field. Expected answers are never served."""
    if config.demo_key is None:
        return None
    path = config.demo_conversations or sample_path("incoming.jsonl")
    conversations = []
    for record in read_records(path, Conversation):
        if record.error is not None:
            raise record.error
        assert record.value is not None
        conversations.append(record.value.model_copy(update={"expected": None}))
    return conversations


def recent(conversation: Conversation, *, now: datetime, ago: timedelta = timedelta(minutes=3)
           ) -> Conversation:
    """The conversation moved in time so that its last message was ``ago`` before ``now``
    (gaps between messages kept): the demo's SLA countdowns then start fresh."""
    stamps = [m.created_at for m in conversation.messages if m.created_at is not None]
    if not stamps:
        return conversation
    shift = now - ago - max(stamps)
    messages = [m.model_copy(update={"created_at": m.created_at + shift})
                if m.created_at is not None else m for m in conversation.messages]
    return conversation.model_copy(update={"messages": messages})


def build_conversations_router(config: ApiConfig) -> APIRouter:
    conversations = load_demo_conversations(config)
    router = APIRouter()

    @router.get("/demo/conversations", response_model=list[Conversation],
                response_model_exclude_none=True, tags=["demo"],
                summary="Conversations to try the panel with (servers with a demo key)")
    def demo_conversations(
        caller: Annotated[Principal, Depends(authenticated)],
        recent_times: Annotated[bool, Query(
            alias="recent", description="Move each conversation in time so that its last "
            "message was 3 minutes ago (live SLA countdowns).")] = False,
        tenant: TenantQuery = None,
    ) -> list[Conversation]:
        if conversations is None:
            raise ApiError(404, "not_found", "this server has no demo (no demo key)")
        acting = resolve_tenant(caller, tenant)
        mine = [c for c in conversations if c.tenant == acting]
        if recent_times:
            now = datetime.now(UTC)
            mine = [recent(c, now=now) for c in mine]
        return mine

    return router
