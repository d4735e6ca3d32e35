"""replyassist: reply suggestions for customer-service agents, offline first."""

from .assistant import ReplyAssistant
from .brand import BrandVoice
from .embeddings import (
    SentenceTransformerEmbeddings,
    UniversalSentenceEncoderEmbeddings,
    load_embedder,
)
from .errors import (
    ConfigurationError,
    EmbedderMismatchError,
    EmbeddingError,
    InvalidInputError,
    LLMError,
    LLMRateLimitError,
    LLMResponseError,
    LLMTimeoutError,
    ReplyAssistError,
    RuntimeFailure,
    StoreError,
    UserError,
)
from .models import (
    Analysis,
    ArticleHit,
    Citation,
    Conversation,
    Customer,
    Draft,
    Expected,
    KnowledgeArticle,
    Message,
    Notice,
    SimilarConversation,
    Suggestions,
    Usage,
)
from .pipeline import StreamEvent
from .retrieval import Filters
from .settings import Settings
from .store import VectorStore

__version__ = "0.1.0"

__all__ = [
    "Analysis",
    "ArticleHit",
    "BrandVoice",
    "Citation",
    "ConfigurationError",
    "Conversation",
    "Customer",
    "Draft",
    "EmbedderMismatchError",
    "EmbeddingError",
    "Expected",
    "Filters",
    "InvalidInputError",
    "KnowledgeArticle",
    "LLMError",
    "LLMRateLimitError",
    "LLMResponseError",
    "LLMTimeoutError",
    "Message",
    "Notice",
    "ReplyAssistError",
    "ReplyAssistant",
    "RuntimeFailure",
    "SentenceTransformerEmbeddings",
    "Settings",
    "SimilarConversation",
    "StoreError",
    "StreamEvent",
    "Suggestions",
    "UniversalSentenceEncoderEmbeddings",
    "Usage",
    "UserError",
    "VectorStore",
    "__version__",
    "load_embedder",
]
