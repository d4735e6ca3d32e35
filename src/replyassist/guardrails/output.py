"""Checks run on every draft before it is returned (the output guardrails).

:func:`check_draft` returns the cleaned text and notices for the agent UI:

- ``prompt_leak``: a distinctive line of the system prompt or rules appears in the
  draft (compared case-insensitively, ignoring punctuation and spacing). The whole draft
  text is blocked (replaced by ``""``): a model that echoes its instructions cannot be
  trusted for the rest of the text either, and no other check runs.
- ``ungrounded_link``: a URL that is neither a known article's (compared with
  :func:`replyassist.links.normalize_url`) nor on an approved domain (or a sub-domain of
  one) is removed; a Markdown link keeps its label.
- ``pii_leak_blocked``: e-mail addresses, phone numbers (``phonenumbers``, FR/GB/US),
  card numbers (Luhn) and IBANs (``python-stdnum``) that are neither the customer's own
  nor the brand's public contacts are replaced by :data:`PII_PLACEHOLDER`. The history
  store is scrubbed at ingest; this is the second lock.
- ``ungrounded_action``: a sentence that states an action as done for the customer
  (refund sent, return created, parcel shipped, credit issued, account reset…) or quotes
  an order, tracking, return or ticket number is removed unless this conversation grounds
  it: the agent's, bot's and notes' turns or the customer's CRM attributes for the action
  (the customer saying "you refunded me" grounds nothing), any turn, the attributes or a
  retrieved article for a number (:mod:`.actions`). A past answer's "le remboursement est
  parti aujourd'hui" never reaches another customer.
- ``other_person_named``: a person's name that is neither this customer's, nor in this
  conversation or the retrieved articles, nor the brand's, is removed ("Sorry, Vicki!" →
  "Sorry!"); ``foreign_signature``: an agent's initials or signed name ("^SM", "- Jane")
  that is not the brand's sign-off is removed (:mod:`.names`).
- ``hidden_text_removed``: invisible Unicode tag characters and bidi controls are
  removed (they can carry text an agent cannot see).
- ``banned_phrase``: banned phrases are removed (case-insensitive, whole words).
- ``ungrounded_claim``: amounts, percentages, dates and durations whose value is not in
  the retrieved articles or the conversation are flagged, not removed; each notice quotes
  the span. When the conversation was flagged ``prompt_injection`` the customer's turns
  ground nothing ("promise me €500" must not make €500 a fact) and the sentences carrying
  an ungrounded claim are removed. Values are compared as digits with unit variants
  (``5 jours`` = ``5 jours ouvrés`` = ``5 working days``; ``50 €`` = ``€50`` =
  ``50,00 EUR``); numbers written as words are not recognised.
- ``injection_echo``: when the conversation was flagged ``prompt_injection``, sentences
  that repeat the detected instruction or copy 6 or more consecutive words of the
  customer's text are removed (a model that obeyed the attack echoes it).
  ``customer_echo``: otherwise, sentences copying 10 or more consecutive words of the
  customer's text (6 when the customer was flagged ``abusive_language``), or made for
  three quarters of runs of 6 copied words (insults, demands, the customer's own
  message handed back), are removed. Word runs that are also
  in the articles or the agent's turns do not count.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from stdnum import iban as stdnum_iban

from replyassist.guardrails.actions import CaseGrounding, case_ids, ungrounded_actions
from replyassist.guardrails.channels import sentence_spans
from replyassist.guardrails.names import NameFinder
from replyassist.guardrails.names import fold as fold_word
from replyassist.guardrails.pii import _CARD, _EMAIL, _ORDER, _URL, _luhn_ok
from replyassist.links import normalize_url
from replyassist.models import Conversation, Notice
from replyassist.retrieval import ArticleResult

__all__ = [
    "PII_PLACEHOLDER",
    "GroundingContext",
    "check_draft",
    "grounding_context",
    "personal_values",
    "tidy",
]

PII_PLACEHOLDER = "[removed]"
PHONE_REGIONS = ("FR", "GB", "US")

# ----------------------------------------------------------------------- context


@dataclass
class GroundingContext:
    """What a draft may rely on: the conversation, the retrieved articles and the lists."""

    conversation_text: str = ""  # agent and bot turns (never internal notes)
    articles_text: str = ""  # titles, headings and passages of the retrieved articles
    known_urls: set[str] = field(default_factory=set)  # the articles' URLs
    approved_domains: set[str] = field(default_factory=set)
    customer_values: set[str] = field(default_factory=set)  # their e-mails, phones, ids...
    brand_contacts: set[str] = field(default_factory=set)  # public e-mails, phones
    banned_phrases: list[str] = field(default_factory=list)
    secret_markers: list[str] = field(default_factory=list)  # system-prompt / rule lines
    language: str | None = None  # orders numeric dates: "fr" → 12/03 is 12 March
    # The conversation was flagged prompt_injection: customer text is hostile.
    untrusted: bool = False
    hostile: bool = False  # abusive customer: insults are not handed back (6-word echo)
    customer_text: str = ""  # the customer's turns (echo check)
    injection_evidence: list[str] = field(default_factory=list)
    # case facts: what grounds them besides the fields above (internal notes, the CRM
    # attributes; see _check_actions)
    cases: CaseGrounding = field(default_factory=CaseGrounding)
    names: NameFinder | None = None  # finds people named in a draft (None: no check)
    allowed_people: str = ""  # folded text whose names a draft may use


def grounding_context(
    conversation: Conversation,
    articles: Iterable[ArticleResult],
    *,
    approved_domains: Iterable[str] = (),
    brand_contacts: Iterable[str] = (),
    banned_phrases: Iterable[str] = (),
    secret_markers: Iterable[str] = (),
    language: str | None = None,
    untrusted: bool = False,
    hostile: bool = False,
    injection_evidence: Iterable[str] = (),
    names: NameFinder | None = None,
    brand_text: str = "",
) -> GroundingContext:
    """``untrusted``: the conversation was flagged ``prompt_injection`` (see the module
    docstring); ``injection_evidence``: the detector's snippets; ``names``: the name finder
    of the people check; ``brand_text``: the brand's name, signature and sign-offs (the
    names a draft may sign with)."""
    articles = list(articles)
    conversation_text = "\n".join(m.text for m in conversation.messages
                                  if m.role in ("agent", "bot"))
    article_parts: list[str] = []
    for article in articles:
        article_parts.append(article.title)
        for heading, passage in article.passages:
            article_parts.extend(part for part in (heading, passage) if part)
    attributes = list(_scalars(conversation.customer.attributes)) \
        if conversation.customer is not None else []
    attribute_keys = list(_keys(conversation.customer.attributes)) \
        if conversation.customer is not None else []
    notes = [m.text for m in conversation.messages if m.role == "note"]
    cases = CaseGrounding.of([*notes, *attributes, *attribute_keys], [*notes, *attributes])
    people = [m.text for m in conversation.messages]
    if conversation.customer is not None and conversation.customer.name:
        people.append(conversation.customer.name)
    customer_values: set[str] = set()
    for message in conversation.customer_turns():
        customer_values.update(personal_values(message.text))
    if conversation.customer is not None:
        for value in _scalars(conversation.customer.attributes):
            customer_values.add(value)
            customer_values.update(personal_values(value))
    return GroundingContext(
        conversation_text=conversation_text,
        articles_text="\n".join(article_parts),
        known_urls={a.url for a in articles if a.url},
        approved_domains=set(approved_domains),
        customer_values=customer_values,
        brand_contacts=set(brand_contacts),
        banned_phrases=list(banned_phrases),
        secret_markers=list(secret_markers),
        language=language or conversation.language_hint,
        untrusted=untrusted,
        hostile=hostile,
        customer_text="\n".join(m.text for m in conversation.customer_turns()),
        injection_evidence=[e for e in injection_evidence if e.strip()],
        cases=cases,
        names=names,
        allowed_people=_people_key("\n".join([*people, *article_parts, brand_text])),
    )


def _scalars(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _scalars(item)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _scalars(item)
    elif isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
        yield str(value).strip()


def _keys(value: Any) -> Iterator[str]:
    """The attribute names ("refund_status", "tracking_number"): they ground actions."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key).replace("_", " ")
            yield from _keys(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _keys(item)


_LETTERS = re.compile(r"[^\W\d_]+")


def _people_key(text: str) -> str:
    """Folded words between spaces: a name is allowed when its key is a substring."""
    return " " + " ".join(_LETTERS.findall(fold_word(text))) + " "


def personal_values(text: str) -> set[str]:
    found = {m.group(0) for m in _EMAIL.finditer(text)}
    found.update(m.group(0) for m in _ORDER.finditer(text))
    found.update(text[start:end] for _, start, end in _phones(text))
    # Card numbers are never "the customer's own" here: a draft must not repeat a full
    # card number even to its holder (card-payment rules), so they are always blocked.
    found.update(text[start:end] for _, start, end in _ibans(text))
    return found


# ------------------------------------------------------------------------ check


def check_draft(text: str, context: GroundingContext) -> tuple[str, list[Notice]]:
    """The cleaned draft text and the notices (see the module docstring)."""
    if _leaks_prompt(text, context.secret_markers):
        return "", [Notice(code="prompt_leak", message=(
            "The draft repeated internal instructions, so its text was blocked. "
            "Write the reply yourself or regenerate it."))]
    notices: list[Notice] = []
    text, hidden = _HIDDEN.subn("", text)
    if hidden:
        notices.append(Notice(code="hidden_text_removed", message=(
            f"Removed {hidden} invisible characters (Unicode tags, bidi controls) that "
            "could smuggle text past the agent.")))
    cleaned, echoed = _check_echo(text, context)
    notices.extend(echoed)
    cleaned, removed = _check_links(cleaned, context)
    notices.extend(removed)
    cleaned, blocked = _check_personal_data(cleaned, context)
    notices.extend(blocked)
    cleaned, banned = _check_banned(cleaned, context.banned_phrases)
    notices.extend(banned)
    cleaned, acted = _check_actions(cleaned, context)
    notices.extend(acted)
    cleaned, named = _check_people(cleaned, context)
    notices.extend(named)
    if removed or banned or named:
        cleaned = tidy(cleaned)
    claims = _check_claims(cleaned, context)
    if context.untrusted and claims:
        cleaned = tidy(_drop_sentences(cleaned, [c.span for c, _ in claims]))
    notices.extend(notice for _, notice in claims)
    return cleaned, notices


# --- echoes of an injection

# Unicode tag characters (invisible ASCII look-alikes), bidi overrides and isolates
_HIDDEN = re.compile("[\U000E0000-\U000E007F\u202A-\u202E\u2066-\u2069]")
_ECHO_WORDS = 6  # conversation flagged prompt_injection
_ECHO_WORDS_TRUSTED = 10  # otherwise: a restatement of the request stays


def _sentences(text: str) -> list[str]:
    """The sentences (or lines) of ``text``, as :func:`.channels.sentence_spans` cuts them
    (a full stop in a link or after "M." ends nothing)."""
    return [text[start:end] for start, end in sentence_spans(text)]


def _drop_sentences(text: str, needles: Iterable[str]) -> str:
    """``text`` without the sentences (or lines) that contain one of ``needles``."""
    needles = [needle.strip() for needle in needles if needle.strip()]
    kept = "".join(text[start:end] for start, end in sentence_spans(text)
                   if not any(needle in text[start:end] for needle in needles))
    return re.sub(r"\n{3,}", "\n\n", kept)


def _shingles(text: str, size: int) -> set[tuple[str, ...]]:
    words = _fold(text).split()
    return {tuple(words[i:i + size]) for i in range(len(words) - size + 1)}


def _copied_sentences(sentences: list[str], copied: set[tuple[str, ...]], size: int,
                      parroted: set[tuple[str, ...]]) -> set[int]:
    """Indexes of the sentences that hold part of a run of ``size`` words copied from
    the customer (runs may cross sentence ends), or whose words lie for three quarters
    in copied runs of 6 words: the customer's own text handed back."""
    flat = [(word, index) for index, sentence in enumerate(sentences)
            for word in _fold(sentence).split()]
    words = [word for word, _ in flat]
    hit: set[int] = set()
    covered = [False] * len(flat)
    for i in range(len(flat) - _ECHO_WORDS + 1):
        if i + size <= len(flat) and tuple(words[i:i + size]) in copied:
            hit.update(index for _, index in flat[i:i + size])
        if tuple(words[i:i + _ECHO_WORDS]) in parroted:
            covered[i:i + _ECHO_WORDS] = [True] * _ECHO_WORDS
    for index in range(len(sentences)):
        marks = [c for c, (_, where) in zip(covered, flat, strict=True) if where == index]
        if marks and sum(marks) >= 0.75 * len(marks):
            hit.add(index)
    return hit


def _check_echo(text: str, context: GroundingContext) -> tuple[str, list[Notice]]:
    size = _ECHO_WORDS if context.untrusted or context.hostile else _ECHO_WORDS_TRUSTED
    trusted = f"{context.articles_text}\n{context.conversation_text}"
    customer = _shingles(context.customer_text, size) - _shingles(trusted, size)
    parroted = _shingles(context.customer_text, _ECHO_WORDS) - _shingles(trusted, _ECHO_WORDS)
    evidence = [f" {_fold(e)} " for e in context.injection_evidence if _fold(e)]
    sentences = _sentences(text)
    copied = _copied_sentences(sentences, customer, size, parroted)
    echoed = [sentence for index, sentence in enumerate(sentences)
              if index in copied or any(marker in f" {_fold(sentence)} "
                                        for marker in evidence)]
    if not echoed:
        return text, []
    cleaned = tidy(_drop_sentences(text, echoed))
    quoted = " | ".join(s.strip()[:80] for s in echoed[:3])
    if context.untrusted:
        return cleaned, [Notice(code="injection_echo", message=(
            "Removed text that repeats the customer's instructions to the assistant: "
            f"{quoted}"))]
    return cleaned, [Notice(code="customer_echo", message=(
        f"Removed text copied word for word from the customer's message: {quoted}"))]


# --- case facts and people


def _blank_links(text: str) -> str:
    """``text`` with its links blanked out, positions kept."""
    return _LINK.sub(lambda m: " " * len(m.group(0)), text)


def _check_actions(text: str, context: GroundingContext) -> tuple[str, list[Notice]]:
    masked = _blank_links(text)
    # phone numbers, IBANs and cards are personal data, checked as such: not case numbers
    for find in (_ibans, _cards, _phones):
        for _, start, end in find(masked):
            masked = masked[:start] + " " * (end - start) + masked[end:]
    grounding = CaseGrounding(
        f"{context.cases.done_text}\n{context.conversation_text}",
        f"{context.cases.id_text}\n{context.conversation_text}\n{context.customer_text}\n"
        f"{context.articles_text}")
    found = ungrounded_actions(masked, grounding)
    if not found:
        return text, []
    known = _known(context.conversation_text, language=context.language)
    sentences = []
    for a, b in sentence_spans(text):
        if not any(a <= start < b for start, _, _ in found):
            continue
        claims = _claims(masked[a:b], context.language)
        ids_grounded = all(grounding.grounds_id(v) for _, _, v in case_ids(masked[a:b]))
        if claims and ids_grounded and all(_supported(c, known) for c in claims):
            continue  # "we received 129,90 € on 12/03" after the agent said so
        sentences.append(text[a:b])
    if not sentences:
        return text, []
    quoted = " | ".join(f"“{s.strip()[:100]}”" for s in sentences[:3])
    return tidy(_drop_sentences(text, sentences)), [Notice(code="ungrounded_action", message=(
        f"Removed {len(sentences)} sentence{'s' if len(sentences) > 1 else ''} stating a "
        f"case fact (an action done, a case number) that this conversation does not show: "
        f"{quoted}"))]


def _check_people(text: str, context: GroundingContext) -> tuple[str, list[Notice]]:
    if context.names is None:
        return text, []
    masked = _blank_links(text)
    spans = [span for span in context.names.find(masked, language=context.language)
             if f" {_people_key(span.text).strip()} " not in context.allowed_people]
    if not spans:
        return text, []
    for span in reversed(spans):
        start, end = span.start, span.end
        if span.kind == "signature":  # the marker before the initials goes too
            while start > 0 and text[start - 1] in " ^-–—~/*_\t":
                start -= 1
        text = text[:start] + text[end:]
    text = re.sub(r"[^\S\n]+([,!.?])", lambda m: m.group(1) if m.group(1) in ",." else
                  f" {m.group(1)}" if context.language == "fr" else m.group(1), text)
    text = re.sub(r",([!.?])", r"\1", text)
    people = sorted({s.text for s in spans if s.kind == "name"})
    signatures = sorted({s.text for s in spans if s.kind == "signature"})
    notices = []
    if people:
        notices.append(Notice(code="other_person_named", message=(
            "Removed a name that is not this customer's nor in this conversation: "
            + ", ".join(people))))
    if signatures:
        notices.append(Notice(code="foreign_signature", message=(
            "Removed a signature that is not the brand's sign-off: " + ", ".join(signatures))))
    return text, notices


# --- prompt leaks


def _fold(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def _leaks_prompt(text: str, markers: Iterable[str]) -> bool:
    folded = f" {_fold(text)} "
    return any(marker and f" {marker} " in folded for marker in map(_fold, markers))


# --- links

_BARE_WWW = re.compile(r"(?<![\w/.@])www\.[\w-]+(?:\.[\w-]+)+[^\s<>\"')\]]*", re.IGNORECASE)
_LINK = re.compile(rf"\[([^\]\n]+)\]\(\s*({_URL.pattern}|{_BARE_WWW.pattern})\s*\)"
                   rf"|<({_URL.pattern})>|({_URL.pattern}|{_BARE_WWW.pattern})", re.IGNORECASE)
_TRAILING = ".,;:!?"


def _host(url: str) -> str:
    value = re.sub(r"^https?://", "", url.strip(), flags=re.IGNORECASE)
    value = re.split(r"[/?#]", value, maxsplit=1)[0].rsplit("@", 1)[-1].split(":", 1)[0]
    return value.lower().rstrip(".").removeprefix("www.")


def _link_allowed(url: str, context: GroundingContext) -> bool:
    normalize = normalize_url
    if normalize(url) in {normalize(known) for known in context.known_urls}:
        return True
    host = _host(url)
    for domain in context.approved_domains:
        approved = _host(domain)
        if approved and (host == approved or host.endswith("." + approved)):
            return True
    return False


def _check_links(text: str, context: GroundingContext) -> tuple[str, list[Notice]]:
    notices: list[Notice] = []

    def replace(match: re.Match[str]) -> str:
        label, url = match.group(1), match.group(2) or match.group(3) or match.group(4)
        tail = ""
        if match.group(4):  # a bare URL: sentence punctuation after it is not part of it
            stripped = url.rstrip(_TRAILING)
            tail, url = url[len(stripped):], stripped
        if _link_allowed(url, context):
            return match.group(0)
        notices.append(Notice(code="ungrounded_link", message=(
            f"Removed a link that is not a known article or an approved site: {url}")))
        return (label or "") + tail

    return _LINK.sub(replace, text), notices


# --- personal data

Span = tuple[str, int, int]  # (canonical value, start, end)

_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?"
                   r"(?![A-Za-z0-9])")


def _phones(text: str) -> list[Span]:
    spans: dict[tuple[int, int], str] = {}
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region):
            if not any(s < match.end and match.start < e for s, e in spans):
                spans[(match.start, match.end)] = phonenumbers.format_number(
                    match.number, phonenumbers.PhoneNumberFormat.E164)
    return [(value, start, end) for (start, end), value in sorted(spans.items())]


def _cards(text: str) -> list[Span]:
    spans = []
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and _luhn_ok(digits):
            spans.append((digits, match.start(), match.end()))
    return spans


def _ibans(text: str) -> list[Span]:
    spans = []
    for match in _IBAN.finditer(text):
        candidate = match.group(0)
        while candidate:  # a trailing word in capitals may have been swallowed
            if stdnum_iban.is_valid(candidate):
                spans.append((stdnum_iban.compact(candidate), match.start(),
                              match.start() + len(candidate)))
                break
            candidate = candidate[:-1].rstrip()
    return spans


def _emails(text: str) -> list[Span]:
    return [(m.group(0).lower(), m.start(), m.end()) for m in _EMAIL.finditer(text)]


def _canonical_values(values: Iterable[str]) -> set[str]:
    """Every reading of the allowed values: e-mail, E.164 phone, card digits, IBAN."""
    found: set[str] = set()
    for value in values:
        value = value.strip()
        found.update(v for v, _, _ in _emails(value))
        found.update(v for v, _, _ in _cards(value))
        found.update(v for v, _, _ in _ibans(value.upper()))
        for region in PHONE_REGIONS:
            try:
                number = phonenumbers.parse(value, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                found.add(phonenumbers.format_number(number,
                                                     phonenumbers.PhoneNumberFormat.E164))
        found.update(v for v, _, _ in _phones(value))
    return found


_PII_KINDS = (  # checked in this order: an IBAN or a card is not read as a phone number
    ("IBAN", "IBANs", _ibans),
    ("card number", "card numbers", _cards),
    ("e-mail address", "e-mail addresses", _emails),
    ("phone number", "phone numbers", _phones),
)


def _mask_urls(text: str) -> tuple[str, list[str]]:
    urls: list[str] = []

    def keep(match: re.Match[str]) -> str:
        urls.append(match.group(0))
        return f"\x00{len(urls) - 1}\x00"

    return _LINK.sub(keep, text), urls


def _unmask_urls(text: str, urls: list[str]) -> str:
    return re.sub(r"\x00(\d+)\x00", lambda m: urls[int(m.group(1))], text)


def _check_personal_data(text: str, context: GroundingContext) -> tuple[str, list[Notice]]:
    allowed = _canonical_values([*context.customer_values, *context.brand_contacts])
    out, urls = _mask_urls(text)  # kept links are checked as links, not as personal data
    notices = []
    for singular, plural, find in _PII_KINDS:
        blocked = [(start, end) for value, start, end in find(out) if value not in allowed]
        for start, end in reversed(blocked):
            out = out[:start] + PII_PLACEHOLDER + out[end:]
        if blocked:
            if len(blocked) > 1:
                what = f"{len(blocked)} {plural} that belong"
            else:
                what = f"{'an' if singular[0] in 'aeiouIE' else 'a'} {singular} that belongs"
            notices.append(Notice(code="pii_leak_blocked", message=(
                f"Removed {what} neither to this customer nor to the brand.")))
    return _unmask_urls(out, urls), notices


# --- banned phrases


def _check_banned(text: str, phrases: Iterable[str]) -> tuple[str, list[Notice]]:
    notices = []
    for phrase in phrases:
        words = phrase.split()
        if not words:
            continue
        body = r"\s+".join(map(re.escape, words))
        pattern = re.compile(
            (r"(?<!\w)" if re.match(r"\w", words[0]) else "") + body
            + (r"(?!\w)" if re.search(r"\w$", words[-1]) else ""), re.IGNORECASE)
        text, count = pattern.subn("", text)
        if count:
            notices.append(Notice(code="banned_phrase",
                                  message=f"Removed the banned phrase “{phrase.strip()}”."))
    return text, notices


def tidy(text: str) -> str:
    """Clean up after removals, without touching French spacing before ``!?:;``."""
    text = re.sub(r"\(\s*\)|\[\s*\]|<\s*>", "", text)
    text = re.sub(r"([,;:])(?:[^\S\n]*[,;:.])+", lambda m: m.group(0)[-1], text)
    text = re.sub(r"[^\S\n]+([,.])", r"\1", text)
    # a removal right after a sentence end leaves ", le": drop the comma, keep one space
    # and start the sentence with a capital
    text = re.sub(r"(^|[.!?\n])[^\S\n]*[,;:][^\S\n]*(\w?)",
                  lambda m: m.group(1) + (" " if m.group(1) in ".!?" else "")
                  + m.group(2).upper(), text)
    text = re.sub(r"[^\S\n]{2,}", " ", text)
    text = re.sub(r"[^\S\n]+$", "", text, flags=re.MULTILINE)
    # a removal at the start of the text or of a line leaves a lower-case first word
    # (not a line that starts with a link or an e-mail address)
    return re.sub(r"(?m)^([^\S\n]*)(\w)(?![\w.+-]*(?::/|@))",
                  lambda m: m.group(1) + m.group(2).upper(), text.strip())


# --- claims: amounts, percentages, dates, durations

_SP = r"[^\S\n]?"
_NUM = r"(?:\d{1,3}(?:[^\S\n]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)*)"
_RANGE = rf"{_NUM}(?:{_SP}(?:-|–|à|to|and|et|or|ou){_SP}{_NUM})?"
_MONTHS = {
    1: "janvier janv january jan", 2: "février fevrier févr fevr february feb",
    3: "mars march mar", 4: "avril avr april apr", 5: "mai may", 6: "juin june jun",
    7: "juillet juil july jul", 8: "août aout august aug",
    9: "septembre sept september sep", 10: "octobre october oct",
    11: "novembre november nov", 12: "décembre decembre déc dec december",
}
_MONTH_OF = {name: month for month, names in _MONTHS.items() for name in names.split()}
_MONTH = "|".join(sorted(_MONTH_OF, key=len, reverse=True))
_CURRENCY = {"€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "$": "USD",
             "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "£": "GBP",
             "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "livre": "GBP", "livres": "GBP"}
_UNITS = (
    ("hour", r"h(?:\d{2})?|hrs?|hours?|heures?"),
    ("minute", r"mins?|minutes?"),
    ("day", r"(?:working|business|calendar)[^\S\n]days?|days?"
            r"|jours?(?:[^\S\n](?:ouvrés|ouvres|ouvrables|calendaires|francs))?"),
    ("week", r"weeks?|semaines?"),
    ("month", r"months?|mois"),
    ("year", r"years?|ans?|années?|annees?"),
)
_CLAIM = re.compile(
    r"(?<![\w/.,-])(?:"
    r"(?P<iso_y>\d{4})-(?P<iso_m>\d{1,2})-(?P<iso_d>\d{1,2})"
    r"|(?P<num_a>\d{1,2})(?P<sep>[/.])(?P<num_b>\d{1,2})(?:(?P=sep)(?P<num_y>\d{2,4}))?"
    rf"|(?P<dm_d>\d{{1,2}})(?:er|st|nd|rd|th)?{_SP}(?:of[^\S\n])?(?P<dm_m>{_MONTH})\.?"
    rf"(?:{_SP}(?P<dm_y>\d{{4}}))?"
    rf"|(?P<md_m>{_MONTH})\.?[^\S\n](?P<md_d>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)"
    rf"(?:,?{_SP}(?P<md_y>\d{{4}}))?"
    rf"|(?P<cur_pre>€|US\$|\$|£|EUR|USD|GBP){_SP}(?P<amount_pre>{_RANGE})"
    rf"|(?P<amount>{_RANGE}){_SP}(?P<cur>€|\$|£|eur|usd|gbp|euros?|dollars?|pounds?|livres?)"
    rf"|(?P<pct>{_RANGE}){_SP}(?:%|pour{_SP}cent|percent|per[^\S\n]cent)"
    rf"|(?P<dur>{_RANGE}){_SP}(?P<unit>{'|'.join(f'(?:{p})' for _, p in _UNITS)})"
    r")(?![\w%])",
    re.IGNORECASE,
)
_UNIT_OF = [(kind, re.compile(rf"(?:{pattern})$", re.IGNORECASE)) for kind, pattern in _UNITS]


@dataclass(frozen=True)
class _Claim:
    span: str
    keys: frozenset[tuple[str, ...]]  # alternative readings (numeric dates)
    parts: int  # values that must all be supported (ranges: 2)


def _number(raw: str) -> str | None:
    value = re.sub(r"\s", "", raw)
    if "." in value and "," in value:
        decimal = max(value.rfind("."), value.rfind(","))
        value = re.sub(r"[.,]", "", value[:decimal]) + "." + value[decimal + 1:]
    elif value.count(",") + value.count(".") > 1:
        value = re.sub(r"[.,]", "", value)
    elif re.fullmatch(r"[1-9]\d{0,2}[.,]\d{3}", value):
        value = re.sub(r"[.,]", "", value)  # 1.500 / 1,500: a thousands separator
    else:
        value = value.replace(",", ".")
    try:
        return format(Decimal(value).normalize(), "f")
    except InvalidOperation:
        return None


def _numbers(raw: str) -> list[str]:
    return [n for n in map(_number, re.findall(_NUM, raw)) if n is not None]


def _date_keys(day: int, month: int, year: str | None) -> set[tuple[str, ...]]:
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return set()
    full = year if year is None or len(year) == 4 else f"20{year}"
    return {("date", str(month), str(day), full or "")}


def _claims(text: str, language: str | None) -> list[_Claim]:
    claims = []
    for match in _CLAIM.finditer(text):
        g = match.groupdict()
        keys: set[tuple[str, ...]] = set()
        parts = 1
        if g["iso_y"]:
            keys = _date_keys(int(g["iso_d"]), int(g["iso_m"]), g["iso_y"])
        elif g["num_a"]:
            a, b = int(g["num_a"]), int(g["num_b"])
            if (g["sep"] == "." and not g["num_y"]) or (a, b) == (24, 7):
                continue  # 12.5 is a number, 24/7 is not a date
            keys = _date_keys(a, b, g["num_y"])  # day first (fr, en-GB)
            if language != "fr":
                keys |= _date_keys(b, a, g["num_y"])  # month first (en-US)
        elif g["dm_d"]:
            keys = _date_keys(int(g["dm_d"]), _MONTH_OF[g["dm_m"].lower()], g["dm_y"])
        elif g["md_m"]:
            keys = _date_keys(int(g["md_d"]), _MONTH_OF[g["md_m"].lower()], g["md_y"])
        else:
            if g["cur_pre"] or g["amount"]:
                raw, unit = g["amount_pre"] or g["amount"], _CURRENCY[
                    (g["cur_pre"] or g["cur"]).lower()]
                kind = "amount"
            elif g["pct"]:
                raw, kind, unit = g["pct"], "percent", ""
            else:
                raw, kind = g["dur"], "duration"
                unit = next(k for k, p in _UNIT_OF if p.match(g["unit"]))
            values = _numbers(raw)
            keys = {(kind, unit, value) for value in values}
            parts = len(set(values))
        if keys:
            claims.append(_Claim(match.group(0).strip().rstrip("."), frozenset(keys), parts))
    return claims


def _supported(claim: _Claim, known: set[tuple[str, ...]]) -> bool:
    if claim.keys and next(iter(claim.keys))[0] == "date":
        return any(("date", m, d, y) in known or ("date", m, d, "") in known
                   or (not y and any(k[:3] == ("date", m, d) for k in known))
                   for _, m, d, y in claim.keys)
    return len(claim.keys & known) >= claim.parts


_COMMITMENT = re.compile(
    r"\b(?:rembours\w*|refund\w*|remise|reduction|discount\w*|geste commercial|"
    r"dedommag\w*|compens\w*|un avoir|bon d achat|bons d achat|voucher\w*|credit\w*|"
    r"offert\w*|offr\w*|gratuit\w*|free|cashback|coupon\w*|indemni\w*|garanti\w*|"
    r"guarantee\w*|promise\w*|promet\w*|approved|approuve\w*|accord\w*)\b")


def _unaccented(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


def _known(*sources: str, language: str | None) -> set[tuple[str, ...]]:
    known: set[tuple[str, ...]] = set()
    for source in sources:
        for claim in _claims(_mask_urls(source)[0], language):
            known |= claim.keys
    return known


def _sentence_of(text: str, span: str) -> str:
    return next((s for s in _sentences(text) if span in s), text)


def _check_claims(text: str, context: GroundingContext) -> list[tuple[_Claim, Notice]]:
    masked, _ = _mask_urls(text)
    masked = _EMAIL.sub(" ", masked)
    for _, start, end in _phones(masked):
        masked = masked[:start] + " " * (end - start) + masked[end:]
    claims = _claims(masked, context.language)
    if not claims:
        return []
    known = _known(context.conversation_text, context.articles_text,
                   language=context.language)
    # the customer's own figures ground a restatement ("your order of 89 €"), never a
    # promise ("we refund 89 €"), and nothing at all once they tried to instruct us
    stated = set() if context.untrusted else _known(context.customer_text,
                                                    language=context.language)
    found: list[tuple[_Claim, Notice]] = []
    seen: set[str] = set()
    for claim in claims:
        if claim.span in seen or _supported(claim, known):
            continue
        promise = _COMMITMENT.search(_unaccented(_fold(_sentence_of(masked, claim.span))))
        if not promise and _supported(claim, known | stated):
            continue
        seen.add(claim.span)
        if promise and _supported(claim, known | stated):
            message = (f"“{claim.span}” is only the customer's own figure, and the draft "
                       "promises it: check it before sending.")
        elif context.untrusted:
            message = (f"“{claim.span}” is not in the articles (the customer's own figures "
                       "do not count in a conversation flagged prompt_injection): the "
                       "sentence was removed.")
        else:
            message = (f"“{claim.span}” is not in the articles or the conversation: "
                       "check it before sending.")
        found.append((claim, Notice(code="ungrounded_claim", message=message)))
    return found
