"""The ranking learnt per tenant, the English views and matching across languages."""

from __future__ import annotations

import json

import numpy as np
import pytest

from replyassist import Conversation, KnowledgeArticle, Message
from replyassist.ranking import ARTICLE_FEATURES, RankingFitter, default_ranking, knn_votes
from replyassist.retrieval import RANKING_KEY, Filters, TenantViews
from replyassist.sample import SAMPLE_TENANT
from replyassist.testing import HashEmbeddings

from .conftest import conversation

TOPICS = {  # doc → what customers write about it
    "kb-refund": "refund money back for my returned parcel",
    "kb-password": "password reset login account locked",
    "kb-delivery": "late delivery parcel tracking courier",
    "kb-invoice": "invoice receipt vat billing document",
}


def topic_articles() -> list[KnowledgeArticle]:
    return [KnowledgeArticle(id=doc, title=doc.removeprefix("kb-").title(),
                             body=f"Help about {doc.removeprefix('kb-')}.",
                             url=f"https://help.example/{doc}", language="en")
            for doc in TOPICS]


def labelled_history(count: int, *, start: int = 0) -> list[Conversation]:
    docs = list(TOPICS)
    out = []
    for i in range(start, start + count):
        doc = docs[i % len(docs)]
        out.append(Conversation(id=f"h{i}", tenant="t1", channel="chat", messages=[
            Message(role="customer", text=f"Hi, question {i} about {TOPICS[doc]}"),
            Message(role="agent", text=f"Please see https://help.example/{doc}")]))
    return out


def test_identical_past_case_is_the_first_similar_exchange(sample_assistant):
    _, history = sample_assistant.pipeline.collections(SAMPLE_TENANT)
    items = [i for i in history.iter_all() if len(i.document) > 40][:8]
    for item in items:
        result = sample_assistant.suggest(conversation(item.document), mode="composed")
        assert result.similar_conversations[0].conversation_id == \
            item.metadata["conversation_id"]


def test_ranking_fitted_on_the_tenant_history_and_kept_with_it(make_assistant, tmp_path):
    assistant = make_assistant(store_dir=tmp_path / "store")
    assistant.ingest_kb(topic_articles(), tenant="t1")
    thin = assistant.ingest_history(labelled_history(20), tenant="t1")
    assert thin.ranking is None  # 20 labelled cases: the defaults apply
    _, history = assistant.pipeline.collections("t1")
    assert assistant.pipeline.retriever.ranking_of(history) is None
    report = assistant.ingest_history(labelled_history(60, start=20), tenant="t1")
    assert report.ranking is not None and report.ranking.labelled == 80
    assert report.ranking.routes["primary"]["source"] == "tenant"
    stored = json.loads(history.read_meta(RANKING_KEY) or "{}")
    assert stored["routes"]["primary"]["source"] == "tenant"
    assert stored["routes"]["primary"]["queries"] > 40
    # another process opening the same store reads the fitted ranking
    reopened = make_assistant(store_dir=tmp_path / "store")
    _, history2 = reopened.pipeline.collections("t1")
    ranking = reopened.pipeline.retriever.ranking_of(history2)
    assert ranking is not None and ranking.route("primary").source == "tenant"
    # not refitted on every write: 8 more cases (10 %) are not enough, 20 more are
    assert reopened.ingest_history(labelled_history(8, start=80), tenant="t1").ranking is None
    assert reopened.ingest_history(labelled_history(12, start=88), tenant="t1").ranking \
        is not None
    result = reopened.suggest(conversation("my parcel delivery is late, courier tracking?",
                                           tenant="t1"), mode="composed")
    assert result.articles[0].doc_id == "kb-delivery"


def test_fit_replays_history_in_time_order(make_assistant):
    assistant = make_assistant()
    assistant.ingest_kb(topic_articles(), tenant="t1")
    assistant.ingest_history(labelled_history(60), tenant="t1")
    kb, history = assistant.pipeline.collections("t1")
    fitter = RankingFitter(assistant.pipeline.retriever, min_memory=10)
    rows = fitter.rows(kb, history, assistant.pipeline.views("t1"), "primary", cold=True)
    assert rows.queries == 50  # every labelled exchange after the first 10
    first = rows.articles[0]
    assert first.shape[1] == len(ARTICLE_FEATURES)
    # the first query only saw 10 earlier exchanges: 10 links, so priors are tenths
    prior = first[:, ARTICLE_FEATURES.index("prior")]
    assert set(np.round(prior, 3)) <= {0.0, 0.2, 0.3}
    assert all(r[:, ARTICLE_FEATURES.index("vote")].sum() == 0 for r in rows.cold)
    positives = sum(int(labels.sum()) for labels in rows.article_labels)
    assert positives == 50  # one linked article per query, always among the candidates


def test_knn_votes_share_and_best_similarity():
    votes, best = knn_votes([(0.9, ["a"]), (0.5, ["b", "a"]), (0.1, [])])
    assert votes["a"] > votes["b"] and abs(sum(votes.values()) - 1.0) < 1e-9
    assert best == {"a": 0.9, "b": 0.5}


def test_defaults_are_packaged_and_valid():
    defaults = default_ranking()
    for route in ("primary", "english"):
        ranking = defaults.route(route)  # type: ignore[arg-type]
        assert ranking.articles.features == ARTICLE_FEATURES
        assert ranking.cold().features == ARTICLE_FEATURES
        # agents' links count: an article the similar cases linked scores higher
        linked = np.array([[0.3, 0.3, 0.3, 1.0, 0.8, 0.2]])
        unlinked = np.array([[0.3, 0.3, 0.3, 0.0, 0.0, 0.0]])
        assert ranking.articles.probabilities(linked)[0] > \
            ranking.articles.probabilities(unlinked)[0]
        # without history, a closer text scores higher
        close = np.array([[0.8, 0.8, 1.0, 0, 0, 0]])
        far = np.array([[0.1, 0.1, 0.0, 0, 0, 0]])
        assert ranking.cold().probabilities(close)[0] > ranking.cold().probabilities(far)[0]


def test_english_views_hold_english_items_under_the_english_embedder(
        tmp_path, settings, brand, detector):
    from replyassist import ReplyAssistant
    from replyassist.store import VectorStore

    english = HashEmbeddings(dimension=64)
    assistant = ReplyAssistant(store=VectorStore.open(tmp_path / "s"), embedder=HashEmbeddings(),
                               settings=settings, brand=brand, detector=detector,
                               english_embedder=english)
    articles = [*topic_articles(), KnowledgeArticle(
        id="kb-livraison", title="Livraison", body="Délais de livraison en France.",
        language="fr")]
    assistant.ingest_kb(articles, tenant="t1")
    assistant.ingest_history(labelled_history(6), tenant="t1")
    views = assistant.pipeline.views("t1")
    assert views.kb_en is not None and views.history_en is not None and views.titles
    en_docs = {i.metadata["doc_id"] for i in views.kb_en.iter_all()}
    assert en_docs == set(TOPICS)  # no French article in the English view
    kinds = {i.metadata["view_kind"] for i in views.kb_en.iter_all()}
    assert kinds == {"chunk", "title"}
    assert {i.metadata["doc_id"] for i in views.titles.iter_all()} == {*TOPICS, "kb-livraison"}
    assert views.history_en.count() == 6
    assert views.kb_en.vectors([next(iter(views.kb_en.ids()))]).shape[1] == 64
    # an article updated: its old chunks leave the views
    assistant.ingest_kb([topic_articles()[0].model_copy(update={"title": "Refunds"})],
                        tenant="t1")
    titles = [i.document for i in views.titles.iter_all() if i.metadata["doc_id"] == "kb-refund"]
    assert titles == ["Refunds"]
    # English queries take the English route, French ones the primary
    result = assistant.pipeline.retrieve("t1", "refund for my parcel", np.zeros(256),
                                         language="en")
    assert result.articles  # scored with the English vector (the primary one is zero)
    assert result.articles[0].doc_id == "kb-refund"


@pytest.mark.integration
def test_other_language_article_offered_when_none_fits_and_ranked_below_one_that_does(
        tmp_path, settings, brand, detector):
    """The multilingual model matches across languages (the hash embedder cannot)."""
    from replyassist import ReplyAssistant
    from replyassist.embeddings import UniversalSentenceEncoderEmbeddings, embed_array
    from replyassist.store import VectorStore

    embedder = UniversalSentenceEncoderEmbeddings()
    assistant = ReplyAssistant(store=VectorStore.open(tmp_path / "s"), embedder=embedder,
                               settings=settings, brand=brand, detector=detector)
    delivery_fr = KnowledgeArticle(
        id="kb-delivery-fr", title="Suivi de livraison",
        body="Votre colis n'est pas encore arrivé ? Suivez votre livraison avec le numéro "
             "de suivi reçu par e-mail ; le transporteur livre sous 3 à 5 jours.",
        language="fr")
    warranty_en = KnowledgeArticle(
        id="kb-warranty-en", title="Product warranty",
        body="Our products carry a two-year warranty against manufacturing defects.",
        language="en")
    assistant.ingest_kb([delivery_fr, warranty_en], tenant="t1")
    query = "Where is my parcel? It still has not been delivered."
    vector = embed_array(embedder, [query])[0]
    found = assistant.pipeline.retrieve("t1", query, vector, language="en")
    assert found.articles[0].doc_id == "kb-delivery-fr"
    delivery_en = KnowledgeArticle(
        id="kb-delivery-en", title="Delivery tracking",
        body="Your parcel has not arrived yet? Track your delivery with the tracking number "
             "sent by e-mail; the carrier delivers within 3 to 5 days.", language="en")
    assistant.ingest_kb([delivery_en], tenant="t1")
    ranked = [a.doc_id for a in assistant.pipeline.retrieve(
        "t1", query, vector, language="en").articles]
    assert ranked.index("kb-delivery-en") < ranked.index("kb-delivery-fr")
    # and the other way round for a French customer
    french = "Mon colis n'est toujours pas livré, où en est-il ?"
    ranked = [a.doc_id for a in assistant.pipeline.retrieve(
        "t1", french, embed_array(embedder, [french])[0], language="fr").articles]
    assert ranked.index("kb-delivery-fr") < ranked.index("kb-delivery-en")


def test_filters_still_apply_to_ranked_articles(sample_assistant):
    result = sample_assistant.pipeline.retrieve(
        SAMPLE_TENANT, "I want to return my sweater", np.asarray(
            HashEmbeddings().encode(["I want to return my sweater"])[0]), language="en",
        filters=Filters(language="fr"))
    assert result.articles and all(a.language == "fr" for a in result.articles)
    assert TenantViews().route == "primary"


def test_missing_views_are_not_looked_up_on_every_query(tmp_path, settings, brand, detector,
                                                      monkeypatch):
    """A store written before the views existed: each query must not list collections."""
    from replyassist import ReplyAssistant
    from replyassist.store import VectorStore

    store = VectorStore.open(tmp_path / "s")
    assistant = ReplyAssistant(store=store, embedder=HashEmbeddings(), settings=settings,
                               brand=brand, detector=detector,
                               english_embedder=HashEmbeddings(dimension=64))
    assistant.ingest_kb(topic_articles(), tenant="t1")
    for kind in ("kb_titles", "kb_en", "history_en"):
        view = store._collections.pop(("t1", kind))  # type: ignore[index]
        store._client.delete_collection(view.name)
    calls = 0
    original = store._client.list_collections

    def counting() -> object:
        nonlocal calls
        calls += 1
        return original()

    monkeypatch.setattr(store._client, "list_collections", counting)
    for _ in range(6):
        result = assistant.suggest(conversation("refund for my parcel please", tenant="t1"),
                                   mode="composed")
        assert result.articles
    assert 1 <= calls <= 3  # once per missing view, not once per query and view
