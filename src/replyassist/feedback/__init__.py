"""Agents' feedback on drafts: the store (:mod:`.store`, SQL), the metrics
(:mod:`.metrics`) and learning from sent replies (:mod:`.learn`)."""

from .learn import learn
from .models import FeedbackAction, FeedbackBucket, FeedbackIn, FeedbackMetrics, FeedbackRecord
from .store import FeedbackStore, edit_distance, sqlite_url

__all__ = [
    "FeedbackAction",
    "FeedbackBucket",
    "FeedbackIn",
    "FeedbackMetrics",
    "FeedbackRecord",
    "FeedbackStore",
    "edit_distance",
    "learn",
    "sqlite_url",
]
