"""Chroma collections per tenant and kind, with an embedder guard.

One Chroma collection per (tenant, kind), kind being ``kb`` (article chunks) or
``history`` (past exchanges), so a tenant's query can never reach another tenant's
vectors. Each collection records the embedder's name and dimension; opening it with
another embedder raises :class:`EmbedderMismatchError`. We always pass our own vectors:
Chroma's default embedding function (which downloads a model) is never used.

Only the keys retrieval filters on (``FILTER_KEYS``: language, channel, tags) are Chroma
metadata keys; an item's text and every other field are packed into one JSON string
(``PACKED_KEY``) and unpacked on read, so callers see the same metadata dict. Chroma
writes one row per metadata key, and that, not the bytes, is what a write costs: the
bench's 3,000 exchanges went from 1.9 to 1.5 s of CPU (vectors alone: 1.0 s). Items
written before (loose keys, the text as a Chroma document or under ``_text``, lists
packed one by one) still read. The text is not a Chroma document, because retrieval
never uses Chroma's full-text search (BM25 runs in process) and the document's
full-text index cost more than half of every write.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import numpy as np

from .errors import ConfigurationError, EmbedderMismatchError, StoreError

__all__ = ["Kind", "StoredItem", "TenantCollection", "VectorStore", "collection_name"]

# kb_titles, *_en: views derived from kb / history (kb_ingest.views)
Kind = Literal["kb", "history", "kb_titles", "kb_en", "history_en"]
VIEW_KINDS = frozenset({"kb_titles", "kb_en", "history_en"})
FILTER_KEYS = frozenset({"language", "channel", "tags", "view_kind"})
PACKED_KEY = "_packed"
TEXT_KEY = "_text"  # inside the packed fields (and a loose key of older stores)
PACKED_LISTS = frozenset({"linked_doc_ids"})  # older stores: one JSON string per list
_SAFE = re.compile(r"[^a-z0-9_-]+")


def collection_name(tenant: str, kind: Kind) -> str:
    """A valid, collision-free Chroma collection name for (tenant, kind)."""
    slug = _SAFE.sub("-", tenant.lower()).strip("-_")[:40] or "t"
    if slug != tenant:
        slug = f"{slug}-{hashlib.sha1(tenant.encode()).hexdigest()[:8]}"
    return f"ra-{slug}-{kind}"


@dataclass(frozen=True)
class StoredItem:
    id: str
    document: str
    metadata: dict[str, Any]
    score: float = 0.0


class TenantCollection:
    """One tenant's collection of one kind. Methods translate Chroma errors to ours."""

    def __init__(
        self, collection: Any, client: Any, tenant: str, kind: Kind, max_batch: int
    ) -> None:
        self._collection = collection
        self._client = client
        self.refresh_s = 1.0
        self._generation_read_at: float | None = None
        self.tenant = tenant
        self.kind = kind
        self._max_batch = max_batch

    @property
    def name(self) -> str:
        return str(self._collection.name)

    def count(self) -> int:
        try:
            return int(self._collection.count())
        except Exception as exc:
            raise StoreError(f"cannot count {self.name}: {exc}") from exc

    @property
    def generation(self) -> int:
        """Bumped after every write; caches (BM25 indexes) key on it. Re-read from the
        store at most every ``refresh_s`` seconds (writes by this process are seen at
        once; another process's writes within ``refresh_s``)."""
        now = time.monotonic()
        if self._generation_read_at is None or now - self._generation_read_at >= self.refresh_s:
            try:
                self._collection = self._client.get_collection(self.name,
                                                               embedding_function=None)
            except Exception as exc:
                raise StoreError(f"cannot read {self.name}: {exc}") from exc
            self._generation_read_at = now
        return int((self._collection.metadata or {}).get("generation", 0))

    def read_meta(self, key: str) -> str | None:
        """A string the project keeps with the collection (e.g. its fitted ranking)."""
        value = (self._collection.metadata or {}).get(key)
        return None if value is None else str(value)

    def write_meta(self, key: str, value: str) -> None:
        """Keep ``value`` under ``key`` in the collection's own metadata (read back by
        every process that opens the collection)."""
        metadata = dict(self._collection.metadata or {})
        metadata[key] = value
        metadata.pop("hnsw:space", None)
        try:
            self._collection.modify(metadata=metadata)
        except Exception as exc:
            raise StoreError(f"cannot update {self.name}: {exc}") from exc
        self._generation_read_at = None

    def bump_generation(self) -> None:
        metadata = dict(self._collection.metadata or {})
        metadata["generation"] = int(metadata.get("generation", 0)) + 1
        metadata.pop("hnsw:space", None)
        try:
            self._collection.modify(metadata=metadata)
        except Exception as exc:
            raise StoreError(f"cannot update {self.name}: {exc}") from exc
        self._generation_read_at = None  # re-read on next use

    def upsert(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        documents: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
    ) -> None:
        try:
            for start in range(0, len(ids), self._max_batch):
                end = start + self._max_batch
                self._collection.upsert(
                    ids=list(ids[start:end]),
                    embeddings=vectors[start:end],
                    metadatas=[_clean_metadata({**m, TEXT_KEY: d}) for m, d in
                               zip(metadatas[start:end], documents[start:end], strict=True)],
                )
        except Exception as exc:
            raise StoreError(f"cannot write to {self.name}: {exc}") from exc

    def delete(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        try:
            for start in range(0, len(ids), self._max_batch):
                self._collection.delete(ids=list(ids[start : start + self._max_batch]))
        except Exception as exc:
            raise StoreError(f"cannot delete from {self.name}: {exc}") from exc

    def query(
        self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None
    ) -> list[StoredItem]:
        try:  # no count() first: it costs ~25 ms at 100k items; Chroma caps n itself
            result = self._collection.query(
                query_embeddings=[np.asarray(vector, dtype=np.float32)],
                n_results=n,
                where=where or None,
                include=["documents", "metadatas", "distances"],
            )
        except Exception as exc:
            raise StoreError(f"cannot query {self.name}: {exc}") from exc
        return [
            _item(i, d, m, score=1.0 - float(dist))
            for i, d, m, dist in zip(result["ids"][0], result["documents"][0],
                                     result["metadatas"][0], result["distances"][0], strict=True)
        ]

    def _pages(self, include: list[str], where: dict[str, Any] | None, page: int
               ) -> Iterator[dict[str, Any]]:
        """Successive ``get`` results of ``page`` items, until the collection is read."""
        offset = 0
        while True:
            try:
                batch = self._collection.get(include=include, limit=page, offset=offset,
                                             where=where or None)
            except Exception as exc:
                raise StoreError(f"cannot read {self.name}: {exc}") from exc
            if batch["ids"]:
                yield batch
            if len(batch["ids"]) < page:
                return
            offset += page

    def iter_all(
        self, *, documents: bool = True, where: dict[str, Any] | None = None, page: int = 5000
    ) -> Iterator[StoredItem]:
        include = ["metadatas", "documents"] if documents else ["metadatas"]
        for batch in self._pages(include, where, page):
            ids = batch["ids"]
            docs = batch.get("documents") or [""] * len(ids)
            for i, d, m in zip(ids, docs, batch["metadatas"], strict=True):
                yield _item(i, d, m, keep_text=documents)

    def vectors(self, ids: Sequence[str], page: int = 5000) -> np.ndarray:
        """The stored vectors of ``ids``, in that order (float32 rows)."""
        position = {item_id: row for row, item_id in enumerate(ids)}
        out: np.ndarray | None = None
        for batch in self._pages(["embeddings"], None, page):
            rows = np.asarray(batch["embeddings"], dtype=np.float32)
            if out is None:
                out = np.zeros((len(ids), rows.shape[1]), dtype=np.float32)
            for item_id, row in zip(batch["ids"], rows, strict=True):
                if item_id in position:
                    out[position[item_id]] = row
        return out if out is not None else np.zeros((0, 0), dtype=np.float32)

    def ids(self, page: int = 20000, where: dict[str, Any] | None = None) -> set[str]:
        """All ids, or those matching ``where`` (nothing else is read: cheap enough to
        check what is already stored)."""
        return {i for batch in self._pages([], where, page) for i in batch["ids"]}

    def get(self, ids: Sequence[str]) -> list[StoredItem]:
        try:
            batch = self._collection.get(ids=list(ids), include=["metadatas", "documents"])
        except Exception as exc:
            raise StoreError(f"cannot read {self.name}: {exc}") from exc
        return [_item(i, d, m) for i, d, m in zip(batch["ids"], batch["documents"],
                                                  batch["metadatas"], strict=True)]


def _item(item_id: str, document: str | None, metadata: dict[str, Any] | None, *,
          score: float = 0.0, keep_text: bool = True) -> StoredItem:
    """A stored item, its packed fields unpacked (see the module docstring)."""
    meta = dict(metadata or {})
    packed = meta.pop(PACKED_KEY, None)
    if isinstance(packed, str):
        meta.update(json.loads(packed))
    text = meta.pop(TEXT_KEY, None)
    for key in PACKED_LISTS.intersection(meta):
        value = meta[key]
        if isinstance(value, str):  # older stores: a list packed on its own, or one id
            meta[key] = json.loads(value) if value.startswith("[") else [value]
    return StoredItem(id=item_id, document=(document or str(text or "")) if keep_text else "",
                      metadata=meta, score=score)


def _clean_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Chroma metadata for ``metadata``: the ``FILTER_KEYS`` as keys (Chroma accepts
    scalars and non-empty lists of scalars), everything else in one JSON string; None,
    empty strings and empty lists are dropped."""
    kept = {k: v for k, v in metadata.items() if v is not None and v != [] and v != ""}
    out = {k: kept.pop(k) for k in FILTER_KEYS.intersection(kept)}
    if kept:
        out[PACKED_KEY] = json.dumps(kept, ensure_ascii=False, separators=(",", ":"))
    return out


class VectorStore:
    """Chroma through its real client: a directory (embedded) or a server URL."""

    def __init__(self, client: Any, *, location: str) -> None:
        self._client = client
        self.location = location
        try:
            self._max_batch = int(client.get_max_batch_size())
        except Exception:
            self._max_batch = 5000
        self._collections: dict[tuple[str, Kind], TenantCollection] = {}
        # (tenant, view kind) found missing → when: a missing view is re-checked at most
        # every ``miss_refresh_s`` (queries look up the optional views on every call)
        self._missing: dict[tuple[str, Kind], float] = {}
        self.miss_refresh_s = 1.0

    @classmethod
    def open(cls, location: str | Path) -> VectorStore:
        """``http(s)://host:port`` → Chroma server; anything else → embedded store directory."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        text = str(location)
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        try:
            if text.startswith(("http://", "https://")):
                url = urlparse(text)
                if not url.hostname:
                    raise ConfigurationError(f"invalid Chroma server URL: {text!r}")
                port = url.port or (443 if url.scheme == "https" else 8000)
                client = chromadb.HttpClient(host=url.hostname, port=port,
                                             ssl=url.scheme == "https", settings=chroma_settings)
            else:
                Path(text).mkdir(parents=True, exist_ok=True)
                client = chromadb.PersistentClient(path=text, settings=chroma_settings)
        except ConfigurationError:
            raise
        except Exception as exc:
            raise StoreError(f"cannot open the Chroma store at {text}: {exc}") from exc
        return cls(client, location=text)

    def collection(
        self, tenant: str, kind: Kind, *, embedder_name: str, dimension: int, create: bool = True
    ) -> TenantCollection | None:
        key = (tenant, kind)
        cached = self._collections.get(key)
        if cached is not None:
            self._check(cached._collection.metadata or {}, cached.name, embedder_name, dimension)
            return cached
        name = collection_name(tenant, kind)
        missed = self._missing.get(key)
        if not create and missed is not None and \
                time.monotonic() - missed < self.miss_refresh_s:
            return None
        try:
            if create:
                raw = self._client.get_or_create_collection(
                    name, embedding_function=None,
                    metadata={"hnsw:space": "cosine", "tenant": tenant, "kind": kind,
                              "embedder": embedder_name, "dimension": dimension,
                              "generation": 0})
            else:
                existing = {c if isinstance(c, str) else c.name
                            for c in self._client.list_collections()}
                if name not in existing:
                    if kind in VIEW_KINDS:
                        self._missing[key] = time.monotonic()
                    return None
                raw = self._client.get_collection(name, embedding_function=None)
        except Exception as exc:
            raise StoreError(f"cannot open collection {name} at {self.location}: {exc}") from exc
        self._check(raw.metadata or {}, name, embedder_name, dimension)
        collection = TenantCollection(raw, self._client, tenant, kind, self._max_batch)
        self._collections[key] = collection
        self._missing.pop(key, None)
        return collection

    @staticmethod
    def _check(metadata: dict[str, Any], name: str, embedder_name: str, dimension: int) -> None:
        stored_name = metadata.get("embedder")
        stored_dim = metadata.get("dimension")
        if stored_name != embedder_name or stored_dim != dimension:
            raise EmbedderMismatchError(
                f"collection {name} was built with embedder {stored_name!r} ({stored_dim} dims); "
                f"refusing to mix in {embedder_name!r} ({dimension} dims). Use the same embedder "
                "(REPLYASSIST_EMBEDDER) or another store/tenant, or re-ingest into a new store.")

    def tenants(self) -> list[str]:
        try:
            collections = self._client.list_collections()
        except Exception as exc:
            raise StoreError(f"cannot list collections at {self.location}: {exc}") from exc
        names: set[str] = set()
        for c in collections:
            raw = c if not isinstance(c, str) else self._client.get_collection(
                c, embedding_function=None)
            tenant = (raw.metadata or {}).get("tenant")
            if tenant:
                names.add(str(tenant))
        return sorted(names)
