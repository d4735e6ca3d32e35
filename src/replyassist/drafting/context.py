"""What a drafter receives and returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..brand import BrandVoice
from ..labels import Tone
from ..models import Conversation, Draft, Usage
from ..retrieval import ArticleResult, ExchangeResult

__all__ = ["LANGUAGE_NAMES", "DraftContext", "DraftOutcome"]

LANGUAGE_NAMES = {"fr": "French", "en": "English", "de": "German", "es": "Spanish",
                  "it": "Italian", "nl": "Dutch", "pt": "Portuguese"}


@dataclass
class DraftContext:
    conversation: Conversation
    language: str
    brand: BrandVoice
    articles: list[ArticleResult]
    exchanges: list[ExchangeResult]
    max_drafts: int = 3
    tones: list[Tone] = field(default_factory=lambda: ["informative", "friendly", "reassuring"])
    injection_suspected: bool = False  # analysis flagged prompt_injection: rules reinforced

    @property
    def customer_first_name(self) -> str | None:
        customer = self.conversation.customer
        if not customer or not customer.name:
            return None
        return customer.name.split()[0]

    @property
    def short_channel(self) -> bool:
        return self.conversation.channel in ("twitter", "sms")

    @property
    def language_name(self) -> str:
        return LANGUAGE_NAMES.get(self.language, self.language)


@dataclass
class DraftOutcome:
    drafts: list[Draft]
    usage: Usage = field(default_factory=Usage)
