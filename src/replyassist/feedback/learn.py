"""Learning from feedback: a reply the agent accepted or edited, as sent, becomes an
exchange of the tenant's history (scrubbed of personal data by the history ingest), so
the next similar case finds it among ``similar_conversations`` and as a style example."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import Message
from .models import FeedbackIn

if TYPE_CHECKING:
    from ..assistant import ReplyAssistant

__all__ = ["learn"]


def learn(assistant: ReplyAssistant, tenant: str, item: FeedbackIn) -> int:
    """Add the sent reply to ``tenant``'s history; the number of exchanges added.

    Nothing is learnt from a rejected draft or without ``item.conversation``. The sent
    text is appended as an agent turn to the whole conversation, so exchange ids match a
    later ingest of the same conversation from a helpdesk export (nothing is stored
    twice); earlier agent turns not yet in the history are added too.
    """
    if item.action == "rejected" or item.conversation is None or not item.sent_text:
        return 0
    conversation = item.conversation
    learned = conversation.model_copy(update={
        "tenant": tenant,
        "messages": [*conversation.messages, Message(role="agent", text=item.sent_text)],
    })
    report = assistant.ingest_history([learned], tenant=tenant)
    return report.added
