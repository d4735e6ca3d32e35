"""Fit the package's default ranking (``src/replyassist/ranking/defaults.json``).

Tenants whose history is too thin to fit their own ranking use these defaults. They are
fitted on dev-split histories only, with the library's own fitting code (the same
features the online ranking computes, replayed in time order):

- IBM Twitter customer care: per company, the first 60 % of its conversations in time
  order (the history of the dev split of ``evals.twitter_retrieval``);
- Banking77: the first 80 % of the shuffled train.csv (the history of the dev split of
  ``evals.article_retrieval``).

Each dataset weighs the same in the fit, whatever its number of rows. The test splits
(later Twitter conversations; Banking77's test.csv) are never read here: the defaults
are reported on them by ``evals.twitter_retrieval --split test`` and
``evals.article_retrieval --split test``.

    python -m evals.fit_ranker --twitter /work/shared/data/ibm_twitter_cdp \\
        --banking /work/shared/data/banking77 [--write]
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the ``evals`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import evals  # noqa: F401  (offline environment, see evals/__init__.py)

import numpy as np

from evals._common import load_embedder, make_assistant, quiet, temp_store, warm_embedder
from evals.article_retrieval import history_conversation, load_banking
from evals.twitter_retrieval import (
    _customer_messages,
    company_articles,
    conversation_id,
    load_twitter,
    to_history,
)
from replyassist.ranking.features import ARTICLE_FEATURES, EXCHANGE_FEATURES
from replyassist.ranking.fit import RankingFitter, TrainingRows, fit_listwise
from replyassist.ranking.model import DEFAULTS_FILE, RouteRanking

ROUTES = ("primary", "english")
TEXT_FEATURES = ("dense", "title", "bm25")
HISTORY_FEATURES = ("vote", "vote_sim", "prior")
DEFAULTS_PATH = Path(__file__).resolve().parents[1] / "src" / "replyassist" / "ranking" / \
    DEFAULTS_FILE


def twitter_dev_histories(root: str) -> dict[str, tuple[list[Any], list[Any]]]:
    """company → (articles, history conversations of the dev split)."""
    data = load_twitter(root)
    by_company: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for raw in data.conversations:
        if _customer_messages(raw):
            by_company[raw["dialogHeader"]["company"]].append(raw)
    out = {}
    for company, convs in sorted(by_company.items()):
        convs.sort(key=lambda r: (r["dialogHeader"]["conversationDateTime"], conversation_id(r)))
        history = convs[:int(len(convs) * 0.6)]
        if history:
            out[company] = (company_articles(data, company), [to_history(r) for r in history])
    return out


def collect(assistant: Any, fitter: RankingFitter, tenant: str, articles: list[Any],
            history: list[Any]) -> dict[str, TrainingRows]:
    assistant.ingest_kb(articles, tenant=tenant)
    assistant.ingest_history(history, tenant=tenant)
    kb, stored = assistant.pipeline.collections(tenant)
    views = assistant.pipeline.views(tenant)
    rows = {}
    for route in ROUTES:
        if route == "english" and views.history_en is None:
            continue
        rows[route] = fitter.rows(kb, stored, views, route, cold=True)  # type: ignore[arg-type]
    return rows


def grouped(parts: list[TrainingRows], kind: str
            ) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[float], dict[str, int]]:
    """Training queries of ``parts`` (datasets), each dataset weighing the same."""
    groups: list[tuple[np.ndarray, np.ndarray]] = []
    weights: list[float] = []
    for part in parts:
        mine = part.groups(kind)
        groups += mine
        weights += [1.0 / max(len(mine), 1)] * len(mine)
    total = len(groups)
    weights = [w * total / len(parts) for w in weights]
    return groups, weights, {"queries": total,
                             "candidates": sum(len(y) for _, y in groups),
                             "positives": sum(int(y.sum()) for _, y in groups)}


def collect_all(args: argparse.Namespace) -> dict[str, dict[str, TrainingRows]]:
    """Training rows per dataset and route (ingests both dev histories)."""
    embedder, english = load_embedder("use-multilingual"), load_embedder("minilm")
    warm_embedder(embedder)
    datasets: dict[str, dict[str, TrainingRows]] = {}
    with temp_store() as (store, _):
        assistant = make_assistant(store, embedder, english_embedder=english,
                                   default_language="en", ranking_refit_on_ingest=False,
                                   library_mine_on_ingest=False)
        fitter = RankingFitter(assistant.pipeline.retriever, min_memory=3)
        twitter: dict[str, TrainingRows] = {route: TrainingRows() for route in ROUTES}
        for company, (docs, history) in twitter_dev_histories(args.twitter).items():
            for route, rows in collect(assistant, fitter, company, docs, history).items():
                twitter[route].extend(rows)
        datasets["twitter"] = twitter
        banking = load_banking(args.banking, "dev")
        datasets["banking77"] = collect(
            assistant, fitter, "bank", banking.articles,
            [history_conversation(i, e) for i, e in enumerate(banking.history)])
    return datasets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--twitter", required=True, help="folder of ibm_twitter_cdp")
    parser.add_argument("--banking", required=True, help="folder of banking77")
    parser.add_argument("--write", action="store_true", help=f"write {DEFAULTS_PATH}")
    parser.add_argument("--cache", help="keep the training rows in this file (re-runs read it)")
    args = parser.parse_args(argv)
    quiet()
    datasets = collect_all(args) if not (args.cache and Path(args.cache).exists()) else \
        pickle.loads(Path(args.cache).read_bytes())
    if args.cache:
        Path(args.cache).write_bytes(pickle.dumps(datasets))
    routes: dict[str, Any] = {}
    for route in ROUTES:
        parts = [d[route] for d in datasets.values() if route in d]
        # the text's weights are those of the model without history; the history's
        # evidence (votes, prior) is fitted on top, so that the defaults never learn to
        # ignore articles' text from help centres whose articles are bare titles
        groups, weights, c_info = grouped(parts, "cold")
        cold = fit_listwise(groups, ARTICLE_FEATURES, columns=TEXT_FEATURES, weights=weights)
        groups, weights, a_info = grouped(parts, "articles")
        articles = fit_listwise(groups, ARTICLE_FEATURES, base=cold, columns=HISTORY_FEATURES,
                                weights=weights)
        groups, weights, e_info = grouped(parts, "exchanges")
        exchanges = fit_listwise(groups, EXCHANGE_FEATURES, weights=weights)
        routes[route] = RouteRanking(articles=articles, exchanges=exchanges, cold_articles=cold,
                                     source="default", queries=sum(p.queries for p in parts))
        print(f"{route}: {sum(p.queries for p in parts)} queries; articles {a_info} "
              f"exchanges {e_info}")
        print("  article weights  ", dict(zip(ARTICLE_FEATURES, np.round(articles.weights, 2),
                                                strict=True)), round(articles.bias, 2))
        print("  cold (no history)", dict(zip(ARTICLE_FEATURES, np.round(cold.weights, 2),
                                                strict=True)), round(cold.bias, 2), c_info)
        print("  exchange weights ", dict(zip(EXCHANGE_FEATURES, np.round(exchanges.weights, 2),
                                                strict=True)), round(exchanges.bias, 2))
    payload = {"fitted_on": "dev-split histories of IBM Twitter (60 % per company) and "
                            "Banking77 (80 % of train.csv); python -m evals.fit_ranker",
               "routes": {k: v.model_dump(mode="json") for k, v in routes.items()}}
    if args.write:
        DEFAULTS_PATH.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {DEFAULTS_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
