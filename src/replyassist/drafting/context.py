"""What a drafter receives and returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..brand import BrandVoice
from ..labels import Tone
from ..library.select import RankedReply
from ..models import Conversation, Draft, Usage
from ..retrieval import ArticleResult, ExchangeResult
from ..voice import AddressForm

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
    register: str | None = None  # the customer's register (formal/casual); None: unknown
    # the tenant's library replies that fit (replyassist.library.select), best first
    replies: list[RankedReply] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # the analysis' flags
    mood: str | None = None

    @property
    def customer_first_name(self) -> str | None:
        customer = self.conversation.customer
        if not customer or not customer.name:
            return None
        return customer.name.split()[0]

    @property
    def channel(self) -> str:
        return self.conversation.channel

    @property
    def address(self) -> AddressForm:
        """tu or vous, from the brand's policy for the language and the customer's
        register (see :meth:`BrandVoice.address_form`)."""
        return self.brand.address_form(self.language, self.register)

    @property
    def follow_up(self) -> bool:
        """An agent (or bot) already answered in this conversation, on a conversational
        channel (chat, messaging, SMS): the reply goes on without a new greeting or
        sign-off, and without a tone opener other than a first apology. E-mails and public
        posts always stand alone."""
        return self.channel not in ("email", "twitter", "other") and any(
            m.role in ("agent", "bot") for m in self.conversation.messages)

    @property
    def already_said(self) -> list[str]:
        """What agents and bots already wrote in this conversation."""
        return [m.text for m in self.conversation.messages if m.role in ("agent", "bot")]

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
