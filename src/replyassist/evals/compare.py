"""Comparing two evaluation runs: per-metric deltas and the cases that got worse.

:func:`compare_reports` flattens each system's figures to dotted names
(``retrieval.hit@1``, ``drafts.chrf``, ``tags.mood.macro_f1``, ``latency_ms.total.p95``,
``cost.usd_per_draft``, ``failed``; latency: p50 and p95) and subtracts A from B for every
number present in both; :func:`render_comparison` prints that as a terminal table, then the
worsened cases.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import InvalidInputError

__all__ = [
    "CHRF_DROP",
    "SIMILARITY_DROP",
    "compare_reports",
    "load_report",
    "render_comparison",
]

SIMILARITY_DROP = 0.05  # a case is worse when its draft similarity fell by more than this
CHRF_DROP = 5.0  # ... or its chrF (0-100) by more than this
_EPS = 1e-9  # 0.80 - 0.75 is 0.05000000000000004: "more than" must not catch it

_GROUPS = ("retrieval", "citations", "drafts", "judge", "cost")
_SKIP = {"n", "examples"}  # sample sizes and lists, not metrics
_RUN_KEYS = ("started_at", "cases", "mode", "embedder", "tenant", "llm_model",
             "replyassist_version")


def load_report(run_dir_or_file: Path) -> dict[str, Any]:
    """Read ``report.json`` from a run directory (or the file itself)."""
    path = Path(run_dir_or_file)
    if path.is_dir():
        path = path / "report.json"
    if not path.is_file():
        raise InvalidInputError("no evaluation report here: give a run directory "
                                "(`replyassist eval … --out DIR`) or its report.json",
                                source=path)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"not UTF-8 text ({exc.reason})", source=path) from exc
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"not valid JSON: {exc.msg} (column {exc.colno})",
                                source=path, line=exc.lineno) from exc
    if not isinstance(report, dict):
        raise InvalidInputError("not an evaluation report: expected a JSON object",
                                source=path)
    schema = report.get("schema")
    if not isinstance(schema, str) or not schema.startswith("replyassist.eval/"):
        raise InvalidInputError(f"not an evaluation report (schema {schema!r}, expected "
                                "'replyassist.eval/1')", source=path, field="schema")
    if not isinstance(report.get("systems"), dict):
        raise InvalidInputError("not an evaluation report: 'systems' must be an object",
                                source=path, field="systems")
    return report


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _flatten(entry: Mapping[str, Any]) -> dict[str, float]:
    """One system's figures as ``{"retrieval.hit@1": 0.6, ...}``."""
    out: dict[str, float] = {}
    for key in ("cases", "failed"):
        if (value := _number(entry.get(key))) is not None:
            out[key] = value
    for group in _GROUPS:
        data = entry.get(group)
        if isinstance(data, dict):
            for metric, value in data.items():
                if metric not in _SKIP and (number := _number(value)) is not None:
                    out[f"{group}.{metric}"] = number
    tags = entry.get("tags")
    if isinstance(tags, dict):
        for field, tag in tags.items():
            if isinstance(tag, dict):
                for metric in ("macro_f1", "accuracy"):
                    if (number := _number(tag.get(metric))) is not None:
                        out[f"tags.{field}.{metric}"] = number
    latency = entry.get("latency_ms")
    if isinstance(latency, dict):
        for stage, stats in latency.items():
            if isinstance(stats, dict):
                for metric in ("p50", "p95"):
                    if (number := _number(stats.get(metric))) is not None:
                        out[f"latency_ms.{stage}.{metric}"] = number
    return out


def _lower_is_better(metric: str) -> bool:
    return metric == "failed" or metric.startswith(("latency_ms.", "cost."))


def _direction(metric: str, delta: float) -> str | None:
    """``better`` / ``worse`` / ``None`` (unchanged, or a plain count like ``cases``)."""
    if abs(delta) < _EPS or metric == "cases":
        return None
    return "better" if (delta < 0) == _lower_is_better(metric) else "worse"


def _ordered_systems(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    both = [s for s in b.get("systems") or {} if s in (a.get("systems") or {})]
    return sorted(both, key=lambda s: (s != "replyassist", both.index(s)))


def _failed(report: Mapping[str, Any]) -> set[tuple[str, str]]:
    return {(str(f.get("system")), str(f.get("case_id")))
            for f in report.get("failed_cases") or [] if isinstance(f, dict)}


def _case_changes(case_id: str, system: str, old: Mapping[str, Any],
                  new: Mapping[str, Any]) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []

    def add(kind: str, before: Any, after: Any, detail: str, field: str | None = None) -> None:
        changes.append({"case_id": case_id, "system": system, "kind": kind, "field": field,
                        "a": before, "b": after, "detail": detail})

    rank_a, rank_b = old.get("rank"), new.get("rank")
    if isinstance(rank_a, int) and not isinstance(rank_a, bool):
        if rank_b is None:
            add("rank", rank_a, None, f"rank {rank_a} → lost")
        elif isinstance(rank_b, int) and rank_b > rank_a:
            add("rank", rank_a, rank_b, f"rank {rank_a} → {rank_b}")
    for kind, label, drop, digits in (("similarity", "similarity", SIMILARITY_DROP, 3),
                                      ("chrf", "chrF", CHRF_DROP, 1)):
        before, after = _number(old.get(kind)), _number(new.get(kind))
        if before is not None and after is not None and before - after > drop + _EPS:
            add(kind, before, after, f"{label} {before:.{digits}f} → {after:.{digits}f}")
    tags_a, tags_b = old.get("tags") or {}, new.get("tags") or {}
    for field, right in tags_a.items():
        if right is True and tags_b.get(field) is False:
            add("tag", True, False, f"{field} right → wrong", field=field)
    return changes


def compare_reports(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Deltas B − A for every metric both runs have, and the cases that got worse in B.

    ``metrics`` rows: ``system``, ``metric``, ``a``, ``b``, ``delta`` and ``direction``
    (``better`` / ``worse`` / ``None``; lower is better for latency, cost and failures).
    ``worsened`` rows: ``case_id``, ``system``, ``kind`` (``rank``: the first expected
    document ranks lower or is lost; ``similarity`` / ``chrf``: dropped by more than
    0.05 / 5 points; ``tag``: right in A, wrong in B, named in ``field``; ``failed``:
    failed in B only), ``a``, ``b`` and a readable ``detail``.
    """
    metrics: list[dict[str, Any]] = []
    systems = _ordered_systems(a, b)
    for system in systems:
        flat_a = _flatten(a["systems"][system] or {})
        flat_b = _flatten(b["systems"][system] or {})
        for metric, value_b in flat_b.items():
            if metric in flat_a:
                delta = value_b - flat_a[metric]
                metrics.append({"system": system, "metric": metric, "a": flat_a[metric],
                                "b": value_b, "delta": delta,
                                "direction": _direction(metric, delta)})

    per_a, per_b = a.get("per_case") or {}, b.get("per_case") or {}
    worsened: list[dict[str, Any]] = []
    failed_a = _failed(a)
    for system, case_id in sorted(_failed(b) - failed_a, key=lambda p: (p[1], p[0])):
        if system in (per_a.get(case_id) or {}):  # ran in A without failing
            worsened.append({"case_id": case_id, "system": system, "kind": "failed",
                             "field": None, "a": "ok", "b": "failed",
                             "detail": "failed in B"})
    for case_id in sorted(set(per_a) & set(per_b)):
        old_case, new_case = per_a[case_id] or {}, per_b[case_id] or {}
        for system in [s for s in old_case if s in new_case]:
            if isinstance(old_case[system], dict) and isinstance(new_case[system], dict):
                worsened += _case_changes(case_id, system, old_case[system], new_case[system])
    order = {s: i for i, s in enumerate(systems)}
    worsened.sort(key=lambda w: (w["case_id"], order.get(w["system"], len(order)),
                                 w["system"]))

    return {
        "a": {k: (a.get("run") or {}).get(k) for k in _RUN_KEYS},
        "b": {k: (b.get("run") or {}).get(k) for k in _RUN_KEYS},
        "systems": systems,
        "metrics": metrics,
        "worsened": worsened,
        "cases_only_in_a": sorted(set(per_a) - set(per_b)),
        "cases_only_in_b": sorted(set(per_b) - set(per_a)),
    }


def _fmt(metric: str, value: float) -> str:
    if metric in ("cases", "failed"):
        return f"{value:.0f}"
    if metric.startswith("cost.usd"):
        return f"{value:.5f}"
    if metric.startswith(("latency_ms.", "cost.")) or metric == "drafts.chrf":
        return f"{value:.1f}"
    return f"{value:.3f}"


def _delta(metric: str, delta: float) -> str:
    if abs(delta) < _EPS:
        return "= " + _fmt(metric, 0.0)
    arrow = "▲" if delta > 0 else "▼"
    return f"{arrow} {'+' if delta > 0 else '-'}{_fmt(metric, abs(delta))}"


def _run_line(name: str, run: Mapping[str, Any]) -> str:
    parts = [str(run.get("started_at") or "?")]
    if run.get("cases") is not None:
        parts.append(f"{run['cases']} cases")
    parts += [str(run[k]) for k in ("mode", "embedder", "llm_model") if run.get(k)]
    if run.get("replyassist_version"):
        parts.append(f"replyassist {run['replyassist_version']}")
    return f"{name}: " + " · ".join(parts)


def render_comparison(diff: dict[str, Any]) -> str:
    """The comparison as a terminal table (▲ up, ▼ down; ``worse`` marks a regression,
    lower being better for latency, cost and failures), then the worsened cases."""
    lines = [_run_line("A", diff.get("a") or {}), _run_line("B", diff.get("b") or {}), ""]
    rows = [(m["system"], m["metric"], _fmt(m["metric"], m["a"]), _fmt(m["metric"], m["b"]),
             _delta(m["metric"], m["delta"]), m.get("direction") or "")
            for m in diff.get("metrics") or []]
    if rows:
        head = ("system", "metric", "A", "B", "delta", "")
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        right = (False, False, True, True, True, False)

        def line(cells: tuple[str, ...]) -> str:
            return "  ".join(c.rjust(w) if r else c.ljust(w)
                             for c, w, r in zip(cells, widths, right, strict=True)).rstrip()

        lines += [line(head), "  ".join("─" * w for w in widths).rstrip()]
        previous = None
        for row in rows:
            shown = row if row[0] != previous else ("", *row[1:])
            lines.append(line(shown))
            previous = row[0]
    else:
        lines.append("No metric in common.")
    grouped: dict[tuple[str, str], list[str]] = {}
    for w in diff.get("worsened") or []:
        grouped.setdefault((w["case_id"], w["system"]), []).append(w["detail"])
    lines += ["", f"Worsened cases: {len(grouped) or 'none'}"]
    if grouped:
        width = max(len(case_id) for case_id, _ in grouped)
        sys_width = max(len(system) for _, system in grouped)
        lines += [f"  {case_id.ljust(width)}  {system.ljust(sys_width)}  {'; '.join(details)}"
                  for (case_id, system), details in grouped.items()]
    for key, label in (("cases_only_in_a", "only in A"), ("cases_only_in_b", "only in B")):
        if diff.get(key):
            listed = ", ".join(diff[key][:10]) + (" …" if len(diff[key]) > 10 else "")
            lines.append(f"Cases {label} ({len(diff[key])}): {listed}")
    return "\n".join(lines) + "\n"
