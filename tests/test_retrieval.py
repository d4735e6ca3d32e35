from replyassist import Conversation, Filters, KnowledgeArticle, Message
from replyassist.sample import SAMPLE_TENANT

from .conftest import conversation


def test_hybrid_retrieval_on_sample_brand(sample_assistant):
    cases = {
        "Je n'arrive plus à me connecter, mot de passe oublié": "kb-account-password-fr",
        "How do I get an invoice for my order?": "kb-invoice-en",
        "Le code promo ne marche pas au moment de payer": "kb-promo-codes-fr",
        "How should I wash my linen duvet cover?": "kb-care-instructions-en",
    }
    hits = 0
    for text, doc_id in cases.items():
        result = sample_assistant.suggest(conversation(text), mode="composed")
        hits += doc_id in [a.doc_id for a in result.articles[:3]]
        assert all(0.0 <= a.score <= 1.0 for a in result.articles)
    assert hits == len(cases)


def test_metadata_filters(sample_assistant):
    query = conversation("I want to return my sweater and get a refund")
    english = sample_assistant.suggest(query, mode="composed", filters=Filters(language="en"))
    assert english.articles and all(a.doc_id.endswith("-en") for a in english.articles)
    french = sample_assistant.suggest(query, mode="composed", filters=Filters(language="fr"))
    assert all(a.doc_id.endswith("-fr") for a in french.articles)
    tagged = sample_assistant.suggest(query, mode="composed", filters=Filters(tags=("payment",)))
    kb, _ = sample_assistant.pipeline.collections(SAMPLE_TENANT)
    payment_docs = {
        i.metadata["doc_id"] for i in kb.iter_all() if "payment" in i.metadata.get("tags", [])
    }
    assert tagged.articles and {a.doc_id for a in tagged.articles} <= payment_docs
    sms_only = sample_assistant.suggest(query, mode="composed", filters=Filters(channel="sms"))
    _, history = sample_assistant.pipeline.collections(SAMPLE_TENANT)
    sms_conversations = {
        i.metadata["conversation_id"] for i in history.iter_all() if i.metadata["channel"] == "sms"
    }
    assert {s.conversation_id for s in sms_only.similar_conversations} <= sms_conversations


def test_articles_linked_by_agents_rank_higher(make_assistant):
    assistant = make_assistant()
    articles = [
        KnowledgeArticle(
            id=f"kb-{name}",
            title=f"Article {name}",
            body=f"Generic help text number {name}.",
            url=f"https://help.example/{name}",
        )
        for name in "abcdef"
    ]
    assistant.ingest_kb(articles, tenant="t1")
    query = "the blue widget squeaks when I open the lid"
    before = assistant.suggest(conversation(query, tenant="t1"), mode="composed")
    assert "kb-e" not in [a.doc_id for a in before.articles[:1]]
    history = [
        Conversation(
            id=f"h{i}",
            channel="chat",
            tenant="t1",
            messages=[
                Message(role="customer", text=f"My blue widget squeaks when I open the lid {i}"),
                Message(role="agent", text="Please oil the hinge: https://help.example/e/"),
            ],
        )
        for i in range(3)
    ]
    assistant.ingest_history(history, tenant="t1")
    after = assistant.suggest(conversation(query, tenant="t1"), mode="composed")
    assert after.articles[0].doc_id == "kb-e"
    assert after.similar_conversations[0].conversation_id.startswith("h")
