"""Ingest a tenant's knowledge base or history: read, validate, scrub, embed, write."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from langchain_core.embeddings import Embeddings

from replyassist.analysis import LanguageDetector
from replyassist.errors import InvalidInputError
from replyassist.guardrails.pii import PIIScrubber
from replyassist.jsonl import OnError, ParsedLine, read_records
from replyassist.models import Conversation, KnowledgeArticle
from replyassist.store import TenantCollection

from .articles import load_articles
from .chunking import Chunker
from .history import Exchange, conversation_exchanges, normalize_url
from .sync import IngestReport, sync_articles, sync_exchanges

__all__ = ["Ingestor"]


def _as_records(items: Iterable[KnowledgeArticle | Conversation]
                ) -> Iterator[ParsedLine[KnowledgeArticle | Conversation]]:
    for index, item in enumerate(items, start=1):
        yield ParsedLine(index, item)


class Ingestor:
    def __init__(self, embedder: Embeddings, *, chunker: Chunker, detector: LanguageDetector,
                 scrubber: PIIScrubber) -> None:
        self.embedder = embedder
        self.chunker = chunker
        self.detector = detector
        self.scrubber = scrubber

    def ingest_kb(self, source: str | Path | Iterable[KnowledgeArticle],
                  collection: TenantCollection, *, prune: bool = False,
                  on_error: OnError = "stop", progress: bool = False) -> IngestReport:
        records = load_articles(source) if isinstance(source, str | Path) else \
            _as_records(source)
        return sync_articles(records, collection, self.embedder, self.chunker,  # type: ignore[arg-type]
                             prune=prune, on_error=on_error, progress=progress)

    def ingest_history(self, source: str | Path | Iterable[Conversation],
                       collection: TenantCollection, kb: TenantCollection | None, *,
                       tenant: str, on_error: OnError = "stop", progress: bool = False
                       ) -> IngestReport:
        label = str(source) if isinstance(source, str | Path) else None
        if isinstance(source, str | Path):
            if not Path(source).exists():
                raise InvalidInputError("no such file", source=source)
            records: Iterable[ParsedLine[Conversation]] = read_records(source, Conversation)
        else:
            records = _as_records(source)  # type: ignore[assignment]
        url_to_doc: dict[str, list[str]] = defaultdict(list)
        if kb is not None:
            for item in kb.iter_all(documents=False):
                url, doc_id = item.metadata.get("url"), str(item.metadata.get("doc_id"))
                key = normalize_url(str(url)) if url else None
                if key and doc_id not in url_to_doc[key]:
                    url_to_doc[key].append(doc_id)
        known_ids = collection.ids()
        errors: list[InvalidInputError] = []
        already = 0

        def detect(text: str, default: str | None) -> str:
            # the last 300 characters tell the language as well as a whole e-mail does
            return self.detector.detect(text[-300:], default=default)[0]

        def exchanges() -> Iterator[Exchange]:
            nonlocal already
            for record in records:
                if record.error is not None or record.value is None:
                    error = record.error or InvalidInputError("unreadable record")
                    if on_error == "stop":
                        raise error
                    errors.append(error)
                    continue
                conversation = record.value
                if conversation.tenant not in (tenant, "default"):
                    error = InvalidInputError(
                        f"conversation of tenant {conversation.tenant!r} in an ingest for "
                        f"tenant {tenant!r}", source=label, line=record.line, field="tenant")
                    if on_error == "stop":
                        raise error
                    errors.append(error)
                    continue
                new, known = conversation_exchanges(
                    conversation, scrubber=self.scrubber, detect_language=detect,
                    url_to_doc=url_to_doc, known_ids=known_ids)
                already += known
                yield from new

        report = sync_exchanges(exchanges(), collection, self.embedder, progress=progress,
                                known_ids=known_ids)
        report.skipped += already
        report.errors.extend(errors)
        return report
