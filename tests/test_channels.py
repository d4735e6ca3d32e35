"""Channel rules: SMS segments, X length, trimming, public-post personal-data safety."""

from __future__ import annotations

import pytest

from replyassist.guardrails.channels import (
    CHANNEL_RULES,
    DM_OFFER,
    GSM7_BASIC,
    GSM7_EXTENSION,
    fits,
    make_public_safe,
    measure,
    over_limit_notice,
    public_personal_data_request,
    sms_segments,
    trim_to_channel,
    x_length,
)
from replyassist.labels import CHANNELS

# ------------------------------------------------------------------ SMS


def test_gsm7_tables_have_the_spec_sizes() -> None:
    assert len(GSM7_BASIC) == 127  # 128 codes less ESC
    assert set("\f^{}\\[~]|€") == GSM7_EXTENSION
    assert not GSM7_BASIC & GSM7_EXTENSION


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("gsm7", 0)),
        ("a" * 160, ("gsm7", 1)),
        ("a" * 161, ("gsm7", 2)),
        ("a" * 306, ("gsm7", 2)),  # 2 x 153
        ("a" * 307, ("gsm7", 3)),
        ("€" * 80, ("gsm7", 1)),  # extension: 2 septets each, 160
        ("€" * 81, ("gsm7", 2)),
        ("a" * 159 + "€", ("gsm7", 2)),  # 161 septets
        ("é" * 160, ("gsm7", 1)),  # é is in the basic table
        ("à ù è ì ò Ç É ñ ü ß Δ", ("gsm7", 1)),
        ("ê", ("ucs2", 1)),  # ê is not
        ("ç", ("ucs2", 1)),  # 0x09 is the capital Ç
        ("a" * 70 + "ê", ("ucs2", 2)),  # 71 code units
        ("ê" * 70, ("ucs2", 1)),
        ("ê" * 134, ("ucs2", 2)),  # 2 x 67
        ("ê" * 135, ("ucs2", 3)),
        ("😀" * 35, ("ucs2", 1)),  # 70 UTF-16 code units
        ("😀" * 36, ("ucs2", 2)),
        ("Hello 😀", ("ucs2", 1)),
    ],
)
def test_sms_segments(text: str, expected: tuple[str, int]) -> None:
    assert sms_segments(text) == expected


def test_sms_segments_never_split_an_escape_or_surrogate_pair() -> None:
    # 152 septets then a 2-septet "€": the "€" cannot straddle segment 1 and 2.
    assert sms_segments("a" * 152 + "€" + "a" * 152) == ("gsm7", 3)
    # 66 units then an emoji (2 units) does not fit the 67-unit segment.
    assert sms_segments("ê" * 66 + "😀" + "ê" * 66) == ("ucs2", 3)


# ------------------------------------------------------------------ X


def test_x_length_plain_and_weighted() -> None:
    assert x_length("hello") == 5
    assert x_length("café’s") == 6  # Latin and ’ weigh 1
    assert x_length("日本語") == 6  # CJK weighs 2
    assert x_length("😀") == 2
    assert x_length("👍🏽") == 2  # skin tone is part of the emoji
    assert x_length("👨‍👩‍👧‍👦") == 2  # ZWJ family
    assert x_length("🇫🇷") == 2


def test_x_length_counts_urls_as_23() -> None:
    long_url = "https://example.com/" + "a" * 100
    assert x_length(long_url) == 23
    assert x_length(f"See {long_url}.") == 4 + 23 + 1
    assert x_length("See https://x.co") == 4 + 23
    assert x_length("Aide : maison-lumiere.fr/aide") == len("Aide : ") + 23
    assert x_length("mail me at jo@example.com") == len("mail me at jo@example.com")
    assert x_length(f"{long_url} 😀") == 23 + 1 + 2


# ------------------------------------------------------------------ rules and measures


def test_every_channel_has_a_rule() -> None:
    assert set(CHANNEL_RULES) == set(CHANNELS)
    assert CHANNEL_RULES["twitter"].public and CHANNEL_RULES["twitter"].max_chars == 280
    assert CHANNEL_RULES["email"].sign_off
    for channel in ("chat", "messenger", "whatsapp", "instagram", "sms", "twitter"):
        assert not CHANNEL_RULES[channel].sign_off
    assert CHANNEL_RULES["sms"].max_segments == 2
    limits = {c: r.max_chars for c, r in CHANNEL_RULES.items()}
    assert limits["instagram"] == 1000 and limits["messenger"] == 2000
    assert limits["whatsapp"] == 4096 and limits["twitter_dm"] == 10000
    for channel in ("chat", "email", "phone_transcript", "other"):
        assert limits[channel] is None and fits("x" * 50_000, channel)


def test_fits_and_measure() -> None:
    assert fits("a" * 280, "twitter") and not fits("a" * 281, "twitter")
    assert measure("a" * 312, "twitter") == "312/280 characters"
    assert measure("ê" * 140, "sms") == "3 SMS segments (ucs2)"
    assert measure("hi", "sms") == "1 SMS segment (gsm7)"
    assert measure("hi", "email") == "2 characters"
    assert fits("a" * 306, "sms") and not fits("a" * 307, "sms")
    assert fits("x" * 2000, "messenger") and not fits("x" * 2001, "messenger")
    assert fits("x", "unknown-channel")


def test_over_limit_notice() -> None:
    assert over_limit_notice("short", "twitter") is None
    notice = over_limit_notice("a" * 300, "twitter")
    assert notice is not None and notice.code == "over_channel_limit"
    assert "300/280" in notice.message


# ------------------------------------------------------------------ trimming

LONG_EMAILISH = (
    "Bonjour Kate,\n\n"
    "Votre colis est parti hier de notre entrepôt. Il arrivera jeudi. "
    "Vous pouvez le suivre ici : https://suivi.example.com/track/A-5521?lang=fr. "
    "Si le créneau ne vous convient pas, vous pourrez le modifier en ligne. "
    "Merci de votre patience et à bientôt !\n\n"
    "Cordialement,\nMarie\nService client Maison Lumière"
)


def _ends_at_sentence(text: str) -> bool:
    return text.rstrip().endswith((".", "!", "?", "…"))


def test_fitting_text_is_untouched() -> None:
    assert trim_to_channel("Bonjour ! C'est noté.", "sms") == ("Bonjour ! C'est noté.", False)
    assert trim_to_channel(LONG_EMAILISH, "email") == (LONG_EMAILISH, False)


def test_sign_off_is_dropped_first() -> None:
    body = "Bonjour, votre colis arrive jeudi " + "et " * 84 + "voilà."
    text = body + "\n\nCordialement,\nMarie\nService client"
    assert fits(body, "sms") and not fits(text, "sms")
    trimmed, over = trim_to_channel(text, "sms")
    assert not over and fits(trimmed, "sms")
    assert "Cordialement" not in trimmed and "Marie" not in trimmed
    assert trimmed == body  # the whole body kept once the sign-off went


@pytest.mark.parametrize("channel", ["sms", "twitter", "instagram"])
def test_trim_never_exceeds_and_ends_at_a_sentence(channel: str) -> None:
    text = LONG_EMAILISH.replace("Merci", "Encore une phrase assez longue. " * 30 + "Merci")
    trimmed, over = trim_to_channel(text, channel)
    assert not over and fits(trimmed, channel)
    assert _ends_at_sentence(trimmed)
    assert trimmed.startswith("Bonjour Kate,")
    assert "Cordialement" not in trimmed
    assert LONG_EMAILISH.startswith(trimmed[: len("Bonjour Kate,\n\nVotre colis est parti")])


def test_trim_keeps_urls_whole() -> None:
    url = "https://suivi.example.com/track/A-5521?lang=fr"
    for size in range(150, 400, 7):
        text = ("Votre colis arrive. " * (size // 20)) + f"Suivez-le ici : {url}. Merci."
        trimmed, _ = trim_to_channel(text, "sms")
        assert url in trimmed or "https" not in trimmed
        assert fits(trimmed, "sms")


def test_trim_keeps_the_closing_dm_offer_on_x() -> None:
    text = "Nous sommes désolés. " * 20 + DM_OFFER["fr"]
    trimmed, over = trim_to_channel(text, "twitter")
    assert not over and x_length(trimmed) <= 280
    assert trimmed.endswith(DM_OFFER["fr"])
    assert trimmed.startswith("Nous sommes désolés.")


def test_trim_single_long_sentence_cuts_at_a_word() -> None:
    text = "Nous " + "regardons " * 60 + "votre dossier."
    trimmed, over = trim_to_channel(text, "twitter")
    assert not over and x_length(trimmed) <= 280 and trimmed.endswith("regardons…")
    sms, over = trim_to_channel(text.replace("Nous", "Nous") * 2, "sms")
    assert not over and sms.endswith("...") and sms_segments(sms)[0] == "gsm7"


def test_trim_reports_still_over_when_nothing_fits() -> None:
    text = "x" * 400  # one word: never cut mid-word
    assert trim_to_channel(text, "twitter") == (text, True)


# ------------------------------------------------------------------ public personal data


@pytest.mark.parametrize(
    "text",
    [
        "Pouvez-vous me donner votre numéro de commande ?",
        "Send us your email and we'll check.",
        "Votre adresse ?",
        "Quel est votre numéro de téléphone ?",
        "What's your date of birth?",
        "Merci d'indiquer votre IBAN.",
        "Please confirm your card number.",
        "Could you tell us your phone number?",
        "Can you share your password with us?",
        "Pourriez-vous nous communiquer votre adresse e-mail ?",
        "Nous avons besoin de votre date de naissance.",
        "Votre commande A-5521 part demain.",
        "Nous avons reçu votre mail jean.dupont@gmail.com.",
        "Nous vous rappelons au 06 12 34 56 78.",
        "Your card 4242 4242 4242 4242 was declined.",
        "Your card ending in 4242 was charged.",
        "Le remboursement ira sur FR76 3000 6000 0112 3456 7890 189.",
        "Le colis est au 12 rue de la Paix.",
    ],
)
def test_public_personal_data_is_found(text: str) -> None:
    assert public_personal_data_request(text)


@pytest.mark.parametrize(
    "text",
    [
        "Merci pour votre mail !",
        "Could you check your email for our reply?",
        "Reset your password via the link in our help centre.",
        "Send us an email and we will look into it.",
        "Envoyez-nous votre numéro de commande en message privé.",
        "DM us your order number and we'll check.",
        "Appelez-nous au 09 69 32 15 15.",
        "Write to us at help@brand.example.",
        "Notre service client est joignable au 09 69 32 15 15.",
        "Votre commande est partie hier, elle arrive jeudi.",
        "Le prix est de 1234,56 € et la livraison du 12/03/2025.",
        "Toutes nos excuses pour ce retard, nous regardons.",
        DM_OFFER["fr"],
        DM_OFFER["en"],
    ],
)
def test_public_personal_data_false_positive_guards(text: str) -> None:
    assert public_personal_data_request(text) == []


def test_public_personal_data_phrases() -> None:
    found = public_personal_data_request(
        "Bonjour ! Pouvez-vous me donner votre numéro de commande ? Ou écrire à jo@x.fr."
    )
    assert found == ["donner votre numéro de commande", "jo@x.fr"]


def test_make_public_safe_removes_requests_and_offers_dm() -> None:
    text = (
        "Désolés pour ce retard ! Pouvez-vous me donner votre numéro de commande ? "
        "Nous allons regarder."
    )
    safe, removed = make_public_safe(text, "fr")
    assert removed == ["Pouvez-vous me donner votre numéro de commande ?"]
    assert safe == f"Désolés pour ce retard ! Nous allons regarder. {DM_OFFER['fr']}"
    assert public_personal_data_request(safe) == []


def test_make_public_safe_always_offers_dm_once() -> None:
    safe, removed = make_public_safe("Thanks for your patience!", "en")
    assert removed == [] and safe.endswith(DM_OFFER["en"])
    already = "Sorry about that! DM us and we'll sort it."
    assert make_public_safe(already, "en") == (already, [])
    again, _ = make_public_safe(safe, "en")
    assert again == safe


def test_make_public_safe_language_fallback_and_empty_result() -> None:
    safe, removed = make_public_safe("What's your email?", "xx")
    assert removed == ["What's your email?"] and safe == DM_OFFER["en"]
    safe, _ = make_public_safe("Merci !", "fr-BE")
    assert safe.endswith(DM_OFFER["fr"])
