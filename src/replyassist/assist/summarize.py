"""Hand-off summaries: intent, what was done, what is pending, in the agent's language.

With an LLM: a forced tool call (``prompts/summarize.system.md`` + ``.user.md``, the
conversation delimited as data, internal notes included: they are written for
colleagues). Without an LLM, or when it fails (``llm_unavailable``): composed from the
analysis tags, the first sentence of each agent turn, the internal notes and the
customer's unanswered turns, with the sentences of ``prompts/composed/handoff.yaml``
(French and English; other languages get English and ``language_unavailable``).
"""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import LLMError, LLMResponseError
from ..llm import map_llm_errors, tool_arguments
from ..models import Analysis, Conversation, Notice
from .common import brand_of, defuse, language_name, model_name

if TYPE_CHECKING:
    from ..assistant import ReplyAssistant

__all__ = ["HandoffOutput", "HandoffSummary", "SummaryRequest", "asummarize", "summarize"]

log = logging.getLogger(__name__)
TOOL_NAME = "HandoffOutput"
MAX_TURNS = 40  # the latest turns sent to the LLM
MAX_TURN_CHARS = 1500
_ITEM_CHARS = 160
_SENTENCE = re.compile(r"(?<=[.!?…])\s+")


class SummaryRequest(BaseModel):
    """``language``: the agent's language (default: the brand's default language)."""

    model_config = ConfigDict(extra="forbid")

    conversation: Conversation
    language: str | None = None


class HandoffSummary(BaseModel):
    intent: str | None = None
    done: list[str] = Field(default_factory=list)
    pending: list[str] = Field(default_factory=list)
    summary: str
    language: str
    strategy: Literal["generated", "composed"]
    warnings: list[Notice] = Field(default_factory=list)


class HandoffOutput(BaseModel):
    """Hand-off notes for the agent taking over the conversation."""

    intent: str | None = Field(default=None, description="What the customer wants, briefly.")
    done: list[str] = Field(default_factory=list,
                            description="What the agents already did or said, oldest first.")
    pending: list[str] = Field(default_factory=list,
                               description="What is still open for the next agent.")
    summary: str = Field(description="Two or three sentences for a colleague.")


# ------------------------------------------------------------------ shared


def _language(assistant: ReplyAssistant, request: SummaryRequest) -> str:
    return request.language or brand_of(assistant, request.conversation).default_language


def _tags(analysis: Analysis) -> str:
    parts = [f"{name}: {value}" for name, value in (
        ("intent", analysis.intent), ("mood", analysis.mood), ("urgency", analysis.urgency))
        if value]
    if analysis.flags:
        parts.append("flags: " + ", ".join(analysis.flags))
    return "; ".join(parts)


def _messages(assistant: ReplyAssistant, request: SummaryRequest, language: str,
              analysis: Analysis) -> list[BaseMessage]:
    conversation = request.conversation
    turns = [{"role": m.role, "text": defuse(_clip(m.text, MAX_TURN_CHARS), "CONVERSATION")}
             for m in conversation.messages[-MAX_TURNS:]]
    system = assistant.prompts.render("summarize.system.md", language_name=language_name(
        language), tool_name=TOOL_NAME, tags=_tags(analysis))
    user = assistant.prompts.render("summarize.user.md", channel=conversation.channel,
                                    turns=turns)
    return [SystemMessage(system), HumanMessage(user)]


def _parse(reply: Any, name: str) -> HandoffOutput:
    for candidate in tool_arguments(reply):
        try:
            output = HandoffOutput.model_validate(candidate)
        except ValidationError:
            continue
        if output.summary.strip():
            return output
    raise LLMResponseError(f"chat model {name} did not return hand-off notes")


def _generated(output: HandoffOutput, language: str) -> HandoffSummary:
    def items(values: list[str]) -> list[str]:
        return [v.strip() for v in values if v and v.strip()]

    return HandoffSummary(intent=(output.intent or "").strip() or None,
                          done=items(output.done), pending=items(output.pending),
                          summary=output.summary.strip(), language=language,
                          strategy="generated")


# ------------------------------------------------------------------ composed


@cache
def _templates(path: Path) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {lang: dict(block) for lang, block in data["languages"].items()}


def _clip(text: str, size: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def _first_sentence(text: str) -> str:
    return _clip(_SENTENCE.split(text.strip(), maxsplit=1)[0], _ITEM_CHARS)


def composed_summary(request: SummaryRequest, analysis: Analysis, language: str,
                     templates_path: Path) -> HandoffSummary:
    """The hand-off summary without an LLM (see the module docstring)."""
    templates = _templates(templates_path)
    warnings: list[Notice] = []
    if language not in templates:
        warnings.append(Notice(code="language_unavailable", message=(
            f"No hand-off templates in {language!r}: written in English.")))
        language = "en"
    t = templates[language]
    messages = request.conversation.messages
    done: list[str] = []
    for message in messages:
        if message.role == "agent":
            done.append(_first_sentence(message.text))
        elif message.role == "note":
            done.append(t["note_item"].format(text=_clip(message.text, 200)))
    last_agent = max((i for i, m in enumerate(messages) if m.role == "agent"), default=-1)
    pending = [t["pending_item"].format(text=_clip(m.text, _ITEM_CHARS))
               for m in messages[last_agent + 1:] if m.role == "customer"]
    lines = [t["intent"].format(intent=analysis.intent) if analysis.intent else t["no_intent"]]
    if analysis.mood and analysis.urgency:
        lines.append(t["state"].format(mood=t["moods"].get(analysis.mood, analysis.mood),
                                       urgency=t["urgencies"].get(analysis.urgency,
                                                                  analysis.urgency)))
    if analysis.flags:
        lines.append(t["flags"].format(flags=", ".join(t["flag_names"].get(f, f)
                                                       for f in analysis.flags)))
    lines.append(t["done"].format(items="; ".join(done)) if done else t["done_none"])
    lines.append(t["pending"].format(items="; ".join(pending)) if pending
                 else t["pending_none"])
    return HandoffSummary(intent=analysis.intent, done=done, pending=pending,
                          summary=" ".join(lines), language=language, strategy="composed",
                          warnings=warnings)


def _composed(assistant: ReplyAssistant, request: SummaryRequest, analysis: Analysis,
              language: str, error: LLMError | None) -> HandoffSummary:
    summary = composed_summary(request, analysis, language,
                               Path(assistant.prompts.root) / "composed" / "handoff.yaml")
    if error is not None:
        summary.warnings.insert(0, Notice(code="llm_unavailable",
                                          message=f"{error} — composed summary instead"))
    return summary


# ------------------------------------------------------------------ entry points


def summarize(assistant: ReplyAssistant, request: SummaryRequest) -> HandoffSummary:
    """The hand-off summary of ``request.conversation``. Never raises for LLM errors."""
    language = _language(assistant, request)
    analysis = assistant.analyze(request.conversation)
    model = assistant.chat_model
    if model is None:
        return _composed(assistant, request, analysis, language, None)
    name = model_name(model)
    try:
        with map_llm_errors(name):
            bound = model.bind_tools([HandoffOutput], tool_choice=TOOL_NAME)
            reply = bound.invoke(_messages(assistant, request, language, analysis))
        return _generated(_parse(reply, name), language)
    except LLMError as error:
        log.warning("hand-off summary without the LLM: %s", error)
        return _composed(assistant, request, analysis, language, error)


async def asummarize(assistant: ReplyAssistant, request: SummaryRequest) -> HandoffSummary:
    """:func:`summarize`, awaiting the chat model."""
    language = _language(assistant, request)
    analysis = assistant.analyze(request.conversation)
    model = assistant.chat_model
    if model is None:
        return _composed(assistant, request, analysis, language, None)
    name = model_name(model)
    try:
        with map_llm_errors(name):
            bound = model.bind_tools([HandoffOutput], tool_choice=TOOL_NAME)
            reply = await bound.ainvoke(_messages(assistant, request, language, analysis))
        return _generated(_parse(reply, name), language)
    except LLMError as error:
        log.warning("hand-off summary without the LLM: %s", error)
        return _composed(assistant, request, analysis, language, error)
