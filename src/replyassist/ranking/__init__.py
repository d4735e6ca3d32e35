"""Ranking learnt per tenant: linear models over retrieval features, fitted on the
tenant's own history (past answers that linked an article are labelled examples)."""

from .features import ARTICLE_FEATURES, EXCHANGE_FEATURES, knn_votes, link_shares
from .fit import FitReport, RankingFitter
from .model import LinearModel, Ranking, RouteRanking, default_ranking

__all__ = ["ARTICLE_FEATURES", "EXCHANGE_FEATURES", "FitReport", "LinearModel", "Ranking",
           "RankingFitter", "RouteRanking", "default_ranking", "knn_votes", "link_shares"]
