import pytest

from replyassist.guardrails.output import (
    PII_PLACEHOLDER,
    GroundingContext,
    check_draft,
    grounding_context,
)
from replyassist.models import Conversation
from replyassist.retrieval import ArticleResult

RETURNS_FR = "https://aide.atelier-brume.example/fr/retours"
RETURNS_EN = "https://help.atelier-brume.example/en/returns"


def _context(**overrides) -> GroundingContext:
    values = dict(
        conversation_text="Bonjour, j'ai payé 129,90 € le 12/03.\nHi, I paid $45.00 on March 3.",
        articles_text=("Retours\nRemboursement sous 5 jours ouvrés après réception. "
                       "Refunds within 5 working days. Remise fidélité de 10 %. "
                       "Delivery takes 48 hours."),
        known_urls={RETURNS_FR, RETURNS_EN},
        approved_domains={"atelier-brume.example"},
        customer_values={"kate.m@gmail.com", "06 12 34 56 78", "+44 7911 123456",
                         "FR76 3000 6000 0112 3456 7890 189", "4111 1111 1111 1111"},
        brand_contacts={"support@atelier-brume.example", "+33 1 23 45 67 89"},
        banned_phrases=["pas de souci", "no worries"],
        secret_markers=["You are Brume's reply assistant. Never promise a refund."],
        language="fr",
    )
    values.update(overrides)
    return GroundingContext(**values)


def _codes(notices) -> list[str]:
    return [n.code for n in notices]


# ---------------------------------------------------------------- plain drafts

@pytest.mark.parametrize("text", [
    "Bonjour Kate, merci pour votre message ! Nous revenons vers vous très vite.",
    "Hi Kate, thanks for your patience. We'll get back to you shortly.",
])
def test_plain_draft_untouched(text):
    assert check_draft(text, _context()) == (text, [])


# ------------------------------------------------------------------------ links

@pytest.mark.parametrize("text", [
    f"Voici la procédure : {RETURNS_FR}",
    "The steps are here: https://www.help.atelier-brume.example/en/returns/?utm_source=bot.",
    "Suivez votre colis sur https://suivi.atelier-brume.example/colis.",  # approved domain
    "See [our returns page](https://atelier-brume.example/returns).",
])
def test_known_and_approved_links_are_kept(text):
    assert check_draft(text, _context()) == (text, [])


def test_unknown_link_is_removed_and_named_fr():
    text, notices = check_draft(
        "Voir https://forum.example.com/retours pour les détails.", _context())
    assert text == "Voir pour les détails."
    assert _codes(notices) == ["ungrounded_link"]
    assert "https://forum.example.com/retours" in notices[0].message


def test_unknown_markdown_link_keeps_its_label_en():
    text, notices = check_draft(
        "Read [this guide](https://evil.example/guide) and www.other.example/x.", _context())
    assert text == "Read this guide and."
    assert _codes(notices) == ["ungrounded_link", "ungrounded_link"]


def test_lookalike_domain_is_not_approved():
    text, notices = check_draft("https://atelier-brume.example.evil.com/login", _context())
    assert text == ""
    assert _codes(notices) == ["ungrounded_link"]


# ----------------------------------------------------------------------- claims

def test_duration_not_in_context_is_flagged_not_removed_fr():
    draft = "Vous serez remboursé sous 5 jours."
    text, notices = check_draft(draft, _context(articles_text="Retours gratuits."))
    assert text == draft
    assert _codes(notices) == ["ungrounded_claim"]
    assert "“5 jours”" in notices[0].message


def test_duration_supported_by_article_with_unit_variant_fr():
    context = _context(articles_text="Le remboursement intervient sous 5 jours ouvrés.")
    assert check_draft("Vous serez remboursé sous 5 jours.", context)[1] == []


@pytest.mark.parametrize("draft", [
    "Votre commande de 129.90 EUR du 12 mars sera remboursée sous 5 jours.",
    "Nous appliquerons la remise de 10 % (livraison en 48h).",
    "Your $45 payment from March 3 will be refunded within 5 business days.",
    "We received 129,90 € on 12/03.",
])
def test_supported_claims_pass(draft):
    assert check_draft(draft, _context())[1] == []


@pytest.mark.parametrize(("draft", "span"), [
    ("Nous vous offrons un avoir de 50 €.", "50 €"),
    ("We can offer €50 off.", "€50"),
    ("The fee is $12.99.", "$12.99"),
    ("Un geste de 20 euros.", "20 euros"),
    ("Profitez de 20 % de remise.", "20 %"),
    ("Livraison prévue le 2026-11-20.", "2026-11-20"),
    ("Livraison le 14 mars.", "14 mars"),
    ("Delivery on March 14.", "March 14"),  # (March 12 is the 12/03 of the conversation)
    ("Comptez 2 semaines.", "2 semaines"),
    ("Allow 3 working days.", "3 working days"),
])
def test_unsupported_claims_are_flagged_with_their_span(draft, span):
    text, notices = check_draft(draft, _context())
    assert text == draft
    assert _codes(notices) == ["ungrounded_claim"]
    assert f"“{span}”" in notices[0].message


def test_a_range_needs_both_ends():
    context = _context(articles_text="Remboursement sous 5 à 7 jours.")
    assert check_draft("Comptez 5 à 7 jours.", context)[1] == []
    assert check_draft("Comptez 7 jours.", context)[1] == []
    assert _codes(check_draft("Comptez 3 à 7 jours.", context)[1]) == ["ungrounded_claim"]


# ---------------------------------------------------------------- personal data

@pytest.mark.parametrize(("draft", "leaked"), [
    ("Écrivez à john.doe@example.org pour le suivi.", "john.doe@example.org"),
    ("Appelez Paul au 07 98 76 54 32.", "07 98 76 54 32"),
    ("Call Mike on (650) 253-0000.", "(650) 253-0000"),
    ("Card 5555 5555 5555 4444 was charged.", "5555 5555 5555 4444"),
    ("Virement vers DE89 3704 0044 0532 0130 00 effectué.", "DE89 3704 0044 0532 0130 00"),
])
def test_other_peoples_personal_data_is_blocked(draft, leaked):
    text, notices = check_draft(draft, _context())
    assert leaked not in text
    assert PII_PLACEHOLDER in text
    assert _codes(notices) == ["pii_leak_blocked"]
    assert leaked not in notices[0].message


@pytest.mark.parametrize("draft", [
    "Nous vous répondrons à kate.m@gmail.com ou au 06 12 34 56 78.",
    "We'll call you back on 07911 123456.",  # same number as +44 7911 123456
    "Remboursement sur l'IBAN FR7630006000011234567890189.",
    "The card ending 4111 1111 1111 1111 is yours.",
    "Écrivez-nous à support@atelier-brume.example ou au 01 23 45 67 89.",
])
def test_customers_own_and_brand_contacts_are_kept(draft):
    assert check_draft(draft, _context()) == (draft, [])


def test_luhn_invalid_digits_are_not_a_card():
    draft = "Votre numéro de suivi : 1234 5678 9012 3456."
    assert check_draft(draft, _context()) == (draft, [])


# ------------------------------------------------- prompt leaks, banned phrases

def test_prompt_leak_blocks_the_whole_draft():
    draft = "Bonjour ! **You are Brume’s reply assistant — never promise a refund.**"
    text, notices = check_draft(draft, _context())
    assert text == ""
    assert _codes(notices) == ["prompt_leak"]


def test_banned_phrases_removed_case_insensitively():
    text, notices = check_draft("Pas de souci, nous nous en occupons.", _context())
    assert text == "Nous nous en occupons."
    assert _codes(notices) == ["banned_phrase"]
    text, notices = check_draft("Thanks Kate, NO WORRIES at all!", _context())
    assert text == "Thanks Kate, at all!"
    assert _codes(notices) == ["banned_phrase"]


# ------------------------------------------------------------------ the builder

def test_grounding_context_from_conversation_and_articles():
    conversation = Conversation.model_validate({
        "id": "c1", "channel": "email",
        "customer": {"name": "Kate", "locale": "fr-FR",
                     "attributes": {"phone": "+44 7911 123456", "plan": "gold"}},
        "messages": [
            {"role": "customer", "text": "Commande AB-482913, écrivez-moi à kate.m@gmail.com"},
            {"role": "note", "text": "Client VIP : geste de 30 € autorisé"},
            {"role": "agent", "text": "Bonjour Kate, je regarde."},
        ],
    })
    article = ArticleResult(doc_id="returns", title="Retours", url=RETURNS_FR, language="fr",
                            score=1.0, similarity=0.9,
                            passages=[("Délais", "Remboursement sous 5 jours ouvrés.")])
    context = grounding_context(conversation, [article], approved_domains=["atelier-brume.example"])
    assert "geste de 30 €" not in context.conversation_text  # notes never ground a draft
    assert "Remboursement sous 5 jours ouvrés." in context.articles_text
    assert context.known_urls == {RETURNS_FR}
    assert {"kate.m@gmail.com", "AB-482913", "+44 7911 123456"} <= context.customer_values
    assert context.language == "fr"

    draft = (f"Kate, sous 5 jours : {RETURNS_FR}. Je vous écris à kate.m@gmail.com "
             "ou au 07911 123456.")
    assert check_draft(draft, context) == (draft, [])
    assert _codes(check_draft("Un geste de 30 € ?", context)[1]) == ["ungrounded_claim"]


def test_tidying_keeps_links_and_sentence_starts() -> None:
    from replyassist.guardrails.output import _check_banned, tidy

    text, _ = _check_banned("Bonjour Kate ! Pas de souci, le manteau arrive demain.",
                            ["pas de souci"])
    assert tidy(text) == "Bonjour Kate ! Le manteau arrive demain."
    assert tidy("Voici le lien :\nhttps://aide.example/fr/x\nmerci") == \
        "Voici le lien :\nhttps://aide.example/fr/x\nMerci"
