"""Small trained classifiers ("heads") on top of the retrieval embedding.

A head is a multinomial logistic regression: ``softmax(features @ W + b)``, where the
features are the query vector the pipeline already computed for retrieval, followed by a
few rule signals (see :func:`rule_features`). The weights ship in the package
(``analysis/weights.npz``, a few tens of kB) and are rebuilt by
``python -m evals.train_analysis`` (reproducible, seeded); they only make sense for the
embedder they were trained with, which the file records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigurationError

if TYPE_CHECKING:
    from .rules import RuleFindings

__all__ = ["RULE_FEATURES", "HeadSet", "LinearHead", "default_weights_path", "rule_features"]

# Rule signals appended to the embedding, in this order (names are RuleFindings cues).
RULE_FEATURES: tuple[str, ...] = (
    "legal_threat", "churn_threat", "safety_risk", "abusive_language", "repeat_contact",
    "vulnerable_customer", "prompt_injection", "fraud", "blocked", "deadline", "thanks",
    "confusion", "worry", "disappointment", "frustration", "anger", "tutoiement",
    "vouvoiement", "casual_markers",
)
_EXTRA = ("caps", "exclamations", "question")


def rule_features(findings: RuleFindings, text: str) -> np.ndarray:
    """Cue indicators (0/1), shouting (caps share), exclamation run (capped), question."""
    values = [1.0 if findings.cues.get(name) else 0.0 for name in RULE_FEATURES]
    values.append(min(1.0, findings.caps_ratio * 2.0))
    values.append(min(3, findings.exclamation_run) / 3.0)
    values.append(1.0 if "?" in text else 0.0)
    return np.asarray(values, dtype=np.float32)


def feature_names() -> list[str]:
    return [*RULE_FEATURES, *_EXTRA]


def default_weights_path() -> Path:
    return Path(str(resources.files("replyassist.analysis").joinpath("weights.npz")))


@dataclass(frozen=True)
class LinearHead:
    name: str
    labels: tuple[str, ...]
    weights: np.ndarray  # (n_features, n_labels)
    bias: np.ndarray  # (n_labels,)

    def proba(self, features: np.ndarray) -> np.ndarray:
        logits = features @ self.weights + self.bias
        logits = logits - logits.max(axis=-1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=-1, keepdims=True)

    def distribution(self, features: np.ndarray) -> dict[str, float]:
        return dict(zip(self.labels, (float(p) for p in self.proba(features)), strict=True))


@dataclass
class HeadSet:
    """The heads trained for one embedder (name and dimension recorded with them)."""

    embedder: str
    dimension: int
    heads: dict[str, LinearHead]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_features(self) -> int:
        return self.dimension + len(RULE_FEATURES) + len(_EXTRA)

    def features(self, vector: np.ndarray, findings: RuleFindings, text: str) -> np.ndarray:
        return np.concatenate([np.asarray(vector, dtype=np.float32),
                               rule_features(findings, text)])

    def save(self, path: str | Path) -> None:
        arrays: dict[str, np.ndarray] = {}
        for name, head in self.heads.items():
            arrays[f"{name}.weights"] = head.weights.astype(np.float32)
            arrays[f"{name}.bias"] = head.bias.astype(np.float32)
        meta = {**self.meta, "embedder": self.embedder, "dimension": self.dimension,
                "features": feature_names(),
                "heads": {name: list(head.labels) for name, head in self.heads.items()}}
        arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"),
                                       dtype=np.uint8)
        with Path(path).open("wb") as handle:
            np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: str | Path | None = None) -> HeadSet:
        path = Path(path) if path is not None else default_weights_path()
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode("utf-8"))
                heads = {name: LinearHead(name, tuple(labels), data[f"{name}.weights"],
                                          data[f"{name}.bias"])
                         for name, labels in meta["heads"].items()}
        except (OSError, KeyError, ValueError) as exc:
            raise ConfigurationError(f"cannot read analysis weights {path}: {exc}") from exc
        if meta.get("features") != feature_names():
            raise ConfigurationError(
                f"analysis weights {path} were trained with other rule features; rebuild them "
                "with `python -m evals.train_analysis`")
        return cls(meta["embedder"], int(meta["dimension"]), heads, meta)
