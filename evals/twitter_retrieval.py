"""Article retrieval on real Twitter customer care (IBM twitter-customer-care-document-prediction).

Per company (tenant = company; a brand only sees its own data):

- knowledge base: the company's doc_ids (``company_docIDs.tsv``) with their URL
  (``docID_url.tsv``); the URL slug is the only article text, so title = body = slug words;
- conversations of ``dev.json`` sorted by ``conversationDateTime``: the earlier half is
  history (customer turns + the real agent reply, whose link to the article is recorded
  by the ingest), the later half is incoming (customer turns only; expected = the doc_id
  the agent linked).

Reports hit@1, hit@5 and MRR of the expected doc_id among ``suggest(...).articles``
(composed mode, top 5), next to two baselines on the same split: BM25 over past customer
messages voting for the doc_ids their agents linked, and the company's most used doc_id.

    python -m evals.twitter_retrieval --data /work/shared/data/ibm_twitter_cdp
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the ``evals`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import evals  # noqa: F401  (offline environment, see evals/__init__.py)

import bm25s

from evals._common import (
    EMBEDDER_CHOICES,
    Stopwatch,
    latency_summary,
    load_embedder,
    make_assistant,
    print_table,
    quiet,
    rank_metrics,
    rank_of,
    temp_store,
    warm_embedder,
    write_json,
)
from kb_ingest.history import normalize_url
from replyassist.evals.converters import slug_title  # one implementation, shared
from replyassist.models import Conversation, KnowledgeArticle
from replyassist.retrieval import tokenize

CHANNEL = "twitter"
TOP_K = 5


# ------------------------------------------------------------------ data
@dataclass
class TwitterData:
    urls: dict[str, str]  # doc_id → URL
    company_docs: dict[str, list[str]]  # company → doc_ids
    conversations: list[dict[str, Any]]


def doc_key(doc_id: str) -> str:
    """doc_ids appear both as ``"12"`` and zero-padded ``"0012"``; use the integer form."""
    text = str(doc_id).strip()
    return str(int(text)) if text.isdigit() else text


def load_twitter(data_dir: str | Path) -> TwitterData:
    root = Path(data_dir)
    urls: dict[str, str] = {}
    for line in (root / "docID_url.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip():
            doc_id, url = line.split("\t", 1)
            urls[doc_key(doc_id)] = url.strip()
    company_docs: dict[str, list[str]] = {}
    for line in (root / "company_docIDs.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip():
            company, ids = line.split("\t", 1)
            company_docs[company.strip()] = list(dict.fromkeys(
                doc_key(i) for i in ids.split(",") if i.strip()))
    conversations = json.loads((root / "dev.json").read_text(encoding="utf-8"))
    return TwitterData(urls, company_docs, conversations)


def company_articles(data: TwitterData, company: str) -> list[KnowledgeArticle]:
    articles = []
    for doc_id in data.company_docs.get(company, []):
        url = data.urls.get(doc_id)
        if not url:
            continue
        title = slug_title(url)
        articles.append(KnowledgeArticle(id=doc_id, title=title, body=title, url=url,
                                         language="en"))
    return articles


def _customer_messages(raw: dict[str, Any]) -> list[dict[str, Any]]:
    messages = []
    for turn in raw["dialogContent"]:
        if "agent" in turn:
            continue  # incoming / history keep customer turns only (see module doc)
        text = (turn.get("message") or "").strip()
        if text:
            messages.append({"role": "customer", "text": text,
                             "created_at": turn.get("datetime")})
    return messages


def conversation_id(raw: dict[str, Any]) -> str:
    header = raw["dialogHeader"]
    return f"{header['company']}-{header.get('sessionID') or raw['agentURL']['tweet_ID']}"


def to_history(raw: dict[str, Any]) -> Conversation:
    """Customer turns, then the real agent answer (which links the article)."""
    agent = raw["agentURL"]
    messages = _customer_messages(raw)
    messages.append({"role": "agent", "text": agent["url_utterance"]})
    return Conversation.model_validate({
        "id": conversation_id(raw), "tenant": raw["dialogHeader"]["company"],
        "channel": CHANNEL, "messages": messages})


def to_incoming(raw: dict[str, Any]) -> Conversation:
    return Conversation.model_validate({
        "id": conversation_id(raw), "tenant": raw["dialogHeader"]["company"],
        "channel": CHANNEL, "messages": _customer_messages(raw),
        "expected": {"doc_ids": [doc_key(raw["agentURL"]["doc_id"])]}})


def split_by_company(data: TwitterData, *, min_conversations: int = 2,
                     limit_companies: int | None = None
                     ) -> dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """company → (history, incoming): earlier half / later half by conversation date."""
    by_company: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for raw in data.conversations:
        if _customer_messages(raw):
            by_company[raw["dialogHeader"]["company"]].append(raw)
    companies = sorted((c for c, convs in by_company.items() if len(convs) >= min_conversations),
                       key=lambda c: (-len(by_company[c]), c))
    if limit_companies:
        companies = companies[:limit_companies]
    out = {}
    for company in companies:
        convs = sorted(by_company[company], key=lambda r: (
            r["dialogHeader"]["conversationDateTime"], conversation_id(r)))
        half = len(convs) // 2
        out[company] = (convs[:half], convs[half:])
    return out


# ------------------------------------------------------------------ baselines
class _BM25Cache:
    """One BM25 index per company (the baseline must not be re-indexed per query)."""

    def __init__(self, history: list[dict[str, Any]]) -> None:
        self.history = history
        corpus = [tokenize(to_history(r).latest_customer_text()) or ["_"] for r in history]
        self.index = None
        if corpus:
            self.index = bm25s.BM25()
            self.index.index(corpus, show_progress=False)

    def ranking(self, query: str, top: int = 5) -> list[str]:
        tokens = tokenize(query)
        if self.index is None or not tokens:
            return []
        docs, scores = self.index.retrieve([tokens], k=min(top, len(self.history)),
                                           show_progress=False, n_threads=1)
        votes: dict[str, float] = defaultdict(float)
        for rank, (i, score) in enumerate(zip(docs[0], scores[0], strict=True)):
            if score <= 0:
                break
            votes[doc_key(self.history[int(i)]["agentURL"]["doc_id"])] += 1.0 / (rank + 1)
        return [d for d, _ in sorted(votes.items(), key=lambda kv: -kv[1])]


def popularity_ranking(history: list[dict[str, Any]], top: int = 5) -> list[str]:
    counts = Counter(doc_key(r["agentURL"]["doc_id"]) for r in history)
    return [d for d, _ in counts.most_common(top)]


# ------------------------------------------------------------------ evaluation
METHODS = ("replyassist", "bm25_vote", "most_used")


@dataclass
class _Ranks:
    ranks: dict[str, list[int | None]] = field(default_factory=lambda: {m: [] for m in METHODS})
    url_ranks: list[int | None] = field(default_factory=list)


def run_twitter_retrieval(data_dir: str | Path, embedder: Any, *,
                          limit_companies: int | None = None, min_conversations: int = 2,
                          verbose: bool = True) -> dict[str, Any]:
    """Evaluate one embedder; returns overall/per-company metrics (see module doc)."""
    data = load_twitter(data_dir)
    splits = split_by_company(data, min_conversations=min_conversations,
                              limit_companies=limit_companies)
    per_company: dict[str, dict[str, Any]] = {}
    all_ranks = _Ranks()
    latencies: list[float] = []
    ingest_s = 0.0
    seen_in_history = ambiguous = 0
    with temp_store() as (store, _):
        assistant = make_assistant(store, embedder, top_articles=TOP_K, default_language="en")
        for company, (history, incoming) in splits.items():
            started = time.perf_counter()
            articles = company_articles(data, company)
            assistant.ingest_kb(articles, tenant=company)
            report = assistant.ingest_history([to_history(r) for r in history], tenant=company)
            ingest_s += time.perf_counter() - started
            norm = {a.id: normalize_url(a.url or "") for a in articles}
            url_count = Counter(norm.values())
            bm25 = _BM25Cache(history)
            popular = popularity_ranking(history, TOP_K)
            past_docs = {doc_key(r["agentURL"]["doc_id"]) for r in history}
            ranks = _Ranks()
            for raw in incoming:
                conversation = to_incoming(raw)
                expected = conversation.expected.doc_ids[0]  # type: ignore[union-attr]
                t0 = time.perf_counter()
                suggestions = assistant.suggest(conversation, mode="composed", tenant=company)
                latencies.append((time.perf_counter() - t0) * 1000)
                predicted = [a.doc_id for a in suggestions.articles][:TOP_K]
                query = conversation.latest_customer_text()
                rankings = {"replyassist": predicted,
                            "bm25_vote": bm25.ranking(query, TOP_K)[:TOP_K],
                            "most_used": popular}
                for method, ranking in rankings.items():
                    r = rank_of(expected, ranking)
                    ranks.ranks[method].append(r)
                    all_ranks.ranks[method].append(r)
                # Lenient: a predicted doc whose URL equals the expected one's (duplicates).
                target = norm.get(expected)
                url_rank = rank_of(target, [norm.get(d, d) for d in predicted]) if target \
                    else rank_of(expected, predicted)
                ranks.url_ranks.append(url_rank)
                all_ranks.url_ranks.append(url_rank)
                seen_in_history += expected in past_docs
                ambiguous += bool(target and url_count[target] > 1)
            per_company[company] = {
                "history": len(history), "incoming": len(incoming), "articles": len(articles),
                "exchanges_ingested": report.added,
                "expected_seen_in_history": sum(
                    doc_key(r["agentURL"]["doc_id"]) in past_docs for r in incoming),
                **{m: rank_metrics(ranks.ranks[m]) for m in METHODS},
                "replyassist_url_equivalent": rank_metrics(ranks.url_ranks),
            }
            if verbose:
                m = per_company[company]["replyassist"]
                print(f"  {company:<16} hist={len(history):>3} inc={len(incoming):>3} "
                      f"hit@1={m['hit@1']:.2f} hit@5={m['hit@5']:.2f}", file=sys.stderr)
    n_incoming = len(all_ranks.ranks["replyassist"])
    overall = {m: rank_metrics(all_ranks.ranks[m]) for m in METHODS}
    overall["replyassist_url_equivalent"] = rank_metrics(all_ranks.url_ranks)
    macro = {m: {k: sum(c[m][k] for c in per_company.values()) / max(len(per_company), 1)
                 for k in ("hit@1", "hit@5", "mrr")} for m in METHODS}
    return {
        "embedder": getattr(embedder, "name", type(embedder).__name__),
        "companies": len(per_company),
        "conversations": sum(c["history"] + c["incoming"] for c in per_company.values()),
        "history_conversations": sum(c["history"] for c in per_company.values()),
        "incoming_conversations": n_incoming,
        "expected_seen_in_history": seen_in_history,
        "expected_url_ambiguous": ambiguous,
        "overall_micro": overall,
        "overall_macro": macro,
        "per_company": per_company,
        "ingest_seconds": round(ingest_s, 2),
        "suggest_latency_ms": latency_summary(latencies),
    }


def print_report(result: dict[str, Any]) -> None:
    print(f"\nTwitter customer care — article retrieval ({result['embedder']}, top {TOP_K}, "
          f"composed mode)")
    print(f"companies: {result['companies']}   conversations: {result['conversations']} "
          f"(history {result['history_conversations']}, incoming "
          f"{result['incoming_conversations']})")
    n = result["incoming_conversations"]
    print(f"incoming whose expected doc_id occurs in the company's history half: "
          f"{result['expected_seen_in_history']}/{n} "
          f"({result['expected_seen_in_history'] / max(n, 1):.1%}); whose URL is shared "
          f"with another doc_id: {result['expected_url_ambiguous']}")
    labels = {"replyassist": "replyassist suggest()", "bm25_vote": "baseline BM25 vote (top 5)",
              "most_used": "baseline most used doc_id",
              "replyassist_url_equivalent": "replyassist, same-URL doc counts"}
    rows = []
    for key, label in labels.items():
        micro = result["overall_micro"][key]
        macro = result["overall_macro"].get(key)
        rows.append([label, micro["hit@1"], micro["hit@5"], micro["mrr"],
                     macro["hit@1"] if macro else None, macro["hit@5"] if macro else None,
                     macro["mrr"] if macro else None])
    print_table(["method", "hit@1", "hit@5", "MRR", "macro hit@1", "macro hit@5", "macro MRR"],
                rows, title=f"Overall (micro over {n} incoming; macro = mean over companies)")
    rows = []
    for company, c in result["per_company"].items():
        rows.append([company, c["history"], c["incoming"], c["articles"],
                     c["expected_seen_in_history"],
                     c["replyassist"]["hit@1"], c["replyassist"]["hit@5"],
                     c["replyassist"]["mrr"], c["bm25_vote"]["hit@1"], c["bm25_vote"]["hit@5"],
                     c["bm25_vote"]["mrr"], c["most_used"]["hit@1"], c["most_used"]["hit@5"],
                     c["most_used"]["mrr"]])
    print_table(["company", "hist", "inc", "docs", "seen", "RA@1", "RA@5", "RA MRR",
                 "BM25@1", "BM25@5", "BM25 MRR", "POP@1", "POP@5", "POP MRR"], rows,
                title="Per company (RA = replyassist, BM25 = BM25 vote, POP = most used; "
                      "seen = incoming whose doc_id is in the history half)", digits=2)
    lat = result["suggest_latency_ms"]
    print(f"\ningest (all companies): {result['ingest_seconds']:.1f} s; suggest latency: "
          f"p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms, mean {lat['mean']:.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="folder of ibm_twitter_cdp")
    parser.add_argument("--embedder", default="use-multilingual", choices=EMBEDDER_CHOICES)
    parser.add_argument("--limit-companies", type=int, default=None,
                        help="only the N companies with the most conversations")
    parser.add_argument("--min-conversations", type=int, default=2,
                        help="skip companies with fewer conversations (no history half)")
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args(argv)
    quiet()
    embedder = load_embedder(args.embedder)
    warm_embedder(embedder)
    with Stopwatch() as sw:
        result = run_twitter_retrieval(args.data, embedder, limit_companies=args.limit_companies,
                                       min_conversations=args.min_conversations)
    result["seconds"] = round(sw.seconds, 1)
    print_report(result)
    print(f"total run: {sw.seconds:.1f} s")
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
