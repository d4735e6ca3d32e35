"""Compiling the lexicon's regex fragments so that ``re`` runs them fast (see
:class:`PatternCompiler`), with exactly the matches of the fragments as written.

Uses the stdlib's regex parser (``re._parser``, guarded: without it, or for any fragment
it cannot take apart and rebuild identically, the fragment is compiled as written).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

try:  # the stdlib regex parser, only to speed matching up (see PatternCompiler)
    from re import _constants as _rc  # type: ignore[attr-defined]
    from re import _parser as _rp  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - then fragments are compiled as written
    _rc = _rp = None  # type: ignore[assignment]

__all__ = ["DISPATCH_CHARS", "Cue", "PatternCompiler"]


@dataclass(frozen=True)
class Cue:
    name: str
    words: re.Pattern[str] | None  # whole-word fragments: ``\\W(?:...)`` + end boundary
    raws: re.Pattern[str] | None  # raw fragments, factored on their first character
    extra: re.Pattern[str] | None  # raw fragments that cannot be factored (rare)
    prefixes: frozenset[str]  # what a word match can start with ("" = anything)
    raw_chars: frozenset[str]  # the characters the factored raw fragments start with
    negatable: bool
    counts_as: tuple[str, ...]


class _Unsupported(Exception):
    """A fragment the optimizer leaves as written."""


_REPEATS: Final = () if _rc is None else (_rc.MAX_REPEAT, _rc.MIN_REPEAT)
_MAX_HEADS: Final = 64
_PREFIX_CHARS: Final = 8  # the prefilter looks for up to 8 literal characters
_MAX_PREFIXES: Final = 256  # per fragment, else fewer characters
DISPATCH_CHARS: Final = 3  # cues are looked up by up to these many characters
_EXPANSION: Final = 3  # a fragment is expanded if its expansion is at most 3× as long
# A match ends where no word character follows, or the match itself ends on a
# separator ("merci d'", "act as ").
_WORD_END: Final = r"(?:(?!\w)|(?<=[\s'-]))"


@dataclass(frozen=True)
class _Alternative:
    """A fragment (or the rest of one): parsed items, or the source kept as written."""

    items: list[Any] | None
    source: str | None = None

    def regex(self) -> str:
        if self.items is None:
            return self.source or ""
        return _serialize(self.items)


class PatternCompiler:
    """Compiles the fragments so that ``re`` runs them fast, matching exactly the same.

    1. The scanned text starts with a line break, and a whole-word fragment is matched
       after a consumed non-word character, ``\\W(?:...)``, rather than after
       ``(?<!\\w)``: a pattern starting with a character class lets ``re`` skip to
       candidate positions in C.
    2. With the stdlib parser, each fragment is rewritten as alternatives starting with a
       literal character ("(?:mise|mettre) en demeure" → "mise en demeure" | "mettre en
       demeure"; "(?<!couleur )avocat" → "a" + "vocat(?<!couleur avocat)"), and a cue's
       alternatives are factored into a trie on their first characters
       ("m(?:e(?:rci...)|...)"), keeping the priority order of the alternatives: ``re``
       rejects a whole branch on one comparison. What the rewriter does not support, or
       what does not parse back identically, is kept as written.
    3. One prefilter regex for the whole lexicon finds, in one scan, the positions where
       some cue may match; each cue's regex then runs only there, and only if a fragment
       of the cue starts with the next characters (:meth:`RuleTagger._spans`). Same
       matches as ``finditer`` with each cue's regex.

    ``optimize=False`` skips step 2 (a test checks both give the same findings).
    """

    def __init__(self, *, optimize: bool = True) -> None:
        self.optimize = optimize and _rp is not None
        self.all_prefixes: set[str] = set()
        self.all_raws: list[_Alternative] = []

    def _parse(self, fragment: str) -> _Alternative:
        """The fragment, parsed if the optimizer can take it apart safely."""
        if self.optimize:
            try:
                parsed = _rp.parse(fragment)
                if _dump(_rp.parse(_serialize(parsed))) == _dump(parsed):
                    return _Alternative(list(parsed))
            except (_Unsupported, re.error, RecursionError, AttributeError, TypeError,
                    ValueError):
                pass
        return _Alternative(None, f"(?:{fragment})")

    def cue(self, name: str, words: list[str], raws: list[str], *, negatable: bool,
            counts_as: tuple[str, ...]) -> Cue:
        word_alts = [self._parse(fragment) for fragment in words]
        raw_alts: list[_Alternative] = []
        raw_chars: set[str] = set()
        extra: list[str] = []
        for fragment in raws:
            alternative = self._parse(fragment)
            heads = _safe_heads(alternative)
            if heads is None:
                extra.append(f"(?:{fragment})")
                continue
            raw_alts.append(alternative)
            raw_chars.update(char for char, _ in heads)
        prefixes: set[str] = set()
        for alternative in word_alts:
            prefixes |= _fragment_prefixes(alternative)
        self.all_prefixes |= prefixes
        self.all_raws += raw_alts
        return Cue(
            name=name,
            words=_compile(rf"\W(?:{_trie(word_alts)}){_WORD_END}")
            if word_alts else None,
            raws=_compile(_trie(raw_alts)) if raw_alts else None,
            extra=_compile("|".join(extra)) if extra else None,
            prefixes=frozenset(prefixes), raw_chars=frozenset(raw_chars),
            negatable=negatable, counts_as=counts_as)

    def prefilters(self) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
        """Positions where some cue may match: of the non-word character before the
        literal prefix of a word fragment (up to 8 characters), and of the first
        character of a raw fragment (all of them; only those starting with an ASCII
        character, enough for ASCII text and much faster than with emoji in the set).
        Existence tests, so the order of alternatives is free; each consumes one
        character only. Small, so quick to compile."""
        never = r"(?!x)x"  # a lexicon without word (or raw) fragments
        words = never
        if "" in self.all_prefixes:  # a fragment with no known first characters
            words = r"\W"
        elif self.all_prefixes:
            words = rf"\W(?=(?:{_prefix_trie(self.all_prefixes)}))"
        raws = never
        groups: dict[str, list[_Alternative]] = {}
        for alternative in self.all_raws:
            for char, rest in _safe_heads(alternative) or ():
                groups.setdefault(char, []).append(_Alternative(rest))
        branches = {char: f"{_escape(char)}(?=(?:{_trie(rests, ordered=False)}))"
                    for char, rests in groups.items()}
        raws = "|".join(branches.values()) or never
        ascii_raws = "|".join(b for c, b in branches.items() if c.isascii()) or never
        return _compile(words), _compile(raws), _compile(ascii_raws)


def _compile(source: str) -> re.Pattern[str]:
    return re.compile(source, re.MULTILINE)


def _safe_heads(alternative: _Alternative) -> list[tuple[str, list[Any]]] | None:
    if alternative.items is None:
        return None
    try:
        heads = _heads(alternative.items)
    except (_Unsupported, RecursionError):  # e.g. (?:a?)* unrolls forever
        return None
    return heads if len(heads) <= _MAX_HEADS else None


def _trie(alternatives: list[_Alternative], *, ordered: bool = True) -> str:
    """Regex for the alternatives, grouped on their first literal character.
    ``ordered``: keep their priority order. Alternatives starting with different
    characters exclude each other, so only one that cannot be split (a barrier) fixes
    where the groups before it end. A fragment whose expansion would be much longer
    than itself ("(?:poster|publier|...) <long tail>") is left as written."""
    out: list[str] = []
    unordered_tail: list[str] = []
    block: dict[str, list[str]] = {}

    def flush() -> None:
        for char, rests in block.items():
            inner = "|".join(rests)
            out.append(_escape(char) + (f"(?:{inner})" if inner else ""))
        block.clear()

    for alternative in alternatives:
        source = alternative.regex()
        heads = _safe_heads(alternative)
        expansion = None
        if heads is not None:
            expansion = [(char, _serialize(rest)) for char, rest in heads]
            if sum(len(rest) + 1 for _, rest in expansion) > _EXPANSION * len(source) + 8:
                expansion = None
        if expansion is None:
            if ordered:
                flush()
                out.append(source)
            else:
                unordered_tail.append(source)
            continue
        for char, rest in expansion:
            block.setdefault(char, []).append(rest)
    flush()
    return "|".join(out + list(dict.fromkeys(unordered_tail)))


def _fragment_prefixes(alternative: _Alternative) -> set[str]:
    """The literal prefixes (up to 8 characters, fewer if there would be too many) one of
    which starts every match of the fragment; {""} when unknown."""
    if alternative.items is None:
        return {""}
    for chars in range(_PREFIX_CHARS, 0, -1):
        try:
            prefixes = _prefixes(alternative.items, chars)
        except _TooMany:
            continue
        return prefixes
    return {""}


class _TooMany(Exception):
    pass


def _prefixes(items: list[Any], depth: int) -> set[str]:
    """The strings of up to ``depth`` characters a match of ``items`` can start with."""
    if depth == 0 or not items:
        return {""}
    heads = _safe_heads(_Alternative(items))
    if heads is None:
        return {""}
    prefixes = {char + tail for char, rest in heads for tail in _prefixes(rest, depth - 1)}
    if len(prefixes) > _MAX_PREFIXES:
        raise _TooMany
    return prefixes


def _prefix_trie(prefixes: set[str]) -> str:
    """A regex matching any of the (non-empty) literal prefixes, as a trie."""
    groups: dict[str, set[str]] = {}
    for prefix in prefixes:
        groups.setdefault(prefix[0], set()).add(prefix[1:])
    out = []
    for char, tails in sorted(groups.items()):
        if "" in tails:  # a shorter prefix is enough
            out.append(_escape(char))
        else:
            out.append(f"{_escape(char)}(?:{_prefix_trie(tails)})")
    return "|".join(out)


def _escape(char: str) -> str:
    return re.escape(char)


def _heads(items: list[Any]) -> list[tuple[str, list[Any]]]:
    """Rewrite a parsed regex as alternatives starting with one literal character."""
    if not items:
        raise _Unsupported("may match an empty string")
    op, av = items[0]
    rest = list(items[1:])
    if op is _rc.LITERAL:
        return [(chr(av), rest)]
    if op is _rc.IN:
        chars: list[str] = []
        for item_op, item_av in av:
            if item_op is _rc.LITERAL:
                chars.append(chr(item_av))
            elif item_op is _rc.RANGE and item_av[1] - item_av[0] < 10:
                chars.extend(chr(c) for c in range(item_av[0], item_av[1] + 1))
            else:
                raise _Unsupported("character class")
        return [(char, rest) for char in dict.fromkeys(chars)]
    if op is _rc.BRANCH:
        return [head for branch in av[1] for head in _heads([*branch, *rest])]
    if op is _rc.SUBPATTERN:
        group, add_flags, del_flags, sub = av
        if group is not None or add_flags or del_flags:
            raise _Unsupported("group with flags")
        return _heads([*sub, *rest])
    if op in _REPEATS:
        low, high, sub = av
        if high == 0:
            return _heads(rest)
        again = [] if high == 1 else [
            (op, (max(low - 1, 0), high if high == _rc.MAXREPEAT else high - 1, sub))]
        with_one = _heads([*sub, *again, *rest])
        if low > 0:
            return with_one
        without = _heads(rest)
        return with_one + without if op is _rc.MAX_REPEAT else without + with_one
    if op in (_rc.ASSERT, _rc.ASSERT_NOT) and av[0] < 0:
        # A lookbehind before character c is the same lookbehind, c appended, after it.
        return [(char, [(op, (-1, [*av[1], (_rc.LITERAL, ord(char))])), *later])
                for char, later in _heads(rest)]
    raise _Unsupported(str(op))


def _dump(items: Any) -> Any:
    if hasattr(items, "data"):
        items = items.data
    if isinstance(items, list | tuple):
        return tuple(_dump(item) for item in items)
    return items


def _serialize(items: Any) -> str:
    """A regex for parsed ``items`` (the constructs the lexicon uses)."""
    out = []
    for op, av in items:
        if op is _rc.LITERAL:
            out.append(_escape(chr(av)))
        elif op is _rc.NOT_LITERAL:
            out.append(f"[^{_escape(chr(av))}]")
        elif op is _rc.ANY:
            out.append(".")
        elif op is _rc.IN:
            out.append(_serialize_set(av))
        elif op is _rc.BRANCH:
            out.append("(?:" + "|".join(_serialize(branch) for branch in av[1]) + ")")
        elif op is _rc.SUBPATTERN:
            group, add_flags, del_flags, sub = av
            if group is not None or add_flags or del_flags:
                raise _Unsupported("group with flags")
            out.append(f"(?:{_serialize(sub)})")
        elif op in _REPEATS:
            low, high, sub = av
            body = _serialize(sub)
            if len(sub) != 1 or sub[0][0] not in (_rc.LITERAL, _rc.NOT_LITERAL, _rc.ANY,
                                                    _rc.IN):
                body = f"(?:{body})"
            if (low, high) == (0, 1):
                quantifier = "?"
            elif high == _rc.MAXREPEAT:
                quantifier = {0: "*", 1: "+"}.get(low, f"{{{low},}}")
            else:
                quantifier = f"{{{low}}}" if low == high else f"{{{low},{high}}}"
            out.append(body + quantifier + ("?" if op is _rc.MIN_REPEAT else ""))
        elif op in (_rc.ASSERT, _rc.ASSERT_NOT):
            direction, sub = av
            kind = ("<" if direction < 0 else "") + ("=" if op is _rc.ASSERT else "!")
            out.append(f"(?{kind}{_serialize(sub)})")
        elif op is _rc.AT and av in _AT:
            out.append(_AT[av])
        else:
            raise _Unsupported(str(op))
    return "".join(out)


def _serialize_set(items: Any) -> str:
    out = []
    for op, av in items:
        if op is _rc.NEGATE:
            out.append("^")
        elif op is _rc.LITERAL:
            out.append(_escape(chr(av)))
        elif op is _rc.RANGE:
            out.append(f"{_escape(chr(av[0]))}-{_escape(chr(av[1]))}")
        elif op is _rc.CATEGORY and av in _CATEGORIES:
            out.append(_CATEGORIES[av])
        else:
            raise _Unsupported(str(op))
    return "[" + "".join(out) + "]"


_AT: Final[dict[Any, str]] = {} if _rc is None else {
    _rc.AT_BEGINNING: "^", _rc.AT_BEGINNING_STRING: r"\A", _rc.AT_END: "$",
    _rc.AT_END_STRING: r"\Z", _rc.AT_BOUNDARY: r"\b", _rc.AT_NON_BOUNDARY: r"\B"}
_CATEGORIES: Final[dict[Any, str]] = {} if _rc is None else {
    _rc.CATEGORY_DIGIT: r"\d", _rc.CATEGORY_NOT_DIGIT: r"\D", _rc.CATEGORY_SPACE: r"\s",
    _rc.CATEGORY_NOT_SPACE: r"\S", _rc.CATEGORY_WORD: r"\w", _rc.CATEGORY_NOT_WORD: r"\W"}
