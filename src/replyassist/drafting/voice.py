"""How the brand voice (``brand.yaml``, see ``docs/brand-voice.md``) shapes every draft,
of both strategies:

- :func:`framing`: the greeting and sign-off for the language, channel and address
  (the profile's, else the reply templates'; no sign-off on a channel that takes none
  unless the profile gives that channel one).
- :func:`apply_voice`: the deterministic post-processing run on every draft: sentences
  making a banned claim are removed (warning ``banned_claim``, naming the claim), words to
  avoid are replaced by the preferred word (or removed), emoji are removed or capped per
  the channel's emoji rule. Words and emoji are style and change silently; a removed claim
  changes the content, so the agent is told.
- :func:`fits_address`: whether a past answer's tu/vous fits the address of this reply.

Matching is case- and accent-insensitive, on whole words; links and e-mail addresses are
never touched.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..analysis.rules import fold_text
from ..brand import BrandVoice
from ..guardrails.channels import EMOJI, get_rule, protected_spans, sentence_spans
from ..guardrails.output import tidy
from ..models import Notice
from ..voice import AddressForm, AvoidWord

__all__ = ["Framing", "apply_voice", "fits_address", "framing"]


# ------------------------------------------------------------------ greeting, sign-off


@dataclass(frozen=True)
class Framing:
    greeting: str | None  # None: neither the profile nor the templates have one
    sign_off: str | None  # "" when the draft takes none; None: as for the greeting


def framing(brand: BrandVoice, phrases: dict[str, str] | None, *, language: str,
            channel: str, name: str | None) -> Framing:
    """The greeting and sign-off of a draft: the profile's for this language and channel,
    else the reply templates' (``phrases``: ``PromptLibrary.phrases_for`` the language and
    address; ``None`` when there are none in this language)."""
    greeting = brand.greeting_template(language, channel)
    if greeting is None and phrases is not None:
        greeting = phrases["greeting_name"] if name else phrases["greeting"]
    sign_off = brand.sign_off_template(language, channel,
                                       channel_signs=get_rule(channel).sign_off)
    if sign_off is None and phrases is not None:
        sign_off = phrases["sign_off"]
    signature = brand.signature(language)
    return Framing(None if greeting is None else _fill(greeting, name, signature),
                   None if sign_off is None else _fill(sign_off, name, signature))


def _fill(template: str, name: str | None, signature: str) -> str:
    text = template.replace("{brand}", signature)
    if name:
        return text.replace("{name}", name)
    text = re.sub(r"[^\S\n]*\{name\}", "", text)  # "Bonjour {name}," → "Bonjour,"
    return text.lstrip(" ,")


# ------------------------------------------------------------------ post-processing


def apply_voice(text: str, brand: BrandVoice, language: str, channel: str
                ) -> tuple[str, list[Notice]]:
    """``text`` after the brand's banned claims, words to avoid and emoji rule; the notices
    for the agent (``banned_claim``)."""
    text = unicodedata.normalize("NFC", text)
    text, notices = _remove_banned_claims(text, brand.banned_claims)
    removed = bool(notices)
    text, dropped = _replace_avoided(text, brand.avoided_words(language))
    text, capped = _cap_emoji(text, brand.emoji_rule(channel).limit)
    if removed or dropped or capped:
        text = re.sub(r"\n{3,}", "\n\n", tidy(text))
    return text, notices


def _find(phrase: str, text: str) -> list[tuple[int, int]]:
    """Spans of ``phrase`` in ``text`` (NFC), whole words, ignoring case and accents."""
    words = fold_text(phrase).split()
    if not words:
        return []
    pattern = (r"(?<!\w)" if re.match(r"\w", words[0]) else "") + \
        r"\s+".join(map(re.escape, words)) + (r"(?!\w)" if re.search(r"\w$", words[-1]) else "")
    protected = protected_spans(text)
    return [m.span() for m in re.finditer(pattern, fold_text(text))
            if not any(s <= m.start() < e for s, e in protected)]


def _remove_banned_claims(text: str, claims: list[str]) -> tuple[str, list[Notice]]:
    notices: list[Notice] = []
    for claim in claims:
        found = _find(claim, text)
        if not found:
            continue
        spans = sentence_spans(text)
        flagged = {i for i, (a, b) in enumerate(spans)
                   if any(s < b and a < e for s, e in found)}
        removed = [text[a:b].strip() for i, (a, b) in enumerate(spans) if i in flagged]
        text = "".join(text[a:b] for i, (a, b) in enumerate(spans) if i not in flagged)
        notices.append(Notice(code="banned_claim", message=(
            f"Removed {_sentences(len(removed))} making the banned claim “{claim.strip()}”: "
            + " | ".join(f"“{sentence}”" for sentence in removed))))
    return text, notices


def _sentences(count: int) -> str:
    return "a sentence" if count == 1 else f"{count} sentences"


def _replace_avoided(text: str, words: list[AvoidWord]) -> tuple[str, bool]:
    """Preferred words in place of avoided ones; ``True`` when something was removed."""
    removed = False
    for word in words:
        for start, end in reversed(_find(word.avoid, text)):
            replacement = _same_case(text[start:end], word, _starts_sentence(text, start)) \
                if word.use else ""
            removed = removed or not replacement
            text = text[:start] + replacement + text[end:]
    return text, removed


def _starts_sentence(text: str, position: int) -> bool:
    before = text[:position].rstrip(" \t\"'«“(")
    return not before or before[-1] in ".!?\n"


def _same_case(original: str, word: AvoidWord, sentence_start: bool) -> str:
    """The replacement in the case the draft used: "TICKET" → "REQUEST", a capital at the
    start of a sentence; an acronym as written in the profile ("SAV") is no sign of
    case, so "Le SAV" → "Le service client"."""
    replacement = word.use or ""
    if len(original) > 1 and original.isupper() and not word.avoid.isupper():
        return replacement.upper()
    if original[:1].isupper() and (sentence_start or not word.avoid[:1].isupper()):
        return replacement[:1].upper() + replacement[1:]
    return replacement


#: Symbols the emoji pattern matches that are text in a draft, not emoji.
_TEXT_SYMBOLS = frozenset("©®™‼⁉ℹ↔↕↖↗↘↙↩↪")


def _cap_emoji(text: str, limit: int | None) -> tuple[str, bool]:
    """Keeps the first ``limit`` emoji (``None``: all); ``True`` when some were removed."""
    if limit is None:
        return text, False
    spans = [m.span() for m in EMOJI.finditer(text)
             if m.group() not in _TEXT_SYMBOLS][limit:]
    for start, end in reversed(spans):
        text = text[:start] + text[end:]  # the spaces left are tidied by the caller
    return text, bool(spans)


# ------------------------------------------------------------------ past answers

_TU = re.compile(r"(?<![\w'-])(?:tu|toi|te|tes|ton|ta|t'(?=[a-z]))(?![\w-])|-(?:toi|tu)\b")
_VOUS = re.compile(r"(?<![\w'-])(?:vous|votre|vos)(?![\w'-])|-vous\b")


def fits_address(text: str, language: str, address: AddressForm) -> bool:
    """Whether ``text`` (a past answer) addresses the customer only as ``address`` allows:
    in French, no tutoiement in a vouvoiement reply and the reverse; other languages are
    not checked."""
    if language != "fr":
        return True
    folded = fold_text(text)
    other = _VOUS if address == "tu" else _TU
    return other.search(folded) is None
