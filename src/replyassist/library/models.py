"""Typed records of the response library (what the CLI, the API and the composer see)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .units import UnitKind

__all__ = ["LibraryExample", "LibraryReply", "MineReport", "ReplyEdit", "ReplyStatus"]

ReplyStatus = Literal["candidate", "approved", "blocked"]


class LibraryExample(BaseModel):
    """A past case a reply was given in (scrubbed customer text)."""

    model_config = ConfigDict(extra="forbid")

    conversation_id: str
    context: str


class LibraryReply(BaseModel):
    """One canonical reply of a tenant, mined from its history and reviewed by its team.

    ``text`` is the canonical template as mined (slots such as ``{name}``); ``edited_text``
    the team's version, which replaces it in drafts and survives re-mining. ``support`` is
    the number of distinct past conversations it was given in."""

    model_config = ConfigDict(extra="forbid")

    id: str
    tenant: str
    language: str
    kind: UnitKind
    text: str
    edited_text: str | None = None
    status: ReplyStatus = "candidate"
    support: int = Field(ge=0)
    uses: int = Field(ge=0, description="Units merged into it (a conversation may give it "
                                        "twice).")
    channels: dict[str, int] = Field(default_factory=dict)
    doc_ids: list[str] = Field(default_factory=list)
    intents: dict[str, int] = Field(default_factory=dict, description="The brand intents of "
                                    "the cases it answered, with their counts.")
    variants: dict[str, int] = Field(default_factory=dict)
    examples: list[LibraryExample] = Field(default_factory=list)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None

    @property
    def current_text(self) -> str:
        """The text drafts use: the team's edit, else the mined canonical text."""
        return self.edited_text or self.text

    def suggestible(self, min_support: int) -> bool:
        """May be offered as it is: approved, or seen in ``min_support`` conversations
        (never blocked, never a statement of what was done for one customer)."""
        if self.status == "blocked" or self.kind == "action":
            return False
        return self.status == "approved" or self.support >= min_support


class ReplyEdit(BaseModel):
    """A review decision, from the CLI, the API or an imported export."""

    model_config = ConfigDict(extra="forbid")

    status: ReplyStatus | None = None
    edited_text: str | None = Field(default=None, min_length=1, max_length=4000)
    reviewed_by: str | None = Field(default=None, max_length=200)


class MineReport(BaseModel):
    """What one mining pass did."""

    tenant: str
    exchanges: int = 0  # newly mined
    skipped: int = 0  # already mined
    units: int = 0
    new_replies: int = 0
    merged_units: int = 0  # units that joined an existing reply
    replies: int = 0  # the tenant's replies after the pass
    suggestible: int = 0

    def summary(self) -> str:
        return (f"library {self.tenant}: {self.exchanges} new answers ({self.skipped} known) → "
                f"{self.units} units, {self.new_replies} new replies, {self.merged_units} "
                f"merged; {self.replies} replies, {self.suggestible} suggestible")
