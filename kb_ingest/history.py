"""Past conversations → exchanges: the customer context before an agent turn → the answer.

Personal data is scrubbed from both sides before anything is embedded or stored, and
links from the answer to known knowledge articles are recorded (``linked_doc_ids``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from replyassist.guardrails.pii import PIIScrubber
from replyassist.models import Conversation

__all__ = ["Exchange", "conversation_exchanges", "normalize_url"]

_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)
_ARCHIVE = re.compile(r"^(?:https?://)?web\.archive\.org/web/\d+[a-z_]*/", re.IGNORECASE)


def normalize_url(url: str) -> str:
    """Compare URLs loosely: no scheme, ``www.``, archive prefix, query, fragment, slash."""
    value = _ARCHIVE.sub("", url.strip())
    value = re.sub(r"^https?://", "", value, flags=re.IGNORECASE)
    value = re.sub(r"^www\.", "", value, flags=re.IGNORECASE)
    value = value.split("#", 1)[0].split("?", 1)[0]
    return value.rstrip("/.,;:!").lower()


@dataclass(frozen=True)
class Exchange:
    id: str
    conversation_id: str
    turn: int
    channel: str
    language: str
    context: str  # scrubbed customer text before the answer (what is embedded)
    answer: str  # scrubbed agent answer
    linked_doc_ids: list[str] = field(default_factory=list)
    created_at: str | None = None

    def metadata(self) -> dict[str, object]:
        return {
            "conversation_id": self.conversation_id,
            "turn": self.turn,
            "channel": self.channel,
            "language": self.language,
            "answer": self.answer,
            "linked_doc_ids": self.linked_doc_ids,
            "created_at": self.created_at,
        }


def conversation_exchanges(
    conversation: Conversation,
    *,
    scrubber: PIIScrubber,
    detect_language: Callable[[str, str | None], str],
    url_to_doc: Mapping[str, str],
    max_context_turns: int = 3,
) -> list[Exchange]:
    """One exchange per agent turn that follows at least one customer turn."""
    names = [conversation.customer.name] if conversation.customer and \
        conversation.customer.name else []
    locale = conversation.customer.locale if conversation.customer else None
    default_language = locale.split("-")[0].lower() if locale else None
    exchanges: list[Exchange] = []
    pending: list[str] = []
    for turn, message in enumerate(conversation.messages):
        if message.role == "customer":
            pending.append(message.text)
            continue
        if message.role != "agent" or not pending:
            continue  # notes and bot turns are never learnt from
        context = scrubber.scrub("\n".join(pending[-max_context_turns:]), names=names).text
        answer = scrubber.scrub(message.text, names=names).text
        linked = sorted({url_to_doc[u] for u in (normalize_url(m) for m in _URL.findall(
            message.text)) if u in url_to_doc})
        digest = hashlib.sha1("\x1f".join(
            [conversation.tenant, conversation.id, str(turn), context, answer]).encode())
        exchanges.append(Exchange(
            id=f"{conversation.id}#{turn}-{digest.hexdigest()[:12]}",
            conversation_id=conversation.id,
            turn=turn,
            channel=conversation.channel,
            language=detect_language(context, default_language),
            context=context,
            answer=answer,
            linked_doc_ids=linked,
            created_at=message.created_at.isoformat() if message.created_at else None,
        ))
        pending = []
    return exchanges
