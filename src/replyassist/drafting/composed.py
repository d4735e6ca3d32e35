"""Composed drafts, without an LLM.

1. Drafts from the tenant's response library (:mod:`replyassist.library`): the canonical
   replies that similar past cases were answered with, never a past answer as it was
   written for its customer. A draft is assembled from the conversation's state — one
   greeting (the brand's), at most one apology, the library's body sentences in their
   usual order, the best article's link, one next step (a question the team asks, else
   the closing), the brand's escalation step when the customer threatens legal action
   or to leave, the brand's sign-off — with slots filled from this conversation only
   (:mod:`.slots`: a sentence whose slot cannot be filled is dropped).
2. A draft built from the top article (and, when there is room, one from the next
   relevant article: the top one can be the wrong page): greeting, the most relevant
   passage, the link, a sign-off, from the templates in ``prompts/composed/`` and the
   brand voice (greeting and sign-off per language and channel, tu/vous phrases:
   :func:`.voice.framing`).
3. A holding reply (an acknowledgement), first when nothing relevant is known, else as
   the last option when fewer drafts than asked were found.

Each draft then gets the tone the policy planned for its rank (``DraftContext.tones``,
see :mod:`replyassist.analysis.tone`), with the tone's opener sentence from the phrases
(``tone_apologetic``, ...) after the greeting unless the draft already says as much (no
stacked thanks or apologies), and the brand voice's post-processing
(:func:`.voice.apply_voice`: banned claims, words to avoid, emoji).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..library.select import RankedReply
from ..library.units import apologises, reply_units, template_key
from ..links import URL as _URL
from ..links import normalize_url
from ..models import Citation, Draft, Notice
from ..prompts import PromptLibrary
from ..retrieval import ArticleResult
from .context import DraftContext, DraftOutcome
from .slots import SlotValues, fill, slot_values
from .voice import apply_voice, framing

__all__ = ["ComposedDrafter"]

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
# Tone openers that thank or acknowledge: a draft that has one needs no other thanks.
_THANKING_TONES = ("formal", "enthusiastic")
_ESCALATING_FLAGS = ("legal_threat", "churn_threat")


@dataclass
class _State:
    """What the drafts of one conversation share: the slot values, what agents already
    said (folded unit keys) and whether they apologised, the retrieved articles by URL,
    the library replies already used."""

    values: SlotValues
    said: set[str]
    apologised: bool
    by_url: dict[str, ArticleResult]
    used: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, context: DraftContext) -> _State:
        return cls(values=slot_values(context.conversation),
                   said={u.key for text in context.already_said for u in reply_units(text)},
                   apologised=any(map(apologises, context.already_said)),
                   by_url={normalize_url(a.url): a for a in context.articles if a.url})


class ComposedDrafter:
    strategy = "composed"

    def __init__(self, prompts: PromptLibrary, *, min_article_similarity: float = 0.2,
                 passage_chars: int = 600, body_units: int = 2) -> None:
        self.prompts = prompts
        self.min_article_similarity = min_article_similarity
        self.body_units = body_units
        self.passage_chars = passage_chars

    def draft(self, context: DraftContext) -> DraftOutcome:
        drafts: list[Draft] = []
        relevant = [a for a in context.articles if a.language in (None, context.language)
                    and a.similarity >= self.min_article_similarity]
        article = relevant[0] if relevant else None
        kinds: dict[int, frozenset[str]] = {}  # id(draft) → what it already says
        state = _State.of(context)
        for _ in range(2):  # the best library draft, then one from the next replies
            made = self._from_library(context, state, article)
            if made is None:
                break
            drafts.append(made[0])
            kinds[id(made[0])] = made[1]
        thanked = frozenset() if context.short_channel else frozenset({"thanks"})
        for position, found in ((min(1, len(drafts)), article),  # the top article second
                                (len(drafts) + 1, relevant[1] if len(relevant) > 1 else None)):
            if found is not None and len(drafts) < context.max_drafts:
                drafts.insert(position, self._from_article(found, context))
                kinds[id(drafts[position])] = thanked
        if len(drafts) < context.max_drafts:  # an acknowledgement is always an option
            drafts.append(self._holding(context, state))
            kinds[id(drafts[-1])] = frozenset({"thanks"})
        drafts = drafts[: context.max_drafts]
        phrases = self._phrases(context)
        for rank, draft in enumerate(drafts):
            tone = context.tones[rank] if rank < len(context.tones) else context.tones[-1]
            if draft.confidence <= 0.1 and tone in ("informative", "friendly"):
                tone = "reassuring"  # a holding reply informs of nothing yet
            draft.tone = tone
            text = draft.text
            opener_due = not _says_already(kinds.get(id(draft), frozenset()), tone)
            if context.follow_up:  # mid-conversation: only an apology not made yet
                opener_due = opener_due and tone == "apologetic" and not state.apologised
            if opener_due:
                text = _with_opener(text, phrases.get(f"tone_{tone}"))
            text = self._with_escalation(text, context, phrases)
            draft.text, notices = apply_voice(text, context.brand, context.language,
                                              context.channel)
            draft.warnings.extend(notices)
        if not self.prompts.has_phrases(context.language):
            notice = Notice(code="language_mismatch",
                            message=f"no reply templates in {context.language!r}: written in "
                                    f"{self.prompts.fallback_language!r}, translate before sending")
            for draft in drafts:
                draft.warnings.append(notice)
        return DraftOutcome(drafts)

    def _with_escalation(self, text: str, context: DraftContext,
                         phrases: dict[str, str]) -> str:
        """The brand's escalation step after the body, for a legal or churn threat (a
        brand without an escalation contact: the case goes to a manager)."""
        if not set(_ESCALATING_FLAGS).intersection(context.flags):
            return text
        escalation = context.brand.escalation
        template = phrases.get("escalation" if escalation else "escalation_manager")
        if template is None:
            return text
        step = template.format(team=escalation.team, contacts=", ".join(escalation.contacts)) \
            if escalation else template
        if step in text:
            return text
        body, sep, sign_off = text.rpartition("\n\n")
        if sep and body:
            return f"{body}\n{step}{sep}{sign_off}"
        return f"{text}\n{step}"

    # ------------------------------------------------------------------ pieces
    def _phrases(self, context: DraftContext) -> dict[str, str]:
        return self.prompts.phrases_for(context.language, address=context.address)

    def _render(self, template: str, context: DraftContext, **variables: object) -> str:
        """A composed template, framed by the brand's greeting and sign-off."""
        phrases = self._phrases(context)
        frame = framing(context.brand, phrases, language=context.language,
                        channel=context.channel, name=context.customer_first_name)
        follow_up = context.follow_up
        return self.prompts.render(
            template, p=phrases, greeting="" if follow_up else frame.greeting or "",
            sign_off="" if follow_up else frame.sign_off or "",
            short=context.short_channel, name=context.customer_first_name,
            brand=context.brand.signature(context.language), **variables)

    def _passage(self, article: ArticleResult) -> str:
        text = " ".join(p for _, p in article.passages[:1]).strip()
        text = re.sub(r"^#+\s*", "", text, flags=re.MULTILINE)
        text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)  # plain text: no Markdown emphasis
        if len(text) <= self.passage_chars:
            return text
        out = ""
        for sentence in _SENTENCE.split(text):
            if len(out) + len(sentence) > self.passage_chars and out:
                break
            out = f"{out} {sentence}".strip()
        return out

    def _from_article(self, article: ArticleResult, context: DraftContext) -> Draft:
        text = self._render("composed/article.md", context, passage=self._passage(article),
                            url=article.url)
        return Draft(text=text, tone="informative", strategy="composed",
                     citations=[Citation(doc_id=article.doc_id, title=article.title,
                                         url=article.url)],
                     confidence=round(max(0.0, min(1.0, article.similarity)), 3))

    def _from_library(self, context: DraftContext, state: _State, article: ArticleResult | None
                      ) -> tuple[Draft, frozenset[str]] | None:
        """A draft from the library replies not used yet (see the module docstring);
        ``None`` when no similar case gave a body sentence this conversation can fill."""
        chosen: list[tuple[RankedReply, str]] = []
        linked: list[ArticleResult] = []  # retrieved articles the chosen replies link to

        def take(ranked: RankedReply) -> bool:
            """Adds ``ranked`` when it can be said here (slots filled, not said yet, not
            a duplicate, links only to retrieved articles)."""
            text = fill(ranked.text, state.values)
            if text is None or ranked.reply.id in state.used or template_key(text) in \
                    state.said | {template_key(t) for _, t in chosen}:
                return False
            links = [normalize_url(u) for u in _URL.findall(text)]
            if any(link not in state.by_url for link in links):
                return False  # it pointed another customer to another page
            linked.extend(state.by_url[link] for link in links)
            chosen.append((ranked, text))
            state.used.add(ranked.reply.id)
            return True

        reached = [r for r in context.replies if r.via]  # given in similar past cases
        for ranked in reached:
            if sum(r.reply.kind in ("body", "question") for r, _ in chosen) >= self.body_units:
                break
            if ranked.reply.kind == "body" or (ranked.reply.kind == "question" and not any(
                    r.reply.kind == "question" for r, _ in chosen)):
                take(ranked)
        if not chosen:
            return None
        body_score = max(r.score for r, _ in chosen)
        apology_wanted = (context.tones and context.tones[0] in ("apologetic", "empathetic")) \
            or context.mood in ("angry", "frustrated", "disappointed", "anxious")
        if apology_wanted and not state.apologised:
            next((True for r in context.replies if r.reply.kind == "apology" and take(r)), None)
        if not any(r.reply.kind == "question" for r, _ in chosen):  # a next step
            next((True for r in reached if r.reply.kind == "question" and take(r)), None)
        kinds = frozenset(r.reply.kind for r, _ in chosen)
        body = [text for ranked, text in sorted(
            chosen, key=lambda rt: (rt[0].reply.kind != "apology", rt[0].reply.kind == "question",
                                    rt[0].position))]
        cited = linked[:1] or ([article] if article is not None else [])
        text = self._render("composed/library.md", context, body=" ".join(body),
                            url=cited[0].url if cited and not linked else None,
                            question="question" in kinds)
        citations = [Citation(doc_id=a.doc_id, title=a.title, url=a.url) for a in cited]
        draft = Draft(text=text, tone="friendly", strategy="composed", citations=citations,
                      confidence=round(max(0.0, min(1.0, body_score / max(1, len(
                          context.exchanges)) + 0.2)), 3))
        return draft, kinds

    def _holding(self, context: DraftContext, state: _State) -> Draft:
        """The acknowledgement, thanking in the team's most used words when the library
        has them (its ``thanks`` replies, suggestible, no slot left unfilled)."""
        thanks = next((text for r in context.replies if r.reply.kind == "thanks"
                       and (text := fill(r.text, state.values))), None)
        text = self._render("composed/holding.md", context, thanks=thanks)
        return Draft(text=text, tone="reassuring", strategy="composed", confidence=0.1)


_GREETING_LINE = re.compile(r"^[^\n]{1,60}[,:!]?$")
_LEADING_GREETING = re.compile(
    r"^\s*(?:bonjour|bonsoir|salut|coucou|hello|hi|hey|dear|good (?:morning|afternoon|evening)|"
    r"hallo|guten tag|hola|buongiorno|ciao|olá|ola|goedemiddag)\b[^,.!?\n]{0,40}[,!]\s*",
    re.IGNORECASE)


def _says_already(kinds: frozenset[str], tone: str) -> bool:
    """The draft already apologises, or thanks, as the tone's opener would."""
    if tone in ("apologetic", "empathetic") and "apology" in kinds:
        return True
    return tone in _THANKING_TONES and "thanks" in kinds


def _with_opener(text: str, opener: str | None) -> str:
    """``opener`` as its own sentence after the greeting (line or leading phrase), once."""
    if not opener or opener in text:
        return text
    first, sep, rest = text.partition("\n")
    if sep and _GREETING_LINE.match(first.strip()) and first.strip()[-1:] in ",:!":
        return f"{first}\n{opener} {rest.lstrip()}" if rest.strip() else f"{first}\n{opener}"
    greeting = _LEADING_GREETING.match(text)
    if greeting:
        head, tail = text[:greeting.end()].rstrip(), text[greeting.end():]
        if head.endswith(","):  # "Bonjour Kate, nous sommes désolés…"
            opener = opener[:1].lower() + opener[1:]
        return f"{head} {opener} {tail[:1].upper()}{tail[1:]}"
    return f"{opener} {text}"
