"""The harness's metrics: pure functions, no I/O.

Retrieval (:func:`rank_metrics`), tags (:func:`classification_report`), drafts
(:func:`chrf`, :func:`cosine`, :func:`within_channel_limit`, :func:`links_known`,
:func:`citations_retrieved`), speed and cost (:func:`latency_summary`,
:func:`estimated_cost`) and :func:`mean`. Every formula is in the docstrings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "PRICES_PER_MTOK",
    "chrf",
    "citations_retrieved",
    "classification_report",
    "cosine",
    "estimated_cost",
    "find_urls",
    "latency_summary",
    "links_known",
    "mean",
    "rank_metrics",
    "within_channel_limit",
]


# ------------------------------------------------------------------ retrieval
def rank_metrics(
    expected: Sequence[AbstractSet[str]],
    ranked: Sequence[Sequence[str]],
    ks: tuple[int, ...] = (1, 5),
) -> dict[str, float]:
    """hit@k for each k in ``ks``, MRR and recall@K (K = ``max(ks)``), averaged over cases.

    For one case with expected ids E and ranked list R (1-based positions):

    - ``hit@k`` = 1 if some id of E is among R[:k], else 0;
    - ``mrr``: reciprocal rank 1 / r of the first id of E in R (0 if none is in R);
    - ``recall@K`` = |E ∩ R[:K]| / |E|. Only the largest k is reported: with one expected id
      recall@k equals hit@k, so smaller ks add little.

    Cases whose E is empty are skipped (they expect nothing); ``n`` counts the others. With
    n = 0 every value is 0.
    """
    if len(expected) != len(ranked):
        raise ValueError(f"expected has {len(expected)} cases, ranked {len(ranked)}")
    if not ks or min(ks) < 1:
        raise ValueError(f"ks must be positive ranks, got {ks!r}")
    top = max(ks)
    hits = dict.fromkeys(ks, 0.0)
    reciprocal = recall = 0.0
    n = 0
    for wanted, items in zip(expected, ranked, strict=True):
        if not wanted:
            continue
        n += 1
        first = next((i for i, item in enumerate(items, 1) if item in wanted), None)
        if first is not None:
            reciprocal += 1.0 / first
            for k in ks:
                hits[k] += first <= k
        recall += len(wanted & set(items[:top])) / len(wanted)
    out: dict[str, float] = {"n": n}
    for k in ks:
        out[f"hit@{k}"] = hits[k] / n if n else 0.0
    out["mrr"] = reciprocal / n if n else 0.0
    out[f"recall@{top}"] = recall / n if n else 0.0
    return out


# ------------------------------------------------------------------ tags
_NONE = "<no prediction>"  # what a None prediction becomes (made unique against labels)


def _per_label(
    labels: Sequence[str], precision: Any, recall: Any, f1: Any, support: Any
) -> dict[str, dict[str, float | int]]:
    return {
        label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    }


def _scores_sklearn(
    y_true: list[str], y_pred: list[str], labels: list[str]
) -> tuple[dict[str, dict[str, float | int]], float, list[list[int]]]:
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        precision_recall_fscore_support,
    )

    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average=None, zero_division=0
    )
    known = set(labels)
    if any(y in known for y in y_true):
        confusion = confusion_matrix(y_true, y_pred, labels=labels).tolist()
    else:  # scikit-learn refuses labels absent from y_true; the matrix is all zeros
        confusion = [[0] * len(labels) for _ in labels]
    per_label = _per_label(labels, precision, recall, f1, support)
    return per_label, float(accuracy_score(y_true, y_pred)), confusion


def _scores_plain(
    y_true: list[str], y_pred: list[str], labels: list[str]
) -> tuple[dict[str, dict[str, float | int]], float, list[list[int]]]:
    """The same numbers as :func:`_scores_sklearn` (scikit-learn's formulas), in Python."""
    index = {label: i for i, label in enumerate(labels)}
    confusion = [[0] * len(labels) for _ in labels]
    for t, p in zip(y_true, y_pred, strict=True):
        if t in index and p in index:
            confusion[index[t]][index[p]] += 1
    per_label: dict[str, dict[str, float | int]] = {}
    for label in labels:
        tp = sum(t == label and p == label for t, p in zip(y_true, y_pred, strict=True))
        support = sum(t == label for t in y_true)
        predicted = sum(p == label for p in y_pred)
        per_label[label] = {
            "precision": tp / predicted if predicted else 0.0,
            "recall": tp / support if support else 0.0,
            "f1": 2 * tp / (support + predicted) if support + predicted else 0.0,
            "support": support,
        }
    accuracy = sum(t == p for t, p in zip(y_true, y_pred, strict=True)) / len(y_true)
    return per_label, accuracy, confusion


def classification_report(
    y_true: Sequence[str], y_pred: Sequence[str | None], labels: Sequence[str]
) -> dict[str, Any]:
    """Per-label precision/recall/F1/support, macro-F1 over ``labels``, accuracy, confusion.

    For a label L with TP items true L and predicted L: precision = TP / #predicted L,
    recall = TP / #true L (the support), F1 = 2·TP / (#true L + #predicted L); a zero
    denominator gives 0 (scikit-learn's ``zero_division=0``). Macro-F1 is the plain mean over
    ``labels``: a label with neither support nor prediction counts as F1 = 0, so pass only
    the labels the evaluation set can hold; such labels are listed in
    ``labels_without_support``. Accuracy is the share of all items predicted exactly.

    ``confusion[i][j]`` counts items of true label ``labels[i]`` predicted ``labels[j]``
    (items with a value outside ``labels`` on either side are not in the matrix). A ``None``
    prediction counts as wrong: it becomes a value outside ``labels``. Values outside
    ``labels`` are counted in ``outside_labels`` (true, predicted; ``None`` included).

    Computed with scikit-learn when it is installed (a dev dependency), otherwise with the
    same formulas in plain Python.
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} items, y_pred {len(y_pred)}")
    if not y_true:
        raise ValueError("no items to evaluate")
    labels = list(labels)
    known = set(labels)
    sentinel = _NONE
    while sentinel in known:
        sentinel += "_"
    truth = list(y_true)
    pred = [sentinel if p is None else p for p in y_pred]
    try:
        per_label, accuracy, confusion = _scores_sklearn(truth, pred, labels)
    except ImportError:
        per_label, accuracy, confusion = _scores_plain(truth, pred, labels)
    f1 = [float(per_label[label]["f1"]) for label in labels]
    return {
        "n": len(truth),
        "labels": labels,
        "per_label": per_label,
        "macro_f1": sum(f1) / len(f1) if f1 else 0.0,
        "accuracy": accuracy,
        "confusion": confusion,
        "labels_without_support": [label for label in labels if per_label[label]["support"] == 0],
        "outside_labels": {
            "true": sum(y not in known for y in truth),
            "predicted": sum(y not in known for y in pred),
        },
    }


# ------------------------------------------------------------------ drafts
def chrf(hypothesis: str, reference: str) -> float:
    """sacrebleu's sentence chrF (character 6-grams, β = 2, no word n-grams), 0–100.

    chrF = (1 + β²)·P·R / (β²·P + R), with P and R the character n-gram precision and recall
    averaged over n = 1..6 (whitespace ignored); recall weighs β = 2 times more than precision.
    """
    from sacrebleu import sentence_chrf  # the harness's only use of sacrebleu

    return float(sentence_chrf(hypothesis, [reference]).score)


def cosine(a: ArrayLike, b: ArrayLike) -> float:
    """a·b / (‖a‖·‖b‖) on flattened vectors; 0.0 when either vector is all zeros."""
    u = np.asarray(a, dtype=np.float64).ravel()
    v = np.asarray(b, dtype=np.float64).ravel()
    if u.shape != v.shape:
        raise ValueError(f"vectors of different sizes: {u.size} and {v.size}")
    norms = float(np.linalg.norm(u) * np.linalg.norm(v))
    return float(np.dot(u, v) / norms) if norms else 0.0


def within_channel_limit(text: str, channel: str | None) -> bool:
    """Whether ``text`` fits the channel's rule — the same rule the draft guard enforces
    (:func:`replyassist.guardrails.channels.fits`: X weighted length ≤ 280, SMS ≤ 2
    segments in GSM-7 or UCS-2, …); True for a channel without a limit."""
    from ..guardrails.channels import fits

    return True if channel is None else fits(text.strip(), channel)


# A URL starts with a scheme or ``www.`` and runs to whitespace, a quote, an angle or square
# bracket; trailing punctuation and unbalanced closing parentheses are removed afterwards.
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\[\]\"'`«»“”‘’{}|\\^]+", re.IGNORECASE)
_TRAILING = ".,;:!?*"
_BARE = re.compile(r"(?:https?://|www\.)", re.IGNORECASE)


def find_urls(text: str) -> list[str]:
    """The URLs of ``text`` (``http(s)://…`` or ``www.…``) in order, duplicates kept.

    Trailing ``.,;:!?*`` and closing parentheses without an opening one in the URL are
    dropped, so ``(see https://x.org/a_(b)).`` gives ``https://x.org/a_(b)`` and a Markdown
    link ``[doc](https://x.org/a).`` gives ``https://x.org/a``. Bare domains (``x.org/a``)
    are not recognised.
    """
    urls: list[str] = []
    for match in _URL.finditer(text):
        url = match.group()
        while url:
            if url[-1] in _TRAILING or (url[-1] == ")" and url.count(")") > url.count("(")):
                url = url[:-1]
            else:
                break
        if not _BARE.fullmatch(url):
            urls.append(url)
    return urls


def links_known(text: str, known_urls: AbstractSet[str]) -> bool:
    """Every URL of ``text`` is a known article URL, compared after
    ``kb_ingest.history.normalize_url`` on both sides (no scheme, ``www.``, fragment,
    tracking parameters, trailing slash or case in the path). True when there is no URL."""
    from kb_ingest.history import normalize_url

    urls = find_urls(text)
    if not urls:
        return True
    known = {normalize_url(url) for url in known_urls}
    return all(normalize_url(url) in known for url in urls)


def citations_retrieved(citations: Iterable[str], retrieved: Iterable[str]) -> bool:
    """Every cited id is among the retrieved article ids (True when nothing is cited)."""
    return set(citations) <= set(retrieved)


# ------------------------------------------------------------------ speed and cost
def latency_summary(values_ms: Sequence[float]) -> dict[str, float | int | None]:
    """``n``, ``p50``, ``p95`` (numpy percentiles, linear interpolation between the
    closest ranks), ``mean`` and ``max``; an empty list gives n = 0 and None values."""
    if not values_ms:
        return {"n": 0, "p50": None, "p95": None, "mean": None, "max": None}
    values = np.asarray(values_ms, dtype=np.float64)
    p50, p95 = np.percentile(values, [50, 95], method="linear")
    return {
        "n": int(values.size),
        "p50": float(p50),
        "p95": float(p95),
        "mean": float(values.mean()),
        "max": float(values.max()),
    }


# USD per 1M tokens (prompt, completion): OpenAI list prices when this table was written.
# Check https://openai.com/api/pricing before relying on the amounts.
PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
}
_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")  # gpt-4o-2024-08-06 → gpt-4o


def estimated_cost(
    prompt_tokens: int,
    completion_tokens: int,
    model: str | None,
    prices: dict[str, tuple[float, float]] | None = None,
) -> float | None:
    """(prompt_tokens · prompt price + completion_tokens · completion price) / 1e6, in USD.

    ``prices`` (model → USD per 1M prompt and completion tokens) replaces the default
    :data:`PRICES_PER_MTOK`: OpenAI list prices to be checked, not a bill. A dated snapshot
    (``gpt-4o-2024-08-06``) is priced as its model. An unknown or missing model gives None;
    so do local models served behind ``base_url`` unless ``prices`` names them (a local
    server reusing an OpenAI name should be priced explicitly, e.g. at 0).
    """
    if prompt_tokens < 0 or completion_tokens < 0:
        raise ValueError("token counts cannot be negative")
    if not model:
        return None
    table = PRICES_PER_MTOK if prices is None else prices
    price = table.get(model) or table.get(_SNAPSHOT.sub("", model))
    if price is None:
        return None
    prompt_price, completion_price = price
    return (prompt_tokens * prompt_price + completion_tokens * completion_price) / 1_000_000


def mean(values: Iterable[float | int | bool | None]) -> float | None:
    """Arithmetic mean of the values that are not None (booleans count 0/1); None if none."""
    kept = [float(v) for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None
