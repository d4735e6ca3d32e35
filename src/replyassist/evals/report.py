"""Aggregating case results into the report (``report.json``, schema
``replyassist.eval/1``; rendered by :mod:`.render`). Every metric is computed only on the
cases that carry the matching expectation."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..labels import MOODS, REGISTERS, URGENCIES
from . import metrics
from .results import CaseResult

__all__ = ["SCHEMA", "build_report"]

SCHEMA = "replyassist.eval/1"
TAG_LABELS: dict[str, tuple[str, ...] | None] = {
    "mood": MOODS, "urgency": URGENCIES, "register": REGISTERS, "intent": None}
DRAFT_KEYS = ("similarity", "chrf", "within_channel_limit", "language_match",
              "citations_retrieved", "links_known")
WORST = 10


def _expected_ids(result: CaseResult) -> set[str]:
    return set(result.expected.doc_ids or []) if result.expected else set()


def _rank(result: CaseResult) -> int | None:
    wanted = _expected_ids(result)
    return next((i for i, d in enumerate(result.articles, 1) if d in wanted), None)


def _retrieval(results: list[CaseResult], field: str = "articles") -> dict[str, Any] | None:
    pairs = [(_expected_ids(r), getattr(r, field) if field == "articles" else
              list(dict.fromkeys(c for d in r.drafts for c in d.citations)))
             for r in results if r.status == "ok" and _expected_ids(r)]
    if not pairs:
        return None
    return metrics.rank_metrics([e for e, _ in pairs], [r for _, r in pairs])


def _tags(results: list[CaseResult]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, labels in TAG_LABELS.items():
        rows = [(getattr(r.expected, name), getattr(r.analysis, name) if r.analysis else None)
                for r in results if r.expected is not None and name in
                r.expected.model_fields_set and (getattr(r.expected, name) is not None
                                                 or name == "intent")]
        if not rows:
            continue
        truth = [t if t is not None else "none" for t, _ in rows]
        pred = [p if p is not None else "none" for _, p in rows]
        # macro-F1 over the labels the cases hold (a capped set may not hold them all)
        label_set = [label for label in labels if label in set(truth)] if labels \
            else sorted(set(truth))
        out[name] = metrics.classification_report(truth, pred, label_set)
    return out


def _drafts(results: list[CaseResult]) -> dict[str, Any] | None:
    done = [r for r in results if r.status == "ok" and r.draft_metrics]
    if not done:
        return None
    summary: dict[str, Any] = {"n": len(done)}
    for key in DRAFT_KEYS:
        values = [float(v) for r in done if (v := r.draft_metrics.get(key)) is not None]
        summary[key] = round(sum(values) / len(values), 4) if values else None
    return summary


def _judge(results: list[CaseResult]) -> dict[str, Any] | None:
    judged = [r for r in results if r.judge and "scores" in r.judge]
    if not judged:
        return None
    out: dict[str, Any] = {"n": len(judged)}
    for key in ("correctness", "helpfulness", "tone_fit", "brand_voice"):
        out[key] = metrics.mean([r.judge["scores"].get(key) for r in judged])  # type: ignore[index]
    out["examples"] = [{"case_id": r.case_id, "scores": r.judge["scores"],  # type: ignore[index]
                        "reasoning": r.judge.get("reasoning", "")}  # type: ignore[union-attr]
                       for r in judged[:20]]
    return out


def _latency(results: list[CaseResult]) -> tuple[dict[str, Any], dict[str, list[float]]]:
    samples: dict[str, list[float]] = defaultdict(list)
    for r in results:
        if r.status == "ok":
            for stage, value in r.timings_ms.items():
                samples[stage].append(float(value))
    return {stage: metrics.latency_summary(v) for stage, v in samples.items()}, dict(samples)


def _cost(results: list[CaseResult]) -> dict[str, Any]:
    used = [r.usage for r in results if r.status == "ok" and r.usage is not None
            and r.usage.prompt_tokens]
    usd = [r.draft_metrics.get("usd") for r in results if r.draft_metrics]
    return {"prompt_tokens": metrics.mean([u.prompt_tokens for u in used]),
            "completion_tokens": metrics.mean([u.completion_tokens for u in used]),
            "usd_per_draft": metrics.mean(usd)}


def build_report(results: list[CaseResult], run: dict[str, Any],
                 bad_lines: list[CaseResult] | None = None) -> dict[str, Any]:
    by_system: dict[str, list[CaseResult]] = defaultdict(list)
    for result in results:
        by_system[result.system].append(result)
    systems: dict[str, Any] = {}
    samples: dict[str, list[float]] = {}
    for system in run.get("systems") or sorted(by_system):
        rows = by_system.get(system, [])
        latency, stage_samples = _latency(rows)
        entry: dict[str, Any] = {
            "cases": len(rows), "failed": sum(r.status == "failed" for r in rows),
            "retrieval": _retrieval(rows), "citations": None, "tags": {}, "drafts": None,
            "judge": None, "latency_ms": latency,
            "cost": {"prompt_tokens": None, "completion_tokens": None, "usd_per_draft": None}}
        if system == "replyassist":
            entry.update(citations=_retrieval(rows, "citations"), tags=_tags(rows),
                         drafts=_drafts(rows), judge=_judge(rows), cost=_cost(rows))
            samples = stage_samples
        systems[system] = entry
    failed = [{"system": r.system, "case_id": r.case_id, "error": r.error or ""}
              for r in [*(bad_lines or []), *results] if r.status == "failed"]
    per_case: dict[str, dict[str, Any]] = defaultdict(dict)
    for r in results:
        tags = {}
        if r.expected is not None and r.analysis is not None:
            for name in TAG_LABELS:
                if name in r.expected.model_fields_set:
                    tags[name] = getattr(r.expected, name) == getattr(r.analysis, name)
        per_case[r.case_id][r.system] = {
            "rank": _rank(r), "similarity": r.draft_metrics.get("similarity"),
            "chrf": r.draft_metrics.get("chrf"), "tags": tags, "status": r.status}
    scored = [r for r in by_system.get("replyassist", [])
              if r.draft_metrics.get("similarity") is not None]
    scored.sort(key=lambda r: (float(r.draft_metrics["similarity"] or 0.0),  # type: ignore[arg-type]
                               float(r.draft_metrics.get("chrf") or 0.0)))  # type: ignore[arg-type]
    worst = [{"case_id": r.case_id, "channel": r.channel, "customer_text": r.customer_text,
              "expected_reply": r.expected.reply if r.expected else None,
              "draft": r.drafts[0].text if r.drafts else "",
              "similarity": r.draft_metrics.get("similarity"),
              "chrf": r.draft_metrics.get("chrf"),
              "expected_doc_ids": sorted(_expected_ids(r)), "articles": r.articles}
             for r in scored[:WORST]]
    return {"schema": SCHEMA, "run": run, "systems": systems, "latency_samples_ms": samples,
            "failed_cases": failed, "worst_cases": worst, "per_case": dict(per_case)}
