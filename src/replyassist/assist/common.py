"""What the rewrite and the summary share: the brand and languages of a request, the
model's name and the data-block defusing of prompts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..brand import BrandVoice
from ..drafting.context import LANGUAGE_NAMES
from ..models import Conversation

if TYPE_CHECKING:
    from ..assistant import ReplyAssistant

__all__ = ["brand_of", "conversation_language", "defuse", "language_name", "model_name"]


def brand_of(assistant: ReplyAssistant, conversation: Conversation | None) -> BrandVoice:
    """The brand voice of the conversation's tenant (the assistant's default otherwise)."""
    if conversation is None:
        return assistant.brand
    return assistant.pipeline.brands.for_tenant(conversation.tenant)


def conversation_language(assistant: ReplyAssistant, conversation: Conversation) -> str:
    """The customer's language: detected on their turns, else their locale, else the
    brand's default."""
    text = "\n".join(m.text for m in conversation.customer_turns())
    default = conversation.language_hint or brand_of(assistant, conversation).default_language
    return assistant.detector.detect(text, default=default)[0] if text else default


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def model_name(model: object) -> str:
    return str(getattr(model, "model_name", None) or getattr(model, "model", None)
               or type(model).__name__)


def defuse(text: str, marker: str) -> str:
    """Data cannot close its prompt block (``<<<MARKER`` … ``MARKER>>>``)."""
    return re.sub(rf"<<<\s*{marker}|{marker}\s*>>>", "[marker removed]", text,
                  flags=re.IGNORECASE)
