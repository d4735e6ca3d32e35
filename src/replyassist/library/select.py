"""The library replies that fit a conversation.

Each similar past exchange the retriever found votes, with its similarity, for the replies
its answer gave; a reply the team approved counts ``approved_boost`` times. Only
suggestible replies take part (approved, or seen in ``min_support`` distinct
conversations; never blocked; never a statement of what was done for one customer), in
the conversation's language and, in French, its tu/vous. The tenant's most used framing
replies (apology, thanks, question, closing) are added with a small score, so a draft can
open or close in the team's words when no similar case used one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..retrieval import ExchangeResult
from .models import LibraryReply
from .store import LibraryStore

__all__ = ["DEFAULT_MIN_SUPPORT", "RankedReply", "select_replies"]

DEFAULT_MIN_SUPPORT = 2  # chosen on the dev splits: docs/response-library.md
_FRAMING = ("apology", "thanks", "question", "closing")


@dataclass(frozen=True)
class RankedReply:
    reply: LibraryReply
    score: float
    position: int  # where it stood in the past answers (order of a composed draft)
    via: tuple[str, ...] = ()  # the similar exchanges that gave it

    @property
    def text(self) -> str:
        return self.reply.current_text


def select_replies(store: LibraryStore, tenant: str, language: str,
                   exchanges: Sequence[ExchangeResult], *,
                   min_support: int = DEFAULT_MIN_SUPPORT, min_similarity: float = 0.3,
                   approved_boost: float = 1.5,
                   fits: Callable[[str], bool] = lambda text: True,
                   framing_per_kind: int = 2) -> list[RankedReply]:
    """Best first (see the module docstring); ``fits``: the address check of a text."""
    relevant = [e for e in exchanges if e.similarity >= min_similarity]
    by_exchange = store.for_exchanges(tenant, [e.id for e in relevant])
    scores: dict[str, float] = {}
    positions: dict[str, int] = {}
    via: dict[str, list[str]] = {}
    replies: dict[str, LibraryReply] = {}
    for exchange in relevant:
        seen: set[str] = set()
        for position, reply in by_exchange.get(exchange.id, []):
            if reply.id in seen or reply.language != language or \
                    not reply.suggestible(min_support) or not fits(reply.current_text):
                continue
            seen.add(reply.id)
            boost = approved_boost if reply.status == "approved" else 1.0
            scores[reply.id] = scores.get(reply.id, 0.0) + exchange.similarity * boost
            positions[reply.id] = min(positions.get(reply.id, position), position)
            via.setdefault(reply.id, []).append(exchange.conversation_id)
            replies[reply.id] = reply
    framing = store.replies(tenant, language=language, kinds=_FRAMING,
                            min_support=min_support, limit=200)
    framing += store.replies(tenant, language=language, kinds=_FRAMING, status="approved",
                             limit=50)  # approved, whatever their support
    for kind in _FRAMING:
        common = list({r.id: r for r in framing if r.kind == kind and r.suggestible(min_support)
                       and fits(r.current_text)}.values())
        common.sort(key=lambda r: (r.status != "approved", -r.support))
        for reply in common[:framing_per_kind]:
            if reply.id not in scores:
                scores[reply.id] = 0.01 * (approved_boost if reply.status == "approved" else 1)
                positions[reply.id] = 0 if kind in ("apology", "thanks") else 99
                replies[reply.id] = reply
    ranked = [RankedReply(replies[rid], round(score, 4), positions[rid],
                          tuple(via.get(rid, ()))) for rid, score in scores.items()]
    ranked.sort(key=lambda r: (-r.score, -r.reply.support, r.reply.id))
    return ranked
