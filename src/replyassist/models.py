"""Pydantic models of the public formats (``formats.md``): input and output contract.

Input models (conversation, message, customer, article) keep unknown fields in
``metadata`` instead of failing; a missing required field, a wrong type or an unknown
label is a validation error that names the field.
"""

from __future__ import annotations

import warnings
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .labels import Channel, Flag, Mood, Register, Role, Strategy, Tone, Urgency

# ``register`` is a contract field name; it shadows the unused ``BaseModel.register`` (ABC).
warnings.filterwarnings("ignore", message='Field name "register"', category=UserWarning)

__all__ = [
    "Analysis",
    "ArticleHit",
    "Citation",
    "Conversation",
    "Customer",
    "Draft",
    "Expected",
    "KnowledgeArticle",
    "Message",
    "Notice",
    "Reaction",
    "SimilarConversation",
    "Suggestions",
    "Usage",
]


class _InputModel(BaseModel):
    """Accepts unknown fields and keeps them in ``metadata`` (formats.md rule)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    metadata: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _collect_unknown_fields(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        known = set(cls.model_fields)
        extra = {k: v for k, v in data.items() if k not in known}
        if not extra:
            return data
        kept = {k: v for k, v in data.items() if k in known}
        metadata = dict(kept.get("metadata") or {})
        metadata.update(extra)
        kept["metadata"] = metadata
        return kept


class Message(_InputModel):
    role: Role
    text: str
    created_at: datetime | None = None

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("message text is empty")
        return value


class Customer(_InputModel):
    id: str | None = None
    name: str | None = None
    locale: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)


class Expected(_InputModel):
    """What an evaluation expects; only read by evaluations."""

    reply: str | None = None
    doc_ids: list[str] | None = None
    mood: Mood | None = None
    urgency: Urgency | None = None
    register: Register | None = None
    intent: str | None = None
    flags: list[Flag] | None = None


class Conversation(_InputModel):
    id: str = Field(min_length=1)
    tenant: str = "default"
    channel: Channel
    customer: Customer | None = None
    messages: list[Message] = Field(min_length=1)
    expected: Expected | None = None

    @property
    def language_hint(self) -> str | None:
        """The language of the customer's locale (``fr-BE`` → ``fr``), if known."""
        locale = self.customer.locale if self.customer else None
        return locale.split("-")[0].lower() if locale else None

    def customer_turns(self) -> list[Message]:
        return [m for m in self.messages if m.role == "customer"]

    def latest_customer_text(self, max_turns: int = 3) -> str:
        """The customer turns since the last agent answer (at most ``max_turns``), joined."""
        turns: list[str] = []
        for message in reversed(self.messages):
            if message.role == "agent" and turns:
                break
            if message.role == "customer":
                turns.append(message.text)
                if len(turns) >= max_turns:
                    break
        return "\n".join(reversed(turns))


class KnowledgeArticle(_InputModel):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    body: str
    url: str | None = None
    language: str | None = None
    tags: list[str] = Field(default_factory=list)
    updated_at: date | datetime | None = None


# ---------------------------------------------------------------- output models


class _OutputModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Notice(_OutputModel):
    """A machine-readable warning code with a human message (``llm_unavailable``, ...)."""

    code: str
    message: str


class Citation(_OutputModel):
    doc_id: str
    title: str
    url: str | None = None


class Draft(_OutputModel):
    text: str
    tone: Tone
    strategy: Strategy
    citations: list[Citation] = Field(default_factory=list)
    confidence: float = Field(ge=0.0, le=1.0)
    warnings: list[Notice] = Field(default_factory=list)


class Analysis(_OutputModel):
    """Tags of the conversation. Fields the pipeline cannot tell yet stay ``None``."""

    language: str | None = None
    mood: Mood | None = None
    sentiment: float | None = Field(default=None, ge=-1.0, le=1.0)
    urgency: Urgency | None = None
    register: Register | None = None
    intent: str | None = None
    flags: list[Flag] = Field(default_factory=list)
    confidence: dict[str, float] = Field(default_factory=dict)
    sla_due_at: datetime | None = None
    priority: float | None = None


class ArticleHit(_OutputModel):
    doc_id: str
    title: str
    url: str | None = None
    score: float


class SimilarConversation(_OutputModel):
    conversation_id: str
    score: float


class Reaction(_OutputModel):
    """A brand-approved reaction (emoji or GIF) the agent may add on a casual channel."""

    id: str
    kind: Literal["emoji", "gif"]
    value: str  # the emoji itself, or the GIF's reference id or URL
    label: str


class Usage(_OutputModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model: str | None = None


class Suggestions(_OutputModel):
    conversation_id: str
    analysis: Analysis
    drafts: list[Draft]
    articles: list[ArticleHit] = Field(default_factory=list)
    similar_conversations: list[SimilarConversation] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    reactions: list[Reaction] = Field(default_factory=list)
    # Identifies this set of drafts, so that feedback (accepted, edited, rejected) can
    # point back to it. An addition to formats.md; generated by the pipeline.
    suggestion_id: str | None = None
