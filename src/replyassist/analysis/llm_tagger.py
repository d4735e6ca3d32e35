"""The LLM tagger: the same labels, by structured output (a forced tool call), and the
policy that combines it with the fast tagger.

Combination policy (``combine``), documented in ``docs/analysis.md``:

- ``mood``, ``urgency``, ``register``: the fast tagger keeps a field when its confidence
  is at least ``unsure_below``; below, the LLM's label is taken (confidence recorded as
  ``LLM_CONFIDENCE``). The rules' urgency floor still applies: the LLM can raise the
  urgency of a legal threat, never lower it below critical.
- ``sentiment`` follows the mood's source.
- ``flags``: the union. Rule flags (legal threat, safety, ...) are never removed; the LLM
  can add flags the vocabulary missed.
- ``intent``: the LLM's intent (when it is one of the brand's) replaces a missing or
  unsure fast intent.
- ``language``, ``sla_due_at``: the fast tagger's (``priority`` is recomputed).

The caller runs the LLM tagger only when a field is unsure (``llm_tagging="unsure"``, the
default) or always (``"always"``). Any LLM failure raises an :class:`LLMError`; the caller
keeps the fast tags.
"""

from __future__ import annotations

from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field, ValidationError

from ..errors import LLMResponseError
from ..labels import FLAGS, URGENCIES, Flag, Mood, Register, Urgency
from ..llm import map_llm_errors, tool_arguments
from ..models import Analysis, Conversation
from ..prompts import PromptLibrary
from .intents import IntentSpec

__all__ = ["LLM_CONFIDENCE", "ConversationTags", "LLMTagger", "LLMTagging", "combine",
           "unsure_fields"]

TOOL_NAME = "ConversationTags"
LLM_CONFIDENCE = 0.6
LLMTagging = Literal["off", "unsure", "always"]
_DECIDED = ("mood", "urgency", "register")
_URGENCY_RANK = {label: rank for rank, label in enumerate(reversed(URGENCIES))}


class ConversationTags(BaseModel):
    """Tags of a customer-service conversation."""

    mood: Mood = Field(description="The customer's mood.")
    sentiment: float = Field(default=0.0, ge=-1.0, le=1.0)
    urgency: Urgency = Field(description="How urgently the case needs handling.")
    # ``Field(...)``: a bare annotation would inherit BaseModel.register as its default
    register: Register = Field(..., description="The customer's register.")
    flags: list[Flag] = Field(default_factory=list)
    intent: str | None = None


class LLMTagger:
    def __init__(self, model: BaseChatModel, prompts: PromptLibrary,
                 intents: list[IntentSpec] | None = None, *, max_turns: int = 8,
                 max_chars: int = 4000) -> None:
        self.model = model
        self.prompts = prompts
        self.intents = intents or []
        self.max_turns = max_turns
        self.max_chars = max_chars

    def for_intents(self, intents: list[IntentSpec]) -> LLMTagger:
        """This tagger offering other intents (a tenant's) to the model."""
        return LLMTagger(self.model, self.prompts, intents, max_turns=self.max_turns,
                         max_chars=self.max_chars)

    @property
    def model_name(self) -> str:
        return str(getattr(self.model, "model_name", None) or getattr(self.model, "model", None)
                   or type(self.model).__name__)

    def messages(self, conversation: Conversation) -> list[SystemMessage | HumanMessage]:
        turns = [m for m in conversation.messages if m.role in ("customer", "agent", "bot")]
        turns = turns[-self.max_turns:]
        shown = [{"role": m.role, "text": m.text[-self.max_chars:]} for m in turns]
        system = self.prompts.render("analysis.system.md", tool_name=TOOL_NAME,
                                     intents=self.intents)
        user = self.prompts.render("analysis.user.md", channel=conversation.channel,
                                   turns=shown)
        return [SystemMessage(system), HumanMessage(user)]

    def tag(self, conversation: Conversation) -> ConversationTags:
        with map_llm_errors(self.model_name):
            bound = self.model.bind_tools([ConversationTags], tool_choice=TOOL_NAME)
            reply = bound.invoke(self.messages(conversation))
        return self._parse(reply)

    async def atag(self, conversation: Conversation) -> ConversationTags:
        with map_llm_errors(self.model_name):
            bound = self.model.bind_tools([ConversationTags], tool_choice=TOOL_NAME)
            reply = await bound.ainvoke(self.messages(conversation))
        return self._parse(reply)

    def _parse(self, reply: object) -> ConversationTags:
        if not isinstance(reply, AIMessage):
            raise LLMResponseError(f"chat model {self.model_name} returned {type(reply).__name__}")
        for candidate in tool_arguments(reply):
            if isinstance(candidate, dict):  # drop unknown flags rather than fail
                candidate = {**candidate,
                             "flags": [f for f in candidate.get("flags") or [] if f in FLAGS]}
            try:
                return ConversationTags.model_validate(candidate)
            except ValidationError:
                continue
        raise LLMResponseError(
            f"chat model {self.model_name} did not return tags in the expected structure")


def unsure_fields(analysis: Analysis, unsure_below: float) -> list[str]:
    """The fields the fast tagger is unsure about."""
    return [name for name in _DECIDED
            if analysis.confidence.get(name, 0.0) < unsure_below]


def combine(fast: Analysis, llm: ConversationTags, *, unsure_below: float,
            urgency_floor: str | None = None, intents: list[str] | None = None,
            always: bool = False) -> Analysis:
    """The combined analysis (a new object; ``fast`` is not modified)."""
    out = fast.model_copy(deep=True)
    decide = set(_DECIDED) if always else set(unsure_fields(fast, unsure_below))
    if "mood" in decide:
        out.mood = llm.mood
        out.sentiment = round(llm.sentiment, 3)
        out.confidence["mood"] = LLM_CONFIDENCE
    if "urgency" in decide:
        urgency = llm.urgency
        if urgency_floor and _URGENCY_RANK[urgency_floor] > _URGENCY_RANK[urgency]:
            urgency = urgency_floor  # type: ignore[assignment]
        out.urgency = urgency
        out.confidence["urgency"] = LLM_CONFIDENCE
    if "register" in decide:
        out.register = llm.register
        out.confidence["register"] = LLM_CONFIDENCE
    flags = set(fast.flags) | set(llm.flags)
    out.flags = [f for f in FLAGS if f in flags]  # type: ignore[misc]
    known = set(intents or [])
    if llm.intent in known and (fast.intent is None or always
                                or fast.confidence.get("intent", 0.0) < unsure_below):
        out.intent = llm.intent
        out.confidence["intent"] = LLM_CONFIDENCE
    return out
