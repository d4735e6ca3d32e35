"""LLM shortening of generated drafts that are over their channel's limit.

One plain-text call per over-limit draft (``prompts/shorten.*.md``). The shorter text is
kept only if it is shorter; any LLM error keeps the original. Either way the guard then
trims what still does not fit and flags ``over_channel_limit``
(:mod:`replyassist.guardrails.guard`). Composed drafts are never sent to an LLM.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from ..errors import LLMError
from ..guardrails.channels import fits, get_rule, measure
from ..llm import map_llm_errors
from ..models import Draft, Notice, Usage
from ..prompts import PromptLibrary
from .context import DraftContext, DraftOutcome
from .voice import apply_voice

__all__ = ["Shortener"]

log = logging.getLogger(__name__)
_FENCE = re.compile(r"^(?:<<<DRAFT|DRAFT>>>|```\w*)\s*$", re.MULTILINE)


class Shortener:
    def __init__(self, model: BaseChatModel, prompts: PromptLibrary, *,
                 model_name: str = "llm") -> None:
        self.model = model
        self.prompts = prompts
        self.model_name = model_name

    def messages(self, draft: Draft, context: DraftContext) -> list[BaseMessage]:
        channel = context.conversation.channel
        rule = get_rule(channel)
        if rule.unit == "sms_segments":
            limit = f"at most {rule.max_segments} SMS segments ({160 * (rule.max_segments or 1)}" \
                    " plain characters, fewer with accents or emoji)"
        else:
            limit = f"at most {rule.max_chars} characters"
        system = self.prompts.render("shorten.system.md", language_name=context.language_name,
                                     channel=channel, limit=limit)
        user = self.prompts.render("shorten.user.md", text=draft.text,
                                   size=measure(draft.text, channel))
        return [SystemMessage(system), HumanMessage(user)]

    def _over(self, outcome: DraftOutcome, context: DraftContext) -> list[Draft]:
        channel = context.conversation.channel
        return [d for d in outcome.drafts
                if d.strategy == "generated" and d.text and not fits(d.text, channel)]

    def _apply(self, draft: Draft, reply: AIMessage, outcome: DraftOutcome,
               context: DraftContext) -> None:
        text = _FENCE.sub("", str(reply.content)).strip().strip('"“”«»').strip()
        usage: Mapping[str, Any] = reply.usage_metadata or {}
        outcome.usage = Usage(
            prompt_tokens=outcome.usage.prompt_tokens + int(usage.get("input_tokens", 0)),
            completion_tokens=outcome.usage.completion_tokens
            + int(usage.get("output_tokens", 0)),
            model=outcome.usage.model)
        if text and len(text) < len(draft.text):
            before = measure(draft.text, context.conversation.channel)
            draft.text, notices = apply_voice(text, context.brand, context.language,
                                              context.conversation.channel)
            draft.warnings.extend(n for n in notices if n not in draft.warnings)
            draft.warnings.append(Notice(code="shortened", message=(
                f"Shortened by the LLM from {before} to fit "
                f"{context.conversation.channel}.")))

    def fit(self, outcome: DraftOutcome, context: DraftContext) -> DraftOutcome:
        """``outcome`` with its over-limit generated drafts shortened, in place."""
        for draft in self._over(outcome, context):
            try:
                with map_llm_errors(self.model_name):
                    reply = self.model.invoke(self.messages(draft, context))
            except LLMError as error:
                log.warning("shortening failed, the draft will be trimmed: %s", error)
                continue
            self._apply(draft, reply, outcome, context)
        return outcome

    async def afit(self, outcome: DraftOutcome, context: DraftContext) -> DraftOutcome:
        for draft in self._over(outcome, context):
            try:
                with map_llm_errors(self.model_name):
                    reply = await self.model.ainvoke(self.messages(draft, context))
            except LLMError as error:
                log.warning("shortening failed, the draft will be trimmed: %s", error)
                continue
            self._apply(draft, reply, outcome, context)
        return outcome
