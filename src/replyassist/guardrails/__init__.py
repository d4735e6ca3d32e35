"""Input and output checks: personal-data scrubbing at ingest (:mod:`.pii`), channel
rules (:mod:`.channels`), output checks on every draft (:mod:`.output`) and the guard that
applies them before drafts are returned (:mod:`.guard`)."""

from .guard import DraftGuard
from .pii import PIIScrubber, ScrubResult

__all__ = ["DraftGuard", "PIIScrubber", "ScrubResult"]
