"""The response library (mining, review kept across re-mining, tenants apart), the
case-fact detector, composed drafts from the library and the output guard's case-fact and
people checks, in English and French."""

from __future__ import annotations

from pathlib import Path

import pytest

from replyassist import Conversation, Draft
from replyassist.guardrails.actions import case_ids, done_actions
from replyassist.guardrails.guard import DraftGuard
from replyassist.library import (
    LibraryMiner,
    LibraryStore,
    PastAnswer,
    ReplyEdit,
    reply_units,
    select_replies,
)
from replyassist.retrieval import ExchangeResult
from replyassist.testing import HashEmbeddings

from .conftest import conversation
from .postgres import postgres_url  # noqa: F401  (fixture)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> LibraryStore:
    """The library on a SQLite file and on a real PostgreSQL (what API replicas share)."""
    url = f"sqlite:///{tmp_path / 'library.db'}" if request.param == "sqlite" else \
        request.getfixturevalue("postgres_url")
    library = LibraryStore(url)
    yield library
    if request.param == "postgresql":  # the cluster is shared by the session
        from replyassist.library.store import ReplyRow

        ReplyRow.metadata.drop_all(library._db.engine)
    library.close()


def answers(tenant_prefix: str = "h") -> list[PastAnswer]:
    texts = [
        "Hi [NAME]! Sorry to hear that. Can you DM us your order number? ^SM",
        "Hello [NAME], sorry to hear that. Can you DM us your order number? -KK",
        "Hey! Sorry to hear that. Can you DM us your order number?",
        "Hi [NAME], I've refunded £129.00 to your Visa ending 4421. Have a great day!",
        "Hi, your parcel 1Z999AA10123456784 has been shipped today. Have a great day!",
    ]
    return [PastAnswer(exchange_id=f"{tenant_prefix}-{i}#1", conversation_id=f"{tenant_prefix}-{i}",
                       answer=text, context="my order is late", language="en",
                       channel="twitter", intent="order_status")
            for i, text in enumerate(texts)]


# ------------------------------------------------------------------ units and case facts


def test_units_slot_case_content_and_drop_signatures():
    units = reply_units("[HANDLE] Hi [NAME]! Sorry to hear that. I've refunded £129.00 to "
                        "your Visa ending 4421. Can you DM us? ^SM")
    assert [(u.kind, u.text) for u in units] == [
        ("greeting", "Hi {name}!"), ("apology", "Sorry to hear that."),
        ("action", "I've refunded {amount} to your Visa ending {case_id}."),
        ("question", "Can you DM us?")]
    french = reply_units("Bonjour [NAME], votre vélo a bien été reçu et contrôlé ; le "
                         "remboursement est parti aujourd'hui. Belle journée ! Marie — "
                         "L'équipe Vélo")
    assert [u.kind for u in french] == ["greeting", "action", "closing", "closing"]


@pytest.mark.parametrize(("text", "families"), [
    ("I've refunded £129.00 to your card.", {"refund"}),
    ("Your parcel has been shipped.", {"shipment"}),
    ("I've created return RMA-7731 for you.", {"return"}),
    ("Le remboursement est parti aujourd'hui.", {"refund", "shipment"}),
    ("Votre commande a bien été annulée.", {"cancellation"}),
    ("Nous avons crédité un avoir de 10 € sur votre compte.", {"credit"}),
])
def test_done_actions_found_with_their_family(text, families):
    [fact] = done_actions(text)
    assert families <= fact.families


@pytest.mark.parametrize("text", [
    "We can refund you once the item is back.",
    "Refunds are processed within 5 days.",
    "Nous allons vous rembourser sous 5 jours.",
    "Has your order been shipped?",
    "Nous avons bien reçu votre message.",
    "We've received your request and will look into it.",
    "Une fois le colis reçu, nous vous remboursons.",
])
def test_offers_questions_and_politeness_are_not_done_actions(text):
    assert done_actions(text) == []


def test_case_ids_but_not_product_names_or_years():
    found = [v for _, _, v in case_ids("Order A-5521, #12345, RMA-7731, tracking "
                                       "CB123456789FR, card ending 4421 — iOS 13, 1080p, 2020, "
                                       "https://x.example/track/1Z999AA10123456784")]
    assert found == ["A-5521", "#12345", "RMA-7731", "CB123456789FR", "4421"]


# ------------------------------------------------------------------ mining and review


def test_mining_merges_across_conversations_and_is_incremental(store):
    miner = LibraryMiner(store, HashEmbeddings())
    report = miner.mine("shop", answers())
    assert report.exchanges == 5 and report.units > 0
    replies = store.replies("shop")
    question = next(r for r in replies if r.kind == "question")
    assert question.text == "Can you DM us your order number?" and question.support == 3
    assert question.intents == {"order_status": 3} and question.channels == {"twitter": 3}
    assert question.examples[0].context == "my order is late"
    assert question.suggestible(2)
    texts = " ".join(r.text for r in replies)
    assert "^SM" not in texts and "KK" not in texts and "129" not in texts
    action = next(r for r in replies if "refunded" in r.text)
    assert action.kind == "action" and not action.suggestible(1)
    again = miner.mine("shop", answers())
    assert again.exchanges == 0 and again.skipped == 5
    assert store.get("shop", question.id).support == 3


def test_review_survives_remining_and_tenants_stay_apart(store):
    miner = LibraryMiner(store, HashEmbeddings())
    miner.mine("shop", answers())
    question = next(r for r in store.replies("shop") if r.kind == "question")
    store.review("shop", question.id, ReplyEdit(status="approved",
                                                edited_text="Could you DM us your order "
                                                            "number, {name}?"))
    more = [PastAnswer(exchange_id="h-9#1", conversation_id="h-9",
                       answer="Hi! Can you DM us your order number?", language="en")]
    miner.mine("shop", more)
    kept = store.get("shop", question.id)
    assert kept.status == "approved" and kept.support == 4
    assert kept.current_text == "Could you DM us your order number, {name}?"
    miner.mine("other", answers("o"))
    assert all(r.tenant == "other" for r in store.replies("other"))
    from replyassist.errors import NotFoundError

    with pytest.raises(NotFoundError) as caught:
        store.get("other", question.id)
    assert caught.value.field == "reply_id"


def test_selection_follows_similar_exchanges_and_skips_blocked_and_rare(store):
    miner = LibraryMiner(store, HashEmbeddings())
    miner.mine("shop", answers())
    exchange = ExchangeResult(id="h-0#1", conversation_id="h-0", score=0.9, similarity=0.8,
                              context="", answer="", language="en", channel="twitter",
                              linked_doc_ids=[])
    ranked = select_replies(store, "shop", "en", [exchange], min_support=2)
    kinds = {r.reply.kind for r in ranked if r.via}
    assert "question" in kinds and "action" not in kinds
    question = next(r for r in ranked if r.reply.kind == "question")
    store.review("shop", question.reply.id, ReplyEdit(status="blocked"))
    again = select_replies(store, "shop", "en", [exchange], min_support=2)
    assert question.reply.id not in {r.reply.id for r in again}
    assert select_replies(store, "shop", "en", [exchange], min_support=9) == [] or all(
        r.reply.status == "approved" for r in select_replies(store, "shop", "en", [exchange],
                                                             min_support=9))


# ------------------------------------------------------------------ the output guard


def _guard(brand, text, conv, language="en"):
    draft = Draft(text=text, tone="friendly", strategy="composed", confidence=0.5)
    [out] = DraftGuard(brand).apply([draft], Conversation.model_validate(conv), [], language)
    return out


@pytest.mark.parametrize(("text", "language", "kept", "gone"), [
    ("Hello Kate, sorry for the wait. I've refunded £129.00 to your Visa ending 4421. "
     "Anything else?", "en", "sorry for the wait", "refunded"),
    ("Bonjour Kate, votre vélo a bien été reçu et contrôlé ; le remboursement est parti "
     "aujourd'hui. Pouvez-vous confirmer votre adresse ?", "fr", "Pouvez-vous", "rembours"),
    ("Hello Kate,\nYour tracking number is CB123456789FR. Thanks!", "en", "Hello Kate",
     "CB123456789FR"),
])
def test_ungrounded_actions_are_removed_with_a_warning(brand, text, language, kept, gone):
    out = _guard(brand, text, conversation("Where is my refund?"), language)
    assert kept in out.text and gone not in out.text
    assert "ungrounded_action" in [w.code for w in out.warnings]


def test_actions_grounded_in_the_conversation_or_crm_stay(brand):
    conv = conversation("Did you get my bike back?")
    conv["messages"].insert(0, {"role": "note", "text": "Refund of 349 € sent today."})
    out = _guard(brand, "Bonjour Kate, le remboursement est parti aujourd'hui.", conv, "fr")
    assert "remboursement est parti" in out.text
    assert "ungrounded_action" not in [w.code for w in out.warnings]
    crm = conversation("Where is my parcel?")
    crm["customer"]["attributes"] = {"tracking_number": "CB123456789FR",
                                     "shipment_status": "shipped"}
    shipped = _guard(brand, "Your parcel has been shipped: CB123456789FR.", crm)
    assert "CB123456789FR" in shipped.text and not shipped.warnings


def test_a_draft_names_only_this_customer_and_signs_as_the_brand(brand):
    out = _guard(brand, "We're sorry for the poor experience, Vicki! Please DM us. ^SM",
                 conversation("My order is late", name="Eric Dupont"))
    assert "Vicki" not in out.text and "^SM" not in out.text
    assert "sorry for the poor experience!" in out.text
    codes = {w.code for w in out.warnings}
    assert {"other_person_named", "foreign_signature"} <= codes
    mine = _guard(brand, "Hello Eric, please DM us.\n\nThe Atelier Brume team",
                  conversation("My order is late", name="Eric Dupont"))
    assert mine.text.startswith("Hello Eric") and not mine.warnings


# ------------------------------------------------------------------ drafts end to end


def test_composed_drafts_from_the_library_end_to_end(make_assistant):
    from replyassist import Conversation as Conv

    assistant = make_assistant()
    history = []
    for i, name in enumerate(["Rachel", "Marc", "Julie", "Tom"]):
        history.append(Conv.model_validate({
            "id": f"h-{i}", "tenant": "shop", "channel": "messenger",
            "messages": [
                {"role": "customer", "text": "Bonjour, mon colis n'est toujours pas arrivé, "
                                             "que se passe-t-il ?"},
                {"role": "agent", "text": f"Bonjour {name}, nous sommes désolés pour ce "
                                          "retard. Pouvez-vous nous indiquer votre numéro de "
                                          "commande ? Le colis 6A12345678901 est parti ce "
                                          "matin. Sophie"}]}))
    report = assistant.ingest_history(history, tenant="shop")
    assert report.library is not None and report.library.replies > 0
    result = assistant.suggest(conversation("Bonjour, mon colis n'est toujours pas arrivé, "
                                            "que se passe-t-il ?", tenant="shop",
                                            name="Kate Martin"), mode="composed")
    texts = " ".join(d.text for d in result.drafts)
    assert "Pouvez-vous nous indiquer votre numéro de commande ?" in texts
    for other in ("Rachel", "Marc", "Julie", "Tom", "Sophie", "6A12345678901", "parti"):
        assert other not in texts
    top = result.drafts[0].text
    assert top.startswith("Bonjour Kate") and top.count("Bonjour") == 1
    assert top.lower().count("désolé") <= 1


def test_legal_threat_gets_the_escalation_step(make_assistant, brand):
    assistant = make_assistant()
    if brand.escalation is None:
        pytest.skip("the sample brand has no escalation contact")
    result = assistant.suggest(conversation(
        "Votre vélo ne charge plus, je vais saisir le tribunal et mon avocat si rien n'est "
        "fait cette semaine."), mode="composed")
    assert "legal_threat" in result.analysis.flags
    assert brand.escalation.team in result.drafts[0].text


def test_madame_only_with_a_known_title():
    from replyassist.drafting.slots import fill, slot_values

    untitled = Conversation.model_validate(conversation("Bonjour", name="Sébastien Roy"))
    assert fill("Bonjour Madame {name}, merci !", slot_values(untitled)) == "Bonjour, merci !"
    titled = conversation("Bonjour", name="Claire Roy")
    titled["customer"]["attributes"] = {"title": "Madame"}
    values = slot_values(Conversation.model_validate(titled))
    assert fill("Bonjour Madame {name}, merci !", values) == "Bonjour Madame Roy, merci !"


def test_case_checks_keep_positions_around_links(brand):
    out = _guard(brand, "Hello Kate, see https://help.atelier-brume.example/en/returns for the "
                        "steps. Your parcel has been shipped. Thanks, Vicki!",
                 conversation("Where is my parcel?"))
    assert "https://help.atelier-brume.example/en/returns" in out.text or \
        "ungrounded_link" in [w.code for w in out.warnings]
    assert "shipped" not in out.text and "Vicki" not in out.text
    assert out.text.startswith("Hello Kate")


def test_a_short_turn_keeps_the_conversation_language(make_assistant):
    chat = conversation("Bonjour, ma liseuse ne synchronise plus mes livres depuis hier soir.",
                        channel="chat")
    chat["messages"] += [{"role": "agent", "text": "Quel modèle avez-vous ?"},
                         {"role": "customer", "text": "version de  la liseuse #NUMBER#"}]
    assistant = make_assistant()
    alone = conversation("version de  la liseuse #NUMBER#", channel="chat")
    assert assistant.detector.detect(alone["messages"][0]["text"], default="fr")[0] != "fr"
    assert assistant.analyze(chat).language == "fr"


def test_an_older_library_file_gains_new_columns_and_servers_have_their_own(tmp_path,
                                                                           monkeypatch):
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # a library written before `intents` existed
        db.execute("CREATE TABLE library_replies (id VARCHAR(40) PRIMARY KEY, tenant TEXT, "
                   "language TEXT, kind TEXT, text TEXT, edited_text TEXT, status TEXT, "
                   "support INTEGER, uses INTEGER, channels TEXT, doc_ids TEXT, variants TEXT, "
                   "examples TEXT, vector BLOB, vector_weight INTEGER, first_seen DATETIME, "
                   "last_seen DATETIME, reviewed_at DATETIME, reviewed_by TEXT)")
        db.execute("INSERT INTO library_replies (id, tenant, language, kind, text, status, "
                   "support, uses) VALUES ('r-1', 'shop', 'en', 'body', 'Hello', 'approved', "
                   "2, 2)")
    store = LibraryStore(f"sqlite:///{path}")
    [reply] = store.replies("shop")
    assert reply.status == "approved" and reply.intents == {}
    store.close()
    monkeypatch.setattr("replyassist.settings.default_store_path", lambda: tmp_path / "home")
    one = LibraryStore.beside("http://10.0.0.5:8000")
    two = LibraryStore.beside("http://chroma.internal:8000")
    assert one.url != two.url and "10.0.0.5_8000" in one.url
    one.close()
    two.close()


def test_the_holding_reply_thanks_in_the_team_s_words(brand):
    from replyassist.drafting import ComposedDrafter, DraftContext
    from replyassist.library import LibraryReply, RankedReply
    from replyassist.prompts import PromptLibrary

    thanks = LibraryReply(id="r-t", tenant="t", language="fr", kind="thanks",
                          text="Merci pour ces informations, {name}.", support=9, uses=9)
    context = DraftContext(
        conversation=Conversation.model_validate(conversation("Ça ne marche toujours pas")),
        language="fr", brand=brand, articles=[], exchanges=[], max_drafts=1,
        replies=[RankedReply(thanks, 0.01, 0)])
    [draft] = ComposedDrafter(PromptLibrary()).draft(context).drafts
    assert "Merci pour ces informations, Kate." in draft.text
    assert "Merci pour votre message" not in draft.text


def test_a_brand_without_escalation_contact_passes_a_legal_threat_to_a_manager(make_assistant):
    from replyassist import BrandVoice

    assistant = make_assistant()
    assistant.pipeline.brands.default = BrandVoice(default_language="fr")
    result = assistant.suggest(conversation(
        "Ma batterie ne charge plus depuis une semaine. Si rien n'est fait je saisis le "
        "tribunal et mon avocat.", tenant="ebike", channel="email"), mode="composed")
    assert "legal_threat" in result.analysis.flags
    assert "Je transmets votre dossier à un responsable" in result.drafts[0].text


def test_a_reply_starting_with_a_link_keeps_its_case():
    from replyassist.drafting.slots import fill

    assert fill("https://h.example/Invoice-Help", {}) == "https://h.example/Invoice-Help"
    assert fill("thanks, {name}!", {"name": "Kate"}) == "Thanks, Kate!"


def test_three_options_when_the_library_has_nothing(brand):
    """The top article can be the wrong page: the next relevant one is offered too, then
    the acknowledgement."""
    from replyassist.drafting import ComposedDrafter, DraftContext
    from replyassist.prompts import PromptLibrary
    from replyassist.retrieval import ArticleResult

    def article(doc_id, passage, similarity):
        return ArticleResult(doc_id=doc_id, title=doc_id, url=f"https://h.example/{doc_id}",
                             language="en", score=similarity, similarity=similarity,
                             passages=[("", passage)])

    context = DraftContext(
        conversation=Conversation.model_validate(conversation("I need a company invoice")),
        language="en", brand=brand, exchanges=[], max_drafts=3,
        articles=[article("returns", "Returns are free.", 0.44),
                  article("invoice", "Invoices are in your account.", 0.36)])
    drafts = ComposedDrafter(PromptLibrary()).draft(context).drafts
    assert [d.citations[0].doc_id if d.citations else None for d in drafts] == [
        "returns", "invoice", None]


def test_a_very_long_wording_is_stored_on_every_backend(store):
    long = "Please follow these steps carefully " * 60 + "and tell us how it went."
    LibraryMiner(store, HashEmbeddings()).mine("shop", [PastAnswer(
        exchange_id="h-long#1", conversation_id="h-long", answer=long, language="en")])
    [reply] = store.replies("shop")
    assert len(reply.text) > 1000
