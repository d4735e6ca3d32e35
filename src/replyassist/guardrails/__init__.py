"""Input and output checks. For now: personal-data scrubbing (:mod:`.pii`)."""

from .pii import PIIScrubber, ScrubResult

__all__ = ["PIIScrubber", "ScrubResult"]
