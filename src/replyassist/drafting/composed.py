"""Composed drafts, without an LLM.

1. The best past agent answers to similar cases, in the customer's language and address
   (a vouvoiement reply never reuses a tutoiement answer, and the reverse), with the
   scrubbed placeholders re-filled for this customer (name, the one open order) and
   links kept.
2. A draft built from the top article: greeting, the most relevant passage, the link,
   a sign-off, from the templates in ``prompts/composed/`` and the brand voice (greeting
   and sign-off per language and channel, tu/vous phrases: :func:`.voice.framing`).
3. A holding reply when nothing relevant is known.

Each draft then gets the tone the policy planned for its rank (``DraftContext.tones``,
see :mod:`replyassist.analysis.tone`), with the tone's opener sentence from the phrases
(``tone_apologetic``, ...) after the greeting, and the brand voice's post-processing
(:func:`.voice.apply_voice`: banned claims, words to avoid, emoji).
"""

from __future__ import annotations

import re

from ..models import Citation, Draft, Notice
from ..prompts import PromptLibrary
from ..retrieval import ArticleResult, ExchangeResult
from .context import DraftContext, DraftOutcome
from .voice import apply_voice, fits_address, framing

__all__ = ["ComposedDrafter"]

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_PLACEHOLDER = re.compile(r"\[(EMAIL|PHONE|CARD|HANDLE|ORDER_ID|NAME)\]")


class ComposedDrafter:
    strategy = "composed"

    def __init__(self, prompts: PromptLibrary, *, min_answer_similarity: float = 0.35,
                 min_article_similarity: float = 0.2, passage_chars: int = 600) -> None:
        self.prompts = prompts
        self.min_answer_similarity = min_answer_similarity
        self.min_article_similarity = min_article_similarity
        self.passage_chars = passage_chars

    def draft(self, context: DraftContext) -> DraftOutcome:
        drafts: list[Draft] = []
        article = next((a for a in context.articles
                        if a.language in (None, context.language)
                        and a.similarity >= self.min_article_similarity), None)
        if article is not None:
            drafts.append(self._from_article(article, context))
        seen: set[str] = set()
        retrieved = {a.doc_id for a in context.articles}
        from_exchanges = 0
        for exchange in context.exchanges:
            if from_exchanges >= 2:
                break
            if exchange.language != context.language or \
                    exchange.similarity < self.min_answer_similarity or \
                    not fits_address(exchange.answer, context.language, context.address):
                continue
            if exchange.linked_doc_ids and retrieved and \
                    not retrieved.intersection(exchange.linked_doc_ids):
                continue  # that answer pointed to an article about something else
            key = re.sub(r"\W+", " ", exchange.answer.lower()).strip()
            if key in seen:
                continue
            seen.add(key)
            drafts.append(self._from_exchange(exchange, context))
            from_exchanges += 1
        drafts.sort(key=lambda d: d.confidence, reverse=True)
        if not drafts:
            drafts.append(self._holding(context))
        drafts = drafts[: context.max_drafts]
        phrases = self._phrases(context)
        for rank, draft in enumerate(drafts):
            tone = context.tones[rank] if rank < len(context.tones) else context.tones[-1]
            if draft.confidence <= 0.1 and tone in ("informative", "friendly"):
                tone = "reassuring"  # a holding reply informs of nothing yet
            draft.tone = tone
            text = _with_opener(draft.text, phrases.get(f"tone_{tone}"))
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

    # ------------------------------------------------------------------ pieces
    def _phrases(self, context: DraftContext) -> dict[str, str]:
        return self.prompts.phrases_for(context.language, address=context.address)

    def _render(self, template: str, context: DraftContext, **variables: object) -> str:
        """A composed template, framed by the brand's greeting and sign-off."""
        phrases = self._phrases(context)
        frame = framing(context.brand, phrases, language=context.language,
                        channel=context.channel, name=context.customer_first_name)
        return self.prompts.render(
            template, p=phrases, greeting=frame.greeting or "", sign_off=frame.sign_off or "",
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

    def _from_exchange(self, exchange: ExchangeResult, context: DraftContext) -> Draft:
        warnings: list[Notice] = []
        text = self._refill(exchange.answer, context, warnings)
        known = {a.doc_id: a for a in context.articles}
        citations = [Citation(doc_id=d, title=known[d].title, url=known[d].url)
                     for d in exchange.linked_doc_ids if d in known]
        return Draft(text=text, tone="friendly", strategy="composed", citations=citations,
                     confidence=round(max(0.0, min(1.0, exchange.similarity)), 3),
                     warnings=warnings)

    def _refill(self, answer: str, context: DraftContext, warnings: list[Notice]) -> str:
        name = context.customer_first_name
        attributes = context.conversation.customer.attributes \
            if context.conversation.customer else {}
        orders = attributes.get("open_orders") or []
        text = answer
        text = re.sub(r"^(\s*\[HANDLE\]\s*)+", "", text)
        if name:
            text = text.replace("[NAME]", name)
        else:
            text = re.sub(r"\s*\[NAME\]\s*([,!.])", r"\1", text).replace("[NAME]", "")
        if isinstance(orders, list) and len(orders) == 1:
            text = text.replace("[ORDER_ID]", str(orders[0]))
        left = sorted(set(_PLACEHOLDER.findall(text)))
        if left:
            warnings.append(Notice(
                code="placeholder_unfilled",
                message="fill in before sending: " + ", ".join(f"[{p}]" for p in left)))
        return text.strip()

    def _holding(self, context: DraftContext) -> Draft:
        text = self._render("composed/holding.md", context)
        return Draft(text=text, tone="reassuring", strategy="composed", confidence=0.1)


_GREETING_LINE = re.compile(r"^[^\n]{1,60}[,:!]?$")
_LEADING_GREETING = re.compile(
    r"^\s*(?:bonjour|bonsoir|salut|coucou|hello|hi|hey|dear|good (?:morning|afternoon|evening)|"
    r"hallo|guten tag|hola|buongiorno|ciao|olá|ola|goedemiddag)\b[^,.!?\n]{0,40}[,!]\s*",
    re.IGNORECASE)


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
