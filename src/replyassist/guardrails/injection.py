"""Prompt-injection detection on the customer's side of a conversation.

The patterns are the lexicon's ``prompt_injection`` cue (``analysis/lexicon.yaml``, French
and English, accent-insensitive); this module decides *what text* they are run on, so
that disguised attempts are seen too:

- every customer turn of the conversation, not only the latest ones (an instruction
  planted early still reaches the LLM with the history);
- all customer turns joined (an instruction split over several turns, "ignore all" …
  "previous instructions");
- a de-obfuscated copy of a turn when it differs from the original: NFKC (fullwidth and
  mathematical letters), invisible characters removed (zero-width, soft hyphen, bidi
  controls; Unicode tag characters are read as the ASCII they hide), Cyrillic and Greek
  look-alikes mapped to Latin letters, leetspeak inside
  words mixing letters and digits (``1gn0r3``), letters spaced or dotted out
  (``i g n o r e``, ``ig.no.re``);
- base64 payloads (decoded when they are mostly printable text), and ROT13 or reversed
  text when the message names it.

Internal notes (``role: note``), agent and bot turns are never scanned: they are not
written by the customer.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from dataclasses import dataclass, field

from ..analysis.rules import RuleTagger
from ..models import Conversation

__all__ = ["InjectionDetector", "InjectionFinding", "deobfuscate"]

CUE = "prompt_injection"

# Look-alike letters of other scripts → the Latin letter they imitate (lowercase; the
# rules fold case). Cyrillic and Greek cover the attacks seen in public collections.
_CONFUSABLES = str.maketrans({
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "з": "3", "і": "i", "ї": "i", "ј": "j",
    "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y",
    "х": "x", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g", "ո": "n", "ս": "u",
    "А": "a", "В": "b", "Е": "e", "І": "i", "Ј": "j", "К": "k", "М": "m", "Н": "h",
    "О": "o", "Р": "p", "С": "c", "Т": "t", "У": "y", "Х": "x", "Ѕ": "s",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w",
    "Α": "a", "Β": "b", "Ε": "e", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n",
    "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x", "Ζ": "z",
    # Latin small capitals and other look-alikes
    "ı": "i", "ɪ": "i", "ʀ": "r", "ᴇ": "e", "ɴ": "n", "ᴏ": "o", "ꜱ": "s", "ᴛ": "t",
})
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                       "@": "a", "$": "s", "!": "i", "|": "l"})
# A word mixing letters with leet characters, e.g. "1gn0r3", "r3gl35", "instruct!ons".
_LEET_WORD = re.compile(r"(?<!\S)(?=\S*[^\W\d_])(?=\S*[013457@$!|])[\w@$!|]+")
# Letters spelled out one by one: "i g n o r e", "i.g.n.o.r.e", "i-g-n-o-r-e".
_SPELLED = re.compile(r"(?<![^\W\d_])(?:[^\W\d_][ .\-_*·|/]){2,}[^\W\d_](?![^\W\d_])")
_SEPARATOR = re.compile(r"[ .\-_*·|/]")
# Punctuation inside a word: "ig.no.re", "in*struc*tions".
_INNER_PUNCT = re.compile(r"(?<=[^\W\d_])[.*_·|](?=[^\W\d_])")
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
_TAGS = re.compile("[\U000E0020-\U000E007E]")
_REVERSED_NAMED = re.compile(r"\b(?:a l'envers|à l'envers|backwards|reversed|in reverse)\b",
                             re.IGNORECASE)
_ROT13_NAMED = re.compile(r"\brot[\s-]?13\b", re.IGNORECASE)


def _strip_invisible(text: str) -> str:
    """Without format characters (zero-width space/joiners, soft hyphen, bidi marks),
    variation selectors and combining marks stacked on letters."""
    return "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Mn")
                   and not 0xFE00 <= ord(c) <= 0xFE0F)


def _untag(text: str) -> str:
    """Unicode tag characters (U+E0020–E007E) spell invisible ASCII: make it visible."""
    return _TAGS.sub(lambda m: chr(ord(m.group()) - 0xE0000), text)


def deobfuscate(text: str) -> str:
    """A copy of ``text`` in which disguised words read plainly (for detection only: the
    result is not meant to be shown)."""
    out = unicodedata.normalize("NFKC", _untag(text))
    out = _strip_invisible(unicodedata.normalize("NFD", out))
    out = unicodedata.normalize("NFC", out).translate(_CONFUSABLES)
    out = _LEET_WORD.sub(lambda m: m.group().translate(_LEET), out)
    out = _SPELLED.sub(lambda m: _SEPARATOR.sub("", m.group()), out)
    out = _INNER_PUNCT.sub("", out)
    return re.sub(r"[ \t]{2,}", " ", out)


def _decoded_payloads(text: str) -> list[str]:
    """Base64 chunks that decode to readable text, and the ROT13 reading of a message
    that names ROT13."""
    payloads: list[str] = []
    for match in _BASE64.finditer(text):
        chunk = match.group()
        try:
            raw = base64.b64decode(chunk + "=" * (-len(chunk) % 4), validate=True)
            decoded = raw.decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        printable = sum(c.isprintable() or c.isspace() for c in decoded)
        letters = sum(c.isalpha() for c in decoded)
        if decoded and printable / len(decoded) > 0.95 and letters / len(decoded) > 0.5:
            payloads.append(decoded)
    if _ROT13_NAMED.search(text):
        payloads.append(codecs.decode(text, "rot13"))
    if _REVERSED_NAMED.search(text):
        payloads.append(text[::-1])
    return payloads


@dataclass(frozen=True)
class InjectionFinding:
    """``evidence``: the matched snippets (as matched, possibly de-obfuscated).
    ``techniques``: how it was found: ``direct``, ``obfuscated``, ``encoded``,
    ``multi_turn`` (only the joined turns matched). ``turns``: indexes of the customer
    messages (in ``conversation.messages``) that matched."""

    evidence: list[str] = field(default_factory=list)
    techniques: list[str] = field(default_factory=list)
    turns: list[int] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return bool(self.evidence)


class InjectionDetector:
    """Flags a conversation whose customer turns try to instruct the assistant.

    ``rules``: the rule tagger whose ``prompt_injection`` cue is used (shared with the
    analyzer). ``max_turns``: only the last ``max_turns`` customer turns are scanned.
    """

    def __init__(self, rules: RuleTagger | None = None, *, max_turns: int = 8) -> None:
        self.rules = rules or RuleTagger()
        self.max_turns = max_turns

    def scan_text(self, text: str) -> tuple[list[str], list[str]]:
        """(evidence, techniques) for one text: as written, de-obfuscated, decoded."""
        evidence = self._cue(text)
        if evidence:
            return evidence, ["direct"]
        plain = deobfuscate(text)
        if plain != text:
            evidence = self._cue(plain)
            if evidence:
                return evidence, ["obfuscated"]
        for payload in _decoded_payloads(unicodedata.normalize("NFKC", text)):
            evidence = self._cue(payload) or self._cue(deobfuscate(payload))
            if evidence:
                return evidence, ["encoded"]
        return [], []

    def detect(self, conversation: Conversation) -> InjectionFinding:
        customer = [(index, message.text) for index, message in
                    enumerate(conversation.messages) if message.role == "customer"]
        customer = customer[-self.max_turns:]
        evidence: list[str] = []
        techniques: list[str] = []
        turns: list[int] = []
        for index, text in customer:
            found, how = self.scan_text(text)
            if found:
                evidence.extend(found)
                techniques.extend(t for t in how if t not in techniques)
                turns.append(index)
        if not evidence and len(customer) > 1:
            joined = " ".join(text.strip() for _, text in customer)
            found, _how = self.scan_text(joined)
            if found:
                evidence, techniques = found, ["multi_turn"]
                turns = [index for index, _ in customer]
        return InjectionFinding(evidence=list(dict.fromkeys(evidence)),
                                techniques=techniques, turns=turns)

    def _cue(self, text: str) -> list[str]:
        if not text.strip():
            return []
        return self.rules.cue_snippets(text, CUE)
