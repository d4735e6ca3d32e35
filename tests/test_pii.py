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


@pytest.mark.parametrize(("name", "text"), [
    ("Isabelle Durand", "İSABELLE a écrit"),  # Turkish capital dotted I
    ("Yılmaz", "merci M. YILMAZ"),  # dotless i
    ("Kim", "\u212aIM here"),  # Kelvin sign
    ("Søren", "SØREN"),
    ("Renée", "renée"),
])
def test_names_in_any_case_are_scrubbed(name, text):
    # the cheap case-folded gate before each name pattern must never skip a match
    assert "[NAME]" in PIIScrubber().scrub(text, names=[name]).text


def test_name_gate_never_skips_what_the_name_pattern_matches():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from replyassist.guardrails.pii import _fold, _name_pattern

    letters = st.sampled_from(list("aiIıİsſSkKKåÅßẞeéÉøØ"))
    word = st.text(letters, min_size=2, max_size=5)

    @settings(max_examples=400, deadline=None)
    @given(word, st.lists(word, max_size=4))
    def check(part, words):
        text = " ".join(words)
        if _name_pattern(part).search(text):
            assert _fold(part) in _fold(text)

    check()
