"""Rebuild the shipped analysis heads (``src/replyassist/analysis/weights.npz``).

Reproducible: fixed data, fixed order, deterministic solver (L-BFGS), no sampling.

- mood (7 labels): GoEmotions train mapped to moods (``GOEMOTIONS_TO_MOOD``, English)
  + the project's own labelled set, train split (French and English), weighted
  ``--own-weight-mood``.
- urgency (4): forum posts of the training courses (``MOOC_TRAIN_COURSES``, codes 1–7
  mapped by ``MOOC_URGENCY_TO_LEVEL``) + own train split, weighted
  ``--own-weight-urgency``.
- register (2): own train split.

Features: the multilingual USE vector of the latest customer turns (the retrieval vector)
followed by the rule signals (``replyassist.analysis.heads.rule_features``). Classes are
balanced (``class_weight="balanced"``) so that rare moods count as much as neutral.

    python -m evals.train_analysis --data ../shared/data [--out PATH] [--cv]

``--cv`` prints a 5-fold cross-validation on the own train split (French and English
separately) for a small grid: own weight 3/10/30 at C=1, C 0.3/1/3 at weight 10 (about
15 minutes on 2 cores). The test split is never read here.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import evals  # noqa: F401

import numpy as np

from evals._common import EVALS_DATA, REPO_ROOT, embed_cached, load_embedder, quiet
from evals.analysis_data import (
    MOOC_TRAIN_COURSES,
    LabelledMessage,
    load_goemotions,
    load_labelled,
    load_mooc_urgency,
)
from replyassist.analysis.heads import HeadSet, LinearHead
from replyassist.analysis.rules import RuleTagger
from replyassist.labels import MOODS, REGISTERS, URGENCIES

LABELLED = EVALS_DATA / "analysis_labelled.jsonl"
DEFAULT_OUT = REPO_ROOT / "src" / "replyassist" / "analysis" / "weights.npz"
HEAD_LABELS = {"mood": MOODS, "urgency": URGENCIES, "register": REGISTERS}
# Chosen with --cv (5-fold on the own train split, see the module doc): a heavier own
# weight helps mood (Reddit is far from customer service) more than urgency.
DEFAULTS = {"own_weight_mood": 30.0, "own_weight_urgency": 10.0, "C": 1.0}


def features(embedder: Any, rules: RuleTagger, texts: list[str], channels: list[str | None]
             ) -> np.ndarray:
    from replyassist.analysis.heads import rule_features

    vectors = embed_cached(embedder, texts)
    signals = np.vstack([rule_features(rules.scan(t, channel=c), t)
                         for t, c in zip(texts, channels, strict=True)]) if texts else None
    return np.hstack([vectors, signals]).astype(np.float32)


def fit(x: np.ndarray, y: list[str], weights: np.ndarray, labels: tuple[str, ...], c: float
        ) -> LinearHead:
    from sklearn.linear_model import LogisticRegression

    present = [label for label in labels if label in set(y)]
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    model.fit(x, y, sample_weight=weights)
    w = np.zeros((x.shape[1], len(labels)), dtype=np.float32)
    b = np.full(len(labels), -30.0, dtype=np.float32)  # a label never seen: never predicted
    for j, label in enumerate(model.classes_):
        k = labels.index(label)
        w[:, k] = model.coef_[j] if len(model.classes_) > 2 else \
            (model.coef_[0] if j == 1 else -model.coef_[0]) / 2
        b[k] = model.intercept_[j] if len(model.classes_) > 2 else \
            (model.intercept_[0] if j == 1 else -model.intercept_[0]) / 2
    assert present, "no training labels"
    return LinearHead("", labels, w, b)


class Corpus:
    """Features and labels of every training source, computed once."""

    def __init__(self, data: Path, labelled: Path, embedder: Any, rules: RuleTagger) -> None:
        goemotions = load_goemotions(data / "goemotions", "train")
        mooc = load_mooc_urgency(data / "mooc_forum_urgency", MOOC_TRAIN_COURSES)
        self.own: list[LabelledMessage] = load_labelled(labelled, "train")
        self.go_x = features(embedder, rules, [t for t, _ in goemotions],
                             ["other"] * len(goemotions))
        self.go_y = [m for _, m in goemotions]
        self.mooc_x = features(embedder, rules, [t for t, _ in mooc], ["other"] * len(mooc))
        self.mooc_y = [u for _, u in mooc]
        self.own_x = features(embedder, rules, [m.text for m in self.own],
                              [m.channel for m in self.own])
        self.sizes = {"goemotions_train": len(goemotions), "mooc_train": len(mooc),
                      "own_train": len(self.own)}

    def head(self, name: str, own_index: np.ndarray, own_weight: float, c: float) -> LinearHead:
        own_x = self.own_x[own_index]
        own_y = [getattr(self.own[i], name) for i in own_index]
        if name == "mood":
            x, y = np.vstack([self.go_x, own_x]), self.go_y + own_y
            weights = np.concatenate([np.ones(len(self.go_y)), np.full(len(own_y), own_weight)])
        elif name == "urgency":
            x, y = np.vstack([self.mooc_x, own_x]), self.mooc_y + own_y
            weights = np.concatenate([np.ones(len(self.mooc_y)),
                                      np.full(len(own_y), own_weight)])
        else:
            x, y, weights = own_x, own_y, np.ones(len(own_y))
        head = fit(x, y, weights, HEAD_LABELS[name], c)
        return LinearHead(name, head.labels, head.weights, head.bias)


def macro_f1(y_true: list[str], y_pred: list[str], labels: tuple[str, ...]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, labels=list(labels), average="macro", zero_division=0))


def cross_validate(corpus: Corpus, grid: list[tuple[float, float]], folds: int = 5) -> None:
    from sklearn.model_selection import StratifiedKFold

    strata = [f"{m.language}-{m.mood}" for m in corpus.own]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=7)
    print(f"\n{folds}-fold CV on the own train split ({len(corpus.own)} conversations): "
          "macro-F1 per language (heads only, no rule blending)")
    print(f"{'own_weight':>10} {'C':>5} | {'mood fr':>8} {'mood en':>8} | {'urg fr':>7} "
          f"{'urg en':>7} | {'reg fr':>7} {'reg en':>7}")
    for own_weight, c in grid:
        preds: dict[str, dict[int, str]] = {name: {} for name in HEAD_LABELS}
        for train_idx, test_idx in splitter.split(np.zeros(len(strata)), strata):
            for name in HEAD_LABELS:
                head = corpus.head(name, train_idx, own_weight, c)
                proba = head.proba(corpus.own_x[test_idx])
                for i, row in zip(test_idx, proba, strict=True):
                    preds[name][int(i)] = head.labels[int(np.argmax(row))]
        cells = []
        for name in HEAD_LABELS:
            for language in ("fr", "en"):
                idx = [i for i, m in enumerate(corpus.own) if m.language == language]
                cells.append(macro_f1([getattr(corpus.own[i], name) for i in idx],
                                      [preds[name][i] for i in idx], HEAD_LABELS[name]))
        print(f"{own_weight:>10} {c:>5} | {cells[0]:8.3f} {cells[1]:8.3f} | {cells[2]:7.3f} "
              f"{cells[3]:7.3f} | {cells[4]:7.3f} {cells[5]:7.3f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data",
                        help="the shared data folder (goemotions/, mooc_forum_urgency/)")
    parser.add_argument("--labelled", type=Path, default=LABELLED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--own-weight-mood", type=float, default=DEFAULTS["own_weight_mood"])
    parser.add_argument("--own-weight-urgency", type=float,
                        default=DEFAULTS["own_weight_urgency"])
    parser.add_argument("--C", type=float, default=DEFAULTS["C"])
    parser.add_argument("--cv", action="store_true", help="print the CV grid and stop")
    args = parser.parse_args(argv)
    quiet()
    started = time.perf_counter()
    embedder = load_embedder("use-multilingual")
    corpus = Corpus(args.data, args.labelled, embedder, RuleTagger())
    print(f"features ready in {time.perf_counter() - started:.0f} s: {corpus.sizes}",
          file=sys.stderr)
    if args.cv:
        grid = [(3.0, 1.0), (10.0, 1.0), (30.0, 1.0), (10.0, 0.3), (10.0, 3.0)]
        cross_validate(corpus, grid)
        return 0
    everything = np.arange(len(corpus.own))
    weights = {"mood": args.own_weight_mood, "urgency": args.own_weight_urgency,
               "register": 1.0}
    heads = {name: corpus.head(name, everything, weights[name], args.C)
             for name in HEAD_LABELS}
    from replyassist.embeddings import embedder_identity

    name, dimension = embedder_identity(embedder)
    meta = {"version": 1, "trained_with": "evals/train_analysis.py",
            "own_weight": weights, "C": args.C, "sizes": corpus.sizes,
            "own_labels": {h: dict(Counter(getattr(m, h) for m in corpus.own))
                           for h in HEAD_LABELS}}
    HeadSet(name, dimension, heads, meta).save(args.out)
    print(json.dumps(meta, indent=1))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} kB) in "
          f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
