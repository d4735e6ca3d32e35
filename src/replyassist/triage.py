"""One queue from a mixed batch of conversations (every channel, every brand tenant).

Each conversation is tagged by the fast tagger (no retrieval, no LLM: a batch of 1,000
takes seconds), then the queue is ordered by ``priority`` (highest first), then by
``sla_due_at`` (earliest first), then by input order
(:func:`replyassist.analysis.priority.ordering_key`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import numpy as np
from langchain_core.embeddings import Embeddings
from pydantic import Field

from .analysis.analyzer import MAX_ANALYSED_CHARS, Analyzer
from .analysis.priority import ordering_key
from .embeddings import embed_array
from .labels import Channel
from .models import Analysis, Conversation, _OutputModel

__all__ = ["QueueItem", "triage"]


class QueueItem(_OutputModel):
    """One conversation's place in the queue, with what put it there."""

    rank: int
    conversation_id: str
    tenant: str
    channel: Channel
    analysis: Analysis
    waited_minutes: float | None = None
    priority_components: dict[str, float] = Field(default_factory=dict)
    preview: str = ""


def triage(conversations: Iterable[Conversation], analyzer: Analyzer, *,
           embedder: Embeddings | None = None, now: datetime | None = None,
           batch_size: int = 64,
           analyzer_for: Callable[[str], Analyzer] | None = None) -> list[QueueItem]:
    """Tag and order ``conversations`` into one queue. ``embedder`` (the retrieval one,
    usually) embeds the texts in batches; ``now`` fixes the clock (default: the
    analyzer's); ``analyzer_for(tenant)``, when given, tags each conversation with its
    tenant's analyzer (intents, SLA), so a mixed queue is ordered by each brand's SLA."""
    items = list(conversations)
    now = now or analyzer.clock()
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    texts = [c.latest_customer_text()[-MAX_ANALYSED_CHARS:] for c in items]
    vectors: list[np.ndarray] = []
    if embedder is not None:
        for start in range(0, len(texts), batch_size):
            chunk = [t if t.strip() else " " for t in texts[start:start + batch_size]]
            vectors.extend(embed_array(embedder, chunk))
    queue: list[tuple[tuple[float, int, float], int, QueueItem]] = []
    for index, conversation in enumerate(items):
        vector = vectors[index] if vectors and texts[index].strip() else None
        tagger = analyzer_for(conversation.tenant) if analyzer_for else analyzer
        tags = tagger.tag(conversation, vector=vector, embedder=embedder, now=now)
        analysis, waited = tags.analysis, tags.waited_minutes
        preview = " ".join(texts[index].split())[:120]
        item = QueueItem(rank=0, conversation_id=conversation.id, tenant=conversation.tenant,
                         channel=conversation.channel, analysis=analysis,
                         waited_minutes=round(waited, 1) if waited is not None else None,
                         priority_components=tags.priority_components, preview=preview)
        queue.append((ordering_key(analysis.priority, analysis.sla_due_at), index, item))
    queue.sort(key=lambda entry: (entry[0], entry[1]))
    for rank, (_, _, item) in enumerate(queue, start=1):
        item.rank = rank
    return [item for _, _, item in queue]
