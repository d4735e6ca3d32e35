"""Past agent answers → reply units: one sentence each, case-specific content in typed slots.

A unit's text is a template: ``{name}`` (the customer's first name), ``{order_id}``,
``{case_id}`` (tracking, return, ticket numbers), ``{email}``, ``{phone}``, ``{amount}``,
``{date}``, ``{card}``. Signatures and initials ("^SM", "- Jane") and leading handles are
dropped; links are kept (the output guard checks them). Each unit has a kind:

- ``greeting``, ``thanks``, ``apology``, ``closing``: framing; the composer takes at most
  one of each, from the brand first.
- ``question``: asks the customer for something (a next step).
- ``action``: says what was done for that customer ("I've refunded…", "votre colis est
  parti"): evidence only, never suggested (see :mod:`replyassist.guardrails.actions`).
- ``body``: anything else (information, instructions).

The input is the stored answer, already scrubbed at ingest (``[NAME]``, ``[ORDER_ID]``…);
a :class:`~replyassist.guardrails.names.NameFinder`, when given, also slots names that an
older ingest left in place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..guardrails.actions import case_ids, done_actions, fold
from ..guardrails.channels import sentence_spans

if TYPE_CHECKING:
    from ..guardrails.names import NameFinder

__all__ = ["SLOTS", "ReplyUnit", "UnitKind", "apologises", "reply_units", "template_key"]

UnitKind = Literal["greeting", "thanks", "apology", "closing", "question", "action", "body"]

SLOTS = ("name", "order_id", "case_id", "email", "phone", "amount", "date", "card", "address",
         "link")

_PLACEHOLDER_SLOT = {"[NAME]": "{name}", "[ORDER_ID]": "{order_id}", "[EMAIL]": "{email}",
                     "[PHONE]": "{phone}", "[CARD]": "{card}",
                     # masks of anonymised exports ("#NAME#", "#EMAIL#")
                     "#NAME#": "{name}", "#EMAIL#": "{email}", "#PHONE#": "{phone}",
                     "#PHONE_NUMBER#": "{phone}", "#NUMBER#": "{case_id}",
                     "#ADDRESS#": "{address}", "#URL#": "{link}"}
_DROPPED = re.compile(r"\[(?:SIGNATURE|HANDLE)\]|(?<![\w@/])@\w{2,30}\b")
_SIGNATURE = re.compile(r"(?:\s*(?:\^|[-–—~/]\s?)[A-Z][A-Za-z]{0,2}\.?|\s+[-–—~]\s?[A-Z][a-z]+)"
                        r"\s*$")
_AMOUNT = re.compile(r"(?:[€$£]\s?\d+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?\s?(?:€|\$|£|eur\b|"
                     r"euros?\b|usd\b|gbp\b|dollars?\b|pounds?\b))", re.IGNORECASE)
_DATE = re.compile(
    r"\b(?:\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?|\d{4}-\d{2}-\d{2}|\d{1,2}(?:er|st|nd|rd|th)?\s+"
    r"(?:jan|feb|fév|fev|mar|apr|avr|may|mai|jun|juin|jul|juil|aug|août|aout|sep|oct|nov|dec|"
    r"déc)\w*\.?(?:\s+\d{4})?)\b", re.IGNORECASE)
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)

_GREETING = re.compile(
    r"^(?:hi|hello|hey|hiya|dear|good (?:morning|afternoon|evening)|greetings|bonjour|bonsoir|"
    r"salut|coucou|hallo|hola|buongiorno|ciao)\b(?:\s+(?:there|again|all|everyone|"
    r"a vous|a toi|madame|monsieur|\{name\}))*\s*[,!.:]?\s*", re.IGNORECASE)
_THANKS = re.compile(r"^(?:thanks?|thank you|many thanks|merci|je vous remercie|"
                     r"nous vous remercions|we appreciate|appreciate)\b")
_APOLOGY = re.compile(r"\b(?:sorry|apologi[sz]e|apologies|desole|desolee|navre|navree|"
                      r"excuse|excusons|pardon|regret)\w*\b")
_CLOSING = re.compile(
    r"^(?:have a (?:nice|great|good|lovely|wonderful)|hope (?:this|that) helps|let us know|"
    r"feel free|don't hesitate|do not hesitate|we're here|we are here|we're always here|"
    r"happy to help|glad (?:we|i) could help|take care|cheers|best|kind regards|regards|"
    r"cordialement|bien cordialement|bonne (?:journee|soiree|fin)|belle (?:journee|soiree)|"
    r"n'hesitez pas|n hesitez pas|au plaisir|a bientot|a tres vite|bien a vous|"
    r"excellente (?:journee|soiree)|je vous souhaite|nous vous souhaitons|"
    r"je reste a (?:votre|ta) disposition|nous restons a (?:votre|ta) disposition)\b")
# A sign-off line: "Stéphane — L'équipe Atelier Brume", "The Acme team", "Service client"
_SIGN_OFF = re.compile(r"(?:\bl'equipe\b|\bthe\b[\w' ]{1,40}\bteam|\bteam|service client|"
                       r"customer (?:care|service|support))[\w' ]{0,30}[.!]?$")
_QUESTION = re.compile(
    r"\?\s*$|^(?:please|kindly|could you|can you|would you|pourriez-vous|pouvez-vous|"
    r"pourrais-tu|peux-tu|merci de (?:nous|me) (?:envoyer|indiquer|preciser|transmettre|"
    r"communiquer|confirmer)|dm us|send us|reach out|merci de)\b")


@dataclass(frozen=True)
class ReplyUnit:
    """One sentence of a past answer as a template (see the module docstring)."""

    text: str
    kind: UnitKind
    key: str  # folded words: units with the same key are the same reply
    position: int  # index of the unit in its answer

    @property
    def slots(self) -> tuple[str, ...]:
        return tuple(s for s in SLOTS if "{" + s + "}" in self.text)


def apologises(text: str) -> bool:
    """Whether ``text`` apologises (English or French), wherever in a sentence."""
    return bool(_APOLOGY.search(fold(text)))


def template_key(text: str) -> str:
    """Folded words of a template, slots kept as words: the exact-match key."""
    masked = _URL.sub(lambda m: " " + re.sub(r"\W+", "_", m.group(0).lower()) + " ", text)
    return " ".join(re.findall(r"\{\w+\}|\w+", fold(masked)))


def _slot(text: str, names: NameFinder | None, language: str | None) -> str:
    for placeholder, slot in _PLACEHOLDER_SLOT.items():
        text = text.replace(placeholder, slot)
    if names is not None:
        for span in reversed(names.find(text, language=language)):
            text = text[:span.start] + ("{name}" if span.kind == "name" else "") + \
                text[span.end:]
    text = _DROPPED.sub("", text)
    urls: list[str] = []

    def keep(match: re.Match[str]) -> str:
        urls.append(match.group(0))
        return f"\x00{len(urls) - 1}\x00"

    text = _URL.sub(keep, text)
    for start, end, _ in reversed(case_ids(text)):
        text = text[:start] + "{case_id}" + text[end:]
    text = _AMOUNT.sub("{amount}", text)
    text = _DATE.sub("{date}", text)
    text = re.sub(r"\{name\}(?:\s+\{name\})+", "{name}", text)
    text = re.sub(r"\x00(\d+)\x00", lambda m: urls[int(m.group(1))], text)
    return re.sub(r"\s{2,}", " ", text).strip()


def _kind(text: str) -> UnitKind:
    folded = fold(text).strip()
    words = re.findall(r"\w+", folded)
    if done_actions(text):
        return "action"
    if _GREETING.match(folded) and len(words) <= 4:
        return "greeting"
    if _SIGN_OFF.search(folded) and len(words) <= 8:
        return "closing"
    if _APOLOGY.search(folded) and len(words) <= 16:
        return "apology"
    if _THANKS.match(folded) and len(words) <= 12:
        return "thanks"
    if _CLOSING.match(folded):
        return "closing"
    if _QUESTION.search(folded):
        return "question"
    return "body"


def reply_units(answer: str, *, names: NameFinder | None = None,
                language: str | None = None) -> list[ReplyUnit]:
    """The units of one agent answer, in order; signatures and empty pieces dropped."""
    answer = _SIGNATURE.sub("", answer.strip())
    units: list[ReplyUnit] = []
    for start, end in sentence_spans(answer):
        piece = _slot(answer[start:end].strip(), names, language)
        greeting = _GREETING.match(fold(piece))
        if greeting and greeting.end() < len(piece) and \
                len(re.findall(r"\w+", piece[greeting.end():])) >= 3:
            # "Hi {name}, sorry to hear that." → the greeting, then the sentence
            head, piece = piece[:greeting.end()].strip(), piece[greeting.end():].strip()
            piece = piece[:1].upper() + piece[1:]
            units.append(ReplyUnit(head, "greeting", template_key(head), len(units)))
        if len(re.findall(r"[^\W\d_]{2,}", piece)) < 2 and not _GREETING.match(fold(piece)):
            continue  # a signature, an emoji, "Thx!": nothing to reuse
        units.append(ReplyUnit(piece, _kind(piece), template_key(piece), len(units)))
    return units
