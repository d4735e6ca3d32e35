"""The response library: each tenant's canonical replies, mined from its history and
reviewed by its team (approve, block, edit, export), so that composed drafts reuse what
colleagues wrote again and again, never what was written for one customer.

- :mod:`.units`: past answers → reply units (templates with slots, a kind each);
- :mod:`.mine`: units → canonical replies, incrementally;
- :mod:`.store`: the replies and their review in SQL (SQLite or PostgreSQL);
- :mod:`.select`: the replies that fit a conversation;
- :mod:`.export`: macros a helpdesk imports, and review decisions read back.
"""

from .mine import LibraryMiner, PastAnswer
from .models import LibraryExample, LibraryReply, MineReport, ReplyEdit, ReplyStatus
from .select import RankedReply, select_replies
from .store import LibraryStore
from .units import ReplyUnit, reply_units

__all__ = [
    "LibraryExample",
    "LibraryMiner",
    "LibraryReply",
    "LibraryStore",
    "MineReport",
    "PastAnswer",
    "RankedReply",
    "ReplyEdit",
    "ReplyStatus",
    "ReplyUnit",
    "reply_units",
    "select_replies",
]
