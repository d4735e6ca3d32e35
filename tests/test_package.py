import subprocess
import sys

import replyassist
from kb_ingest.history import normalize_url


def test_public_api_is_what_we_meant():
    assert set(replyassist.__all__) == {
        "Analysis", "ArticleHit", "BrandVoice", "Citation", "ConfigurationError",
        "Conversation", "Customer", "Draft", "EmbedderMismatchError", "EmbeddingError",
        "Expected", "Filters", "InvalidInputError", "KnowledgeArticle", "LLMError",
        "LLMRateLimitError", "LLMResponseError", "LLMTimeoutError", "Message", "Notice",
        "ReplyAssistError", "ReplyAssistant", "RuntimeFailure", "SentenceTransformerEmbeddings",
        "Settings", "SimilarConversation", "StoreError", "StreamEvent", "Suggestions",
        "UniversalSentenceEncoderEmbeddings", "Usage", "UserError", "VectorStore",
        "__version__", "load_embedder",
        # analysis (issue 3)
        "Analyzer", "BusinessHours", "ChannelTarget", "IntentMatcher", "IntentSpec",
        "LLMTagger", "LanguageDetector", "QueueItem", "RuleTagger", "SlaPolicy",
        "choose_tones", "triage",
        # brand voice and guardrails (issue 5)
        "BrandRegistry", "InjectionDetector", "Reaction"}
    assert all(hasattr(replyassist, name) for name in replyassist.__all__)


def test_exception_tree_separates_caller_mistakes_from_failures():
    assert issubclass(replyassist.InvalidInputError, replyassist.UserError)
    assert issubclass(replyassist.LLMTimeoutError, replyassist.RuntimeFailure)
    assert replyassist.InvalidInputError("x").http_status == 422
    assert replyassist.LLMRateLimitError("x").code == "llm_rate_limited"


def test_either_package_can_be_imported_first():
    for first, second in (("kb_ingest", "replyassist"), ("replyassist", "kb_ingest"),
                          ("kb_ingest.chunking", "replyassist"),
                          ("replyassist.brand", "replyassist"),
                          ("replyassist.analysis.tone", "replyassist"),
                          ("replyassist.analysis.sla", "replyassist.analysis.analyzer")):
        code = f"import {first}; import {second}"
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_url_normalisation():
    archive = ("https://web.archive.org/web/20200401224734/"
               "https://support.google.com/youtube/answer/185111")
    assert normalize_url(archive) == "support.google.com/youtube/answer/185111"
    assert normalize_url("http://www.Help.example/fr/returns/?utm_source=x#top") == \
        "help.example/fr/returns"
    assert normalize_url("https://help.example/categories/2?step=1") != \
        normalize_url("https://help.example/categories/2?step=2")


def test_settings_from_environment_and_toml(tmp_path, monkeypatch):
    config = tmp_path / "replyassist.toml"
    config.write_text('tenant = "from-file"\nmode = "composed"\nllm_model = "m1"\n')
    monkeypatch.setenv("REPLYASSIST_LLM_MODEL", "from-env")
    settings = replyassist.Settings.load(config)
    assert (settings.tenant, settings.mode, settings.llm_model) == (
        "from-file", "composed", "from-env")
    assert not settings.llm_configured
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert replyassist.Settings.load().llm_configured
