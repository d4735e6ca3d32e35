import pytest

from replyassist.guardrails import PIIScrubber


@pytest.mark.parametrize(("text", "expected"), [
    ("write to kate.m@gmail.com please", "write to [EMAIL] please"),
    ("call me 06 12 34 56 78", "call me [PHONE]"),
    ("UK: +44 7700 900123", "UK: [PHONE]"),
    ("card 4111 1111 1111 1111 ok", "card [CARD] ok"),
    ("@AtelierBrume where is it", "[HANDLE] where is it"),
    ("order AB-482913 is late", "order [ORDER_ID] is late"),
    ("commande n° 1234567", "commande n° [ORDER_ID]"),
])
def test_personal_data_becomes_typed_placeholders(text, expected):
    assert PIIScrubber().scrub(text).text == expected


def test_prices_dates_and_links_are_kept_and_names_scrubbed():
    text = ("Bonjour Kate Martin, 129.90 EUR payés le 2026-10-12, "
            "voir https://aide.atelier-brume.example/fr/returns")
    result = PIIScrubber().scrub(text, names=["Kate Martin"])
    assert result.text == ("Bonjour [NAME], 129.90 EUR payés le 2026-10-12, "
                           "voir https://aide.atelier-brume.example/fr/returns")
    assert result.found["[NAME]"] == 1


def test_non_luhn_digit_runs_are_not_cards():
    assert "[CARD]" not in PIIScrubber().scrub("tracking 1234 5678 9012 3456").text
