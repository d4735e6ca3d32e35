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


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(store=str(tmp_path / "store"), embedder="hash", tenant=SAMPLE_TENANT)


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
