"""The fast tagger: fills :class:`~replyassist.models.Analysis` offline, in milliseconds.

Per field (the full policy, with the mappings used in training, is in
``docs/analysis.md``):

- ``language``: lingua (:class:`LanguageDetector`), falling back to the customer's
  locale, then the brand's default language.
- ``mood``, ``urgency``, ``register``: the trained heads (:mod:`.heads`) on the query
  vector the pipeline computed for retrieval plus rule signals, then the rules
  (:mod:`.rules`): a strong rule hint is blended in (``rule_weight``), the urgency is
  raised to the rules' floor (legal threat, safety risk, fraud → critical, ...), and in
  French tu/vous decides the register.
- ``sentiment``: the expected valence of the mood distribution (:data:`VALENCE`).
- ``flags``: the rules, plus the conversation's shape (``repeat_contact`` when the
  customer wrote three times since the last answer or waited a day between unanswered
  messages; ``public_exposure`` on a public X post; ``vulnerable_customer`` when the
  helpdesk marked the customer so).
- ``intent``: the brand's intents (:class:`IntentMatcher`), or ``None``.
- ``sla_due_at`` and ``priority``: the brand's SLA policy and :func:`priority_score`.
- ``confidence``: the probability of the chosen label per field.

Without heads (another embedder and no head embedder, or ``heads=None``) the rules
alone decide, with lower confidence.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import cast

import numpy as np
from langchain_core.embeddings import Embeddings

from ..brand import BrandVoice
from ..embeddings import embed_array, embedder_identity
from ..guardrails.injection import InjectionDetector, InjectionFinding
from ..labels import FLAGS, MOODS, REGISTERS, URGENCIES, Flag, Mood, Register, Urgency
from ..models import Analysis, Conversation
from .heads import HeadSet
from .intents import IntentMatcher
from .language import LanguageDetector
from .priority import priority_score
from .rules import RuleFindings, RuleTagger
from .sla import customer_tier

__all__ = ["VALENCE", "Analyzer", "FastTags"]

log = logging.getLogger("replyassist")

# Valence of each mood, for the sentiment score (documented in docs/analysis.md).
VALENCE: dict[str, float] = {"angry": -0.9, "frustrated": -0.6, "disappointed": -0.6,
                             "anxious": -0.4, "confused": -0.15, "neutral": 0.0,
                             "positive": 0.8}
_URGENCY_RANK = {label: rank for rank, label in enumerate(reversed(URGENCIES))}
MAX_ANALYSED_CHARS = 2000


@dataclass
class FastTags:
    """The fast tagger's result and what it was based on (for the LLM policy, evals)."""

    analysis: Analysis
    findings: RuleFindings
    distributions: dict[str, dict[str, float]] = field(default_factory=dict)
    text: str = ""
    waited_minutes: float | None = None  # on the SLA target's clock
    priority_components: dict[str, float] = field(default_factory=dict)
    injection: InjectionFinding = field(default_factory=InjectionFinding)


class Analyzer:
    def __init__(
        self,
        *,
        detector: LanguageDetector,
        rules: RuleTagger | None = None,
        heads: HeadSet | None = None,
        head_embedder: Embeddings | None = None,
        brand: BrandVoice | None = None,
        intents: IntentMatcher | None = None,
        injection: InjectionDetector | None = None,
        rule_weight: float = 0.5,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``heads`` were trained on ``head_embedder``'s space. When the pipeline's query
        vector comes from the same embedder it is reused; otherwise the analyzer embeds
        the text with ``head_embedder`` (one more embedding)."""
        self.detector = detector
        self.rules = rules or RuleTagger()
        self.heads = heads
        self.head_embedder = head_embedder
        self.brand = brand or BrandVoice()
        self.intents = intents
        self.injection = injection or InjectionDetector(self.rules)
        self.rule_weight = rule_weight
        self.clock = clock or (lambda: datetime.now(UTC))

    def for_brand(self, brand: BrandVoice, intents: IntentMatcher | None) -> Analyzer:
        """This analyzer for another brand (a tenant's): its default language and
        register, its intents and its SLA. The detector, rules, heads and injection
        detector are shared, not copied."""
        other = copy.copy(self)
        other.brand = brand
        other.intents = intents
        return other

    # ------------------------------------------------------------------ vectors
    def can_reuse(self, embedder: Embeddings | None) -> bool:
        """Whether a query vector from ``embedder`` can feed the heads directly."""
        if self.heads is None or embedder is None:
            return False
        return embedder_identity(embedder) == (self.heads.embedder, self.heads.dimension)

    def _head_vector(self, text: str, vector: np.ndarray | None,
                     embedder: Embeddings | None) -> np.ndarray | None:
        if self.heads is None:
            return None
        if vector is not None and self.can_reuse(embedder):
            return vector
        if self.head_embedder is not None:
            return embed_array(self.head_embedder, [text])[0]
        return None

    # ------------------------------------------------------------------ tagging
    def analyze(self, conversation: Conversation, *, vector: np.ndarray | None = None,
                embedder: Embeddings | None = None, now: datetime | None = None
                ) -> Analysis:
        return self.tag(conversation, vector=vector, embedder=embedder, now=now).analysis

    def tag(self, conversation: Conversation, *, vector: np.ndarray | None = None,
            embedder: Embeddings | None = None, now: datetime | None = None) -> FastTags:
        """Tags for ``conversation``. ``vector``: the retrieval embedding of its latest
        customer text, made by ``embedder`` (reused when the heads fit it)."""
        text = conversation.latest_customer_text()[-MAX_ANALYSED_CHARS:]
        default_language = conversation.language_hint or self.brand.default_language
        language, language_confidence = self.detector.detect(
            _language_sample(conversation, text), default=default_language)
        findings = self.rules.scan(text, channel=conversation.channel)
        head_vector = self._head_vector(text, vector, embedder) if text.strip() else None

        distributions: dict[str, dict[str, float]] = {}
        if head_vector is not None and self.heads is not None:
            features = self.heads.features(head_vector, findings, text)
            distributions = {name: head.distribution(features)
                             for name, head in self.heads.heads.items()}
        confidence: dict[str, float] = {"language": round(language_confidence, 3)}

        mood_dist = self._blend(distributions.get("mood"), MOODS, findings.mood_hint,
                                findings.mood_strength, default="neutral")
        mood = max(mood_dist, key=mood_dist.__getitem__)
        sentiment = sum(p * VALENCE[label] for label, p in mood_dist.items())

        urgency_dist = self._blend(distributions.get("urgency"), URGENCIES, None, 0.0,
                                   default="normal")
        urgency = max(urgency_dist, key=urgency_dist.__getitem__)
        urgency_conf = urgency_dist[urgency]
        floor = findings.urgency_floor
        flags = set(findings.flags) | self._shape_flags(conversation)
        injection = self.injection.detect(conversation)
        if injection.flagged:  # any customer turn, disguised or split over turns
            flags.add("prompt_injection")
        if findings.cues.get("heating_loss") and "vulnerable_customer" in flags and \
                _winter(conversation, now or self.clock()):
            floor = "critical"  # taxonomy: no heating for a vulnerable person in winter
        if floor and _URGENCY_RANK[floor] > _URGENCY_RANK[urgency]:
            urgency, urgency_conf = floor, max(urgency_dist[floor], 0.8)

        register_dist = self._blend(distributions.get("register"), REGISTERS,
                                    findings.register_hint, findings.register_strength,
                                    default="formal" if self.brand.formal else "casual")
        register = max(register_dist, key=register_dist.__getitem__)

        intent, intent_conf = None, None
        if self.intents is not None and self.intents.intents and vector is not None:
            match = self.intents.match(vector)
            intent, intent_conf = match.intent, round(match.score, 3)

        confidence.update(mood=round(mood_dist[mood], 3), urgency=round(urgency_conf, 3),
                          register=round(register_dist[register], 3))
        if intent_conf is not None:
            confidence["intent"] = intent_conf
        analysis = Analysis(  # the labels come from the taxonomy's tuples
            language=language, mood=cast(Mood, mood),
            sentiment=round(max(-1.0, min(1.0, sentiment)), 3),
            urgency=cast(Urgency, urgency), register=cast(Register, register), intent=intent,
            flags=[cast(Flag, f) for f in FLAGS if f in flags], confidence=confidence)
        waited, components = self.schedule(conversation, analysis, now=now)
        return FastTags(analysis, findings, distributions, text, waited, components,
                        injection)

    def schedule(self, conversation: Conversation, analysis: Analysis, *,
                 now: datetime | None = None) -> tuple[float | None, dict[str, float]]:
        """Fill ``sla_due_at`` and ``priority`` from the (final) tags, in place; returns
        the waiting time (on the target's clock) and the priority's components."""
        policy = self.brand.sla
        tier = customer_tier(conversation)
        analysis.sla_due_at = policy.due_at(conversation, urgency=analysis.urgency, tier=tier)
        waited = policy.waited_minutes(conversation, now=now or self.clock())
        target = policy.target_minutes(conversation.channel, urgency=analysis.urgency,
                                       tier=tier) if waited is not None else None
        analysis.priority, components = priority_score(
            urgency=analysis.urgency, mood=analysis.mood, flags=analysis.flags,
            waited_minutes=waited, target_minutes=target, tier=tier)
        return waited, components

    # ------------------------------------------------------------------ pieces
    def _blend(self, dist: dict[str, float] | None, labels: tuple[str, ...],
               hint: str | None, strength: float, *, default: str) -> dict[str, float]:
        """Head distribution, with a rule hint mixed in by ``rule_weight × strength``.
        Without a head: the hint (or the default) with its strength as probability."""
        if dist is None:
            chosen = hint if hint in labels else default
            p = max(0.34, strength) if hint in labels else 0.34
            rest = (1.0 - p) / max(1, len(labels) - 1)
            return {label: (p if label == chosen else rest) for label in labels}
        if hint not in labels or strength <= 0:
            return dist
        w = min(1.0, self.rule_weight * strength)
        return {label: (1 - w) * p + (w if label == hint else 0.0) for label, p in dist.items()}

    @staticmethod
    def _shape_flags(conversation: Conversation) -> set[str]:
        flags: set[str] = set()
        pending = []
        for message in reversed(conversation.messages):
            if message.role == "agent":
                break
            if message.role == "customer":
                pending.append(message)
        if len(pending) >= 3:
            flags.add("repeat_contact")
        stamps = [m.created_at for m in pending if m.created_at is not None]
        if len(stamps) >= 2:
            try:
                if max(stamps) - min(stamps) >= timedelta(hours=24):
                    flags.add("repeat_contact")
            except TypeError:  # naive and aware timestamps mixed
                pass
        if conversation.channel == "twitter":
            flags.add("public_exposure")
        attributes = conversation.customer.attributes if conversation.customer else {}
        if attributes.get("vulnerable") in (True, "true", "yes", 1):
            flags.add("vulnerable_customer")
        return flags



WINTER_MONTHS = frozenset({11, 12, 1, 2, 3})  # northern hemisphere heating season


def _winter(conversation: Conversation, now: datetime) -> bool:
    """Whether the latest customer message (else ``now``) falls in the heating season."""
    stamps = [m.created_at for m in conversation.messages
              if m.role == "customer" and m.created_at is not None]
    return (stamps[-1] if stamps else now).month in WINTER_MONTHS


_SHORT_FOR_LANGUAGE = 40  # letters: below, a turn ("ok", "version 3.0") tells no language


def _language_sample(conversation: Conversation, latest: str) -> str:
    """The text the language is detected on: the latest customer turns, or, when they are
    too short to tell ("ok", "oui", a model number), the customer's last 300 characters of
    the whole conversation (its language has not changed because they wrote "ok")."""
    if sum(c.isalpha() for c in latest) >= _SHORT_FOR_LANGUAGE:
        return latest
    earlier = "\n".join(m.text for m in conversation.customer_turns())[-300:]
    return earlier if len(earlier) > len(latest) else latest
