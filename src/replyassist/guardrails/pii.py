"""Replace personal data by typed placeholders before anything is embedded or stored.

Placeholders: ``[EMAIL]``, ``[PHONE]``, ``[CARD]``, ``[HANDLE]``, ``[ORDER_ID]``,
``[NAME]``, ``[SIGNATURE]``. Names given by the caller and names or agent signatures found by
:class:`~replyassist.guardrails.names.NameFinder` (greetings, sign-offs, a first-name
lexicon) become ``[NAME]`` / ``[SIGNATURE]``. URLs are kept (links to help articles are
useful), but an e-mail address or handle inside a URL's query is still scrubbed. Card
numbers must pass the Luhn check, so prices, dates and tracking numbers are not mistaken for cards.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field

from .names import NameFinder

__all__ = ["PLACEHOLDERS", "PIIScrubber", "ScrubResult"]

PLACEHOLDERS = ("[EMAIL]", "[PHONE]", "[CARD]", "[HANDLE]", "[ORDER_ID]", "[NAME]",
                "[SIGNATURE]")

_DIGIT = re.compile(r"\d")
_NON_DIGIT = re.compile(r"\D")
_NAME_RUN = re.compile(r"\[NAME\](?:\s+\[NAME\])+")
_URL_SLOT = re.compile(r"\x00(\d+)\x00")
_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"\+\d{1,3}[\s.-]?(?:\(0\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){2,4}"  # international
    r"|0\d(?:[\s.-]?\d{2}){4}"  # French 06 12 34 56 78
    r"|0\d{3,4}[\s.-]?\d{3}[\s.-]?\d{3,4}"  # UK 07700 900123
    r"|\(\d{3}\)\s?\d{3}[\s.-]?\d{4}|\d{3}[.-]\d{3}[.-]\d{4}"  # US
    r")(?![\w])"
)
_HANDLE = re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{2,30}\b")
_ORDER = re.compile(r"(?<![\w/-])(?:[A-Z]{1,4}-?\d{5,10}|#\d{4,12})(?![\w/-])")
# A bare number after "order", "commande", "n°", "no.": the keyword is matched and kept
# by the replacement (five lookbehinds tried at every position made the one combined
# pattern the scrubber's costliest: 0.12 s against 0.08 s for both, on 6,000 texts).
_ORDER_AFTER_KEYWORD = re.compile(r"(?i:(order:? |commande |n° |no\. ))(\d{5,12})\b")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


@dataclass
class ScrubResult:
    text: str
    found: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(self.found)


class PIIScrubber:
    """Regex-based scrubber; ``names`` (e.g. the customer's name) become ``[NAME]``, and so
    do the names the :class:`NameFinder` passed as ``names`` finds (default: one without NER,
    for the ingest's speed budget, docs/names.md); agent signatures become ``[SIGNATURE]``."""

    def __init__(self, names: NameFinder | None = None) -> None:
        self.name_finder = names if names is not None else NameFinder(ner=False)

    def scrub(self, text: str, *, names: list[str] | None = None,
              language: str | None = None) -> ScrubResult:
        found: Counter[str] = Counter()
        urls: list[str] = []

        def keep_url(match: re.Match[str]) -> str:
            url = _EMAIL.sub("[EMAIL]", match.group(0))
            urls.append(url)
            return f"\x00{len(urls) - 1}\x00"

        out = _URL.sub(keep_url, text)

        def sub(pattern: re.Pattern[str], label: str, value: str,
                check: object = None, keep_group: int = 0) -> str:
            def repl(match: re.Match[str]) -> str:
                if check is not None and not check(match.group(0)):  # type: ignore[operator]
                    return match.group(0)
                found[label] += 1
                return (match.group(keep_group) if keep_group else "") + label

            return pattern.sub(repl, value)

        # cheap gates: most messages have no "@" and many no digit at all
        if "@" in out:
            out = sub(_EMAIL, "[EMAIL]", out)
        if _DIGIT.search(out):
            out = sub(_CARD, "[CARD]", out, lambda s: _luhn_ok(_NON_DIGIT.sub("", s)))
            out = sub(_PHONE, "[PHONE]", out)
        if "@" in out:
            out = sub(_HANDLE, "[HANDLE]", out)
        if _DIGIT.search(out):
            out = sub(_ORDER, "[ORDER_ID]", out)
            out = sub(_ORDER_AFTER_KEYWORD, "[ORDER_ID]", out, keep_group=1)
        # the finder's own gates: given names only where their folded form occurs, the
        # patterns and lexicon only where a capital or a trailing signature marker is
        out, name_counts = self.name_finder.scrub(out, language=language, known=names or ())
        found.update(name_counts)
        if names or found["[NAME]"]:
            out = _NAME_RUN.sub("[NAME]", out)
        if urls:
            out = _URL_SLOT.sub(lambda m: urls[int(m.group(1))], out)
        return ScrubResult(out, found)


@functools.lru_cache(maxsize=4096)
def _name_pattern(part: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(part)}(?!\w)", re.IGNORECASE)


def _fold(text: str) -> str:
    """Case-folds like the ``IGNORECASE`` name patterns compare (a superset): casefold
    keeps Turkish "İ" as "i" + dot and "ı" apart, the regex matches both with "i"."""
    return text.casefold().replace("i\u0307", "i").replace("ı", "i")


def _name_parts(name: str) -> list[str]:
    parts = [p for p in name.split() if len(p) >= 2]
    full = name.strip()
    return ([full] if len(parts) > 1 else []) + parts
