"""Exporting a response library (our own JSON/CSV records, or Zendesk macros) and reading
review decisions back from an edited export.

- ``json``: a list of records ``{id, language, kind, status, text, edited_text, support,
  channels, doc_ids}`` (``channels``: the channels it was given in, most used first);
- ``csv``: the same columns, lists joined by ``;`` (UTF-8, one header row);
- ``zendesk``: ``{"macros": [...]}`` as Zendesk's Macros API documents a macro (``title``,
  ``actions: [{"field": "comment_value", "value": …}]``, ``active``, ``description``).
  ``{name}`` becomes Zendesk's ``{{ticket.requester.first_name}}``; the other slots stay
  visible as ``[order_id]``… (the description says to fill them in); only approved
  replies are active; blocked replies are never exported as macros.

:func:`read_review_file` reads an edited ``json`` or ``csv`` export back as review
decisions (``id`` + ``status`` and/or ``edited_text``); every record is checked before
any is returned, and the first bad one raises an :class:`InvalidInputError` naming the
file, the line (CSV: the row's line; JSON: the list index + 1) and the field.
:func:`import_review` applies them to a tenant's library, all or nothing (unknown ids
are found before anything is written), and only where they change something.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from ..errors import InvalidInputError
from .models import LibraryReply, ReplyEdit, ReplyStatus
from .store import LibraryStore

__all__ = ["EXPORT_COLUMNS", "MEDIA_TYPES", "ExportFormat", "ReviewImport", "export_replies",
           "import_review", "read_review_file", "zendesk_text"]

ExportFormat = Literal["json", "csv", "zendesk"]

EXPORT_COLUMNS = ("id", "language", "kind", "status", "text", "edited_text", "support",
                  "channels", "doc_ids")
MEDIA_TYPES: dict[str, str] = {"json": "application/json", "csv": "text/csv; charset=utf-8",
                               "zendesk": "application/json"}
_STATUSES: tuple[str, ...] = get_args(ReplyStatus)
_SLOT = re.compile(r"\{([a-z][a-z_]*)\}")
_NAME_PLACEHOLDER = "{{ticket.requester.first_name}}"
_TITLE_CHARS = 60
# cells a spreadsheet would run as a formula (CSV injection): quoted with a leading '
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MAX_EDIT = 4000


# ---------------------------------------------------------------------- export
def _channels(reply: LibraryReply) -> list[str]:
    return [c for c, _ in sorted(reply.channels.items(), key=lambda kv: (-kv[1], kv[0]))]


def _record(reply: LibraryReply) -> dict[str, Any]:
    return {"id": reply.id, "language": reply.language, "kind": reply.kind,
            "status": reply.status, "text": reply.text, "edited_text": reply.edited_text,
            "support": reply.support, "channels": _channels(reply),
            "doc_ids": list(reply.doc_ids)}


def _cell(value: str | None) -> str:
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value


def zendesk_text(text: str) -> tuple[str, list[str]]:
    """``text`` with ``{name}`` as Zendesk's placeholder and the other slots visible as
    ``[slot]``; and those other slots, in order of appearance."""
    others: list[str] = []

    def swap(match: re.Match[str]) -> str:
        slot = match.group(1)
        if slot == "name":
            return _NAME_PLACEHOLDER
        if slot not in others:
            others.append(slot)
        return f"[{slot}]"

    return _SLOT.sub(swap, text), others


def _macro(reply: LibraryReply) -> dict[str, Any]:
    value, others = zendesk_text(reply.current_text)
    # the title names slots as [slot]; "::" would open a category level in Zendesk
    short = " ".join(_SLOT.sub(r"[\1]", reply.current_text).split()).replace("::", ":")
    if len(short) > _TITLE_CHARS:
        short = short[:_TITLE_CHARS - 1].rstrip() + "…"
    description = (f"replyassist response library {reply.id} ({reply.language}, "
                   f"{reply.kind}, {reply.status}; given in {reply.support} past "
                   f"conversation{'s' if reply.support != 1 else ''}).")
    if others:
        description += (" Fill in before sending: " + ", ".join(f"[{s}]" for s in others)
                        + " (no Zendesk placeholder for "
                        + ("it" if len(others) == 1 else "them") + ").")
    return {"title": f"Library::{reply.language}::{reply.kind}::{short}",
            "actions": [{"field": "comment_value", "value": value}],
            "active": reply.status == "approved", "description": description}


def export_replies(replies: Iterable[LibraryReply], format: ExportFormat | str) -> str:
    """The replies as a ``json``, ``csv`` or ``zendesk`` document (see the module doc)."""
    replies = list(replies)
    if format == "json":
        return json.dumps([_record(r) for r in replies], ensure_ascii=False, indent=2) + "\n"
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        for reply in replies:
            record = _record(reply)
            writer.writerow([record["id"], record["language"], record["kind"],
                             record["status"], _cell(record["text"]),
                             _cell(record["edited_text"]), record["support"],
                             ";".join(record["channels"]), ";".join(record["doc_ids"])])
        return out.getvalue()
    if format == "zendesk":
        macros = [_macro(r) for r in replies if r.status != "blocked"]
        return json.dumps({"macros": macros}, ensure_ascii=False, indent=2) + "\n"
    raise InvalidInputError(f"unknown export format {format!r} (json, csv or zendesk)",
                            field="format")


# ---------------------------------------------------------------------- import
def _uncell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_START) \
        else value


_Decision = tuple[int, str, ReplyEdit]  # (line, reply id, edit)


def _decision(source: str, line: int, raw_id: Any, raw_status: Any, raw_text: Any,
              seen: dict[str, int]) -> _Decision | None:
    """One record's decision; ``None`` when it decides nothing (no status, no edit)."""
    def bad(message: str, name: str) -> InvalidInputError:
        return InvalidInputError(message, source=source, line=line, field=name)

    if not isinstance(raw_id, str) or not raw_id.strip():
        raise bad("every record needs the id of a library reply", "id")
    reply_id = raw_id.strip()
    if reply_id in seen:
        raise bad(f"duplicate id {reply_id!r} (also on line {seen[reply_id]})", "id")
    seen[reply_id] = line
    status: str | None = None
    if raw_status is not None:
        if not isinstance(raw_status, str):
            raise bad(f"status must be one of {', '.join(_STATUSES)}", "status")
        status = raw_status.strip().lower() or None
        if status is not None and status not in _STATUSES:
            raise bad(f"unknown status {raw_status!r}: use one of {', '.join(_STATUSES)}",
                      "status")
    edited: str | None = None
    if raw_text is not None:
        if not isinstance(raw_text, str):
            raise bad("edited_text must be a string (or empty: no edit)", "edited_text")
        edited = raw_text.strip() or None
        if edited is not None and len(edited) > _MAX_EDIT:
            raise bad(f"edited_text is longer than {_MAX_EDIT} characters", "edited_text")
    if status is None and edited is None:
        return None
    return line, reply_id, ReplyEdit.model_validate({"status": status, "edited_text": edited})


def _read_json(source: str, text: str) -> list[_Decision]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"not valid JSON ({exc.msg}, column {exc.colno}); expected "
                                "the list of records of a json export", source=source,
                                line=exc.lineno) from exc
    if isinstance(data, dict) and "macros" in data:
        raise InvalidInputError("a zendesk export cannot be imported: import a json or csv "
                                "export", source=source, line=1)
    if not isinstance(data, list):
        raise InvalidInputError("expected a JSON list of records (a json export)",
                                source=source, line=1)
    decisions: list[_Decision] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise InvalidInputError("each record must be a JSON object", source=source,
                                    line=index + 1)
        decision = _decision(source, index + 1, item.get("id"), item.get("status"),
                             item.get("edited_text"), seen)
        if decision is not None:
            decisions.append(decision)
    return decisions


def _read_csv(source: str, text: str) -> list[_Decision]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise InvalidInputError("empty file: expected the header row of a csv export",
                                    source=source, line=1)
        columns = [h.strip().lower() for h in header]
        if "id" not in columns:
            raise InvalidInputError("no 'id' column in the header row", source=source,
                                    line=1, field="id")
        if "status" not in columns and "edited_text" not in columns:
            raise InvalidInputError("no 'status' or 'edited_text' column in the header row",
                                    source=source, line=1, field="status")
        where: dict[str, int] = {name: columns.index(name)
                                 for name in ("id", "status", "edited_text")
                                 if name in columns}
        decisions: list[_Decision] = []
        seen: dict[str, int] = {}
        while True:
            line = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                break
            if not any(value.strip() for value in row):
                continue  # a blank line

            def cell(name: str, row: list[str] = row) -> str | None:
                position = where.get(name)
                return row[position] if position is not None and position < len(row) \
                    else None

            raw_text = cell("edited_text")
            decision = _decision(source, line, cell("id") or "", cell("status"),
                                 _uncell(raw_text) if raw_text is not None else None, seen)
            if decision is not None:
                decisions.append(decision)
    except csv.Error as exc:
        raise InvalidInputError(f"malformed CSV ({exc})", source=source,
                                line=reader.line_num or 1) from exc
    return decisions


def _read(path: str | Path) -> tuple[str, list[_Decision]]:
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise InvalidInputError("no such file", source=source)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                                source=source) from exc
    except OSError as exc:
        raise InvalidInputError(f"cannot be read ({exc.strerror})", source=source) from exc
    suffix = path.suffix.lower()
    if suffix == ".json" or (suffix != ".csv" and text.lstrip()[:1] in ("[", "{")):
        return source, _read_json(source, text)
    return source, _read_csv(source, text)


def read_review_file(path: str | Path) -> list[tuple[str, ReplyEdit]]:
    """Review decisions ``(reply id, edit)`` from an edited ``json`` or ``csv`` export.

    The format comes from the extension (``.json``, ``.csv``), else from the content.
    An empty ``status`` or ``edited_text`` means "no change"; records deciding nothing
    are left out; ``text`` and the other columns are ignored. All records are checked
    first: a bad one raises :class:`InvalidInputError` (file, line, field) and nothing is
    returned. The caller stamps ``reviewed_by``."""
    return [(reply_id, edit) for _, reply_id, edit in _read(path)[1]]


@dataclass
class ReviewImport:
    """What :func:`import_review` did: ``applied`` the replies it changed, ``unchanged``
    the decisions the library already had."""

    source: str
    applied: list[LibraryReply] = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> str:
        return (f"{self.source}: {len(self.applied)} replies updated, {self.unchanged} "
                "unchanged")


def _changes(reply: LibraryReply, edit: ReplyEdit) -> bool:
    return (edit.status is not None and edit.status != reply.status) or \
        (edit.edited_text is not None and edit.edited_text != reply.edited_text)


def import_review(store: LibraryStore, tenant: str, path: str | Path, *,
                  reviewed_by: str | None = None) -> ReviewImport:
    """Apply the review decisions of an edited export, all or nothing: the file is read
    and every id looked up first (an unknown id is an :class:`InvalidInputError` naming
    the file, line and ``id``); then only the decisions that change a reply are applied
    (re-importing an unedited export changes nothing)."""
    source, decisions = _read(path)
    current = {r.id: r for r in store.replies(tenant)}
    for line, reply_id, _ in decisions:
        if reply_id not in current:
            raise InvalidInputError(f"no library reply {reply_id!r} for tenant {tenant!r}",
                                    source=source, line=line, field="id")
    result = ReviewImport(source=source)
    for _, reply_id, edit in decisions:
        if not _changes(current[reply_id], edit):
            result.unchanged += 1
            continue
        result.applied.append(store.review(tenant, reply_id, edit.model_copy(
            update={"reviewed_by": reviewed_by or edit.reviewed_by})))
    return result
