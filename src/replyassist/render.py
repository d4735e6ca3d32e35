"""Human-readable rendering of suggestions for a terminal."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from .models import Conversation, Suggestions

if TYPE_CHECKING:
    from .triage import QueueItem

__all__ = ["render_queue", "render_suggestions"]


def render_suggestions(conversation: Conversation, suggestions: Suggestions) -> str:
    a = suggestions.analysis
    tags = [f"language={a.language}"]
    for name in ("mood", "urgency", "register", "intent"):
        value = getattr(a, name)
        if value is not None:
            tags.append(f"{name}={value}")
    if a.flags:
        tags.append("flags=" + ",".join(a.flags))
    lines = [f"━━ {conversation.id} · {conversation.channel} · " + " ".join(tags)]
    last = conversation.latest_customer_text()
    lines.append(textwrap.indent(textwrap.shorten(last, 300, placeholder=" …"), "  customer> "))
    if suggestions.articles:
        lines.append("  articles:")
        lines.extend(f"    {h.score:.2f}  {h.doc_id}  {h.title}" for h in suggestions.articles)
    for index, draft in enumerate(suggestions.drafts, start=1):
        head = (f"  draft {index} [{draft.strategy}, {draft.tone}, "
                f"confidence {draft.confidence:.2f}]")
        if draft.citations:
            head += " cites " + ", ".join(c.doc_id for c in draft.citations)
        lines.append(head)
        lines.append(textwrap.indent(draft.text, "    │ ", predicate=lambda _line: True))
        lines.extend(f"    ⚠ {w.code}: {w.message}" for w in draft.warnings)
    timings = ", ".join(f"{k} {v:.0f} ms" for k, v in suggestions.timings_ms.items())
    lines.append(f"  ({timings})")
    return "\n".join(lines)


def render_queue(item: QueueItem) -> str:
    """One line per queued conversation: rank, priority, due time, tags, preview."""
    a = item.analysis
    due = a.sla_due_at.strftime("%Y-%m-%d %H:%M UTC") if a.sla_due_at else "-"
    flags = ",".join(a.flags) or "-"
    return (f"{item.rank:>3}. [{a.priority if a.priority is not None else '-':>5}] "
            f"{item.conversation_id} ({item.tenant}/{item.channel}) due {due} | "
            f"{a.urgency}/{a.mood}/{a.register} {a.language} flags={flags} "
            f"intent={a.intent or '-'} | {item.preview}")
