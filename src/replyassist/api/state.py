"""What an app holds on ``app.state``: the assistant (built once, lazily) and the
feedback store. No module-level clients: two apps never share anything."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request

from ..assistant import ReplyAssistant
from ..settings import default_store_path

if TYPE_CHECKING:
    from ..feedback import FeedbackStore

__all__ = ["AppState", "AssistantSource", "assistant_of", "state_of"]

AssistantSource = ReplyAssistant | Callable[[], ReplyAssistant]


class AppState:
    def __init__(self, source: AssistantSource, feedback_url: str | None) -> None:
        self._source = source
        self._assistant = source if isinstance(source, ReplyAssistant) else None
        self._feedback_url = feedback_url
        self._feedback: FeedbackStore | None = None
        self._lock = threading.RLock()

    @property
    def built(self) -> bool:
        return self._assistant is not None

    def assistant(self) -> ReplyAssistant:
        if self._assistant is None:
            with self._lock:
                if self._assistant is None:
                    factory: Any = self._source
                    self._assistant = factory()
        assert self._assistant is not None
        return self._assistant

    def feedback_url(self) -> str:
        if self._feedback_url:
            return self._feedback_url
        location = self.assistant().settings.store_location
        folder = Path(default_store_path() if location.startswith(("http://", "https://"))
                      else location)
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'feedback.db'}"

    def feedback(self) -> FeedbackStore:
        if self._feedback is None:
            with self._lock:
                if self._feedback is None:
                    from ..feedback import FeedbackStore

                    self._feedback = FeedbackStore(self.feedback_url())
        return self._feedback

    def close(self) -> None:
        if self._feedback is not None:
            self._feedback.close()
            self._feedback = None


def state_of(request: Request) -> AppState:
    state: AppState = request.app.state.replyassist
    return state


def assistant_of(request: Request) -> ReplyAssistant:
    return state_of(request).assistant()
