"""Priority score of a conversation, 0–100, with the components that explain it.

``priority = urgency + mood + flags + waiting + tier``, clipped to [0, 100] and rounded to
one decimal. Every component is returned (rounded to one decimal, and the unclipped score
is their sum) so an agent UI can show why a conversation is on top of the queue.

=========  =====================================================================  ======
component  points                                                                 range
=========  =====================================================================  ======
urgency    critical 60 · high 30 · normal 10 · low 0 (unknown: as normal)         0–60
mood       angry 10 · frustrated 8 · anxious 6 · disappointed 4 · confused 2 ·     0–10
           neutral 0 · positive 0 (unknown: 0)
flags      safety_risk 10 · legal_threat 10 · churn_threat 5 ·                     0–15
           vulnerable_customer 5 · public_exposure 5 · repeat_contact 5 ·
           abusive_language 2 · prompt_injection 0; summed, capped at 15
waiting    share = waited / SLA target. Within target: 6 × share. Overdue          0–15
           (share > 1): 6 + 6 + 3 × min(share − 1, 1), i.e. a breach adds 6 at
           once and up to 3 more until twice the target. 0 without a target.
tier       vip 5 · platinum 4 · gold 3 · premium 3 · silver 1 (case-insensitive;     0–5
           other or no tier: 0). A brand may pass its own ``tier_bonus`` table.
=========  =====================================================================  ======

Properties the weights guarantee (and the tests check):

* a critical conversation outranks every normal one, whatever the mood, flags, waiting
  and tier: a normal case scores at most 10 + 10 + 15 + 15 + 5 = 55 < 60;
* with the same mood, flags and tier, an overdue normal conversation (≥ 10 + 12) outranks
  a fresh low one (0 waiting);
* breaching the SLA adds more than the whole run-up to it (6 at once vs 6 over the target).

Waiting must be measured on the target's clock: business minutes for a business-hours
target (:meth:`replyassist.analysis.sla.SlaPolicy.waited_minutes` does it), so an e-mail
received on Friday evening is not overdue on Monday morning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from ..errors import InvalidInputError
from ..labels import Flag, Mood, Urgency

__all__ = [
    "DEFAULT_TIER_BONUS",
    "FLAGS_CAP",
    "FLAG_POINTS",
    "MOOD_POINTS",
    "URGENCY_POINTS",
    "ordering_key",
    "priority_score",
]

URGENCY_POINTS: Mapping[str, float] = {"critical": 60.0, "high": 30.0, "normal": 10.0, "low": 0.0}
MOOD_POINTS: Mapping[str, float] = {
    "angry": 10.0,
    "frustrated": 8.0,
    "anxious": 6.0,
    "disappointed": 4.0,
    "confused": 2.0,
    "neutral": 0.0,
    "positive": 0.0,
}
FLAG_POINTS: Mapping[str, float] = {
    "safety_risk": 10.0,
    "legal_threat": 10.0,
    "churn_threat": 5.0,
    "vulnerable_customer": 5.0,
    "public_exposure": 5.0,
    "repeat_contact": 5.0,
    "abusive_language": 2.0,
    "prompt_injection": 0.0,
}
FLAGS_CAP = 15.0
DEFAULT_TIER_BONUS: Mapping[str, float] = {
    "vip": 5.0,
    "platinum": 4.0,
    "gold": 3.0,
    "premium": 3.0,
    "silver": 1.0,
}

_WITHIN_TARGET = 6.0  # points for the share of the target elapsed, up to the due time
_BREACH = 6.0  # added at once when the target is passed
_OVERDUE = 3.0  # added progressively until twice the target


def _points(table: Mapping[str, float], label: str | None, field: str) -> float | None:
    if label is None:
        return None
    try:
        return table[label]
    except KeyError:
        raise InvalidInputError(f"unknown label {label!r}", field=field) from None


def _waiting(waited_minutes: float | None, target_minutes: float | None) -> float:
    if waited_minutes is None or target_minutes is None:
        return 0.0
    if target_minutes <= 0:
        raise InvalidInputError("the SLA target must be positive", field="target_minutes")
    share = max(waited_minutes, 0.0) / target_minutes
    if share <= 1:
        return _WITHIN_TARGET * share
    return _WITHIN_TARGET + _BREACH + _OVERDUE * min(share - 1, 1.0)


def priority_score(
    *,
    urgency: Urgency | None,
    mood: Mood | None,
    flags: Iterable[Flag],
    waited_minutes: float | None,
    target_minutes: float | None,
    tier: str | None,
    tier_bonus: Mapping[str, float] | None = None,
) -> tuple[float, dict[str, float]]:
    """``(score, components)``: the 0–100 priority (one decimal) and its parts.

    ``components`` always has the keys ``urgency``, ``mood``, ``flags``, ``waiting`` and
    ``tier``; before clipping to 100 the score is their sum. ``waited_minutes`` and
    ``target_minutes`` must use the same clock (see the module docstring). ``tier_bonus``
    replaces :data:`DEFAULT_TIER_BONUS` (keys compared case-insensitively). An unknown
    urgency, mood or flag label raises :class:`InvalidInputError` naming the argument.
    """
    urgency_points = _points(URGENCY_POINTS, urgency, "urgency")
    mood_points = _points(MOOD_POINTS, mood, "mood")
    flag_points = sum(_points(FLAG_POINTS, flag, "flags") or 0.0 for flag in set(flags))
    bonuses = {
        key.strip().lower(): value
        for key, value in (DEFAULT_TIER_BONUS if tier_bonus is None else tier_bonus).items()
    }
    components = {
        "urgency": URGENCY_POINTS["normal"] if urgency_points is None else urgency_points,
        "mood": mood_points or 0.0,
        "flags": min(flag_points, FLAGS_CAP),
        "waiting": _waiting(waited_minutes, target_minutes),
        "tier": bonuses.get(tier.strip().lower(), 0.0) if tier else 0.0,
    }
    components = {name: round(value, 1) for name, value in components.items()}
    score = round(min(max(sum(components.values()), 0.0), 100.0), 1)
    return score, components


def ordering_key(
    priority: float | None, sla_due_at: datetime | None
) -> tuple[float, int, float]:
    """Sort key for a queue: highest priority first, then the earliest due time.

    Conversations without a priority sort as 0; without a due time, after those with one.
    A naive ``sla_due_at`` is read as UTC. Equal keys keep their input order, as Python's
    sort is stable (``sorted(items, key=lambda c: ordering_key(c.priority, c.due))``).
    """
    if sla_due_at is None:
        return (-(priority or 0.0), 1, 0.0)
    if sla_due_at.tzinfo is None:
        sla_due_at = sla_due_at.replace(tzinfo=UTC)
    return (-(priority or 0.0), 0, sla_due_at.timestamp())
