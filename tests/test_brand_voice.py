"""The brand voice profile: validation, registry, and both strategies following it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from replyassist import BrandVoice, ConfigurationError, Conversation, InvalidInputError
from replyassist.brand import BrandRegistry
from replyassist.drafting import (
    ComposedDrafter,
    DraftContext,
    GeneratedDrafter,
    apply_voice,
    suggest_reactions,
)
from replyassist.models import Suggestions
from replyassist.prompts import PromptLibrary
from replyassist.retrieval import ArticleResult
from replyassist.sample import sample_path
from replyassist.testing import FakeChatModel
from replyassist.voice import AddressPolicy

from .conftest import conversation

DOCS = Path(__file__).resolve().parents[1] / "docs" / "brand-voice.md"
REACTION = {"id": "r", "kind": "emoji", "value": "🙏", "label": "thanks", "moods": ["positive"]}


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(("profile", "key"), [
    ({"emoji": {"sms": {"max": -1}}}, "emoji.sms.max"),
    ({"emoji": {"sms": {"allowed": False, "max": 2}}}, "emoji.sms.max"),
    ({"emoji": {"tiktok": {"allowed": True}}}, "emoji.tiktok"),
    ({"address": {"fr": {"form": "toi"}}}, "address.fr.form"),
    ({"address": {"french": {"form": "tu"}}}, "address.french"),
    ({"address": {"fr": {"form": "tu", "mirror": True}}}, "address.fr.mirror"),
    ({"sign_offs": {"fr": {"fax": "Cordialement"}}}, "sign_offs.fr.fax"),
    ({"greetings": {"en": {"default": "Hello {first_name},"}}}, "greetings.en.default"),
    ({"words_to_avoid": {"fr": [{"avoid": "souci", "instead": "problème"}]}},
     "words_to_avoid.fr.0.instead"),
    ({"default_language": "french"}, "default_language"),
    ({"persona_text": "We are nice."}, "persona_text"),
    ({"reactions": [{**REACTION, "moods": ["happy"]}]}, "reactions.0.moods.0"),
    ({"reactions": [{**REACTION, "channels": ["email"]}]}, "reactions.0.channels.0"),
    ({"reactions": [{**REACTION, "value": "thanks"}]}, "reactions.0.value"),
    ({"reactions": [REACTION, REACTION]}, "reactions.1.id"),
    ({"reactions": [{**REACTION, "kind": "gif", "value": "https://giphy.example/x.gif"}],
      "approved_domains": ["atelier-brume.example"]}, "reactions.0.value"),
    ({"escalation": {"team": "Relations", "email": "boss@atelier-brume.example"},
      "public_contacts": ["service-client@atelier-brume.example"]}, "escalation.email"),
    ({"escalation": {"team": "Relations", "url": "https://elsewhere.example/complaints"},
      "approved_domains": ["atelier-brume.example"]}, "escalation.url"),
    ({"escalation": {"team": "Relations"}}, "escalation"),
])
def test_profile_errors_name_the_file_and_the_key(tmp_path, profile, key):
    path = tmp_path / "brand.yaml"
    path.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InvalidInputError) as caught:
        BrandVoice.from_yaml(path)
    assert caught.value.field == key
    assert str(path) in str(caught.value) and f"field '{key}'" in str(caught.value)


def test_sample_profile_is_complete_and_documented():
    brand = BrandVoice.from_yaml(sample_path("brand.yaml"))
    assert brand.persona and brand.values and brand.escalation and brand.banned_claims
    assert len(brand.reactions) >= 6 and {r.kind for r in brand.reactions} == {"emoji", "gif"}
    assert brand.intents and brand.approved_domains and brand.public_contacts
    documented = DOCS.read_text(encoding="utf-8")
    missing = [key for key in BrandVoice.model_fields if f"`{key}`" not in documented]
    assert not missing, f"docs/brand-voice.md does not document {missing}"


def test_registry_gives_each_tenant_its_profile(tmp_path):
    (tmp_path / "maison-lumiere.yaml").write_text("name: Maison Lumière\n", encoding="utf-8")
    (tmp_path / "atelier-brume.yaml").write_text(
        sample_path("brand.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    registry = BrandRegistry.from_directory(tmp_path)
    assert registry.tenants == ["atelier-brume", "maison-lumiere"]
    assert registry.for_tenant("maison-lumiere").name == "Maison Lumière"
    assert registry.for_tenant("atelier-brume").reactions
    with pytest.raises(ConfigurationError, match="'unknown'"):
        registry.for_tenant("unknown")
    (tmp_path / "default.yaml").write_text("name: Default Care\n", encoding="utf-8")
    assert BrandRegistry.from_directory(tmp_path).for_tenant("unknown").name == "Default Care"
    (tmp_path / "broken.yaml").write_text("emoji: {sms: {max: many}}\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"broken\.yaml.*emoji\.sms\.max"):
        BrandRegistry.from_directory(tmp_path)
    in_memory = BrandRegistry({"a": BrandVoice(name="A")}, default=BrandVoice(name="B"))
    assert (in_memory.for_tenant("a").name, in_memory.for_tenant("z").name) == ("A", "B")


# ------------------------------------------------------------------ helpers

ARTICLE = ArticleResult(
    doc_id="kb-exchange", title="Échanger un article", url="https://aide.atelier-brume.example/x",
    language="fr", score=0.9, similarity=0.8,
    passages=[("", "Malheureusement, la procédure d'échange se fait en ligne. "
                   "Le SAV vous envoie l'étiquette.")])
NEUTRAL = ArticleResult(  # written without tu or vous
    doc_id="kb-neutral", title="Échanges", url="https://aide.atelier-brume.example/y",
    language="fr", score=0.9, similarity=0.8,
    passages=[("", "Les échanges se font en ligne, l'étiquette est envoyée par e-mail.")])
ARTICLE_EN = ArticleResult(
    doc_id="kb-exchange-en", title="Exchanges", url="https://help.atelier-brume.example/x",
    language="en", score=0.9, similarity=0.8,
    passages=[("", "Exchanges are done online; we email you the label.")])


def _context(brand: BrandVoice, *, channel: str = "messenger", language: str = "fr",
             register: str | None = None, articles: list[ArticleResult] | None = None
             ) -> DraftContext:
    article = ARTICLE if language == "fr" else ARTICLE_EN
    return DraftContext(
        conversation=Conversation.model_validate(conversation("Je veux échanger mon pull",
                                                              channel=channel)),
        language=language, brand=brand, articles=[article] if articles is None else articles,
        exchanges=[], max_drafts=1, tones=["informative"], register=register)


def _composed(brand: BrandVoice, **kwargs: object) -> str:
    [draft] = ComposedDrafter(PromptLibrary()).draft(_context(brand, **kwargs)).drafts
    return draft.text


def _with_address(brand: BrandVoice, **policy: object) -> BrandVoice:
    return brand.model_copy(update={"address": {"fr": AddressPolicy(**policy)}})


def _tu(text: str) -> bool:
    return re.search(r"\b(ton|ta|tu|toi)\b|\bt'", text) is not None


# ------------------------------------------------------------------ tu / vous


@pytest.mark.parametrize(("policy", "register", "address"), [
    ({}, None, "vous"),                                   # default: vouvoiement
    ({}, "casual", "vous"),                               # no mirroring unless allowed
    ({"form": "tu"}, None, "tu"),                         # the policy says tu
    ({"form": "tu"}, "casual", "tu"),
    ({"form": "tu"}, "formal", "vous"),                   # never tu for a customer who vouvoie
    ({"mirror_casual": True}, "casual", "tu"),            # mirrored when allowed
    ({"mirror_casual": True}, "formal", "vous"),
    ({"mirror_casual": True}, None, "vous"),
])
def test_tu_or_vous_in_composed_drafts(brand, policy, register, address):
    voiced = _with_address(brand, **policy)
    assert voiced.address_form("fr", register) == address
    text = _composed(voiced, register=register, articles=[NEUTRAL])
    if address == "tu":
        assert "Merci pour ton message" in text and "vous" not in text.lower()
    else:
        assert "Merci pour votre message" in text and not _tu(text)


def test_formal_flag_is_the_policy_of_unlisted_languages():
    assert BrandVoice(formal=True).address_form("fr", "casual") == "vous"
    assert BrandVoice(formal=False).address_form("fr", "casual") == "tu"
    assert BrandVoice(formal=False).address_form("fr", "formal") == "vous"


def test_english_drafts_are_unaffected_by_tutoiement(brand):
    tu_brand = _with_address(brand, form="tu")
    assert _composed(tu_brand, language="en", register="casual") == \
        _composed(brand, language="en", register="casual")


def test_past_answers_in_the_other_address_are_not_reused(brand, tmp_path):
    """Library replies in tutoiement never reach a vouvoiement draft, and the reverse."""
    from replyassist.drafting.voice import fits_address
    from replyassist.library import LibraryMiner, LibraryStore, PastAnswer, select_replies
    from replyassist.retrieval import ExchangeResult
    from replyassist.testing import HashEmbeddings

    store = LibraryStore(f"sqlite:///{tmp_path / 'library.db'}")
    past = [PastAnswer(exchange_id=f"{i}#1", conversation_id=i, answer=text, language="fr")
            for i, text in (("h-tu", "Salut [NAME] ! Tu peux l'échanger en ligne."),
                            ("h-vous", "Bonjour [NAME], vous pouvez l'échanger en ligne."))]
    LibraryMiner(store, HashEmbeddings()).mine("t", past)
    exchanges = [ExchangeResult(id=f"{i}#1", conversation_id=i, score=0.9, similarity=0.8,
                                context="échange ?", answer="", language="fr",
                                channel="chat", linked_doc_ids=[]) for i in ("h-tu", "h-vous")]
    for address, kept, dropped in (("vous", "vous pouvez", "tu peux"),
                                   ("tu", "tu peux", "vous pouvez")):
        texts = [r.text.lower() for r in select_replies(
            store, "t", "fr", exchanges, min_support=1,
            fits=lambda text, a=address: fits_address(text, "fr", a))]
        assert any(kept in t for t in texts) and not any(dropped in t for t in texts)
    store.close()


# ------------------------------------------------------------------ greeting, sign-off


def test_greeting_and_sign_off_follow_language_and_channel(brand):
    email = _composed(brand, channel="email")
    assert email.startswith("Bonjour Kate,") and email.endswith(
        "Belle journée,\nL'équipe Atelier Brume")
    chat = _composed(brand, channel="chat")
    assert chat.startswith("Bonjour Kate !")
    assert "Belle journée" not in chat and "L'équipe Atelier Brume" not in chat
    messenger = _composed(brand, channel="messenger")  # the profile signs Messenger
    assert messenger.endswith("\n\nL'équipe Atelier Brume") and "Belle journée" not in messenger
    english = _composed(brand, channel="email", language="en")
    assert english.startswith("Hello Kate,") and english.endswith(
        "Kind regards,\nThe Atelier Brume team")


def test_without_a_profile_chat_like_channels_get_no_sign_off():
    plain = BrandVoice(name="Maison Lumière")
    for channel in ("chat", "messenger", "whatsapp"):
        assert "Maison Lumière" not in _composed(plain, channel=channel)
    assert _composed(plain, channel="email").endswith("Belle journée,\nMaison Lumière")


# ------------------------------------------------------------------ post-processing


def test_words_to_avoid_are_replaced_in_composed_drafts(brand):
    text = _composed(brand, channel="email")
    assert "La démarche d'échange se fait en ligne." in text
    assert "Le service client vous envoie" in text
    assert "malheureusement" not in text.lower() and "procédure" not in text


def test_apply_voice_keeps_case_links_and_addresses(brand):
    text, notices = apply_voice(
        "Unfortunately the TICKET is closed: see https://help.atelier-brume.example/ticket "
        "or write to ticket@atelier-brume.example ASAP.", brand, "en", "email")
    assert text == ("The REQUEST is closed: see https://help.atelier-brume.example/ticket "
                    "or write to ticket@atelier-brume.example as soon as possible.")
    assert notices == []


def _generated(make_assistant, text: str, *, channel: str = "messenger"):
    model = FakeChatModel(responses=[{"drafts": [
        {"text": text, "tone": "informative", "doc_ids": []}]}])
    result = make_assistant(chat_model=model).suggest(
        conversation("Bonjour, où en est mon colis ?", channel=channel), mode="generated")
    return result.drafts[0], model


def test_words_to_avoid_are_replaced_in_generated_drafts(make_assistant):
    draft, _ = _generated(make_assistant, "Bonjour Kate, malheureusement la procédure de "
                                          "suivi est en panne. Le SAV revient vers vous.")
    assert draft.strategy == "generated"
    assert draft.text == ("Bonjour Kate, la démarche de suivi est en panne. "
                          "Le service client revient vers vous.")


def test_emoji_stripped_where_forbidden_and_capped_elsewhere(make_assistant, brand):
    text = "Bonjour Kate 😊, votre colis arrive demain 🎉🎉 ! Belle journée 🙏"
    email, _ = _generated(make_assistant, text, channel="email")
    assert email.text == "Bonjour Kate, votre colis arrive demain ! Belle journée"
    messenger, _ = _generated(make_assistant, text, channel="messenger")  # max 2
    assert messenger.text == "Bonjour Kate 😊, votre colis arrive demain 🎉 ! Belle journée"
    assert apply_voice("Merci ! 🙏", BrandVoice(), "fr", "whatsapp")[0] == "Merci ! 🙏"
    assert apply_voice("Merci ! 🙏", BrandVoice(), "fr", "sms")[0] == "Merci !"


def test_banned_claim_sentence_removed_with_a_warning(make_assistant):
    # (not "votre colis est en route": an ungrounded action, removed by the case-fact check)
    draft, _ = _generated(make_assistant, "Bonjour Kate, nous regardons votre colis. "
                                          "Et c'est satisfait ou remboursé, évidemment ! "
                                          "Nous vous tenons informée.")
    assert draft.text == "Bonjour Kate, nous regardons votre colis. Nous vous tenons informée."
    [notice] = [n for n in draft.warnings if n.code == "banned_claim"]
    assert "satisfait ou remboursé" in notice.message and "évidemment" in notice.message


def test_composed_and_generated_share_the_post_processing(brand):
    composed = _composed(brand, channel="email")
    generated = GeneratedDrafter(FakeChatModel(), PromptLibrary())._voiced(
        composed.replace("démarche", "procédure"), _context(brand, channel="email"), [])
    assert generated == composed


# ------------------------------------------------------------------ generated prompt


def test_generated_prompt_carries_the_voice(brand):
    drafter = GeneratedDrafter(FakeChatModel(), PromptLibrary())
    system = drafter.build_messages(_context(brand, channel="email"))[0].content
    assert "small French house of bed and bath linen" in system  # persona
    assert "repaired rather than replaced" in system  # values
    assert 'vouvoiement ("vous"), never "tu"' in system
    assert "service-client@atelier-brume.example" in system  # escalation contact
    assert "https://aide.atelier-brume.example/fr/reclamation" in system
    assert '"Bonjour Kate,"' in system and "  Belle journée,\n  L'équipe Atelier Brume" in system
    assert '"malheureusement"' in system and '"procédure" (say "démarche")' in system
    assert '"remboursement garanti"' in system and "Emoji: none on this channel" in system
    mirrored = _with_address(brand, mirror_casual=True)
    casual = drafter.build_messages(_context(mirrored, channel="chat", register="casual"))
    system = casual[0].content
    assert 'tutoiement ("tu") as the customer does' in system
    assert "Sign-off: none on this channel" in system and "at most 1 per draft" in system


# ------------------------------------------------------------------ reactions


def test_reactions_for_a_happy_messenger_customer_only(brand):
    thanks = suggest_reactions(brand, "positive", "messenger", "thanks")
    assert 1 <= len(thanks) <= 3 and thanks[0].id == "thanks"
    assert {r.id for r in thanks} <= {r.id for r in brand.reactions}
    assert suggest_reactions(brand, "angry", "messenger", "thanks") == []
    assert suggest_reactions(brand, "frustrated", "whatsapp") == []
    assert suggest_reactions(brand, "positive", "email", "thanks") == []
    assert suggest_reactions(brand, "positive", "twitter", "thanks") == []
    assert suggest_reactions(brand, None, "messenger") == []
    assert [r.id for r in suggest_reactions(brand, "disappointed", "chat")] == ["sorry-hug"]
    calm = brand.model_copy(update={"reactions": [*brand.reactions, brand.reactions[0].model_copy(
        update={"id": "calm", "moods": ["angry"]})]})
    assert [r.id for r in suggest_reactions(calm, "angry", "messenger")] == ["calm"]


def test_suggestions_carry_reactions_in_the_contract():
    schema = Suggestions.model_json_schema()
    assert "reactions" in schema["properties"] and "reactions" not in schema["required"]
    assert set(schema["$defs"]["Reaction"]["properties"]) == {"id", "kind", "value", "label"}


# ------------------------------------------------------------------ wired in the pipeline


def test_each_tenant_gets_its_own_voice_in_suggestions(tmp_path, settings, detector):
    from replyassist import ReplyAssistant, VectorStore
    from replyassist.testing import HashEmbeddings

    other = BrandVoice.model_validate({
        "name": "Maison Lune", "default_language": "fr",
        "address": {"fr": {"form": "tu"}},
        "greetings": {"fr": {"default": "Salut {name} !"}},
        "sign_offs": {"fr": {"default": "{brand}", "email": "À bientôt,\n{brand}"}},
        "sign_off": {"fr": "L'équipe Maison Lune"}})
    default = BrandVoice.from_yaml(sample_path("brand.yaml"))
    assistant = ReplyAssistant(
        store=VectorStore.open(tmp_path / "store"), embedder=HashEmbeddings(),
        settings=settings, brand=default, detector=detector,
        brands=BrandRegistry({"maison-lune": other}, default=default))
    text = "Bonjour, je voudrais savoir où en est ma commande s'il vous plaît"
    lune = assistant.suggest(conversation(text, channel="email", tenant="maison-lune"),
                             mode="composed")
    brume = assistant.suggest(conversation(text, channel="email"), mode="composed")
    assert all(d.text.startswith("Salut Kate") and "Maison Lune" in d.text
               for d in lune.drafts)
    assert all("Maison Lune" not in d.text for d in brume.drafts)


def test_reactions_reach_the_suggestions(sample_assistant):
    happy = sample_assistant.suggest(conversation(
        "Merci beaucoup, le plaid est arrivé et il est magnifique, je l'adore !!",
        channel="messenger"), mode="composed")
    angry = sample_assistant.suggest(conversation(
        "C'est inadmissible, trois semaines sans colis et personne ne répond !!!",
        channel="messenger"), mode="composed")
    assert happy.analysis.mood == "positive" and happy.reactions
    assert angry.reactions == []


def test_brands_dir_setting_loads_one_profile_per_tenant(tmp_path):
    from replyassist import ReplyAssistant, Settings
    from replyassist.testing import HashEmbeddings

    brands = tmp_path / "brands"
    brands.mkdir()
    (brands / "maison-lune.yaml").write_text("name: Maison Lune\n", encoding="utf-8")
    (brands / "default.yaml").write_text(
        sample_path("brand.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    settings = Settings(store=str(tmp_path / "store"), embedder="hash", brands_dir=brands,
                        analysis_embedder="off", llm_tagging="off")
    assistant = ReplyAssistant.from_settings(settings, embedder=HashEmbeddings())
    assert assistant.brand.name == "Atelier Brume"
    assert assistant.pipeline.brands.for_tenant("maison-lune").name == "Maison Lune"
    assert assistant.pipeline.brands.for_tenant("unknown").name == "Atelier Brume"
