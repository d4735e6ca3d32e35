import pytest

from replyassist.guardrails import NameFinder, NameSpan, PIIScrubber


@pytest.fixture(scope="module")
def finder() -> NameFinder:
    return NameFinder(ner=False)


def names(finder: NameFinder, text: str, **kwargs) -> list[tuple[str, str]]:
    return [(s.text, s.kind) for s in finder.find(text, **kwargs)]


@pytest.mark.parametrize(("text", "expected"), [
    ("Hi Rachel! Your order shipped.", [("Rachel", "name")]),
    ("Hello Tyler. Keeping your account safe matters.", [("Tyler", "name")]),
    ("Thanks for reaching out, Vicki!", [("Vicki", "name")]),
    ("Sorry for the trouble, John! Try again.", [("John", "name")]),
    ("Bonjour Kate, votre colis est parti.", [("Kate", "name")]),
    ("Merci beaucoup Sophie !", [("Sophie", "name")]),
    ("Désolé Loïc, le lien a expiré.", [("Loïc", "name")]),
    ("Ravi de vous rencontrer, Gwenaëlle.", [("Gwenaëlle", "name")]),
    ("Bonjour Madame Lefèvre, voici le lien.", [("Lefèvre", "name")]),
    ("Merci M. Durand pour votre patience.", [("Durand", "name")]),
    ("J'en ai parlé à Julie hier.", [("Julie", "name")]),
    ("Bonjour Jean-Marc Dubois,", [("Jean-Marc Dubois", "name")]),
])
def test_greetings_thanks_titles_and_lexicon(finder, text, expected):
    assert names(finder, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Please send us an email and we will assist. ^JS", "^JS"),
    ("Please let us know what platform you are on. *MS", "*MS"),
    ("We can help with that. -KK", "-KK"),
    ("Hope this helps! - Jane", "- Jane"),
    ("Let us know how it goes ~Nick", "~Nick"),
    ("Just give us a shout /G", "/G"),
    ("Check out the store locator. ^AnnieBallard", "^AnnieBallard"),
    ("Best,\nJohn Smith", "John Smith"),
    ("Regards,\nMarie", "Marie"),
    ("Votre remboursement est fait.\nCordialement,\nMarie", "Marie"),
    ("Le colis arrive demain. Bien à vous, Marie", "Marie"),
])
def test_signatures(finder, text, expected):
    found = finder.find(text)
    assert [(s.text, s.kind) for s in found] == [(expected, "signature")]
    assert text[found[0].start:found[0].end] == expected


@pytest.mark.parametrize("text", [
    "Hi there, thanks for reaching out!",
    "Hello again, we are on it.",
    "Thanks Apple for the quick fix",
    "Bonjour Madame, merci beaucoup.",
    "Merci beaucoup pour votre aide",
    "Will you be home? May I help? Mark it as read.",
    "Votre liseuse Kobo Clara et la Aura One sont compatibles.",
    "Contact Google Play or Microsoft Teams support.",
    "Appuyez sur Réparer maintenant.",
    "See you on 2/2",
    "Bonjour J'ai un souci",
    "no capital letters at all here",
])
def test_no_false_names(finder, text):
    assert finder.find(text) == []


def test_tenant_brands_are_never_names():
    assert names(NameFinder(ner=False), "Thanks Atelier Brume team!") == []
    assert names(NameFinder(ner=False, brands=["Lumen"]), "Merci Lumen !") == []
    assert names(NameFinder(ner=False), "Merci Lumen !") == [("Lumen", "name")]


def test_urls_emails_and_handles_are_untouched(finder):
    text = ("Hi there, see https://help.example.com/Marie-Curie or write to "
            "julie.martin@example.fr, @SophieB")
    assert finder.find(text) == []
    scrubbed = PIIScrubber().scrub(text).text
    assert "https://help.example.com/Marie-Curie" in scrubbed


def test_known_names_in_any_case(finder):
    found = finder.find("merci DURAND, à bientôt", known=["Claude Durand"])
    assert found == [NameSpan(6, 12, "DURAND", "name", "known")]


def test_scrub_placeholders_and_collapsed_runs(finder):
    text, counts = finder.scrub("Hi Ann Marie Smith, thanks for waiting! ^AK")
    assert text == "Hi [NAME], thanks for waiting! [SIGNATURE]"
    assert counts == {"[NAME]": 1, "[SIGNATURE]": 1}
    assert finder.scrub("Nothing to see") == ("Nothing to see", {})


def test_pii_scrubber_finds_names_without_customer_name():
    result = PIIScrubber().scrub("Hi Rachel! Call 06 12 34 56 78 if needed. ^SM", language="en")
    assert result.text == "Hi [NAME]! Call [PHONE] if needed. [SIGNATURE]"
    assert result.found["[NAME]"] == 1 and result.found["[SIGNATURE]"] == 1


def test_pii_scrubber_takes_the_finder_as_a_dependency():
    class NoNames(NameFinder):
        def find(self, text, *, language=None, known=()):
            return []

    assert PIIScrubber(names=NoNames()).scrub("Hi Rachel!").text == "Hi Rachel!"


def test_no_gender_is_guessed(finder):
    # titles stay as written; only the name is replaced
    assert finder.scrub("Bonjour Mme Diallo,")[0] == "Bonjour Mme [NAME],"
    assert finder.scrub("Dear Mr. Smith,")[0] == "Dear Mr. [NAME],"


def test_ner_is_optional_and_says_what_it_needs():
    """spaCy is not a dependency (docs/names.md): the default finder never needs it, and
    asking for it without the model installed is a clear error, not a silent no-op."""
    finder = NameFinder(ner=False)
    assert not finder.uses_ner
    try:
        import spacy  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="fr_core_news_sm"):
            NameFinder(ner=True)
    else:  # spaCy present: NER finds a name no pattern or lexicon gives
        ner = NameFinder(ner=True, patterns=False, lexicon=False)
        assert any(s.source == "ner" for s in ner.find(
            "J'ai parlé avec Gwenaëlle Kerbrat hier soir.", language="fr"))


def test_an_adverb_after_a_greeting_is_no_name():
    finder = NameFinder(ner=False)
    assert [s.text for s in finder.find("Hello, Unfortunately, we cannot remove it ^Lisi")] == [
        "^Lisi"]
    assert finder.find("Bonjour, Malheureusement ce n'est pas possible.", language="fr") == []
