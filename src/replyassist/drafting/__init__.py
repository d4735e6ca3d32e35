"""Drafting strategies behind one interface: ``composed`` (no LLM) and ``generated`` (LLM)."""

from .composed import ComposedDrafter
from .context import DraftContext, DraftOutcome
from .generated import GeneratedDrafter

__all__ = ["ComposedDrafter", "DraftContext", "DraftOutcome", "GeneratedDrafter"]
