"""Conversation analysis. This version fills ``language``; the other tags stay ``None``."""

from .language import LanguageDetector

__all__ = ["LanguageDetector"]
