"""Ingestion of knowledge articles and conversation history into replyassist's store.

- :mod:`.articles`: read articles from a folder (``.md`` + YAML front matter, ``.html``,
  ``.txt``) or JSONL.
- :mod:`.chunking`: token-aware chunks that keep the title and section headings.
- :mod:`.history`: past conversations → exchanges (customer context → agent answer),
  personal data scrubbed, links to known articles recorded.
- :mod:`.sync`: incremental, idempotent writes (skip unchanged, replace changed, prune).
"""

from .articles import load_articles
from .chunking import Chunk, Chunker
from .history import Exchange, conversation_exchanges
from .service import Ingestor
from .sync import IngestReport, sync_articles, sync_exchanges

__all__ = [
    "Chunk",
    "Chunker",
    "Exchange",
    "IngestReport",
    "Ingestor",
    "conversation_exchanges",
    "load_articles",
    "sync_articles",
    "sync_exchanges",
]
