"""Classification metrics for the analysis classifiers, and their text / Markdown rendering.

Single-label tasks (mood, urgency, register, intent) use :func:`classification_report`
(shared with the harness: :mod:`replyassist.evals.metrics`);
flags (zero or more per message) use :func:`multilabel_report`. Both return plain dicts
(JSON-ready for ``write_json``); :func:`format_report` and :func:`report_markdown` render
them next to an optional baseline (e.g. :func:`majority_baseline`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sklearn.metrics import precision_recall_fscore_support
from sklearn.preprocessing import MultiLabelBinarizer

from replyassist.evals.metrics import classification_report

__all__ = [
    "classification_report",
    "format_report",
    "majority_baseline",
    "multilabel_report",
    "report_markdown",
]

MAX_CONFUSION_LABELS = 15  # larger label sets (Banking77) print no confusion matrix


def _per_label(
    labels: list[str], precision: Any, recall: Any, f1: Any, support: Any
) -> dict[str, dict[str, float | int]]:
    return {
        label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    }


def majority_baseline(train_labels: list[str], n: int) -> list[str]:
    """``n`` copies of the most frequent training label (ties: alphabetically first)."""
    if not train_labels:
        raise ValueError("no training labels")
    counts = Counter(train_labels)
    best = min(counts, key=lambda label: (-counts[label], label))
    return [best] * n


def multilabel_report(
    y_true: list[list[str]], y_pred: list[list[str]], labels: list[str]
) -> dict[str, Any]:
    """Per-label P/R/F1/support (support = items carrying the label), macro- and micro-F1.

    Also ``exact_match``: the share of items whose predicted set equals the true set
    (over ``labels``; other values are ignored and counted in ``outside_labels``).
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} items, y_pred {len(y_pred)}")
    if not y_true:
        raise ValueError("no items to evaluate")
    known = set(labels)
    true_sets = [[x for x in item if x in known] for item in y_true]
    pred_sets = [[x for x in item if x in known] for item in y_pred]
    binarizer = MultiLabelBinarizer(classes=labels)
    truth, pred = binarizer.fit_transform(true_sets), binarizer.transform(pred_sets)
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, pred, average=None, zero_division=0
    )
    micro = precision_recall_fscore_support(truth, pred, average="micro", zero_division=0)
    return {
        "n": len(y_true),
        "labels": list(labels),
        "per_label": _per_label(labels, precision, recall, f1, support),
        "macro_f1": float(f1.mean()),
        "micro_f1": float(micro[2]),
        "exact_match": float((truth == pred).all(axis=1).mean()),
        "labels_without_support": [lab for lab, s in zip(labels, support, strict=True) if s == 0],
        "outside_labels": {
            "true": sum(x not in known for item in y_true for x in item),
            "predicted": sum(x not in known for item in y_pred for x in item),
        },
    }


# ------------------------------------------------------------------ rendering
def _short_names(labels: list[str], width: int = 6) -> list[str]:
    """Unique column headers of at most ``width`` characters (prefixes, numbered if equal)."""
    names: list[str] = []
    for label in labels:
        name = label[:width]
        suffix = 2
        while name in names:
            name = f"{label[: width - len(str(suffix))]}{suffix}"
            suffix += 1
        names.append(name)
    return names


def _summary(report: dict[str, Any]) -> list[tuple[str, float]]:
    keys = [
        ("macro-F1", "macro_f1"),
        ("accuracy", "accuracy"),
        ("micro-F1", "micro_f1"),
        ("exact match", "exact_match"),
    ]
    return [(name, report[key]) for name, key in keys if key in report]


def format_report(
    title: str, report: dict[str, Any], baseline: dict[str, Any] | None = None
) -> str:
    """A text block: per-label P/R/F1/support, the summary (with the baseline's), confusion."""
    labels = report["labels"]
    width = max(len("exact match"), *(len(lab) for lab in labels))
    lines = [
        f"{title} (n={report['n']})",
        f"{'label':<{width}}  {'P':>5}  {'R':>5}  {'F1':>5}  {'support':>7}",
    ]
    lines.append("-" * len(lines[-1]))
    for label in labels:
        m = report["per_label"][label]
        lines.append(
            f"{label:<{width}}  {m['precision']:5.3f}  {m['recall']:5.3f}  "
            f"{m['f1']:5.3f}  {m['support']:>7}"
        )
    for name, value in _summary(report):
        extra = ""
        if baseline is not None and name in dict(_summary(baseline)):
            extra = f"   (baseline {dict(_summary(baseline))[name]:.3f})"
        lines.append(f"{name:<{width}}  {value:5.3f}{extra}")
    if report["labels_without_support"]:
        lines.append(f"no support (F1 counted as 0): {', '.join(report['labels_without_support'])}")
    outside = report["outside_labels"]
    if outside["true"] or outside["predicted"]:
        lines.append(
            f"values outside the labels: {outside['true']} true, {outside['predicted']} predicted"
        )
    if "confusion" in report:
        if len(labels) > MAX_CONFUSION_LABELS:
            lines.append(f"(confusion matrix omitted: {len(labels)} labels)")
        else:
            heads = _short_names(labels)
            cell = max(5, *(len(str(v)) for row in report["confusion"] for v in row))
            lines.append("")
            lines.append("confusion (rows = true, columns = predicted)")
            lines.append(f"{'':<{width}}  " + " ".join(f"{h:>{cell}}" for h in heads))
            for label, row in zip(labels, report["confusion"], strict=True):
                lines.append(f"{label:<{width}}  " + " ".join(f"{v:>{cell}}" for v in row))
    return "\n".join(lines)


def report_markdown(
    title: str, report: dict[str, Any], baseline: dict[str, Any] | None = None
) -> str:
    """The same content as :func:`format_report`, as Markdown tables."""
    labels = report["labels"]
    out = [
        f"### {title} (n={report['n']})",
        "",
        "| label | P | R | F1 | support |",
        "|---|---:|---:|---:|---:|",
    ]
    for label in labels:
        m = report["per_label"][label]
        out.append(
            f"| `{label}` | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} "
            f"| {m['support']} |"
        )
    base = dict(_summary(baseline)) if baseline is not None else {}
    out += ["", "| metric | value | baseline |", "|---|---:|---:|"]
    for name, value in _summary(report):
        out.append(f"| {name} | {value:.3f} | {f'{base[name]:.3f}' if name in base else '-'} |")
    if "confusion" in report and len(labels) <= MAX_CONFUSION_LABELS:
        out += [
            "",
            "Confusion (rows = true, columns = predicted):",
            "",
            "| true \\ pred | " + " | ".join(_short_names(labels)) + " |",
            "|---|" + "---:|" * len(labels),
        ]
        for label, row in zip(labels, report["confusion"], strict=True):
            out.append(f"| `{label}` | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(out)
