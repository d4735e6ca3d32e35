"""The suggest pipeline: analysis → retrieval → drafting, timed stage by stage."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from langchain_core.embeddings import Embeddings
from pydantic import BaseModel

from .analysis.analyzer import Analyzer
from .analysis.intents import IntentMatcher
from .analysis.llm_tagger import LLMTagger, LLMTagging, combine, unsure_fields
from .analysis.tone import choose_tones
from .brand import BrandRegistry, BrandVoice
from .drafting import (
    ComposedDrafter,
    DraftContext,
    DraftOutcome,
    GeneratedDrafter,
    suggest_reactions,
)
from .drafting.shorten import Shortener
from .drafting.voice import fits_address
from .embeddings import embed_array, embedder_identity
from .errors import ConfigurationError, InvalidInputError, LLMError
from .guardrails.guard import DraftGuard
from .library import LibraryStore, select_replies
from .models import Analysis, ArticleHit, Conversation, Notice, SimilarConversation, Suggestions
from .retrieval import Filters, HybridRetriever, RetrievalResult, TenantViews
from .settings import Mode
from .store import TenantCollection, VectorStore

__all__ = ["StreamEvent", "SuggestPipeline"]

log = logging.getLogger("replyassist")

MAX_QUERY_CHARS = 2000


class StreamEvent(BaseModel):
    """One event of :meth:`ReplyAssistant.stream`: analysis and articles first, then the
    first draft's tokens, then the final, validated :class:`Suggestions`."""

    type: Literal["analysis", "articles", "token", "final"]
    data: Any = None


@dataclass
class _Prepared:
    conversation: Conversation
    tenant: str
    analysis: Analysis
    retrieval: RetrievalResult
    context: DraftContext
    timings: dict[str, float]
    started: float
    injection_evidence: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _TenantAnalysis:
    """What analyses a tenant's conversations: its brand, and the analyzer and LLM tagger
    built for that brand's intents and SLA."""

    brand: BrandVoice
    analyzer: Analyzer
    llm_tagger: LLMTagger | None


class SuggestPipeline:
    def __init__(
        self,
        *,
        store: VectorStore,
        embedder: Embeddings,
        retriever: HybridRetriever,
        analyzer: Analyzer,
        composer: ComposedDrafter,
        generator: GeneratedDrafter | None,
        brand: BrandVoice,
        brands: BrandRegistry | None = None,
        top_articles: int = 3,
        top_exchanges: int = 5,
        max_drafts: int = 3,
        llm_tagger: LLMTagger | None = None,
        llm_tagging: LLMTagging = "unsure",
        unsure_below: float = 0.6,
        guard: DraftGuard | None = None,
        library: LibraryStore | None = None,
        library_min_support: int = 2,
        english_embedder: Embeddings | None = None,
    ) -> None:
        """``english_embedder``: matches English queries with the English views of the
        knowledge base and history (``None``: the primary embedder for every language)."""
        self.store = store
        self.embedder = embedder
        self.english_embedder = english_embedder
        self.retriever = retriever
        self.analyzer = analyzer
        self.llm_tagger = llm_tagger
        self.llm_tagging = llm_tagging
        self.unsure_below = unsure_below
        self.guard = guard
        self.library = library
        self.library_min_support = library_min_support
        self.composer = composer
        self.generator = generator
        # over-limit generated drafts get one LLM shortening before the guard trims
        self.shortener = Shortener(generator.model, generator.prompts,
                                   model_name=generator.model_name) if generator else None
        self.brand = brand
        # each tenant's own brand voice: greetings, tu/vous and guardrail lists for the
        # drafts, default language, intents and SLA for the analysis (analyzer_for)
        self.brands = brands or BrandRegistry(default=brand)
        self._brand_analysis: dict[int, _TenantAnalysis] = {}  # id(brand) → its analysis
        self.top_articles = top_articles
        self.top_exchanges = top_exchanges
        self.max_drafts = max_drafts
        self._identity: tuple[str, int] | None = None
        self._english_identity: tuple[str, int] | None = None

    @property
    def identity(self) -> tuple[str, int]:
        if self._identity is None:
            self._identity = embedder_identity(self.embedder)
        return self._identity

    def collections(self, tenant: str, *, create: bool = False
                    ) -> tuple[TenantCollection | None, TenantCollection | None]:
        name, dimension = self.identity
        return (self.store.collection(tenant, "kb", embedder_name=name, dimension=dimension,
                                      create=create),
                self.store.collection(tenant, "history", embedder_name=name,
                                      dimension=dimension, create=create))

    def views(self, tenant: str, *, create: bool = False,
              english_vector: np.ndarray | None = None) -> TenantViews:
        """The tenant's derived collections (titles; English views when the pipeline has
        an English embedder) and, for an English query, its English vector."""
        name, dimension = self.identity
        titles = self.store.collection(tenant, "kb_titles", embedder_name=name,
                                       dimension=dimension, create=create)
        if self.english_embedder is None:
            return TenantViews(titles=titles)
        if self._english_identity is None:
            self._english_identity = embedder_identity(self.english_embedder)
        en_name, en_dimension = self._english_identity
        return TenantViews(
            titles=titles,
            kb_en=self.store.collection(tenant, "kb_en", embedder_name=en_name,
                                        dimension=en_dimension, create=create),
            history_en=self.store.collection(tenant, "history_en", embedder_name=en_name,
                                             dimension=en_dimension, create=create),
            english_vector=english_vector)

    def retrieve(self, tenant: str, text: str, vector: np.ndarray, *, language: str | None,
                 filters: Filters | None = None,
                 k_articles: int | None = None, k_exchanges: int | None = None
                 ) -> RetrievalResult:
        """Articles and similar past exchanges of ``tenant`` for a customer text; English
        texts go the English route when the pipeline has an English embedder."""
        kb, history = self.collections(tenant)
        english = None
        if self.english_embedder is not None and language == "en":
            english = embed_array(self.english_embedder, [text])[0]
        return self.retriever.retrieve(
            kb, history, text, vector,
            k_articles=self.top_articles if k_articles is None else k_articles,
            k_exchanges=self.top_exchanges if k_exchanges is None else k_exchanges,
            filters=filters, language=language,
            views=self.views(tenant, english_vector=english))

    def _analysis_for(self, tenant: str) -> _TenantAnalysis:
        brand = self.brands.for_tenant(tenant)
        if brand is self.analyzer.brand:
            return _TenantAnalysis(brand, self.analyzer, self.llm_tagger)
        cached = self._brand_analysis.get(id(brand))
        if cached is not None and cached.brand is brand:  # it holds the brand: id stays valid
            return cached
        base = self.analyzer.intents
        intents = None
        if brand.intents:
            intents = base.for_intents(brand.intents) if base is not None else \
                IntentMatcher(brand.intents, self.embedder)
        tagger = self.llm_tagger.for_intents(brand.intents) if self.llm_tagger else None
        made = _TenantAnalysis(brand, self.analyzer.for_brand(brand, intents), tagger)
        self._brand_analysis[id(brand)] = made  # once per brand (its intent vectors)
        return made

    def analyzer_for(self, tenant: str) -> Analyzer:
        """The analyzer with ``tenant``'s brand: its default language and register, its
        intents and its SLA (``self.analyzer`` for tenants of the default brand)."""
        return self._analysis_for(tenant).analyzer

    # ------------------------------------------------------------------ stages
    def prepare(self, conversation: Conversation, *, tenant: str | None = None,
                filters: Filters | None = None, mode: Mode = "composed") -> _Prepared:
        started = time.perf_counter()
        query = conversation.latest_customer_text()
        if not query.strip():
            raise InvalidInputError("the conversation has no customer message to answer",
                                    field="messages")
        tenant = tenant or conversation.tenant
        vector = embed_array(self.embedder, [query[-MAX_QUERY_CHARS:]])[0]
        embedded = time.perf_counter()
        tenant_analysis = self._analysis_for(tenant)
        fast = tenant_analysis.analyzer.tag(conversation, vector=vector, embedder=self.embedder)
        analysed = time.perf_counter()
        analysis = self._llm_tags(conversation, fast.analysis, fast.findings.urgency_floor,
                                  mode, tenant_analysis)
        llm_done = time.perf_counter()

        brand = tenant_analysis.brand
        language = analysis.language or brand.default_language
        retrieval = self.retrieve(tenant, query[-MAX_QUERY_CHARS:], vector, language=language,
                                  filters=filters)
        address = brand.address_form(language, analysis.register)
        replies = select_replies(
            self.library, tenant, language, retrieval.exchanges,
            min_support=self.library_min_support,
            fits=lambda text: fits_address(text, language, address)) \
            if self.library is not None else []
        retrieved = time.perf_counter()
        tones = choose_tones(mood=analysis.mood, register=analysis.register,
                             channel=conversation.channel, flags=analysis.flags,
                             brand=brand, count=self.max_drafts)
        context = DraftContext(conversation=conversation, language=language, brand=brand,
                               register=analysis.register, replies=replies,
                               flags=list(analysis.flags), mood=analysis.mood,
                               articles=retrieval.articles, exchanges=retrieval.exchanges,
                               max_drafts=self.max_drafts, tones=tones,
                               injection_suspected="prompt_injection" in analysis.flags)
        timings = {"analysis": (analysed - embedded) * 1000,
                   "retrieval": (embedded - started + retrieved - llm_done) * 1000}
        if llm_done - analysed > 0.001:
            timings["llm_analysis"] = (llm_done - analysed) * 1000
        return _Prepared(conversation, tenant, analysis, retrieval, context, timings, started,
                         fast.injection.evidence)

    def _llm_tags(self, conversation: Conversation, fast: Analysis, urgency_floor: str | None,
                  mode: Mode, tenant: _TenantAnalysis) -> Analysis:
        """The LLM tagger's say, by the documented policy; the fast tags on any failure."""
        tagger = tenant.llm_tagger
        if tagger is None or self.llm_tagging == "off" or mode == "composed":
            return fast
        always = self.llm_tagging == "always"
        if not always and not unsure_fields(fast, self.unsure_below):
            return fast
        try:
            tags = tagger.tag(conversation)
        except LLMError as error:
            log.warning("LLM tagging failed, fast tags kept: %s", error)
            return fast
        combined = combine(fast, tags, unsure_below=self.unsure_below,
                           urgency_floor=urgency_floor,
                           intents=[i.name for i in tagger.intents], always=always)
        tenant.analyzer.schedule(conversation, combined)
        return combined

    def _generator_for(self, mode: Mode) -> GeneratedDrafter | None:
        """The LLM drafter when ``mode`` wants one (``None`` means composed drafts)."""
        if mode == "generated" and self.generator is None:
            raise ConfigurationError(
                "mode 'generated' needs a chat model: set OPENAI_API_KEY or "
                "REPLYASSIST_LLM_BASE_URL, or pass chat_model=")
        return None if mode == "composed" else self.generator

    def _fallback(self, prepared: _Prepared, mode: Mode, error: LLMError) -> DraftOutcome:
        """``generated`` mode re-raises; ``auto`` degrades to composed drafts, flagged."""
        if mode == "generated":
            raise error
        log.warning("LLM unavailable, composed drafts instead: %s", error)
        outcome = self.composer.draft(prepared.context)
        notice = Notice(code="llm_unavailable", message=f"{error} — composed drafts instead")
        for draft in outcome.drafts:
            draft.warnings.insert(0, notice)
        return outcome

    def _finish(self, prepared: _Prepared, outcome: DraftOutcome, stage_ms: float
                ) -> Suggestions:
        timings = dict(prepared.timings)
        timings["generation"] = stage_ms
        drafts = outcome.drafts
        if self.guard is not None:  # both strategies, before anything is returned
            guard = self.guard if prepared.context.brand is self.guard.brand else \
                DraftGuard(prepared.context.brand, detector=self.guard.detector)
            drafts = guard.apply(
                drafts, prepared.conversation, prepared.retrieval.articles,
                prepared.analysis.language,
                untrusted="prompt_injection" in prepared.analysis.flags,
                hostile="abusive_language" in prepared.analysis.flags,
                injection_evidence=prepared.injection_evidence)
        timings["total"] = (time.perf_counter() - prepared.started) * 1000
        return Suggestions(
            suggestion_id=uuid.uuid4().hex,
            conversation_id=prepared.conversation.id,
            analysis=prepared.analysis,
            drafts=drafts,
            articles=[ArticleHit(doc_id=a.doc_id, title=a.title, url=a.url,
                                 score=round(a.score, 4)) for a in prepared.retrieval.articles],
            similar_conversations=[SimilarConversation(conversation_id=e.conversation_id,
                                                       score=round(e.score, 4))
                                   for e in prepared.retrieval.exchanges],
            usage=outcome.usage,
            reactions=suggest_reactions(prepared.context.brand, prepared.analysis.mood,
                                        prepared.conversation.channel,
                                        prepared.analysis.intent),
            timings_ms={k: round(v, 2) for k, v in timings.items()},
        )

    # ------------------------------------------------------------------ entry points
    def suggest(self, conversation: Conversation, *, mode: Mode = "auto",
                tenant: str | None = None, filters: Filters | None = None) -> Suggestions:
        generator = self._generator_for(mode)
        prepared = self.prepare(conversation, tenant=tenant, filters=filters, mode=mode)
        t0 = time.perf_counter()
        if generator is None:
            outcome = self.composer.draft(prepared.context)
        else:
            try:
                outcome = generator.draft(prepared.context)
                if self.shortener is not None:
                    outcome = self.shortener.fit(outcome, prepared.context)
            except LLMError as error:
                outcome = self._fallback(prepared, mode, error)
        return self._finish(prepared, outcome, (time.perf_counter() - t0) * 1000)

    async def asuggest(self, conversation: Conversation, *, mode: Mode = "auto",
                       tenant: str | None = None, filters: Filters | None = None
                       ) -> Suggestions:
        generator = self._generator_for(mode)
        prepared = await asyncio.to_thread(self.prepare, conversation, tenant=tenant,
                                           filters=filters, mode=mode)
        t0 = time.perf_counter()
        if generator is None:
            outcome = self.composer.draft(prepared.context)
        else:
            try:
                outcome = await generator.adraft(prepared.context)
                if self.shortener is not None:
                    outcome = await self.shortener.afit(outcome, prepared.context)
            except LLMError as error:
                outcome = self._fallback(prepared, mode, error)
        return self._finish(prepared, outcome, (time.perf_counter() - t0) * 1000)

    def _head_events(self, prepared: _Prepared) -> list[StreamEvent]:
        articles = [ArticleHit(doc_id=a.doc_id, title=a.title, url=a.url, score=round(a.score, 4))
                    for a in prepared.retrieval.articles]
        return [StreamEvent(type="analysis", data=prepared.analysis),
                StreamEvent(type="articles", data=articles)]

    def stream(self, conversation: Conversation, *, mode: Mode = "auto",
               tenant: str | None = None, filters: Filters | None = None
               ) -> Iterator[StreamEvent]:
        generator = self._generator_for(mode)
        prepared = self.prepare(conversation, tenant=tenant, filters=filters, mode=mode)
        yield from self._head_events(prepared)
        t0 = time.perf_counter()
        if generator is None:
            outcome = self.composer.draft(prepared.context)
        else:
            pieces: list[str] = []
            try:
                for piece in generator.stream_text(prepared.context):
                    pieces.append(piece)
                    yield StreamEvent(type="token", data=piece)
                outcome = DraftOutcome(
                    [generator.streamed_draft("".join(pieces), prepared.context)])
            except LLMError as error:
                outcome = self._fallback(prepared, mode, error)
        yield StreamEvent(type="final",
                          data=self._finish(prepared, outcome, (time.perf_counter() - t0) * 1000))

    async def astream(self, conversation: Conversation, *, mode: Mode = "auto",
                      tenant: str | None = None, filters: Filters | None = None
                      ) -> AsyncIterator[StreamEvent]:
        generator = self._generator_for(mode)
        prepared = await asyncio.to_thread(self.prepare, conversation, tenant=tenant,
                                           filters=filters, mode=mode)
        for event in self._head_events(prepared):
            yield event
        t0 = time.perf_counter()
        if generator is None:
            outcome = self.composer.draft(prepared.context)
        else:
            pieces: list[str] = []
            try:
                async for piece in generator.astream_text(prepared.context):
                    pieces.append(piece)
                    yield StreamEvent(type="token", data=piece)
                outcome = DraftOutcome(
                    [generator.streamed_draft("".join(pieces), prepared.context)])
            except LLMError as error:
                outcome = self._fallback(prepared, mode, error)
        yield StreamEvent(type="final",
                          data=self._finish(prepared, outcome, (time.perf_counter() - t0) * 1000))
