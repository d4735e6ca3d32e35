"""Case facts: what was done for one customer, and the numbers of that customer's case.

A past answer such as "I've refunded £129.00 to your Visa ending 4421" or "le
remboursement est parti aujourd'hui" is true for *that* customer only. The response
library keeps such sentences as evidence, never as replies (:mod:`replyassist.library`),
and the output guard removes one from a draft unless this conversation grounds it
(``ungrounded_action``, :func:`ungrounded_actions`).

- :func:`done_actions`: statements that an action was carried out ("has been shipped",
  "we've issued a credit", "votre colis est parti", "a bien été remboursé"), English and
  French, each with its family (``refund``, ``shipment``, ``return``, ...). Offers and
  future forms ("we can refund", "nous allons vous rembourser") are not done actions.
- :func:`case_ids`: order, tracking, return and ticket numbers, and the last digits of a
  card ("ending 4421", "se terminant par 4421").

Text is compared folded (lower case, accents stripped, apostrophes unified); positions are
those of the original text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ActionFact", "CaseGrounding", "case_ids", "done_actions", "fold",
           "ungrounded_actions"]

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)


def fold(text: str) -> str:
    """Lower case, accents stripped, ’ → ', same length as ``text`` (one character each)."""
    out = []
    for char in text:
        base = "".join(c for c in unicodedata.normalize("NFKD", char)
                       if not unicodedata.combining(c)).lower()
        lower = char.lower()
        out.append(base if len(base) == 1 else lower if len(lower) == 1 else char)
    return "".join(out).replace("’", "'").replace("`", "'")


# Families of actions and the words that name them (folded).
FAMILIES: dict[str, str] = {
    "refund": r"rembours\w*|refund\w*|money back|reimburs\w*",
    "shipment": r"ship\w*|dispatch\w*|expedi\w*|envoi|envoy\w*|sent|colis|parcel|package|"
                r"livr\w*|deliver\w*|on (?:its|their|the) way|en route|parti[es]?|posted",
    "return": r"return\w*|retour\w*|rma|etiquette|label",
    "cancellation": r"cancel\w*|annul\w*",
    "credit": r"credit\w*|voucher\w*|avoir|bon d'achat|gift card|carte cadeau|coupon\w*|"
              r"geste commercial|discount\w*|remise|compensation|dedommag\w*|waiv\w*",
    "replacement": r"replac\w*|remplac\w*|exchang\w*|echang\w*",
    "account": r"reset|reinitialis\w*|unlock\w*|debloqu\w*|reactivat\w*|reactiv\w*|"
               r"restor\w*|retabli\w*|password|mot de passe",
    "receipt": r"recu\w*|controle\w*|received|inspected|checked",
    "escalation": r"escalat\w*|transmis\w*|forwarded|passed (?:it |this )?on",
    "transfer": r"transf\w*|moved|deplace\w*|merged|fusionn\w*",
    "subscription": r"subscri\w*|abonnement\w*|desabonn\w*|resili\w*|deactivat\w*|"
                    r"desactiv\w*|delet\w*|supprim\w*",
}
_FAMILY = {name: re.compile(rf"\b(?:{words})\b") for name, words in FAMILIES.items()}

_EN_PARTICIPLE = (r"refunded|reimbursed|issued|processed|sent|shipped|dispatched|posted|created|"
                  r"cancell?ed|credited|applied|added|arranged|reissued|reset|replaced|"
                  r"restored|reactivated|unlocked|submitted|placed|approved|waived|upgraded|"
                  r"booked|scheduled|generated|e-?mailed|raised|escalated|forwarded|logged|"
                  r"returned|received|delivered|exchanged|removed|refunding|shipping|transferred|"
                  r"moved|merged|unsubscribed|deactivated|deleted")
_FR_PARTICIPLE = (r"rembourse|effectue|envoye|expedie|reexpedie|renvoye|cree|annule|credite|"
                  r"applique|ajoute|procede|lance|transmis|valide|reinitialise|remplace|"
                  r"debloque|reactive|genere|emis|enregistre|traite|recu|controle|livre|"
                  r"echange|retabli|offert|accorde|verse|transfere|deplace|fusionne|desabonne|"
                  r"desactive|supprime|resilie")
_DONE = [re.compile(p) for p in (
    # "I've refunded", "we have just sent", "we shipped"
    rf"\b(?:i|we)(?:'ve| have|'ve just| have just| just|'ve already| have already| already)?"
    rf"\s+(?:now\s+|gone ahead and\s+|also\s+)?(?:{_EN_PARTICIPLE})\b",
    # "has been shipped", "your refund was processed", "is now on its way"
    rf"\b(?:has|have|had|was|were|is|are)\s+(?:now\s+|already\s+|just\s+|also\s+)?"
    rf"(?:been\s+)?(?:{_EN_PARTICIPLE})\b(?!\s+(?:within|in|once|when|after|by))",
    r"\b(?:is|are)\s+(?:now\s+)?(?:on (?:its|their|the) way|out for delivery|in transit)\b",
    r"\b(?:went out|has left|left our warehouse)\b",
    # "nous avons remboursé", "j'ai bien envoyé", "je viens de créer"
    rf"\b(?:nous avons|j'ai|j ai|on a|je viens d'|je viens de|nous venons de|nous venons d')"
    rf"\s*(?:bien\s+|deja\s+|donc\s+|aussi\s+|egalement\s+)?(?:{_FR_PARTICIPLE})",
    r"\b(?:je viens de|nous venons de|je viens d'|nous venons d')\s*(?:vous\s+)?"
    r"(?:rembourser|envoyer|expedier|creer|annuler|crediter|proceder|lancer|transmettre|"
    r"valider|reinitialiser|remplacer|debloquer|reactiver|generer|emettre|accorder)",
    # "a bien été remboursé", "ont été expédiés", "a été reçu et contrôlé"
    rf"\b(?:a|ont|avons|ai)\s+(?:bien\s+|deja\s+|donc\s+)?ete\s+(?:bien\s+)?(?:{_FR_PARTICIPLE})",
    # "votre colis est parti", "le remboursement est en route"
    r"\b(?:est|sont)\s+(?:bien\s+|deja\s+|donc\s+)?(?:parti|partie|partis|parties|en route|"
    r"en cours de livraison|en cours d'acheminement|en chemin)\b",
)]
# An offer, a condition or a question is not a statement of something done.
_NOT_DONE = re.compile(
    r"\b(?:if|once|when|whether|as soon as|after|can|could|will|would|should|may|might|"
    r"si|des que|une fois|lorsque|quand|pouvons|pouvez|pourrons|pourriez|allons|vais|"
    r"va|sera|seront|devrait|pourra)\b[^.!?]{0,25}$")


# "Nous avons bien reçu votre message", "we've received your request": politeness, no fact.
_MESSAGE_RECEIVED = re.compile(
    r"^\W*(?:bien\s+)?(?:(?:votre|ton|ta|vos|tes|your|le|la|les|ce|cette|this|the)\s+)?"
    r"(?:message|demande|mail|e-mail|email|request|question|query|retour|commentaire|"
    r"feedback|tweet|avis|reponse|reply|note|messages|demandes|mails|dm)s?\b")


@dataclass(frozen=True)
class ActionFact:
    """A statement that something was done: its span in the text and its families."""

    start: int
    end: int
    text: str
    families: frozenset[str]


def _families(folded: str) -> frozenset[str]:
    return frozenset(name for name, pattern in _FAMILY.items() if pattern.search(folded))


def done_actions(text: str) -> list[ActionFact]:
    """Statements of actions carried out, one per match (see the module docstring)."""
    folded = fold(_URL.sub(lambda m: " " * len(m.group(0)), text))
    found: list[ActionFact] = []
    for pattern in _DONE:
        for match in pattern.finditer(folded):
            before = folded[max(0, match.start() - 40):match.start()]
            if _NOT_DONE.search(before) or folded[match.end():].lstrip().startswith("?"):
                continue
            if any(f.start <= match.start() < f.end for f in found):
                continue
            if re.search(r"recu|received", match.group(0)) and \
                    _MESSAGE_RECEIVED.match(folded[match.end():match.end() + 40]):
                continue
            window = folded[max(0, match.start() - 60):match.end() + 60]
            found.append(ActionFact(match.start(), match.end(), text[match.start():match.end()],
                                    _families(window)))
    return sorted(found, key=lambda f: f.start)


_CASE_ID = re.compile(
    r"(?<![\w/.-])(?:#\d{4,12}|[a-z0-9]+(?:-[a-z0-9]+)*)(?![\w/-])", re.IGNORECASE)
_NOT_ID = re.compile(r"(?:19|20)\d\d|\d{1,4}(?:p|k|h|am|pm|st|nd|rd|th|er|e|min|gb|mb|go|mo|"
                     r"ko|kb|mm|cm|km|kg|ml|hz|ghz|mhz|w|kw|kwh|v|mah)", re.IGNORECASE)
_DATE = re.compile(r"(?<![\w-])(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4})(?![\w-])")
_CARD_END = re.compile(r"\b(?:ending(?: in| with)?|ends in|se terminant par|finissant par|"
                       r"terminee? par)\s+(\d{4})\b", re.IGNORECASE)


def case_ids(text: str) -> list[tuple[int, int, str]]:
    """(start, end, value) of order / tracking / return / ticket numbers and card endings,
    outside links and e-mail addresses."""
    masked = _URL.sub(lambda m: " " * len(m.group(0)), text)
    masked = re.sub(r"\S+@\S+", lambda m: " " * len(m.group(0)), masked)
    masked = _DATE.sub(lambda m: " " * len(m.group(0)), masked)
    spans = [(m.start(1), m.end(1), m.group(1)) for m in _CARD_END.finditer(masked)]
    for match in _CASE_ID.finditer(masked):
        value = match.group(0)
        digits = sum(c.isdigit() for c in value)
        letters = sum(c.isalpha() for c in value)
        if value.startswith("#"):
            pass  # "#12345": a ticket or order number
        elif digits < 3 or (not letters and digits < 6) or len(value) < 4 or \
                _NOT_ID.fullmatch(value):
            continue
        if any(s <= match.start() < e for s, e, _ in spans):
            continue
        spans.append((match.start(), match.end(), value))
    return sorted(spans)


def _compact(value: str) -> str:
    return re.sub(r"[\s#-]", "", value).lower()


@dataclass
class CaseGrounding:
    """What grounds a case fact in a draft: this conversation's agent, bot and note turns
    and its customer's CRM attributes (``done``); every turn, the attributes and the cited
    articles (``ids``)."""

    done_text: str = ""
    id_text: str = ""

    @classmethod
    def of(cls, done_sources: Iterable[str], id_sources: Iterable[str]) -> CaseGrounding:
        return cls("\n".join(done_sources), "\n".join(id_sources))

    def grounds_action(self, fact: ActionFact) -> bool:
        folded = fold(self.done_text)
        if not folded.strip():
            return False
        if fact.families:
            return any(_FAMILY[family].search(folded) for family in fact.families)
        return bool(done_actions(self.done_text))

    def grounds_id(self, value: str) -> bool:
        return _compact(value) in {_compact(v) for _, _, v in case_ids(self.id_text)} or \
            _compact(value) in _compact(self.id_text)


def ungrounded_actions(text: str, grounding: CaseGrounding
                       ) -> list[tuple[int, int, str]]:
    """(start, end, quoted) of the done actions and case numbers of ``text`` that
    ``grounding`` does not support."""
    found = [(f.start, f.end, f.text) for f in done_actions(text)
             if not grounding.grounds_action(f)]
    found += [(s, e, v) for s, e, v in case_ids(text) if not grounding.grounds_id(v)]
    return sorted(found)
