"""English article retrieval on Banking77, replyassist next to baselines; a FR/EN sample check.

Banking77 (``train.csv`` / ``test.csv``: ``text,category``; 77 categories) becomes a bank's
help centre and its past tickets (tenant ``bank``, channel ``chat``, language ``en``):

- knowledge base: one article per category; id = the category, title = the category in
  words, capitalised (``card_arrival`` → "Card arrival"), url =
  ``https://help.bank.example/articles/<category>``. **The dataset has no article text**,
  so the body is the title: article-side retrieval only has a few words per article.
- past exchanges ("history"): one conversation per labelled row, customer message = the
  text, agent answer = ``"Please see <url>"`` (the ingest records the link to the article);
- incoming: the customer message only; expected = the row's category.

Splits (Banking77 has no timestamps): ``train.csv`` shuffled with ``random.Random(77)``;
``--split dev``: the first 80 % is history, the last 20 % the queries; ``--split test``:
history = all of ``train.csv``, queries = ``test.csv``. Constants (weights, thresholds) are
fitted on dev and reported on test; never tune on test.

Two settings, both printed: (1) "KB only": the articles alone, no past tickets; (2) "KB +
history": the articles and the past exchanges. In each: hit@1, hit@5 and MRR of the
expected article among the top N (``--articles``, default 5) of
``suggest(..., mode="composed").articles``, next to baselines on the same queries:

- popularity: the N articles most linked in history (setting 2);
- kNN vote over past exchanges (MiniLM, and USE): the 10 most similar past customer
  messages (cosine) vote for their article with weight ``similarity ** 3`` (setting 2);
- BM25 (bm25s, ``replyassist.retrieval.tokenize``) over the articles' title + body; BM25
  vote over past exchanges: the 10 best, weight ``1 / rank`` (setting 2);
- dense only over the articles: cosine with ``title + "\\n" + body`` (USE, and MiniLM);
- "LangChain recipe": ``langchain_chroma.Chroma.from_documents`` over the articles with
  the MiniLM embedder, then ``similarity_search(query, k=N)``; in setting 2 also the recipe
  over past exchanges (documents = past customer texts, metadata = article), voting as
  the kNN baseline. The recipe's MiniLM vectors are computed in batch and cached on disk
  (``evals._common.embed_cached``): same model, same vectors, a much faster run.

Article-only baselines do not use history: their figures are the same in both settings.
replyassist runs with ``use-multilingual`` as its embedder and, unless
``--english-embedder none``, MiniLM as ``english_embedder`` (the model for English
knowledge and history). The response library is not mined on ingest (it does not take
part in article retrieval). Also printed: ingest throughput (texts/s, KB and history) and
the p50/p95 latency of the suggest calls (after one untimed warm-up call per setting).
The first run embeds the texts with MiniLM and USE for the baselines and caches the
vectors on disk (``$REPLYASSIST_EVAL_CACHE``, default ``~/.cache/replyassist-evals``);
later runs of the test split take about 3 minutes on 2 cores.

``--sample`` (no Banking77 needed): cross-language check on the bundled sample KB (each
article in French and English, ``kb-<topic>-fr`` / ``kb-<topic>-en``) with
``evals/data/sample_queries.jsonl``, through ``suggest`` (KB only, tenant ``sample``),
separately for FR and EN queries: (i) mixed KB: hit@1/hit@5 and the share of top-1
articles in the customer's language; (ii) only the other language's articles: an article
must still be offered (hit@5); (iii) only the customer's language.

    python -m evals.article_retrieval --data /work/shared/data/banking77 --split dev
    python -m evals.article_retrieval --data /work/shared/data/banking77 --split test \\
        [--articles 5] [--limit N] [--english-embedder minilm|none] [--out results.json]
    python -m evals.article_retrieval --sample [--data ...]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the ``evals`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import evals  # noqa: F401  (offline environment, see evals/__init__.py)

import bm25s
import numpy as np
from langchain_core.embeddings import Embeddings

from evals._common import (
    EVALS_DATA,
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
from replyassist.models import Conversation, KnowledgeArticle
from replyassist.retrieval import tokenize

TENANT = "bank"
CHANNEL = "chat"
URL_PREFIX = "https://help.bank.example/articles/"
SPLIT_SEED = 77  # random.Random(77) shuffles train.csv
HISTORY_SHARE = 0.8  # dev split: first 80 % of the shuffled train.csv is history
LIMIT_SEED = 7  # --limit: which queries are kept
TOP_K = 5
KNN_NEIGHBOURS = 10
KNN_POWER = 3  # vote weight = cosine ** 3
SAMPLE_TENANT = "sample"
SAMPLE_DEFAULT_LANGUAGE = "fr"  # the sample brand is French (the Settings default)
KS = (1, 5)


# ------------------------------------------------------------------ data
@dataclass(frozen=True)
class Example:
    text: str
    category: str


@dataclass
class BankingSplit:
    split: str
    articles: list[KnowledgeArticle]
    history: list[Example]
    queries: list[Example]


def read_examples(path: Path) -> list[Example]:
    """``text,category`` rows of a Banking77 CSV (blank texts skipped)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [Example(row["text"].strip(), row["category"].strip())
                for row in csv.DictReader(handle) if row["text"].strip()]


def category_title(category: str) -> str:
    """``card_arrival`` → ``Card arrival``."""
    return category.replace("_", " ").strip().capitalize()


def article_url(category: str) -> str:
    return f"{URL_PREFIX}{category}"


def build_articles(categories: Iterable[str]) -> list[KnowledgeArticle]:
    """One help-centre article per category; body = title (the dataset has no text)."""
    articles = []
    for category in categories:
        title = category_title(category)
        articles.append(KnowledgeArticle(id=category, title=title, body=title,
                                         url=article_url(category), language="en"))
    return articles


def split_train(train: Sequence[Example], share: float = HISTORY_SHARE,
                seed: int = SPLIT_SEED) -> tuple[list[Example], list[Example]]:
    """(history, dev): ``train`` shuffled with ``random.Random(seed)``, cut at ``share``."""
    shuffled = list(train)
    random.Random(seed).shuffle(shuffled)
    cut = int(len(shuffled) * share)
    return shuffled[:cut], shuffled[cut:]


def subsample(queries: Sequence[Example], limit: int | None,
              seed: int = LIMIT_SEED) -> list[Example]:
    """At most ``limit`` queries, chosen deterministically, in their original order."""
    if not limit or limit >= len(queries):
        return list(queries)
    keep = sorted(random.Random(seed).sample(range(len(queries)), limit))
    return [queries[i] for i in keep]


def load_banking(data_dir: str | Path, split: str = "dev",
                 limit: int | None = None) -> BankingSplit:
    root = Path(data_dir)
    categories = json.loads((root / "categories.json").read_text(encoding="utf-8"))
    train = read_examples(root / "train.csv")
    if split == "dev":
        history, queries = split_train(train)
    elif split == "test":
        history, queries = list(train), read_examples(root / "test.csv")
    else:
        raise ValueError(f"unknown split {split!r} (dev | test)")
    return BankingSplit(split, build_articles(categories), history, subsample(queries, limit))


def history_conversation(index: int, example: Example, tenant: str = TENANT) -> Conversation:
    """A past ticket: the customer's message, then the agent's link to the article."""
    return Conversation.model_validate({
        "id": f"{tenant}-history-{index}", "tenant": tenant, "channel": CHANNEL,
        "messages": [{"role": "customer", "text": example.text},
                     {"role": "agent", "text": f"Please see {article_url(example.category)}"}]})


def incoming_conversation(index: int, text: str, tenant: str = TENANT) -> Conversation:
    return Conversation.model_validate({
        "id": f"{tenant}-incoming-{index}", "tenant": tenant, "channel": CHANNEL,
        "messages": [{"role": "customer", "text": text}]})


def article_text(article: KnowledgeArticle) -> str:
    return f"{article.title}\n{article.body}"


# ------------------------------------------------------------------ baselines
def ranked_votes(votes: dict[str, float], top: int) -> list[str]:
    """Labels by decreasing vote (ties: alphabetical), at most ``top``."""
    return [label for label, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))][:top]


def popularity_ranking(history: Sequence[Example], top: int = TOP_K) -> list[str]:
    return [label for label, _ in Counter(e.category for e in history).most_common(top)]


def top_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Per row, the column indices of the ``k`` highest scores, best first."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def knn_vote_rankings(query_vectors: np.ndarray, history_vectors: np.ndarray,
                      labels: Sequence[str], *, top: int = TOP_K,
                      neighbours: int = KNN_NEIGHBOURS, power: int = KNN_POWER,
                      batch: int = 512) -> list[list[str]]:
    """kNN vote: the ``neighbours`` most similar past messages (cosine of unit rows) vote
    for their label with weight ``max(similarity, 0) ** power``."""
    rankings: list[list[str]] = []
    for start in range(0, len(query_vectors), batch):
        scores = query_vectors[start:start + batch] @ history_vectors.T
        best = top_indices(scores, neighbours)
        for row, indices in enumerate(best):
            votes: dict[str, float] = defaultdict(float)
            for index in indices:
                votes[labels[int(index)]] += max(float(scores[row, index]), 0.0) ** power
            rankings.append(ranked_votes(votes, top))
    return rankings


def dense_rankings(query_vectors: np.ndarray, doc_vectors: np.ndarray, ids: Sequence[str],
                   top: int = TOP_K) -> list[list[str]]:
    """Cosine over unit rows: the ``top`` closest ids per query."""
    best = top_indices(query_vectors @ doc_vectors.T, top)
    return [[ids[int(i)] for i in row] for row in best]


class BM25Ranker:
    """BM25 over ``texts``; each text carries a label (its own id for articles, the linked
    article for past exchanges)."""

    def __init__(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        self.labels = list(labels)
        self.index = bm25s.BM25()
        self.index.index([tokenize(t) or ["_"] for t in texts], show_progress=False)

    def _hits(self, query: str, k: int) -> list[tuple[str, float]]:
        tokens = tokenize(query)
        if not tokens or not self.labels:
            return []
        docs, scores = self.index.retrieve([tokens], k=min(k, len(self.labels)),
                                           show_progress=False, n_threads=0)
        return [(self.labels[int(i)], float(s))
                for i, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def ranking(self, query: str, top: int = TOP_K) -> list[str]:
        """Labels of the best texts (one text per label: the article baseline)."""
        return list(dict.fromkeys(label for label, _ in self._hits(query, top)))[:top]

    def vote(self, query: str, top: int = TOP_K, neighbours: int = KNN_NEIGHBOURS) -> list[str]:
        """The ``neighbours`` best texts vote for their label with weight ``1 / rank``."""
        votes: dict[str, float] = defaultdict(float)
        for rank, (label, _) in enumerate(self._hits(query, neighbours), start=1):
            votes[label] += 1.0 / rank
        return ranked_votes(votes, top)


class PrecomputedEmbeddings(Embeddings):
    """A LangChain embedder answering from vectors already computed by ``inner`` (in
    batch, cached on disk); any other text is embedded by ``inner``."""

    def __init__(self, inner: Any, vectors: dict[str, np.ndarray]) -> None:
        self.inner = inner
        self.vectors = vectors

    def _one(self, text: str) -> list[float]:
        found = self.vectors.get(text)
        return found.tolist() if found is not None else list(self.inner.embed_query(text))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._one(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._one(text)


def _recipe_store(documents: list[Any], embeddings: Embeddings, name: str) -> Any:
    import chromadb
    from langchain_chroma import Chroma

    return Chroma.from_documents(documents, embedding=embeddings, collection_name=name,
                                 client=chromadb.EphemeralClient())


def recipe_article_rankings(articles: Sequence[KnowledgeArticle], queries: Sequence[str],
                            embeddings: Embeddings, top: int = TOP_K) -> list[list[str]]:
    """The LangChain recipe: Chroma.from_documents over the articles, similarity_search."""
    from langchain_core.documents import Document

    documents = [Document(page_content=article_text(a), metadata={"id": a.id})
                 for a in articles]
    store = _recipe_store(documents, embeddings, "recipe")
    try:
        return [[d.metadata["id"] for d in store.similarity_search(q, k=top)] for q in queries]
    finally:
        store.delete_collection()  # the ephemeral client is shared within the process


def recipe_history_rankings(history: Sequence[Example], queries: Sequence[str],
                            embeddings: Embeddings, top: int = TOP_K,
                            neighbours: int = KNN_NEIGHBOURS,
                            power: int = KNN_POWER) -> list[list[str]]:
    """The recipe over past customer messages (metadata = article), kNN vote as above.
    Chroma's default space is squared L2: on unit vectors, cosine = 1 - distance / 2."""
    from langchain_core.documents import Document

    documents = [Document(page_content=e.text, metadata={"article": e.category})
                 for e in history]
    store = _recipe_store(documents, embeddings, "recipe-history")
    try:
        rankings = []
        for query in queries:
            votes: dict[str, float] = defaultdict(float)
            for doc, distance in store.similarity_search_with_score(query, k=neighbours):
                votes[doc.metadata["article"]] += max(1.0 - distance / 2.0, 0.0) ** power
            rankings.append(ranked_votes(votes, top))
        return rankings
    finally:
        store.delete_collection()


# ------------------------------------------------------------------ replyassist
@dataclass
class AssistantRun:
    """Rankings and timings of replyassist on one split."""

    rankings: dict[str, list[list[str]]] = field(default_factory=dict)  # setting → per query
    latency_ms: dict[str, dict[str, float]] = field(default_factory=dict)
    ingest: dict[str, dict[str, float]] = field(default_factory=dict)


def suggest_rankings(assistant: Any, conversations: Sequence[Conversation], tenant: str,
                     top: int) -> tuple[list[list[str]], list[float]]:
    """Article ids suggested for each conversation, and each call's latency in ms (after
    one untimed warm-up call: the first call builds the lexical indexes)."""
    if conversations:
        assistant.suggest(conversations[0], mode="composed", tenant=tenant)
    rankings, latencies = [], []
    for conversation in conversations:
        started = time.perf_counter()
        suggestions = assistant.suggest(conversation, mode="composed", tenant=tenant)
        latencies.append((time.perf_counter() - started) * 1000)
        rankings.append([a.doc_id for a in suggestions.articles][:top])
    return rankings, latencies


def _ingest_figures(texts: int, seconds: float, report: Any) -> dict[str, float]:
    return {"texts": texts, "added": report.added, "chunks": report.chunks,
            "seconds": round(seconds, 3), "texts_per_s": texts / seconds if seconds else 0.0}


def run_assistant(data: BankingSplit, embedder: Any, english_embedder: Any, *,
                  top: int = TOP_K, **settings: Any) -> AssistantRun:
    """replyassist on ``data``: KB only, then KB + history (same store, same tenant)."""
    incoming = [incoming_conversation(i, q.text) for i, q in enumerate(data.queries)]
    history = [history_conversation(i, e) for i, e in enumerate(data.history)]
    settings.setdefault("library_mine_on_ingest", False)
    run = AssistantRun()
    with temp_store() as (store, _):
        assistant = make_assistant(store, embedder, top_articles=top, default_language="en",
                                   english_embedder=english_embedder, **settings)
        try:
            with Stopwatch() as sw:
                report = assistant.ingest_kb(data.articles, tenant=TENANT)
            run.ingest["kb"] = _ingest_figures(len(data.articles), sw.seconds, report)
            run.rankings["kb"], latencies = suggest_rankings(assistant, incoming, TENANT, top)
            run.latency_ms["kb"] = latency_summary(latencies)
            with Stopwatch() as sw:
                report = assistant.ingest_history(history, tenant=TENANT)
            run.ingest["history"] = _ingest_figures(len(history), sw.seconds, report)
            run.rankings["kb+history"], latencies = suggest_rankings(assistant, incoming,
                                                                     TENANT, top)
            run.latency_ms["kb+history"] = latency_summary(latencies)
        finally:
            assistant.close()
    return run


# ------------------------------------------------------------------ evaluation
SETTING_LABELS = {"kb": "(1) KB only (no past tickets)",
                  "kb+history": "(2) KB + history (past exchanges link their article)"}
METHOD_LABELS = {
    "replyassist": "replyassist suggest()",
    "popularity": "popularity (most linked in history)",
    "knn_minilm": "kNN vote, MiniLM (10 nearest, sim^3)",
    "knn_use": "kNN vote, USE (10 nearest, sim^3)",
    "bm25_vote": "BM25 vote over past exchanges",
    "recipe_history": "LangChain recipe over past exchanges",
    "bm25_articles": "BM25 over articles",
    "dense_use_articles": "dense USE over articles",
    "dense_minilm_articles": "dense MiniLM over articles",
    "recipe_articles": "LangChain recipe over articles",
}
ARTICLE_METHODS = ("bm25_articles", "dense_use_articles", "dense_minilm_articles",
                   "recipe_articles")
HISTORY_METHODS = ("popularity", "knn_minilm", "knn_use", "bm25_vote", "recipe_history")


def embed_split(embedder: Any, data: BankingSplit) -> dict[str, np.ndarray]:
    """Unit vectors of the queries, past customer messages and articles (disk cache)."""
    return {"queries": embed_cached(embedder, [q.text for q in data.queries]),
            "past": embed_cached(embedder, [e.text for e in data.history]),
            "articles": embed_cached(embedder, [article_text(a) for a in data.articles])}


def recipe_embeddings(embedder: Any, data: BankingSplit,
                      vectors: dict[str, np.ndarray]) -> Embeddings:
    """``embedder`` for the recipe, answering from ``vectors`` (see :func:`embed_split`)."""
    texts = {"queries": [q.text for q in data.queries], "past": [e.text for e in data.history],
             "articles": [article_text(a) for a in data.articles]}
    table: dict[str, np.ndarray] = {}
    for part, part_texts in texts.items():
        table.update(zip(part_texts, vectors[part], strict=True))
    return PrecomputedEmbeddings(embedder, table)


def baseline_rankings(data: BankingSplit, embedders: dict[str, Any], recipe_embedder: Any,
                      top: int = TOP_K, seconds: dict[str, float] | None = None
                      ) -> dict[str, list[list[str]]]:
    """Every baseline's top-``top`` article ids per query (see module doc).
    ``embedders``: ``{"use": ..., "minilm": ...}``; ``recipe_embedder``: the LangChain
    recipe's model (MiniLM); ``seconds``: filled with the time of each step."""
    seconds = seconds if seconds is not None else {}
    queries = [q.text for q in data.queries]
    labels = [e.category for e in data.history]
    ids = [a.id for a in data.articles]
    out: dict[str, list[list[str]]] = {}
    popular = popularity_ranking(data.history, top)
    out["popularity"] = [popular for _ in queries]
    for name, embedder in embedders.items():
        with Stopwatch() as sw:
            v = embed_split(embedder, data)
            out[f"knn_{name}"] = knn_vote_rankings(v["queries"], v["past"], labels, top=top)
            out[f"dense_{name}_articles"] = dense_rankings(v["queries"], v["articles"], ids, top)
        seconds[f"embed+dense {name}"] = round(sw.seconds, 1)
    with Stopwatch() as sw:
        bm25_history = BM25Ranker([e.text for e in data.history], labels)
        out["bm25_vote"] = [bm25_history.vote(q, top) for q in queries]
        bm25_articles = BM25Ranker([article_text(a) for a in data.articles], ids)
        out["bm25_articles"] = [bm25_articles.ranking(q, top) for q in queries]
    seconds["bm25"] = round(sw.seconds, 1)
    with Stopwatch() as sw:
        # the kNN baseline's texts: read back from the disk cache when it is the same model
        recipe = recipe_embeddings(recipe_embedder, data, embed_split(recipe_embedder, data))
        out["recipe_articles"] = recipe_article_rankings(data.articles, queries, recipe, top)
        out["recipe_history"] = recipe_history_rankings(data.history, queries, recipe, top)
    seconds["langchain recipe"] = round(sw.seconds, 1)
    return out


def score(rankings: Sequence[Sequence[str]], expected: Sequence[str],
          top: int = TOP_K) -> dict[str, float]:
    ranks = [rank_of(e, list(r)[:top]) for r, e in zip(rankings, expected, strict=True)]
    return rank_metrics(ranks, KS)


def run_banking(data: BankingSplit, embedder: Any, english_embedder: Any,
                baseline_embedders: dict[str, Any], recipe_embedder: Any, *,
                top: int = TOP_K, **settings: Any) -> dict[str, Any]:
    """replyassist and the baselines on ``data``; returns metrics per setting."""
    expected = [q.category for q in data.queries]
    with Stopwatch() as sw_assistant:
        run = run_assistant(data, embedder, english_embedder, top=top, **settings)
    baseline_seconds: dict[str, float] = {}
    with Stopwatch() as sw_baselines:
        baselines = baseline_rankings(data, baseline_embedders, recipe_embedder, top,
                                      baseline_seconds)
    article_scores = {m: score(baselines[m], expected, top) for m in ARTICLE_METHODS}
    settings_out: dict[str, dict[str, Any]] = {
        "kb": {"replyassist": score(run.rankings["kb"], expected, top), **article_scores},
        "kb+history": {"replyassist": score(run.rankings["kb+history"], expected, top),
                       **{m: score(baselines[m], expected, top) for m in HISTORY_METHODS},
                       **article_scores},
    }
    seen = {e.category for e in data.history}
    return {
        "split": data.split, "top": top, "articles": len(data.articles),
        "history": len(data.history), "queries": len(data.queries),
        "queries_whose_article_is_in_history": sum(e in seen for e in expected),
        "embedder": _name(embedder), "english_embedder": _name(english_embedder),
        "settings": settings_out, "suggest_latency_ms": run.latency_ms, "ingest": run.ingest,
        "seconds": {"replyassist": round(sw_assistant.seconds, 1),
                    "baselines": round(sw_baselines.seconds, 1), **baseline_seconds},
    }


def _name(embedder: Any) -> str | None:
    return None if embedder is None else getattr(embedder, "name", type(embedder).__name__)


def print_banking(result: dict[str, Any]) -> None:
    print(f"\nBanking77 — English article retrieval, split {result['split']} "
          f"(top {result['top']}, composed mode)")
    print(f"articles: {result['articles']} (body = title: no article text)   history: "
          f"{result['history']}   queries: {result['queries']} (whose article is linked in "
          f"history: {result['queries_whose_article_is_in_history']})")
    print(f"replyassist: embedder {result['embedder']}, english_embedder "
          f"{result['english_embedder'] or 'none'}")
    for setting, methods in result["settings"].items():
        rows = [[METHOD_LABELS[m], v["hit@1"], v["hit@5"], v["mrr"]] for m, v in methods.items()]
        print_table(["method", "hit@1", "hit@5", "MRR"], rows, title=SETTING_LABELS[setting])
    ingest = result["ingest"]
    print(f"\ningest: KB {ingest['kb']['texts']} articles in {ingest['kb']['seconds']:.2f} s "
          f"({ingest['kb']['texts_per_s']:.0f} texts/s); history "
          f"{ingest['history']['texts']} conversations ({ingest['history']['added']} "
          f"exchanges) in {ingest['history']['seconds']:.1f} s "
          f"({ingest['history']['texts_per_s']:.0f} texts/s)")
    for setting, lat in result["suggest_latency_ms"].items():
        print(f"suggest latency, {SETTING_LABELS[setting].split(' (')[0]}: p50 "
              f"{lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms, mean {lat['mean']:.1f} ms "
              f"({lat['n']} calls)")
    seconds = result["seconds"]
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()
                      if k not in ("replyassist", "baselines"))
    print(f"time: replyassist {seconds['replyassist']:.1f} s, baselines "
          f"{seconds['baselines']:.1f} s ({steps})")


# ------------------------------------------------------------------ sample (FR/EN)
SAMPLE_INDEXES = ("mixed", "fr", "en")


def sample_conversation(query: dict[str, Any]) -> Conversation:
    return Conversation.model_validate({
        "id": query["id"], "tenant": SAMPLE_TENANT, "channel": CHANNEL,
        "messages": [{"role": "customer", "text": query["text"]}]})


def sample_index(articles: Sequence[KnowledgeArticle], index: str) -> list[KnowledgeArticle]:
    """``mixed``: every article; ``fr`` / ``en``: only that language's."""
    return list(articles) if index == "mixed" else [a for a in articles if a.language == index]


def other_language(language: str) -> str:
    return "en" if language == "fr" else "fr"


def run_sample_index(articles: list[KnowledgeArticle], queries: Sequence[dict[str, Any]],
                     embedder: Any, english_embedder: Any, *, top: int = TOP_K,
                     **settings: Any) -> list[list[str]]:
    """replyassist suggest over a KB of ``articles`` only: the article ids per query."""
    settings.setdefault("default_language", SAMPLE_DEFAULT_LANGUAGE)
    with temp_store() as (store, _):
        assistant = make_assistant(store, embedder, top_articles=top,
                                   english_embedder=english_embedder, **settings)
        try:
            assistant.ingest_kb(articles, tenant=SAMPLE_TENANT)
            rankings, _ = suggest_rankings(
                assistant, [sample_conversation(q) for q in queries], SAMPLE_TENANT, top)
        finally:
            assistant.close()
    return rankings


def sample_metrics(queries: Sequence[dict[str, Any]], rankings: Sequence[list[str]],
                   articles: Sequence[KnowledgeArticle], language: str,
                   top: int = TOP_K) -> dict[str, float]:
    """Metrics over the ``language`` queries; a hit = an acceptable article of the index;
    ``top1_same_language``: share of queries whose top-1 article is in their language."""
    in_index = {a.id: a.language for a in articles}
    ranks: list[int | None] = []
    same = 0
    for query, ranking in zip(queries, rankings, strict=True):
        if query["language"] != language:
            continue
        expected = [d for d in query["doc_ids"] if d in in_index]
        if not expected:
            continue
        ranks.append(rank_of(expected, ranking[:top]))
        same += bool(ranking) and in_index.get(ranking[0]) == language
    out = rank_metrics(ranks, KS)
    out["top1_same_language"] = same / len(ranks) if ranks else 0.0
    return out


def run_sample(embedder: Any, english_embedder: Any, *, top: int = TOP_K,
               articles: list[KnowledgeArticle] | None = None,
               queries: list[dict[str, Any]] | None = None,
               **settings: Any) -> dict[str, Any]:
    """The FR/EN check (see module doc): per query language, mixed / other / own KB."""
    from evals.embedder_choice import load_queries, sample_articles

    articles = articles if articles is not None else sample_articles()
    queries = queries if queries is not None else load_queries(
        EVALS_DATA / "sample_queries.jsonl")
    indexes = {name: sample_index(articles, name) for name in SAMPLE_INDEXES}
    rankings = {name: run_sample_index(kb, queries, embedder, english_embedder, top=top,
                                       **settings) for name, kb in indexes.items()}
    per_language: dict[str, dict[str, Any]] = {}
    for language in ("fr", "en"):
        views = {"mixed": "mixed", "other": other_language(language), "own": language}
        per_language[language] = {
            view: sample_metrics(queries, rankings[index], indexes[index], language, top)
            for view, index in views.items()}
    return {"articles": len(articles), "queries": len(queries), "top": top,
            "embedder": _name(embedder), "english_embedder": _name(english_embedder),
            "per_language": per_language}


def print_sample(result: dict[str, Any]) -> None:
    print(f"\nSample KB — cross-language check ({result['articles']} articles FR+EN, "
          f"{result['queries']} queries; replyassist suggest, KB only, top {result['top']})")
    print(f"replyassist: embedder {result['embedder']}, english_embedder "
          f"{result['english_embedder'] or 'none'}")
    rows = []
    for language, views in result["per_language"].items():
        other = other_language(language).upper()
        labels = {"mixed": f"{language.upper()} queries, (i) mixed FR+EN KB",
                  "other": f"{language.upper()} queries, (ii) {other}-only KB",
                  "own": f"{language.upper()} queries, (iii) {language.upper()}-only KB"}
        for view, label in labels.items():
            m = views[view]
            rows.append([label, m["n"], m["hit@1"], m["hit@5"], m["mrr"],
                         m["top1_same_language"] if view == "mixed" else None])
    print_table(["setting", "queries", "hit@1", "hit@5", "MRR", "top-1 in own language"], rows)


# ------------------------------------------------------------------ command line
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="folder of banking77 (train.csv, test.csv, "
                                       "categories.json)")
    parser.add_argument("--split", default="dev", choices=("dev", "test"))
    parser.add_argument("--articles", type=int, default=TOP_K, help="top N articles")
    parser.add_argument("--limit", type=int, default=None,
                        help="evaluate N queries only (deterministic subsample)")
    parser.add_argument("--english-embedder", default="minilm", choices=("minilm", "none"))
    parser.add_argument("--sample", action="store_true",
                        help="also (or, without --data, only) the FR/EN sample-KB check")
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args(argv)
    if not args.data and not args.sample:
        parser.error("give --data (Banking77) and/or --sample")
    return args


def _loaded(name: str) -> Any:
    embedder = load_embedder(name)
    warm_embedder(embedder)
    return embedder


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    quiet()
    use = _loaded("use-multilingual")
    minilm = _loaded("minilm")
    english = minilm if args.english_embedder == "minilm" else None
    results: dict[str, Any] = {}
    with Stopwatch() as sw:
        if args.data:
            data = load_banking(args.data, args.split, args.limit)
            results["banking77"] = run_banking(data, use, english,
                                               {"minilm": minilm, "use": use}, minilm,
                                               top=args.articles)
            print_banking(results["banking77"])
        if args.sample:
            results["sample"] = run_sample(use, english, top=args.articles)
            print_sample(results["sample"])
    results["seconds"] = round(sw.seconds, 1)
    print(f"\ntotal run: {sw.seconds:.1f} s")
    write_json(args.out, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
