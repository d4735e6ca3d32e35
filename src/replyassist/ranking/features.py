"""The features both the online ranking and its fitting compute, in one place.

Article features (one row per candidate article), all in [0, 1]:

- ``dense``: best cosine of the query with the article's chunks;
- ``title``: cosine of the query with the article's title alone;
- ``bm25``: the best chunk's BM25 score over the best score of this query;
- ``vote``: share of the similar past exchanges' votes (similarity³, 10 nearest) that
  went to this article (the agents linked it in those cases);
- ``vote_sim``: similarity of the most similar past exchange that linked it;
- ``prior``: the article's share of all links in the tenant's history.

Exchange features (one row per candidate past exchange): ``dense`` (cosine with its
customer context) and ``bm25`` (over the best score of this query).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

__all__ = ["ARTICLE_FEATURES", "EXCHANGE_FEATURES", "VOTE_NEIGHBOURS", "article_matrix",
           "exchange_matrix", "knn_votes", "link_shares"]

ARTICLE_FEATURES = ("dense", "title", "bm25", "vote", "vote_sim", "prior")
EXCHANGE_FEATURES = ("dense", "bm25")
VOTE_NEIGHBOURS = 10
VOTE_POWER = 3


def knn_votes(neighbours: Iterable[tuple[float, Sequence[str]]], *,
              top: int = VOTE_NEIGHBOURS) -> tuple[dict[str, float], dict[str, float]]:
    """(vote share, best similarity) per linked article, from ``(similarity, linked
    doc_ids)`` of past exchanges, most similar first (only the ``top`` first vote)."""
    votes: dict[str, float] = defaultdict(float)
    best: dict[str, float] = defaultdict(float)
    for count, (similarity, linked) in enumerate(neighbours):
        if count >= top:
            break
        weight = max(similarity, 0.0) ** VOTE_POWER
        for doc_id in linked:
            votes[doc_id] += weight / len(linked)
            best[doc_id] = max(best[doc_id], similarity)
    total = sum(votes.values())
    if total > 0:
        votes = defaultdict(float, {d: v / total for d, v in votes.items()})
    return votes, best


def link_shares(link_counts: Mapping[str, int]) -> dict[str, float]:
    total = sum(link_counts.values())
    return {d: c / total for d, c in link_counts.items()} if total else {}


def article_matrix(doc_ids: Sequence[str], *, dense: Mapping[str, float] | np.ndarray,
                   title: Mapping[str, float] | np.ndarray,
                   bm25: Mapping[str, float], votes: Mapping[str, float],
                   vote_sim: Mapping[str, float], prior: Mapping[str, float]) -> np.ndarray:
    """Rows of ``ARTICLE_FEATURES`` for ``doc_ids`` (arrays: already in that order)."""

    def column(values: Mapping[str, float] | np.ndarray) -> np.ndarray:
        if isinstance(values, np.ndarray):
            return np.clip(values.astype(np.float64), 0.0, 1.0)
        return np.array([max(0.0, min(1.0, values.get(d, 0.0))) for d in doc_ids])

    return np.column_stack([column(dense), column(title), column(bm25), column(votes),
                            column(vote_sim), column(prior)]) \
        if doc_ids else np.zeros((0, len(ARTICLE_FEATURES)))


def exchange_matrix(dense: Sequence[float], bm25: Sequence[float]) -> np.ndarray:
    if not dense:
        return np.zeros((0, len(EXCHANGE_FEATURES)))
    return np.column_stack([np.clip(np.asarray(dense, dtype=np.float64), 0.0, 1.0),
                            np.clip(np.asarray(bm25, dtype=np.float64), 0.0, 1.0)])
