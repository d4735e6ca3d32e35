"""``FeedbackStore``: agents' decisions on drafts in SQL (SQLAlchemy 2).

A SQLite file by default (``sqlite:///path/feedback.db``), PostgreSQL by URL
(``postgresql+psycopg://user:password@host/db``). Tables are created on open. Every
query filters by tenant. SQLAlchemy and driver errors become :class:`StoreError`
(a bad URL: :class:`ConfigurationError`); statement parameters (agents' texts) never
appear in error messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from rapidfuzz.distance import Levenshtein
from sqlalchemy import Connection, Engine, create_engine, insert, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ..errors import ConfigurationError, StoreError
from .metrics import compute_metrics
from .models import FeedbackIn, FeedbackMetrics, FeedbackRecord
from .table import Base, FeedbackRow

__all__ = ["FeedbackStore", "edit_distance", "sqlite_url"]


def sqlite_url(path: str | Path) -> str:
    """The URL of a SQLite file (its folder is created when the store opens)."""
    return f"sqlite:///{Path(path).expanduser().resolve()}"


def edit_distance(draft: str, sent: str | None) -> int | None:
    """Levenshtein distance in characters (``rapidfuzz``); ``None`` when nothing was sent."""
    return None if sent is None else Levenshtein.distance(draft, sent)


class FeedbackStore:
    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise ConfigurationError(f"feedback store: invalid database URL ({exc})") from exc
        self.url = parsed.render_as_string(hide_password=True)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "",
                                                                             ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._engine: Engine = create_engine(parsed, hide_parameters=True,
                                                 pool_pre_ping=True)
            Base.metadata.create_all(self._engine)
        except ArgumentError as exc:
            raise ConfigurationError(f"feedback store {self.url}: {exc}") from exc
        except (SQLAlchemyError, ImportError) as exc:
            raise StoreError(f"feedback store {self.url} cannot be opened: {exc}") from exc

    @property
    def engine(self) -> Engine:
        return self._engine

    @contextmanager
    def _connect(self, *, write: bool = False) -> Iterator[Connection]:
        try:
            with self._engine.begin() if write else self._engine.connect() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise StoreError(f"feedback store {self.url}: {type(exc).__name__}: "
                             f"{str(exc).splitlines()[0]}") from exc

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
        self._engine.dispose()

    def __enter__(self) -> FeedbackStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
