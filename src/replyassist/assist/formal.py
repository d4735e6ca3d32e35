"""Deterministic "more formal" rewrites (no LLM).

French: tutoiement → vouvoiement with a small, careful table: the pronouns and
possessives (tu, te/t', toi, ton/ta/tes), the verb after ``tu`` (irregular verbs from a
table; regular endings ``-es``/``-as``/``-ais`` → ``-ez``/``-ez``/``-iez``), inversions
(``peux-tu`` → ``pouvez-vous``) and the imperative of common verbs (``n'hésite pas``,
``dis-moi``, ``rassure-toi``). Anything it cannot conjugate with certainty (a stem
change such as ``tu achètes``, an unknown verb) makes it give up: :func:`to_vous`
returns ``None`` and the caller keeps the original text with ``llm_unavailable``.
English: contractions expanded, ``Hi``/``Hey`` → ``Hello``, ``Thanks`` → ``Thank you``.
Emoji are removed in both.
"""

from __future__ import annotations

import re

__all__ = ["strip_emoji", "to_formal_english", "to_vous"]

# present / future / conditional forms after "tu" that the endings rule gets wrong
_IRREGULAR = {
    "es": "êtes", "as": "avez", "vas": "allez", "fais": "faites", "dis": "dites",
    "peux": "pouvez", "veux": "voulez", "dois": "devez", "sais": "savez", "vois": "voyez",
    "reçois": "recevez", "prends": "prenez", "comprends": "comprenez", "mets": "mettez",
    "viens": "venez", "reviens": "revenez", "tiens": "tenez", "obtiens": "obtenez",
    "écris": "écrivez", "lis": "lisez", "choisis": "choisissez", "finis": "finissez",
    "remplis": "remplissez", "suis": "suivez", "attends": "attendez", "réponds": "répondez",
    "rends": "rendez", "vends": "vendez", "pars": "partez", "sors": "sortez",
    "connais": "connaissez", "crois": "croyez", "bois": "buvez", "ouvres": "ouvrez",
    "appelles": "appelez", "rappelles": "rappelez", "jettes": "jetez",
    "envoies": "envoyez", "renvoies": "renvoyez", "essaies": "essayez", "payes": "payez",
    "paies": "payez", "emploies": "employez",
}
# imperatives (second person singular) of common verbs
_IMPERATIVE = {
    "hésite": "hésitez", "vérifie": "vérifiez", "regarde": "regardez",
    "contacte": "contactez", "écris": "écrivez", "envoie": "envoyez", "renvoie": "renvoyez",
    "dis": "dites", "fais": "faites", "sois": "soyez", "aie": "ayez", "va": "allez",
    "attends": "attendez", "clique": "cliquez", "indique": "indiquez", "précise": "précisez",
    "essaie": "essayez", "pense": "pensez", "réponds": "répondez", "appelle": "appelez",
    "rappelle": "rappelez", "tiens": "tenez", "garde": "gardez", "confirme": "confirmez",
    "retourne": "retournez", "suis": "suivez", "rassure": "rassurez", "excuse": "excusez",
    "consulte": "consultez", "remplis": "remplissez", "choisis": "choisissez",
    "prends": "prenez", "mets": "mettez", "viens": "venez", "profite": "profitez",
    "note": "notez", "patiente": "patientez", "sache": "sachez", "ajoute": "ajoutez",
    "connecte": "connectez", "télécharge": "téléchargez", "imprime": "imprimez",
    "joins": "joignez", "laisse": "laissez", "passe": "passez", "utilise": "utilisez",
    "transmets": "transmettez", "communique": "communiquez", "signale": "signalez",
}
_WORD = r"[a-zàâçéèêëîïôûùüÿœæ]+"
_ENDINGS = (("ais", "iez"), ("ait", "iez"), ("as", "ez"), ("es", "ez"))


def _case(source: str, target: str) -> str:
    if len(source) > 1 and source.isupper():
        return target
    return target[:1].upper() + target[1:] if source[:1].isupper() else target


def _replace_words(pattern: str, target: str, text: str) -> str:
    """Replace (case-insensitively) keeping a leading capital."""
    return re.sub(pattern, lambda match: _case(match.group(0), target), text,
                  flags=re.IGNORECASE)


def _conjugate(verb: str) -> str | None:
    lower = verb.lower()
    if lower in _IRREGULAR:
        return _case(verb, _IRREGULAR[lower])
    for ending, replacement in _ENDINGS:
        stem = lower[: -len(ending)]
        if lower.endswith(ending) and len(stem) >= 2:
            if ending == "es" and re.search(r"è[^aeiouyéèêë]+$|[eé]ll$|ett$|[ou]i$", stem):
                return None  # stem change (achètes, appelles, essuies): not guessed
            return _case(verb, stem + replacement)
    return None


def to_vous(text: str) -> str | None:
    """The text in vouvoiement, or ``None`` when a form could not be converted."""
    failed = False

    def subject(match: re.Match[str]) -> str:
        nonlocal failed
        tu, objects, verb = match.group(1), match.group(2), match.group(3)
        conjugated = _conjugate(verb)
        if conjugated is None:
            failed = True
            return match.group(0)
        objects = re.sub(r"\b(?:te|t['’])\s*", "vous ", objects, flags=re.IGNORECASE)
        return f"{_case(tu, 'vous')} {objects}{conjugated}"

    out = re.sub(rf"(?<![-\w])([Tt]u)\s+((?:(?:ne|n['’]|me|m['’]|te|t['’]|nous|le|la|les|l['’]|lui"
                 rf"|leur|y|en)\s*)*)({_WORD})\b", subject, text, flags=re.IGNORECASE)

    def inversion(match: re.Match[str]) -> str:
        nonlocal failed
        conjugated = _conjugate(match.group(1))
        if conjugated is None:
            failed = True
            return match.group(0)
        return f"{conjugated}-vous"

    out = re.sub(rf"\b({_WORD})-t?-?tu\b", inversion, out, flags=re.IGNORECASE)

    def imperative(match: re.Match[str]) -> str:
        verb, rest = match.group(2), match.group(3)
        target = _IMPERATIVE.get(verb.lower())
        if target is None:
            return match.group(0)
        rest = re.sub(r"-toi\b", "-vous", rest, flags=re.IGNORECASE)
        return f"{match.group(1)}{_case(verb, target)}{rest}"

    # at a sentence start, after "n'"/"ne", or before a hyphenated pronoun
    out = re.sub(rf"(\b[Nn]['’]\s*|\b[Nn]e\s+|^\s*|(?<=[.!?:]\s)|(?<=\n))({_WORD})"
                 r"((?:-(?:moi|toi|nous|le|la|les|lui|leur|en|y))?)\b",
                 imperative, out, flags=re.IGNORECASE)
    out = re.sub(rf"\b({_WORD})e-toi\b", lambda m: f"{m.group(1)}ez-vous", out)
    for pattern, target in ((r"\btoi\b", "vous"), (r"\btes\b", "vos"),
                            (r"(?<!\ble )(?<!\bun )(?<!\bce )\bton\b", "votre"),
                            (r"\bta\b", "votre"), (r"\bte\b", "vous"),
                            (r"\bt['’](?=[aeiouyhéèêàâîô])", "vous "),
                            (r"\bsalut\b", "bonjour"), (r"\bcoucou\b", "bonjour")):
        out = _replace_words(pattern, target, out)
    if failed or re.search(r"\btu\b|-tu\b|\b(?:le|la|les) tien(?:ne)?s?\b", out,
                           re.IGNORECASE):
        return None
    return strip_emoji(out)


_CONTRACTIONS = {
    "don't": "do not", "doesn't": "does not", "didn't": "did not", "can't": "cannot",
    "won't": "will not", "isn't": "is not", "aren't": "are not", "wasn't": "was not",
    "weren't": "were not", "haven't": "have not", "hasn't": "has not", "hadn't": "had not",
    "couldn't": "could not", "wouldn't": "would not", "shouldn't": "should not",
    "i'm": "I am", "you're": "you are", "we're": "we are", "they're": "they are",
    "it's": "it is", "that's": "that is", "there's": "there is", "here's": "here is",
    "what's": "what is", "let's": "let us", "i'll": "I will", "you'll": "you will",
    "we'll": "we will", "it'll": "it will", "i've": "I have", "you've": "you have",
    "we've": "we have", "i'd": "I would", "we'd": "we would", "you'd": "you would",
}
_INFORMAL = {"hi": "hello", "hey": "hello", "thanks": "thank you", "asap": "as soon as possible",
             "yeah": "yes", "yep": "yes", "ok": "very well", "okay": "very well"}


def to_formal_english(text: str) -> str:
    def contraction(match: re.Match[str]) -> str:
        word = match.group(0)
        target = _CONTRACTIONS[word.lower().replace("’", "'")]
        return _case(word, target) if target[0] != "I" else target

    pattern = "|".join(re.escape(c).replace("'", "['’]") for c in _CONTRACTIONS)
    out = re.sub(rf"\b(?:{pattern})\b", contraction, text, flags=re.IGNORECASE)
    for word, target in _INFORMAL.items():
        out = _replace_words(rf"\b{word}\b", target, out)
    return strip_emoji(out)


_EMOJI = re.compile("[ \t]*[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]+")


def strip_emoji(text: str) -> str:
    return re.sub(r"[ \t]{2,}", " ", _EMOJI.sub("", text)).strip()
