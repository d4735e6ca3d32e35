"""Article retrieval on real Twitter customer care (IBM twitter-customer-care-document-prediction).

Per company (tenant = company; a brand only sees its own data):

- knowledge base: the company's doc_ids (``company_docIDs.tsv``) with their URL
  (``docID_url.tsv``); the URL slug is the only article text, so title = body = slug words;
- time split: the company's conversations of ``dev.json`` (those with customer text) sorted
  by ``conversationDateTime`` (ties by conversation id), cut by position into 60/20/20:
  ``n = len(convs)``, ``h = int(n * 0.6)``, ``d = int(n * 0.8)``.

  * ``--split dev``: history = ``convs[:h]``, incoming = ``convs[h:d]``;
  * ``--split test`` (default): history = ``convs[:d]`` (everything earlier), incoming =
    ``convs[d:]``.

  History conversations are ingested whole (customer turns + the real agent reply, whose
  link to the article is recorded by the ingest); incoming ones keep the customer turns
  only, expected = the doc_id the agent linked. No incoming conversation predates the
  history it is matched against. A company whose history or incoming part is empty for the
  split is left out (counted in ``skipped_companies``).

  Protocol: every constant (of replyassist or of a baseline: neighbours, vote power, …) is
  fitted on ``--split dev`` and only *reported* on ``--split test``; never tune on test.

Reports hit@1, hit@5 and MRR of the expected doc_id among the top ``--articles N`` (default
5; with N < 5, hit@5 = hit@N) of ``suggest(...).articles`` (composed mode,
``Settings.top_articles = N``), next to baselines on the same split and the same top N:

- ``popularity``: the company's most linked doc_ids in history;
- ``kNN vote`` (MiniLM and USE): past customer texts embedded (``embed_cached``), the 10 most
  cosine-similar to the incoming customer text vote for the doc_id their agent linked with
  weight ``sim**3`` (non-positive similarities do not vote); ties and remaining places are
  filled in popularity order;
- ``BM25 vote``: BM25 over past customer messages, the 5 best matches vote ``1/rank`` for
  their linked doc_id (no popularity fill); ``BM25 articles``: BM25 over the article slugs;
- ``dense articles`` (USE and MiniLM): cosine between the incoming text and the slug title;
- ``LangChain recipe``: ``langchain_chroma.Chroma.from_documents`` over the company's
  articles (``page_content = title + "\\n" + body``) with
  ``replyassist.embeddings.SentenceTransformerEmbeddings()`` (MiniLM), one in-memory Chroma
  collection per company, then ``similarity_search(query, k=N)``. Chroma's default HNSW
  index is approximate and built by several threads: a few rankings differ from exact
  cosine and from one run to the next (about ±0.01 on these figures).

Also printed: the upper bound of history-only methods (share of incoming whose expected
doc_id was linked at least once in the company's history), a per-company table, ingest
seconds and suggest latency p50/p95.

    python -m evals.twitter_retrieval --data /work/shared/data/ibm_twitter_cdp --split dev
    python -m evals.twitter_retrieval --data /work/shared/data/ibm_twitter_cdp --split test
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the ``evals`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import evals  # noqa: F401  (offline environment, see evals/__init__.py)

import bm25s
import numpy as np

from evals._common import (
    EMBEDDER_CHOICES,
    Stopwatch,
    embed_cached,
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
TOP_K = 5  # default of --articles
SPLITS = ("dev", "test")
HISTORY_SHARE, DEV_END = 0.6, 0.8
KNN_NEIGHBOURS, KNN_POWER = 10, 3
BM25_NEIGHBOURS = 5

# method key → label; keys are stable (evals/embedder_choice.py reads the first three)
METHODS: dict[str, str] = {
    "replyassist": "replyassist suggest()",
    "bm25_vote": "BM25 vote over past customer messages",
    "most_used": "popularity (most linked in history)",
    "knn_minilm": "kNN vote, MiniLM (10 nn, sim^3)",
    "knn_use": "kNN vote, USE (10 nn, sim^3)",
    "bm25_articles": "BM25 over article slugs",
    "dense_articles_use": "dense over articles, USE",
    "dense_articles_minilm": "dense over articles, MiniLM",
    "langchain_chroma": "LangChain recipe (Chroma + MiniLM)",
}
SHORT = {"replyassist": "RA", "most_used": "POP", "knn_minilm": "kNN-M", "knn_use": "kNN-U",
         "bm25_vote": "BM25v", "bm25_articles": "BM25a", "dense_articles_use": "DA-U",
         "dense_articles_minilm": "DA-M", "langchain_chroma": "LC"}


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


def linked_doc(raw: dict[str, Any]) -> str:
    return doc_key(raw["agentURL"]["doc_id"])


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
        "expected": {"doc_ids": [linked_doc(raw)]}})


def split_bounds(n: int) -> tuple[int, int]:
    """(h, d): history of dev = [:h], dev = [h:d], test = [d:]."""
    return int(n * HISTORY_SHARE), int(n * DEV_END)


def time_split(convs: Sequence[Any], split: str = "test") -> tuple[list[Any], list[Any]]:
    """``convs`` in time order → (history, incoming) of ``split`` (see module doc)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    h, d = split_bounds(len(convs))
    if split == "dev":
        return list(convs[:h]), list(convs[h:d])
    return list(convs[:d]), list(convs[d:])


def split_by_company(data: TwitterData, split: str = "test", *, min_conversations: int = 2,
                     limit_companies: int | None = None, skipped: list[str] | None = None
                     ) -> dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """company → (history, incoming) of ``split``, each in time order; companies with an
    empty history or incoming part are appended to ``skipped`` instead."""
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
        history, incoming = time_split(convs, split)
        if history and incoming:
            out[company] = (history, incoming)
        elif skipped is not None:
            skipped.append(company)
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

    def ranking(self, query: str, top: int = BM25_NEIGHBOURS) -> list[str]:
        """The ``top`` best-matching past messages vote ``1/rank`` for their doc_id."""
        tokens = tokenize(query)
        if self.index is None or not tokens:
            return []
        docs, scores = self.index.retrieve([tokens], k=min(top, len(self.history)),
                                           show_progress=False, n_threads=1)
        votes: dict[str, float] = defaultdict(float)
        for rank, (i, score) in enumerate(zip(docs[0], scores[0], strict=True)):
            if score <= 0:
                break
            votes[linked_doc(self.history[int(i)])] += 1.0 / (rank + 1)
        return [d for d, _ in sorted(votes.items(), key=lambda kv: -kv[1])]


class _ArticleBM25:
    """BM25 over the article slugs (title words) of one company."""

    def __init__(self, articles: list[KnowledgeArticle]) -> None:
        self.ids = [a.id for a in articles]
        self.index = None
        if articles:
            self.index = bm25s.BM25()
            self.index.index([tokenize(a.title) or ["_"] for a in articles], show_progress=False)

    def ranking(self, query: str, top: int) -> list[str]:
        tokens = tokenize(query)
        if self.index is None or not tokens:
            return []
        docs, scores = self.index.retrieve([tokens], k=min(top, len(self.ids)),
                                           show_progress=False, n_threads=1)
        return [self.ids[int(i)] for i, s in zip(docs[0], scores[0], strict=True) if s > 0]


def popularity_ranking(history: list[dict[str, Any]], top: int | None = TOP_K) -> list[str]:
    """Most linked doc_ids first (ties: first linked first); ``top=None``: all of them."""
    counts = Counter(linked_doc(r) for r in history)
    return [d for d, _ in counts.most_common(top)]


def knn_vote(similarities: np.ndarray, labels: Sequence[str], popular: Sequence[str],
             top: int, *, neighbours: int = KNN_NEIGHBOURS, power: int = KNN_POWER
             ) -> list[str]:
    """The ``neighbours`` most similar past exchanges vote ``sim**power`` for their doc_id
    (non-positive similarities do not vote); ties and the remaining places follow
    ``popular`` (the popularity order)."""
    order = np.argsort(-similarities, kind="stable")[:neighbours]
    votes: dict[str, float] = defaultdict(float)
    for i in order:
        sim = float(similarities[int(i)])
        if sim > 0:
            votes[labels[int(i)]] += sim ** power
    position = {d: p for p, d in enumerate(popular)}
    ranked = sorted(votes, key=lambda d: (-votes[d], position.get(d, len(position)), d))
    ranked += [d for d in popular if d not in votes]
    return ranked[:top]


def dense_ranking(similarities: np.ndarray, ids: Sequence[str], top: int) -> list[str]:
    order = np.argsort(-similarities, kind="stable")[:top]
    return [ids[int(i)] for i in order]


class _LangChainRecipe:
    """The tutorial recipe: ``Chroma.from_documents`` + ``similarity_search``, one
    in-memory collection per company (dropped after the company)."""

    def __init__(self, embedding: Any) -> None:
        import chromadb

        self.embedding = embedding
        # default settings, as the other in-process recipes (telemetry: evals/__init__.py)
        self.client = chromadb.EphemeralClient()
        self.run = uuid.uuid4().hex[:8]  # in-memory clients share collections in a process
        self.count = 0
        self.store: Any = None
        self.name = ""

    def build(self, articles: list[KnowledgeArticle]) -> None:
        from langchain_chroma import Chroma
        from langchain_core.documents import Document

        self.close()
        if not articles:
            return
        self.count += 1
        self.name = f"twitter-{self.run}-{self.count:04d}"  # 3-63 chars, [a-zA-Z0-9._-]
        documents = [Document(page_content=f"{a.title}\n{a.body}", metadata={"doc_id": a.id})
                     for a in articles]
        self.store = Chroma.from_documents(documents, embedding=self.embedding,
                                           collection_name=self.name, client=self.client)

    def ranking(self, query: str, top: int) -> list[str]:
        if self.store is None:
            return []
        return [d.metadata["doc_id"] for d in self.store.similarity_search(query, k=top)]

    def close(self) -> None:
        if self.store is not None:
            self.client.delete_collection(self.name)
            self.store = None


def _unique(ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _similarities(embedder: Any, queries: list[str], texts: list[str]) -> np.ndarray:
    """(queries × texts) cosine matrix (unit rows from ``embed_cached``)."""
    if not queries or not texts:
        return np.zeros((len(queries), len(texts)), dtype=np.float32)
    return np.asarray(embed_cached(embedder, queries) @ embed_cached(embedder, texts).T)


# ------------------------------------------------------------------ evaluation
def run_twitter_retrieval(data_dir: str | Path, embedder: Any, *, split: str = "test",
                          articles: int = TOP_K, english_embedder: Any = None,
                          baseline_embedders: Mapping[str, Any] | None = None,
                          recipe_embedder: Any = None,
                          limit_companies: int | None = None, min_conversations: int = 2,
                          verbose: bool = True) -> dict[str, Any]:
    """Evaluate replyassist (``embedder``, ``english_embedder``) and the baselines on one
    split (see module doc); returns overall/per-company metrics.

    ``baseline_embedders``: ``{"minilm": …, "use": …}`` for the kNN and dense baselines
    (default: ``load_embedder("minilm")`` and ``load_embedder("use-multilingual")``);
    ``recipe_embedder``: the LangChain recipe's embedder (default:
    ``SentenceTransformerEmbeddings()``, MiniLM)."""
    if articles < 1:
        raise ValueError(f"articles must be >= 1, not {articles}")
    top = articles
    data = load_twitter(data_dir)
    skipped: list[str] = []
    splits = split_by_company(data, split, min_conversations=min_conversations,
                              limit_companies=limit_companies, skipped=skipped)
    if baseline_embedders is None:
        baseline_embedders = {"minilm": load_embedder("minilm"),
                              "use": load_embedder("use-multilingual")}
    if recipe_embedder is None:
        from replyassist.embeddings import SentenceTransformerEmbeddings

        recipe_embedder = SentenceTransformerEmbeddings()
    recipe = _LangChainRecipe(recipe_embedder)
    per_company: dict[str, dict[str, Any]] = {}
    all_ranks: dict[str, list[int | None]] = {m: [] for m in METHODS}
    all_url_ranks: list[int | None] = []
    latencies: list[float] = []
    recipe_latencies: list[float] = []
    ingest_s = 0.0
    seen_in_history = ambiguous = 0
    with temp_store() as (store, _):
        assistant = make_assistant(store, embedder, top_articles=top, default_language="en",
                                   english_embedder=english_embedder)
        for company, (history, incoming) in splits.items():
            started = time.perf_counter()
            kb = company_articles(data, company)
            assistant.ingest_kb(kb, tenant=company)
            report = assistant.ingest_history([to_history(r) for r in history], tenant=company)
            ingest_s += time.perf_counter() - started
            norm = {a.id: normalize_url(a.url or "") for a in kb}
            url_count = Counter(norm.values())
            past_docs = [linked_doc(r) for r in history]
            past_set = set(past_docs)
            popular = popularity_ranking(history, None)
            bm25 = _BM25Cache(history)
            bm25_articles = _ArticleBM25(kb)
            recipe.build(kb)
            conversations = [to_incoming(r) for r in incoming]
            queries = [c.latest_customer_text() for c in conversations]
            past_texts = [to_history(r).latest_customer_text() for r in history]
            titles = [a.title for a in kb]
            kb_ids = [a.id for a in kb]
            sims = {name: {"past": _similarities(e, queries, past_texts),
                           "articles": _similarities(e, queries, titles)}
                    for name, e in baseline_embedders.items()}
            ranks: dict[str, list[int | None]] = {m: [] for m in METHODS}
            url_ranks: list[int | None] = []
            for q, (raw, conversation, query) in enumerate(
                    zip(incoming, conversations, queries, strict=True)):
                expected = linked_doc(raw)  # = conversation.expected.doc_ids[0]
                t0 = time.perf_counter()
                suggestions = assistant.suggest(conversation, mode="composed", tenant=company)
                latencies.append((time.perf_counter() - t0) * 1000)
                predicted = _unique([a.doc_id for a in suggestions.articles])[:top]
                t0 = time.perf_counter()
                lc = recipe.ranking(query, top)
                recipe_latencies.append((time.perf_counter() - t0) * 1000)
                rankings = {
                    "replyassist": predicted,
                    "bm25_vote": bm25.ranking(query)[:top],
                    "most_used": popular[:top],
                    "knn_minilm": knn_vote(sims["minilm"]["past"][q], past_docs, popular, top),
                    "knn_use": knn_vote(sims["use"]["past"][q], past_docs, popular, top),
                    "bm25_articles": bm25_articles.ranking(query, top),
                    "dense_articles_use": dense_ranking(sims["use"]["articles"][q], kb_ids, top),
                    "dense_articles_minilm": dense_ranking(sims["minilm"]["articles"][q],
                                                           kb_ids, top),
                    "langchain_chroma": _unique(lc)[:top],
                }
                for method, ranking in rankings.items():
                    r = rank_of(expected, ranking)
                    ranks[method].append(r)
                    all_ranks[method].append(r)
                # Lenient: a predicted doc whose URL equals the expected one's (duplicates).
                target = norm.get(expected)
                url_rank = rank_of(target, [norm.get(d, d) for d in predicted]) if target \
                    else rank_of(expected, predicted)
                url_ranks.append(url_rank)
                all_url_ranks.append(url_rank)
                seen_in_history += expected in past_set
                ambiguous += bool(target and url_count[target] > 1)
            recipe.close()
            per_company[company] = {
                "history": len(history), "incoming": len(incoming), "articles": len(kb),
                "exchanges_ingested": report.added,
                "expected_seen_in_history": sum(linked_doc(r) in past_set for r in incoming),
                **{m: rank_metrics(ranks[m]) for m in METHODS},
                "replyassist_url_equivalent": rank_metrics(url_ranks),
            }
            if verbose:
                m = per_company[company]["replyassist"]
                print(f"  {company:<16} hist={len(history):>3} inc={len(incoming):>3} "
                      f"hit@1={m['hit@1']:.2f} hit@5={m['hit@5']:.2f}", file=sys.stderr)
    n_incoming = len(all_ranks["replyassist"])
    overall = {m: rank_metrics(all_ranks[m]) for m in METHODS}
    overall["replyassist_url_equivalent"] = rank_metrics(all_url_ranks)
    macro = {m: {k: sum(c[m][k] for c in per_company.values()) / max(len(per_company), 1)
                 for k in ("hit@1", "hit@5", "mrr")} for m in METHODS}
    h, d = HISTORY_SHARE, DEV_END
    return {
        "embedder": getattr(embedder, "name", type(embedder).__name__),
        "english_embedder": (getattr(english_embedder, "name", type(english_embedder).__name__)
                             if english_embedder is not None else None),
        "split": split,
        "protocol": (f"per company, time order; dev: history [:{h:.0%}], incoming "
                     f"[{h:.0%}:{d:.0%}]; test: history [:{d:.0%}], incoming [{d:.0%}:]; "
                     "constants fitted on dev, reported on test"),
        "articles": top,
        "companies": len(per_company),
        "skipped_companies": skipped,
        "conversations": sum(c["history"] + c["incoming"] for c in per_company.values()),
        "history_conversations": sum(c["history"] for c in per_company.values()),
        "incoming_conversations": n_incoming,
        "expected_seen_in_history": seen_in_history,
        "upper_bound_seen_in_history": seen_in_history / n_incoming if n_incoming else 0.0,
        "expected_url_ambiguous": ambiguous,
        "overall_micro": overall,
        "overall_macro": macro,
        "per_company": per_company,
        "ingest_seconds": round(ingest_s, 2),
        "suggest_latency_ms": latency_summary(latencies),
        "langchain_search_latency_ms": latency_summary(recipe_latencies),
    }


def print_report(result: dict[str, Any]) -> None:
    top = result["articles"]
    print(f"\nTwitter customer care — article retrieval, split {result['split']} "
          f"(replyassist: {result['embedder']}, English embedder: "
          f"{result['english_embedder'] or 'none'}; top {top}, composed mode)")
    print(f"protocol: {result['protocol']}")
    print(f"companies: {result['companies']} (skipped, empty part: "
          f"{len(result['skipped_companies'])})   conversations: {result['conversations']} "
          f"(history {result['history_conversations']}, incoming "
          f"{result['incoming_conversations']})")
    n = result["incoming_conversations"]
    print(f"upper bound: expected doc seen in history: {result['expected_seen_in_history']}/{n} "
          f"({result['upper_bound_seen_in_history']:.1%}) — the most a history-only method "
          f"(popularity, kNN, BM25 vote) can reach at any k; expected URL shared with another "
          f"doc_id: {result['expected_url_ambiguous']}")
    labels = {**METHODS, "replyassist_url_equivalent": "replyassist, same-URL doc counts"}
    rows = []
    for key, label in labels.items():
        micro = result["overall_micro"][key]
        macro = result["overall_macro"].get(key)
        rows.append([label, micro["hit@1"], micro["hit@5"], micro["mrr"],
                     macro["hit@1"] if macro else None, macro["hit@5"] if macro else None,
                     macro["mrr"] if macro else None])
    note = f"; top {top}, so hit@5 = hit@{top}" if top < 5 else f"; top {top}"
    print_table(["method", "hit@1", "hit@5", "MRR", "macro hit@1", "macro hit@5", "macro MRR"],
                rows, title=f"Overall (micro over {n} incoming; macro = mean over companies"
                            f"{note})")
    rows = []
    for company, c in result["per_company"].items():
        rows.append([company, c["history"], c["incoming"], c["articles"],
                     c["expected_seen_in_history"], c["replyassist"]["hit@1"],
                     c["replyassist"]["hit@5"],
                     *(c[m]["mrr"] for m in METHODS)])
    print_table(["company", "hist", "inc", "docs", "seen", "RA@1", "RA@5",
                 *(f"{SHORT[m]} MRR" for m in METHODS)], rows,
                title="Per company (" + ", ".join(f"{SHORT[m]} = {METHODS[m]}" for m in METHODS)
                      + "; seen = incoming whose doc_id is in the history)", digits=2)
    lat = result["suggest_latency_ms"]
    lc = result["langchain_search_latency_ms"]
    print(f"\ningest (all companies): {result['ingest_seconds']:.1f} s; suggest latency: "
          f"p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms, mean {lat['mean']:.1f} ms; "
          f"LangChain similarity_search: p50 {lc['p50']:.1f} ms, p95 {lc['p95']:.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="folder of ibm_twitter_cdp")
    parser.add_argument("--split", default="test", choices=SPLITS,
                        help="dev: fit constants here; test (default): report here")
    parser.add_argument("--articles", type=int, default=TOP_K, metavar="N",
                        help="top N articles of replyassist and of every baseline (default 5)")
    parser.add_argument("--embedder", default="use-multilingual", choices=EMBEDDER_CHOICES)
    parser.add_argument("--english-embedder", default="minilm", choices=("minilm", "none"),
                        help="replyassist's model for English knowledge and history")
    parser.add_argument("--limit-companies", type=int, default=None,
                        help="only the N companies with the most conversations")
    parser.add_argument("--min-conversations", type=int, default=2,
                        help="skip companies with fewer conversations")
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args(argv)
    if args.articles < 1:
        parser.error("--articles must be >= 1")
    quiet()
    models = {"use-multilingual": load_embedder("use-multilingual"),
              "minilm": load_embedder("minilm")}
    for model in models.values():
        warm_embedder(model)
    embedder = models[args.embedder]
    english = models["minilm"] if args.english_embedder == "minilm" else None
    with Stopwatch() as sw:
        result = run_twitter_retrieval(
            args.data, embedder, split=args.split, articles=args.articles,
            english_embedder=english,
            baseline_embedders={"minilm": models["minilm"], "use": models["use-multilingual"]},
            limit_companies=args.limit_companies, min_conversations=args.min_conversations)
    result["seconds"] = round(sw.seconds, 1)
    print_report(result)
    print(f"total run: {sw.seconds:.1f} s")
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
