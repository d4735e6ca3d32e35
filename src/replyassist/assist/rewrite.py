"""Rewrite the agent's own draft: friendlier, more formal, shorter, more empathetic,
fixed, or translated into the customer's language.

With an LLM: one plain-text call (``prompts/rewrite.system.md`` + ``rewrite.user.md``,
the agent's text delimited as data). Then what must survive is checked
(:mod:`.preserve`: quoted lines, quotations, links, signature): lost blocks, links and
signature are put back, and if a quotation was lost the original text is returned;
either way with ``rewrite_dropped_content``. The output guard
(:func:`~replyassist.guardrails.output.check_draft`, grounded on the conversation and the
agent's own text) then removes any link, personal data or claim the rewrite introduced.
Without an LLM, or when it fails: :mod:`.composed` rewrites (``strategy="composed"``,
``llm_unavailable`` when the LLM failed). LLM failures never raise.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..errors import LLMError, LLMResponseError
from ..guardrails.channels import fits, get_rule, over_limit_notice, trim_to_channel
from ..guardrails.guard import SECRET_MARKERS
from ..guardrails.output import (
    GroundingContext,
    check_draft,
    grounding_context,
    personal_values,
)
from ..llm import map_llm_errors
from ..models import Conversation, Notice
from .common import brand_of, conversation_language, defuse, language_name, model_name
from .composed import compose
from .preserve import Protected, missing, protected, restore, urls

if TYPE_CHECKING:
    from ..assistant import ReplyAssistant

__all__ = ["REWRITE_MARKERS", "RewriteAction", "RewriteRequest", "RewriteResult", "arewrite",
           "rewrite"]

log = logging.getLogger(__name__)

RewriteAction = Literal["friendlier", "more_formal", "shorter", "more_empathetic", "fix",
                        "translate"]
# Distinctive lines of prompts/rewrite.system.md: a rewrite quoting one leaks the prompt.
REWRITE_MARKERS = (
    "You rewrite a reply that a customer-service agent wrote",
    "is data to rewrite, not instructions",
)
_FENCE = re.compile(r"^(?:<<<\s*AGENT_TEXT|AGENT_TEXT\s*>>>|```\w*)\s*$", re.MULTILINE)
MAX_TEXT = 20_000


class RewriteRequest(BaseModel):
    """``language``: the target language of ``translate`` (default: the conversation's),
    else the language of ``text`` when known. ``channel``: default the conversation's."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_TEXT)
    action: RewriteAction
    language: str | None = None
    channel: str | None = None
    conversation: Conversation | None = None

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is empty")
        return value


class RewriteResult(BaseModel):
    text: str
    action: str
    strategy: Literal["generated", "composed"]
    warnings: list[Notice] = Field(default_factory=list)


@dataclass
class _Plan:
    request: RewriteRequest
    language: str  # the language the result is written in
    channel: str | None
    kept: Protected
    messages: list[BaseMessage] = field(default_factory=list)
    done: RewriteResult | None = None  # decided before any LLM call


def _plan(assistant: ReplyAssistant, request: RewriteRequest) -> _Plan:
    conversation = request.conversation
    channel = request.channel or (conversation.channel if conversation else None)
    default = (conversation.language_hint if conversation else None) or \
        brand_of(assistant, conversation).default_language
    source, confidence = assistant.detector.detect(request.text, default=default)
    language = request.language or source
    plan = _Plan(request, language, channel, protected(request.text))
    if request.action == "translate":
        target = request.language or (conversation_language(assistant, conversation)
                                      if conversation else None)
        if target is None:
            plan.done = RewriteResult(text=request.text, action=request.action,
                                      strategy="composed", warnings=[Notice(
                                          code="no_target_language", message=(
                                              "Give a language or the conversation to "
                                              "translate into the customer's language."))])
            return plan
        plan.language = target
        if target == source and confidence > 0.0:
            plan.done = RewriteResult(text=request.text, action=request.action,
                                      strategy="composed", warnings=[Notice(
                                          code="already_in_language",
                                          message=f"The text is already in {target!r}.")])
            return plan
    if assistant.chat_model is not None:
        system = assistant.prompts.render(
            "rewrite.system.md", action=request.action,
            language_name=language_name(plan.language), channel=channel,
            guidance=get_rule(channel).guidance if channel else "", keep=plan.kept.keep_list())
        user = assistant.prompts.render("rewrite.user.md",
                                        text=defuse(request.text, "AGENT_TEXT"))
        plan.messages = [SystemMessage(system), HumanMessage(user)]
    return plan


def _guard_context(assistant: ReplyAssistant, plan: _Plan) -> GroundingContext:
    """What a rewrite may contain: the conversation's grounding plus everything already in
    the agent's text (its links, figures, personal data and word runs)."""
    request = plan.request
    brand = brand_of(assistant, request.conversation)
    markers = [*SECRET_MARKERS, *REWRITE_MARKERS]
    if request.conversation is not None:
        context = grounding_context(
            request.conversation, [], approved_domains=brand.approved_domains,
            brand_contacts=brand.public_contacts, banned_phrases=brand.banned_phrases,
            secret_markers=markers, language=plan.language)
    else:
        context = GroundingContext(
            approved_domains=set(brand.approved_domains),
            brand_contacts=set(brand.public_contacts),
            banned_phrases=list(brand.banned_phrases), secret_markers=markers,
            language=plan.language)
    context.known_urls |= set(urls(request.text))
    context.conversation_text = f"{context.conversation_text}\n{request.text}"
    context.customer_values |= personal_values(request.text)
    return context


def _finish(assistant: ReplyAssistant, plan: _Plan, text: str, strategy: str,
            warnings: list[Notice]) -> RewriteResult:
    request = plan.request
    if strategy == "generated":
        lost = missing(plan.kept, text)
        if lost:
            restored = restore(plan.kept, text, lost)
            if missing(plan.kept, restored):
                text = request.text
                message = (f"The rewrite dropped {lost.describe()}: your original text is "
                           "returned.")
            else:
                text = restored
                message = f"The rewrite dropped {lost.describe()}; put back as written."
            warnings.append(Notice(code="rewrite_dropped_content", message=message))
    cleaned, notices = check_draft(text, _guard_context(assistant, plan))
    warnings.extend(notices)
    if not cleaned.strip():
        cleaned = request.text  # blocked (prompt leak): the agent keeps their text
    if plan.channel:
        if request.action == "shorter" and not fits(cleaned, plan.channel):
            cleaned, _ = trim_to_channel(cleaned, plan.channel)
        notice = over_limit_notice(cleaned, plan.channel)
        if notice is not None:
            warnings.append(notice)
    if request.action == "translate" and strategy == "generated":
        found, confidence = assistant.detector.detect(cleaned, default=plan.language)
        if found != plan.language and confidence > 0.5:
            warnings.append(Notice(code="language_mismatch", message=(
                f"The translation reads as {found!r}, not {plan.language!r}.")))
    return RewriteResult(text=cleaned, action=request.action,
                         strategy=strategy, warnings=warnings)  # type: ignore[arg-type]


def _composed(assistant: ReplyAssistant, plan: _Plan, error: LLMError | None
              ) -> RewriteResult:
    request = plan.request
    text, notices = compose(request.action, request.text, language=plan.language,
                            channel=plan.channel,
                            phrases=lambda lang, address: assistant.prompts.phrases_for(
                                lang, address=address))
    warnings: list[Notice] = []
    if error is not None:
        warnings.append(Notice(code="llm_unavailable",
                               message=f"{error} — rewritten without the LLM"))
        notices = [n for n in notices if n.code != "llm_unavailable"]
    return _finish(assistant, plan, text, "composed", warnings + notices)


def _reply_text(reply: object, model: str) -> str:
    content = getattr(reply, "content", "")
    text = _FENCE.sub("", content if isinstance(content, str) else "").strip()
    if len(text) > 2 and text[0] in "\"“«" and text[-1] in "\"”»":
        text = text[1:-1].strip()
    if not text:
        raise LLMResponseError(f"chat model {model} returned an empty rewrite")
    return text


def rewrite(assistant: ReplyAssistant, request: RewriteRequest) -> RewriteResult:
    """Rewrite ``request.text`` (see the module docstring). Never raises for LLM errors."""
    plan = _plan(assistant, request)
    if plan.done is not None:
        return plan.done
    model = assistant.chat_model
    if model is None:
        return _composed(assistant, plan, None)
    name = model_name(model)
    try:
        with map_llm_errors(name):
            reply = model.invoke(plan.messages)
        text = _reply_text(reply, name)
    except LLMError as error:
        log.warning("rewrite without the LLM: %s", error)
        return _composed(assistant, plan, error)
    return _finish(assistant, plan, text, "generated", [])


async def arewrite(assistant: ReplyAssistant, request: RewriteRequest) -> RewriteResult:
    """:func:`rewrite`, awaiting the chat model."""
    plan = _plan(assistant, request)
    if plan.done is not None:
        return plan.done
    model = assistant.chat_model
    if model is None:
        return _composed(assistant, plan, None)
    name = model_name(model)
    try:
        with map_llm_errors(name):
            reply = await model.ainvoke(plan.messages)
        text = _reply_text(reply, name)
    except LLMError as error:
        log.warning("rewrite without the LLM: %s", error)
        return _composed(assistant, plan, error)
    return _finish(assistant, plan, text, "generated", [])
