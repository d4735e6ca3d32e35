"""Past conversations → exchanges: the customer context before an agent turn → the answer.

Personal data is scrubbed from both sides before anything is embedded or stored, and
links from the answer to known knowledge articles are recorded (``linked_doc_ids``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field

from replyassist.guardrails.pii import PIIScrubber
from replyassist.links import URL as _URL
from replyassist.links import normalize_url
from replyassist.models import Conversation

__all__ = ["EXCHANGE_FORMAT", "Exchange", "conversation_exchanges", "normalize_url"]

# Part of every exchange id: bump it when scrubbing or exchange building changes, so a
# re-ingest rewrites the exchanges instead of skipping them.
EXCHANGE_FORMAT = "exchange-v2"  # v2: names and signatures found without customer.name

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
    url_to_doc: Mapping[str, list[str]],
    known_ids: Container[str] = frozenset(),
    max_context_turns: int = 3,
) -> tuple[list[Exchange], int]:
    """(new exchanges, number already known): one exchange per agent turn that follows at
    least one customer turn. Ids derive from the raw content, so exchanges already in the
    store are recognised before any scrubbing or language detection. The language is
    detected once per conversation, on all its customer text (more text, surer answer)."""
    names = [conversation.customer.name] if conversation.customer and \
        conversation.customer.name else []
    default_language = conversation.language_hint
    exchanges: list[Exchange] = []
    language: str | None = None
    known = 0
    pending: list[str] = []
    for turn, message in enumerate(conversation.messages):
        if message.role == "customer":
            pending.append(message.text)
            continue
        if message.role != "agent" or not pending:
            continue  # notes and bot turns are never learnt from
        raw_context = "\n".join(pending[-max_context_turns:])
        pending = []
        digest = hashlib.sha1("\x1f".join([EXCHANGE_FORMAT, conversation.tenant, conversation.id,
                                           str(turn), raw_context, message.text]).encode())
        exchange_id = f"{conversation.id}#{turn}-{digest.hexdigest()[:12]}"
        if exchange_id in known_ids:
            known += 1
            continue
        if language is None:
            customer_text = "\n".join(m.text for m in conversation.messages
                                      if m.role == "customer")
            language = detect_language(customer_text, default_language)
        context = scrubber.scrub(raw_context, names=names, language=language).text
        linked = sorted({doc for url in _URL.findall(message.text)
                         for doc in url_to_doc.get(normalize_url(url), [])})
        exchanges.append(Exchange(
            id=exchange_id,
            conversation_id=conversation.id,
            turn=turn,
            channel=conversation.channel,
            language=language,
            context=context,
            answer=scrubber.scrub(message.text, names=names, language=language).text,
            linked_doc_ids=linked,
            created_at=message.created_at.isoformat() if message.created_at else None,
        ))
    return exchanges, known
