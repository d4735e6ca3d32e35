"""Generated drafts: a LangChain chat model, structured output, a token budget, streaming.

The system prompt carries the brand voice (persona, values, tu/vous, greeting and
sign-off for the language and channel, words, banned claims, emoji, escalation), and
every draft then gets the same post-processing as a composed one
(:func:`.voice.apply_voice`)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field, ValidationError

from ..errors import LLMResponseError
from ..labels import Tone
from ..llm import map_llm_errors, tool_arguments
from ..models import Citation, Draft, Notice, Usage
from ..prompts import PromptLibrary
from ..retrieval import ArticleResult, ExchangeResult
from ..tokens import TokenCounter
from .context import DraftContext, DraftOutcome
from .voice import apply_voice, framing

__all__ = ["DraftsOutput", "GeneratedDraft", "GeneratedDrafter"]

TOOL_NAME = "DraftsOutput"


class GeneratedDraft(BaseModel):
    """One reply draft."""

    text: str = Field(description="The reply, ready for the agent to send.")
    tone: Tone = Field(description="The tone the draft is written in.")
    doc_ids: list[str] = Field(default_factory=list,
                               description="Ids of the knowledge articles the draft relies on.")


class DraftsOutput(BaseModel):
    """Reply drafts for the agent, best first."""

    drafts: list[GeneratedDraft] = Field(min_length=1)


@dataclass
class _Turn:
    role: str
    text: str


@dataclass
class _PromptParts:
    customer: str
    turns: list[_Turn]
    articles: list[ArticleResult]
    examples: list[ExchangeResult]


class GeneratedDrafter:
    strategy = "generated"

    def __init__(self, model: BaseChatModel, prompts: PromptLibrary, *,
                 max_prompt_tokens: int = 3000, counter: TokenCounter | None = None) -> None:
        self.model = model
        self.prompts = prompts
        self.max_prompt_tokens = max_prompt_tokens
        self.counter = counter or TokenCounter.for_model(self.model_name)

    @property
    def model_name(self) -> str:
        return str(getattr(self.model, "model_name", None) or getattr(self.model, "model", None)
                   or type(self.model).__name__)

    # ------------------------------------------------------------------ prompt
    def _parts(self, context: DraftContext) -> _PromptParts:
        customer = context.conversation.customer
        lines = []
        if customer is not None:
            if customer.name:
                lines.append(f"name: {customer.name}")
            if customer.locale:
                lines.append(f"locale: {customer.locale}")
            lines.extend(f"{k}: {json.dumps(v, ensure_ascii=False)}"
                         for k, v in customer.attributes.items())
        turns = [_Turn(m.role, _defuse(m.text)) for m in context.conversation.messages
                 if m.role in ("customer", "agent", "bot")]  # internal notes never go out
        examples = [e for e in context.exchanges if e.language == context.language][:3]
        return _PromptParts("\n".join(lines), turns, list(context.articles), examples)

    def _render(self, context: DraftContext, parts: _PromptParts, user_template: str
                ) -> list[BaseMessage]:
        system = self.prompts.render(
            "drafts.system.md", brand=context.brand, language_name=context.language_name,
            channel=context.conversation.channel, formal=context.brand.formal,
            tool_name=TOOL_NAME, n_drafts=context.max_drafts, tones=context.tones,
            injection=context.injection_suspected, **self._voice(context))
        user = self.prompts.render(user_template, customer=parts.customer, turns=parts.turns,
                                   articles=parts.articles, examples=parts.examples)
        return [SystemMessage(system), HumanMessage(user)]

    def _voice(self, context: DraftContext) -> dict[str, Any]:
        """The brand-voice variables of the system prompt. The greeting and sign-off are
        the ones composed drafts use; ``None`` (no templates in the language, none in the
        profile): the model writes its own; a ``""`` sign-off: none on this channel."""
        brand, language = context.brand, context.language
        phrases = self.prompts.phrases_for(language, address=context.address) \
            if self.prompts.has_phrases(language) else None
        frame = framing(brand, phrases, language=language, channel=context.channel,
                        name=context.customer_first_name)
        return {
            "language": language, "address": context.address, "register": context.register,
            "greeting": frame.greeting, "sign_off": frame.sign_off,
            "signature": brand.signature(language),
            "words_to_use": brand.words_to_use.get(language, []),
            "words_to_avoid": brand.avoided_words(language),
            "emoji_limit": brand.emoji_rule(context.channel).limit,
        }

    def build_messages(self, context: DraftContext, user_template: str = "drafts.user.md"
                       ) -> list[BaseMessage]:
        """The prompt, fitted to ``max_prompt_tokens``: drop the lowest-ranked examples and
        articles and the oldest turns first; the latest customer turn is always kept."""
        parts = self._parts(context)

        def size(messages: list[BaseMessage]) -> int:
            return sum(self.counter.count(str(m.content)) + 4 for m in messages)

        messages = self._render(context, parts, user_template)
        while size(messages) > self.max_prompt_tokens:
            if len(parts.examples) > 1:
                parts.examples.pop()
            elif len(parts.turns) > 4:
                parts.turns.pop(0)
            elif len(parts.articles) > 1:
                parts.articles.pop()
            elif len(parts.turns) > 1:
                parts.turns.pop(0)
            elif parts.examples:
                parts.examples.pop()
            elif any(len(a.passages) > 1 for a in parts.articles):
                for article in parts.articles:
                    article.passages = article.passages[:1]
            else:
                overflow = size(messages) - self.max_prompt_tokens
                last = parts.turns[-1]
                keep = max(50, self.counter.count(last.text) - overflow - 10)
                if keep >= self.counter.count(last.text):
                    break
                parts.turns[-1] = _Turn(last.role, self.counter.truncate(last.text, keep))
            messages = self._render(context, parts, user_template)
        return messages

    # ------------------------------------------------------------------ drafting
    def draft(self, context: DraftContext) -> DraftOutcome:
        messages = self.build_messages(context)
        with map_llm_errors(self.model_name):
            bound = self.model.bind_tools([DraftsOutput], tool_choice=TOOL_NAME)
            reply = bound.invoke(messages)
        return self._outcome(reply, context)

    async def adraft(self, context: DraftContext) -> DraftOutcome:
        messages = self.build_messages(context)
        with map_llm_errors(self.model_name):
            bound = self.model.bind_tools([DraftsOutput], tool_choice=TOOL_NAME)
            reply = await bound.ainvoke(messages)
        return self._outcome(reply, context)

    def _outcome(self, reply: Any, context: DraftContext) -> DraftOutcome:
        if not isinstance(reply, AIMessage):
            raise LLMResponseError(f"chat model {self.model_name} returned {type(reply).__name__}")
        output = self._parse(reply)
        drafts = [self._to_draft(d, context, rank)
                  for rank, d in enumerate(output.drafts[: context.max_drafts])]
        return DraftOutcome(drafts, self._usage(reply))

    def _parse(self, reply: AIMessage) -> DraftsOutput:
        for candidate in tool_arguments(reply):
            if isinstance(candidate, dict) and "drafts" not in candidate and "text" in candidate:
                candidate = {"drafts": [candidate]}
            try:
                return DraftsOutput.model_validate(candidate)
            except ValidationError:
                continue
        raise LLMResponseError(
            f"chat model {self.model_name} did not return drafts in the expected structure")

    def _to_draft(self, generated: GeneratedDraft, context: DraftContext, rank: int = 0
                  ) -> Draft:
        known = {a.doc_id: a for a in context.articles}
        warnings: list[Notice] = []
        citations = [Citation(doc_id=d, title=known[d].title, url=known[d].url)
                     for d in dict.fromkeys(generated.doc_ids) if d in known]
        unknown = [d for d in generated.doc_ids if d not in known]
        if unknown:
            warnings.append(Notice(code="unknown_citation",
                                   message=f"dropped citations of unknown articles: {unknown}"))
        confidence = max((a.score for a in context.articles if a.doc_id in
                          {c.doc_id for c in citations}), default=0.5)
        # The tone the model reports, when the policy planned it; else the planned one.
        tone = generated.tone if generated.tone in context.tones else \
            context.tones[min(rank, len(context.tones) - 1)]
        text = self._voiced(generated.text.strip(), context, warnings)
        return Draft(text=text, tone=tone, strategy="generated",
                     citations=citations, confidence=round(min(1.0, confidence), 3),
                     warnings=warnings)

    @staticmethod
    def _voiced(text: str, context: DraftContext, warnings: list[Notice]) -> str:
        text, notices = apply_voice(text, context.brand, context.language, context.channel)
        warnings.extend(notices)
        return text

    def _usage(self, reply: AIMessage) -> Usage:
        usage: Mapping[str, Any] = reply.usage_metadata or {}
        return Usage(prompt_tokens=int(usage.get("input_tokens", 0)),
                     completion_tokens=int(usage.get("output_tokens", 0)),
                     model=str(reply.response_metadata.get("model_name") or self.model_name))

    # ------------------------------------------------------------------ streaming
    def stream_text(self, context: DraftContext) -> Iterator[str]:
        messages = self.build_messages(context, "stream.user.md")
        with map_llm_errors(self.model_name):
            for chunk in self.model.stream(messages):
                if isinstance(chunk.content, str) and chunk.content:
                    yield chunk.content

    async def astream_text(self, context: DraftContext) -> AsyncIterator[str]:
        messages = self.build_messages(context, "stream.user.md")
        with map_llm_errors(self.model_name):
            async for chunk in self.model.astream(messages):
                if isinstance(chunk.content, str) and chunk.content:
                    yield chunk.content

    def streamed_draft(self, text: str, context: DraftContext) -> Draft:
        """Turn a streamed text into a draft; ``[doc-id]`` markers become citations."""
        known = {a.doc_id: a for a in context.articles}
        cited = [d for d in re.findall(r"\[([^\[\]\s]+)\]", text) if d in known]
        for article in context.articles:
            if article.url and article.url in text and article.doc_id not in cited:
                cited.append(article.doc_id)
        clean = re.sub(r"\s*\[(" + "|".join(map(re.escape, known) or ["$^"]) + r")\]", "",
                       text).strip()
        citations = [Citation(doc_id=d, title=known[d].title, url=known[d].url)
                     for d in dict.fromkeys(cited)]
        if not clean:
            raise LLMResponseError(f"chat model {self.model_name} streamed an empty draft")
        warnings: list[Notice] = []
        clean = self._voiced(clean, context, warnings)
        return Draft(text=clean, tone=context.tones[0], strategy="generated",
                     citations=citations, confidence=0.5, warnings=warnings)


_MARKERS = re.compile(r"<<<\s*CONVERSATION|CONVERSATION\s*>>>", re.IGNORECASE)


def _defuse(text: str) -> str:
    """Customer text cannot close the data block of the prompt (``CONVERSATION>>>``)."""
    return _MARKERS.sub("[marker removed]", text)
