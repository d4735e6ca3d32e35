"""Which embedder: multilingual USE v3 or English MiniLM? Dense retrieval, FR/EN, speed.

(a) Pure dense retrieval (cosine between the query and each article's ``title + body``
    embedding, no BM25, no fusion) of the sample queries (``evals/data/sample_queries.jsonl``)
    against the bundled sample KB (32 articles, each in French and English). Index
    variants: French-only, English-only and mixed articles; a query hits when one of its
    expected doc_ids that is in the index is ranked within k.
(b) Optional (``--twitter``): the Twitter article-retrieval evaluation for each embedder
    (``evals.twitter_retrieval``, full pipeline).
(c) Embedding throughput (texts/s) on 500 sample texts, after the model is loaded.

    python -m evals.embedder_choice [--twitter /work/shared/data/ibm_twitter_cdp]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the ``evals`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import evals  # noqa: F401  (offline environment, see evals/__init__.py)

import numpy as np

from evals._common import (
    EMBEDDER_CHOICES,
    EVALS_DATA,
    load_embedder,
    print_table,
    quiet,
    rank_metrics,
    rank_of,
    warm_embedder,
    write_json,
)
from kb_ingest import Chunker, load_articles
from replyassist.models import KnowledgeArticle
from replyassist.sample import sample_path

# (label, query language, index: article languages)
SETTINGS = [
    ("FR query → FR articles", "fr", ("fr",)),
    ("FR query → EN articles (cross-lingual)", "fr", ("en",)),
    ("EN query → EN articles", "en", ("en",)),
    ("EN query → FR articles (cross-lingual)", "en", ("fr",)),
    ("FR query → mixed FR+EN", "fr", ("fr", "en")),
    ("EN query → mixed FR+EN", "en", ("fr", "en")),
    ("all queries → mixed FR+EN", None, ("fr", "en")),
]


def sample_articles() -> list[KnowledgeArticle]:
    articles = []
    for record in load_articles(sample_path("kb")):
        if record.error is not None:
            raise record.error
        assert record.value is not None
        articles.append(record.value)
    return articles


def load_queries(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def dense_retrieval(embedder: Any, articles: list[KnowledgeArticle],
                    queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """hit@1/hit@5/MRR per setting, article vectors = embed(title + "\\n" + body)."""
    doc_vectors = embedder.encode([f"{a.title}\n{a.body}" for a in articles])
    query_vectors = embedder.encode([q["text"] for q in queries])
    rows = []
    for label, query_language, index_languages in SETTINGS:
        keep = [i for i, a in enumerate(articles) if a.language in index_languages]
        ids = [articles[i].id for i in keep]
        ranks: list[int | None] = []
        same_language_ranks: list[int | None] = []
        for qi, query in enumerate(queries):
            if query_language and query["language"] != query_language:
                continue
            expected = [d for d in query["doc_ids"] if d in ids]
            if not expected:
                continue
            scores = doc_vectors[keep] @ query_vectors[qi]
            ranked = [ids[j] for j in np.argsort(-scores, kind="stable")]
            ranks.append(rank_of(expected, ranked))
            same = [d for d in expected if d.endswith(f"-{query['language']}")]
            if len(index_languages) > 1 and same:
                same_language_ranks.append(rank_of(same, ranked))
        row = {"setting": label, "articles": len(keep), **rank_metrics(ranks)}
        if same_language_ranks:
            row["same_language_hit@1"] = rank_metrics(same_language_ranks)["hit@1"]
        rows.append(row)
    return rows


def throughput_texts(n: int = 500) -> list[str]:
    """``n`` distinct sample texts: history messages, queries, KB chunks (in that order)."""
    texts: list[str] = []
    history = sample_path("history.jsonl")
    if history.exists():
        for line in history.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.extend(m["text"] for m in json.loads(line)["messages"])
    texts.extend(q["text"] for q in load_queries(EVALS_DATA / "sample_queries.jsonl"))
    chunker = Chunker()
    for article in sample_articles():
        texts.extend(c.embedding_text(article.title) for c in chunker.split(article))
    unique = list(dict.fromkeys(t for t in texts if t.strip()))
    while len(unique) < n:  # not enough sample text: vary it
        unique.extend(f"{t} ({len(unique) + i})" for i, t in enumerate(unique[: n - len(unique)]))
    return unique[:n]


def throughput(embedder: Any, texts: list[str], repeats: int = 2) -> dict[str, float]:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        embedder.encode(texts)
        best = min(best, time.perf_counter() - started)
    return {"texts": len(texts), "seconds": best, "texts_per_s": len(texts) / best}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--embedders", nargs="+", default=list(EMBEDDER_CHOICES),
                        choices=EMBEDDER_CHOICES)
    parser.add_argument("--queries", default=str(EVALS_DATA / "sample_queries.jsonl"))
    parser.add_argument("--twitter", help="ibm_twitter_cdp folder: also run the Twitter eval")
    parser.add_argument("--limit-companies", type=int, default=None,
                        help="Twitter eval: only the N largest companies")
    parser.add_argument("--throughput-texts", type=int, default=500)
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args(argv)
    quiet()

    articles = sample_articles()
    queries = load_queries(Path(args.queries))
    texts = throughput_texts(args.throughput_texts)
    results: dict[str, Any] = {"articles": len(articles), "queries": len(queries),
                               "embedders": {}}
    for name in args.embedders:
        embedder = load_embedder(name)
        load_s = warm_embedder(embedder)
        entry: dict[str, Any] = {"name": embedder.name, "dimension": embedder.dimension,
                                 "load_seconds": load_s}
        entry["dense"] = dense_retrieval(embedder, articles, queries)
        entry["throughput"] = throughput(embedder, texts)
        if args.twitter:
            from evals.twitter_retrieval import run_twitter_retrieval

            twitter = run_twitter_retrieval(args.twitter, embedder,
                                            limit_companies=args.limit_companies,
                                            verbose=False)
            entry["twitter"] = {k: twitter[k] for k in (
                "companies", "incoming_conversations", "overall_micro", "overall_macro",
                "suggest_latency_ms", "ingest_seconds")}
        results["embedders"][name] = entry
        print(f"[{name}] done", file=sys.stderr)

    names = list(results["embedders"])
    print(f"\n(a) Dense retrieval on the sample KB ({len(articles)} articles FR+EN, "
          f"{len(queries)} queries): cosine over title+body embeddings, nothing else")
    rows = []
    for i, (label, _, _) in enumerate(SETTINGS):
        row: list[Any] = [label, results["embedders"][names[0]]["dense"][i]["n"]]
        for name in names:
            d = results["embedders"][name]["dense"][i]
            row += [d["hit@1"], d["hit@5"], d["mrr"]]
        rows.append(row)
    headers = ["setting", "queries"] + [f"{n} {m}" for n in names for m in ("@1", "@5", "MRR")]
    print_table(headers, rows)
    mixed = [results["embedders"][n]["dense"][-1].get("same_language_hit@1") for n in names]
    print("mixed index, top-1 is the article in the query's own language: "
          + ", ".join(f"{n} {v:.3f}" for n, v in zip(names, mixed, strict=True) if v is not None))

    if args.twitter:
        rows = []
        for name in names:
            t = results["embedders"][name]["twitter"]
            for method in ("replyassist", "bm25_vote", "most_used"):
                m = t["overall_micro"][method]
                rows.append([name, method, t["incoming_conversations"], m["hit@1"], m["hit@5"],
                             m["mrr"]])
        print_table(["embedder", "method", "incoming", "hit@1", "hit@5", "MRR"], rows,
                    title="(b) Twitter article retrieval (full pipeline, per-company tenants; "
                          "baselines do not use the embedder)")

    rows = [[n, results["embedders"][n]["name"], results["embedders"][n]["dimension"],
             results["embedders"][n]["load_seconds"],
             results["embedders"][n]["throughput"]["texts_per_s"]] for n in names]
    print_table(["embedder", "model", "dims", "load s", "texts/s"], rows,
                title=f"(c) Embedding throughput on {len(texts)} sample texts "
                      f"(best of 2, model loaded)", digits=1)
    write_json(args.out, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
