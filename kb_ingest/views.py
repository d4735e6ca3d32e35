"""Derived collections: article titles, and English items under the English model.

English knowledge and history retrieve better with an English model (all-MiniLM-L6-v2)
than with the multilingual one (docs/retrieval.md), and the multilingual model is still
what matches across languages. So a tenant's ``kb`` and ``history`` keep every item
under the primary embedder; ``kb_titles`` holds each article's title alone (primary
embedder: a title scored apart from its body is a sharper signal), ``kb_en`` the English
chunks and titles again and ``history_en`` the English past exchanges, both under the
English embedder. A view is derived data: it is synchronised from its source by id (ids
change with content), never written to directly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from langchain_core.embeddings import Embeddings

from replyassist.embeddings import embed_array
from replyassist.store import StoredItem, TenantCollection

__all__ = ["ViewReport", "sync_history_view", "sync_kb_views", "title_items"]

ENGLISH = "en"


@dataclass
class ViewReport:
    added: int = 0
    removed: int = 0

    def __iadd__(self, other: ViewReport) -> ViewReport:
        self.added += other.added
        self.removed += other.removed
        return self


def title_items(chunks: Sequence[StoredItem]) -> dict[str, StoredItem]:
    """One title item per article of ``chunks`` (id changes with the title)."""
    titles: dict[str, StoredItem] = {}
    for chunk in chunks:
        meta = chunk.metadata
        doc_id, title = str(meta.get("doc_id")), str(meta.get("title") or "")
        if not title:
            continue
        item_id = f"{doc_id}#title-{hashlib.sha1(title.encode()).hexdigest()[:12]}"
        if item_id not in titles:
            titles[item_id] = StoredItem(item_id, title, {
                "doc_id": doc_id, "title": title, "url": meta.get("url"),
                "language": meta.get("language"), "tags": list(meta.get("tags") or []),
                "view_kind": "title"})
    return titles


def _sync(view: TenantCollection, wanted: set[str],
          fetch: Callable[[list[str]], list[StoredItem]], embedder: Embeddings,
          batch: int = 256) -> ViewReport:
    have = view.ids()
    new = sorted(wanted - have)
    stale = sorted(have - wanted)
    for start in range(0, len(new), batch):
        items = fetch(new[start:start + batch])
        vectors = embed_array(embedder, [item.document for item in items])
        view.upsert([item.id for item in items], vectors, [item.document for item in items],
                    [item.metadata for item in items])
    view.delete(stale)
    if new or stale:
        view.bump_generation()
    return ViewReport(len(new), len(stale))


def _from(items: Mapping[str, StoredItem]) -> Callable[[list[str]], list[StoredItem]]:
    return lambda ids: [items[i] for i in ids]


def sync_kb_views(kb: TenantCollection, titles: TenantCollection, embedder: Embeddings,
                  english: TenantCollection | None = None,
                  english_embedder: Embeddings | None = None) -> ViewReport:
    """Titles of every article (``embedder``); English chunks and titles again under
    ``english_embedder`` when given."""
    chunks = list(kb.iter_all(documents=True))
    all_titles = title_items(chunks)
    report = _sync(titles, set(all_titles), _from(all_titles), embedder)
    if english is not None and english_embedder is not None:
        items = {i.id: StoredItem(i.id, i.document, {**i.metadata, "view_kind": "chunk"})
                 for i in chunks if i.metadata.get("language") == ENGLISH}
        items.update({k: v for k, v in all_titles.items()
                      if v.metadata.get("language") == ENGLISH})
        report += _sync(english, set(items), _from(items), english_embedder)
    return report


def sync_history_view(history: TenantCollection, english: TenantCollection,
                      english_embedder: Embeddings) -> ViewReport:
    """The English past exchanges of ``history`` under ``english_embedder`` (only ids are
    compared; only the new exchanges are read)."""
    wanted = history.ids(where={"language": ENGLISH})
    return _sync(english, wanted, history.get, english_embedder)
