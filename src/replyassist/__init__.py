"""replyassist: reply suggestions for customer-service agents, offline first."""

from .analysis import (
    Analyzer,
    BusinessHours,
    ChannelTarget,
    IntentMatcher,
    IntentSpec,
    LanguageDetector,
    LLMTagger,
    RuleTagger,
    SlaPolicy,
)
from .analysis.tone import choose_tones
from .assistant import ReplyAssistant
from .brand import BrandRegistry, BrandVoice
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
from .guardrails.injection import InjectionDetector
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
    Reaction,
    SimilarConversation,
    Suggestions,
    Usage,
)
from .pipeline import StreamEvent
from .retrieval import Filters
from .settings import Settings
from .store import VectorStore
from .triage import QueueItem, triage

__version__ = "0.1.0"

__all__ = [
    "Analysis",
    "Analyzer",
    "ArticleHit",
    "BrandRegistry",
    "BrandVoice",
    "BusinessHours",
    "ChannelTarget",
    "Citation",
    "ConfigurationError",
    "Conversation",
    "Customer",
    "Draft",
    "EmbedderMismatchError",
    "EmbeddingError",
    "Expected",
    "Filters",
    "InjectionDetector",
    "IntentMatcher",
    "IntentSpec",
    "InvalidInputError",
    "KnowledgeArticle",
    "LLMError",
    "LLMRateLimitError",
    "LLMResponseError",
    "LLMTagger",
    "LLMTimeoutError",
    "LanguageDetector",
    "Message",
    "Notice",
    "QueueItem",
    "Reaction",
    "ReplyAssistError",
    "ReplyAssistant",
    "RuleTagger",
    "RuntimeFailure",
    "SentenceTransformerEmbeddings",
    "Settings",
    "SimilarConversation",
    "SlaPolicy",
    "StoreError",
    "StreamEvent",
    "Suggestions",
    "UniversalSentenceEncoderEmbeddings",
    "Usage",
    "UserError",
    "VectorStore",
    "__version__",
    "choose_tones",
    "load_embedder",
    "triage",
]
