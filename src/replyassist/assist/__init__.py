"""Help with the agent's own work: rewrite their draft (:mod:`.rewrite`) and summarise a
conversation for a colleague taking it over (:mod:`.summarize`)."""

from .rewrite import RewriteAction, RewriteRequest, RewriteResult, arewrite, rewrite
from .summarize import HandoffSummary, SummaryRequest, asummarize, summarize

__all__ = [
    "HandoffSummary",
    "RewriteAction",
    "RewriteRequest",
    "RewriteResult",
    "SummaryRequest",
    "arewrite",
    "asummarize",
    "rewrite",
    "summarize",
]
