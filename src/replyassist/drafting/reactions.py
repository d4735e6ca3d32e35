"""Brand-approved reactions (emoji or GIF) the agent may add on a casual channel.

:func:`suggest_reactions` picks at most three of the brand's ``reactions``:

- only on the channels where reactions are proposed (``voice.REACTION_CHANNELS``: chat,
  messenger, whatsapp, instagram, twitter_dm; never e-mail, SMS, a public X post or a
  spoken reply) and that the reaction lists;
- only when the reaction lists the customer's mood: an angry or frustrated customer gets
  one only from a reaction made for that mood, and an unknown mood gets none;
- those whose occasions share a word with the occasion (an intent such as
  ``order_tracking`` or free text such as ``thanks``) first, then library order.
"""

from __future__ import annotations

import re

from ..brand import BrandVoice
from ..models import Reaction
from ..voice import REACTION_CHANNELS

__all__ = ["suggest_reactions"]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[^\W\d_]+", text.lower().replace("_", " ")))


def suggest_reactions(brand: BrandVoice, mood: str | None, channel: str,
                      occasion: str | None = None, *, limit: int = 3) -> list[Reaction]:
    if mood is None or channel not in REACTION_CHANNELS:
        return []
    wanted = _words(occasion or "")
    suited = [r for r in brand.reactions if mood in r.moods and channel in r.channels]
    ranked = sorted(suited, key=lambda r: -max(
        (len(wanted & _words(o)) for o in r.occasions), default=0))
    return [r.as_reaction() for r in ranked[:limit]]
