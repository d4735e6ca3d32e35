"""``LibraryStore``: each tenant's response library in SQL (SQLAlchemy 2).

Why SQL and not the vector store: a library is reviewed — statuses, edits, who and when
— and must keep those across re-mining, which wants transactions, unique keys and
updates in place; it is small (hundreds to a few thousand replies a tenant), so the few
vectors it needs (one per reply, to merge paraphrases) live in the same rows. A SQLite
file by default (next to the embedded Chroma store), PostgreSQL by URL (the database the
feedback store uses, shared by every API replica). Every query filters by tenant.

Tables: ``library_replies`` (one canonical reply, its counts and review), ``library_keys``
(each folded wording → its reply: exact re-occurrences join without embedding) and
``library_units`` (which past answer gave which reply: incremental mining, support
counts, and the composer's link from similar past exchanges to replies).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import (
    Connection,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..errors import NotFoundError
from ..sql import SqlDatabase, sqlite_url
from .models import LibraryExample, LibraryReply, ReplyEdit, ReplyStatus

__all__ = ["LibraryStore", "ReplyRow", "key_digest"]


class _Base(DeclarativeBase):
    pass


class ReplyRow(_Base):
    __tablename__ = "library_replies"
    __table_args__ = (Index("ix_library_replies_tenant_lang", "tenant", "language"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    edited_text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="candidate")
    support: Mapped[int] = mapped_column(Integer, default=0)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    channels: Mapped[str] = mapped_column(Text, default="{}")  # JSON {channel: count}
    doc_ids: Mapped[str] = mapped_column(Text, default="{}")  # JSON {doc_id: count}
    intents: Mapped[str] = mapped_column(Text, default="{}")  # JSON {intent: count}
    variants: Mapped[str] = mapped_column(Text, default="{}")  # JSON {text: count}
    examples: Mapped[str] = mapped_column(Text, default="[]")  # JSON [LibraryExample]
    vector: Mapped[bytes | None] = mapped_column(LargeBinary)  # float32, merged wordings
    vector_weight: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(String(200))


class _KeyRow(_Base):
    __tablename__ = "library_keys"

    tenant: Mapped[str] = mapped_column(String(200), primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    digest: Mapped[str] = mapped_column(String(40), primary_key=True)  # key_digest(key)
    reply_id: Mapped[str] = mapped_column(String(40))


def key_digest(key: str) -> str:
    """The stored form of a folded wording (any length fits a PostgreSQL key)."""
    return hashlib.sha1(key.encode()).hexdigest()


class _UnitRow(_Base):
    __tablename__ = "library_units"
    __table_args__ = (Index("ix_library_units_exchange", "tenant", "exchange_id"),
                      Index("ix_library_units_reply", "tenant", "reply_id"))

    tenant: Mapped[str] = mapped_column(String(200), primary_key=True)
    exchange_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(300))
    reply_id: Mapped[str] = mapped_column(String(40))


def _loads(raw: str | None, default: Any) -> Any:
    return json.loads(raw) if raw else default


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _reply(row: Any) -> LibraryReply:
    return LibraryReply(
        id=row.id, tenant=row.tenant, language=row.language, kind=row.kind, text=row.text,
        edited_text=row.edited_text, status=row.status, support=row.support, uses=row.uses,
        channels=_loads(row.channels, {}), doc_ids=sorted(_loads(row.doc_ids, {})),
        intents=_loads(row.intents, {}),
        variants=_loads(row.variants, {}),
        examples=[LibraryExample(**e) for e in _loads(row.examples, [])],
        first_seen=_aware(row.first_seen), last_seen=_aware(row.last_seen),
        reviewed_at=_aware(row.reviewed_at), reviewed_by=row.reviewed_by)


class LibraryStore:
    """``url``: a SQLAlchemy URL (``sqlite:///path/library.db``,
    ``postgresql+psycopg://…``); tables are created on open."""

    def __init__(self, url: str) -> None:
        self._db = SqlDatabase(url, _Base.metadata, what="library store")
        self.url = self._db.url

    @classmethod
    def beside(cls, location: str) -> LibraryStore:
        """The default library of a vector store: ``library.db`` in its folder; for a
        Chroma server, in the default local data folder under the server's host and port
        (two servers never share a library)."""
        from ..settings import default_store_path

        if location.startswith(("http://", "https://")):
            server = re.sub(r"[^\w.-]+", "_", location.split("://", 1)[1]).strip("_")
            return cls(sqlite_url(default_store_path() / "servers" / server / "library.db"))
        return cls(sqlite_url(Path(location) / "library.db"))

    def _connect(self, *, write: bool = False) -> AbstractContextManager[Connection]:
        return self._db.connect(write=write)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> LibraryStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ reading
    def replies(self, tenant: str, *, language: str | None = None,
                status: ReplyStatus | None = None, kind: str | None = None,
                kinds: Sequence[str] = (), min_support: int = 0, limit: int | None = None
                ) -> list[LibraryReply]:
        """The tenant's replies, most supported first (``kinds``: any of these)."""
        query = select(ReplyRow).where(ReplyRow.tenant == tenant)
        if language:
            query = query.where(ReplyRow.language == language)
        if status:
            query = query.where(ReplyRow.status == status)
        if kind:
            query = query.where(ReplyRow.kind == kind)
        if kinds:
            query = query.where(ReplyRow.kind.in_(list(kinds)))
        if min_support:
            query = query.where(ReplyRow.support >= min_support)
        query = query.order_by(ReplyRow.support.desc(), ReplyRow.uses.desc(), ReplyRow.id)
        if limit:
            query = query.limit(limit)
        with self._connect() as connection:
            return [_reply(row) for row in connection.execute(query)]

    def get(self, tenant: str, reply_id: str) -> LibraryReply:
        with self._connect() as connection:
            row = connection.execute(select(ReplyRow).where(
                ReplyRow.tenant == tenant, ReplyRow.id == reply_id)).first()
        if row is None:
            raise NotFoundError(f"no library reply {reply_id!r} for tenant {tenant!r}",
                                field="reply_id")
        return _reply(row)

    def count(self, tenant: str) -> int:
        with self._connect() as connection:
            return int(connection.execute(select(func.count()).select_from(ReplyRow).where(
                ReplyRow.tenant == tenant)).scalar_one())

    def tenants(self) -> list[str]:
        with self._connect() as connection:
            return sorted(connection.execute(select(ReplyRow.tenant).distinct()).scalars())

    def for_exchanges(self, tenant: str, exchange_ids: Sequence[str]
                      ) -> dict[str, list[tuple[int, LibraryReply]]]:
        """exchange id → its answer's (position, reply), in answer order."""
        if not exchange_ids:
            return {}
        with self._connect() as connection:
            units = connection.execute(select(_UnitRow.exchange_id, _UnitRow.position,
                                              _UnitRow.reply_id).where(
                _UnitRow.tenant == tenant,
                _UnitRow.exchange_id.in_(list(exchange_ids)))).all()
            reply_ids = sorted({u.reply_id for u in units})
            rows = connection.execute(select(ReplyRow).where(
                ReplyRow.tenant == tenant, ReplyRow.id.in_(reply_ids))).all() \
                if reply_ids else []
        replies = {row.id: _reply(row) for row in rows}
        out: dict[str, list[tuple[int, LibraryReply]]] = {}
        for unit in sorted(units, key=lambda u: (u.exchange_id, u.position)):
            if unit.reply_id in replies:
                out.setdefault(unit.exchange_id, []).append((unit.position,
                                                             replies[unit.reply_id]))
        return out

    def mined_exchange_ids(self, tenant: str) -> set[str]:
        with self._connect() as connection:
            return set(connection.execute(select(_UnitRow.exchange_id).where(
                _UnitRow.tenant == tenant).distinct()).scalars())

    def keys(self, tenant: str) -> dict[tuple[str, str], str]:
        """(language, :func:`key_digest` of a folded wording) → reply id."""
        with self._connect() as connection:
            return {(r.language, r.digest): r.reply_id for r in connection.execute(
                select(_KeyRow).where(_KeyRow.tenant == tenant))}

    def vectors(self, tenant: str) -> tuple[list[tuple[str, str, str]], np.ndarray]:
        """[(reply id, language, kind)] and their vectors (float32 rows)."""
        with self._connect() as connection:
            rows = connection.execute(select(ReplyRow.id, ReplyRow.language, ReplyRow.kind,
                                             ReplyRow.vector).where(
                ReplyRow.tenant == tenant, ReplyRow.vector.is_not(None))).all()
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        return ([(r.id, r.language, r.kind) for r in rows],
                np.stack([np.frombuffer(r.vector, dtype=np.float32) for r in rows]))

    # ------------------------------------------------------------------ writing (mining)
    def write_mined(self, tenant: str, replies: Iterable[dict[str, Any]],
                    keys: Iterable[tuple[str, str, str]],
                    units: Iterable[tuple[str, int, str, str]]) -> None:
        """One transaction: new or updated reply rows (mining fields only: a review is
        never touched), new keys (language, key, reply id) and units (exchange id,
        position, conversation id, reply id); then the support of the touched replies."""
        replies, keys, units = list(replies), list(keys), list(units)
        touched = sorted({r["id"] for r in replies} | {u[3] for u in units})
        with self._connect(write=True) as connection:
            existing = set(connection.execute(select(ReplyRow.id).where(
                ReplyRow.tenant == tenant, ReplyRow.id.in_(touched))).scalars()) \
                if touched else set()
            for reply in replies:
                values = {k: v for k, v in reply.items() if k != "id"}
                if reply["id"] in existing:
                    connection.execute(update(ReplyRow).where(
                        ReplyRow.tenant == tenant, ReplyRow.id == reply["id"]).values(**values))
                else:
                    connection.execute(ReplyRow.__table__.insert().values(  # type: ignore[attr-defined]
                        id=reply["id"], tenant=tenant, status="candidate", **values))
            if keys:
                connection.execute(_KeyRow.__table__.insert(), [  # type: ignore[attr-defined]
                    {"tenant": tenant, "language": lang, "digest": key_digest(key),
                     "reply_id": rid}
                    for lang, key, rid in keys])
            if units:
                connection.execute(_UnitRow.__table__.insert(), [  # type: ignore[attr-defined]
                    {"tenant": tenant, "exchange_id": e, "position": p, "conversation_id": c,
                     "reply_id": r} for e, p, c, r in units])
            for start in range(0, len(touched), 500):
                chunk = touched[start:start + 500]
                counts = connection.execute(
                    select(_UnitRow.reply_id, func.count(func.distinct(_UnitRow.conversation_id)),
                           func.count()).where(_UnitRow.tenant == tenant,
                                               _UnitRow.reply_id.in_(chunk))
                    .group_by(_UnitRow.reply_id)).all()
                for reply_id, support, uses in counts:
                    connection.execute(update(ReplyRow).where(
                        ReplyRow.tenant == tenant, ReplyRow.id == reply_id).values(
                        support=support, uses=uses))

    def mining_rows(self, tenant: str, reply_ids: Sequence[str]) -> dict[str, Any]:
        """The raw rows of ``reply_ids`` (the miner updates their counters)."""
        if not reply_ids:
            return {}
        with self._connect() as connection:
            return {row.id: row for row in connection.execute(select(ReplyRow).where(
                ReplyRow.tenant == tenant, ReplyRow.id.in_(list(reply_ids))))}

    # ------------------------------------------------------------------ review
    def review(self, tenant: str, reply_id: str, edit: ReplyEdit) -> LibraryReply:
        """Apply a review decision (status, edited text) and return the reply."""
        self.get(tenant, reply_id)  # NotFoundError names the id
        values: dict[str, Any] = {"reviewed_at": datetime.now(UTC),
                                  "reviewed_by": edit.reviewed_by}
        if edit.status is not None:
            values["status"] = edit.status
        if edit.edited_text is not None:
            values["edited_text"] = edit.edited_text.strip()
        with self._connect(write=True) as connection:
            connection.execute(update(ReplyRow).where(
                ReplyRow.tenant == tenant, ReplyRow.id == reply_id).values(**values))
        return self.get(tenant, reply_id)

    def clear_edit(self, tenant: str, reply_id: str) -> LibraryReply:
        self.get(tenant, reply_id)
        with self._connect(write=True) as connection:
            connection.execute(update(ReplyRow).where(
                ReplyRow.tenant == tenant, ReplyRow.id == reply_id).values(edited_text=None))
        return self.get(tenant, reply_id)

    def drop_tenant(self, tenant: str) -> None:
        """Forget a tenant's library (reviews included)."""
        with self._connect(write=True) as connection:
            for table in (_UnitRow, _KeyRow, ReplyRow):
                connection.execute(delete(table).where(table.tenant == tenant))
