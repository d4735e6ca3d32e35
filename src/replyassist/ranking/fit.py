"""Fit a tenant's ranking on its own history, in time order.

Every past exchange whose answer linked an article is a labelled case: the customer's
context is the query, the linked articles are the right answers. Replayed in time
order, each of the latest ``max_queries`` labelled exchanges is ranked against the
history that came *before* it (never its own conversation) and the tenant's current
knowledge base, with exactly the features the online ranking computes; a logistic
regression (scikit-learn) learns their weights, for articles (label: linked) and for
past exchanges (label: linked one of the same articles). Tenants with fewer than
``min_labelled`` labelled exchanges keep the package defaults. A refit is due when the
labelled history has grown by ``refit_growth`` since the last one (checked after each
history ingest, not on every write).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import bm25s
import numpy as np

from ..embeddings import unit_rows
from ..store import StoredItem, TenantCollection
from .features import ARTICLE_FEATURES, EXCHANGE_FEATURES, exchange_matrix, knn_votes, link_shares
from .model import LinearModel, Ranking, Route, RouteRanking

if TYPE_CHECKING:
    from ..retrieval import HybridRetriever, TenantViews

__all__ = ["FitReport", "RankingFitter", "TrainingRows"]


@dataclass
class TrainingRows:
    """Per training query: the candidates' feature rows and their labels."""

    articles: list[np.ndarray] = field(default_factory=list)
    article_labels: list[np.ndarray] = field(default_factory=list)
    cold: list[np.ndarray] = field(default_factory=list)  # articles, no history features
    cold_labels: list[np.ndarray] = field(default_factory=list)
    exchanges: list[np.ndarray] = field(default_factory=list)
    exchange_labels: list[np.ndarray] = field(default_factory=list)
    queries: int = 0

    def groups(self, kind: str) -> list[tuple[np.ndarray, np.ndarray]]:
        """(rows, labels) per training query, of ``articles``, ``cold`` or ``exchanges``."""
        rows, labels = {"articles": (self.articles, self.article_labels),
                        "cold": (self.cold, self.cold_labels),
                        "exchanges": (self.exchanges, self.exchange_labels)}[kind]
        return list(zip(rows, labels, strict=True))

    def extend(self, other: TrainingRows) -> None:
        self.articles += other.articles
        self.article_labels += other.article_labels
        self.cold += other.cold
        self.cold_labels += other.cold_labels
        self.exchanges += other.exchanges
        self.exchange_labels += other.exchange_labels
        self.queries += other.queries


@dataclass
class FitReport:
    tenant: str
    labelled: int
    routes: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0
    stored: bool = False

    def summary(self) -> str:
        parts = [f"{name}: {info['source']} ({info.get('queries', 0)} queries)"
                 for name, info in self.routes.items()]
        return (f"ranking of {self.tenant}: {self.labelled} labelled exchanges; "
                + ("; ".join(parts) or "defaults") + f" in {self.seconds:.1f} s")


def fit_listwise(groups: Sequence[tuple[np.ndarray, np.ndarray]],
                 features: tuple[str, ...], *, base: LinearModel | None = None,
                 columns: tuple[str, ...] | None = None, c: float = 1.0,
                 weights: Sequence[float] | None = None) -> LinearModel:
    """A ranking model fitted on ``groups`` (one per training query: candidate rows and
    their labels) by the conditional logit: the likelihood that the right candidates
    come out of each query's softmax (L2 ``1/c``, L-BFGS from scipy), then calibrated
    to a probability with a one-feature logistic regression (scikit-learn), so that
    scores read the same across queries. With ``base``, its weights are kept and only
    ``columns`` are fitted on top (new evidence adds to what ``base`` counts; it cannot
    talk its weights down). ``weights``: one per group (e.g. datasets weighing the same).
    """
    from scipy.optimize import minimize
    from scipy.special import logsumexp
    from sklearn.linear_model import LogisticRegression

    kept = [(x, y.astype(bool), 1.0 if weights is None else float(w))
            for (x, y), w in zip(groups, weights or [1.0] * len(groups), strict=True)
            if len(y) and y.any() and not y.all()]
    if not kept:
        raise ValueError("no training query with both right and wrong candidates")
    names = columns or features
    index = [features.index(name) for name in names]
    rows = np.vstack([x for x, _, _ in kept])
    offset = base.logits(rows) if base is not None else np.zeros(len(rows))
    x_fit = rows[:, index]
    sizes = [len(y) for _, y, _ in kept]
    starts = np.cumsum([0, *sizes[:-1]])
    positive = np.concatenate([y for _, y, _ in kept])
    group_weight = np.array([w for _, _, w in kept])

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = offset + x_fit @ theta
        value, grad = 0.5 / c * float(theta @ theta), theta / c
        for g, start in enumerate(starts):
            end = start + sizes[g]
            zg, pos = z[start:end], positive[start:end]
            all_lse, pos_lse = logsumexp(zg), logsumexp(zg[pos])
            value -= group_weight[g] * (pos_lse - all_lse)
            p_all = np.exp(zg - all_lse)
            p_pos = np.where(pos, np.exp(zg - pos_lse), 0.0)
            grad = grad - group_weight[g] * (x_fit[start:end].T @ (p_pos - p_all))
        return value, grad

    found = minimize(loss, np.zeros(len(index)), jac=True, method="L-BFGS-B")
    combined = list(base.weights) if base is not None else [0.0] * len(features)
    for position, value in zip(index, found.x, strict=True):
        combined[position] += float(value)
    score = rows @ np.asarray(combined) + (base.bias if base is not None else 0.0)
    sample = np.concatenate([np.full(n, w) for n, w in zip(sizes, group_weight, strict=True)])
    platt = LogisticRegression(C=1.0, max_iter=1000)
    platt.fit(score.reshape(-1, 1), positive.astype(int), sample_weight=sample)
    scale, shift = float(platt.coef_[0][0]), float(platt.intercept_[0])
    return LinearModel(features=features, weights=tuple(w * scale for w in combined),
                       bias=(base.bias if base is not None else 0.0) * scale + shift)


class RankingFitter:
    def __init__(self, retriever: HybridRetriever, *, min_labelled: int = 50,
                 max_queries: int = 1000, min_memory: int = 20, refit_growth: float = 1.2,
                 min_positives: int = 10) -> None:
        self.retriever = retriever
        self.min_labelled = min_labelled
        self.max_queries = max_queries
        self.min_memory = min_memory
        self.refit_growth = refit_growth
        self.min_positives = min_positives

    # ------------------------------------------------------------ policy
    def labelled(self, history: TenantCollection) -> int:
        return sum(1 for item in self.retriever._lexical(history).items
                   if item.metadata.get("linked_doc_ids"))

    def due(self, history: TenantCollection) -> bool:
        labelled = self.labelled(history)
        if labelled < self.min_labelled:
            return False
        ranking = self.retriever.ranking_of(history)
        return ranking is None or labelled >= ranking.labelled * self.refit_growth

    # ------------------------------------------------------------ fitting
    def fit(self, tenant: str, kb: TenantCollection | None, history: TenantCollection,
            views: TenantViews, *, store: bool = True) -> FitReport:
        """Fit each route the tenant's history can teach and keep it with the history."""
        started = time.perf_counter()
        report = FitReport(tenant, self.labelled(history))
        routes: dict[Route, RouteRanking] = {}
        if kb is not None and report.labelled >= self.min_labelled:
            for route in self._routes(views):
                rows = self.rows(kb, history, views, route)
                fitted = self.fit_rows(rows, labelled=report.labelled)
                info: dict[str, Any] = {"queries": rows.queries, "source": "default"}
                if fitted is not None:
                    routes[route] = fitted
                    info["source"] = "tenant"
                report.routes[route] = info
        if store:
            ranking = Ranking(routes=routes, labelled=report.labelled)
            history.write_meta("ranking", json.dumps(ranking.model_dump(mode="json")))
            report.stored = True
        report.seconds = time.perf_counter() - started
        return report

    def fit_rows(self, rows: TrainingRows, *, labelled: int = 0,
                 source: str = "tenant") -> RouteRanking | None:
        articles = rows.groups("articles")
        exchanges = rows.groups("exchanges")
        if sum(int(y.sum()) for _, y in articles) < self.min_positives or \
                sum(int(y.sum()) for _, y in exchanges) < self.min_positives:
            return None
        try:
            fitted_articles = fit_listwise(articles, ARTICLE_FEATURES)
            fitted_exchanges = fit_listwise(exchanges, EXCHANGE_FEATURES)
        except ValueError:  # every query's candidates all right or all wrong
            return None
        return RouteRanking(
            articles=fitted_articles,
            exchanges=fitted_exchanges,
            source=source,  # type: ignore[arg-type]
            fitted_at=datetime.now(UTC).isoformat(timespec="seconds"),
            labelled=labelled, queries=rows.queries)

    @staticmethod
    def _routes(views: TenantViews) -> list[Route]:
        has_english = views.history_en is not None and views.history_en.generation > 0
        return ["primary", "english"] if has_english else ["primary"]

    def rows(self, kb: TenantCollection, history: TenantCollection, views: TenantViews,
             route: Route, *, cold: bool = False) -> TrainingRows:
        """The training rows of one route, replaying the history in time order;
        ``cold``: also the article rows of the same queries without history features
        (what a tenant without history sees), to fit the defaults' cold model."""
        from ..retrieval import Filters, TenantViews, tokenize

        items = _time_ordered(list(history.iter_all(documents=True)))
        if route == "english":
            assert views.history_en is not None
            english_ids = views.history_en.ids()
            items = [item for item in items if item.id in english_ids]
        out = TrainingRows()
        if len(items) <= self.min_memory:
            return out
        ids = [item.id for item in items]
        primary = unit_rows(history.vectors(ids))
        routed = primary if route == "primary" else unit_rows(
            views.history_en.vectors(ids))  # type: ignore[union-attr]
        links = [[str(d) for d in item.metadata.get("linked_doc_ids") or []] for item in items]
        conversations = [str(item.metadata.get("conversation_id", item.id)) for item in items]
        positions: dict[str, list[int]] = {}
        for position, conversation in enumerate(conversations):
            positions.setdefault(conversation, []).append(position)
        tokens = [tokenize(item.document) for item in items]
        lexical = bm25s.BM25()
        lexical.index([t or ["_"] for t in tokens], show_progress=False)
        queries = [p for p in range(self.min_memory, len(items)) if links[p]][-self.max_queries:]
        counts: Counter[str] = Counter()
        counted = 0
        n = self.retriever.candidates
        for start in range(0, len(queries), 256):
            block = queries[start:start + 256]
            sims = routed[block] @ routed.T
            for row, p in enumerate(block):
                while counted < p:
                    counts.update(links[counted])
                    counted += 1
                memory = sims[row, :p].copy()
                same = [j for j in positions[conversations[p]] if j < p]
                memory[same] = -np.inf
                order = np.argsort(-memory, kind="stable")[:n]
                order = order[np.isfinite(memory[order])]
                neighbours = [StoredItem(ids[j], "", {"linked_doc_ids": links[j]},
                                         float(memory[j])) for j in order]
                votes, vote_sim = knn_votes((nb.score, links[int(j)])
                                            for nb, j in zip(neighbours, order, strict=True))
                query_views = TenantViews(
                    titles=views.titles, kb_en=views.kb_en, history_en=views.history_en,
                    english_vector=routed[p] if route == "english" else None)
                found = self.retriever.article_candidates(
                    kb, query_views, primary[p], tokens[p], Filters(), votes=votes,
                    vote_sim=vote_sim, prior=link_shares(counts))
                wanted = set(links[p])
                out.articles.append(found.rows)
                out.article_labels.append(np.array([d in wanted for d in found.doc_ids]))
                if cold:
                    unseen = self.retriever.article_candidates(
                        kb, query_views, primary[p], tokens[p], Filters(), votes={},
                        vote_sim={}, prior={})
                    out.cold.append(unseen.rows)
                    out.cold_labels.append(np.array([d in wanted for d in unseen.doc_ids]))
                candidates, dense, bm25 = self._exchange_candidates(
                    p, order, memory, lexical, tokens[p], same)
                out.exchanges.append(exchange_matrix([dense.get(j, 0.0) for j in candidates],
                                                     [bm25.get(j, 0.0) for j in candidates]))
                out.exchange_labels.append(np.array(
                    [bool(wanted.intersection(links[j])) for j in candidates], dtype=bool))
                out.queries += 1
        return out

    def _exchange_candidates(self, p: int, order: np.ndarray, memory: np.ndarray,
                             lexical: Any, query: list[str], same: list[int]
                             ) -> tuple[list[int], dict[int, float], dict[int, float]]:
        """Past exchanges a query at position ``p`` sees: the dense neighbours and the
        BM25 best of the history before it (never its own conversation)."""
        n = self.retriever.candidates
        dense = {int(j): float(memory[j]) for j in order}
        bm25: dict[int, float] = {}
        if query:
            scores = np.asarray(lexical.get_scores(query))[:p].copy()
            scores[same] = 0.0
            top = [int(j) for j in np.argsort(-scores, kind="stable")[:n] if scores[j] > 0]
            best = float(scores[top[0]]) if top else 1.0
            bm25 = {j: float(scores[j]) / best for j in top}
        return list(dict.fromkeys([*dense, *bm25])), dense, bm25


def _time_ordered(items: list[StoredItem]) -> list[StoredItem]:
    """By the answer's time when every exchange has one, else in the order written."""
    if items and all(item.metadata.get("created_at") for item in items):
        return sorted(items, key=lambda item: str(item.metadata["created_at"]))
    return items
