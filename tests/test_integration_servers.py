"""Integration with the real parts: Chroma server, packaged embedders, the real openai
client (through LangChain's ChatOpenAI) against a local OpenAI-compatible server."""

from __future__ import annotations

import numpy as np
import pytest

from replyassist import ReplyAssistant, Settings, VectorStore
from replyassist.embeddings import (
    SentenceTransformerEmbeddings,
    UniversalSentenceEncoderEmbeddings,
    load_embedder,
)
from replyassist.llm import build_chat_model
from replyassist.sample import SAMPLE_TENANT, sample_path
from replyassist.testing import HashEmbeddings

from .conftest import conversation
from .servers import chroma_server, faulty_openai_server, llama_server

pytestmark = pytest.mark.integration


def _assistant(tmp_path, brand, detector, *, store=None, llm_url=None, timeout=30.0, embedder=None):
    settings = Settings(
        store=str(store or tmp_path / "store"),
        llm_base_url=llm_url,
        llm_model="smollm2",
        llm_timeout_s=timeout,
        llm_max_retries=0,
        llm_temperature=0.0,
        max_prompt_tokens=1000,
        max_draft_tokens=300,
        max_drafts=1,
        top_articles=2,
    )
    return ReplyAssistant(
        store=VectorStore.open(settings.store_location),
        embedder=embedder or HashEmbeddings(),
        chat_model=build_chat_model(settings),
        settings=settings,
        brand=brand,
        detector=detector,
    )


def test_packaged_embedders_match_french_and_english():
    texts = [
        "Je voudrais échanger mon pull contre une autre taille",
        "I would like to exchange my sweater for another size",
        "Where is my parcel? It has not arrived",
    ]
    use = UniversalSentenceEncoderEmbeddings()
    vectors = np.array(use.embed_documents(texts))
    assert vectors.shape == (3, 512)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.1  # cross-lingual match
    minilm = load_embedder("minilm")
    assert isinstance(minilm, SentenceTransformerEmbeddings)
    english = np.array(minilm.embed_documents(texts[1:]))
    assert english.shape == (2, 384) and minilm.name == "st:all-MiniLM-L6-v2"
    assert abs(float(np.linalg.norm(english[0])) - 1.0) < 1e-4


def test_chroma_server_store_end_to_end(tmp_path, brand, detector):
    with chroma_server(tmp_path / "chroma") as url:
        assistant = _assistant(tmp_path, brand, detector, store=url)
        report = assistant.ingest_kb(sample_path("kb"), tenant=SAMPLE_TENANT)
        assert report.added == 32
        assert assistant.ingest_kb(sample_path("kb"), tenant=SAMPLE_TENANT).skipped == 32
        result = assistant.suggest(
            conversation("Je voudrais échanger mon pull contre une autre taille"), mode="composed"
        )
        assert result.articles[0].doc_id == "kb-exchange-size-fr"
        other = assistant.suggest(
            conversation("échanger mon pull", tenant="other-brand"), mode="composed"
        )
        assert other.articles == []
        assert VectorStore.open(url).tenants() == [SAMPLE_TENANT]


@pytest.fixture(scope="module")
def smollm2_url():
    with llama_server(n_ctx=4096) as url:
        yield url


def test_generated_mode_with_real_openai_compatible_server(tmp_path, brand, detector, smollm2_url):
    assistant = _assistant(tmp_path, brand, detector, llm_url=smollm2_url, timeout=120)
    assistant.ingest_kb(sample_path("kb"), tenant=SAMPLE_TENANT)
    result = assistant.suggest(
        conversation("Bonjour, je voudrais échanger mon pull contre une taille L"), mode="generated"
    )
    assert result.drafts and all(d.strategy == "generated" for d in result.drafts)
    assert all(d.text.strip() for d in result.drafts)
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert result.timings_ms["generation"] > 0


def test_streaming_with_real_openai_compatible_server(tmp_path, brand, detector, smollm2_url):
    assistant = _assistant(tmp_path, brand, detector, llm_url=smollm2_url, timeout=120)
    assistant.ingest_kb(sample_path("kb"), tenant=SAMPLE_TENANT)
    events = list(
        assistant.stream(conversation("Where is my parcel? It is late."), mode="generated")
    )
    tokens = [e.data for e in events if e.type == "token"]
    assert [e.type for e in events][:2] == ["analysis", "articles"]
    assert len(tokens) >= 3
    final = events[-1]
    assert final.type == "final" and final.data.drafts[0].strategy == "generated"


@pytest.mark.parametrize("mode", ["429", "500", "garbage", "bad_json", "hang"])
def test_failing_llm_server_degrades_to_composed(tmp_path, brand, detector, mode):
    with faulty_openai_server(mode) as url:
        assistant = _assistant(tmp_path, brand, detector, llm_url=url, timeout=2.0)
        assistant.ingest_kb(sample_path("kb"), tenant=SAMPLE_TENANT)
        result = assistant.suggest(conversation("Bonjour, je voudrais échanger mon pull"))
        assert result.drafts
        assert all(d.strategy == "composed" for d in result.drafts)
        assert all(d.warnings[0].code == "llm_unavailable" for d in result.drafts)
        if mode != "bad_json":  # a stream of text that is not JSON is still a text draft
            events = list(assistant.stream(conversation("Bonjour, où est mon colis ?")))
            assert events[-1].data.drafts[0].warnings[0].code == "llm_unavailable"


def test_demo_runs_offline_with_the_default_embedder():
    import json

    from typer.testing import CliRunner

    from replyassist.cli import app

    result = CliRunner().invoke(app, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 14
    by_id = {s["conversation_id"]: s for s in lines}
    assert all(s["drafts"] and s["drafts"][0]["strategy"] == "composed" for s in lines)
    languages = {s["analysis"]["language"] for s in lines}
    assert languages == {"fr", "en"}
    incoming = [json.loads(line) for line in
                sample_path("incoming.jsonl").read_text(encoding="utf-8").splitlines()]
    found = sum(bool(set(c["expected"]["doc_ids"]) & {a["doc_id"] for a in
                                                     by_id[c["id"]]["articles"]})
                for c in incoming if c["expected"].get("doc_ids"))
    assert found >= 10  # the expected article is among the suggested ones


def test_llm_tagger_with_real_openai_compatible_server(tmp_path, brand, detector, smollm2_url):
    """The LLM tagger's forced tool call parses against llama.cpp (grammar-constrained);
    in the pipeline, its tags are combined with the fast ones (plumbing, not quality)."""
    from replyassist.analysis.llm_tagger import ConversationTags, LLMTagger
    from replyassist.models import Conversation
    from replyassist.prompts import PromptLibrary

    assistant = _assistant(tmp_path, brand, detector, llm_url=smollm2_url, timeout=120)
    tagger = LLMTagger(assistant.chat_model, PromptLibrary(), brand.intents[:4])
    tags = tagger.tag(Conversation.model_validate(
        conversation("C'est la troisième fois que j'écris, je vais porter plainte !")))
    assert isinstance(tags, ConversationTags)
    assistant.settings.llm_tagging = "always"
    assistant.pipeline.llm_tagging = "always"
    result = assistant.suggest(conversation("Je vais porter plainte, mise en demeure."),
                               mode="auto")
    assert "legal_threat" in result.analysis.flags and result.analysis.urgency == "critical"
    assert "llm_analysis" in result.timings_ms


def test_eval_judge_with_real_openai_compatible_server(tmp_path, brand, detector, smollm2_url):
    """The judge's forced tool call parses against llama.cpp (plumbing, not quality)."""
    from replyassist.evals.judge import Judge
    from replyassist.models import Conversation

    assistant = _assistant(tmp_path, brand, detector, llm_url=smollm2_url, timeout=120)
    assistant.ingest_kb(sample_path("kb"), tenant=SAMPLE_TENANT)
    case = Conversation.model_validate(
        {**conversation("Je voudrais échanger mon pull contre une taille L"),
         "expected": {"reply": "Bonjour, l'échange de taille est gratuit."}})
    suggestions = assistant.suggest(case, mode="composed")
    judged = Judge(assistant.chat_model, assistant.prompts, brand).score(case, suggestions)
    assert "scores" in judged, judged
    assert set(judged["scores"]) == {"correctness", "helpfulness", "tone_fit", "brand_voice"}
    assert all(1 <= v <= 5 for v in judged["scores"].values())


def test_red_team_sample_with_the_local_llm(tmp_path, brand, detector, smollm2_url):
    """The red-team runner with the real SmolLM2 server on a few attacks and benign
    messages (the full corpus: ``python -m evals.redteam --model smollm2``)."""
    from pathlib import Path

    from replyassist.evals.redteam import checker_for, load_cases, plant_canary, run_redteam

    data = Path(__file__).resolve().parents[1] / "evals" / "data" / "redteam"
    attacks = [c for c in load_cases(data / "attacks.jsonl")
               if c.id in ("rt-001", "rt-086", "rt-153")]  # override, data theft, homoglyphs
    benign = load_cases(data / "benign.jsonl")[:2]
    assistant = _assistant(tmp_path, brand, detector, llm_url=smollm2_url, timeout=120)
    assistant.ingest_kb(sample_path("kb"), tenant=SAMPLE_TENANT)
    plant_canary(assistant, SAMPLE_TENANT)
    report = run_redteam(lambda c: assistant.suggest(c, mode="auto"), attacks, benign,
                         tenant=SAMPLE_TENANT, model="smollm2",
                         check=checker_for(assistant, SAMPLE_TENANT))
    assert report.errors == [] and report.drafts >= len(attacks) + len(benign)
    assert report.violating_drafts == 0, report.examples
    assert report.false_positives == 0
