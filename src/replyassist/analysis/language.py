"""Language of the latest customer turns, with lingua (offline, good on short text).

Emoji-only, numeric or very short text, and text in a language outside the configured
set, fall back to the brand's default language instead of guessing.
"""

from __future__ import annotations

import re
import threading
from typing import Any

__all__ = ["LanguageDetector"]

_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


class LanguageDetector:
    """Detects among ``languages`` (ISO 639-1); returns ``default`` when it cannot tell."""

    def __init__(
        self,
        languages: list[str] | tuple[str, ...] = ("fr", "en", "de", "es", "it", "nl", "pt"),
        *,
        default: str = "fr",
        min_confidence: float = 0.5,
        max_chars: int = 2000,
    ) -> None:
        self.languages = [code.lower() for code in languages]
        self.default = default
        self.min_confidence = min_confidence
        self.max_chars = max_chars
        self._detector: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._detector is None:
                from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

                chosen = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
                          for code in self.languages]
                self._detector = (LanguageDetectorBuilder.from_languages(*chosen)
                                  .with_preloaded_language_models().build())
        return self._detector

    def detect(self, text: str, *, default: str | None = None) -> tuple[str, float]:
        """(language, confidence). Confidence 0.0 means the default was used."""
        fallback = default or self.default
        sample = text[-self.max_chars :]
        if len(_LETTERS.findall(sample)) < 2:
            return fallback, 0.0
        values = self._load().compute_language_confidence_values(sample)
        if not values:
            return fallback, 0.0
        best = values[0]
        code = best.language.iso_code_639_1.name.lower()
        short = len(sample.strip()) < 20
        if best.value < (0.7 if short else self.min_confidence * 0.5):
            return fallback, float(best.value)
        return code, float(best.value)
