"""Converters from the public third-party sets (``../shared/data``) to evaluation inputs.

Each converter reads a set by path (nothing is copied into the repository) and writes
files in the public formats of ``formats.md``: JSONL lines that validate as
:class:`~replyassist.models.Conversation` / :class:`~replyassist.models.KnowledgeArticle`,
labels in ``expected``. Input errors raise :class:`~replyassist.errors.InvalidInputError`
naming the file and the line. Converters that drop rows take an optional ``stats`` dict
and fill it with the counts, so nothing is dropped silently.

============================== =================== =========================================
function                       set (folder)        writes
============================== =================== =========================================
:func:`convert_twitter`        ``ibm_twitter_cdp`` ``twitter/{kb,history,cases}.jsonl``:
                                                   per-company articles, past conversations,
                                                   cases with ``expected.doc_ids`` + ``reply``
:func:`convert_goemotions`     ``goemotions``      cases with ``expected.mood``
:func:`convert_banking77`      ``banking77``       cases with ``expected.intent``
:func:`write_banking77_brand`  ``banking77``       a ``brand.yaml`` declaring the 77 intents
:func:`convert_mooc`           ``mooc_forum_       cases with ``expected.urgency``
                               urgency``
:func:`convert_all`            the data root       every set found (missing ones reported)
============================== =================== =========================================

The label mappings are copies of the ones the evaluation scripts use
(``evals/analysis_data.py``: :data:`GOEMOTIONS_TO_MOOD`, :data:`MOOC_URGENCY_TO_LEVEL`,
:data:`MOOC_TEST_COURSES`, the text clean-up) and the article titles follow
``evals/twitter_retrieval.py`` (:func:`slug_title`); the package never imports ``evals/``.
Keep the copies in step with those files.
"""

from __future__ import annotations

import csv
import html
import json
import logging
import math
import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import unquote, urlparse

import yaml
from pydantic import BaseModel, ValidationError

from ..brand import BrandVoice
from ..errors import InvalidInputError
from ..jsonl import invalid_input_from_validation
from ..models import Conversation, KnowledgeArticle

__all__ = [
    "BANKING77_BRAND_NAME",
    "DATASET_FOLDERS",
    "GOEMOTIONS_TO_MOOD",
    "MOOC_TEST_COURSES",
    "MOOC_URGENCY_TO_LEVEL",
    "PLACEHOLDER_NAME",
    "banking77_intent_name",
    "banking77_intents",
    "clean_text",
    "convert_all",
    "convert_banking77",
    "convert_goemotions",
    "convert_mooc",
    "convert_twitter",
    "mooc_courses",
    "mooc_urgency_level",
    "slug_title",
    "write_banking77_brand",
]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

DATASET_FOLDERS: dict[str, str] = {
    "twitter": "ibm_twitter_cdp",
    "goemotions": "goemotions",
    "banking77": "banking77",
    "mooc": "mooc_forum_urgency",
}
"""Name used by :func:`convert_all` → folder of the set under the data root."""


# ------------------------------------------------------------------ shared helpers
def _validated(model: type[M], record: dict[str, Any], source: Path, line: int | None) -> M:
    """``record`` as ``model``; a failure names the input file and line it came from."""
    try:
        return model.model_validate(record)
    except ValidationError as exc:
        raise invalid_input_from_validation(exc, source=source, line=line) from exc


def _write_jsonl(path: Path, items: Iterable[BaseModel]) -> Path:
    """One compact JSON object per line (``None`` and default values left out)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for item in items:
        data = item.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        if "metadata" in data:  # unknown fields last, as a reader expects them
            data["metadata"] = data.pop("metadata")
        lines.append(json.dumps(data, ensure_ascii=False))
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _check_unique(seen: dict[str, str], conversation_id: str, source: Path, line: int) -> None:
    where = f"{source.name}:{line}"
    if conversation_id in seen:
        raise InvalidInputError(
            f"conversation id {conversation_id!r} already produced by {seen[conversation_id]}",
            source=source,
            line=line,
        )
    seen[conversation_id] = where


def _check_limit(limit: int | None) -> None:
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0 or None, not {limit}")


def _fill(stats: dict[str, int] | None, counts: Counter[str], keys: Sequence[str]) -> None:
    if stats is not None:
        for key in keys:
            stats[key] = counts[key]


# Text clean-up, copied from evals/analysis_data.py (``_clean`` and its helpers) so that the
# converted cases hold the same text as the evaluation scripts' loaders.
PLACEHOLDER_NAME = "Alex"
_PLACEHOLDERS = {
    "[NAME]": PLACEHOLDER_NAME,
    "[REDACTED]": PLACEHOLDER_NAME,
    "[RELIGION]": "religious",
}
_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in _PLACEHOLDERS))
# Runs of Latin-1 / Windows-1252 characters: UTF-8 bytes misread as cp1252 ("â€™", "Ã©").
_MOJIBAKE_RUN = re.compile(
    "[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014"
    "\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]{2,}"
)
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\s*\n\s*")


def _cp1252_byte(char: str) -> bytes:
    try:
        return char.encode("cp1252")
    except UnicodeEncodeError:  # C1 controls (bytes cp1252 leaves undefined), e.g. "\x9d"
        return char.encode("latin-1")


def _fix_mojibake_run(match: re.Match[str]) -> str:
    run = match.group(0)
    for _ in range(2):  # some posts were mis-decoded twice ("Ã‚Â")
        try:
            run = b"".join(_cp1252_byte(c) for c in run).decode("utf-8")
        except UnicodeError:
            break
    return run


def _clean(text: str) -> str:
    """Placeholders → words, HTML entities decoded, mojibake repaired, spaces collapsed."""
    text = html.unescape(_PLACEHOLDER.sub(lambda m: _PLACEHOLDERS[m.group(0)], text))
    text = _MOJIBAKE_RUN.sub(_fix_mojibake_run, text)
    return _BLANK_LINES.sub("\n", _SPACES.sub(" ", text)).strip()


# ------------------------------------------------------------------ IBM Twitter customer care
clean_text = _clean  # public name: the evaluation scripts share this clean-up

TWITTER_CHANNEL = "twitter"
_WS = re.compile(r"[ \t\n\r]*")
# Article titles from URLs: copied from evals/twitter_retrieval.py (``slug_title``).
_ARCHIVE = re.compile(r"^(?:https?://)?web\.archive\.org/web/\d+[a-z_]*/", re.IGNORECASE)
_LOCALE = re.compile(r"^[a-z]{2}([-_][a-z]{2})?$", re.IGNORECASE)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_SPLIT = re.compile(r"[-_+.,:;=\s]+")
_EXTENSION = re.compile(r"\.(html?|php|aspx?|jsp)$", re.IGNORECASE)


def _doc_key(doc_id: str) -> str:
    """doc_ids appear both as ``"12"`` and zero-padded ``"0012"``; use the integer form."""
    text = str(doc_id).strip()
    return str(int(text)) if text.isdigit() else text


def _words(segment: str) -> list[str]:
    segment = _EXTENSION.sub("", unquote(segment))
    return [w for w in _SPLIT.split(_CAMEL.sub(" ", segment)) if w]


def slug_title(url: str) -> str:
    """Readable words from a help-article URL (its only available text).

    The path segment with the most words wins (``.../201362463-Wireless-Connection-Issues``
    → ``Wireless Connection Issues``; camel case is split: ``WiFi`` → ``Wi Fi``); numeric ids
    are dropped from it. When
    no segment has two words, the last two segments are kept (``answer 185111``), and
    the host name when the path is empty. Same rule as ``evals/twitter_retrieval.py``.
    """
    parsed = urlparse(_ARCHIVE.sub("", url.strip()))
    if not parsed.netloc:  # no scheme
        parsed = urlparse("https://" + _ARCHIVE.sub("", url.strip()))
    segments = [s for s in parsed.path.split("/") if s and not _LOCALE.match(s)]

    def informative(seg: str) -> int:
        return sum(1 for w in _words(seg) if len(w) >= 3 and not w.isdigit())

    title_words: list[str] = []
    if segments:
        best = max(reversed(segments), key=informative)
        if informative(best) >= 2:
            title_words = [w for w in _words(best) if not (w.isdigit() and len(w) >= 5)]
        else:
            title_words = [w for s in segments[-2:] for w in _words(s)]
    if not title_words:
        host = parsed.netloc.lower().removeprefix("www.").split(":")[0]
        title_words = [p for p in host.split(".")[:-1] if p not in ("support", "help")] or [host]
    return " ".join(title_words)


def _tsv_rows(path: Path) -> Iterable[tuple[int, str, str]]:
    """``(line number, key, value)`` of a two-column TSV file; blank lines skipped."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for line_no, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            key, tab, value = line.partition("\t")
            if not tab or not key.strip() or not value.strip():
                raise InvalidInputError(
                    "expected two tab-separated fields (key<TAB>value)", source=path, line=line_no
                )
            yield line_no, key.strip(), value.strip()


def _read_doc_urls(path: Path) -> dict[str, str]:
    urls: dict[str, str] = {}
    lines: dict[str, int] = {}
    for line_no, doc_id, url in _tsv_rows(path):
        key = _doc_key(doc_id)
        if key in urls and urls[key] != url:
            raise InvalidInputError(
                f"doc_id {doc_id!r} already has another URL on line {lines[key]}",
                source=path,
                line=line_no,
            )
        urls[key], lines[key] = url, line_no
    return urls


def _read_company_docs(path: Path) -> dict[str, list[str]]:
    companies: dict[str, list[str]] = {}
    for line_no, company, ids in _tsv_rows(path):
        if company in companies:
            raise InvalidInputError(f"company {company!r} listed twice", source=path, line=line_no)
        companies[company] = list(dict.fromkeys(_doc_key(i) for i in ids.split(",") if i.strip()))
    return companies


def _json_array_items(path: Path) -> list[tuple[int, Any]]:
    """Items of a JSON array file with the line each item starts on (for error messages)."""
    text = path.read_text(encoding="utf-8-sig")
    decoder = json.JSONDecoder()
    line, counted = 1, 0

    def line_of(pos: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, pos)
        counted = pos
        return line

    def fail(pos: int, message: str) -> InvalidInputError:
        return InvalidInputError(message, source=path, line=line_of(pos))

    pos = _WS.match(text, 0).end()  # type: ignore[union-attr]
    if not text.startswith("[", pos):
        raise fail(pos, "expected a JSON array of conversations")
    pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
    items: list[tuple[int, Any]] = []
    if not text.startswith("]", pos):
        while True:
            try:
                item, end = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                raise fail(exc.pos, f"invalid JSON: {exc.msg}") from exc
            items.append((line_of(pos), item))
            pos = _WS.match(text, end).end()  # type: ignore[union-attr]
            if text.startswith(",", pos):
                pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
            elif text.startswith("]", pos):
                break
            else:
                raise fail(pos, "invalid JSON: expected ',' or ']' after an array item")
    if _WS.match(text, pos + 1).end() != len(text):  # type: ignore[union-attr]
        raise fail(pos + 1, "invalid JSON: extra data after the array")
    return items


def _field(raw: Any, dotted: str, path: Path, line: int) -> Any:
    """``raw[a][b]`` for ``dotted`` = ``a.b``; a missing or empty value is an input error."""
    value = raw
    for part in dotted.split("."):
        if not isinstance(value, dict) or value.get(part) in (None, ""):
            raise InvalidInputError("missing or empty field", source=path, line=line, field=dotted)
        value = value[part]
    return value


def _twitter_turns(
    raw: dict[str, Any], path: Path, line: int, keep_agent_turns: bool
) -> list[dict[str, Any]]:
    """Messages of ``dialogContent``: ``client*`` turns → customer, ``agent`` turns → agent."""
    content = _field(raw, "dialogContent", path, line)
    if not isinstance(content, list):
        raise InvalidInputError("must be a list", source=path, line=line, field="dialogContent")
    messages: list[dict[str, Any]] = []
    for n, turn in enumerate(content):
        if not isinstance(turn, dict):
            raise InvalidInputError(
                "must be an object", source=path, line=line, field=f"dialogContent.{n}"
            )
        role = "agent" if "agent" in turn else "customer"
        text = html.unescape(str(turn.get("message") or "")).strip()
        if not text or (role == "agent" and not keep_agent_turns):
            continue
        message: dict[str, Any] = {"role": role, "text": text}
        if turn.get("datetime"):
            message["created_at"] = turn["datetime"]
        messages.append(message)
    return messages


def convert_twitter(
    root: Path,
    out_dir: Path,
    *,
    history_share: float = 0.5,
    order: Literal["time", "file"] = "time",
    keep_agent_turns: bool = False,
    stats: dict[str, int] | None = None,
) -> list[Path]:
    """Convert the IBM Twitter customer-care set (``root`` = ``ibm_twitter_cdp``).

    Reads ``dev.json`` (a JSON array; per conversation ``dialogHeader.company`` /
    ``sessionID``, ``dialogContent`` turns, ``agentURL`` = the real agent answer
    ``url_utterance`` with the article it linked, ``doc_id``), ``docID_url.tsv``
    (``doc_id<TAB>archived URL``) and ``company_docIDs.tsv`` (``company<TAB>id, id, ...``).
    Writes, under ``out_dir/twitter/``:

    - ``kb.jsonl``: per company of ``company_docIDs.tsv``, one article per doc_id with a
      URL: ``id`` = doc_id, ``title`` = ``body`` = :func:`slug_title` of the URL (the slug is
      the only article text), ``url`` = the archived URL, ``language`` = ``en``,
      ``metadata.tenant`` = the company (a doc_id shared by two companies appears once per
      company: load a tenant's articles by filtering on it);
    - ``history.jsonl``: the earlier ``history_share`` of each company's conversations
      (rounded down): customer turns, then the agent answer (which holds the article link);
    - ``cases.jsonl``: the later ones, customer turns only, ``expected.doc_ids`` = the
      linked doc_id and ``expected.reply`` = the real agent answer.

    "Earlier" is ``order``: ``"time"`` (default) sorts a company's conversations by
    ``dialogHeader.conversationDateTime`` (ties by id), the order of
    ``evals/twitter_retrieval.py``'s time splits, so no case predates the history it is
    matched against;
    ``dev.json`` is *not* in time order (22 of its 24 companies are shuffled), so
    ``"file"`` (the order of ``dev.json``) gives another split. Output lines are grouped by
    company (first appearance in ``dev.json``), in that order within a company.

    Conversations: ``id`` = ``<company>-<sessionID>``, ``tenant`` = the company handle
    (``AppleSupport``), channel ``twitter``. doc_ids are written without zero padding
    (``0012`` → ``12``, as in ``docID_url.tsv``); HTML entities (``&amp;``) are decoded.
    Turns an agent wrote before the linked answer (a few multi-turn conversations) are
    left out like ``evals/twitter_retrieval.py`` does, unless ``keep_agent_turns``.
    Conversations without customer text are dropped. ``stats`` receives ``companies``,
    ``kb_articles``, ``kb_missing_url``, ``history``, ``cases``, ``dropped_no_customer_text``
    and ``cases_doc_not_in_kb`` (cases whose expected doc_id is not in its company's list).
    Returns the three paths.
    """
    if not 0.0 <= history_share <= 1.0:
        raise ValueError(f"history_share must be within [0, 1], not {history_share}")
    if order not in ("time", "file"):
        raise ValueError(f"order must be 'time' or 'file', not {order!r}")
    root, out_dir = Path(root), Path(out_dir)
    urls = _read_doc_urls(root / "docID_url.tsv")
    company_docs = _read_company_docs(root / "company_docIDs.tsv")
    counts: Counter[str] = Counter()

    articles: list[KnowledgeArticle] = []
    kb_ids: dict[str, set[str]] = {}
    for company, doc_ids in company_docs.items():
        kb_ids[company] = set()
        for doc_id in doc_ids:
            url = urls.get(doc_id)
            if url is None:
                counts["kb_missing_url"] += 1
                continue
            title = slug_title(url)
            fields = {
                "id": doc_id,
                "title": title,
                "body": title,
                "url": url,
                "language": "en",
                "metadata": {"tenant": company},
            }
            articles.append(_validated(KnowledgeArticle, fields, root / "docID_url.tsv", None))
            kb_ids[company].add(doc_id)

    dev = root / "dev.json"
    by_company: dict[str, list[tuple[Any, int, dict[str, Any], list[dict[str, Any]]]]] = {}
    seen: dict[str, str] = {}
    for line, raw in _json_array_items(dev):
        if not isinstance(raw, dict):
            raise InvalidInputError("a conversation must be a JSON object", source=dev, line=line)
        company = str(_field(raw, "dialogHeader.company", dev, line)).strip()
        session = str(_field(raw, "dialogHeader.sessionID", dev, line)).strip()
        _field(raw, "agentURL.doc_id", dev, line)
        _field(raw, "agentURL.url_utterance", dev, line)
        _check_unique(seen, f"{company}-{session}", dev, line)
        key: Any = None
        if order == "time":
            stamp = str(_field(raw, "dialogHeader.conversationDateTime", dev, line))
            try:
                moment = datetime.fromisoformat(stamp)
                key = (
                    moment if moment.tzinfo else moment.replace(tzinfo=UTC),
                    f"{company}-{session}",
                )
            except ValueError as exc:
                raise InvalidInputError(
                    f"not an ISO date-time: {stamp!r}",
                    source=dev,
                    line=line,
                    field="dialogHeader.conversationDateTime",
                ) from exc
        messages = _twitter_turns(raw, dev, line, keep_agent_turns)
        if not any(m["role"] == "customer" for m in messages):
            counts["dropped_no_customer_text"] += 1
            continue
        by_company.setdefault(company, []).append((key, line, raw, messages))

    history: list[Conversation] = []
    cases: list[Conversation] = []
    for company, conversations in by_company.items():
        if order == "time":
            conversations.sort(key=lambda item: item[0])
        n_history = math.floor(len(conversations) * history_share + 1e-9)
        for index, (_, line, raw, messages) in enumerate(conversations):
            doc_id = _doc_key(str(raw["agentURL"]["doc_id"]))
            reply = html.unescape(str(raw["agentURL"]["url_utterance"])).strip()
            record: dict[str, Any] = {
                "id": f"{company}-{str(raw['dialogHeader']['sessionID']).strip()}",
                "tenant": company,
                "channel": TWITTER_CHANNEL,
            }
            if index < n_history:
                record["messages"] = [*messages, {"role": "agent", "text": reply}]
                history.append(_validated(Conversation, record, dev, line))
            else:
                record["messages"] = messages
                record["expected"] = {"doc_ids": [doc_id], "reply": reply}
                cases.append(_validated(Conversation, record, dev, line))
                counts["cases_doc_not_in_kb"] += doc_id not in kb_ids.get(company, set())

    counts.update(
        companies=len(by_company), kb_articles=len(articles), history=len(history), cases=len(cases)
    )
    _fill(
        stats,
        counts,
        (
            "companies",
            "kb_articles",
            "kb_missing_url",
            "history",
            "cases",
            "dropped_no_customer_text",
            "cases_doc_not_in_kb",
        ),
    )
    folder = out_dir / "twitter"
    return [
        _write_jsonl(folder / "kb.jsonl", articles),
        _write_jsonl(folder / "history.jsonl", history),
        _write_jsonl(folder / "cases.jsonl", cases),
    ]


# ------------------------------------------------------------------ GoEmotions → mood
# Copied from evals/analysis_data.py (GOEMOTIONS_TO_MOOD; the reasons are in the docstring of
# its ``load_goemotions``).
GOEMOTIONS_TO_MOOD: dict[str, str | None] = {
    "anger": "angry",
    "disgust": "angry",
    "annoyance": "frustrated",
    "disapproval": "frustrated",
    "fear": "anxious",
    "nervousness": "anxious",
    "confusion": "confused",
    "disappointment": "disappointed",
    "sadness": "disappointed",
    "grief": "disappointed",
    "neutral": "neutral",
    "admiration": "positive",
    "amusement": "positive",
    "approval": "positive",
    "caring": "positive",
    "excitement": "positive",
    "gratitude": "positive",
    "joy": "positive",
    "love": "positive",
    "optimism": "positive",
    "pride": "positive",
    "relief": "positive",
    "curiosity": None,
    "desire": None,
    "embarrassment": None,
    "realization": None,
    "remorse": None,
    "surprise": None,
}
"""The 28 GoEmotions labels → mood; ``None`` = no mood evidence."""

GOEMOTIONS_SPLITS = ("train", "dev", "test")


def _goemotions_mood(labels: list[str]) -> tuple[str | None, str]:
    """(mood, reason): the multi-label rule of ``evals/analysis_data.py``."""
    moods = {GOEMOTIONS_TO_MOOD[label] for label in labels}
    ignored = None in moods
    moods.discard(None)
    if not moods:
        return None, "dropped_no_mood"
    if len(moods) > 1:
        return None, "dropped_conflict"
    if moods == {"neutral"} and ignored:
        return None, "dropped_neutral_with_emotion"
    return moods.pop(), "kept"


def convert_goemotions(
    root: Path,
    out_path: Path,
    *,
    split: str = "test",
    limit: int | None = None,
    stats: dict[str, int] | None = None,
) -> Path:
    """GoEmotions comments of ``split`` → cases with ``expected.mood``; returns ``out_path``.

    ``root`` is the ``goemotions`` folder (its ``original/`` taxonomy is read, or ``root``
    itself if it holds ``labels.txt``): ``labels.txt`` (one label a line) and
    ``{split}.tsv`` = ``text<TAB>label ids (comma-separated)<TAB>comment id``.

    Mapping :data:`GOEMOTIONS_TO_MOOD`, multi-label rule as in ``evals/analysis_data.py``:
    labels mapping to ``None`` are ignored; a comment is kept when the remaining labels all
    give the same mood, dropped when they disagree (``dropped_conflict``), when none maps
    (``dropped_no_mood``), or when its only mood is neutral next to an ignored emotion label
    (``dropped_neutral_with_emotion``). Text cleaned like the evaluation loader
    (``[NAME]`` → ``Alex``, entities decoded, spaces collapsed).

    Case: ``id`` = ``goemotions-<comment id>``, channel ``other``, one customer message,
    ``metadata`` = source and the original labels. ``limit`` caps the cases written (the
    first ones in file order). ``stats`` receives ``read``, ``kept``, ``dropped_*``.
    """
    if split not in GOEMOTIONS_SPLITS:
        raise ValueError(f"GoEmotions split must be one of {GOEMOTIONS_SPLITS}, not {split!r}")
    _check_limit(limit)
    root = Path(root)
    folder = root / "original" if (root / "original" / "labels.txt").exists() else root
    labels_file = folder / "labels.txt"
    names = labels_file.read_text(encoding="utf-8").split()
    unknown = sorted(set(names) ^ set(GOEMOTIONS_TO_MOOD))
    if unknown:
        raise InvalidInputError(
            f"labels differ from GOEMOTIONS_TO_MOOD: {unknown}", source=labels_file
        )
    path = folder / f"{split}.tsv"
    counts: Counter[str] = Counter()
    cases: list[Conversation] = []
    seen: dict[str, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for line_no, line in enumerate(handle, start=1):
            if limit is not None and len(cases) >= limit:
                break
            line = line.rstrip("\r\n")
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) != 3:
                raise InvalidInputError(
                    f"expected 3 tab-separated fields (text, label ids, comment id), "
                    f"got {len(parts)}",
                    source=path,
                    line=line_no,
                )
            text, ids, comment_id = parts[0], parts[1], parts[2].strip()
            if not comment_id:
                raise InvalidInputError("empty comment id", source=path, line=line_no)
            try:
                labels = [names[int(i)] for i in ids.split(",")]
            except (ValueError, IndexError) as exc:
                raise InvalidInputError(
                    f"bad label ids {ids!r}", source=path, line=line_no
                ) from exc
            counts["read"] += 1
            mood, reason = _goemotions_mood(labels)
            text = _clean(text)
            if mood is not None and not text:
                reason = "dropped_empty_text"
            counts[reason] += 1
            if reason != "kept":
                continue
            case_id = f"goemotions-{comment_id}"
            _check_unique(seen, case_id, path, line_no)
            record = {
                "id": case_id,
                "channel": "other",
                "messages": [{"role": "customer", "text": text}],
                "expected": {"mood": mood},
                "metadata": {"source": "goemotions", "labels": labels},
            }
            cases.append(_validated(Conversation, record, path, line_no))
    _fill(
        stats,
        counts,
        (
            "read",
            "kept",
            "dropped_no_mood",
            "dropped_conflict",
            "dropped_neutral_with_emotion",
            "dropped_empty_text",
        ),
    )
    return _write_jsonl(Path(out_path), cases)


# ------------------------------------------------------------------ Banking77 → intent
BANKING77_SPLITS = ("train", "test")
BANKING77_BRAND_NAME = "Banking77 demo bank"
_INTENT_NAME_DROP = re.compile(r"[^a-z0-9_.-]+")


def banking77_intent_name(category: str) -> str:
    """The brand intent name of a Banking77 category.

    Intent names must match ``^[a-z0-9_.-]+$`` (``IntentSpec``); 75 of the 77 categories
    already do and are kept as they are. The two others are lower-cased and lose the other
    characters: ``Refund_not_showing_up`` → ``refund_not_showing_up``,
    ``reverted_card_payment?`` → ``reverted_card_payment``.
    """
    name = _INTENT_NAME_DROP.sub("", category.strip().lower())
    if not name:
        raise ValueError(f"category {category!r} gives an empty intent name")
    return name


def _banking77_categories(root: Path) -> list[str] | None:
    path = root / "categories.json"
    if not path.exists():
        return None
    try:
        categories = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"invalid JSON: {exc.msg}", source=path, line=exc.lineno) from exc
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise InvalidInputError("expected a JSON list of category names", source=path)
    names = Counter(banking77_intent_name(c) for c in categories)
    clashes = sorted(n for n, k in names.items() if k > 1)
    if clashes:
        raise InvalidInputError(f"categories collide as intent names: {clashes}", source=path)
    return categories


def _banking77_rows(root: Path, split: str) -> list[tuple[int, str, str]]:
    """``(line, text, category)`` rows of ``{split}.csv``, checked against categories.json."""
    if split not in BANKING77_SPLITS:
        raise ValueError(f"Banking77 split must be one of {BANKING77_SPLITS}, not {split!r}")
    categories = _banking77_categories(root)
    known = set(categories) if categories is not None else None
    path = root / f"{split}.csv"
    rows: list[tuple[int, str, str]] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"text", "category"} - set(reader.fieldnames or ())
        if missing:
            raise InvalidInputError(f"missing column(s) {sorted(missing)}", source=path, line=1)
        for row in reader:
            text = (row.get("text") or "").strip()
            category = (row.get("category") or "").strip()
            if not text:
                raise InvalidInputError(
                    "empty text", source=path, line=reader.line_num, field="text"
                )
            if not category or (known is not None and category not in known):
                raise InvalidInputError(
                    f"category {category!r} is not a Banking77 category (categories.json)",
                    source=path,
                    line=reader.line_num,
                    field="category",
                )
            rows.append((reader.line_num, text, category))
    return rows


def convert_banking77(
    root: Path, out_path: Path, *, split: str = "test", limit: int | None = None
) -> Path:
    """Banking77 queries of ``split`` → cases with ``expected.intent``; returns ``out_path``.

    ``root`` is the ``banking77`` folder: ``{split}.csv`` (``text,category``) and, if
    present, ``categories.json`` (every category must be in it). ``expected.intent`` is the
    category as a brand intent name (:func:`banking77_intent_name`: unchanged except two
    names lower-cased / stripped of ``?``), the same names :func:`banking77_intents`
    declares; ``metadata.category`` keeps the original. Case ``id`` =
    ``banking77-<split>-<row number>`` (1 = first data row), channel ``other``. ``limit``
    caps the cases written, evenly spaced over the file (sorted by category).
    """
    _check_limit(limit)
    root = Path(root)
    rows = _banking77_rows(root, split)
    if limit is not None and len(rows) > limit:  # evenly spaced: the file is sorted by
        step = len(rows) / limit                  # category, every intent stays represented
        rows = [rows[int(i * step)] for i in range(limit)]
    path = root / f"{split}.csv"
    cases = [
        _validated(
            Conversation,
            {
                "id": f"banking77-{split}-{n}",
                "channel": "other",
                "messages": [{"role": "customer", "text": text}],
                "expected": {"intent": banking77_intent_name(category)},
                "metadata": {"source": "banking77", "category": category},
            },
            path,
            line,
        )
        for n, (line, text, category) in enumerate(rows, start=1)
    ]
    return _write_jsonl(Path(out_path), cases)


def banking77_intents(root: Path, shots: int = 10, seed: int = 7) -> list[dict[str, Any]]:
    """Brand intents from Banking77 ``train.csv``: ``[{"name": ..., "examples": [...]}]``.

    One intent per category (order of ``categories.json``, else of first appearance), named
    by :func:`banking77_intent_name`, with ``shots`` example queries drawn at random
    (``random.Random(seed)``, deterministic) among its distinct training queries (fewer if
    the category has fewer). Only ``train`` is read: the test queries stay unseen.
    """
    if shots < 1:
        raise ValueError(f"shots must be >= 1, not {shots}")
    root = Path(root)
    categories = _banking77_categories(root)
    texts: dict[str, list[str]] = {}
    for _, text, category in _banking77_rows(root, "train"):
        bucket = texts.setdefault(category, [])
        if text not in bucket:
            bucket.append(text)
    order = categories if categories is not None else list(texts)
    rng = random.Random(seed)
    intents: list[dict[str, Any]] = []
    for category in order:
        pool = texts.get(category)
        if not pool:
            raise InvalidInputError(
                f"category {category!r} has no training query", source=root / "train.csv"
            )
        examples = rng.sample(pool, min(shots, len(pool)))
        intents.append({"name": banking77_intent_name(category), "examples": examples})
    return intents


def write_banking77_brand(root: Path, out_path: Path, shots: int = 10, *, seed: int = 7) -> Path:
    """Write a ``brand.yaml`` (``name: Banking77 demo bank``, ``default_language: en``,
    the :func:`banking77_intents`), validated as :class:`~replyassist.brand.BrandVoice`.

    The file starts with an attribution comment (Banking77 is CC BY 4.0)."""
    data = {
        "name": BANKING77_BRAND_NAME,
        "default_language": "en",
        "intents": banking77_intents(root, shots=shots, seed=seed),
    }
    BrandVoice.model_validate(data)
    header = (
        "# Demo brand for intent evaluation, generated by replyassist.evals.converters.\n"
        f"# Intents and examples ({shots} per intent, seed {seed}) from the Banking77 training\n"
        "# set: PolyAI task-specific-datasets (Casanueva et al., 2020), CC BY 4.0.\n"
    )
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(
        header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8",
    )
    return out_path


# ------------------------------------------------------------------ MOOC forum → urgency
# Copied from evals/analysis_data.py (MOOC_URGENCY_TO_LEVEL, MOOC_TEST_COURSES): codes 1–3 need
# nothing resolved (low), 4–5 are questions to handle (normal), 6–7 are students blocked now
# (high). ``critical`` is a different axis the coders did not rate: no post maps to it.
MOOC_URGENCY_TO_LEVEL: dict[int, str] = {
    1: "low",
    2: "low",
    3: "low",
    4: "normal",
    5: "normal",
    6: "high",
    7: "high",
}
"""Coders' urgency code (1 = no reason to read … 7 = extremely urgent) → urgency level."""

MOOC_TEST_COURSES: tuple[str, ...] = ("acc", "global")
"""The courses the evaluation scripts hold back (the shipped heads train on the others)."""

_MOOC_FILE = re.compile(r"^(?P<course>[a-z]+)(?P<half>\d+)_CODED\.csv$")


def mooc_urgency_level(code: float) -> str:
    """Urgency level of a 1–7 code; a fractional code (an average) is rounded half up."""
    if not 1 <= code <= 7:
        raise ValueError(f"urgency code out of 1–7: {code}")
    return MOOC_URGENCY_TO_LEVEL[math.floor(code + 0.5)]


def mooc_courses(root: Path) -> list[str]:
    """Courses found under ``root`` (``acc1_CODED.csv`` + ``acc2_CODED.csv`` → ``acc``)."""
    return sorted({m["course"] for p in Path(root).iterdir() if (m := _MOOC_FILE.match(p.name))})


def _mooc_created_at(raw: str, path: Path, line: int) -> str | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return datetime.fromtimestamp(float(raw), tz=UTC).isoformat().replace("+00:00", "Z")
    except (ValueError, OverflowError, OSError) as exc:
        raise InvalidInputError(
            f"post_time {raw!r} is not a Unix time", source=path, line=line, field="post_time"
        ) from exc


def convert_mooc(
    root: Path,
    out_path: Path,
    *,
    courses: list[str] | None = None,
    limit: int | None = None,
    stats: dict[str, int] | None = None,
) -> Path:
    """Course-forum posts → cases with ``expected.urgency``; returns ``out_path``.

    ``root`` is the ``mooc_forum_urgency`` folder: ``{course}{half}_CODED.csv`` with
    ``id,post_time,post_text,Urgency_1_7`` (the halves are two coders' different posts of
    the same course). ``courses`` = the courses to read (default: all found, see
    :func:`mooc_courses`; the evaluation scripts test on :data:`MOOC_TEST_COURSES`).
    Urgency by :data:`MOOC_URGENCY_TO_LEVEL` (1–3 low, 4–5 normal, 6–7 high; ``4.0`` is 4,
    a fractional code is rounded half up, a code outside 1–7 is an error).

    Case: ``id`` = ``mooc-<course><half>-<post id>`` (``mooc-acc1-378``: post ids repeat
    between the two halves of a course, so the half is part of the id), channel ``other``,
    one customer message (``created_at`` = ``post_time``), text cleaned like the evaluation
    loader (``[REDACTED]`` → ``Alex``, entities decoded, mojibake repaired), ``metadata`` =
    source, course and the original code. Rows without a code or without text are dropped.
    ``limit`` caps the cases written. ``stats`` receives ``read``, ``kept``,
    ``dropped_no_code``, ``dropped_empty_text``.
    """
    _check_limit(limit)
    root = Path(root)
    available = mooc_courses(root)
    wanted = list(courses) if courses is not None else available
    unknown = [c for c in wanted if c not in available]
    if unknown:
        raise ValueError(f"unknown course(s) {unknown} in {root}; available: {available}")
    files = sorted(
        (wanted.index(m["course"]), int(m["half"]), m["course"], m["half"], p)
        for p in root.iterdir()
        if (m := _MOOC_FILE.match(p.name)) and m["course"] in wanted
    )
    counts: Counter[str] = Counter()
    cases: list[Conversation] = []
    seen: dict[str, str] = {}
    for _, _, course, half, path in files:
        if limit is not None and len(cases) >= limit:
            break
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"id", "post_time", "post_text", "Urgency_1_7"} - set(reader.fieldnames or ())
            if missing:
                raise InvalidInputError(f"missing column(s) {sorted(missing)}", source=path, line=1)
            for row in reader:
                if limit is not None and len(cases) >= limit:
                    break
                line = reader.line_num
                counts["read"] += 1
                if None in row:  # more fields than the header
                    raise InvalidInputError(
                        "more fields than the header's 4", source=path, line=line
                    )
                raw_code = (row["Urgency_1_7"] or "").strip()
                if not raw_code:
                    counts["dropped_no_code"] += 1
                    continue
                try:
                    code = float(raw_code)
                    level = mooc_urgency_level(code)
                except ValueError as exc:
                    raise InvalidInputError(
                        f"Urgency_1_7 {raw_code!r}: {exc}",
                        source=path,
                        line=line,
                        field="Urgency_1_7",
                    ) from exc
                text = _clean(row["post_text"] or "")
                if not text:
                    counts["dropped_empty_text"] += 1
                    continue
                post_id = (row["id"] or "").strip()
                if not post_id:
                    raise InvalidInputError("empty post id", source=path, line=line, field="id")
                case_id = f"mooc-{course}{half}-{post_id}"
                _check_unique(seen, case_id, path, line)
                message: dict[str, Any] = {"role": "customer", "text": text}
                created_at = _mooc_created_at(row["post_time"] or "", path, line)
                if created_at:
                    message["created_at"] = created_at
                record = {
                    "id": case_id,
                    "channel": "other",
                    "messages": [message],
                    "expected": {"urgency": level},
                    "metadata": {
                        "source": "mooc_forum_urgency",
                        "course": course,
                        "urgency_code": int(code) if code.is_integer() else code,
                    },
                }
                cases.append(_validated(Conversation, record, path, line))
                counts["kept"] += 1
    _fill(stats, counts, ("read", "kept", "dropped_no_code", "dropped_empty_text"))
    return _write_jsonl(Path(out_path), cases)


# ------------------------------------------------------------------ everything found
def convert_all(
    data_root: Path, out_dir: Path, *, limit: int | None = None
) -> dict[str, list[Path]]:
    """Convert every set of :data:`DATASET_FOLDERS` found under ``data_root``.

    Returns ``{name: written paths}`` for the four names; a set whose folder is missing is
    skipped, reported by an empty list and a logged warning naming the folder. Outputs:
    ``twitter/{kb,history,cases}.jsonl``, ``goemotions/cases.jsonl`` (test split),
    ``banking77/cases.jsonl`` (test split) + ``banking77/brand.yaml``,
    ``mooc/cases.jsonl`` (the held-back :data:`MOOC_TEST_COURSES` found, else every
    course). ``limit`` caps the cases of GoEmotions, Banking77 and MOOC; the Twitter split
    needs every conversation, so it is not limited.
    """
    data_root, out_dir = Path(data_root), Path(out_dir)
    results: dict[str, list[Path]] = {}
    missing: list[str] = []
    for name, folder in DATASET_FOLDERS.items():
        source = data_root / folder
        if not source.is_dir():
            missing.append(folder)
            results[name] = []
            continue
        if name == "twitter":
            results[name] = convert_twitter(source, out_dir)
        elif name == "goemotions":
            results[name] = [
                convert_goemotions(source, out_dir / "goemotions" / "cases.jsonl", limit=limit)
            ]
        elif name == "banking77":
            results[name] = [
                convert_banking77(source, out_dir / "banking77" / "cases.jsonl", limit=limit),
                write_banking77_brand(source, out_dir / "banking77" / "brand.yaml"),
            ]
        else:
            held_back = [c for c in MOOC_TEST_COURSES if c in mooc_courses(source)]
            results[name] = [
                convert_mooc(
                    source, out_dir / "mooc" / "cases.jsonl", courses=held_back or None, limit=limit
                )
            ]
    if missing:
        log.warning("skipped missing data folder(s) under %s: %s", data_root, ", ".join(missing))
    return results
