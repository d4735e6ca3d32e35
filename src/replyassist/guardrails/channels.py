"""Channel rules for drafts: length limits, sign-offs and public-post safety.

What each channel expects (issue "channel rules"):

- ``twitter`` (public X post): at most 280 characters as X counts them (:func:`x_length`),
  never asks for or repeats personal data in public, offers to continue in private messages.
- ``sms``: one or two segments, GSM-7 or UCS-2 counted properly (:func:`sms_segments`).
- ``email``: greeting, paragraphs, signature.
- ``chat``, ``messenger``, ``whatsapp`` (and ``instagram``, ``twitter_dm``): short, no formal
  sign-off.

A draft over its channel's limit is trimmed cleanly by :func:`trim_to_channel` (whole
sentences, sign-off dropped first); if it still does not fit the caller attaches
:func:`over_limit_notice` (``over_channel_limit``).

GSM 03.38 tables. PyPI has one maintained codec (``gsm0338``, MIT), but counting needs only
the two character tables, so they are written out here from 3GPP TS 23.038 §6.2.1 (default
alphabet) and §6.2.1.1 (default alphabet extension table) rather than adding a dependency.
A basic character costs one septet; an extension character costs two (escape 0x1B + code).
The table follows the specification: code 0x09 is ``Ç`` (capital), so a lower-case ``ç``,
like ``ê``, ``â``, ``î``, ``ô``, ``û``, ``ë``, ``ï`` or ``œ``, forces UCS-2. The table was
checked against ``gsm0338`` 1.1.0.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ..models import Notice
from .pii import _luhn_ok as luhn_ok  # one Luhn check for the package

__all__ = [
    "CHANNEL_RULES",
    "CLOSING",
    "DM_OFFER",
    "EMOJI",
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "X_URL_LENGTH",
    "ChannelRule",
    "find_urls",
    "fits",
    "get_rule",
    "make_public_safe",
    "measure",
    "over_limit_notice",
    "protected_spans",
    "public_personal_data_request",
    "sentence_spans",
    "sms_segments",
    "split_sign_off",
    "trim_to_channel",
    "x_length",
]

# ------------------------------------------------------------------ SMS (GSM 03.38)

#: 3GPP TS 23.038 default alphabet, codes 0x00-0x7F in order (0x1B, ESC, is left out).
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ"  # 0x00-0x1A
    "ÆæßÉ"  # 0x1C-0x1F
    " !\"#¤%&'()*+,-./0123456789:;<=>?"  # 0x20-0x3F
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"  # 0x40-0x5F
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"  # 0x60-0x7F
)
#: Extension table characters, each sent as ESC + code (two septets): form feed ^ { } \ [ ~ ] | €.
GSM7_EXTENSION: frozenset[str] = frozenset("\f^{}\\[~]|€")

_SMS_SINGLE = {"gsm7": 160, "ucs2": 70}
_SMS_MULTI = {"gsm7": 153, "ucs2": 67}  # a concatenated segment loses room to its header


def _pack(weights: list[int], single: int, multi: int) -> int:
    """Segments needed, never splitting a character (escape pair or surrogate pair)."""
    total = sum(weights)
    if total == 0:
        return 0
    if total <= single:
        return 1
    segments, used = 1, 0
    for weight in weights:
        if used + weight > multi:
            segments, used = segments + 1, 0
        used += weight
    return segments


def sms_segments(text: str) -> tuple[Literal["gsm7", "ucs2"], int]:
    """The encoding an SMS of ``text`` needs and how many segments it takes.

    GSM-7 when every character is in the basic or extension table (extension characters
    count two septets): 160 septets in one segment, 153 per segment beyond. Otherwise UCS-2,
    counted in UTF-16 code units (an emoji outside the BMP is two): 70 in one segment, 67 per
    segment beyond. An empty text takes 0 segments.
    """
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        weights = [2 if c in GSM7_EXTENSION else 1 for c in text]
        return "gsm7", _pack(weights, _SMS_SINGLE["gsm7"], _SMS_MULTI["gsm7"])
    weights = [2 if ord(c) > 0xFFFF else 1 for c in text]
    return "ucs2", _pack(weights, _SMS_SINGLE["ucs2"], _SMS_MULTI["ucs2"])


# ------------------------------------------------------------------ X (Twitter) length

_TLDS = "com|net|org|fr|io|co|uk|de|eu|be|ch|ca|es|it|nl|info|biz|app|dev|ly|me|us|gl"
_URL = re.compile(
    r"(?<![\w@.\-/])(?:https?://[^\s<>\"']+|www\.[^\s<>\"']+"
    rf"|(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})\b(?![@\-])(?:/[^\s<>\"']*)?)",
    re.IGNORECASE,
)
_URL_TRAILING = ".,;:!?)]}»”’\"'…"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
EMOJI = re.compile(
    r"(?:[\U0001F1E6-\U0001F1FF]{2}"  # flag (regional indicator pair)
    r"|[#*0-9]\uFE0F?\u20E3"  # keycap
    r"|[\u00A9\u00AE\u203C\u2049\u2122\u2139\u2194-\u21FF\u231A-\u23FF\u24C2\u25AA-\u27BF"
    r"\u2934\u2935\u2B05-\u2B55\u3030\u303D\u3297\u3299\U0001F000-\U0001FAFF]"
    r"[\uFE0E\uFE0F\U0001F3FB-\U0001F3FF\U000E0020-\U000E007F]*"
    r"(?:\u200D[\u2600-\u27BF\U0001F000-\U0001FAFF][\uFE0F\U0001F3FB-\U0001F3FF]*)*)"
)
#: twitter-text v3 ranges weighing 1; every other code point weighs 2.
_X_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
X_URL_LENGTH = 23


def find_urls(text: str) -> list[tuple[int, int]]:
    """Spans of the URLs in ``text`` (with a scheme, ``www.`` or a common TLD), trailing
    punctuation left out; e-mail addresses are not URLs."""
    spans = []
    emails = [m.span() for m in _EMAIL.finditer(text)]
    for match in _URL.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in _URL_TRAILING:
            end -= 1
        if any(s <= start < e for s, e in emails):
            continue
        spans.append((start, end))
    return spans


def _x_weight(char: str) -> int:
    code = ord(char)
    return 1 if any(lo <= code <= hi for lo, hi in _X_LIGHT) else 2


def x_length(text: str) -> int:
    """The length X gives ``text``, an approximation of twitter-text v3's weighted count.

    The text is NFC-normalised; each URL counts 23 whatever its length (:func:`find_urls`
    approximates X's URL detection: scheme, ``www.`` or a common TLD); each emoji sequence
    (skin tone, ZWJ family, flag, keycap) counts 2; any other code point counts 1 in the
    ranges X weighs 1 (Latin, Greek, Cyrillic, ..., general punctuation such as ``’``) and
    2 elsewhere (CJK, and also ``…`` and ``€``).
    """
    text = unicodedata.normalize("NFC", text)
    total, position = 0, 0
    for start, end in find_urls(text):
        total += _x_plain_length(text[position:start]) + X_URL_LENGTH
        position = end
    return total + _x_plain_length(text[position:])


def _x_plain_length(text: str) -> int:
    total, position = 0, 0
    for match in EMOJI.finditer(text):
        total += sum(_x_weight(c) for c in text[position : match.start()]) + 2
        position = match.end()
    return total + sum(_x_weight(c) for c in text[position:])


# ------------------------------------------------------------------ rules

Unit = Literal["chars", "x_weighted", "sms_segments"]


@dataclass(frozen=True)
class ChannelRule:
    """What a draft on one channel must respect.

    ``max_chars`` is in ``unit``: plain characters, X's weighted count, or (``sms``) the
    number of segments is bounded by ``max_segments`` instead. ``None`` means no limit.
    ``public``: anyone can read the reply (no personal data, offer private messages).
    ``sign_off``: the channel expects a closing formula and signature (e-mail).
    """

    channel: str
    max_chars: int | None = None
    unit: Unit = "chars"
    max_segments: int | None = None
    public: bool = False
    sign_off: bool = False
    guidance: str = ""


_SHORT = "Short and conversational, no formal sign-off."

CHANNEL_RULES: dict[str, ChannelRule] = {
    "email": ChannelRule(
        "email", sign_off=True, guidance="Greeting, short paragraphs, sign-off and signature."
    ),
    "chat": ChannelRule("chat", guidance=_SHORT),
    "messenger": ChannelRule("messenger", max_chars=2000, guidance=_SHORT),
    "whatsapp": ChannelRule("whatsapp", max_chars=4096, guidance=_SHORT),
    "instagram": ChannelRule("instagram", max_chars=1000, guidance=_SHORT),
    "twitter": ChannelRule(
        "twitter",
        max_chars=280,
        unit="x_weighted",
        public=True,
        guidance="Public post: at most 280 characters, never ask for or repeat personal data, "
        "offer to continue in private messages.",
    ),
    "twitter_dm": ChannelRule("twitter_dm", max_chars=10000, guidance=_SHORT),
    "sms": ChannelRule(
        "sms",
        unit="sms_segments",
        max_segments=2,
        guidance="One or two SMS segments: very short, plain characters, no sign-off.",
    ),
    "phone_transcript": ChannelRule(
        "phone_transcript", guidance="Spoken style: short sentences, no links or formatting."
    ),
    "other": ChannelRule("other", sign_off=True),
}


def get_rule(channel: str) -> ChannelRule:
    """The rule of ``channel``; an unknown channel gets the ``other`` rule (no limit)."""
    return CHANNEL_RULES.get(channel, CHANNEL_RULES["other"])


def _length(text: str, rule: ChannelRule) -> int:
    return x_length(text) if rule.unit == "x_weighted" else len(text)


def fits(text: str, channel: str) -> bool:
    """Whether ``text`` is within the channel's limit."""
    rule = get_rule(channel)
    if rule.unit == "sms_segments":
        return rule.max_segments is None or sms_segments(text)[1] <= rule.max_segments
    return rule.max_chars is None or _length(text, rule) <= rule.max_chars


def measure(text: str, channel: str) -> str:
    """A human description of the size: ``"312/280 characters"``, ``"3 SMS segments (ucs2)"``."""
    rule = get_rule(channel)
    if rule.unit == "sms_segments":
        encoding, segments = sms_segments(text)
        return f"{segments} SMS segment{'' if segments == 1 else 's'} ({encoding})"
    length = _length(text, rule)
    if rule.max_chars is None:
        return f"{length} characters"
    return f"{length}/{rule.max_chars} characters"


def over_limit_notice(text: str, channel: str) -> Notice | None:
    """The ``over_channel_limit`` warning for a draft that does not fit, else ``None``."""
    if fits(text, channel):
        return None
    rule = get_rule(channel)
    limit = (
        f"{rule.max_segments} SMS segments"
        if rule.unit == "sms_segments"
        else f"{rule.max_chars} characters"
    )
    return Notice(
        code="over_channel_limit",
        message=f"Draft is {measure(text, channel)}; {channel} allows {limit}.",
    )


# ------------------------------------------------------------------ sentences

_TERMINAL = re.compile(r"[.!?…]+[\"'»”’)\]]*(?=\s|$)")
_ABBREVIATIONS = frozenset(
    {
        "m",
        "mme",
        "mlle",
        "mm",
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "e.g",
        "i.e",
        "cf",
        "vs",
        "ex",
        "tel",
        "tél",
        "env",
        "approx",
    }
)


def protected_spans(text: str) -> list[tuple[int, int]]:
    return find_urls(text) + [m.span() for m in _EMAIL.finditer(text)]


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def _sentence_ends(text: str) -> tuple[list[int], list[int]]:
    """(all boundaries, sentence-final boundaries): offsets where a sentence or line ends.

    A full stop inside a URL or e-mail address, or after a title such as ``M.`` or ``Dr.``,
    ends nothing.
    """
    protected = protected_spans(text)
    terminal: set[int] = set()
    for match in _TERMINAL.finditer(text):
        if _inside(match.start(), protected):
            continue
        if match.group().startswith("."):
            word = re.search(r"(\S+)$", text[: match.start()])
            if word and word.group(1).lower().lstrip('("«') in _ABBREVIATIONS:
                continue
        terminal.add(match.end())
    ends = set(terminal) | {m.start() for m in re.finditer(r"\n", text)}
    ends.add(len(text.rstrip()))
    return sorted(e for e in ends if e > 0), sorted(terminal)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Contiguous spans covering ``text``, one per sentence or line (leading space included)."""
    spans, start = [], 0
    for end in _sentence_ends(text)[0]:
        if text[start:end].strip():
            spans.append((start, end))
            start = end
    if start < len(text):
        if spans and not text[start:].strip():
            spans[-1] = (spans[-1][0], len(text))
        else:
            spans.append((start, len(text)))
    return spans


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


# ------------------------------------------------------------------ trimming

CLOSING = re.compile(
    r"^(?:cordialement|bien cordialement|bien (?:à|a) (?:vous|toi)|sinc(?:è|e)res salutations"
    r"|meilleures salutations|salutations|respectueusement|belle (?:journée|soirée)"
    r"|bonne (?:journée|soirée|fin de journée)|à (?:bientôt|très vite)|merci|thanks|thank you"
    r"|many thanks|best regards|kind regards|warm regards|regards|best wishes|best|sincerely"
    r"|yours sincerely|yours faithfully|all the best|cheers|have a (?:nice|great|good) day)"
    r"\b[^.?!\n]{0,40}[!.]?$",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(
    r"^(?:--\s*|l['’]équipe\b[^.?!\n]{0,40}|le service client\b[^.?!\n]{0,40}"
    r"|the\s[^.?!\n]{0,30}\bteam|[^.?!\n]{0,30}\bsupport team)$",
    re.IGNORECASE,
)
_SIGN_OFF_LINE = 60


def split_sign_off(text: str) -> tuple[str, str]:
    """(body, sign-off block): the closing formula and signature lines at the end, if any."""
    lines = text.rstrip().split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    for index in filled[-6:]:
        line = lines[index].strip()
        if len(line) > _SIGN_OFF_LINE or not (CLOSING.match(line) or _SIGNATURE.match(line)):
            continue
        after = lines[index + 1 :]
        body = "\n".join(lines[:index]).rstrip()
        if body and all(len(rest.strip()) <= _SIGN_OFF_LINE for rest in after):
            return body, "\n".join(lines[index:]).strip()
    return text, ""


def _split_protected_tail(text: str) -> tuple[str, str]:
    """(body, tail): a closing private-message offer (:data:`DM_OFFER`) is kept by trimming."""
    stripped = text.rstrip()
    for offer in DM_OFFER.values():
        if stripped.endswith(offer) and stripped[: -len(offer)].strip():
            return stripped[: -len(offer)].rstrip(), offer
    return text, ""


def _largest(candidates: list[int], ok: Callable[[int], bool]) -> int | None:
    """The largest candidate for which ``ok`` holds (``ok`` is monotone: true then false)."""
    lo, hi, best = 0, len(candidates) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        if ok(candidates[mid]):
            best, lo = candidates[mid], mid + 1
        else:
            hi = mid - 1
    return best


def trim_to_channel(text: str, channel: str) -> tuple[str, bool]:
    """Shorten ``text`` to fit ``channel``; returns ``(text, still_over)``.

    A text that fits is returned as is. Otherwise, in order: the sign-off block is dropped
    when the channel takes none; then whole sentences are dropped from the end (a URL is
    never split, a closing private-message offer is kept); only if not even the first
    sentence fits is the text cut at a word boundary and closed with an ellipsis (``...``
    on SMS, to stay GSM-7). ``still_over`` is true when nothing of that fits.
    """
    if fits(text, channel):
        return text, False
    rule = get_rule(channel)
    body = text.strip()
    if not rule.sign_off:
        body = split_sign_off(body)[0]
        if fits(body, channel):
            return body, False
    body, tail = _split_protected_tail(body)

    def join(head: str) -> str:
        return f"{head} {tail}" if head and tail else head or tail

    ends, terminal = _sentence_ends(body)
    if terminal:
        cuts = [end for end in ends if end >= terminal[0]]
        cut = _largest(cuts, lambda end: fits(join(body[:end].rstrip()), channel))
        if cut is not None:
            return join(body[:cut].rstrip()), False

    ellipsis = "..." if rule.unit == "sms_segments" else "…"
    protected = find_urls(body)
    spaces = [m.start() for m in re.finditer(r"\s+", body) if not _inside(m.start(), protected)]

    def cut_at(position: int) -> str:
        return join(body[:position].rstrip(" \t\n,;:-–—") + ellipsis)

    space = _largest(spaces, lambda position: fits(cut_at(position), channel))
    if space is not None and body[:space].strip():
        return cut_at(space), False
    return join(body), True


# ------------------------------------------------------------------ public posts

DM_OFFER: dict[str, str] = {
    "fr": "Pouvez-vous nous écrire en message privé pour que nous regardions votre dossier ?",
    "en": "Could you send us a private message so we can look into your account?",
    "de": "Könnten Sie uns eine Direktnachricht schicken, damit wir uns Ihr Anliegen ansehen?",
    "es": "¿Podría enviarnos un mensaje privado para que revisemos su caso?",
    "it": "Può scriverci in un messaggio privato così da verificare la sua pratica?",
    "nl": "Kunt u ons een privébericht sturen, zodat we uw dossier kunnen bekijken?",
}

_DATA_NOUNS = (
    # English
    r"order (?:number|no\.?|id|reference|ref)|e-?mail(?: address)?|email(?: address)?"
    r"|(?:phone|mobile|cell|telephone)(?: number)?"
    r"|(?:home |postal |street |billing |delivery |shipping )?address|post ?code|zip(?: code)?"
    r"|(?:credit |debit |bank )?card(?: number| details)?|(?:last|final) (?:four|4) digits"
    r"|iban|bank (?:details|account(?: number)?)|account (?:number|details|id)|sort code"
    r"|date of birth|birth ?date|dob|birthday|password|passcode|pin(?: code)?|security code"
    r"|cvv|cvc|social security number|ssn|customer (?:number|id)|(?:personal|contact) details"
    r"|full name|login(?: details)?|username"
    # French
    r"|(?:numéro|n°|no|num\.?) (?:de |du )?(?:commande|téléphone|portable|mobile"
    r"|carte(?: bancaire)?|client|compte|sécurité sociale|contrat)"
    r"|référence(?: de commande)?"
    r"|adresse(?: (?:e-?mail|mail|électronique|postale|de livraison|de facturation|courriel))?"
    r"|courriel|mail|téléphone|portable|coordonnées(?: bancaires)?|carte bancaire|carte"
    r"|rib|code postal|date de naissance|mot de passe|code (?:secret|pin|de sécurité)"
    r"|cryptogramme|identifiants?|nom complet|nom et prénom"
)
_DETERMINERS = r"your|the|votre|vos|ton|ta|tes|le|la|les|l['’]"
_CUES = (
    r"send|give|provide|share|tell|confirm|post|reply with|let us know|need|include"
    r"|what(?:['’]s| is| are)|may we (?:have|get)|can we (?:have|get)|could we (?:have|get)"
    r"|(?:donn|communiqu|envoy|indiqu|précis|confirm|rappel|partag|renseign|not)(?:er|ez|e)"
    r"|envoie|transmet(?:tre|tez|s)?|fourni(?:r|ssez|s)|écri(?:re|vez|s)"
    r"|quel(?:le)?s? (?:est|sont)|c['’]est quoi|besoin d[e'’]"
)
_REQUEST = re.compile(
    rf"\b(?:{_CUES})\b[^.?!\n]{{0,60}}?(?<!\w)(?:{_DETERMINERS})\s*(?:{_DATA_NOUNS})(?!\w)",
    re.IGNORECASE,
)
_BARE_QUESTION = re.compile(rf"^\W*(?:{_DETERMINERS})\s*(?:{_DATA_NOUNS})\s*\?", re.IGNORECASE)
_PRIVATE = re.compile(
    r"\b(?:DMs?|direct message|private message|privately|in private|inbox"
    r"|messages? priv(?:é|e)s?|en priv(?:é|e)|en mp|par mp|messagerie priv(?:é|e)e"
    r"|Direktnachricht|mensaje privado|messaggio privato|privébericht)\b"
    r"|\bMP\b",
    re.IGNORECASE,
)
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"\+\d{1,3}[\s.-]?(?:\(0\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){2,4}"
    r"|0\d(?:[\s.-]?\d{2}){4}"
    r"|0\d{3,4}[\s.-]?\d{3}[\s.-]?\d{3,4}"
    r"|\(\d{3}\)\s?\d{3}[\s.-]?\d{4}|\d{3}[.-]\d{3}[.-]\d{4}"
    r")(?!\w)"
)
_CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_ORDER = re.compile(r"(?<![\w/-])(?:[A-Z]{1,4}-\d{4,10}|#\d{4,12})(?![\w/-])")
_CARD_TAIL = re.compile(
    r"\b(?:ending (?:in|with)|se terminant par|finissant par|termin(?:é|e)e? par)\s*\d{2,4}\b",
    re.IGNORECASE,
)
_STREET = re.compile(
    r"\b\d{1,4}(?: ?(?:bis|ter))?,? (?:rue|avenue|av\.|boulevard|bd|allée|chemin|impasse"
    r"|place|quai|route)\b[^,.\n]{0,40}"
    r"|\b\d{1,5} [A-Z][\w'-]+(?: [A-Z][\w'-]+)* (?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln"
    r"|Drive|Dr|Boulevard|Blvd)\b",
)
#: The brand's own contact details ("appelez-nous au 09 ...", "write to us at help@...",
#: "notre numéro"); a bare subject "nous" ("nous vous rappelons au 06 ...") is not one.
_OWN_CONTACT = re.compile(
    r"(?:-nous|\b(?:us|notre|nos|our)\b)(?![^.?!\n]*\b(?:your|votre|vos|ton|ta|tes)\b)"
    r"[^.?!\n]{0,40}$",
    re.IGNORECASE,
)


def _luhn_ok(number: str) -> bool:
    return luhn_ok("".join(c for c in number if c.isdigit()))


def _literal_spans(text: str) -> list[tuple[int, int]]:
    """Literal personal data: e-mail, phone, card (Luhn), IBAN, order id, street address,
    card ending. An e-mail, phone or street address introduced as the brand's own is kept."""
    spans: list[tuple[int, int]] = []

    def add(start: int, end: int) -> None:
        if not any(s < end and start < e for s, e in spans):
            spans.append((start, end))

    for match in _IBAN.finditer(text):
        add(*match.span())
    for match in _CARD.finditer(text):
        if _luhn_ok(match.group()):
            add(*match.span())
    for match in _ORDER.finditer(text):
        add(*match.span())
    for match in _CARD_TAIL.finditer(text):
        add(*match.span())
    for pattern in (_EMAIL, _PHONE, _STREET):
        for match in pattern.finditer(text):
            if not _OWN_CONTACT.search(text[: match.start()]):
                add(*match.span())
    return spans


def _request_spans(sentence: str) -> list[tuple[int, int]]:
    if _PRIVATE.search(sentence):
        return []  # asking for details in a private message is the point
    spans = [m.span() for m in _REQUEST.finditer(sentence)]
    bare = _BARE_QUESTION.match(sentence.strip())
    if bare and len(sentence.split()) <= 6:
        offset = len(sentence) - len(sentence.lstrip())
        spans.append((offset + bare.start(), offset + bare.end()))
    return spans


def _findings(text: str) -> list[tuple[int, int, int]]:
    """(sentence index, start, end) of each personal-data request or literal in ``text``."""
    found = []
    spans = sentence_spans(text)
    for index, (start, end) in enumerate(spans):
        sentence = text[start:end]
        for s, e in _request_spans(sentence):
            found.append((index, start + s, start + e))
    for s, e in _literal_spans(text):
        index = next(i for i, (a, b) in enumerate(spans) if a <= s < b)
        found.append((index, s, e))
    return sorted(found, key=lambda item: item[1])


def public_personal_data_request(text: str) -> list[str]:
    """Phrases of ``text`` that ask for or repeat personal data (FR and EN), in order.

    Requests: a request verb or question (``send``, ``give``, ``what is``, ``donner``,
    ``indiquez``, ``quel est``, ...) followed within the sentence by ``your``/``votre``/
    ``le``... and a kind of personal data (order number, e-mail, phone, address, card,
    IBAN, date of birth, password, ...), or a bare ``Votre adresse ?``. A sentence that
    moves the exchange to private messages is not a finding. Literals: any e-mail address,
    phone number, card number (Luhn), IBAN, order id, street address or card ending, except
    the brand's own contact details ("appelez-nous au ...", "write to us at ...").
    """
    phrases: list[str] = []
    for _, start, end in _findings(text):
        phrase = text[start:end].strip()
        if phrase not in phrases:
            phrases.append(phrase)
    return phrases


def make_public_safe(text: str, language: str | None) -> tuple[str, list[str]]:
    """Make a public reply safe; returns ``(text, removed sentences)``.

    Every sentence with a finding of :func:`public_personal_data_request` is removed. The
    private-message offer (:data:`DM_OFFER`, in ``language``, English when unknown) is then
    appended whenever the text does not already invite a private message, whether or not
    something was removed: the channel rule says a public reply always offers to continue
    in private, and a removed request needs that route most.
    """
    spans = sentence_spans(text)
    flagged = {index for index, _, _ in _findings(text)}
    removed = [text[a:b].strip() for i, (a, b) in enumerate(spans) if i in flagged]
    kept = _tidy("".join(text[a:b] for i, (a, b) in enumerate(spans) if i not in flagged))
    code = (language or "en").split("-")[0].lower()
    offer = DM_OFFER.get(code, DM_OFFER["en"])
    if not _PRIVATE.search(kept):
        kept = f"{kept} {offer}" if kept else offer
    return kept, removed
