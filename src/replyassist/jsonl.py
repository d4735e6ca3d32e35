"""Reading contract objects from JSON / JSONL with errors that name file, line and field."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import InvalidInputError

__all__ = ["OnError", "ParsedLine", "invalid_input_from_validation", "read_records"]

M = TypeVar("M", bound=BaseModel)
OnError = Literal["skip", "stop"]


@dataclass(frozen=True)
class ParsedLine(Generic[M]):
    line: int
    value: M | None
    error: InvalidInputError | None = None


def invalid_input_from_validation(
    exc: ValidationError, *, source: str | Path | None, line: int | None
) -> InvalidInputError:
    """Turn a pydantic error into one that names the first offending field."""
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    message = first["msg"]
    if first["type"] == "literal_error":
        message = f"unknown value {first.get('input')!r}: {first['msg'].lower()}"
    extra = len(exc.errors()) - 1
    if extra:
        message += f" (and {extra} more error{'s' if extra > 1 else ''})"
    return InvalidInputError(message, source=source, line=line, field=field)


def read_records(
    source: str | Path | IO[bytes],
    model: type[M],
    *,
    name: str | None = None,
) -> Iterator[ParsedLine[M]]:
    """Yield one :class:`ParsedLine` per record of a JSONL file, a JSON file or a stream.

    A ``.json`` file may hold one object or a list of objects. Errors are yielded, not
    raised, so the caller decides to skip or stop (``--on-error``). Blank lines are ignored.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        label = name or str(path)
        try:
            handle: IO[bytes] = path.open("rb")
        except OSError as exc:
            raise InvalidInputError(f"cannot read file: {exc.strerror}", source=label) from exc
        with handle:
            if path.suffix == ".json":
                yield from _read_json_document(handle.read(), model, label)
            else:
                yield from _read_jsonl(enumerate(handle, start=1), model, label)
        return
    label = name or "<stdin>"
    data = source.read()
    stripped = data.lstrip()
    if stripped.startswith(b"[") or (stripped.startswith(b"{") and _is_single_document(data)):
        yield from _read_json_document(data, model, label)
    else:
        yield from _read_jsonl(enumerate(data.splitlines(keepends=True), start=1), model, label)


def _is_single_document(data: bytes) -> bool:
    try:
        json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return False
    return True


def _read_json_document(data: bytes, model: type[M], label: str) -> Iterator[ParsedLine[M]]:
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        error = InvalidInputError(f"not UTF-8 text (byte {exc.start})", source=label)
        yield ParsedLine(1, None, error)
        return
    except json.JSONDecodeError as exc:
        yield ParsedLine(exc.lineno, None, InvalidInputError(f"malformed JSON: {exc.msg}",
                                                             source=label, line=exc.lineno))
        return
    items: Iterable[object] = document if isinstance(document, list) else [document]
    for index, item in enumerate(items, start=1):
        yield _validate(item, model, label, index)


def _read_jsonl(
    lines: Iterable[tuple[int, bytes]], model: type[M], label: str
) -> Iterator[ParsedLine[M]]:
    for number, raw in lines:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield ParsedLine(number, None, InvalidInputError(
                f"not UTF-8 text (byte {exc.start}): binary data?", source=label, line=number))
            continue
        if not text.strip():
            continue
        try:  # fast path: pydantic parses and validates in one pass
            yield ParsedLine(number, model.model_validate_json(raw))
            continue
        except ValidationError:
            pass  # slow path below, for an error message that names line and field
        try:
            item = json.loads(text)
        except json.JSONDecodeError as exc:
            yield ParsedLine(number, None, InvalidInputError(
                f"malformed JSON: {exc.msg} (column {exc.colno})", source=label, line=number))
            continue
        yield _validate(item, model, label, number)


def _validate(item: object, model: type[M], label: str, line: int) -> ParsedLine[M]:
    if not isinstance(item, dict):
        return ParsedLine(line, None, InvalidInputError(
            f"expected a JSON object, got {type(item).__name__}", source=label, line=line))
    try:
        return ParsedLine(line, model.model_validate(item))
    except ValidationError as exc:
        return ParsedLine(line, None, invalid_input_from_validation(exc, source=label, line=line))
