"""Find person names and agent signatures in English and French support text.

Past answers leak names into later drafts: agents greet the customer ("Hi Rachel!",
"Bonjour Kate,"), thank them ("Thanks for reaching out, Vicki!") and sign ("^SM", "-KK",
"~ Olivia", "Cordialement,\\nMarie"). :class:`NameFinder` finds them with, in order:

* ``known``: names given by the caller (the conversation's ``customer.name``);
* ``greeting``: a capitalised word after a greeting, thanks or apology word ("Hi X",
  "Merci X", "Sorry for the wait, X!") or a title ("Mme X", "Mr. X");
* ``sign_off``: a trailing signature ("^AB", "*AB", "-AB", "- Name", "~Name", "/AB") or a
  name after a closing ("Best, Name", "Regards,\\nName", "Bien à vous, Marie");
* ``lexicon``: a capitalised word in a packaged first-name list (Faker's person providers,
  MIT, several locales, loaded lazily once), except names that are also common words
  ("Will", "Grace", "Pierre"...), which need one of the contexts above;
* ``ner``: spaCy's French model (``fr_core_news_sm``, the ``ner`` extra) PER entities on
  French text, when it is importable and ``ner`` is not ``False``.

Measured in ``docs/names.md`` (``evals/names_eval.py``). Titles are kept as written (only
the name after "Madame" is replaced): nothing here guesses a gender. Text inside URLs,
e-mail addresses and @handles is never reported.
"""

from __future__ import annotations

import functools
import importlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["NameFinder", "NameSpan"]

Kind = Literal["name", "signature"]

# Faker locales whose first names are in Latin script (the lists are MIT licensed).
_LOCALES = ("en_US", "en_GB", "en_IE", "en_NZ", "en_IN", "fr_FR", "fr_CA", "fr_CH", "de_DE",
            "de_AT", "es_ES", "es_MX", "it_IT", "nl_NL", "nl_BE", "pt_PT", "pt_BR", "pl_PL",
            "tr_TR", "sv_SE", "da_DK", "no_NO", "fi_FI", "cs_CZ", "ro_RO")

# First names that are also everyday English or French words: only taken in a context.
AMBIGUOUS = frozenset("""
will may june april august grace rose mark bill pierre claire faith hope joy dawn eve ivy
lily olive ruby amber pearl jade crystal violet iris daisy holly heather sky river hunter
chase guy pat sue rob jack frank gene art ray drew rich sunny lance max herb dean page chance
price penny king marine ange aime modeste fidele celeste blanche colombe desire parfait
victoire france constance prudence patience summer autumn winter melody harmony
destiny precious angel star christian don van long young brown white green black gray grey
bell hall miles norman carol rusty buck cliff glen wade sterling earl duke prince major
mason baker cooper carter stone lane paris florence lourdes georgia virginia carolina
chelsea aurora nova luna soleil marin reine aurore capucine clementine violette jacinthe
marguerite perle ambre fleur noel juste germain franc alexa siri trinity justice jordan
sofia victoria alma amazon apple delta orange mercedes porsche ford lincoln kelly
tuesday monday friday sunday saturday wednesday thursday january february march
""".split())

# Capitalised words that follow greetings but are no names.
_STOP = frozenset("""
there all again everyone everybody folks team guys guy friend friends support sir madam
mate buddy you so much very for a an the and i we it this that in on ok okay yes no please
hello hi hey dear thanks thank sorry welcome good morning afternoon evening night day
customer service client cliente clients tous toutes vous toi madame monsieur mesdames
messieurs mademoiselle mme mlle mr mrs ms dr beaucoup bien encore pour de la le les et a
à au aux un une des du oui non merci bonjour bonsoir salut désolé désolée cher chère chers
again also just once lot lots tons everyone our your my me us them him her his its their
let what how why when where who which if as at by from with about can could would should
do does did is are was were be been have has had get got see hope glad happy great nice
cheers regards best kind warm sincerely cordialement amicalement bises salutations
equipe équipe service personne quelqu'un mon ma mes votre vos notre nos ce cet cette ces
je tu il elle nous ils elles on en y ne pas plus très trop tout toute rien bonne bon
twitter facebook instagram email e-mail mail dm pm faq help aide app web
unfortunately fortunately sadly actually currently certainly absolutely definitely indeed
apologies first firstly finally sure great awesome perfect understood noted
malheureusement actuellement effectivement certes parfait entendu absolument bien sûr
lundi mardi mercredi jeudi vendredi samedi dimanche janvier février mars avril mai juin
juillet août septembre octobre novembre décembre
""".split())

_BRANDS = frozenset("""
apple google amazon microsoft xbox playstation sony spotify netflix hulu zoom dropbox adobe
ebay paypal twitter facebook instagram whatsapp youtube android iphone ipad ipod windows
kobo rakuten fnac darty orange sfr free bouygues chase delta uber samsung huawei yahoo
gmail outlook minecraft rockstar mojang spectrum verizon t-mobile tmobile wells fargo
godaddy southwest airpods mac macbook siri alexa kindle steam nintendo switch office teams
skype linkedin tiktok snapchat visa mastercard sncf colissimo chronopost ups dhl fedex ikea
decathlon carrefour leclerc auchan boulanger cdiscount vinted leboncoin deezer canal disney
prime magenta premiere photoshop lightroom acrobat illustrator chrome safari firefox
icloud itunes macos ios gta rdr atelier brume
""".split())

_PRODUCT_WORDS = frozenset("""
one two plus pro max mini air go pay play tv store music cloud id care support premium lite
touch note hd se x s edition app series studio home hub
""".split())

_TITLES = frozenset("madame monsieur mademoiselle mme mlle mr mrs ms miss dr m".split())
_TITLES_WITH_DOT = frozenset({"m"})  # "M." only: a bare "M" is an initial
_GREET1 = frozenset("""
hi hello hey heya hiya dear thanks thx ty sorry apologies welcome bonjour bonsoir salut
coucou merci désolé désolée desole cher chère chers bienvenue congrats congratulations
""".split())
_GREET2 = frozenset({("thank", "you"), ("good", "morning"), ("good", "afternoon"),
                     ("good", "evening"), ("bon", "matin"), ("de", "rien"),
                     ("pas", "de"), ("ravi", "de")})
_FILLER = frozenset("so very much again a lot beaucoup bien encore mille infiniment".split())
# words that make a later ", X!" in the same sentence a vocative
_VOCATIVE_TRIGGER = re.compile(
    r"(?i)\b(?:thanks|thank you|sorry|apologies|glad|happy|welcome|hi|hello|hey|great|"
    r"congrat\w*|merci|désolée?|desole|ravie?|bienvenue|bonjour|bonsoir|de rien|"
    r"pas de souci|je vois|compris|bonne journée|bonne soirée|absolument|parfait)\b")
_CLOSING = re.compile(
    r"(?i)(?<!\w)(best regards|kind regards|warm regards|best wishes|regards|best|cheers|"
    r"sincerely|many thanks|thanks|thank you|bien cordialement|cordialement|bien à vous|"
    r"bien à toi|sincères salutations|salutations|amicalement|bises|à bientôt|"
    r"bonne journée|bonne soirée|merci)\s*([,.!:-]?)([ \t]*\n?[ \t]*)$")
_STRONG_CLOSINGS = frozenset({"best regards", "kind regards", "warm regards", "best wishes",
                              "regards", "best", "cheers", "sincerely", "bien cordialement",
                              "cordialement", "bien à vous", "bien à toi", "salutations",
                              "sincères salutations", "amicalement", "bises", "à bientôt"})

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_PROTECTED = re.compile(r"https?://\S+|www\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<![\w@])@\w+"
                        r"|#\w+#|\[[A-Z_]+\]", re.IGNORECASE)
# trailing signature: a marker then initials or a name, at the very end of the text
_SIGNATURE = re.compile(
    r"(?:(?<=\s)|(?<=^)|(?<=[.!?)\]]))(?P<marker>[\^*~/_]|--?|[–—])[ \t]?"
    r"(?P<who>[^\W\d_][^\W\d_.'’-]*(?:[ \t][^\W\d_][^\W\d_.'’-]*)?)\s*$")
_TAIL_WHO = re.compile(r"(?:^|(?<=[\s,]))(?P<who>[^\W\d_][\w'’-]*(?:[ \t]+[^\W\d_][\w'’-]*){0,2})"
                       r"[ \t]*[.!]?\s*$")
_ELISION = re.compile(r"(?i)(?:[jldnsctm]|qu)['’]")
_URL_END = re.compile(r"https?://\S+$")
_CAP_OR_MARKER = re.compile(r"[A-ZÀ-ÞŒŠŽŸ]|[\^~*/_–—-]\s?\w+\s*$")


@dataclass(frozen=True)
class NameSpan:
    """One name or signature found in a text (``text[start:end] == span.text``)."""

    start: int
    end: int
    text: str
    kind: Kind  # "signature": the agent's initials or signed name at the end
    source: str  # "known" | "greeting" | "sign_off" | "lexicon" | "ner"


def fold(word: str) -> str:
    """Case- and accent-insensitive key of a word ("Noémie" and "NOEMIE" -> "noemie")."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


@functools.cache
def first_names() -> frozenset[str]:
    """Folded first names of Faker's person providers (loaded once, on first use)."""
    names: set[str] = set()
    for locale in _LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:
            continue
        for attribute in ("first_names", "first_names_female", "first_names_male"):
            values = getattr(provider, attribute, ())
            for value in (values.keys() if isinstance(values, dict) else values):
                if isinstance(value, str) and _WORD.fullmatch(value) and len(value) >= 2:
                    names.add(fold(value))
    return frozenset(names)


@functools.cache
def _spacy_french() -> Any | None:
    try:
        import spacy

        return spacy.load("fr_core_news_sm", exclude=["lemmatizer", "morphologizer",
                                                       "attribute_ruler", "parser"])
    except (ImportError, OSError):
        return None


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and not word.isupper() if len(word) > 1 else False


class NameFinder:
    """Finds person names and agent signatures; see the module docstring for the methods.

    ``ner``: ``"auto"`` uses spaCy's French model on French text when it is installed,
    ``True`` requires it, ``False`` never loads it. ``lexicon`` and ``patterns`` switch the
    other methods off (for measurements). ``brands``: extra words that are never names
    (the tenant's brand and product names).
    """

    def __init__(self, *, ner: bool | Literal["auto"] = "auto", lexicon: bool = True,
                 patterns: bool = True, brands: Iterable[str] = ()) -> None:
        self.lexicon = lexicon
        self.patterns = patterns
        self._ner_setting = ner
        self._brands = _BRANDS | {fold(w) for b in brands for w in b.split()}
        self._never = _STOP | self._brands
        if ner is True and _spacy_french() is None:
            raise RuntimeError("ner=True needs spaCy and fr_core_news_sm: pip install "
                               "'replyassist[ner]'")

    @property
    def uses_ner(self) -> bool:
        return self._ner_setting is not False and _spacy_french() is not None

    # -- public API -------------------------------------------------------------------

    def find(self, text: str, *, language: str | None = None,
             known: Sequence[str] = ()) -> list[NameSpan]:
        """Non-overlapping spans in text order."""
        spans: list[NameSpan] = []
        if known:
            spans.extend(self._known(text, known))
        if not _CAP_OR_MARKER.search(text):  # cheap gate: no capital, no trailing marker
            return _resolve(spans, text)
        protected = [(m.start(), m.end()) for m in _PROTECTED.finditer(text)] \
            if ("/" in text or "@" in text or "#" in text or "[" in text or "www" in text) \
            else []
        words = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]
        if self.patterns:
            spans.extend(self._signatures(text))
            spans.extend(self._greetings(text, words))
            spans.extend(self._vocatives(text, words))
        if self.lexicon:
            spans.extend(self._lexicon(text, words))
        if self._ner_setting is not False and (language or "").startswith("fr"):
            spans.extend(self._ner(text))
        if protected:
            spans = [s for s in spans if s.source == "known" or not any(
                s.start < end and start < s.end for start, end in protected)]
        return _resolve(spans, text)

    def scrub(self, text: str, *, language: str | None = None,
              known: Sequence[str] = ()) -> tuple[str, Counter[str]]:
        """Names become ``[NAME]``, signatures ``[SIGNATURE]``; "[NAME] [NAME]" is one."""
        spans = self.find(text, language=language, known=known)
        found: Counter[str] = Counter()
        if not spans:
            return text, found
        out: list[str] = []
        position = 0
        for span in spans:
            label = "[SIGNATURE]" if span.kind == "signature" else "[NAME]"
            between = text[position:span.start]
            if label == "[NAME]" and out and out[-1] == "[NAME]" and between.strip() in {"", "-"}:
                position = span.end  # "[NAME] [NAME]" collapses
                continue
            out.extend([between, label])
            found[label] += 1
            position = span.end
        out.append(text[position:])
        return "".join(out), found

    # -- methods ----------------------------------------------------------------------

    def _is_candidate(self, word: str) -> bool:
        return (word[:1].isupper() and len(word) >= 2 and fold(word) not in self._never
                and not (word.isupper() and len(word) > 3) and not _ELISION.match(word))

    def _name_run(self, text: str, words: list[tuple[int, int, str]], index: int,
                  limit: int = 3) -> tuple[int, int] | None:
        """(start, end) of 1..limit capitalised words from ``words[index]`` separated by
        one space, or None when ``words[index]`` is not a name candidate."""
        if index >= len(words) or not self._is_candidate(words[index][2]):
            return None
        start, end, _ = words[index]
        for nxt in words[index + 1:index + limit]:
            if text[end:nxt[0]] != " " or not self._is_candidate(nxt[2]) \
                    or not _capitalised(nxt[2]):
                break
            end = nxt[1]
        return start, end

    def _known(self, text: str, known: Sequence[str]) -> Iterable[NameSpan]:
        from .pii import _fold, _name_parts, _name_pattern

        folded = _fold(text)
        for name in known:
            for part in _name_parts(name):
                if _fold(part) in folded:
                    for m in _name_pattern(part).finditer(text):
                        yield NameSpan(m.start(), m.end(), m.group(0), "name", "known")

    def _signatures(self, text: str) -> Iterable[NameSpan]:
        tail = text[-60:]
        offset = len(text) - len(tail)
        match = _SIGNATURE.search(tail)
        if match:
            marker, who = match.group("marker"), match.group("who")
            initials = who.isupper() and len(who) <= 4
            strong = marker in {"^", "~", "*"}
            known_name = fold(who.split()[0]) in first_names() if self.lexicon else False
            if who[:1].isupper() and (initials or fold(who) not in self._never) and (
                    initials or strong or known_name or (marker != "/" and len(who) <= 20)):
                yield NameSpan(offset + match.start(), offset + match.end("who"),
                               text[offset + match.start():offset + match.end("who")],
                               "signature", "sign_off")
                return
        # closings: "Best, Name" / "Cordialement,\nMarie" at the end of the text
        tail_match = _TAIL_WHO.search(tail)
        if tail_match is None:
            return
        who_words = tail_match.group("who").split()
        if not all(self._is_candidate(w) for w in who_words):
            return
        start, end = offset + tail_match.start("who"), offset + tail_match.end("who")
        before = text[:start].rstrip(" \t")
        closing = _CLOSING.search(before)
        if closing is not None:
            phrase = closing.group(1).lower()
            on_new_line = "\n" in closing.group(3)
            kind: Kind = "signature" if on_new_line or phrase in _STRONG_CLOSINGS else "name"
            yield NameSpan(start, end, text[start:end], kind, "sign_off")
        elif self.lexicon and len(who_words) == 1 and (
                not before or before[-1] in ".!?\n" or _URL_END.search(before)) \
                and fold(who_words[0]) in first_names() \
                and fold(who_words[0]) not in AMBIGUOUS:
            # a bare first name closing the message ("Hope this helps. Jason")
            yield NameSpan(start, end, text[start:end], "signature", "lexicon")

    def _greetings(self, text: str, words: list[tuple[int, int, str]]) -> Iterable[NameSpan]:
        for i, (_, end, word) in enumerate(words):
            low = word.lower()
            j = -1
            if low in _GREET1:
                j = i + 1
            elif i + 1 < len(words) and (low, words[i + 1][2].lower()) in _GREET2:
                j = i + 2
                end = words[i + 1][1]
            elif low in _TITLES:
                j = i + 1
                if low in _TITLES_WITH_DOT and not text.startswith(".", end):
                    continue
            else:
                continue
            while j < len(words) and words[j][2].lower() in _FILLER and \
                    text[end:words[j][0]].strip() == "":
                end = words[j][1]
                j += 1
            if j < len(words) and words[j][2].lower() in _TITLES and low not in _TITLES:
                title_end = words[j][1]
                if text[end:words[j][0]].strip(" ,") == "":
                    end = title_end + (1 if text.startswith(".", title_end) else 0)
                    j += 1
            if j >= len(words) or text[end:words[j][0]].strip(" ,\t") != "":
                continue
            if low in _TITLES and text[end:words[j][0]].strip(" ."):
                continue
            run = self._name_run(text, words, j)
            if run:
                yield NameSpan(run[0], run[1], text[run[0]:run[1]], "name", "greeting")

    def _vocatives(self, text: str, words: list[tuple[int, int, str]]) -> Iterable[NameSpan]:
        """", X!" closing a sentence that holds a thanks/apology/greeting word."""
        if "," not in text:
            return
        for i, (start, _, word) in enumerate(words):
            if not text[:start].rstrip(" ").endswith(",") or not self._is_candidate(word):
                continue
            run = self._name_run(text, words, i, limit=2)
            if run is None:
                continue
            after = text[run[1]:run[1] + 2]
            if after and after[0] not in "!.?,\n" and after.strip():
                continue
            sentence_start = max(text.rfind(p, 0, start) for p in ".!?\n") + 1
            if _VOCATIVE_TRIGGER.search(text, sentence_start, start) or (
                    self.lexicon and fold(word) in first_names()
                    and fold(word) not in AMBIGUOUS):
                yield NameSpan(run[0], run[1], text[run[0]:run[1]], "name", "greeting")

    def _in_lexicon(self, word: str) -> bool:
        key = fold(word)
        if key in AMBIGUOUS or key in self._never:
            return False
        lexicon = first_names()
        return key in lexicon or ("-" in key and all(p in lexicon for p in key.split("-")))

    def _lexicon(self, text: str, words: list[tuple[int, int, str]]) -> Iterable[NameSpan]:
        for i, (start, end, word) in enumerate(words):
            if not _capitalised(word) or not self._in_lexicon(word):
                continue
            if i and fold(words[i - 1][2]) in self._brands and text[words[i - 1][1]:start] == " ":
                continue  # "Kobo Clara": a product named after a person
            run = self._name_run(text, words, i)
            if run is None:
                continue
            nxt = fold(words[i + 1][2]) if i + 1 < len(words) else ""
            if nxt in _PRODUCT_WORDS and text[end:end + 1] == " ":
                continue  # "Aura One", "Clara HD": a product named after a person
            before = text[:start].rstrip()
            after = text[run[1]:].lstrip(" ")
            if (not before or before[-1] in ".!?:\n\"«") and run[1] == end \
                    and after[:1] not in {"", ",", "?", "!", "\n"}:
                continue  # sentence-initial lone word: the capital says nothing
            yield NameSpan(run[0], run[1], text[run[0]:run[1]], "name", "lexicon")

    def _ner(self, text: str) -> Iterable[NameSpan]:
        nlp = _spacy_french()
        if nlp is None:
            return
        for ent in nlp(text).ents:
            if ent.label_ != "PER":
                continue
            tokens = [t for t in ent if not (t.lower_ in _GREET1 or t.lower_ in _TITLES
                                             or t.lower_ in _STOP or t.is_punct)]
            while tokens and not self._is_candidate(tokens[0].text):
                tokens.pop(0)
            while tokens and not tokens[-1].text[:1].isupper():
                tokens.pop()
            if not tokens:
                continue
            start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
            if fold(text[start:end]) in self._never or fold(tokens[0].text) in self._never:
                continue
            if len(tokens) == 1 and not self._in_lexicon(tokens[0].text) and (
                    tokens[0].is_sent_start or not text[:start].strip()
                    or text[:start].rstrip()[-1:] in ".!?:\n«\""):
                continue  # "Appuyez sur...": a capitalised verb starting a sentence
            yield NameSpan(start, end, text[start:end], "name", "ner")


_PRIORITY = {"known": 0, "sign_off": 1, "greeting": 2, "lexicon": 3, "ner": 4}


def _resolve(spans: list[NameSpan], text: str) -> list[NameSpan]:
    """Drops overlaps: longer spans first, then the surer source."""
    if len(spans) <= 1:
        return spans
    chosen: list[NameSpan] = []
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), _PRIORITY[s.source])):
        if not any(span.start < c.end and c.start < span.end for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)
