"""What a rewrite must keep: quoted lines (``>``), text in quotation marks, links and
the signature block. :func:`protected` finds them in the agent's text, :func:`missing`
tells what a rewrite lost and :func:`restore` puts back what can be put back (quoted
blocks, links, the signature); a lost inline quotation cannot be put back."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..guardrails.channels import CLOSING, split_sign_off

__all__ = ["Missing", "Protected", "missing", "protected", "restore", "split_signature"]

_URL = re.compile(r"https?://[^\s<>\"'«»“”)\]]+|(?<![\w/.@])www\.[\w-]+(?:\.[\w-]+)+[^\s<>\"'«»“”)\]]*",
                  re.IGNORECASE)
_TRAILING = ".,;:!?"
_QUOTES = re.compile(r"«\s*([^«»\n]{2,300}?)\s*»|“([^“”\n]{2,300}?)”|\"([^\"\n]{2,300}?)\"")
_DELIMITER = re.compile(r"^--\s*$")
_SIGNATURE_LINE = 50


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def urls(text: str) -> list[str]:
    return list(dict.fromkeys(m.group(0).rstrip(_TRAILING) for m in _URL.finditer(text)))


def split_signature(text: str) -> tuple[str, str]:
    """(body, signature block): after a ``--`` line, a known sign-off (``Cordialement,``,
    ``Kind regards,``…) with the lines after it, or a last short paragraph of name-like
    lines (no sentence punctuation, no link) after a blank line."""
    lines = text.rstrip().split("\n")
    for index in range(len(lines) - 1, -1, -1):
        if _DELIMITER.match(lines[index]) and len(lines) - index <= 8:
            return "\n".join(lines[:index]).rstrip(), "\n".join(lines[index:]).strip()
    body, block = split_sign_off(text.rstrip())
    if block:
        return body, block
    paragraphs = re.split(r"\n[ \t]*\n", text.rstrip())
    if len(paragraphs) > 1:
        last = [line.strip() for line in paragraphs[-1].split("\n") if line.strip()]
        if 0 < len(last) <= 4 and any(map(_name_like, last)) and all(
                len(line) <= _SIGNATURE_LINE and not line.startswith(">")
                and not re.search(r"[.?!:;]$", line) and not _URL.search(line)
                for line in last):
            return "\n\n".join(paragraphs[:-1]).rstrip(), "\n".join(last)
    return text.rstrip(), ""


_ROLE = re.compile(r"\b(?:service|team|équipe|support|conseill\w*|advisor|agent|care"
                   r"|relation client|customer)\b", re.IGNORECASE)


def _name_like(line: str) -> bool:
    """A name or a role line (``Tom``, ``Marie Dupont``, ``Service client``), not a
    sentence without its full stop (``votre colis part demain``)."""
    words = re.findall(r"[^\W\d_][\w'’-]*", line)
    if not words or len(words) > 6:
        return False
    capitalised = sum(w[0].isupper() for w in words)
    return capitalised * 2 >= len(words) + 1 or bool(_ROLE.search(line))


def identity_lines(signature: str) -> list[str]:
    """The lines of a signature block that say who writes (not the closing formula,
    which a change of tone or a translation may reword)."""
    return [line.strip() for line in signature.split("\n")
            if line.strip() and not _DELIMITER.match(line) and not CLOSING.match(line.strip())]


def quoted_blocks(text: str) -> list[str]:
    """Runs of consecutive lines starting with ``>`` (quoted messages)."""
    blocks: list[list[str]] = []
    previous = False
    for line in text.split("\n"):
        quoted = line.lstrip().startswith(">")
        if quoted:
            if previous:
                blocks[-1].append(line.rstrip())
            else:
                blocks.append([line.rstrip()])
        previous = quoted
    return ["\n".join(block) for block in blocks]


def inline_quotes(text: str) -> list[str]:
    """Text in « », “ ” or "" outside quoted lines (the inner text)."""
    plain = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith(">"))
    found = [next(g for g in m.groups() if g) for m in _QUOTES.finditer(plain)]
    return list(dict.fromkeys(_squash(q) for q in found if _squash(q)))


@dataclass
class Protected:
    blocks: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    signature: str = ""  # the whole block
    identity: list[str] = field(default_factory=list)  # its lines that must stay
    blocks_first: bool = False  # the text starts with its quoted block
    blocks_last: bool = False  # the quoted block comes after the signature

    def keep_list(self) -> list[str]:
        """What the prompt lists as "must appear unchanged"."""
        return [*self.urls, *(f"«{q}»" for q in self.quotes), *self.identity]


def protected(text: str) -> Protected:
    blocks = quoted_blocks(text)
    body_without_blocks = "\n".join(line for line in text.split("\n")
                                    if not line.lstrip().startswith(">"))
    _, signature = split_signature(body_without_blocks)
    stripped = text.lstrip()
    first = bool(blocks) and stripped.startswith(blocks[0].lstrip())
    last = bool(blocks) and bool(signature) and \
        text.rfind(blocks[-1]) > text.rfind(signature.split("\n")[-1])
    return Protected(blocks=blocks, quotes=inline_quotes(text), urls=urls(text),
                     signature=signature, identity=identity_lines(signature),
                     blocks_first=first, blocks_last=last)


@dataclass
class Missing:
    blocks: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    identity: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.blocks or self.quotes or self.urls or self.identity)

    def describe(self) -> str:
        parts = [f"{len(self.blocks)} quoted block(s)"] if self.blocks else []
        parts += [f"quotation «{q[:40]}»" for q in self.quotes]
        parts += [f"link {u}" for u in self.urls]
        if self.identity:
            parts.append("signature")
        return ", ".join(parts)


def missing(kept: Protected, text: str) -> Missing:
    squashed = _squash(text)
    quoted = {_squash(b) for b in quoted_blocks(text)}
    return Missing(
        blocks=[b for b in kept.blocks if _squash(b) not in quoted
                and _squash(b) not in squashed],
        quotes=[q for q in kept.quotes if q not in squashed],
        urls=[u for u in kept.urls if u not in text],
        identity=[line for line in kept.identity if _squash(line) not in squashed])


def restore(kept: Protected, text: str, lost: Missing) -> str:
    """``text`` with the lost quoted blocks, links and signature put back (inline
    quotations are not: see :func:`missing` afterwards)."""
    body, signature = split_signature(text)
    if lost.identity:
        closing = [line for line in signature.split("\n") if CLOSING.match(line.strip())] \
            or [line for line in kept.signature.split("\n") if CLOSING.match(line.strip())]
        signature = "\n".join([*closing, *kept.identity])
    if lost.urls:  # at the end of the body (not at a line start: tidying capitalises)
        body = body.rstrip() + " " + " ".join(lost.urls)
    head: list[str] = []
    tail: list[str] = []
    for block in lost.blocks:
        (head if kept.blocks_first else tail).append(block)
    parts = ["\n\n".join(head), body.strip()]
    if kept.blocks_last:
        parts += [signature, "\n\n".join(tail)]
    else:
        parts += ["\n\n".join(tail), signature]
    return "\n\n".join(p for p in parts if p.strip())
