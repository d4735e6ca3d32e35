"""The explicit, reviewed rules layer of the analyzer: strong evidence where rules are right.

:class:`RuleTagger` scans one customer text with the reviewed French/English vocabulary of
``lexicon.yaml`` (one compiled regex per cue, built once per instance) plus a few
measurements (shouting, "!!!" runs, @mentions), and returns :class:`RuleFindings`: the
matched snippets per cue (evidence for the agent UI), the taxonomy flags the rules are sure
of, and hints (urgency floor, mood, register) that the analyzer blends with its trained
classifier.

Text handling
    At most the last ``max_chars`` characters are scanned (default 5000; the end of a
    message is what the customer says now). The text is NFC-normalised; for matching it is
    lowercased, accents are stripped, typographic apostrophes/dashes folded, runs of
    spaces collapsed, URLs and e-mail addresses blanked. Snippets are cut from the
    original text, so the UI shows what the customer wrote.

Negation (cues marked ``negatable`` in the lexicon)
    A match is negated when one of the 4 words before it, in the same clause, is a
    negation ("je ne vais pas résilier", "I'm not going to cancel", "pas top"), or when
    it sits in "ne … pas" ("je ne résilie pas"). A conditional in the clause keeps it
    ("if you don't fix it I'll cancel"), so does an intensifier ("jamais été aussi déçu").
    Negated matches go to ``RuleFindings.negated`` and set no flag: "I'm not going to
    cancel" is not a churn threat, at most weak evidence the classifier may weigh.

Flags
    A flag is set when its cue (same name) has a non-negated match. Also:
    ``public_exposure`` when ``channel == "twitter"`` (a public post; ``twitter_dm`` is
    private), when a media account is tagged, or when two or more distinct accounts are
    @mentioned (the brand plus someone else). ``safety_risk`` when a vulnerable customer
    has no heating or hot water and the text says it is cold, or when someone depending on
    medical equipment has no power. ``self_harm`` counts as ``safety_risk`` and
    ``vulnerable_customer``; ``long_wait`` ("depuis 3 semaines") as ``repeat_contact``.

Urgency floor (the analyzer never goes below it), first rule that applies:
    ``critical``: safety_risk (incl. the two combinations above), legal_threat, fraud.
    ``high``: blocked (incl. power_loss, heating_loss), deadline (a bare "demain" or
    "tomorrow", cue ``soon``, is evidence but no floor), and repeat_contact when
    it is repeated *and* long: a long_wait cue plus another repeat cue, or two distinct
    repeat snippets ("3e fois" + "toujours pas").
    ``normal``: churn_threat, abusive_language, public_exposure from the text,
    repeat_contact, vulnerable_customer, payment_dispute (something to resolve).
    ``None`` otherwise. No heating for a vulnerable customer without a cold cue stays
    ``high``: the analyzer, which knows the date, may raise it to critical in winter
    ("heating_loss" in cues and "vulnerable_customer" in flags).

Mood hint: each source proposes a mood with a strength; the strongest wins, ties go
    angry > frustrated > anxious > disappointed > confused > positive.

    ==============================================  ============  ========
    source                                          mood          strength
    ==============================================  ============  ========
    abusive_language                                angry         0.9
    anger words                                     angry         0.8
    shouting: caps_ratio >= 0.5, >= 2 caps words,   angry         0.7
    exclamation_run >= 2 (not when only positive)
    profanity + shouting                            angry         0.75
    caps only (>= 3 caps words) + a negative cue    angry         0.5
    frustration words (+ repeat cue: 0.8)           frustrated    0.7
    profanity                                       frustrated    0.6
    repeat_contact only                             frustrated    0.5
    worry                                           anxious       0.7
    disappointment                                  disappointed  0.65
    confusion                                       confused      0.65
    thanks/praise, no negative cue at all           positive      0.6
      (two distinct snippets 0.75; one snippet in a message with "?" 0.35)
    ==============================================  ============  ========

    Each extra angry source adds 0.05; an exclamation run >= 3 adds 0.1 to a negative
    winner (capped at 1.0). Sarcasm: praise ("Bravo", "super") never makes a message
    positive when any negative cue is present ("Bravo, encore en panne").

Register hint: French tu/vous decides. Only tutoiement → casual 0.9 (0.95 with casual
    markers); only vouvoiement → formal 0.85 (0.9 with a formal closing, 0.6 with casual
    markers: never tutoyer a customer who vouvoie); both → formal 0.6 unless casual
    markers, then casual 0.55. Without tu/vous: casual markers (slang, SMS spelling,
    emoticons) 0.6 (0.7 for two or more), emoji 0.45, no capital letter at all in 12+
    letters 0.4 (each extra kind +0.1, max 0.75)
    against formal closings 0.55 (0.65 with complete sentences) or a polite greeting with
    complete sentences 0.4; the stronger wins, casual on a tie.

Lexicon errors (YAML, duplicate or unknown keys, bad regexes, missing cues) raise
:class:`~replyassist.errors.InvalidInputError` naming the file and the cue.

Speed: a 1,000-character message scans in about 0.2-0.6 ms (the more cues match, the
longer), 8-10× faster than the fragments compiled as written, thanks to
:class:`_Compiler`; building a tagger takes about 0.4 s, so build one and reuse it
(``scan`` only reads the compiled state: safe to share between threads).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, Final

import yaml

from ..errors import ConfigurationError, InvalidInputError
from ..labels import FLAGS, Mood, Register, Urgency
from .patterns import DISPATCH_CHARS as _DISPATCH_CHARS
from .patterns import Cue as _Cue
from .patterns import PatternCompiler as _Compiler

__all__ = [
    "DEFAULT_MAX_CHARS",
    "REQUIRED_CUES",
    "RuleFindings",
    "RuleTagger",
    "default_lexicon_path",
    "fold_text",
]

DEFAULT_MAX_CHARS: Final = 5000
MAX_SNIPPETS: Final = 8  # per cue, in order of appearance, duplicates removed

# Cues the tagger's logic reads; a lexicon may add more (reported as evidence only).
REQUIRED_CUES: Final[tuple[str, ...]] = (
    *FLAGS, "self_harm", "fraud", "payment_dispute", "blocked", "power_loss", "heating_loss",
    "cold", "deadline", "soon", "long_wait", "medical_dependency", "anger", "profanity",
    "frustration", "disappointment", "worry", "confusion", "thanks", "tutoiement",
    "vouvoiement", "casual_markers", "formal_markers", "polite_formulas",
)

# Cues after which a message is not "positive" even if it also thanks or praises.
_NEGATIVE_CUES: Final = (
    "anger", "abusive_language", "profanity", "frustration", "disappointment", "worry",
    "confusion", "repeat_contact", "legal_threat", "churn_threat", "public_exposure",
    "safety_risk", "fraud", "blocked", "payment_dispute",
)
_MOOD_ORDER: Final[tuple[Mood, ...]] = (
    "angry", "frustrated", "anxious", "disappointed", "confused", "positive")
_NEGATION_WINDOW: Final = 4  # words before a cue in which a negation counts
_CLAUSE_LOOKBACK: Final = 80  # characters

# --------------------------------------------------------------------------- text


def _fold_table() -> dict[int, str]:
    """Length-preserving: accented Latin letters → base letter, typographic punctuation
    → ASCII, exotic spaces → space. Lowercasing is done after (``str.lower``)."""
    table: dict[int, str] = {}
    for code in range(0x00C0, 0x0250):
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", char)
                       if not unicodedata.combining(c))
        if len(base) == 1 and base != char:
            table[code] = base
    table.update({ord(c): b for c, b in (("ø", "o"), ("Ø", "O"), ("ł", "l"), ("Ł", "L"),
                                         ("İ", "i"), ("！", "!"), ("？", "?"))})
    table.update({ord(c): "'" for c in "’‘ʼ´`′‛"})
    table.update({ord(c): "-" for c in "‐‑‒–—―−"})
    table.update({ord(c): '"' for c in "«»“”„"})
    table.update({ord(c): " " for c in "\u00a0\u202f\u2007\u2009\u2002\u2003\t"})
    return table


_FOLD: Final = _fold_table()


def fold_text(text: str) -> str:
    """Lowercase, accents stripped, apostrophes/dashes/spaces folded; same length as
    ``unicodedata.normalize("NFC", text)`` so positions map back to it."""
    if text.isascii():  # the common case: only tabs and backquotes to fold
        return text.lower().replace("\t", " ").replace("`", "'")
    text = unicodedata.normalize("NFC", text)
    folded = text.translate(_FOLD).lower()
    if len(folded) != len(text):  # a few exotic characters lowercase to two
        folded = "".join(c if len(c) == 1 else o for c, o in
                         zip((o.translate(_FOLD).lower() for o in text), text, strict=True))
    return folded


_URL: Final = re.compile(r"(?:https?://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)
_EMAIL: Final = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HANDLE: Final = re.compile(r"(?<![\w@/.])@[A-Za-z0-9_]{2,30}\b")
_SPACES: Final = re.compile(r" {2,}")
# Not words for the caps ratio: links, addresses, handles, placeholders, ids, anything
# with a digit (AB-123456, 10h30, SW1A).
_NOT_WORDS: Final = re.compile(  # a token with a digit or @, a link, a placeholder
    r"(?<!\S)(?:[^\s\d@]*[\d@]|https?://|www\.|\[[A-Z_]+\])\S*", re.IGNORECASE)
_CAPS_RUN: Final = re.compile(r"[^\W\d_a-z]{3}")
_LETTER: Final = re.compile(r"[^\W\d_]")
_WORD: Final = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_EXCLAIM: Final = re.compile(r"[!?]*!(?:[!?]|1+(?!\d))*")
_EMOJI: Final = re.compile(
    "[\U0001F300-\U0001FAFF\U0001F000-\U0001F2FF\u2600-\u27BF\u2B50\u2764]")
_TOKEN: Final = re.compile(r"[\w']+")
_SENTENCE_SPLIT: Final = re.compile(r"(?<=[.!?])\s+")


def _clip(text: str, max_chars: int) -> str:
    """The last ``max_chars`` characters, starting at a word boundary when possible."""
    tail = text[-max_chars:]
    if tail and text[-max_chars - 1].isalnum() and tail[0].isalnum():
        cut = re.search(r"\s", tail[:64])
        if cut:
            tail = tail[cut.end():]
    return tail


def _blank(pattern: re.Pattern[str], text: str) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), text)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class RuleFindings:
    """What the rules saw in one text. Strengths are in [0, 1]; 0 means no hint.

    ``cues``: cue → matched snippets as written by the customer (evidence for the agent
    UI; at most 8, case-insensitively distinct), only cues that matched, children merged
    into the cues they count as. ``negated``: the same for negated matches. ``flags``:
    taxonomy flag names. ``caps_ratio``: share of letters in ALL-CAPS words.
    ``exclamation_run``: longest "!!!"/"!!1"/"?!" run. ``mentions``: @handles (and
    [HANDLE] placeholders). ``urgency_floor``/``urgency_reason``: the lowest urgency the
    rules allow and the cue behind it. ``truncated``: only the end of the text was read.
    """

    cues: dict[str, list[str]] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    caps_ratio: float = 0.0
    exclamation_run: int = 0
    mentions: int = 0
    urgency_floor: Urgency | None = None
    urgency_reason: str | None = None  # the cue behind the floor
    mood_hint: Mood | None = None
    mood_strength: float = 0.0
    register_hint: Register | None = None
    register_strength: float = 0.0
    negated: dict[str, list[str]] = field(default_factory=dict)  # seen but negated
    truncated: bool = False  # only the last max_chars characters were scanned


# --------------------------------------------------------------------------- lexicon




@dataclass(frozen=True)
class _Negation:
    before: re.Pattern[str]
    after_ne: re.Pattern[str]
    intensifiers: re.Pattern[str]
    conditionals: re.Pattern[str]
    clause_breaks: re.Pattern[str]


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loader (libyaml's when available) that refuses duplicate keys: PyYAML keeps
    the last one, which would drop a whole cue's patterns without anyone noticing."""


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode,
                              deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                                 _construct_unique_mapping)

_CUE_NAME: Final = re.compile(r"[a-z][a-z0-9_]*")
_CUE_KEYS: Final = frozenset({"patterns", "negatable", "counts_as", "description"})
_NEGATION_KEYS: Final = ("before", "after_ne", "intensifiers", "conditionals",
                         "clause_breaks")
_UPPER_OUTSIDE_ESCAPE: Final = re.compile(r"(?<!\\)[A-Z]")


def default_lexicon_path() -> Path:
    """The packaged ``lexicon.yaml``."""
    return Path(str(files("replyassist.analysis").joinpath("lexicon.yaml")))


class _LexiconLoader:
    """Reads and validates one lexicon file; every error names the file and the cue."""

    def __init__(self, path: Path, *, optimize: bool = True) -> None:
        self.path = path
        self.compiler = _Compiler(optimize=optimize)

    def fail(self, message: str, *, field: str | None = None,
             line: int | None = None) -> InvalidInputError:
        return InvalidInputError(message, source=self.path, line=line, field=field)

    def load(self) -> tuple[dict[str, _Cue], _Negation]:
        try:
            raw_text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise self.fail(f"cannot read the lexicon: {exc}") from exc
        try:
            data = yaml.load(raw_text, Loader=_UniqueKeyLoader)  # a SafeLoader
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            raise self.fail(f"invalid YAML: {exc.problem or exc}",
                            line=mark.line + 1 if mark else None) from exc
        except yaml.YAMLError as exc:
            raise self.fail(f"invalid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise self.fail("the lexicon must be a mapping with 'version' and 'cues'")
        unknown = set(data) - {"version", "negation", "cues"}
        if unknown:
            raise self.fail(f"unknown top-level keys: {sorted(map(str, unknown))}")
        if data.get("version") != 1:
            raise self.fail("unsupported lexicon version (expected 1)", field="version")
        negation = self._negation(data.get("negation"))
        cues_data = data.get("cues")
        if not isinstance(cues_data, dict) or not cues_data:
            raise self.fail("'cues' must be a non-empty mapping", field="cues")
        cues = {name: self._cue(name, spec) for name, spec in cues_data.items()}
        for name in REQUIRED_CUES:
            if name not in cues:
                raise self.fail(f"missing cue '{name}' (use 'patterns: []' to disable it)",
                                field=f"cues.{name}")
        for cue in cues.values():
            for parent in cue.counts_as:
                if parent not in cues or parent == cue.name:
                    raise self.fail(f"cue '{cue.name}' counts_as unknown cue '{parent}'",
                                    field=f"cues.{cue.name}.counts_as")
        return cues, negation

    def _negation(self, spec: Any) -> _Negation:
        if not isinstance(spec, dict):
            raise self.fail("'negation' must be a mapping", field="negation")
        unknown = set(spec) - set(_NEGATION_KEYS)
        if unknown:
            raise self.fail(f"unknown keys {sorted(map(str, unknown))}", field="negation")
        parts: dict[str, str] = {}
        for key in _NEGATION_KEYS:
            words = spec.get(key)
            where = f"negation.{key}"
            if not isinstance(words, list) or not words:
                raise self.fail("must be a non-empty list", field=where)
            parts[key] = "|".join(self._fragment(word, where=f"{where}.{i}")
                                  for i, word in enumerate(words))
        return _Negation(
            before=re.compile(f"(?:{parts['before']})"),
            after_ne=re.compile(f"(?:{parts['after_ne']})"),
            intensifiers=re.compile(f"(?:{parts['intensifiers']})"),
            conditionals=re.compile(rf"(?<!\w)(?:{parts['conditionals']})(?!\w)"),
            clause_breaks=re.compile(
                rf"[.!?;:,\n()]|(?<!\w)(?:{parts['clause_breaks']})(?!\w)"),
        )

    def _cue(self, name: Any, spec: Any) -> _Cue:
        where = f"cues.{name}"
        if not isinstance(name, str) or not _CUE_NAME.fullmatch(name):
            raise self.fail(f"invalid cue name {name!r}", field=where)
        if not isinstance(spec, dict):
            raise self.fail(f"cue '{name}' must be a mapping with 'patterns'", field=where)
        unknown = set(spec) - _CUE_KEYS
        if unknown:
            raise self.fail(f"cue '{name}': unknown keys {sorted(map(str, unknown))}",
                            field=where)
        negatable = spec.get("negatable", False)
        if not isinstance(negatable, bool):
            raise self.fail(f"cue '{name}': 'negatable' must be true or false",
                            field=f"{where}.negatable")
        counts_as = spec.get("counts_as", [])
        if not isinstance(counts_as, list) or not all(isinstance(c, str) for c in counts_as):
            raise self.fail(f"cue '{name}': 'counts_as' must be a list of cue names",
                            field=f"{where}.counts_as")
        patterns = spec.get("patterns")
        if not isinstance(patterns, list):
            raise self.fail(f"cue '{name}': 'patterns' must be a list",
                            field=f"{where}.patterns")
        words: list[str] = []
        raws: list[str] = []
        for index, entry in enumerate(patterns):
            at = f"{where}.patterns.{index}"
            if isinstance(entry, dict) and set(entry) == {"raw"}:
                raws.append(self._fragment(entry["raw"], where=at, cue=name))
            elif isinstance(entry, str):
                words.append(self._fragment(entry, where=at, cue=name))
            else:
                raise self.fail(f"cue '{name}': a pattern must be a string or {{raw: ...}}, "
                                f"got {entry!r} (quote it in YAML)", field=at)
        try:
            return self.compiler.cue(name, words, raws, negatable=negatable,
                                     counts_as=tuple(counts_as))
        except re.error as exc:  # pragma: no cover - fragments are checked one by one
            raise self.fail(f"cue '{name}': the combined regex does not compile: {exc}",
                            field=where) from exc

    def _fragment(self, fragment: Any, *, where: str, cue: str | None = None) -> str:
        label = f"cue '{cue}'" if cue else where
        if not isinstance(fragment, str) or not fragment.strip():
            raise self.fail(f"{label}: pattern {fragment!r} must be a non-empty string "
                            "(quote it in YAML)", field=where)
        if _UPPER_OUTSIDE_ESCAPE.search(fragment):
            raise self.fail(f"{label}: pattern {fragment!r} has uppercase letters; text is "
                            "lowercased before matching", field=where)
        accented = [c for c in fragment if c.isalpha() and fold_text(c) != c]
        if accented:
            raise self.fail(f"{label}: pattern {fragment!r} has accented letters "
                            f"{''.join(accented)!r}; accents are stripped before matching",
                            field=where)
        try:
            compiled = re.compile(fragment, re.MULTILINE)
        except re.error as exc:
            raise self.fail(f"{label}: invalid regex {fragment!r}: {exc}",
                            field=where) from exc
        if compiled.groups:
            raise self.fail(f"{label}: pattern {fragment!r} has a capturing group; use "
                            "(?:...)", field=where)
        if compiled.match("") or any(m.start() == m.end()
                                     for m in compiled.finditer(" a, b.\nc ")):
            raise self.fail(f"{label}: pattern {fragment!r} can match an empty string",
                            field=where)
        return fragment


# --------------------------------------------------------------------------- tagger


class RuleTagger:
    """Reviewed rules over one customer text. Thread-safe: compiled once, then read-only.

    ``lexicon_path``: a lexicon YAML (default: the packaged one). ``max_chars``: only the
    last ``max_chars`` characters of a text are scanned. ``optimize=False`` compiles the
    fragments exactly as written (slower; to check the optimizer).
    """

    def __init__(self, lexicon_path: Path | None = None, *,
                 max_chars: int = DEFAULT_MAX_CHARS, optimize: bool = True) -> None:
        if max_chars <= 0:
            raise ConfigurationError(f"max_chars must be positive, got {max_chars}")
        self.lexicon_path = Path(lexicon_path) if lexicon_path else default_lexicon_path()
        self.max_chars = max_chars
        loader = _LexiconLoader(self.lexicon_path, optimize=optimize)
        self._cues, self._negation = loader.load()
        self._word_prefilter, self._raw_prefilter, self._ascii_raw_prefilter = \
            loader.compiler.prefilters()
        # Which cues to try at a prefilter position: by the 1-3 characters after the
        # consumed one (word fragments; the longest known key holds the cues of the
        # shorter ones too), by its character (raw fragments).
        by_prefix: dict[str, list[str]] = {}
        by_self: dict[str, list[str]] = {}
        always = [cue.name for cue in self._cues.values() if "" in cue.prefixes]
        for cue in self._cues.values():
            for prefix in {p[:_DISPATCH_CHARS] for p in cue.prefixes} - {""}:
                by_prefix.setdefault(prefix, []).append(cue.name)
            for char in cue.raw_chars:
                by_self.setdefault(char, []).append(cue.name)
        self._dispatch: tuple[dict[str, tuple[str, ...]], ...] = tuple(
            {key: tuple(dict.fromkeys(
                name for cut in range(size, 0, -1) for name in by_prefix.get(key[:cut], ())
            )) + tuple(always) for key in by_prefix if len(key) == size}
            for size in range(_DISPATCH_CHARS, 0, -1))
        self._always = tuple(always)
        self._by_self = {k: tuple(v) for k, v in by_self.items()}

    @property
    def cue_names(self) -> tuple[str, ...]:
        return tuple(self._cues)

    # ------------------------------------------------------------------ scan
    def scan(self, text: str, *, channel: str | None = None) -> RuleFindings:
        text = text or ""
        truncated = len(text) > self.max_chars
        if truncated:
            text = _clip(text, self.max_chars)
        original = unicodedata.normalize("NFC", text)
        own, negated = self._match(original)

        cues: dict[str, list[str]] = {}
        for name in self._cues:  # lexicon order, children merged into parents
            if own.get(name):
                cues.setdefault(name, []).extend(own[name])
                for parent in self._cues[name].counts_as:
                    cues.setdefault(parent, []).extend(own[name])
        cues = {name: _unique(snippets) for name, snippets in cues.items()}

        # @handles, and the [HANDLE] placeholders of a text scrubbed before analysis
        handles = ([m.group() for m in _HANDLE.finditer(_blank(_EMAIL, original))]
                   if "@" in original else [])
        scrubbed = original.count("[HANDLE]")
        mentions = len(handles) + scrubbed
        distinct = len({h.lower() for h in handles}) + scrubbed

        flags = {flag for flag in FLAGS if cues.get(flag)}
        if (channel or "").lower() == "twitter":
            flags.add("public_exposure")
        if distinct >= 2:
            flags.add("public_exposure")
            cues["public_exposure"] = _unique([*cues.get("public_exposure", []), *handles])
        derived_safety = self._derived_safety(own, cues)
        if derived_safety:
            flags.add("safety_risk")

        caps_ratio, caps_words = _caps(original)
        exclamation_run = _exclamation_run(original)
        has_emoji = bool(_EMOJI.search(original))

        floor, reason = _urgency(own, cues, derived_safety)
        mood, mood_strength = _mood(cues, caps_ratio, caps_words, exclamation_run,
                                    question="?" in original)
        register, register_strength = _register(cues, original, has_emoji)
        return RuleFindings(
            cues=cues, flags=flags, caps_ratio=round(caps_ratio, 3),
            exclamation_run=exclamation_run, mentions=mentions, urgency_floor=floor,
            urgency_reason=reason, mood_hint=mood, mood_strength=round(mood_strength, 3),
            register_hint=register, register_strength=round(register_strength, 3),
            negated={k: _unique(v) for k, v in negated.items()}, truncated=truncated)

    def cue_snippets(self, text: str, cue: str, *, window: int = 4000) -> list[str]:
        """Non-negated snippets of one cue anywhere in ``text`` (not only its last
        ``max_chars``): long texts are read in overlapping windows."""
        if cue not in self._cues:
            raise ConfigurationError(f"unknown cue {cue!r} (lexicon {self.lexicon_path})")
        original = unicodedata.normalize("NFC", text or "")
        found: list[str] = []
        step = max(1, window - 400)
        for start in range(0, max(1, len(original) - 400), step):
            own, _negated = self._match(original[start:start + window])
            found.extend(own.get(cue, ()))
            for child, spec in self._cues.items():
                if cue in spec.counts_as:
                    found.extend(own.get(child, ()))
        return _unique(found)

    # ------------------------------------------------------------------ matching
    def _match(self, original: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """(cue → own non-negated snippets, cue → negated snippets)."""
        folded = fold_text(original)
        if "@" in folded:
            folded = _blank(_EMAIL, folded)
        if "http" in folded or "www." in folded:
            folded = _blank(_URL, folded)
        # Collapse runs of spaces so "ras  le bol" matches. Segment k of the searchable
        # text starts at starts[k] and maps linearly to origins[k] in the original.
        starts, origins = [0], [0]
        if "  " in folded:
            pieces, last, length = [], 0, 0
            for m in _SPACES.finditer(folded):
                pieces.append(folded[last:m.start() + 1])  # keep one space
                length += m.start() + 1 - last
                starts.append(length)
                origins.append(m.end())
                last = m.end()
            pieces.append(folded[last:])
            searchable = "".join(pieces)
        else:
            searchable = folded
        searchable = "\n" + searchable  # a line start and a non-word character before all

        def to_original(index: int) -> int:
            index -= 1
            at = bisect.bisect_right(starts, index) - 1
            return origins[at] + (index - starts[at])

        own: dict[str, list[str]] = {}
        negated: dict[str, list[str]] = {}
        for name, spans in self._spans(searchable).items():
            cue = self._cues[name]
            for start, end in spans:
                first = max(start, 1)
                snippet = original[to_original(first):to_original(end - 1) + 1].strip()
                snippet = snippet or searchable[first:end].strip()
                if cue.negatable and self._is_negated(searchable, start, end):
                    negated.setdefault(name, []).append(snippet)
                else:
                    own.setdefault(name, []).append(snippet)
        return own, negated

    def _spans(self, text: str) -> dict[str, list[tuple[int, int]]]:
        """cue → (start, end) of its matches in ``text``, in order: the same as scanning
        ``text`` with each of the cue's regexes, but trying them only where the
        prefilter matched and the next characters can start one of its fragments."""
        found: dict[str, list[tuple[int, int]]] = {}
        last_end: dict[str, int] = {}
        cues = self._cues
        by_3, by_2, by_1 = self._dispatch
        for candidate in self._word_prefilter.finditer(text):
            at = candidate.start()
            names = (by_3.get(text[at + 1:at + 4]) or by_2.get(text[at + 1:at + 3])
                     or by_1.get(text[at + 1:at + 2]) or self._always)
            for name in names:
                if at < last_end.get(name, 0):
                    continue
                regex = cues[name].words
                hit = regex.match(text, at) if regex is not None else None
                if hit is not None:
                    found.setdefault(name, []).append((at + 1, hit.end()))
                    last_end[name] = hit.end()
        last_end.clear()
        raw_prefilter = self._ascii_raw_prefilter if text.isascii() else self._raw_prefilter
        for candidate in raw_prefilter.finditer(text):
            at = candidate.start()
            for name in self._by_self.get(text[at], ()):
                if at < last_end.get(name, 0):
                    continue
                regex = cues[name].raws
                hit = regex.match(text, at) if regex is not None else None
                if hit is not None:
                    found.setdefault(name, []).append((at, hit.end()))
                    last_end[name] = hit.end()
        for name, cue in cues.items():
            if cue.extra is not None:
                found.setdefault(name, []).extend(m.span() for m in cue.extra.finditer(text))
        for spans in found.values():
            spans.sort()
        return found

    def _is_negated(self, text: str, start: int, end: int) -> bool:
        prefix = text[max(0, start - _CLAUSE_LOOKBACK):start]
        breaks = list(self._negation.clause_breaks.finditer(prefix))
        if breaks:
            prefix = prefix[breaks[-1].end():]
        if self._negation.conditionals.search(prefix):
            return False
        tokens = _TOKEN.findall(prefix)[-_NEGATION_WINDOW:]
        for index, token in enumerate(tokens):
            if self._negation.before.fullmatch(token) and not any(
                    self._negation.intensifiers.fullmatch(t) for t in tokens[index + 1:]):
                return True
        if tokens and (tokens[-1] == "ne" or tokens[-1] == "n'"):
            after = _TOKEN.findall(text[end:end + 40])[:2]
            return any(self._negation.after_ne.fullmatch(t) for t in after)
        return False

    @staticmethod
    def _derived_safety(own: dict[str, list[str]], cues: dict[str, list[str]]) -> bool:
        """No heating for a vulnerable customer in the cold; no power for someone on
        medical equipment."""
        if own.get("heating_loss") and cues.get("vulnerable_customer") and own.get("cold"):
            return True
        return bool(own.get("medical_dependency") and own.get("power_loss"))


# --------------------------------------------------------------------------- measures


def _unique(snippets: list[str]) -> list[str]:
    """Case-insensitively distinct snippets, first spelling kept, at most MAX_SNIPPETS."""
    kept: dict[str, str] = {}
    for snippet in snippets:
        kept.setdefault(snippet.casefold(), snippet)
        if len(kept) >= MAX_SNIPPETS:
            break
    return list(kept.values())


def _letters(text: str) -> int:
    return len(_LETTER.findall(text))


def _caps(original: str) -> tuple[float, int]:
    """(share of letters in ALL-CAPS words, number of such words of ≥ 3 letters).

    ALL-CAPS words of ≥ 3 letters count; shorter ones only inside a run of ALL-CAPS
    words that has one ("I AM SO ANGRY" → 1.0; "I paid EDF" → only EDF)."""
    if not _CAPS_RUN.search(original):  # no ALL-CAPS word of 3 letters or more
        return 0.0, 0
    words = _WORD.findall(_NOT_WORDS.sub(" ", original))
    letters = caps_letters = long_words = 0
    run_letters, run_has_long = 0, False
    for word in words:
        size = len(word) - word.count("'")
        letters += size
        if word.isupper():
            run_letters += size
            if size >= 3:
                run_has_long = True
                long_words += 1
            continue
        if run_has_long:
            caps_letters += run_letters
        run_letters, run_has_long = 0, False
    if run_has_long:
        caps_letters += run_letters
    return (caps_letters / letters if letters else 0.0), long_words


def _exclamation_run(original: str) -> int:
    """Longest run of "!" (with "?" and shouted "1": "!!!", "!!1", "?!")."""
    text = original.replace("‼", "!!").replace("⁉", "!?").replace("！", "!")
    return max((len(m.group()) for m in _EXCLAIM.finditer(text)), default=0)


def _urgency(own: dict[str, list[str]], cues: dict[str, list[str]],
             derived_safety: bool) -> tuple[Urgency | None, str | None]:
    if cues.get("safety_risk") or derived_safety:
        return "critical", "safety_risk"
    for name in ("legal_threat", "fraud"):
        if cues.get(name):
            return "critical", name
    if cues.get("blocked"):
        return "high", "blocked"
    if own.get("deadline"):  # "soon" alone (bare "demain") sets no floor
        return "high", "deadline"
    repeat = own.get("repeat_contact", [])
    if (own.get("long_wait") and repeat) or len({s.casefold() for s in repeat}) >= 2:
        return "high", "repeat_contact"
    for name in ("churn_threat", "abusive_language", "public_exposure", "repeat_contact",
                 "vulnerable_customer", "payment_dispute"):
        if own.get(name) or (name != "public_exposure" and cues.get(name)):
            return "normal", name
    return None, None


def _mood(cues: dict[str, list[str]], caps_ratio: float, caps_words: int,
          exclamation_run: int, *, question: bool) -> tuple[Mood | None, float]:
    negative = any(cues.get(name) for name in _NEGATIVE_CUES)
    thanks = cues.get("thanks", [])
    shouting = caps_ratio >= 0.5 and caps_words >= 2 and exclamation_run >= 2
    caps_only = caps_ratio >= 0.5 and caps_words >= 3
    proposals: dict[Mood, float] = {}

    def propose(mood: Mood, strength: float) -> None:
        proposals[mood] = max(proposals.get(mood, 0.0), strength)

    angry = []
    if cues.get("abusive_language"):
        angry.append(0.9)
    if cues.get("anger"):
        angry.append(0.8)
    if shouting and (negative or not thanks):
        angry.append(0.75 if cues.get("profanity") else 0.7)
    elif caps_only and negative:
        angry.append(0.5)
    if angry:
        propose("angry", min(1.0, max(angry) + 0.05 * (len(angry) - 1)))
    repeat = bool(cues.get("repeat_contact"))
    if cues.get("frustration"):
        propose("frustrated", 0.8 if repeat else 0.7)
    if cues.get("profanity"):
        propose("frustrated", 0.6)
    if repeat:
        propose("frustrated", 0.5)
    if cues.get("worry"):
        propose("anxious", 0.7)
    if cues.get("disappointment"):
        propose("disappointed", 0.65)
    if cues.get("confusion"):
        propose("confused", 0.65)
    if thanks and not negative:
        distinct = len({s.casefold() for s in thanks})
        propose("positive", 0.75 if distinct >= 2 else (0.35 if question else 0.6))
    if not proposals:
        return None, 0.0
    mood = max(_MOOD_ORDER, key=lambda m: (proposals.get(m, -1.0), -_MOOD_ORDER.index(m)))
    strength = proposals[mood]
    if mood != "positive" and exclamation_run >= 3:
        strength += 0.1
    return mood, min(1.0, strength)


def _complete_sentences(original: str) -> bool:
    for sentence in _SENTENCE_SPLIT.split(original.strip()):
        if (len(sentence) > 1 and sentence[0].isupper() and sentence[-1] in ".?!"
                and len(_WORD.findall(sentence)) >= 4):
            return True
    return False


def _register(cues: dict[str, list[str]], original: str,
              has_emoji: bool) -> tuple[Register | None, float]:
    tu, vous = bool(cues.get("tutoiement")), bool(cues.get("vouvoiement"))
    markers = len({s.casefold() for s in cues.get("casual_markers", [])})
    formal_closing = bool(cues.get("formal_markers"))
    if tu and not vous:
        return "casual", 0.95 if markers else 0.9
    if vous and not tu:
        if markers:
            return "formal", 0.6
        return "formal", 0.9 if formal_closing else 0.85
    if tu and vous:
        return ("casual", 0.55) if markers else ("formal", 0.6)

    casual_kinds = []
    if markers:
        casual_kinds.append(0.7 if markers >= 2 else 0.6)
    if has_emoji:
        casual_kinds.append(0.45)
    if original == original.lower() and _letters(original) >= 12:
        casual_kinds.append(0.4)
    casual = min(0.75, max(casual_kinds) + 0.1 * (len(casual_kinds) - 1)) \
        if casual_kinds else 0.0
    formal = 0.0
    if formal_closing or cues.get("polite_formulas"):
        complete = _complete_sentences(original)
        if formal_closing:
            formal = 0.65 if complete else 0.55
        elif complete:
            formal = 0.4
    if casual == 0.0 and formal == 0.0:
        return None, 0.0
    return ("casual", casual) if casual >= formal else ("formal", formal)
