"""Building the default chat model and translating vendor errors into ours."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from langchain_core.language_models import BaseChatModel

from .errors import (
    LLMError,
    LLMRateLimitError,
    LLMResponseError,
    LLMTimeoutError,
    ReplyAssistError,
)
from .settings import Settings

__all__ = ["build_chat_model", "map_llm_errors", "tool_arguments"]


def build_chat_model(settings: Settings) -> BaseChatModel | None:
    """``ChatOpenAI`` when an API key or an OpenAI-compatible base URL is configured."""
    if not settings.llm_configured:
        return None
    from langchain_openai import ChatOpenAI

    api_key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "sk-local"
    extra: dict[str, object] = {}
    if settings.llm_base_url:
        # OpenAI-compatible servers (llama.cpp, vLLM, ...) often ignore
        # max_completion_tokens, which LangChain sends: also send the classic max_tokens.
        extra["extra_body"] = {"max_tokens": settings.max_draft_tokens}
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        api_key=api_key,  # type: ignore[arg-type]
        timeout=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
        temperature=settings.llm_temperature,
        max_tokens=settings.max_draft_tokens,  # type: ignore[call-arg]
        **extra,  # type: ignore[arg-type]
    )


@contextmanager
def map_llm_errors(model_name: str) -> Iterator[None]:
    """Translate openai / httpx / parsing errors into the LLMError tree."""
    try:
        yield
    except ReplyAssistError:
        raise
    except Exception as exc:
        raise _translate(exc, model_name) from exc


def _translate(exc: Exception, model_name: str) -> LLMError:
    name = type(exc).__name__
    try:
        import openai
    except ImportError:  # pragma: no cover
        openai = None  # type: ignore[assignment]
    prefix = f"chat model {model_name}"
    if openai is not None:
        if isinstance(exc, openai.APITimeoutError):
            return LLMTimeoutError(f"{prefix} timed out")
        if isinstance(exc, openai.RateLimitError):
            return LLMRateLimitError(f"{prefix} is rate limited (429)")
        if isinstance(exc, openai.APIStatusError):
            return LLMError(f"{prefix} answered HTTP {exc.status_code}")
        if isinstance(exc, openai.APIConnectionError):
            return LLMError(f"{prefix} is unreachable: {exc}")
    if isinstance(exc, TimeoutError) or "Timeout" in name:
        return LLMTimeoutError(f"{prefix} timed out")
    if isinstance(exc, json.JSONDecodeError | ValueError) or "Parser" in name:
        return LLMResponseError(f"{prefix} returned an unusable answer: {exc}")
    return LLMError(f"{prefix} failed: {name}: {exc}")


def tool_arguments(reply: Any) -> list[Any]:
    """Candidate structured outputs of a chat reply, most trusted first: the tool calls'
    arguments, the legacy ``function_call`` shape (llama.cpp), then a JSON object found in
    the text content."""
    candidates: list[Any] = [call.get("args") for call in getattr(reply, "tool_calls", None) or []]
    legacy = getattr(reply, "additional_kwargs", {}).get("function_call")
    if isinstance(legacy, dict):
        with contextlib.suppress(json.JSONDecodeError, TypeError):
            candidates.append(json.loads(legacy.get("arguments") or ""))
    content = getattr(reply, "content", "")
    match = re.search(r"\{.*\}", content if isinstance(content, str) else "", re.DOTALL)
    if match:
        with contextlib.suppress(json.JSONDecodeError):
            candidates.append(json.loads(match.group(0)))
    return candidates
