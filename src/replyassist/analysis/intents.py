"""Brand intents: a brand declares its intents with a few example messages; the matcher
assigns the closest one, or none.

Matching is nearest-neighbour on the retrieval embedding (the query vector is reused):
an intent's score is the mean of the two best cosine similarities between the message
and the intent's examples (one example: that similarity). The best intent is assigned
when its score reaches ``threshold`` (0.3, chosen on the own train split:
see docs/analysis.md) and beats the runner-up by ``margin``; otherwise
``intent`` is ``None`` (a thank-you, chit-chat, or a topic the brand did not declare).
The examples are embedded once per matcher.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, ConfigDict, Field

from ..embeddings import embed_array

__all__ = ["IntentMatch", "IntentMatcher", "IntentSpec"]


class IntentSpec(BaseModel):
    """One intent of a brand (``brand.yaml`` → ``intents:``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[a-z0-9_.-]+$")
    description: str | None = None
    examples: list[str] = Field(min_length=1)


@dataclass(frozen=True)
class IntentMatch:
    intent: str | None
    score: float
    runner_up: str | None = None


class IntentMatcher:
    def __init__(self, intents: list[IntentSpec], embedder: Embeddings, *,
                 threshold: float = 0.3, margin: float = 0.0) -> None:
        self.intents = intents
        self.embedder = embedder
        self.threshold = threshold
        self.margin = margin
        self._vectors: np.ndarray | None = None
        self._owner: np.ndarray | None = None
        self._lock = threading.Lock()

    @property
    def names(self) -> list[str]:
        return [intent.name for intent in self.intents]

    def for_intents(self, intents: list[IntentSpec]) -> IntentMatcher:
        """A matcher of other intents (a tenant's) with this one's embedder and
        thresholds; its examples are embedded on first use."""
        return IntentMatcher(intents, self.embedder, threshold=self.threshold,
                             margin=self.margin)

    def _index(self) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            if self._vectors is None:
                texts = [ex for intent in self.intents for ex in intent.examples]
                self._owner = np.asarray([i for i, intent in enumerate(self.intents)
                                          for _ in intent.examples])
                self._vectors = embed_array(self.embedder, texts)
        assert self._owner is not None
        return self._vectors, self._owner

    def scores(self, vector: np.ndarray) -> dict[str, float]:
        if not self.intents:
            return {}
        vectors, owner = self._index()
        sims = vectors @ np.asarray(vector, dtype=np.float32)
        out: dict[str, float] = {}
        for i, intent in enumerate(self.intents):
            best = np.sort(sims[owner == i])[::-1][:2]
            out[intent.name] = float(best.mean())
        return out

    def match(self, vector: np.ndarray) -> IntentMatch:
        scores = self.scores(vector)
        if not scores:
            return IntentMatch(None, 0.0)
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        best, score = ranked[0]
        runner_up, second = ranked[1] if len(ranked) > 1 else (None, -1.0)
        if score >= self.threshold and score - second >= self.margin:
            return IntentMatch(best, score, runner_up)
        return IntentMatch(None, score, best)
