"""``FeedbackStore``: agents' decisions on drafts in SQL (SQLAlchemy 2).

A SQLite file by default (``sqlite:///path/feedback.db``), PostgreSQL by URL
(``postgresql+psycopg://user:password@host/db``). Tables are created on open. Every
query filters by tenant. SQLAlchemy and driver errors become :class:`StoreError`
(a bad URL: :class:`ConfigurationError`); statement parameters (agents' texts) never
appear in error messages.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, datetime

from rapidfuzz.distance import Levenshtein
from sqlalchemy import Connection, Engine, insert

from ..sql import SqlDatabase, sqlite_url
from .metrics import compute_metrics
from .models import FeedbackIn, FeedbackMetrics, FeedbackRecord
from .table import Base, FeedbackRow

__all__ = ["FeedbackStore", "edit_distance", "sqlite_url"]


def edit_distance(draft: str, sent: str | None) -> int | None:
    """Levenshtein distance in characters (``rapidfuzz``); ``None`` when nothing was sent."""
    return None if sent is None else Levenshtein.distance(draft, sent)


class FeedbackStore:
    def __init__(self, url: str) -> None:
        self._db = SqlDatabase(url, Base.metadata, what="feedback store")
        self.url = self._db.url

    @property
    def engine(self) -> Engine:
        return self._db.engine

    def _connect(self, *, write: bool = False) -> AbstractContextManager[Connection]:
        return self._db.connect(write=write)

    def record(self, tenant: str, item: FeedbackIn) -> FeedbackRecord:
        """Store one decision of ``tenant`` and return it with its id and edit distance."""
        values = item.model_dump(exclude={"conversation"})
        values.update(tenant=tenant, created_at=datetime.now(UTC),
                      edit_distance=edit_distance(item.draft_text, item.sent_text))
        with self._connect(write=True) as connection:
            new_id = connection.execute(
                insert(FeedbackRow).values(**values).returning(FeedbackRow.id)).scalar_one()
        return FeedbackRecord(id=new_id, **values)

    def metrics(self, tenant: str) -> FeedbackMetrics:
        """Acceptance and edit rates, mean edit distance and decision time of ``tenant``:
        overall and per tone, intent and channel."""
        with self._connect() as connection:
            return compute_metrics(connection, tenant)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> FeedbackStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
