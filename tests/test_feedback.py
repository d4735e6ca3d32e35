"""Feedback store (SQLite and a real PostgreSQL), metrics, and learning from sent replies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC

import pytest
from pydantic import ValidationError

from replyassist.errors import ConfigurationError, StoreError
from replyassist.feedback import FeedbackIn, FeedbackStore, edit_distance, learn, sqlite_url
from replyassist.feedback.table import Base
from replyassist.sample import SAMPLE_TENANT

from .conftest import conversation
from .postgres import postgres_url  # noqa: F401  (fixture)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[FeedbackStore]:
    if request.param == "sqlite":
        url = sqlite_url(tmp_path / "db" / "feedback.sqlite3")
    else:
        url = request.getfixturevalue("postgres_url")
    opened = FeedbackStore(url)
    yield opened
    if request.param == "postgresql":
        Base.metadata.drop_all(opened.engine)  # the cluster is shared by the session
    opened.close()


def item(action: str = "accepted", *, draft: str = "Bonjour, votre colis part demain.",
         sent: str | None = None, **extra: object) -> FeedbackIn:
    if sent is None and action != "rejected":
        sent = draft
    return FeedbackIn(suggestion_id="sug-1", conversation_id="c-1", action=action,
                      draft_text=draft, sent_text=sent, **extra)


def test_record_returns_the_stored_decision_with_its_edit_distance(store):
    first = store.record("t1", item("edited", draft="Votre colis part demain.",
                                    sent="Votre colis part lundi.", tone="friendly",
                                    time_to_decision_ms=4200))
    second = store.record("t1", item("rejected"))
    assert first.id != second.id
    assert first.tenant == "t1" and first.action == "edited" and first.tone == "friendly"
    assert first.edit_distance == edit_distance("Votre colis part demain.",
                                                "Votre colis part lundi.") == 5
    assert second.edit_distance is None and second.sent_text is None
    assert first.created_at.tzinfo is UTC


def test_metrics_totals_and_per_tone_intent_channel(store):
    store.record("t1", item("accepted", tone="friendly", intent="return", channel="email",
                            time_to_decision_ms=1000))
    store.record("t1", item("edited", draft="abcd", sent="abXY", tone="friendly",
                            intent="return", channel="chat", time_to_decision_ms=3000))
    store.record("t1", item("edited", draft="abcd", sent="abcdef", tone="formal",
                            channel="chat"))
    store.record("t1", item("rejected", tone="formal", intent="delivery", channel="chat",
                            time_to_decision_ms=2000))
    metrics = store.metrics("t1")
    assert (metrics.total, metrics.accepted, metrics.edited, metrics.rejected) == (4, 1, 2, 1)
    assert metrics.acceptance_rate == 0.25 and metrics.edit_rate == 0.5
    assert metrics.mean_edit_distance == 2.0  # (2 + 2) / 2, over edited drafts only
    assert metrics.mean_time_to_decision_ms == 2000.0
    assert set(metrics.by_tone) == {"friendly", "formal"}
    friendly = metrics.by_tone["friendly"]
    assert (friendly.total, friendly.accepted, friendly.edited) == (2, 1, 1)
    assert friendly.acceptance_rate == 0.5 and friendly.mean_edit_distance == 2.0
    assert metrics.by_tone["formal"].rejected == 1
    assert set(metrics.by_intent) == {"return", "delivery", "unknown"}
    assert metrics.by_intent["unknown"].edited == 1
    assert metrics.by_channel["chat"].total == 3
    assert metrics.by_channel["email"].acceptance_rate == 1.0
    assert metrics.by_channel["email"].mean_edit_distance is None


def test_tenant_isolation(store):
    store.record("tenant-a", item("accepted", tone="friendly", channel="email"))
    store.record("tenant-a", item("rejected", tone="formal"))
    store.record("tenant-b", item("edited", draft="abc", sent="abd", tone="friendly"))
    b = store.metrics("tenant-b")
    assert (b.total, b.accepted, b.edited, b.rejected) == (1, 0, 1, 0)
    assert set(b.by_tone) == {"friendly"} and b.by_tone["friendly"].total == 1
    assert "email" not in b.by_channel
    empty = store.metrics("tenant-c")
    assert empty.total == 0 and empty.acceptance_rate is None and empty.by_tone == {}


@pytest.mark.parametrize("action", ["accepted", "edited"])
def test_sent_text_is_required_when_a_draft_was_used(action):
    with pytest.raises(ValidationError) as info:
        FeedbackIn(suggestion_id="s", conversation_id="c", action=action, draft_text="x")
    errors = info.value.errors()
    assert [e["loc"] for e in errors] == [("sent_text",)]
    assert "sent_text is required" in errors[0]["msg"]


def test_other_validation_errors_name_their_field():
    with pytest.raises(ValidationError) as info:
        FeedbackIn(suggestion_id="s", conversation_id="c", action="liked", draft_text="x")
    assert ("action",) in [e["loc"] for e in info.value.errors()]
    FeedbackIn(suggestion_id="s", conversation_id="c", action="rejected", draft_text="x")


def test_store_errors_are_ours(tmp_path):
    with pytest.raises(ConfigurationError):
        FeedbackStore("not a url")
    with pytest.raises(StoreError) as info:
        FeedbackStore("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    assert "secret" not in str(info.value)
    with pytest.raises(StoreError):
        FeedbackStore(f"sqlite:///{tmp_path}")  # a folder, not a file


def test_sqlite_file_survives_reopening(tmp_path):
    url = sqlite_url(tmp_path / "feedback.sqlite3")
    with FeedbackStore(url) as first:
        first.record("t", item("accepted"))
    with FeedbackStore(url) as again:
        assert again.metrics("t").accepted == 1


# ------------------------------------------------------------------ learning

SIMILAR_TEXT = ("Bonjour, j'ai reçu mon pull en laine mais il est trop grand, "
                "comment puis-je l'échanger contre une taille plus petite ?")


def _case(conversation_id: str, text: str) -> dict:
    return conversation(text, channel="email", customer={"id": "u-9", "name": "Léa Moreau",
                                                         "locale": "fr-FR"},
                        id=conversation_id)


def test_learn_adds_the_sent_reply_scrubbed_and_suggest_finds_it(make_assistant):
    assistant = make_assistant()
    learned_conversation = _case("c-learn-1", SIMILAR_TEXT)
    sent = ("Bonjour Léa, vous pouvez échanger votre pull en laine depuis votre espace "
            "client, rubrique Retours. Écrivez-moi à lea.support-42@example.org si besoin.")
    feedback = FeedbackIn(suggestion_id="sug-9", conversation_id="c-learn-1",
                          action="edited", draft_text="Bonjour, voici comment échanger.",
                          sent_text=sent, conversation=learned_conversation)
    assert learn(assistant, SAMPLE_TENANT, feedback) == 1
    assert learn(assistant, SAMPLE_TENANT, feedback) == 0  # nothing is stored twice

    _, history = assistant.pipeline.collections(SAMPLE_TENANT)
    stored = [i.metadata for i in history.iter_all(documents=False)]
    assert len(stored) == 1 and stored[0]["conversation_id"] == "c-learn-1"
    answer = str(stored[0]["answer"])
    assert "[EMAIL]" in answer and "example.org" not in answer
    assert "Léa" not in answer  # the customer's name is scrubbed too

    later = assistant.suggest(_case("c-later", "Bonjour, mon pull en laine est trop grand, "
                                               "je voudrais l'échanger contre une taille "
                                               "plus petite."), mode="composed")
    assert "c-learn-1" in [s.conversation_id for s in later.similar_conversations]


def test_learn_ignores_rejections_and_missing_conversations(make_assistant):
    assistant = make_assistant()
    rejected = FeedbackIn(suggestion_id="s", conversation_id="c-learn-2", action="rejected",
                          draft_text="x", conversation=_case("c-learn-2", SIMILAR_TEXT))
    assert learn(assistant, SAMPLE_TENANT, rejected) == 0
    no_conversation = item("accepted")
    assert learn(assistant, SAMPLE_TENANT, no_conversation) == 0
    _, history = assistant.pipeline.collections(SAMPLE_TENANT)
    assert history is None or not history.ids()


def test_learn_files_under_the_given_tenant(make_assistant):
    assistant = make_assistant()
    other = _case("c-learn-3", SIMILAR_TEXT) | {"tenant": "default"}
    feedback = FeedbackIn(suggestion_id="s", conversation_id="c-learn-3", action="accepted",
                          draft_text="Merci, c'est noté.", sent_text="Merci, c'est noté.",
                          conversation=other)
    assert learn(assistant, "maison-x", feedback) == 1
    _, history = assistant.pipeline.collections("maison-x")
    assert history is not None and len(history.ids()) == 1


def test_concurrent_records(store):
    """The API records from worker threads: no lost or failed writes."""
    from concurrent.futures import ThreadPoolExecutor

    def write(n: int) -> int:
        return store.record("t-threads", item("edited", draft="abc", sent=f"abc{n}")).id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(write, range(80)))
    assert len(set(ids)) == 80
    assert store.metrics("t-threads").edited == 80
