"""What a fitted ranking is: small linear models, kept as JSON with the tenant's history."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field, model_validator

from .features import ARTICLE_FEATURES, EXCHANGE_FEATURES

__all__ = ["LinearModel", "Ranking", "Route", "RouteRanking", "default_ranking"]

Route = Literal["primary", "english"]
DEFAULTS_FILE = "defaults.json"


class LinearModel(BaseModel):
    """A logistic model: relevance = sigmoid(weights · features + bias)."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float = 0.0

    @model_validator(mode="after")
    def _same_length(self) -> LinearModel:
        if len(self.features) != len(self.weights):
            raise ValueError("one weight per feature")
        return self

    def logits(self, rows: np.ndarray) -> np.ndarray:
        if rows.shape[0] == 0:
            return np.zeros(0)
        return rows @ np.asarray(self.weights, dtype=np.float64) + self.bias

    def probabilities(self, rows: np.ndarray, offsets: np.ndarray | None = None) -> np.ndarray:
        logits = self.logits(rows)
        if offsets is not None:
            logits = logits + offsets
        return 1.0 / (1.0 + np.exp(-logits))


class RouteRanking(BaseModel):
    """The ranking of one route (``primary``: the multilingual embedder; ``english``:
    the English embedder on English queries)."""

    articles: LinearModel
    exchanges: LinearModel
    cold_articles: LinearModel | None = None  # fitted without history features
    source: Literal["default", "tenant"] = "default"
    fitted_at: str | None = None
    labelled: int = 0  # labelled past exchanges the fit could learn from
    queries: int = 0  # of which used as training queries

    def cold(self) -> LinearModel:
        """The article model for a tenant without labelled history (a tenant's own fit
        carries the defaults' one, see :meth:`Ranking.route`)."""
        return self.cold_articles or self.articles

    @model_validator(mode="after")
    def _known_features(self) -> RouteRanking:
        if self.articles.features != ARTICLE_FEATURES or \
                self.exchanges.features != EXCHANGE_FEATURES:
            raise ValueError("ranking fitted on other features than this release's")
        return self


class Ranking(BaseModel):
    """A tenant's ranking, per route; a route missing falls back to the defaults."""

    routes: dict[Route, RouteRanking] = Field(default_factory=dict)
    labelled: int = 0  # labelled exchanges in history at the last fit
    fitted_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(
        timespec="seconds"))

    def route(self, name: Route) -> RouteRanking:
        found = self.routes.get(name)
        if found is None:
            return default_ranking().route(name)
        if found.cold_articles is None:  # a tenant's fit: the default cold model
            return found.model_copy(update={
                "cold_articles": default_ranking().route(name).cold_articles})
        return found


class _Defaults(BaseModel):
    routes: dict[Route, RouteRanking]
    fitted_on: str = ""

    def route(self, name: Route) -> RouteRanking:
        return self.routes.get(name) or self.routes["primary"]


@lru_cache(maxsize=1)
def default_ranking() -> _Defaults:
    """The global defaults shipped with the package (``ranking/defaults.json``, written by
    ``python -m evals.fit_ranker``), for tenants whose history is too thin to fit."""
    text = resources.files("replyassist.ranking").joinpath(DEFAULTS_FILE).read_text("utf-8")
    return _Defaults.model_validate_json(text)
