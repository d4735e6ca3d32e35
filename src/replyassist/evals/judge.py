"""The LLM judge (only when a chat model is configured): a rubric prompt
(``prompts/judge.*.md``), scores 1–5 for correctness, helpfulness, tone fit and brand
voice, with the model's reasoning kept in the report. A failing judge call is recorded
on the case (``{"error": ...}``); it never fails the case."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field, ValidationError

from ..brand import BrandVoice
from ..errors import LLMError, LLMResponseError
from ..llm import map_llm_errors, tool_arguments
from ..models import Conversation, Suggestions
from ..prompts import PromptLibrary

__all__ = ["Judge", "JudgeScores"]

TOOL_NAME = "JudgeScores"


class JudgeScores(BaseModel):
    """Scores of one reply draft, 1 (bad) to 5 (excellent)."""

    reasoning: str = Field(description="Why these scores, in two or three sentences.")
    correctness: int = Field(ge=1, le=5)
    helpfulness: int = Field(ge=1, le=5)
    tone_fit: int = Field(ge=1, le=5)
    brand_voice: int = Field(ge=1, le=5)


class Judge:
    def __init__(self, model: BaseChatModel, prompts: PromptLibrary, brand: BrandVoice) -> None:
        self.model = model
        self.prompts = prompts
        self.brand = brand

    def messages(self, conversation: Conversation, suggestions: Suggestions
                 ) -> list[SystemMessage | HumanMessage]:
        turns = [{"role": m.role, "text": m.text[-3000:]} for m in conversation.messages
                 if m.role in ("customer", "agent", "bot")][-8:]
        expected = conversation.expected.reply if conversation.expected else None
        system = self.prompts.render("judge.system.md", tool_name=TOOL_NAME, brand=self.brand)
        user = self.prompts.render("judge.user.md", channel=conversation.channel, turns=turns,
                                   articles=suggestions.articles, expected=expected,
                                   draft=suggestions.drafts[0].text)
        return [SystemMessage(system), HumanMessage(user)]

    def score(self, conversation: Conversation, suggestions: Suggestions) -> dict[str, Any]:
        name = str(getattr(self.model, "model_name", None) or type(self.model).__name__)
        try:
            with map_llm_errors(name):
                bound = self.model.bind_tools([JudgeScores], tool_choice=TOOL_NAME)
                reply = bound.invoke(self.messages(conversation, suggestions))
            for candidate in tool_arguments(reply):
                try:
                    scores = JudgeScores.model_validate(candidate)
                except ValidationError:
                    continue
                data = scores.model_dump()
                return {"scores": {k: v for k, v in data.items() if k != "reasoning"},
                        "reasoning": scores.reasoning, "model": name}
            raise LLMResponseError(f"judge {name} did not return scores")
        except LLMError as error:
            return {"error": str(error), "model": name}
