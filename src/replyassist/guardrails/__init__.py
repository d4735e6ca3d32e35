"""Input and output checks: personal-data scrubbing at ingest (:mod:`.pii`,
names and signatures: :mod:`.names`), channel
rules (:mod:`.channels`), output checks on every draft (:mod:`.output`) and the guard that
applies them before drafts are returned (:mod:`.guard`)."""

from .guard import DraftGuard
from .names import NameFinder, NameSpan
from .pii import PIIScrubber, ScrubResult

__all__ = ["DraftGuard", "NameFinder", "NameSpan", "PIIScrubber", "ScrubResult"]
