"""``create_app``: the FastAPI application factory. Everything lives on ``app.state``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI

from .. import __version__
from .config import ApiConfig
from .errors import install_error_handlers
from .limits import BodySizeLimit, RateLimiter
from .middleware import ErrorBoundary, JsonCORSMiddleware, RequestId
from .routes import assist, feedback, health, knowledge, library, suggest
from .routes.demo import WEB_DIR, build_conversations_router, install_demo
from .schemas import ErrorBody
from .state import AppState, AssistantSource

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/v1"
_DESCRIPTION = "Reply suggestions for customer-service agents. See docs/api.md."
_ERRORS: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in ((401, "No or invalid API key."), (403, "Not allowed for this key."),
                         (413, "Body too large."), (422, "Invalid input."),
                         (429, "Rate limited (see Retry-After)."))}


def create_app(assistant: AssistantSource, *, config: ApiConfig,
               web_dir: Path = WEB_DIR) -> FastAPI:
    """An app serving ``assistant`` (or building it once, on first use, from a factory)."""
    state = AppState(assistant, config.feedback_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.assistant()  # build (and load the models) before the first request
        try:
            yield
        finally:
            state.close()

    app = FastAPI(title="replyassist", version=__version__, description=_DESCRIPTION,
                  lifespan=lifespan, openapi_url=f"{API_PREFIX}/openapi.json",
                  docs_url=f"{API_PREFIX}/docs", redoc_url=None)
    app.state.config = config
    app.state.replyassist = state
    app.state.rate_limiter = RateLimiter(config.rate_limit_per_minute)
    install_error_handlers(app)

    v1 = APIRouter(prefix=API_PREFIX, responses=_ERRORS)
    v1.include_router(suggest.router)
    v1.include_router(assist.build_router())
    v1.include_router(feedback.build_router())
    v1.include_router(knowledge.router)
    v1.include_router(library.router)
    v1.include_router(build_conversations_router(config))
    app.include_router(v1)
    app.include_router(health.router)
    install_demo(app, config, web_dir)

    # outermost last: RequestId → CORS → ErrorBoundary → BodySizeLimit → routes
    app.add_middleware(BodySizeLimit, max_bytes=config.max_body_bytes)
    app.add_middleware(ErrorBoundary)
    if config.cors_origins:
        app.add_middleware(JsonCORSMiddleware, allow_origins=config.cors_origins,
                           allow_methods=["GET", "POST", "OPTIONS"],
                           allow_headers=["Authorization", "X-API-Key", "Content-Type",
                                          "X-Request-ID"],
                           expose_headers=["X-Request-ID", "Retry-After"], max_age=600)
    app.add_middleware(RequestId)
    return app
