"""Loaders of the training / evaluation data for the analysis classifiers.

Every loader reads a dataset by path (the third-party sets under ``../shared/data/`` are
never copied into the repository) and returns plain Python lists. The label mappings
from each dataset's own labels to the taxonomy of ``../shared/spec/taxonomy.md`` are
module-level constants, documented (with the reasons) in the loaders' docstrings.

Loaders that drop rows take an optional ``stats`` dict and fill it with the counts
(rows read, kept, and dropped per reason), so nothing is dropped silently.

- :func:`load_goemotions` — English Reddit comments → ``mood`` (:data:`GOEMOTIONS_TO_MOOD`);
- :func:`load_mooc_urgency` — course-forum posts → ``urgency`` (:data:`MOOC_URGENCY_TO_LEVEL`,
  default course split :data:`MOOC_TRAIN_COURSES` / :data:`MOOC_TEST_COURSES`);
- :func:`load_banking77` — banking queries → one of 77 intents (labels unchanged);
- :func:`load_labelled` — the project's own labelled conversations
  (``evals/data/analysis_labelled.jsonl``, format in ``evals/data/LABELLING.md``).
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from replyassist.evals.converters import (  # one home for the mappings and the clean-up
    GOEMOTIONS_TO_MOOD,
    MOOC_TEST_COURSES,
    MOOC_URGENCY_TO_LEVEL,
    PLACEHOLDER_NAME,
    clean_text,
    mooc_courses,
    mooc_urgency_level,
)
from replyassist.labels import FLAGS, MOODS, REGISTERS, URGENCIES
from replyassist.models import Conversation

__all__ = [
    "ATELIER_BRUME_INTENTS",
    "GOEMOTIONS_TO_MOOD",
    "MOOC_TEST_COURSES",
    "MOOC_TRAIN_COURSES",
    "MOOC_URGENCY_TO_LEVEL",
    "PLACEHOLDER_NAME",
    "LabelledMessage",
    "load_banking77",
    "load_goemotions",
    "load_labelled",
    "load_mooc_urgency",
    "mooc_courses",
    "mooc_urgency_level",
]

# ------------------------------------------------------------------ text clean-up
# ------------------------------------------------------------------ GoEmotions → mood

GOEMOTIONS_SPLITS = ("train", "dev", "test")


def _goemotions_dir(root: Path) -> Path:
    root = Path(root)
    return root / "original" if (root / "original" / "labels.txt").exists() else root


def load_goemotions(
    root: Path, split: str, stats: dict[str, int] | None = None
) -> list[tuple[str, str]]:
    """GoEmotions comments of ``split`` (train/dev/test) as ``(text, mood)`` pairs.

    ``root`` is the ``goemotions`` folder (its ``original/`` taxonomy is read: ``labels.txt``
    and ``{split}.tsv``, ``text<TAB>label ids<TAB>comment id``). Mapping
    (:data:`GOEMOTIONS_TO_MOOD`), judged against the meanings in ``taxonomy.md``:

    ============== =============== =============================================================
    mood           GoEmotions      why
    ============== =============== =============================================================
    angry          anger, disgust  hostile, outraged, insulting ("racists like you disgust me")
    frustrated     annoyance,      annoyed / not hostile; disapproval is the mild end of the
                   disapproval     authors' own anger family (Ekman grouping)
    anxious        fear,           worried about consequences
                   nervousness
    confused       confusion       does not understand
    disappointed   disappointment, let down, sad, resigned (grief = sadness, rare)
                   sadness, grief
    neutral        neutral         no notable emotion
    positive       admiration,     thanks, satisfied, happy, compliment; also agreement
                   amusement,      (approval), well-wishing (caring, optimism), relief —
                   approval,       the labels the GoEmotions authors group as positive
                   caring,
                   excitement,
                   gratitude, joy,
                   love, optimism,
                   pride, relief
    (no mood)      curiosity       interest in a topic, mostly questions: in the taxonomy a plain
                                   question is neutral and "confused" needs not understanding,
                                   so either mapping would mislabel many comments
    (no mood)      remorse         the writer's own apology or guilt ("sorry, my bad"), not being
                                   let down by someone
    (no mood)      surprise,       valence undecided ("wow, glad he's ok" / "oh no") or an
                   realization     insight without a feeling
    (no mood)      embarrassment,  shame, longing: no matching customer mood
                   desire
    ============== =============== =============================================================

    Multi-label comments (about 16 %): labels mapping to ``None`` are ignored; the comment
    is kept when the remaining labels all give the same mood (``anger+annoyance`` → dropped,
    ``anger+disgust`` → angry, ``joy+surprise`` → positive), dropped when they disagree
    (``conflict``) or when none maps (``no_mood``). A comment whose only mood is neutral
    but which also carries an ignored emotion label (``neutral+surprise``) is dropped too
    (``neutral_with_emotion``): raters saw an emotion, so it is not a clean neutral.

    Text: ``[NAME]`` → :data:`PLACEHOLDER_NAME`, ``[RELIGION]`` → "religious", HTML entities
    decoded, whitespace collapsed. ``stats`` (if given) receives ``read``, ``kept``,
    ``dropped_no_mood``, ``dropped_conflict``, ``dropped_neutral_with_emotion``.
    """
    if split not in GOEMOTIONS_SPLITS:
        raise ValueError(f"GoEmotions split must be one of {GOEMOTIONS_SPLITS}, not {split!r}")
    folder = _goemotions_dir(root)
    names = (folder / "labels.txt").read_text(encoding="utf-8").split()
    unknown = sorted(set(names) ^ set(GOEMOTIONS_TO_MOOD))
    if unknown:
        raise ValueError(
            f"{folder / 'labels.txt'}: labels differ from GOEMOTIONS_TO_MOOD: {unknown}"
        )
    counts: Counter[str] = Counter()
    out: list[tuple[str, str]] = []
    path = folder / f"{split}.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        for line_no, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) != 3:
                raise ValueError(
                    f"{path}:{line_no}: expected 3 tab-separated fields, got {len(parts)}"
                )
            counts["read"] += 1
            try:
                labels = [names[int(i)] for i in parts[1].split(",")]
            except (ValueError, IndexError) as exc:
                raise ValueError(f"{path}:{line_no}: bad label ids {parts[1]!r}") from exc
            moods = {GOEMOTIONS_TO_MOOD[label] for label in labels}
            ignored = None in moods
            moods.discard(None)
            if not moods:
                counts["dropped_no_mood"] += 1
            elif len(moods) > 1:
                counts["dropped_conflict"] += 1
            elif moods == {"neutral"} and ignored:
                counts["dropped_neutral_with_emotion"] += 1
            else:
                text = clean_text(parts[0])
                if text:
                    out.append((text, moods.pop()))  # type: ignore[arg-type]
                    counts["kept"] += 1
                else:
                    counts["dropped_empty_text"] += 1
    if stats is not None:
        for key in (
            "read",
            "kept",
            "dropped_no_mood",
            "dropped_conflict",
            "dropped_neutral_with_emotion",
        ):
            stats[key] = counts[key]
        if counts["dropped_empty_text"]:
            stats["dropped_empty_text"] = counts["dropped_empty_text"]
    return out


# ------------------------------------------------------------------ MOOC forum → urgency

MOOC_TRAIN_COURSES: tuple[str, ...] = ("calc", "design", "gam", "modern")
_MOOC_FILE = re.compile(r"^(?P<course>[a-z]+)(?P<half>\d+)_CODED\.csv$")






def _mooc_files(root: Path, course: str) -> list[Path]:
    halves = [
        (int(m["half"]), p)
        for p in Path(root).iterdir()
        if (m := _MOOC_FILE.match(p.name)) and m["course"] == course
    ]
    return [p for _, p in sorted(halves)]


def load_mooc_urgency(
    root: Path, courses: list[str] | tuple[str, ...], stats: dict[str, int] | None = None
) -> list[tuple[str, str]]:
    """Forum posts of ``courses`` as ``(text, urgency level)`` pairs, in file order.

    ``root`` is the ``mooc_forum_urgency`` folder: ``{course}{1,2}_CODED.csv`` with
    ``id,post_time,post_text,Urgency_1_7`` (posts span lines and hold quotes: read with the
    ``csv`` module). The codes are integers (written ``4`` or ``4.0``); a fractional code
    would be rounded half up (:func:`mooc_urgency_level`). The coding scale (Stanford
    MOOCPosts) against ``taxonomy.md`` (:data:`MOOC_URGENCY_TO_LEVEL`):

    ====== ===================================================== ========
    code   coders' meaning                                       level
    ====== ===================================================== ========
    1      no reason to read the post                            low
    2      not actionable, read if time                          low
    3      not actionable, may be interesting (discussion)       low
    4      neutral, respond if spare time (a question)           normal
    5      somewhat urgent, a reply is a good idea               normal
    6      very urgent, the instructor should reply              high
    7      extremely urgent, the instructor must reply           high
    ====== ===================================================== ========

    Codes 1–3 need nothing resolved (taxonomy ``low``: feedback, thanks, chit-chat,
    opinions); 4–5 are questions or issues to handle without immediate harm (``normal``);
    6–7 are students blocked now (work lost, cannot submit, an assignment due missing from
    the site), the taxonomy's ``high``. ``critical`` (safety, legal action, fraud) is a
    different axis that the coders did not rate; no post maps to it (there is one code-7
    post in the whole set: a student who cannot submit an assignment due that week, which
    is ``high``), so this set cannot measure ``critical``.

    Default course split (courses never trained on are tested):
    :data:`MOOC_TRAIN_COURSES` = calc, design, gam, modern (1,552 posts) and
    :data:`MOOC_TEST_COURSES` = acc, global (774 posts, 33 %; low 621, normal 142, high 11),
    both sides holding every level present.

    Text: HTML entities decoded, cp1252 mojibake repaired where possible, ``[REDACTED]`` →
    :data:`PLACEHOLDER_NAME`, whitespace collapsed. Rows without a code or without text are
    dropped; ``stats`` (if given) receives ``read``, ``kept``, ``dropped_no_code``,
    ``dropped_empty_text``.
    """
    available = mooc_courses(root)
    unknown = [c for c in courses if c not in available]
    if unknown:
        raise ValueError(f"unknown course(s) {unknown} in {root}; available: {available}")
    counts: Counter[str] = Counter()
    out: list[tuple[str, str]] = []
    for course in courses:
        for path in _mooc_files(root, course):
            with path.open(encoding="utf-8", newline="") as handle:
                reader = csv.DictReader(handle)
                missing = {"post_text", "Urgency_1_7"} - set(reader.fieldnames or ())
                if missing:
                    raise ValueError(f"{path}: missing column(s) {sorted(missing)}")
                for row in reader:
                    counts["read"] += 1
                    raw_code = (row["Urgency_1_7"] or "").strip()
                    if not raw_code:
                        counts["dropped_no_code"] += 1
                        continue
                    try:
                        level = mooc_urgency_level(float(raw_code))
                    except ValueError as exc:
                        raise ValueError(
                            f"{path}:{reader.line_num}: Urgency_1_7 {raw_code!r}: {exc}"
                        ) from exc
                    text = clean_text(row["post_text"] or "")
                    if not text:
                        counts["dropped_empty_text"] += 1
                        continue
                    out.append((text, level))
                    counts["kept"] += 1
    if stats is not None:
        for key in ("read", "kept", "dropped_no_code", "dropped_empty_text"):
            stats[key] = counts[key]
    return out


# ------------------------------------------------------------------ Banking77
BANKING77_SPLITS = ("train", "test")


def load_banking77(root: Path, split: str) -> list[tuple[str, str]]:
    """Banking77 queries of ``split`` (train/test) as ``(text, intent)`` pairs.

    ``root`` is the ``banking77`` folder: ``{split}.csv`` with ``text,category``. Labels
    are kept as they are (77 intents, listed in ``categories.json``; the project's
    intents are brand-specific, so no mapping):

    ========================== ==========================
    Banking77 ``category``     label returned
    ========================== ==========================
    any of the 77 categories   the same string
    ========================== ==========================

    Raises ``ValueError`` on an empty text or a category missing from ``categories.json``.
    """
    if split not in BANKING77_SPLITS:
        raise ValueError(f"Banking77 split must be one of {BANKING77_SPLITS}, not {split!r}")
    root = Path(root)
    categories_file = root / "categories.json"
    categories = (
        set(json.loads(categories_file.read_text(encoding="utf-8")))
        if categories_file.exists()
        else None
    )
    path = root / f"{split}.csv"
    out: list[tuple[str, str]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            text, category = (row.get("text") or "").strip(), (row.get("category") or "").strip()
            if not text:
                raise ValueError(f"{path}:{reader.line_num}: empty text")
            if categories is not None and category not in categories:
                raise ValueError(
                    f"{path}:{reader.line_num}: category {category!r} is not in "
                    f"{categories_file.name}"
                )
            out.append((text, category))
    return out


# ------------------------------------------------------------------ the project's own set
ATELIER_BRUME_INTENTS: tuple[str, ...] = (
    "exchange_size",
    "return_refund",
    "order_tracking",
    "delivery_times",
    "lost_parcel",
    "damaged_item",
    "order_cancel",
    "payment_failed",
    "payment_methods",
    "promo_code",
    "loyalty",
    "invoice",
    "account_access",
    "account_delete",
    "size_guide",
    "care_instructions",
)
"""Intents of the sample brand ``atelier-brume`` (``LABELLING.md``); ``null`` = none fits."""

LABELLED_SPLITS = ("train", "test")
_LANGUAGE_PREFIX = re.compile(r"^(?P<lang>[a-z]{2})-")


@dataclass(frozen=True)
class LabelledMessage:
    """One conversation of ``analysis_labelled.jsonl`` with its labels."""

    id: str
    split: str | None  # None only in draft files, before the split is drawn
    language: str
    channel: str
    tenant: str
    text: str  # the latest customer turns (what the labels describe)
    conversation: Conversation
    mood: str
    urgency: str
    register: str
    flags: list[str]
    intent: str | None
    has_intent: bool  # whether ``expected.intent`` was present (even as null)


def _label(where: str, expected: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = expected.get(key)
    if value not in allowed:
        raise ValueError(f"{where}: expected.{key} must be one of {list(allowed)}, got {value!r}")
    return value  # type: ignore[return-value]


def load_labelled(path: Path, split: str | None = None) -> list[LabelledMessage]:
    """The project's labelled conversations (``LABELLING.md``), optionally one ``split``.

    Each line is a conversation in the public format with ``expected`` labels and a
    top-level ``split``. Fields of :class:`LabelledMessage`:

    ============== ===================================== ====================================
    field          read from                             values
    ============== ===================================== ====================================
    id             ``id``                                ``fr-NNN`` / ``en-NNN``, unique
    split          ``split``                             train · test (``None`` if absent,
                                                         drafts only; then ``split=`` fails)
    language       ``id`` prefix, else customer locale   ``fr``, ``en``, ...
    channel        ``channel``                           taxonomy channels
    tenant         ``tenant``                            brand slug
    text           latest customer turns                 ``latest_customer_text()``
    conversation   the whole line                        :class:`Conversation`
    mood           ``expected.mood``                     the 7 moods
    urgency        ``expected.urgency``                  critical · high · normal · low
    register       ``expected.register``                 formal · casual
    flags          ``expected.flags`` (required list)    the 8 flags, no duplicates
    intent         ``expected.intent``                   atelier-brume intents or ``None``
    has_intent     whether ``expected.intent`` exists    ``True`` / ``False``
    ============== ===================================== ====================================

    Labels are copied unchanged (the set is labelled in the taxonomy itself). Errors are
    ``ValueError`` naming the file, the line and the field.
    """
    if split is not None and split not in LABELLED_SPLITS:
        raise ValueError(f"split must be one of {LABELLED_SPLITS} or None, not {split!r}")
    path = Path(path)
    out: list[LabelledMessage] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: invalid JSON: {exc}") from exc
            if not isinstance(raw, dict):
                raise ValueError(f"{where}: a line must be a JSON object")
            try:
                conversation = Conversation.model_validate_json(line)
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(p) for p in first["loc"]) or "(line)"
                raise ValueError(f"{where}: field {field}: {first['msg']}") from exc
            if conversation.id in seen:
                raise ValueError(
                    f"{where}: id {conversation.id!r} already on line {seen[conversation.id]}"
                )
            seen[conversation.id] = line_no
            line_split = raw.get("split")
            if line_split is not None and line_split not in LABELLED_SPLITS:
                raise ValueError(
                    f"{where}: split must be one of {list(LABELLED_SPLITS)}, got {line_split!r}"
                )
            if split is not None:
                if line_split is None:
                    raise ValueError(
                        f"{where}: field split is missing (needed to select split={split!r})"
                    )
                if line_split != split:
                    continue
            prefix = _LANGUAGE_PREFIX.match(conversation.id)
            language = prefix["lang"] if prefix else conversation.language_hint
            if not language:
                raise ValueError(
                    f"{where}: language unknown (id {conversation.id!r} has no "
                    "fr-/en- prefix and customer.locale is missing)"
                )
            expected = raw.get("expected")
            if not isinstance(expected, dict):
                raise ValueError(f"{where}: field expected is missing or not an object")
            flags = expected.get("flags")
            if not isinstance(flags, list):
                raise ValueError(f"{where}: expected.flags must be a list, got {flags!r}")
            bad = [f for f in flags if f not in FLAGS]
            if bad or len(set(flags)) != len(flags):
                raise ValueError(
                    f"{where}: expected.flags {flags!r}: unknown or repeated "
                    f"flag (allowed: {list(FLAGS)})"
                )
            intent = expected.get("intent")
            if intent is not None and (
                not isinstance(intent, str)
                or (conversation.tenant == "atelier-brume" and intent not in ATELIER_BRUME_INTENTS)
            ):
                raise ValueError(
                    f"{where}: expected.intent {intent!r} is not an {conversation.tenant} intent"
                )
            out.append(
                LabelledMessage(
                    id=conversation.id,
                    split=line_split,
                    language=language,
                    channel=conversation.channel,
                    tenant=conversation.tenant,
                    text=conversation.latest_customer_text(),
                    conversation=conversation,
                    mood=_label(where, expected, "mood", MOODS),
                    urgency=_label(where, expected, "urgency", URGENCIES),
                    register=_label(where, expected, "register", REGISTERS),
                    flags=list(flags),
                    intent=intent,
                    has_intent="intent" in expected,
                )
            )
    return out
