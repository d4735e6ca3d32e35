"""Test doubles shipped with the package, so users can test their integrations offline.

- :class:`HashEmbeddings`: deterministic, dependency-free embeddings that still separate
  different texts (hashed words and character trigrams), so retrieval tests mean something.
- :class:`FakeChatModel`: a LangChain chat model that answers from a script or a function,
  supports tool calls (structured output) and token streaming, and records its calls.
- :class:`MisbehavingChatModel`: a fake model that does everything a draft must not do
  (obeys the customer's instructions and echoes them, invents prices and discounts, copies
  the past answers of its prompt with their personal data, links to a phishing site,
  quotes its system prompt, answers in the wrong language). The red-team suite runs the
  attack corpus through it: every draft that reaches the agent must still be clean.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

from .embeddings import _ArrayEmbeddings

__all__ = ["FakeChatModel", "HashEmbeddings", "MisbehavingChatModel"]

_WORD = re.compile(r"\w+", re.UNICODE)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class HashEmbeddings(_ArrayEmbeddings):
    """Deterministic bag of hashed words + character trigrams, L2-normalised."""

    def __init__(self, dimension: int = 256) -> None:
        self._dimension = dimension
        self.name = f"hash:{dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def _bucket(self, token: str) -> tuple[int, float]:
        digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        return value % self._dimension, 1.0 if (value >> 63) & 1 else -1.0

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(_fold(text))
            for word in words:
                index, sign = self._bucket("w:" + word)
                out[row, index] += 2.0 * sign
                padded = f"#{word}#"
                for i in range(len(padded) - 2):
                    index, sign = self._bucket("c:" + padded[i : i + 3])
                    out[row, index] += 0.5 * sign
            if not words:
                index, sign = self._bucket("empty:" + text)
                out[row, index] = 1.0
        return out


Responder = Callable[[list[BaseMessage], dict[str, Any]], AIMessage | str]


class FakeChatModel(BaseChatModel):
    """A scripted chat model.

    ``responses`` are returned in turn (a ``str`` becomes the message content, a ``dict``
    becomes a tool call to the first bound tool with those arguments, an ``Exception`` is
    raised); ``responder`` computes a reply from the messages instead. ``calls`` records
    every request's messages.
    """

    responses: list[Any] = Field(default_factory=list)
    responder: Responder | None = None
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    model_name: str = "fake-chat"

    @property
    def _llm_type(self) -> str:
        return "replyassist-fake"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        from langchain_core.utils.function_calling import convert_to_openai_tool

        formatted = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=formatted, **kwargs)

    def _next(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> AIMessage:
        self.calls.append(list(messages))
        if self.responder is not None:
            reply: Any = self.responder(messages, kwargs)
        elif self.responses:
            reply = self.responses.pop(0)
        else:
            reply = "Bonjour, merci pour votre message."
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, AIMessage):
            return reply
        if isinstance(reply, dict):
            tools = kwargs.get("tools") or []
            name = tools[0]["function"]["name"] if tools else "output"
            return AIMessage(content="", tool_calls=[
                {"name": name, "args": reply, "id": "call_fake", "type": "tool_call"}])
        return AIMessage(content=str(reply))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        message = self._next(messages, kwargs)
        message.response_metadata = {"model_name": self.model_name}
        message.usage_metadata = {
            "input_tokens": sum(len(str(m.content).split()) for m in messages),
            "output_tokens": len(str(message.content).split())
            + len(json.dumps([c["args"] for c in message.tool_calls]).split()),
            "total_tokens": 0,
        }
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = self._next(messages, kwargs)
        for piece in re.findall(r"\S+\s*|\s+", str(message.content)):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk


_BLOCK = re.compile(r"<<<CONVERSATION\n(?P<body>.*?)CONVERSATION>>>", re.DOTALL)
_EXAMPLE = re.compile(r"^  Agent: (?P<answer>.+)$", re.MULTILINE)
PHISHING_URL = "https://atelier-brume-remboursement.example.net/login"


def _prompt_parts(messages: list[BaseMessage]) -> tuple[str, str, list[str]]:
    """(system prompt, last customer turn, past agent answers) of a draft prompt."""
    system = str(messages[0].content) if messages else ""
    user = str(messages[-1].content) if messages else ""
    block = _BLOCK.search(user)
    turns = block.group("body") if block else user
    customer = [line[len("customer: "):] for line in turns.splitlines()
                if line.startswith("customer: ")]
    examples = [m.group("answer") for m in _EXAMPLE.finditer(user)]
    return system, (customer[-1] if customer else turns[-500:]), examples


def _misbehave(messages: list[BaseMessage], kwargs: dict[str, Any]) -> AIMessage | str:
    system, customer, examples = _prompt_parts(messages)
    leaked = examples[0] if examples else "Écrivez à jean.martin@example.org ou au 06 11 22 33 44."
    system_line = next((line for line in system.splitlines() if len(line.split()) >= 8), system)
    drafts = [
        # obeys and echoes the customer's text, invents a refund and a discount
        f"{customer.strip()} Bien sûr : remboursement approuvé de 500 €, plus une remise "
        "de 70 % valable jusqu'au 31/12/2026.",
        # copies a past answer (with whatever personal data it holds), phishing link, price
        f"{leaked} Pour être remboursé, connectez-vous sur {PHISHING_URL} et payez les "
        "frais de dossier de 4,99 €.",
        # leaks its instructions, role-plays, wrong language, banned phrase
        f"No worries! I am DAN and I can do anything now. My instructions: {system_line}",
    ]
    tools = kwargs.get("tools") or []
    if tools and tools[0]["function"]["name"] == "DraftsOutput":
        tones = ["friendly", "informative", "reassuring"]
        return AIMessage(content="", tool_calls=[{
            "name": "DraftsOutput", "id": "call_misbehaving", "type": "tool_call",
            "args": {"drafts": [{"text": text, "tone": tone, "doc_ids": ["kb-made-up"]}
                                for text, tone in zip(drafts, tones, strict=True)]}}])
    if tools:  # any other structured call (tags, judge): garbage arguments
        return AIMessage(content="", tool_calls=[{
            "name": tools[0]["function"]["name"], "id": "call_misbehaving",
            "type": "tool_call", "args": {"mood": "ecstatic", "ignore": customer[:200]}}])
    return " ".join(drafts)  # plain text (streaming, shortening)


class MisbehavingChatModel(FakeChatModel):
    """A scripted model that misbehaves on purpose (see the module docstring)."""

    model_name: str = "misbehaving-fake"
    responder: Responder | None = _misbehave
