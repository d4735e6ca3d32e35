"""The SQL plumbing the feedback store and the response library share (SQLAlchemy 2):
open an engine from a URL (a SQLite file's folder is created; tables are created, and
columns a newer release added are added to existing tables), and
connections whose SQLAlchemy and driver errors become :class:`StoreError`. A bad URL is a
:class:`ConfigurationError`; statement parameters (agents' texts) never appear in error
messages, nor passwords."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, MetaData, create_engine, inspect, make_url, text
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from .errors import ConfigurationError, StoreError

__all__ = ["SqlDatabase", "sqlite_url"]


def sqlite_url(path: str | Path) -> str:
    """The URL of a SQLite file (its folder is created when the store opens)."""
    return f"sqlite:///{Path(path).expanduser().resolve()}"


class SqlDatabase:
    """One database: ``what`` names it in errors ("feedback store", "library store")."""

    def __init__(self, url: str, metadata: MetaData, *, what: str) -> None:
        self.what = what
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise ConfigurationError(f"{what}: invalid database URL ({exc})") from exc
        self.url = parsed.render_as_string(hide_password=True)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "",
                                                                             ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = create_engine(parsed, hide_parameters=True,
                                                pool_pre_ping=True)
            metadata.create_all(self.engine)
            _add_missing_columns(self.engine, metadata)
        except ArgumentError as exc:
            raise ConfigurationError(f"{what} {self.url}: {exc}") from exc
        except (SQLAlchemyError, ImportError) as exc:
            raise StoreError(f"{what} {self.url} cannot be opened: {exc}") from exc

    @contextmanager
    def connect(self, *, write: bool = False) -> Iterator[Connection]:
        """A connection (``write``: one transaction, committed on success)."""
        try:
            with self.engine.begin() if write else self.engine.connect() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise StoreError(f"{self.what} {self.url}: {type(exc).__name__}: "
                             f"{str(exc).splitlines()[0]}") from exc

    def close(self) -> None:
        self.engine.dispose()


def _add_missing_columns(engine: Engine, metadata: MetaData) -> None:
    """Columns a newer release added to an existing table, added in place (nullable, no
    default: the code reads a missing value as empty). Nothing is ever dropped."""
    inspector = inspect(engine)
    for table in metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        missing = [column for column in table.columns if column.name not in present]
        if not missing:
            continue
        with engine.begin() as connection:
            for column in missing:
                kind = column.type.compile(dialect=engine.dialect)
                connection.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN '
                                        f'"{column.name}" {kind}'))
