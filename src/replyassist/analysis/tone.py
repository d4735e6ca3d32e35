"""Draft tone policy: which tone each draft is written in.

Inputs: the customer's mood, register and flags, the channel, and the brand voice.
Output: one tone per draft, best first (draft 1 gets ``plan[0]``, ...).

| mood | plan (before adjustments) |
|---|---|
| angry | apologetic, empathetic, formal |
| frustrated | apologetic, empathetic, informative |
| anxious | reassuring, empathetic, informative |
| confused | informative, reassuring, friendly |
| disappointed | empathetic, apologetic, informative |
| neutral | informative, friendly, formal |
| positive | friendly, enthusiastic, informative |
| unknown | informative, friendly, reassuring |

Adjustments, in order:
1. ``legal_threat`` → formal, apologetic, informative (measured words, no promises);
   ``safety_risk`` → informative first (clear safety instructions), then empathetic.
2. E-mail from a formal customer, or a brand that is formal and a formal customer:
   ``friendly`` becomes ``formal``.
3. ``enthusiastic`` only for a positive mood, a brand that allows it
   (``BrandVoice.allow_enthusiastic``) and a customer who is not formal on e-mail;
   otherwise it becomes ``friendly``. An angry or frustrated customer never gets it,
   whatever the inputs (taxonomy.md).
4. Duplicates are removed; the plan is padded with informative / empathetic / friendly.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..brand import BrandVoice
from ..labels import Tone

__all__ = ["NEVER_ENTHUSIASTIC", "TONE_PLAN", "choose_tones"]

TONE_PLAN: dict[str | None, tuple[Tone, ...]] = {
    "angry": ("apologetic", "empathetic", "formal"),
    "frustrated": ("apologetic", "empathetic", "informative"),
    "anxious": ("reassuring", "empathetic", "informative"),
    "confused": ("informative", "reassuring", "friendly"),
    "disappointed": ("empathetic", "apologetic", "informative"),
    "neutral": ("informative", "friendly", "formal"),
    "positive": ("friendly", "enthusiastic", "informative"),
    None: ("informative", "friendly", "reassuring"),
}
NEVER_ENTHUSIASTIC = frozenset({"angry", "frustrated"})
_PADDING: tuple[Tone, ...] = ("informative", "empathetic", "friendly")


def choose_tones(*, mood: str | None, register: str | None, channel: str | None,
                 flags: Sequence[str] = (), brand: BrandVoice | None = None,
                 count: int = 3) -> list[Tone]:
    plan: list[Tone] = list(TONE_PLAN.get(mood, TONE_PLAN[None]))
    if "legal_threat" in flags:
        plan = ["formal", "apologetic", "informative"]
    elif "safety_risk" in flags:
        plan = ["informative", "empathetic", "reassuring"]
    brand_formal = brand.formal if brand is not None else True
    if register == "formal" and (channel == "email" or brand_formal):
        plan = ["formal" if tone == "friendly" else tone for tone in plan]
    allow = brand.allow_enthusiastic if brand is not None else True
    formal_email = register == "formal" and channel == "email"
    if mood != "positive" or not allow or formal_email or mood in NEVER_ENTHUSIASTIC:
        plan = ["friendly" if tone == "enthusiastic" else tone for tone in plan]
    out: list[Tone] = []
    for tone in [*plan, *_PADDING]:
        if tone not in out:
            out.append(tone)
    return out[:max(1, count)]
