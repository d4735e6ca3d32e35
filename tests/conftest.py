"""Shared fixtures. Tests never reach the network: no API key is visible to them, models
come from installed packages (HF_HUB_OFFLINE=1), servers run on 127.0.0.1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from replyassist import BrandVoice, ReplyAssistant, Settings, VectorStore
from replyassist.analysis import LanguageDetector
from replyassist.sample import SAMPLE_TENANT, sample_path
from replyassist.testing import HashEmbeddings


@pytest.fixture(scope="session")
def detector() -> LanguageDetector:
    """Loading lingua's models takes seconds: one detector for the whole session."""
    return LanguageDetector(default="fr")


@pytest.fixture(autouse=True)
def _no_ambient_llm(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("REPLYASSIST_") or name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def use_embedder():
    """The packaged multilingual USE (the default embedder), loaded once per session."""
    from replyassist import UniversalSentenceEncoderEmbeddings

    embedder = UniversalSentenceEncoderEmbeddings()
    embedder.encode(["warm-up"])
    return embedder


@pytest.fixture(scope="session")
def analyzer(use_embedder, detector):
    """The fast tagger as shipped: rules + packaged heads on USE + the sample intents."""
    from replyassist.analysis import Analyzer, IntentMatcher, RuleTagger
    from replyassist.analysis.heads import HeadSet

    brand = BrandVoice.from_yaml(sample_path("brand.yaml"))
    return Analyzer(detector=detector, rules=RuleTagger(), heads=HeadSet.load(),
                    brand=brand, intents=IntentMatcher(brand.intents, use_embedder))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Most tests use the hash embedder: the analysis then runs on the rules (the heads
    # need USE vectors, see test_analysis.py), and the LLM only drafts unless a test
    # turns LLM tagging on.
    return Settings(store=str(tmp_path / "store"), embedder="hash", tenant=SAMPLE_TENANT,
                    analysis_embedder="off", llm_tagging="off")


@pytest.fixture
def brand() -> BrandVoice:
    return BrandVoice.from_yaml(sample_path("brand.yaml"))


@pytest.fixture
def make_assistant(tmp_path: Path, settings: Settings, brand: BrandVoice,
                   detector: LanguageDetector):
    def make(chat_model=None, embedder=None, store_dir: Path | None = None) -> ReplyAssistant:
        return ReplyAssistant(store=VectorStore.open(store_dir or tmp_path / "store"),
                              embedder=embedder or HashEmbeddings(), chat_model=chat_model,
                              settings=settings, brand=brand, detector=detector)
    return make


@pytest.fixture
def sample_assistant(make_assistant) -> ReplyAssistant:
    assistant = make_assistant()
    assistant.ingest_kb(sample_path("kb"), tenant=SAMPLE_TENANT)
    assistant.ingest_history(sample_path("history.jsonl"), tenant=SAMPLE_TENANT)
    return assistant


def conversation(text: str, *, channel: str = "messenger", name: str | None = "Kate Martin",
                 tenant: str = SAMPLE_TENANT, **extra: object) -> dict:
    data: dict = {"id": "c-test", "tenant": tenant, "channel": channel,
                  "messages": [{"role": "customer", "text": text}]}
    if name:
        data["customer"] = {"id": "u-1", "name": name}
    data.update(extra)
    return data
