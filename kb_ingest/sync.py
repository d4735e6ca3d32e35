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
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from replyassist.embed_worker import submit_embedding
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
    library: Any = None  # the response library's MineReport after a history ingest
    ranking: Any = None  # the ranking's FitReport when the ingest refitted it

    def summary(self) -> str:
        line = (f"{self.kind}: {self.added} added, {self.updated} updated, "
                f"{self.skipped} skipped, {self.removed} removed")
        if self.errors:
            line += f", {len(self.errors)} errors"
        line = f"{line} ({self.seconds:.2f} s)"
        for extra in (self.library, self.ranking):
            if extra is not None:
                line = f"{line}\n{extra.summary()}"
        return line


def article_hash(article: KnowledgeArticle, signature: str) -> str:
    payload = article.model_dump(mode="json", exclude={"metadata"})
    payload["_chunker"] = signature
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


class _BackgroundWriter:
    """Runs store writes in one background thread. At most one write is in flight; its
    errors surface on the next ``submit`` or on ``drain``. The embedded Chroma's upsert
    holds the GIL for the whole call (``evals.bench_ingest`` measures it: a Python thread
    gets 3–8 % as far as alone), so in process the write and the Python stages (reading,
    scrubbing, the embedder's tokenizer) run one after another. With a Chroma server the
    client waits on the network part of the time (48–81 % as far), and with the embedder
    in a child process (:class:`~replyassist.embed_worker.ProcessEmbeddings`) the
    embedding runs there meanwhile."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ra-writer")
        self._future: Future[None] | None = None

    def submit(self, job: Callable[[], None]) -> None:
        self.wait()
        self._future = self._executor.submit(job)

    def wait(self) -> None:
        if self._future is not None:
            future, self._future = self._future, None
            future.result()

    def drain(self) -> None:
        try:
            self.wait()
        finally:
            self._executor.shutdown(wait=True)


class _EmbedThenWrite:
    """Batches go embed → write. With an in-process embedder, ``submit`` embeds now and
    queues the write; with :class:`~replyassist.embed_worker.ProcessEmbeddings` it hands
    the batch to the child and writes the batch before it (whose vectors are then ready
    or nearly), so the child embeds batch *k* while this process writes *k − 1* and reads
    *k + 1*. ``drain`` writes whatever was submitted: nothing read is lost."""

    def __init__(self, embedder: Embeddings) -> None:
        self.embedder = embedder
        self.writer = _BackgroundWriter()
        self._waiting: tuple[Future[np.ndarray], Callable[[np.ndarray], None]] | None = None

    def submit(self, texts: list[str], write: Callable[[np.ndarray], None]) -> None:
        future = submit_embedding(self.embedder, texts)
        previous, self._waiting = self._waiting, (future, write)
        if previous is not None:
            self._write(*previous)
        if future.done():
            self._write_waiting()

    def _write(self, future: Future[np.ndarray], write: Callable[[np.ndarray], None]) -> None:
        vectors = future.result()
        self.writer.submit(lambda: write(vectors))

    def _write_waiting(self) -> None:
        if self._waiting is not None:
            waiting, self._waiting = self._waiting, None
            self._write(*waiting)

    def drain(self) -> None:
        try:
            self._write_waiting()
        finally:
            self.writer.drain()


def _handle_error(error: InvalidInputError, report: IngestReport, on_error: OnError) -> None:
    if on_error == "stop":
        raise error
    report.errors.append(error)


@dataclass
class _PendingArticle:
    article: KnowledgeArticle
    ids: list[str]
    texts: list[str]
    metadatas: list[dict[str, object]]


class _ArticleSync:
    """One run of :func:`sync_articles` (state shared by its steps)."""

    def __init__(self, collection: TenantCollection, embedder: Embeddings, chunker: Chunker,
                 on_error: OnError, progress: bool, batch_chunks: int) -> None:
        self.collection = collection
        self.embedder = embedder
        self.chunker = chunker
        self.on_error = on_error
        self.batch_chunks = batch_chunks
        self.report = IngestReport("articles")
        self.seen: set[str] = set()
        self.pending: list[_PendingArticle] = []
        self.bar = tqdm(desc="articles", unit="doc", disable=not progress)
        self.pipeline = _EmbedThenWrite(embedder)
        self.signature = f"{chunker.signature}|{getattr(embedder, 'name', '')}"
        self.existing: dict[str, tuple[str, list[str]]] = {}
        for item in collection.iter_all(documents=False):
            doc_id = str(item.metadata.get("doc_id"))
            digest, ids = self.existing.get(doc_id, (str(item.metadata.get("doc_hash")), []))
            ids.append(item.id)
            self.existing[doc_id] = (digest, ids)

    def read(self, records: Iterable[ParsedLine[KnowledgeArticle]]) -> None:
        for record in records:
            if record.error is not None or record.value is None:
                _handle_error(record.error or InvalidInputError("unreadable record"),
                              self.report, self.on_error)
                continue
            self.add(record.value, record.line)

    def add(self, article: KnowledgeArticle, line: int) -> None:
        if article.id in self.seen:
            _handle_error(InvalidInputError(f"duplicate article id {article.id!r}", line=line,
                                            field="id"), self.report, self.on_error)
            return
        self.seen.add(article.id)
        digest = article_hash(article, self.signature)
        if article.id in self.existing and self.existing[article.id][0] == digest:
            self.report.skipped += 1
            self.bar.update(1)
            return
        chunks = self.chunker.split(article)
        self.pending.append(_PendingArticle(
            article=article,
            ids=[f"{article.id}#{hashlib.sha1(f'{digest}|{c.index}'.encode()).hexdigest()[:16]}"
                 for c in chunks],
            texts=[c.embedding_text(article.title) for c in chunks],
            metadatas=[{
                "doc_id": article.id, "title": article.title, "url": article.url,
                "language": article.language, "tags": list(article.tags), "doc_hash": digest,
                "chunk_index": c.index, "heading": c.heading, "passage": c.text,
                "updated_at": str(article.updated_at) if article.updated_at else None,
            } for c in chunks]))
        if sum(len(p.ids) for p in self.pending) >= self.batch_chunks:
            self.flush()

    def flush(self) -> None:
        """Embed the pending articles together, then write them in one upsert (in the
        background) and delete the stale chunks of updated ones after: an article is
        never half written. ``batch_chunks`` stays far below Chroma's max batch size."""
        if not self.pending:
            return
        batch, self.pending = self.pending, []

        def write(vectors: np.ndarray) -> None:
            self.collection.upsert([i for p in batch for i in p.ids], vectors,
                                   [t for p in batch for t in p.texts],
                                   [m for p in batch for m in p.metadatas])
            stale: list[str] = []
            for pending in batch:
                old = self.existing.get(pending.article.id)
                if old is not None:
                    fresh = set(pending.ids)
                    stale.extend(i for i in old[1] if i not in fresh)
                    self.report.updated += 1
                else:
                    self.report.added += 1
                self.report.chunks += len(pending.ids)
            self.collection.delete(stale)
            self.bar.update(len(batch))

        self.pipeline.submit([t for p in batch for t in p.texts], write)

    def prune(self) -> None:
        gone = [doc_id for doc_id in self.existing if doc_id not in self.seen]
        for doc_id in gone:
            self.collection.delete(self.existing[doc_id][1])
        self.report.removed = len(gone)


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
    run = _ArticleSync(collection, embedder, chunker, on_error, progress, batch_chunks)
    report = run.report
    try:
        run.read(records)
        if prune:
            run.prune()
    finally:  # what was read before an error is written, never lost
        try:
            run.flush()
        finally:
            run.pipeline.drain()
            run.bar.close()
        if report.added or report.updated or report.removed:
            collection.bump_generation()  # invalidates lexical indexes
    report.seconds = time.perf_counter() - started
    return report


def sync_exchanges(
    exchanges: Iterable[Exchange],
    collection: TenantCollection,
    embedder: Embeddings,
    *,
    progress: bool = False,
    batch_size: int = 512,
    known_ids: set[str] | None = None,
) -> IngestReport:
    """Write new exchanges; ``known_ids`` (ids already stored) is read from the store when
    not given, and updated with what is written."""
    started = time.perf_counter()
    report = IngestReport("exchanges")
    known = known_ids if known_ids is not None else collection.ids()
    batch: list[Exchange] = []
    bar = tqdm(desc="exchanges", unit="ex", disable=not progress)
    pipeline = _EmbedThenWrite(embedder)

    def flush() -> None:
        if not batch:
            return
        items = list(batch)
        batch.clear()

        def write(vectors: np.ndarray) -> None:
            collection.upsert([e.id for e in items], vectors, [e.context for e in items],
                              [e.metadata() for e in items])
            report.added += len(items)
            bar.update(len(items))

        pipeline.submit([e.context for e in items], write)

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
        try:
            flush()
        finally:
            pipeline.drain()
            bar.close()
            if report.added:
                collection.bump_generation()
    report.seconds = time.perf_counter() - started
    return report
