"""Conversation analysis: language, mood, sentiment, urgency, register, flags, intent,
SLA and priority (the fast tagger, the LLM tagger and their policy), and the draft tone
policy. See ``docs/analysis.md``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .language import LanguageDetector

if TYPE_CHECKING:
    from .analyzer import Analyzer
    from .intents import IntentMatcher, IntentSpec
    from .llm_tagger import LLMTagger
    from .rules import RuleTagger
    from .sla import BusinessHours, ChannelTarget, SlaPolicy

__all__ = ["Analyzer", "BusinessHours", "ChannelTarget", "IntentMatcher", "IntentSpec",
           "LLMTagger", "LanguageDetector", "RuleTagger", "SlaPolicy"]

_LAZY = {"Analyzer": "analyzer", "IntentMatcher": "intents", "IntentSpec": "intents",
         "LLMTagger": "llm_tagger", "RuleTagger": "rules", "SlaPolicy": "sla",
         "BusinessHours": "sla", "ChannelTarget": "sla"}


def __getattr__(name: str) -> Any:
    # Lazy: brand.py imports analysis.sla / analysis.intents, and the analyzer imports
    # brand.py; importing everything here would be circular.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(name)
