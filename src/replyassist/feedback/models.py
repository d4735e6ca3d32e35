"""What an agent did with a suggested draft (the feedback contract) and the metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ..models import Conversation

__all__ = [
    "FeedbackAction",
    "FeedbackBucket",
    "FeedbackIn",
    "FeedbackMetrics",
    "FeedbackRecord",
]

FeedbackAction = Literal["accepted", "edited", "rejected"]


class _FeedbackFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    suggestion_id: str = Field(min_length=1)
    conversation_id: str = Field(min_length=1)
    action: FeedbackAction
    draft_text: str
    # validate_default: the check below also runs when ``sent_text`` is left out
    sent_text: str | None = Field(default=None, validate_default=True)
    draft_index: int = Field(default=0, ge=0)
    tone: str | None = None
    intent: str | None = None
    channel: str | None = None
    language: str | None = None
    time_to_decision_ms: float | None = Field(default=None, ge=0)

    @field_validator("sent_text")
    @classmethod
    def _sent_when_used(cls, value: str | None, info: ValidationInfo) -> str | None:
        action = info.data.get("action")
        if action in ("accepted", "edited") and not (value and value.strip()):
            raise ValueError(f"sent_text is required when the action is {action!r}")
        return value


class FeedbackIn(_FeedbackFields):
    """One decision of an agent on a suggested draft. ``sent_text`` (what the agent
    actually sent) is required for ``accepted`` and ``edited``; ``conversation`` (the
    conversation the draft answered) lets :func:`~replyassist.feedback.learn` add the
    sent reply to the tenant's history."""

    conversation: Conversation | None = None


class FeedbackRecord(_FeedbackFields):
    """A stored decision. ``edit_distance``: Levenshtein distance in characters between
    the draft and the sent text (``None`` when nothing was sent)."""

    id: int
    tenant: str
    edit_distance: int | None = None
    created_at: datetime


class FeedbackBucket(BaseModel):
    """Counts and rates of one group of decisions. Rates are over ``total``; the mean
    edit distance is over the edited drafts; ``None`` when there is nothing to average."""

    total: int = 0
    accepted: int = 0
    edited: int = 0
    rejected: int = 0
    acceptance_rate: float | None = None
    edit_rate: float | None = None
    mean_edit_distance: float | None = None
    mean_time_to_decision_ms: float | None = None


class FeedbackMetrics(FeedbackBucket):
    """A tenant's totals, and the same per tone, intent and channel (decisions without
    one are grouped under ``"unknown"``)."""

    tenant: str
    by_tone: dict[str, FeedbackBucket] = Field(default_factory=dict)
    by_intent: dict[str, FeedbackBucket] = Field(default_factory=dict)
    by_channel: dict[str, FeedbackBucket] = Field(default_factory=dict)
