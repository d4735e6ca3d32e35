"""Request and response models of the HTTP API that are not in :mod:`replyassist.models`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..models import Conversation
from ..settings import Mode

__all__ = [
    "DemoConfig",
    "ErrorBody",
    "ErrorInfo",
    "FieldError",
    "Health",
    "IngestError",
    "IngestReportOut",
    "Readiness",
    "SuggestRequest",
]


class FieldError(BaseModel):
    field: str | None = None
    message: str


class ErrorInfo(BaseModel):
    code: str = Field(description="Stable, machine-readable: invalid_input, unauthorized, "
                      "forbidden, not_found, payload_too_large, rate_limited, …")
    message: str
    field: str | None = Field(default=None, description="Dotted path of the faulty field.")
    request_id: str | None = None
    details: list[FieldError] | None = None


class ErrorBody(BaseModel):
    """The one shape of every error response."""

    error: ErrorInfo


class SuggestRequest(Conversation):
    """A formats.md conversation, plus the drafting mode (default: the server's)."""

    mode: Mode | None = None

    def conversation(self) -> Conversation:
        return Conversation.model_validate(self.model_dump(exclude={"mode"}))


class IngestError(BaseModel):
    message: str
    field: str | None = None
    line: int | None = None


class IngestReportOut(BaseModel):
    kind: str
    tenant: str
    added: int
    updated: int
    skipped: int
    removed: int
    chunks: int
    seconds: float
    errors: list[IngestError] = Field(default_factory=list)

    @classmethod
    def from_report(cls, report: Any, tenant: str) -> IngestReportOut:
        errors = [IngestError(message=getattr(e, "reason", str(e)), field=e.field, line=e.line)
                  for e in report.errors]
        return cls(kind=report.kind, tenant=tenant, added=report.added, updated=report.updated,
                   skipped=report.skipped, removed=report.removed, chunks=report.chunks,
                   seconds=round(report.seconds, 3), errors=errors)


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    checks: dict[str, bool]


class DemoConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_base: str = "/v1"
    key: str | None = None
