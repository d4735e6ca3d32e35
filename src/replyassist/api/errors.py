"""One JSON error shape for every failure, with a stable ``code``; never a stack trace.

``{"error": {"code", "message", "field", "request_id", "details"}}``. replyassist's own
exceptions keep their meaning (a caller mistake is a 4xx, a failure outside the caller's
control a 5xx); runtime failures get a fixed message, so that no path, URL or vendor
message leaks to the client (the full error is logged with the request id).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from ..errors import (
    ConfigurationError,
    EmbedderMismatchError,
    EmbeddingError,
    InvalidInputError,
    LLMError,
    LLMRateLimitError,
    LLMTimeoutError,
    NotFoundError,
    ReplyAssistError,
    StoreError,
    UserError,
)
from .schemas import ErrorBody, ErrorInfo, FieldError

__all__ = ["ApiError", "error_response", "install_error_handlers", "request_id_of"]

log = logging.getLogger("replyassist.api")

_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 413: "payload_too_large",
               415: "unsupported_media_type", 422: "invalid_input", 429: "rate_limited"}

# runtime failures: (status, code, message) — fixed messages, details only in the log
_RUNTIME: list[tuple[type[ReplyAssistError], int, str, str]] = [
    (LLMTimeoutError, 504, "llm_timeout", "The language model did not answer in time."),
    (LLMRateLimitError, 503, "llm_rate_limited", "The language model is rate limited."),
    (LLMError, 503, "llm_unavailable", "The language model is unavailable."),
    (StoreError, 503, "store_unavailable", "The knowledge store is unavailable."),
    (EmbeddingError, 500, "embedding_error", "Texts could not be embedded."),
]


class ApiError(Exception):
    """An HTTP error with a stable code, raised by the API layer itself."""

    def __init__(self, status: int, code: str, message: str, *, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}


def request_id_of(scope: Scope) -> str | None:
    state = scope.get("state") or {}
    value = state.get("request_id") if isinstance(state, dict) else None
    return str(value) if value else None


def error_body(scope: Scope, code: str, message: str, *, field: str | None = None,
               details: list[FieldError] | None = None) -> dict[str, Any]:
    info = ErrorInfo(code=code, message=message, field=field, request_id=request_id_of(scope),
                     details=details or None)
    return ErrorBody(error=info).model_dump(mode="json", exclude_none=True)


def error_response(scope: Scope, status: int, code: str, message: str, *,
                   field: str | None = None, headers: dict[str, str] | None = None,
                   details: list[FieldError] | None = None) -> JSONResponse:
    return JSONResponse(error_body(scope, code, message, field=field, details=details),
                        status_code=status, headers=headers)


def for_exception(scope: Scope, error: ReplyAssistError) -> JSONResponse:
    """The response of a replyassist exception (also used inside event streams)."""
    status, code, message, field = describe(error)
    return error_response(scope, status, code, message, field=field)


def describe(error: ReplyAssistError) -> tuple[int, str, str, str | None]:
    if isinstance(error, InvalidInputError):
        return 422, "invalid_input", error.reason, error.field
    if isinstance(error, EmbedderMismatchError):
        return 409, "embedder_mismatch", str(error), None
    if isinstance(error, ConfigurationError):
        return 400, "configuration", str(error), None
    if isinstance(error, NotFoundError):
        return 404, "not_found", str(error), error.field
    if isinstance(error, UserError):
        return 400, error.code, str(error), None
    for kind, status, code, message in _RUNTIME:
        if isinstance(error, kind):
            return status, code, message, None
    return 503, "runtime_failure", "A service replyassist depends on failed.", None


def _dotted(loc: tuple[Any, ...] | list[Any]) -> str | None:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or None


async def _on_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(request.scope, exc.status, exc.code, exc.message, field=exc.field,
                          headers=exc.headers)


async def _on_replyassist(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ReplyAssistError)
    status = describe(exc)[0]
    if status >= 500:
        log.error("request %s failed: [%s] %s", request_id_of(request.scope), exc.code, exc)
    return for_exception(request.scope, exc)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    details = [FieldError(field=_dotted(e.get("loc", ())), message=str(e.get("msg", "")))
               for e in errors[:20]]
    first = details[0] if details else FieldError(field=None, message="invalid request")
    message = first.message
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    return error_response(request.scope, 422, "invalid_input", message, field=first.field,
                          details=details)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return error_response(request.scope, exc.status_code, code, message,
                          headers=dict(exc.headers or {}))


def install_error_handlers(app: FastAPI) -> None:
    """Unexpected exceptions are turned into ``internal_error`` by
    :class:`replyassist.api.middleware.ErrorBoundary`, not here."""
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(ReplyAssistError, _on_replyassist)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
