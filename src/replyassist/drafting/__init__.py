"""Drafting strategies behind one interface: ``composed`` (no LLM) and ``generated`` (LLM);
both follow the brand voice (:mod:`.voice`); :mod:`.reactions` proposes brand-approved
reactions for casual channels."""

from .composed import ComposedDrafter
from .context import DraftContext, DraftOutcome
from .generated import GeneratedDrafter
from .reactions import suggest_reactions
from .voice import apply_voice

__all__ = ["ComposedDrafter", "DraftContext", "DraftOutcome", "GeneratedDrafter",
           "apply_voice", "suggest_reactions"]
