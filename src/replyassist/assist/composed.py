"""Rewrites without an LLM, where a deterministic rewrite is honest.

- ``shorter``: drops repeated greetings, repeated sentences and filler (never a sentence
  with a link or a number), then trims to the channel's limit if a channel is given.
- ``more_formal``: :mod:`.formal` (French tu → vous with a small table, English
  contractions); when it cannot convert with certainty, the original + ``llm_unavailable``.
- ``friendlier`` / ``more_empathetic``: the brand phrases' tone opener (``tone_friendly``
  / ``tone_empathetic``) after the greeting; none in the language: original +
  ``llm_unavailable``.
- ``fix``: spacing, French typography before ``? ! : ;``, capitals after a sentence end,
  doubled words; spelling needs an LLM (``partial_fix``).
- ``translate``: needs an LLM: the original + ``llm_unavailable``.
Quoted lines (``>``), quotations, links and the signature are left as they are.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from ..guardrails.channels import trim_to_channel
from ..models import Notice
from .formal import to_formal_english, to_vous
from .preserve import split_signature

__all__ = ["compose", "fix_text", "needs_llm"]

_GREETING = re.compile(r"^(?:bonjour|bonsoir|salut|coucou|hello|hi|hey|dear|good (?:morning|"
                       r"afternoon|evening)|cher|chère|madame|monsieur)\b[^.!?\n]{0,40}[,!.]?$",
                       re.IGNORECASE)
_FILLER = re.compile(
    r"^(?:j['’]esp[eè]re que (?:vous allez|tu vas|ce message)|i hope (?:you are|you're|this)"
    r"|je me permets de|i am writing to|i'm writing to"
    r"|(?:encore )?merci (?:beaucoup |encore )?(?:pour|de) (?:votre|ton) (?:message|patience"
    r"|retour|compréhension)|en vous remerciant|thank you (?:so much |again )?for (?:your "
    r"(?:message|patience|understanding)|reaching out|contacting us)|thanks for (?:your "
    r"(?:message|patience)|reaching out)"
    r"|n['’]h[ée]sitez pas|n['’]h[ée]site pas|(?:please )?(?:do not|don't) hesitate"
    r"|feel free to|nous restons à (?:votre|ta) (?:entière )?disposition"
    r"|je reste à (?:votre|ta) (?:entière )?disposition"
    r"|let us know if you have any (?:other|further|more) questions?"
    r"|we are (?:always )?(?:here|happy) to help)\b",
    re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?…])\s+(?=\S)")
_KEEP = re.compile(r"https?://|www\.|\d|@")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join(re.findall(r"\w+", "".join(c for c in decomposed
                                              if not unicodedata.combining(c))))


def shorten_text(text: str, channel: str | None) -> str:
    body, signature = split_signature(text)
    seen: set[str] = set()
    greeted = False
    lines: list[str] = []
    for line in body.split("\n"):
        if line.lstrip().startswith(">") or not line.strip():
            lines.append(line)
            continue
        kept = []
        for sentence in _SENTENCE.split(line.strip()):
            folded = _fold(sentence)
            if _GREETING.match(sentence.strip()):
                if greeted:
                    continue
                greeted = True
            elif not _KEEP.search(sentence) and (folded in seen or _FILLER.match(sentence)):
                continue
            seen.add(folded)
            kept.append(sentence)
        if kept:
            lines.append(" ".join(kept))
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if signature:
        out = f"{out}\n\n{signature}"
    if channel:
        out, _ = trim_to_channel(out, channel)
    return out


# --- fix: typography and obvious slips

_SHIELD = re.compile(r"https?://\S+|www\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b\d{1,2}:\d{2}\b"
                     r"|«[^»\n]*»|“[^”\n]*”|\"[^\"\n]*\"|^\s*>.*$", re.MULTILINE)
_ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|etc|cf|vs|ex|p\. ex|M|Mme|Dr|St))\.\s+$")
_REPEATABLE = {"nous", "vous", "that", "had"}


def fix_text(text: str, language: str) -> str:
    shielded: list[str] = []

    def shield(match: re.Match[str]) -> str:
        shielded.append(match.group(0))
        return f"\x00{len(shielded) - 1}\x00"

    out = _SHIELD.sub(shield, text)
    out = re.sub(r"[ \t]{2,}", " ", out)
    out = re.sub(r"[ \t]+([,.])", r"\1", out)
    out = re.sub(r"([,;!?])(?=[^\W\d_])", r"\1 ", out)
    out = re.sub(r"(?:(?<=[^\W\d_]{2})|(?<=\x00))\.(?=[A-ZÀ-Ý][a-zà-ÿ])", ". ", out)
    out = re.sub(r":(?=[^\W\d_])", ": ", out)
    if language == "fr":
        out = re.sub(r"[ \t\u00a0\u202f]*([?!;]+)", "\u202f\\1", out)
        out = re.sub(r"(?<=\w)[ \t\u00a0\u202f]*:(?!//)", "\u00a0:", out)
    else:
        out = re.sub(r"[ \t\u00a0\u202f]+([?!;:])", r"\1", out)

    def doubled(match: re.Match[str]) -> str:
        word = match.group(1)
        return match.group(0) if word.lower() in _REPEATABLE else word

    out = re.sub(r"\b([^\W\d_]+)(?:\s+\1\b)+", doubled, out, flags=re.IGNORECASE)

    def capital(match: re.Match[str]) -> str:
        before = out[: match.start(2)]
        if _ABBREVIATION.search(before):
            return match.group(0)
        return match.group(1) + match.group(2).upper()

    out = re.sub(r"([.!?…][\u202f\u00a0]?[!?]*\s+)([a-zàâçéèêëîïôûùüÿœ])", capital, out)
    out = re.sub(r"^(\s*)([a-zàâçéèêëîïôûùüÿœ])", lambda m: m.group(1) + m.group(2).upper(),
                 out)
    return re.sub(r"\x00(\d+)\x00", lambda m: shielded[int(m.group(1))], out)


# --- the actions

def _needs_llm(what: str) -> Notice:
    return Notice(code="llm_unavailable", message=f"{what} needs an LLM: your text is unchanged.")


def needs_llm(action: str) -> Notice:
    """The ``llm_unavailable`` notice of an action that kept the original text."""
    return _needs_llm({"translate": "Translation", "more_formal": "This formal rewrite",
                       "friendlier": "A friendlier rewrite",
                       "more_empathetic": "A more empathetic rewrite"}.get(action, "This rewrite"))


def _opener(text: str, opener: str) -> str:
    if _fold(opener) in _fold(text):
        return text
    lines = text.split("\n")
    first = lines[0].strip()
    if _GREETING.match(first):
        return "\n".join([lines[0], opener, *lines[1:]])
    sentences = _SENTENCE.split(first, maxsplit=1)
    if _GREETING.match(sentences[0]) and len(sentences) > 1:
        lines[0] = f"{sentences[0]} {opener} {sentences[1]}"
        return "\n".join(lines)
    return f"{opener} {text}" if len(lines) == 1 else f"{opener}\n{text}"


def _address(text: str) -> str:
    return "tu" if re.search(r"\b(?:tu|toi|ton|ta|tes|te)\b", text, re.IGNORECASE) else "vous"


def compose(action: str, text: str, *, language: str, channel: str | None,
            phrases: Callable[[str, str], dict[str, str]]) -> tuple[str, list[Notice]]:
    """(rewritten text, notices). ``phrases(language, address)`` returns the brand's
    composed phrases (``PromptLibrary.phrases_for``)."""
    if action == "shorter":
        out = shorten_text(text, channel)
        if _fold(out) == _fold(text):
            return text, [Notice(code="rewrite_unchanged", message=(
                "Nothing to drop without an LLM (no repetition or filler found)."))]
        return out, []
    if action == "more_formal":
        converted = to_vous(text) if language == "fr" else \
            to_formal_english(text) if language == "en" else None
        return (converted, []) if converted is not None else (text, [needs_llm(action)])
    if action in ("friendlier", "more_empathetic"):
        key = "tone_friendly" if action == "friendlier" else "tone_empathetic"
        opener = phrases(language, _address(text)).get(key) if language else None
        if not opener:
            return text, [needs_llm(action)]
        return _opener(text, opener), []
    if action == "fix":
        return fix_text(text, language), [Notice(code="partial_fix", message=(
            "Fixed spacing, punctuation, capitals and repeated words only; spelling and "
            "grammar need an LLM."))]
    return text, [needs_llm(action)]
