"""The replyassist exception tree.

Every error raised by replyassist is a :class:`ReplyAssistError`. Caller mistakes and
runtime failures are kept apart, so a helpdesk integration can tell "fix your input"
from "try again later"::

    ReplyAssistError                 code            http
    ├── UserError                    user_error      400
    │   ├── InvalidInputError        invalid_input   422  (names file, line, field)
    │   ├── ConfigurationError       configuration   400
    │   ├── NotFoundError            not_found       404  (names what is unknown)
    │   └── EmbedderMismatchError    embedder_mismatch 409
    └── RuntimeFailure               runtime_failure 503
        ├── StoreError               store_error     503
        ├── EmbeddingError           embedding_error 500
        └── LLMError                 llm_error       502
            ├── LLMTimeoutError      llm_timeout     504
            ├── LLMRateLimitError    llm_rate_limited 429
            └── LLMResponseError     llm_bad_response 502

Vendor exceptions (chromadb, openai, langchain) are translated at the boundary with
``raise ... from exc`` and never reach the caller as they are.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ConfigurationError",
    "EmbedderMismatchError",
    "EmbeddingError",
    "InvalidInputError",
    "LLMError",
    "LLMRateLimitError",
    "LLMResponseError",
    "LLMTimeoutError",
    "NotFoundError",
    "ReplyAssistError",
    "RuntimeFailure",
    "StoreError",
    "UserError",
]


class ReplyAssistError(Exception):
    """Base class of every replyassist error. ``code`` is stable and machine-readable."""

    code: str = "replyassist_error"
    http_status: int = 500


class UserError(ReplyAssistError):
    """The caller asked for something that cannot work: fix the input or the configuration."""

    code = "user_error"
    http_status = 400


class InvalidInputError(UserError):
    """Input data does not follow the formats.md contract.

    ``source`` is the file (or ``<stdin>``, ``<input>``), ``line`` the 1-based line for JSONL
    input, ``field`` the dotted path of the offending field (``messages.2.text``).
    """

    code = "invalid_input"
    http_status = 422

    def __init__(
        self,
        message: str,
        *,
        source: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.source = str(source) if source is not None else None
        self.line = line
        self.field = field
        self.reason = message
        where = []
        if self.source:
            where.append(self.source if line is None else f"{self.source}:{line}")
        elif line is not None:
            where.append(f"line {line}")
        if field:
            where.append(f"field '{field}'")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ConfigurationError(UserError):
    """Settings are missing or contradictory (unknown embedder, bad store URL, ...)."""

    code = "configuration"


class NotFoundError(UserError):
    """The caller named something that does not exist (a library reply id, ...);
    ``field`` names the argument."""

    code = "not_found"
    http_status = 404

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class EmbedderMismatchError(UserError):
    """A collection was built with another embedder; mixing vectors would be meaningless."""

    code = "embedder_mismatch"
    http_status = 409


class RuntimeFailure(ReplyAssistError):
    """Something outside the caller's control failed: a store, a model, a server."""

    code = "runtime_failure"
    http_status = 503


class StoreError(RuntimeFailure):
    code = "store_error"


class EmbeddingError(RuntimeFailure):
    code = "embedding_error"
    http_status = 500


class LLMError(RuntimeFailure):
    """The chat model could not produce drafts. ``auto`` mode degrades to composed drafts."""

    code = "llm_error"
    http_status = 502


class LLMTimeoutError(LLMError):
    code = "llm_timeout"
    http_status = 504


class LLMRateLimitError(LLMError):
    code = "llm_rate_limited"
    http_status = 429


class LLMResponseError(LLMError):
    code = "llm_bad_response"
