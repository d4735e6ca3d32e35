"""Reply safety and closeness of composed drafts (no LLM) on a time split of real data.

Protocol (per dataset, one tenant per brand; a brand never sees another brand's history):

- **IBM Twitter** (``ibm_twitter_cdp``, one tenant per company): each company's
  conversations sorted by their first timestamp (``replyassist.evals.converters.
  convert_twitter``); the earliest 60 % are history (customer turns + the real agent reply),
  the next 20 % are ``dev``, the last 20 % ``test``. A case is the customer turns before
  the agent reply; the real reply is ``agentURL.url_utterance``. KB = the company's
  articles from ``docID_url.tsv`` (slug title = body), as in ``evals/twitter_retrieval.py``.
- **WMT chat fr** (``wmt_chat_fr/train.en-fr.csv``, tenant ``wmt-ebooks``, brand language
  fr): one chat per ``doc_id``, read in French (customer ``source``, agent ``reference``:
  whichever column is French). ``doc_id`` ends in a date and a sequence number
  (``..._default020-12-20-35`` = 2020-12-20, #35); chats are sorted by (date, number) and
  split 60/20/20. History = whole earlier chats. A case is taken at an agent turn that
  follows a customer turn: the chat up to there is the incoming conversation, the agent
  turns that follow (joined) are the real reply; at most ``--cases-per-chat`` cases per
  chat, spread evenly through it. No KB.

Systems, on the same cases: ``replyassist composed`` (``suggest(mode="composed")``, top
draft; no draft = an empty draft), ``nearest past answer`` (the RAW, unscrubbed agent
answer of ``similar_conversations[0]``: in a multi-exchange chat, the exchange whose
customer context is closest to the case's), ``fixed polite reply`` (one sentence per
language).

Quality: chrF (sacrebleu ``CHRF()``, sentence mean and corpus), cosine of the embedder's
vectors of draft and real reply (an empty draft scores 0), empty drafts, warnings per draft.

Safety detectors (written here, independent of the guardrails under test; the reference
sets come from the tenant's RAW history, each counted per 500 drafts):

- (a) *names*: a capitalised name seen after a greeting or a thanks in a raw past agent
  reply ("Hi Vicki", "Thanks, Kate!", "Bonjour Marie"), or any capitalised name after a
  greeting in the draft, absent from this conversation; and every ``#NAME#`` mask (WMT
  masks names, so a mask in a draft can only have been copied from another chat).
  Twitter @handles of other customers are counted apart (a'): handles are not names.
- (b) *signatures*: ``^XX``, ``*XX``, ``~ Name``, ``/XX``, ``-XX``/``- Name`` at the end of a
  line, or any signature seen at the end of a raw past reply, absent from this conversation.
- (c) *case facts*: ids (≥ 5 digits, or letters+digits with ≥ 3 digits), amounts with a
  currency, e-mails, phone numbers, the WMT masks of such data (``#EMAIL#``, ``#NUMBER#``,
  ...; counted always, like ``#NAME#``), and stated done-actions ("refund ... issued",
  "I've refunded", "has been shipped", "remboursement ... effectué", "colis ... expédié")
  in the draft but not in this conversation nor the tenant's KB. Links are not scanned
  (another check). Values found in ≥ 3 distinct past conversations of the tenant are brand
  constants (a hotline, a price), not a customer's data, and are not counted; nor are
  North-American toll-free numbers (1-800 …, always a brand's line).
  The WMT masks are an upper bound: the masker also hid a few years and product names.

Examples of each leak (up to 5, with the offending span) are printed, never written to
``--out``, which holds the figures only.

    python -m evals.reply_safety --data /work/shared/data [--split dev|test] [--limit N]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the ``evals`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import evals  # noqa: F401  (offline environment, see evals/__init__.py)

import numpy as np

from evals._common import Stopwatch, percentile, print_table, quiet, temp_store, write_json
from replyassist.models import Conversation, KnowledgeArticle

SYSTEMS = ("replyassist composed", "nearest past answer", "fixed polite reply")
POLITE = {
    "fr": "Bonjour, merci pour votre message. Nous regardons votre demande et revenons vers "
          "vous au plus vite.",
    "en": "Hi, thanks for reaching out. We're looking into this and will get back to you "
          "shortly.",
}
WMT_TENANT = "wmt-ebooks"
HISTORY_SHARE, DEV_SHARE = 0.6, 0.2
PER = 500  # leak counts are normalised per this many drafts
CONSTANT_MIN_CONVERSATIONS = 3
LEAKS = ("names", "handles", "signatures", "case_facts")
LEAK_LABELS = {"names": "(a) another customer's name", "handles": "(a') another @handle",
               "signatures": "(b) another agent's signature",
               "case_facts": "(c) another customer's case facts"}


# ------------------------------------------------------------------ data
@dataclass
class Case:
    conversation: Conversation  # what suggest() sees
    reply: str  # the real agent reply
    language: str


@dataclass
class Dataset:
    name: str
    language: str  # the brand's default language
    history: dict[str, list[Conversation]]  # tenant → raw history
    articles: dict[str, list[KnowledgeArticle]]
    cases: list[Case]
    info: dict[str, Any] = field(default_factory=dict)


def split_bounds(n: int) -> tuple[int, int]:
    """End of history and end of dev for ``n`` time-ordered items (60 % / 20 % / 20 %)."""
    return int(n * HISTORY_SHARE + 1e-9), int(n * (HISTORY_SHARE + DEV_SHARE) + 1e-9)


def time_split(items: Sequence[Any]) -> dict[str, list[Any]]:
    """``items`` already in time order → {"history", "dev", "test"}."""
    h, d = split_bounds(len(items))
    return {"history": list(items[:h]), "dev": list(items[h:d]), "test": list(items[d:])}


def load_twitter_dataset(root: str | Path, split: str) -> Dataset:
    """The IBM Twitter set through ``convert_twitter`` (time order per company)."""
    from replyassist.evals.converters import convert_twitter

    with tempfile.TemporaryDirectory(prefix="ra-safety-") as tmp:
        kb_path, history_path, cases_path = convert_twitter(Path(root), Path(tmp),
                                                            history_share=HISTORY_SHARE)
        articles = _read_models(kb_path, KnowledgeArticle)
        history_list = _read_models(history_path, Conversation)
        later = _read_models(cases_path, Conversation)
    history: dict[str, list[Conversation]] = defaultdict(list)
    for conversation in history_list:
        history[conversation.tenant].append(conversation)
    later_by: dict[str, list[Conversation]] = defaultdict(list)
    for conversation in later:  # in time order within a company
        later_by[conversation.tenant].append(conversation)
    cases: list[Case] = []
    for tenant, convs in later_by.items():
        n = len(history.get(tenant, [])) + len(convs)
        h, d = split_bounds(n)
        chosen = convs[:d - h] if split == "dev" else convs[d - h:]
        for conversation in chosen:
            reply = conversation.expected.reply if conversation.expected else ""
            cases.append(Case(conversation.model_copy(update={"expected": None}),
                              reply or "", "en"))
    by_tenant: dict[str, list[KnowledgeArticle]] = defaultdict(list)
    for article in articles:
        by_tenant[str(article.metadata.get("tenant"))].append(article)
    tenants = sorted(set(history) | set(later_by))
    return Dataset("IBM Twitter customer care", "en", {t: history.get(t, []) for t in tenants},
                   {t: by_tenant.get(t, []) for t in tenants}, cases,
                   {"tenants": len(tenants)})


def _read_models(path: Path, model: type[Any]) -> list[Any]:
    return [model.model_validate(json.loads(line))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


_WMT_KEY = re.compile(r"(\d{3,4})-(\d\d)-(\d\d)-(\d+)$")


def wmt_chat_key(doc_id: str) -> tuple[str, int, str]:
    """(ISO date, sequence number, doc_id): ``…_default020-12-20-35`` → ("2020-12-20", 35)."""
    match = _WMT_KEY.search(doc_id)
    if not match:
        return ("9999-99-99", 0, doc_id)  # no date: last, in id order
    year, month, day, seq = match.groups()
    year = year if len(year) == 4 else "2" + year  # "default020" ate the year's "2"
    return (f"{year}-{month}-{day}", int(seq), doc_id)


def load_wmt_chats(path: str | Path) -> list[Conversation]:
    """One French conversation per ``doc_id``, sorted by :func:`wmt_chat_key`."""
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            rows[row["doc_id"]].append(row)
    chats = []
    for doc_id in sorted(rows, key=wmt_chat_key):
        messages = []
        for row in rows[doc_id]:
            text = row["source"] if row.get("source_language") == "fr" else row["reference"]
            role = "agent" if row["sender"] == "agent" else "customer"
            if text.strip():
                messages.append({"role": role, "text": text.strip()})
        if messages:
            date, seq, _ = wmt_chat_key(doc_id)
            chats.append(Conversation.model_validate({
                "id": f"wmt-{date}-{seq}", "tenant": WMT_TENANT, "channel": "chat",
                "messages": messages, "metadata": {"doc_id": doc_id}}))
    return chats


def chat_cases(chat: Conversation, cap: int, language: str = "fr") -> list[Case]:
    """Up to ``cap`` cases, spread through the chat, at agent turns after a customer turn."""
    messages = chat.messages
    starts = [i for i in range(1, len(messages))
              if messages[i].role == "agent" and messages[i - 1].role == "customer"]
    if len(starts) > cap:
        starts = [starts[int((k + 0.5) * len(starts) / cap)] for k in range(cap)]
    cases = []
    for i in starts:
        end = i
        while end < len(messages) and messages[end].role == "agent":
            end += 1
        reply = " ".join(m.text for m in messages[i:end])
        conversation = chat.model_copy(update={"id": f"{chat.id}@{i}",
                                               "messages": list(messages[:i])})
        cases.append(Case(conversation, reply, language))
    return cases


def load_wmt_dataset(path: str | Path, split: str, cases_per_chat: int) -> Dataset:
    parts = time_split(load_wmt_chats(path))
    cases = [c for chat in parts[split] for c in chat_cases(chat, cases_per_chat)]
    return Dataset("WMT chat fr (e-books)", "fr", {WMT_TENANT: parts["history"]},
                   {WMT_TENANT: []}, cases,
                   {"chats": {k: len(v) for k, v in parts.items()}})


def raw_exchanges(conversation: Conversation) -> list[tuple[str, str]]:
    """(customer context, RAW agent answer) per agent run that follows a customer turn."""
    out: list[tuple[str, str]] = []
    pending: list[str] = []
    answer: list[str] = []
    for message in [*conversation.messages, None]:
        if message is not None and message.role == "agent" and (pending or answer):
            answer.append(message.text)
            continue
        if answer:
            out.append(("\n".join(pending[-3:]), " ".join(answer)))
            pending, answer = [], []
        if message is not None and message.role == "customer":
            pending.append(message.text)
    return out


# ------------------------------------------------------------------ detectors
def fold(text: str) -> str:
    """Lower-case, accents stripped, one character per character (spans stay aligned)."""
    return "".join(unicodedata.normalize("NFD", c)[0] for c in text.lower())


_NAME = r"[A-ZÀ-Ý][a-zà-ÿ'’-]+"
_GREETING = re.compile(  # the greeting in any case, the name capitalised
    rf"\b(?i:hi|hello|hey|dear|bonjour|bonsoir|salut|cher|chère)[ ,]+({_NAME}(?: {_NAME})?)"
    r"(?=\s*(?:[,.!?;:]|$))")
_THANKS = re.compile(
    rf"\b(?i:thanks|thank you|merci)\b[^.!?\n]{{0,50}}?, ?({_NAME})(?=\s*[.!?]|\s*$)")
NOT_NAMES = {
    "there", "team", "all", "everyone", "again", "guys", "folks", "friend", "friends", "both",
    "so", "much", "very", "madame", "monsieur", "mme", "mr", "mrs", "ms", "sir",
    "beaucoup", "encore", "vous", "you", "tous", "toi", "thanks", "merci", "hello", "hi",
    "bonjour", "en", "et", "and", "for", "pour", "de", "a", "à", "la", "le",
}
MASKS_NAME = ("#NAME#",)
MASKS_FACT = ("#EMAIL#", "#NUMBER#", "#PHONENUMBER#", "#PHONE_NUMBER#", "#ALPHANUMERIC_ID#",
              "#ADDRESS#", "#DEVICEID#", "#IP#", "#PASSWORD#")


def _greeting_names(text: str) -> list[str]:
    """Names right after a greeting ("Hi Vicki,") or closing a thanks ("Thanks, Kate!")."""
    ranges = [m.span(1) for m in _GREETING.finditer(text)] + \
        [m.span(1) for m in _THANKS.finditer(text)]
    names = []
    for start, end in ranges:
        for part in text[start:end].split():
            if part[:1].isupper() and part.lower() not in NOT_NAMES:
                names.append(part)
    return names


def history_names(agent_texts: Iterable[str]) -> set[str]:
    """Person names addressed in raw past agent replies (handles are not names)."""
    return {name for text in agent_texts for name in _greeting_names(text)}


def _in(span: str, text: str) -> bool:
    """Is ``span`` a whole-word part of ``text`` (case- and accent-insensitive)?"""
    needle = fold(span).strip()
    return bool(needle) and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", fold(text)) is not None


def find_names(draft: str, conversation_text: str, known: set[str]) -> list[str]:
    """(a) names of other customers in ``draft`` (see the module doc)."""
    found = [m for m in MASKS_NAME for _ in range(draft.count(m))]
    candidates = set(_greeting_names(draft))
    candidates |= {w for w in re.findall(r"\b[A-ZÀ-Ý][\w'’-]*", draft) if w in known}
    found += sorted(n for n in candidates if not _in(n, conversation_text))
    return found


def find_handles(draft: str, conversation_text: str, own: set[str]) -> list[str]:
    """(a') Twitter @handles in ``draft`` not in this conversation nor the brand's own."""
    return [h for h in _HANDLE.findall(draft)
            if h.lower() not in own and h.lower() not in conversation_text.lower()]


_SIGNATURE = re.compile(
    r"(?:(?<![\w^])\^ ?[A-Z][A-Za-z]{0,20}"  # ^Caroline, ^SA
    r"|(?<![\w*])\*[A-Z]{2,3}\b"  # *SR (Rockstar)
    r"|~ ?[A-Z][a-z]+\b"  # ~ Olivia
    r"|(?:(?<=\s)|^)/[A-Z]{2,3}\b"  # /SS (Spotify)
    r"|(?:(?<=\s)|^)[-–—] ?[A-Z][A-Za-z]{1,20}(?=[ \t]*(?:\n|$)))",  # -Richard, - AF (line end)
    re.MULTILINE)


def history_signatures(agent_texts: Iterable[str]) -> set[str]:
    """Signatures closing raw past agent replies (``^AF``, ``-Richard`` …), marker kept."""
    found = set()
    for text in agent_texts:
        tail = text.rstrip()[-40:]
        for match in _SIGNATURE.finditer(tail):
            if match.end() == len(tail):
                found.add(match.group(0).strip())
    return found


def find_signatures(draft: str, conversation_text: str, known: set[str]) -> list[str]:
    """(b) agent signatures in ``draft`` (shape, or seen closing a past reply)."""
    spans = {m.group(0).strip() for m in _SIGNATURE.finditer(draft)}
    spans |= {s for s in known if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", draft)}
    return sorted(s for s in spans if s not in conversation_text)


_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@\w{2,15}")
_FACTS: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("phone", re.compile(r"(?<![\w+])\+?\(?\d[\d ().-]{6,}\d(?!\w)")),
    ("amount", re.compile(
        r"(?:[$€£] ?\d+(?:[.,]\d{1,2})?|\b\d+(?:[.,]\d{1,2})? ?(?:[$€£]|eur\b|euros?\b|usd\b"
        r"|cad\b|dollars?\b)(?: ?(?:eur|cad|usd)\b)?)", re.IGNORECASE)),
    ("id", re.compile(r"\b[A-Za-z\d][A-Za-z\d-]{2,}[A-Za-z\d]\b")),
]
_TOLL_FREE = re.compile(r"\+?1[ .-]?\(?8(?:00|33|44|55|66|77|88)\b")  # a brand's line
_ACTIONS = re.compile("|".join([  # matched on fold(text)
    r"\brefund(?:ed)?\b[^.!?\n]{0,60}?\b(?:sent|issued|processed|credited)\b",
    r"\b(?:i|we)(?:'ve|’ve| have)\s+(?:refunded|credited|cancell?ed|replaced|shipped|reset)\b",
    r"\b(?:has|have) been (?:shipped|refunded|credited|cancell?ed|dispatched|issued)\b",
    r"\bremboursement\b[^.!?\n]{0,60}?\b(?:effectue|parti|envoye|emis|traite|valide)e?s?\b",
    r"\b(?:colis|commande)\b[^.!?\n]{0,60}?\b(?:expedie|parti|envoye)e?s?\b",
    r"\b(?:j'ai|j’ai|nous avons) (?:rembourse|annule|credite|expedie|transfere)e?s?\b",
    r"\b(?:a|ont) ete (?:rembourse|annule|credite|expedie|transfere|effectue)e?s?\b",
]))


def _fact_spans(text: str) -> list[tuple[str, str]]:
    """(kind, span) of the numbers, amounts, e-mails, phones and masks in ``text``."""
    text = _HANDLE.sub(" ", _URL.sub(" ", text))  # links and @handles: other detectors
    spans: list[tuple[str, str]] = [("mask", m) for m in MASKS_FACT for _ in range(text.count(m))]
    taken: list[tuple[int, int]] = []
    for kind, pattern in _FACTS:
        for match in pattern.finditer(text):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            span = match.group(0).strip()
            digits = sum(c.isdigit() for c in span)
            if kind == "phone" and _TOLL_FREE.match(span):
                taken.append(match.span())  # a brand's line: neither a phone nor an id
                continue
            if kind == "phone" and not 8 <= digits <= 15:
                continue
            if kind == "id" and not (digits >= 5 or (digits >= 3 and re.search("[A-Z]", span))):
                continue
            taken.append(match.span())
            spans.append((kind, span))
    return spans


def tenant_constants(conversations: Iterable[Conversation]) -> set[str]:
    """Fact values in ≥ 3 distinct past conversations: the brand's, not a customer's."""
    seen: Counter[str] = Counter()
    for conversation in conversations:
        text = "\n".join(m.text for m in conversation.messages)
        seen.update({fold(span) for kind, span in _fact_spans(text) if kind != "mask"})
    return {value for value, n in seen.items() if n >= CONSTANT_MIN_CONVERSATIONS}


def find_case_facts(draft: str, conversation_text: str, kb_text: str = "",
                    constants: set[str] | frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """(c) (kind, span) of other customers' case facts in ``draft`` (see the module doc)."""
    out = []
    context = conversation_text + "\n" + kb_text
    for kind, span in _fact_spans(draft):
        if kind == "mask" or (fold(span) not in constants and not _in(span, context)):
            out.append((kind, span))
    folded, folded_context = fold(draft), fold(context)
    for match in _ACTIONS.finditer(folded):
        if match.group(0) not in folded_context:
            out.append(("done_action", draft[match.start():match.end()]))
    return out


@dataclass
class TenantReference:
    """What the detectors compare a draft with, built from a tenant's RAW history."""

    names: set[str]
    signatures: set[str]
    constants: set[str]
    own_handles: set[str]
    kb_text: str = ""

    @classmethod
    def build(cls, tenant: str, history: Sequence[Conversation],
              articles: Sequence[KnowledgeArticle] = (), brand_handles: Iterable[str] = ()
              ) -> TenantReference:
        agent = [m.text for c in history for m in c.messages if m.role == "agent"]
        handles: Counter[str] = Counter()
        for conversation in history:
            handles.update({h.lower() for m in conversation.messages
                            for h in _HANDLE.findall(m.text)})
        own = {f"@{tenant.lower()}"} | {f"@{h.lower().lstrip('@')}" for h in brand_handles}
        own |= {h for h, n in handles.items() if n >= CONSTANT_MIN_CONVERSATIONS}
        kb_text = "\n".join(f"{a.title}\n{a.body}" for a in articles)
        return cls(history_names(agent), history_signatures(agent), tenant_constants(history),
                   own, kb_text)


def detect_leaks(draft: str, conversation: Conversation, ref: TenantReference
                 ) -> dict[str, list[Any]]:
    """All four detectors on one draft → {leak kind: offending spans}."""
    text = "\n".join(m.text for m in conversation.messages)
    return {"names": find_names(draft, text, ref.names),
            "handles": find_handles(draft, text, ref.own_handles),
            "signatures": find_signatures(draft, text, ref.signatures),
            "case_facts": find_case_facts(draft, text, ref.kb_text, ref.constants)}


# ------------------------------------------------------------------ scoring
def chrf_scores(hypotheses: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """sacrebleu ``CHRF()``: mean of sentence scores and the corpus score (0–100)."""
    from sacrebleu.metrics import CHRF

    metric = CHRF()
    if not hypotheses:
        return {"sentence_mean": float("nan"), "corpus": float("nan")}
    sentence = [metric.sentence_score(h, [r]).score for h, r in zip(hypotheses, references,
                                                                      strict=True)]
    corpus = metric.corpus_score(list(hypotheses), [list(references)]).score
    return {"sentence_mean": float(np.mean(sentence)), "corpus": float(corpus)}


def similarity(embedder: Any, hypotheses: Sequence[str], references: Sequence[str]
               ) -> list[float]:
    """Cosine of the embedder's unit vectors; an empty hypothesis scores 0."""
    from replyassist.embeddings import embed_array

    if not hypotheses:
        return []
    texts = [h if h.strip() else "-" for h in hypotheses]
    hv = np.vstack([embed_array(embedder, texts[i:i + 256]) for i in range(0, len(texts), 256)])
    rv = np.vstack([embed_array(embedder, list(references[i:i + 256]))
                    for i in range(0, len(references), 256)])
    cos = np.sum(hv * rv, axis=1)
    return [0.0 if not h.strip() else float(c) for h, c in zip(hypotheses, cos, strict=True)]


def score_system(drafts: Sequence[str], cases: Sequence[Case], leaks: Sequence[dict[str, list]],
                 embedder: Any, warnings: Sequence[list[str]] | None = None) -> dict[str, Any]:
    """Quality and safety figures of one system's drafts on ``cases``."""
    n = len(drafts)
    references = [c.reply for c in cases]
    out: dict[str, Any] = {"n": n, "chrf": chrf_scores(drafts, references)}
    sims = similarity(embedder, drafts, references)
    out["similarity_mean"] = float(np.mean(sims)) if sims else float("nan")
    out["empty_drafts"] = sum(1 for d in drafts if not d.strip())
    if warnings is not None:
        codes = Counter(code for w in warnings for code in w)
        out["warnings_per_draft"] = sum(len(w) for w in warnings) / n if n else float("nan")
        out["warning_codes"] = dict(codes.most_common())
    for kind in LEAKS:
        hit = sum(1 for leak in leaks if leak[kind])
        out[kind] = {"drafts": hit, f"per_{PER}": hit * PER / n if n else float("nan")}
    out["any_leak"] = {"drafts": sum(1 for leak in leaks if any(leak.values()))}
    out["any_leak"][f"per_{PER}"] = out["any_leak"]["drafts"] * PER / n if n else float("nan")
    return out


# ------------------------------------------------------------------ running
def spread(items: Sequence[Any], limit: int | None) -> list[Any]:
    """At most ``limit`` items, evenly spread (so a quick run still covers every tenant)."""
    if not limit or len(items) <= limit:
        return list(items)
    return [items[int(k * len(items) / limit)] for k in range(limit)]


def build_assistant(store: Any, embedder: Any, dataset: Dataset,
                    min_support: int | None = None) -> Any:
    from replyassist import ReplyAssistant, Settings
    from replyassist.brand import BrandRegistry, BrandVoice

    name = str(getattr(embedder, "name", ""))
    settings = Settings(store=str(store.location), mode="composed",
                        default_language=dataset.language, llm_tagging="off",
                        analysis_embedder="off" if name.startswith("hash") else "auto",
                        **({"library_min_support": min_support} if min_support else {}))
    brand = BrandVoice(default_language=dataset.language)  # type: ignore[arg-type]
    return ReplyAssistant(store=store, embedder=embedder, settings=settings, brand=brand,
                          brands=BrandRegistry({t: brand for t in dataset.history},
                                               default=brand))


class NearestPastAnswer:
    """The RAW agent answer of the most similar past exchange replyassist found."""

    def __init__(self, history: dict[str, list[Conversation]], embedder: Any) -> None:
        from replyassist.embeddings import embed_array

        self.embedder = embedder
        self.exchanges = {(c.tenant, c.id): raw_exchanges(c) for convs in history.values()
                          for c in convs}
        self.vectors: dict[tuple[str, str], Any] = {}
        multi = [(k, ex) for k, ex in self.exchanges.items() if len(ex) > 1]
        contexts = [ctx or "-" for _, ex in multi for ctx, _ in ex]
        vectors = [embed_array(embedder, contexts[i:i + 256])
                   for i in range(0, len(contexts), 256)]
        stacked = np.vstack(vectors) if vectors else np.zeros((0, 1))
        row = 0
        for key, ex in multi:
            self.vectors[key] = stacked[row:row + len(ex)]
            row += len(ex)

    def answer(self, tenant: str, conversation_id: str | None, query: str) -> str:
        from replyassist.embeddings import embed_array

        exchanges = self.exchanges.get((tenant, conversation_id or ""), [])
        if not exchanges:
            return ""
        if len(exchanges) == 1:
            return exchanges[0][1]
        scores = self.vectors[(tenant, conversation_id)] @ embed_array(
            self.embedder, [query or "-"])[0]
        return exchanges[int(np.argmax(scores))][1]


def run_dataset(dataset: Dataset, embedder: Any, *, limit: int | None = None,
                verbose: bool = True, min_support: int | None = None
                ) -> tuple[dict[str, Any], dict[str, list[tuple]]]:
    """Every system on ``dataset``; returns (figures, leak examples per system)."""
    cases = spread(dataset.cases, limit)
    refs = {t: TenantReference.build(t, dataset.history[t], dataset.articles.get(t, []),
                                     brand_handles=dataset.history.keys())
            for t in dataset.history}
    drafts: dict[str, list[str]] = {s: [] for s in SYSTEMS}
    warnings: list[list[str]] = []
    seconds: list[float] = []
    errors: Counter[str] = Counter()
    with temp_store(prefix="ra-safety-") as (store, _):
        assistant = build_assistant(store, embedder, dataset, min_support)
        with Stopwatch() as ingest:
            for tenant, history in dataset.history.items():
                if dataset.articles.get(tenant):
                    assistant.ingest_kb(dataset.articles[tenant], tenant=tenant)
                if history:
                    assistant.ingest_history(history, tenant=tenant)
        nearest = NearestPastAnswer(dataset.history, embedder)
        for i, case in enumerate(cases, 1):
            conversation = case.conversation
            started = time.perf_counter()
            try:
                suggestions = assistant.suggest(conversation, mode="composed",
                                                tenant=conversation.tenant)
            except Exception as exc:  # recorded (an empty draft), the run goes on
                errors[f"{type(exc).__name__}: {exc}"[:200]] += 1
                suggestions = None
            seconds.append(time.perf_counter() - started)
            top = suggestions.drafts[0] if suggestions and suggestions.drafts else None
            drafts["replyassist composed"].append(top.text if top else "")
            warnings.append([w.code for w in top.warnings] if top else [])
            similar = suggestions.similar_conversations if suggestions else []
            drafts["nearest past answer"].append(nearest.answer(
                conversation.tenant, similar[0].conversation_id if similar else None,
                conversation.latest_customer_text()))
            drafts["fixed polite reply"].append(POLITE.get(case.language, POLITE["en"]))
            if verbose and i % 50 == 0:
                print(f"  {dataset.name}: {i}/{len(cases)} cases", file=sys.stderr)
    result: dict[str, Any] = {"dataset": dataset.name, "cases": len(cases), **dataset.info,
                              "history_conversations": sum(map(len, dataset.history.values())),
                              "suggest_errors": sum(errors.values()),
                              "suggest_error_messages": dict(errors.most_common(5)),
                              "ingest_seconds": round(ingest.seconds, 1),
                              "seconds_per_suggestion": {
                                  "median": percentile(seconds, 50),
                                  "p95": percentile(seconds, 95)},
                              "systems": {}}
    examples: dict[str, list[tuple]] = {}
    for system in SYSTEMS:
        leaks = [detect_leaks(d, c.conversation, refs[c.conversation.tenant])
                 for d, c in zip(drafts[system], cases, strict=True)]
        result["systems"][system] = score_system(
            drafts[system], cases, leaks, embedder,
            warnings if system == "replyassist composed" else None)
        examples[system] = [(c.conversation.id, kind, spans, d)
                            for d, c, leak in zip(drafts[system], cases, leaks, strict=True)
                            for kind, spans in leak.items() if spans]
    return result, examples


# ------------------------------------------------------------------ output
def print_report(result: dict[str, Any], examples: dict[str, list[tuple]], *,
                 n_examples: int = 5) -> None:
    systems = result["systems"]
    cols = list(systems)
    print(f"\n## {result['dataset']} — split {result['split']}: {result['cases']} cases, "
          f"{result['history_conversations']} history conversations")
    rows: list[list[Any]] = [
        ["chrF sentence mean", *[systems[s]["chrf"]["sentence_mean"] for s in cols]],
        ["chrF corpus", *[systems[s]["chrf"]["corpus"] for s in cols]],
        ["semantic similarity (cosine)", *[systems[s]["similarity_mean"] for s in cols]],
        ["empty drafts", *[systems[s]["empty_drafts"] for s in cols]],
        ["warnings per draft", *[systems[s].get("warnings_per_draft") for s in cols]],
    ]
    for kind in (*LEAKS, "any_leak"):
        label = LEAK_LABELS.get(kind, "any of (a)-(c)")
        rows.append([f"{label}, per {PER}",
                     *[f"{systems[s][kind][f'per_{PER}']:.1f} ({systems[s][kind]['drafts']})"
                       for s in cols]])
    print_table(["metric", *cols], rows, title="(leaks: per 500 drafts, drafts in brackets)")
    codes = systems[SYSTEMS[0]].get("warning_codes") or {}
    print("warning codes (replyassist): " + (", ".join(f"{k} {v}" for k, v in codes.items())
                                             or "none"))
    if result.get("suggest_errors"):
        print(f"SUGGEST FAILED on {result['suggest_errors']} cases (counted as empty drafts): "
              + "; ".join(f"{n}× {m}" for m, n in result["suggest_error_messages"].items()))
    lat = result["seconds_per_suggestion"]
    print(f"seconds per suggestion: median {lat['median']:.3f}, p95 {lat['p95']:.3f}; "
          f"ingest {result['ingest_seconds']:.1f} s")
    for system, found in examples.items():
        if system == "fixed polite reply" or not found:
            continue
        for kind in LEAKS:
            shown = [e for e in found if e[1] == kind][:n_examples]
            if shown:
                print(f"\n  examples — {system}, {LEAK_LABELS[kind]}:")
            for conv_id, _, spans, draft in shown:
                snippet = " ".join(draft.split())[:160]
                print(f"    [{conv_id}] {spans}  «{snippet}»")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True,
                        help="folder holding ibm_twitter_cdp/ and wmt_chat_fr/")
    parser.add_argument("--split", choices=("dev", "test"), default="test")
    parser.add_argument("--datasets", default="twitter,wmt", help="twitter,wmt (comma list)")
    parser.add_argument("--embedder", default="use-multilingual",
                        help="use-multilingual | minilm | hash (tests)")
    parser.add_argument("--cases-per-chat", type=int, default=6,
                        help="WMT: at most this many cases per chat")
    parser.add_argument("--limit", type=int, default=None, help="at most N cases per dataset")
    parser.add_argument("--min-support", type=int, default=None,
                        help="library replies need this many past conversations "
                             "(default: Settings.library_min_support)")
    parser.add_argument("--examples", type=int, default=5, help="leak examples printed per kind")
    parser.add_argument("--out", help="write the figures (no examples) as JSON here")
    args = parser.parse_args(argv)
    quiet()
    from replyassist.embeddings import load_embedder

    embedder = load_embedder(args.embedder)
    root = Path(args.data)
    wanted = [d.strip() for d in args.datasets.split(",") if d.strip()]
    results: dict[str, Any] = {"split": args.split, "embedder": args.embedder,
                               "limit": args.limit, "datasets": {}}
    with Stopwatch() as total:
        for name in wanted:
            with Stopwatch() as sw:
                if name == "twitter":
                    dataset = load_twitter_dataset(root / "ibm_twitter_cdp", args.split)
                elif name == "wmt":
                    dataset = load_wmt_dataset(root / "wmt_chat_fr" / "train.en-fr.csv",
                                               args.split, args.cases_per_chat)
                else:
                    parser.error(f"unknown dataset {name!r}")
                result, examples = run_dataset(dataset, embedder, limit=args.limit,
                                               min_support=args.min_support)
            result["split"] = args.split
            result["seconds"] = round(sw.seconds, 1)
            print_report(result, examples, n_examples=args.examples)
            print(f"dataset run: {sw.seconds:.1f} s")
            results["datasets"][name] = result
    results["seconds"] = round(total.seconds, 1)
    print(f"\ntotal run: {total.seconds:.1f} s")
    write_json(args.out, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
