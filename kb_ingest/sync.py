"""Incremental, idempotent writes of articles and exchanges into a tenant's collections.

Articles: unchanged ones (same content hash, same chunker, same embedder) are skipped,
changed ones replaced, and with ``prune`` articles missing from the source are removed.
Each article's chunks are written in one upsert, and its stale chunks deleted only
after, so a failure never leaves a half-written article. Exchanges: ids derive from
content, so re-running an ingest writes nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from replyassist.embeddings import embed_array
from replyassist.errors import InvalidInputError
from replyassist.jsonl import OnError, ParsedLine
from replyassist.models import KnowledgeArticle
from replyassist.store import TenantCollection

from .chunking import Chunker
from .history import Exchange

__all__ = ["IngestReport", "article_hash", "sync_articles", "sync_exchanges"]


@dataclass
class IngestReport:
    kind: str
    added: int = 0
    updated: int = 0
    skipped: int = 0
    removed: int = 0
    chunks: int = 0
    seconds: float = 0.0
    errors: list[InvalidInputError] = field(default_factory=list)

    def summary(self) -> str:
        line = (f"{self.kind}: {self.added} added, {self.updated} updated, "
                f"{self.skipped} skipped, {self.removed} removed")
        if self.errors:
            line += f", {len(self.errors)} errors"
        return f"{line} ({self.seconds:.2f} s)"


def article_hash(article: KnowledgeArticle, signature: str) -> str:
    payload = article.model_dump(mode="json", exclude={"metadata"})
    payload["_chunker"] = signature
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _handle_error(error: InvalidInputError, report: IngestReport, on_error: OnError) -> None:
    if on_error == "stop":
        raise error
    report.errors.append(error)


def sync_articles(
    records: Iterable[ParsedLine[KnowledgeArticle]],
    collection: TenantCollection,
    embedder: Embeddings,
    chunker: Chunker,
    *,
    prune: bool = False,
    on_error: OnError = "stop",
    progress: bool = False,
    batch_chunks: int = 256,
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport("articles")
    existing: dict[str, tuple[str, list[str]]] = {}
    for item in collection.iter_all(documents=False):
        doc_id = str(item.metadata.get("doc_id"))
        digest, ids = existing.get(doc_id, (str(item.metadata.get("doc_hash")), []))
        ids.append(item.id)
        existing[doc_id] = (digest, ids)

    seen: set[str] = set()
    pending: list[tuple[KnowledgeArticle, str, list[str], list[str], list[dict[str, object]]]] = []
    bar = tqdm(desc="articles", unit="doc", disable=not progress)

    def flush() -> None:
        if not pending:
            return
        texts = [t for _, _, _, texts, _ in pending for t in texts]
        vectors = embed_array(embedder, texts)
        offset = 0
        for article, _digest, ids, texts_, metas in pending:
            count = len(texts_)
            collection.upsert(ids, vectors[offset : offset + count], texts_, metas)
            offset += count
            old = existing.get(article.id)
            if old is not None:
                collection.delete([i for i in old[1] if i not in set(ids)])
                report.updated += 1
            else:
                report.added += 1
            report.chunks += count
        bar.update(len(pending))
        pending.clear()

    try:
        _collect_articles(records, existing, seen, pending, report, chunker, embedder,
                          on_error, flush, batch_chunks)
    finally:  # what was read before an error is written, never lost
        flush()
    bar.close()
    if prune:
        gone = [doc_id for doc_id in existing if doc_id not in seen]
        for doc_id in gone:
            collection.delete(existing[doc_id][1])
        report.removed = len(gone)
    if report.added or report.updated or report.removed:
        collection.bump_generation()
    report.seconds = time.perf_counter() - started
    return report


def _collect_articles(records, existing, seen, pending, report, chunker, embedder,  # type: ignore[no-untyped-def]
                      on_error, flush, batch_chunks) -> None:
    for record in records:
        if record.error is not None or record.value is None:
            _handle_error(record.error or InvalidInputError("unreadable record"), report,
                          on_error)
            continue
        article = record.value
        if article.id in seen:
            _handle_error(InvalidInputError(f"duplicate article id {article.id!r}",
                                            source=None, line=record.line, field="id"),
                          report, on_error)
            continue
        seen.add(article.id)
        digest = article_hash(article, f"{chunker.signature}|{getattr(embedder, 'name', '')}")
        if article.id in existing and existing[article.id][0] == digest:
            report.skipped += 1
            continue
        chunks = chunker.split(article)
        ids = [f"{article.id}#{hashlib.sha1(f'{digest}|{c.index}'.encode()).hexdigest()[:16]}"
               for c in chunks]
        texts = [c.embedding_text(article.title) for c in chunks]
        metas: list[dict[str, object]] = [{
            "doc_id": article.id, "title": article.title, "url": article.url,
            "language": article.language, "tags": list(article.tags), "doc_hash": digest,
            "chunk_index": c.index, "heading": c.heading, "passage": c.text,
            "updated_at": str(article.updated_at) if article.updated_at else None,
        } for c in chunks]
        pending.append((article, digest, ids, texts, metas))
        if sum(len(p[2]) for p in pending) >= batch_chunks:
            flush()


def sync_exchanges(
    exchanges: Iterable[Exchange],
    collection: TenantCollection,
    embedder: Embeddings,
    *,
    progress: bool = False,
    batch_size: int = 512,
    on_batch: Callable[[int], None] | None = None,
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport("exchanges")
    known = {item.id for item in collection.iter_all(documents=False)}
    batch: list[Exchange] = []
    bar = tqdm(desc="exchanges", unit="ex", disable=not progress)

    def flush() -> None:
        if not batch:
            return
        vectors: np.ndarray = embed_array(embedder, [e.context for e in batch])
        collection.upsert([e.id for e in batch], vectors, [e.context for e in batch],
                          [e.metadata() for e in batch])
        report.added += len(batch)
        bar.update(len(batch))
        if on_batch:
            on_batch(len(batch))
        batch.clear()

    try:
        for exchange in exchanges:
            if exchange.id in known:
                report.skipped += 1
                continue
            known.add(exchange.id)
            batch.append(exchange)
            if len(batch) >= batch_size:
                flush()
    finally:  # what was read before an error is written, never lost
        flush()
    bar.close()
    if report.added:
        collection.bump_generation()
    report.seconds = time.perf_counter() - started
    return report
