"""``ReplyAssistant``: the facade. It wires the parts together and delegates; no logic."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from .analysis import LanguageDetector
from .analysis.analyzer import Analyzer
from .analysis.heads import HeadSet
from .analysis.intents import IntentMatcher
from .analysis.llm_tagger import LLMTagger
from .analysis.rules import RuleTagger
from .brand import BrandRegistry, BrandVoice
from .drafting import ComposedDrafter, GeneratedDrafter
from .embed_worker import ProcessEmbeddings
from .embeddings import embedder_identity, load_embedder, uses_english_views
from .guardrails.guard import DraftGuard
from .guardrails.names import NameFinder
from .guardrails.pii import PIIScrubber
from .jsonl import OnError
from .library import LibraryMiner, LibraryStore, MineReport
from .llm import build_chat_model
from .models import Analysis, Conversation, KnowledgeArticle, Suggestions
from .pipeline import StreamEvent, SuggestPipeline
from .prompts import PromptLibrary
from .ranking import FitReport, RankingFitter, default_ranking
from .retrieval import Filters, HybridRetriever
from .settings import Mode, Settings
from .store import VectorStore
from .tokens import TokenCounter
from .triage import QueueItem, triage

if TYPE_CHECKING:
    from kb_ingest import IngestReport

__all__ = ["ReplyAssistant", "default_analyzer"]


def default_analyzer(settings: Settings, brand: BrandVoice, embedder: Embeddings,
                     detector: LanguageDetector | None = None) -> Analyzer:
    """Rules + the packaged heads + the brand's intents. The heads' own embedder is loaded
    only when ``embedder`` is another one (``settings.analysis_embedder``: auto | off |
    an embedder name)."""
    detector = detector or LanguageDetector(settings.languages, default=brand.default_language)
    choice = settings.analysis_embedder
    heads = None if choice == "off" else HeadSet.load(settings.analysis_weights)
    head_embedder = None
    if heads is not None and embedder_identity(embedder) != (heads.embedder, heads.dimension):
        head_embedder = load_embedder(heads.embedder if choice == "auto" else choice)
    intents = IntentMatcher(brand.intents, embedder) if brand.intents else None
    return Analyzer(detector=detector, rules=RuleTagger(), heads=heads,
                    head_embedder=head_embedder, brand=brand, intents=intents)


class ReplyAssistant:
    """Suggest replies for a conversation, and ingest a tenant's articles and history.

    Every dependency can be passed in (tests pass :class:`replyassist.testing.FakeChatModel`
    and :class:`replyassist.testing.HashEmbeddings`); :meth:`from_settings` builds the
    defaults from :class:`Settings`.
    """

    def __init__(
        self,
        *,
        store: VectorStore,
        embedder: Embeddings,
        chat_model: BaseChatModel | None = None,
        settings: Settings | None = None,
        brand: BrandVoice | None = None,
        prompts: PromptLibrary | None = None,
        detector: LanguageDetector | None = None,
        retriever: HybridRetriever | None = None,
        analyzer: Analyzer | None = None,
        brands: BrandRegistry | None = None,
        ingest_embedder: Embeddings | None = None,
        library: LibraryStore | None = None,
        english_embedder: Embeddings | None = None,
    ) -> None:
        """``brand``: the default brand voice (its intents and SLA analyse tenants without
        a profile of their own);
        ``brands``: one brand voice per tenant (``REPLYASSIST_BRANDS_DIR``);
        ``ingest_embedder``: embeds ingested texts instead of ``embedder`` (the same model:
        :meth:`from_settings` passes a :class:`~replyassist.embed_worker.ProcessEmbeddings`
        wrapping ``embedder``, see ``Settings.ingest_embed_process``);
        ``library``: the response library (default: ``Settings.library_url``, else a SQLite
        file beside the vector store)."""
        self.settings = settings or Settings()
        self.english_embedder = english_embedder
        self.store = store
        self.embedder = embedder
        self.chat_model = chat_model
        self.brand = brand or BrandVoice(default_language=self.settings.default_language)
        self.prompts = prompts or PromptLibrary()
        self.detector = detector or LanguageDetector(
            self.settings.languages, default=self.brand.default_language)
        # kb_ingest builds on replyassist's models: import it here, so that either
        # package can be imported first without a circular import.
        from kb_ingest.chunking import Chunker
        from kb_ingest.service import Ingestor

        self.library = library or (LibraryStore(self.settings.library_url)
                                   if self.settings.library_url
                                   else LibraryStore.beside(store.location))
        # names an older ingest left in past answers are slotted too (no spaCy: see
        # docs/names.md)
        self.library_miner = LibraryMiner(self.library, embedder, names=NameFinder(ner=False),
                                          min_support=self.settings.library_min_support)
        counter = TokenCounter()
        generator = GeneratedDrafter(chat_model, self.prompts,
                                     max_prompt_tokens=self.settings.max_prompt_tokens
                                     ) if chat_model is not None else None
        self.analyzer = analyzer or default_analyzer(self.settings, self.brand, embedder,
                                                     self.detector)
        llm_tagger = LLMTagger(chat_model, self.prompts, self.brand.intents) \
            if chat_model is not None and self.settings.llm_tagging != "off" else None
        self.pipeline = SuggestPipeline(
            store=store, embedder=embedder, retriever=retriever or HybridRetriever(),
            analyzer=self.analyzer, composer=ComposedDrafter(self.prompts),
            generator=generator, brand=self.brand, top_articles=self.settings.top_articles,
            top_exchanges=self.settings.top_exchanges, max_drafts=self.settings.max_drafts,
            llm_tagger=llm_tagger, llm_tagging=self.settings.llm_tagging,
            unsure_below=self.settings.llm_tagging_unsure_below,
            guard=DraftGuard(self.brand, detector=self.detector),
            brands=brands or BrandRegistry(default=self.brand),
            library=self.library, library_min_support=self.settings.library_min_support,
            english_embedder=english_embedder)
        self.ranking_fitter = RankingFitter(self.pipeline.retriever,
                                            min_labelled=self.settings.ranking_min_labelled)
        if self.pipeline.brands.default is None:
            self.pipeline.brands.default = self.brand
        self.ingest_embedder = ingest_embedder or embedder
        self.ingestor = Ingestor(
            self.ingest_embedder, chunker=Chunker(self.settings.kb_chunk_tokens,
                                      self.settings.kb_chunk_overlap, counter),
            detector=self.detector, scrubber=PIIScrubber())

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *,
                      chat_model: BaseChatModel | None = None,
                      embedder: Embeddings | None = None,
                      brand: BrandVoice | None = None) -> ReplyAssistant:
        settings = settings or Settings.load()
        brands = BrandRegistry.from_directory(settings.brands_dir, default=brand) \
            if settings.brands_dir else None
        if brand is None and brands is not None:
            brand = brands.default
        ingest_embedder = None
        english_embedder = None
        if embedder is None:
            embedder = load_embedder(settings.embedder)
            if uses_english_views(settings):
                english_embedder = load_embedder(settings.english_embedder)
            if settings.ingest_embed_process != "never":
                ingest_embedder = ProcessEmbeddings(
                    settings.embedder, local=embedder,
                    start_after=0 if settings.ingest_embed_process == "always"
                    else settings.ingest_embed_process_after)
        return cls(store=VectorStore.open(settings.store_location), embedder=embedder,
                   chat_model=chat_model or build_chat_model(settings),
                   settings=settings, brand=brand, brands=brands,
                   ingest_embedder=ingest_embedder, english_embedder=english_embedder)

    def close(self) -> None:
        """Stop the ingest's embedder process, if one was started (it also stops on its
        own when this process exits)."""
        if isinstance(self.ingest_embedder, ProcessEmbeddings):
            self.ingest_embedder.close()
        self.library.close()

    def __enter__(self) -> ReplyAssistant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ suggest
    @staticmethod
    def _conversation(conversation: Conversation | dict[str, Any]) -> Conversation:
        if isinstance(conversation, Conversation):
            return conversation
        from pydantic import ValidationError

        from .jsonl import invalid_input_from_validation

        try:
            return Conversation.model_validate(conversation)
        except ValidationError as exc:
            raise invalid_input_from_validation(exc, source="<input>", line=None) from exc

    def suggest(self, conversation: Conversation | dict[str, Any], *, mode: Mode | None = None,
                tenant: str | None = None, filters: Filters | None = None) -> Suggestions:
        return self.pipeline.suggest(self._conversation(conversation),
                                     mode=mode or self.settings.mode, tenant=tenant,
                                     filters=filters)

    async def asuggest(self, conversation: Conversation | dict[str, Any], *,
                       mode: Mode | None = None, tenant: str | None = None,
                       filters: Filters | None = None) -> Suggestions:
        return await self.pipeline.asuggest(self._conversation(conversation),
                                            mode=mode or self.settings.mode, tenant=tenant,
                                            filters=filters)

    def stream(self, conversation: Conversation | dict[str, Any], *, mode: Mode | None = None,
               tenant: str | None = None, filters: Filters | None = None
               ) -> Iterator[StreamEvent]:
        return self.pipeline.stream(self._conversation(conversation),
                                    mode=mode or self.settings.mode, tenant=tenant,
                                    filters=filters)

    def astream(self, conversation: Conversation | dict[str, Any], *, mode: Mode | None = None,
                tenant: str | None = None, filters: Filters | None = None
                ) -> AsyncIterator[StreamEvent]:
        return self.pipeline.astream(self._conversation(conversation),
                                     mode=mode or self.settings.mode, tenant=tenant,
                                     filters=filters)

    def triage(self, conversations: Iterable[Conversation | dict[str, Any]], *,
               now: datetime | None = None) -> list[QueueItem]:
        """Order a mixed batch of conversations into one queue (fast tags, no LLM)."""
        return triage([self._conversation(c) for c in conversations], self.analyzer,
                      embedder=self.embedder, now=now, analyzer_for=self.pipeline.analyzer_for)

    def analyze(self, conversation: Conversation | dict[str, Any], *,
                now: datetime | None = None) -> Analysis:
        """The fast tags of one conversation (no retrieval, no LLM)."""
        return triage([self._conversation(conversation)], self.analyzer,
                      embedder=self.embedder, now=now,
                      analyzer_for=self.pipeline.analyzer_for)[0].analysis

    # ------------------------------------------------------------------ ingest
    def ingest_kb(self, source: str | Path | Iterable[KnowledgeArticle], *,
                  tenant: str | None = None, prune: bool = False, on_error: OnError = "stop",
                  progress: bool = False) -> IngestReport:
        tenant = tenant or self.settings.tenant
        kb, _ = self.pipeline.collections(tenant, create=True)
        assert kb is not None
        report = self.ingestor.ingest_kb(source, kb, prune=prune, on_error=on_error,
                                         progress=progress)
        from kb_ingest.views import sync_kb_views  # see __init__ (no import cycle)

        views = self.pipeline.views(tenant, create=True)
        assert views.titles is not None
        sync_kb_views(kb, views.titles, self.ingest_embedder, views.kb_en,
                      self.english_embedder)
        return report

    def ingest_history(self, source: str | Path | Iterable[Conversation], *,
                       tenant: str | None = None, on_error: OnError = "stop",
                       progress: bool = False) -> IngestReport:
        tenant = tenant or self.settings.tenant
        kb, history = self.pipeline.collections(tenant, create=True)
        assert history is not None
        report = self.ingestor.ingest_history(source, history, kb, tenant=tenant,
                                              on_error=on_error, progress=progress)
        from kb_ingest.views import sync_history_view

        views = self.pipeline.views(tenant, create=True)
        if views.history_en is not None and self.english_embedder is not None:
            sync_history_view(history, views.history_en, self.english_embedder)
        if self.settings.library_mine_on_ingest:
            report.library = self.mine_library(tenant)
        if self.settings.ranking_refit_on_ingest and self.ranking_fitter.due(history):
            report.ranking = self.fit_ranking(tenant)
        return report

    def ranking(self, tenant: str | None = None) -> dict[str, Any]:
        """The ranking the tenant's queries use, per route: its own fit or the defaults."""
        _, history = self.pipeline.collections(tenant or self.settings.tenant)
        fitted = self.pipeline.retriever.ranking_of(history)
        routes: dict[str, Any] = {}
        for route in ("primary", "english"):
            chosen = fitted.route(route) if fitted else default_ranking().route(route)
            routes[route] = chosen.model_dump(mode="json")
        return {"tenant": tenant or self.settings.tenant,
                "labelled": fitted.labelled if fitted else 0,
                "fitted_at": fitted.fitted_at if fitted else None, "routes": routes}

    def fit_ranking(self, tenant: str | None = None) -> FitReport:
        """Fit the tenant's ranking on its own history now and keep it with the history
        (tenants with too few labelled cases get the package defaults)."""
        tenant = tenant or self.settings.tenant
        kb, history = self.pipeline.collections(tenant, create=True)
        assert history is not None
        return self.ranking_fitter.fit(tenant, kb, history, self.pipeline.views(tenant))

    def mine_library(self, tenant: str | None = None) -> MineReport:
        """Mine the tenant's response library from the past answers not mined yet."""
        tenant = tenant or self.settings.tenant
        _, history = self.pipeline.collections(tenant, create=True)
        assert history is not None
        return self.library_miner.mine_collection(
            tenant, history, intents=self.pipeline.analyzer_for(tenant).intents)
