"""Rendering an evaluation report (``report.json``, schema ``replyassist.eval/1``).

* :func:`render_markdown`: the tables, for a terminal, a merge request or a wiki.
* :func:`render_html`: one self-contained page (inline CSS, charts as inline SVG built
  here, no script, no font, no network; a Content-Security-Policy forbids any load) from
  ``templates/report.html.j2``. All report text is escaped (Jinja autoescape).
* :func:`write_reports`: ``report.json``, ``report.md`` and ``report.html`` in a run folder.

Every section tolerates a missing or ``null`` part: baselines only have ``retrieval``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

__all__ = ["render_html", "render_markdown", "write_reports"]

RETRIEVAL_METRICS: tuple[tuple[str, str], ...] = (
    ("hit@1", "hit@1"), ("hit@5", "hit@5"), ("mrr", "MRR"), ("recall@5", "recall@5"))
TAG_FIELDS: tuple[str, ...] = ("mood", "urgency", "register", "intent")
DRAFT_METRICS: tuple[tuple[str, str], ...] = (
    ("similarity", "similarity"), ("chrf", "chrF"),
    ("within_channel_limit", "within channel limit"), ("language_match", "language match"),
    ("citations_retrieved", "citations retrieved"), ("links_known", "links known"))
JUDGE_METRICS: tuple[tuple[str, str], ...] = (
    ("correctness", "correctness"), ("helpfulness", "helpfulness"),
    ("tone_fit", "tone fit"), ("brand_voice", "brand voice"))
LATENCY_KEYS: tuple[str, ...] = ("n", "p50", "p95", "mean", "max")
COST_METRICS: tuple[tuple[str, str, int], ...] = (
    ("prompt_tokens", "prompt tokens", 0), ("completion_tokens", "completion tokens", 0),
    ("usd_per_draft", "USD per draft", 5))
MAX_CONFUSION_LABELS = 20  # more labels (intents): a list of the largest confusions instead
TOP_CONFUSIONS = 15

_SYSTEM_COLORS = {"replyassist": "#2563eb", "bm25": "#d97706", "dense": "#059669",
                  "langchain": "#7c3aed", "most_used": "#6b7280"}
_SPARE_COLORS = ("#db2777", "#0891b2", "#65a30d", "#9333ea", "#b45309")
_DASH = "–"


# ---------------------------------------------------------------------------- helpers


def _num(value: Any, digits: int = 3) -> str:
    """A figure for a table: ``–`` when absent, ints as they are, floats rounded."""
    if value is None or isinstance(value, bool):
        return _DASH if value is None else ("yes" if value else "no")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}" if math.isfinite(value) else _DASH
    return str(value)


def _is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and \
        math.isfinite(value)


def _ms(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:.2f} s"
    return f"{value:.0f} ms" if value >= 100 else f"{value:.1f} ms"


def _systems(report: Mapping[str, Any]) -> list[str]:
    """Systems in run order, replyassist first."""
    present = report.get("systems") or {}
    order = [s for s in (report.get("run") or {}).get("systems") or [] if s in present]
    order += [s for s in present if s not in order]
    if "replyassist" in order:
        order.remove("replyassist")
        order.insert(0, "replyassist")
    return order


def _colors(systems: Sequence[str]) -> dict[str, str]:
    spare = iter(_SPARE_COLORS * (1 + len(systems) // len(_SPARE_COLORS)))
    return {s: _SYSTEM_COLORS.get(s) or next(spare) for s in systems}


def _group(report: Mapping[str, Any], system: str, group: str) -> dict[str, Any] | None:
    value = ((report.get("systems") or {}).get(system) or {}).get(group)
    return value if isinstance(value, dict) and value else None


def _best(values: Sequence[Any], lower_is_better: bool = False) -> float | None:
    nums = [v for v in values if _is_num(v)]
    if len(nums) < 2:
        return None
    return min(nums) if lower_is_better else max(nums)


def _percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _run_items(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    run = report.get("run") or {}
    wall = run.get("wall_seconds")
    items = [
        ("cases", _num(run.get("cases"))),
        ("mode", str(run.get("mode") or _DASH)),
        ("embedder", str(run.get("embedder") or _DASH)),
        ("tenant", str(run.get("tenant") or _DASH)),
        ("LLM", str(run.get("llm_model") or "none")),
        ("systems", ", ".join(_systems(report)) or _DASH),
        ("started", str(run.get("started_at") or _DASH)),
        ("wall time", f"{wall:.1f} s" if _is_num(wall) else _DASH),
        ("replyassist", str(run.get("replyassist_version") or _DASH)),
        ("schema", str(report.get("schema") or _DASH)),
    ]
    return items


def _confusion(tag: Mapping[str, Any]) -> dict[str, Any]:
    """The confusion matrix reduced to the labels seen, or the largest confusions when
    there are too many labels for a table."""
    labels = [str(x) for x in tag.get("labels") or []]
    matrix = [[int(c) for c in row] for row in tag.get("confusion") or []]
    if not labels or len(matrix) != len(labels) or any(len(r) != len(labels) for r in matrix):
        return {"labels": [], "rows": [], "top": []}
    seen = [i for i in range(len(labels))
            if sum(matrix[i]) or sum(row[i] for row in matrix)]
    if len(seen) > MAX_CONFUSION_LABELS:
        pairs = sorted(((matrix[i][j], labels[i], labels[j]) for i in seen for j in seen
                        if i != j and matrix[i][j]), key=lambda p: (-p[0], p[1], p[2]))
        return {"labels": [], "rows": [], "top": pairs[:TOP_CONFUSIONS]}
    rows = []
    for i in seen:
        total = sum(matrix[i])
        cells = []
        for j in seen:
            count = matrix[i][j]
            share = count / total if total else 0.0
            cells.append({"count": count, "share": share, "diagonal": i == j,
                          "style": _heat(count, share, i == j),
                          "title": f"expected {labels[i]}, predicted {labels[j]}: {count}"
                                   f" ({share:.0%} of {total})"})
        rows.append({"label": labels[i], "cells": cells, "total": total})
    return {"labels": [labels[j] for j in seen], "rows": rows, "top": []}


def _heat(count: int, share: float, diagonal: bool) -> str:
    """Background for a confusion cell: blue on the diagonal (right), red off it (wrong),
    the deeper the larger the share of the expected label's row."""
    if not count:
        return ""
    alpha = 0.10 + 0.80 * share
    rgb = "37, 99, 235" if diagonal else "220, 38, 38"
    ink = "#ffffff" if alpha > 0.55 else "#111827"
    return f"background: rgba({rgb}, {alpha:.2f}); color: {ink};"


# ------------------------------------------------------------------------------- SVG


def _text(x: float, y: float, text: str, *, anchor: str = "middle", size: int = 11,
          fill: str = "#374151", weight: int = 400) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'font-weight="{weight}" fill="{fill}">{escape(text)}</text>')


def _bar_chart(labels: Sequence[tuple[str, str]],
               series: Sequence[tuple[str, str, Sequence[Any]]], title: str) -> Markup:
    """Grouped bars on a 0-1 scale: one group per metric, one bar per system."""
    width, height = 760, 250
    left, right, top, bottom = 40, 10, 16, 34
    pw, ph = width - left - right, height - top - bottom
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = top + ph * (1 - tick)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="{"#9ca3af" if tick == 0 else "#e5e7eb"}" stroke-width="1"/>')
        out.append(_text(left - 6, y + 4, f"{tick:.2f}", anchor="end", size=10,
                         fill="#6b7280"))
    group_w = pw / max(1, len(labels))
    inner = group_w * 0.8
    bar_w = inner / max(1, len(series))
    for gi, (_, label) in enumerate(labels):
        x0 = left + gi * group_w + (group_w - inner) / 2
        for si, (system, color, values) in enumerate(series):
            value = values[gi] if gi < len(values) else None
            x = x0 + si * bar_w + 1
            w = max(1.0, bar_w - 2)
            if not _is_num(value):
                out.append(_text(x + w / 2, top + ph - 4, "n/a", size=9, fill="#9ca3af"))
                continue
            number = float(value)  # type: ignore[arg-type]
            h = ph * min(1.0, max(0.0, number))
            y = top + ph - h
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
                       f'fill="{color}" rx="2"><title>{escape(system)} · {escape(label)}: '
                       f"{number:.3f}</title></rect>")
            if bar_w >= 22:
                out.append(_text(x + w / 2, y - 3, f"{number:.2f}", size=10))
        out.append(_text(left + gi * group_w + group_w / 2, height - 12, label, size=12,
                         weight=600, fill="#111827"))
    out.append("</svg>")
    return Markup("".join(out))


def _histogram(stage: str, samples: Sequence[Any], color: str) -> dict[str, Any] | None:
    """A latency histogram for one stage, with the p50 and p95 marked."""
    values = sorted(float(v) for v in samples if _is_num(v))
    if not values:
        return None
    width, height = 360, 180
    left, right, top, bottom = 34, 14, 20, 30
    pw, ph = width - left - right, height - top - bottom
    lo, hi = values[0], values[-1]
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    bins = max(1, min(40, math.ceil(2 * math.sqrt(len(values)))))
    step = (hi - lo) / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / step))] += 1
    peak = max(counts)
    p50, p95 = _percentile(values, 0.5), _percentile(values, 0.95)
    title = f"{stage}: {len(values)} samples, p50 {_ms(p50)}, p95 {_ms(p95)}"
    out = [f'<svg class="chart hist" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
           f'<line x1="{left}" x2="{width - right}" y1="{top + ph}" y2="{top + ph}" '
           'stroke="#9ca3af" stroke-width="1"/>',
           _text(left - 5, top + 4, str(peak), anchor="end", size=12, fill="#6b7280"),
           _text(left - 5, top + ph, "0", anchor="end", size=12, fill="#6b7280")]
    bar_w = pw / bins
    for i, count in enumerate(counts):
        if not count:
            continue
        h = ph * count / peak
        x = left + i * bar_w
        a, b = lo + i * step, lo + (i + 1) * step
        out.append(f'<rect x="{x + 0.5:.1f}" y="{top + ph - h:.1f}" '
                   f'width="{max(1.0, bar_w - 1):.1f}" height="{h:.1f}" fill="{color}" '
                   'fill-opacity="0.8"><title>'
                   f"{escape(_ms(a))} – {escape(_ms(b))}: {count}</title></rect>")
    for name, value, ink in (("p50", p50, "#111827"), ("p95", p95, "#dc2626")):
        x = left + pw * (value - lo) / (hi - lo)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" y2="{top + ph}" '
                   f'stroke="{ink}" stroke-width="1.5" stroke-dasharray="4 3"/>')
        out.append(_text(x, top - 7, name, size=12, fill=ink, weight=600))
    for x, value, anchor in ((left, lo, "start"), (left + pw / 2, (lo + hi) / 2, "middle"),
                             (left + pw, hi, "end")):
        out.append(_text(x, height - 9, _ms(value), anchor=anchor, size=12, fill="#6b7280"))
    out.append("</svg>")
    return {"stage": stage, "svg": Markup("".join(out)), "n": len(values),
            "p50": _ms(p50), "p95": _ms(p95), "max": _ms(values[-1])}


# ------------------------------------------------------------------------- sections


def _cell(text: str, *classes: str) -> dict[str, str]:
    return {"t": text, "c": " ".join(c for c in classes if c)}


def _metric_rows(report: Mapping[str, Any], systems: Sequence[str], group: str,
                 metrics: Sequence[tuple[str, str]], digits: Mapping[str, int] | None = None,
                 with_counts: bool = False) -> tuple[list[str], list[list[dict[str, str]]]]:
    """One row per system having ``group``: n and the metrics, the best value marked."""
    digits = digits or {}
    present = [s for s in systems if _group(report, s, group)]
    best = {key: _best([(_group(report, s, group) or {}).get(key) for s in present])
            for key, _ in metrics}
    headers = ["system", *(["cases", "failed"] if with_counts else []), "n",
               *(label for _, label in metrics)]
    rows = []
    for s in present:
        data = _group(report, s, group) or {}
        entry = (report.get("systems") or {}).get(s) or {}
        row = [_cell(s, "sys")]
        if with_counts:
            row += [_cell(_num(entry.get("cases")), "num"),
                    _cell(_num(entry.get("failed")), "num", "bad" if entry.get("failed") else "")]
        row.append(_cell(_num(data.get("n")), "num"))
        for key, _ in metrics:
            value = data.get(key)
            mark = "best" if best[key] is not None and value == best[key] else ""
            row.append(_cell(_num(value, digits.get(key, 3)), "num", mark))
        rows.append(row)
    return headers, rows


def _tag_sections(report: Mapping[str, Any], systems: Sequence[str]) -> list[dict[str, Any]]:
    out = []
    for s in systems:
        tags = _group(report, s, "tags") or {}
        fields = [f for f in TAG_FIELDS if isinstance(tags.get(f), dict)]
        fields += sorted(f for f in tags if f not in fields and isinstance(tags[f], dict))
        for field in fields:
            tag = tags[field]
            per_label = tag.get("per_label") or {}
            rows = [[_cell(str(label), "lab"), *(
                _cell(_num(stats.get(k)), "num") for k in ("precision", "recall", "f1")),
                _cell(_num(stats.get("support")), "num")]
                for label, stats in per_label.items() if isinstance(stats, dict)]
            out.append({"system": s, "field": field, "n": _num(tag.get("n")),
                        "macro_f1": _num(tag.get("macro_f1")),
                        "accuracy": _num(tag.get("accuracy")),
                        "per_label": rows, "confusion": _confusion(tag)})
    return out


def _judge_section(report: Mapping[str, Any], systems: Sequence[str]) -> dict[str, Any]:
    headers, rows = _metric_rows(report, systems, "judge", JUDGE_METRICS,
                                 {k: 2 for k, _ in JUDGE_METRICS})
    labels = dict(JUDGE_METRICS)
    examples = []
    for s in systems:
        for ex in (_group(report, s, "judge") or {}).get("examples") or []:
            scores = ex.get("scores") or {}
            examples.append({
                "system": s, "case_id": str(ex.get("case_id") or _DASH),
                "scores": [(labels.get(k, k), _num(v, 2)) for k, v in scores.items()],
                "reasoning": str(ex.get("reasoning") or "")})
    return {"headers": headers, "rows": rows, "examples": examples}


def _latency_rows(report: Mapping[str, Any],
                  systems: Sequence[str]) -> tuple[list[str], list[list[dict[str, str]]]]:
    rows = []
    for s in systems:
        for stage, stats in (_group(report, s, "latency_ms") or {}).items():
            if not isinstance(stats, dict):
                continue
            rows.append([_cell(s, "sys"), _cell(str(stage), "lab"),
                         *(_cell(_num(stats.get(k), 1), "num") for k in LATENCY_KEYS)])
    headers = ["system", "stage", "n", "p50 ms", "p95 ms", "mean ms", "max ms"]
    return headers, rows


def _cost_rows(report: Mapping[str, Any],
               systems: Sequence[str]) -> tuple[list[str], list[list[dict[str, str]]]]:
    rows = []
    for s in systems:
        cost = _group(report, s, "cost") or {}
        if not any(_is_num(cost.get(k)) for k, _, _ in COST_METRICS):
            continue
        rows.append([_cell(s, "sys"),
                     *(_cell(_num(cost.get(k), d), "num") for k, _, d in COST_METRICS)])
    return ["system", *(label for _, label, _ in COST_METRICS)], rows


def _worst(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for case in report.get("worst_cases") or []:
        expected = [str(d) for d in case.get("expected_doc_ids") or []]
        wanted = set(expected)
        out.append({
            "case_id": str(case.get("case_id") or _DASH),
            "channel": str(case.get("channel") or _DASH),
            "similarity": _num(case.get("similarity")),
            "chrf": _num(case.get("chrf"), 1),
            "expected_doc_ids": expected,
            "articles": [(str(d), str(d) in wanted) for d in case.get("articles") or []],
            "customer_text": str(case.get("customer_text") or ""),
            "expected_reply": str(case.get("expected_reply") or ""),
            "draft": str(case.get("draft") or ""),
        })
    return out


def _headline(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A few replyassist figures for the top of the page."""
    items: list[tuple[str, str]] = []
    retrieval = _group(report, "replyassist", "retrieval") or {}
    drafts = _group(report, "replyassist", "drafts") or {}
    judge = _group(report, "replyassist", "judge") or {}
    latency = _group(report, "replyassist", "latency_ms") or {}
    for key, label in (("hit@1", "hit@1"), ("mrr", "MRR")):
        if _is_num(retrieval.get(key)):
            items.append((label, _num(retrieval[key])))
    if _is_num(drafts.get("similarity")):
        items.append(("draft similarity", _num(drafts["similarity"])))
    if _is_num(drafts.get("chrf")):
        items.append(("chrF", _num(drafts["chrf"], 1)))
    if _is_num(judge.get("correctness")):
        items.append(("judge correctness", _num(judge["correctness"], 2)))
    total = latency.get("total") if isinstance(latency.get("total"), dict) else None
    if total and _is_num(total.get("p95")):
        items.append(("p95 total", _ms(float(total["p95"]))))
    failed = sum(int(e.get("failed") or 0) for e in (report.get("systems") or {}).values()
                 if isinstance(e, dict))
    items.append(("failed cases", str(failed)))
    return items


def _context(report: Mapping[str, Any]) -> dict[str, Any]:
    systems = _systems(report)
    colors = _colors(systems)
    retrieval_systems = [s for s in systems if _group(report, s, "retrieval")]
    chart = None
    if retrieval_systems:
        series = [(s, colors[s], [(_group(report, s, "retrieval") or {}).get(k)
                                  for k, _ in RETRIEVAL_METRICS]) for s in retrieval_systems]
        chart = _bar_chart(RETRIEVAL_METRICS, series,
                           "Retrieval: " + ", ".join(retrieval_systems))
    samples = report.get("latency_samples_ms") or {}
    histograms = [h for stage, values in samples.items() if isinstance(values, list)
                  if (h := _histogram(str(stage), values, colors.get("replyassist",
                                                                        "#2563eb")))]
    return {
        "title": "replyassist evaluation",
        "run": _run_items(report),
        "headline": _headline(report),
        "legend": [(s, colors[s]) for s in retrieval_systems],
        "retrieval_chart": chart,
        "retrieval": _metric_rows(report, systems, "retrieval", RETRIEVAL_METRICS,
                                  with_counts=True),
        "citations": _metric_rows(report, systems, "citations", RETRIEVAL_METRICS),
        "tags": _tag_sections(report, systems),
        "drafts": _metric_rows(report, systems, "drafts", DRAFT_METRICS, {"chrf": 1}),
        "judge": _judge_section(report, systems),
        "histograms": histograms,
        "latency": _latency_rows(report, systems),
        "cost": _cost_rows(report, systems),
        "failed": [{k: str(f.get(k) or "") for k in ("system", "case_id", "error")}
                   for f in report.get("failed_cases") or []],
        "worst": _worst(report),
    }


# -------------------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_MD_BLOCK_START = re.compile(r"^(\s*)([#>+=~-]|\d+[.)])")


def _md(text: Any) -> str:
    """Inline Markdown for report text: special characters backslash-escaped (so ``<b>``
    stays text), newlines as ``<br>`` (table cells hold one line)."""
    escaped = _MD_SPECIAL.sub(r"\\\1", str(text))
    return "<br>".join(line.strip() for line in escaped.splitlines() if line.strip())


def _md_quote(text: Any) -> list[str]:
    """A blockquote keeping the text's line breaks, with nothing in it read as Markdown."""
    lines = str(text).splitlines() or [""]
    out = []
    for i, line in enumerate(lines):
        line = _MD_BLOCK_START.sub(r"\1\\\2", _MD_SPECIAL.sub(r"\\\1", line.rstrip()))
        more = i + 1 < len(lines) and lines[i + 1].strip() and line
        out.append(f"> {line}  " if more else f"> {line}".rstrip())
    return out


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[dict[str, str]]]) -> list[str]:
    """A padded pipe table: numbers right-aligned, the best value in bold."""
    if not rows:
        return []
    texts = [[f"**{c['t']}**" if "best" in c["c"].split() else _md(c["t"]) for c in row]
             for row in rows]
    numeric = [all("num" in row[i]["c"].split() for row in rows) for i in range(len(headers))]
    widths = [max(3, len(h), *(len(r[i]) for r in texts)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if n else c.ljust(w)
                                 for c, w, n in zip(cells, widths, numeric, strict=True)) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if n else ("-" * (w + 2))
                          for w, n in zip(widths, numeric, strict=True)) + "|"
    return [line([_md(h) for h in headers]), rule, *(line(r) for r in texts), ""]


def render_markdown(report: dict[str, Any]) -> str:
    """The report's tables as Markdown (no charts)."""
    ctx = _context(report)
    out = [f"# {ctx['title']}", ""]
    out += [f"- **{label}**: {_md(value)}" for label, value in ctx["run"]]
    out += ["", "**Headline (replyassist)**: " + " · ".join(
        f"{label} {_md(value)}" for label, value in ctx["headline"]), ""]

    out += ["## Retrieval", ""]
    out += _md_table(*ctx["retrieval"]) or ["No retrieval expectations in this run.", ""]
    if ctx["citations"][1]:
        out += ["### Citations", "", "Documents cited by the drafts, against the expected "
                "documents.", "", *_md_table(*ctx["citations"])]

    out += ["## Tags", ""]
    if not ctx["tags"]:
        out += ["No tag expectations in this run.", ""]
    for tag in ctx["tags"]:
        out += [f"### {_md(tag['field'])} ({_md(tag['system'])})", "",
                f"macro-F1 **{tag['macro_f1']}** · accuracy **{tag['accuracy']}** · "
                f"n {tag['n']}", ""]
        out += _md_table(["label", "precision", "recall", "F1", "support"], tag["per_label"])
        confusion = tag["confusion"]
        if confusion["rows"]:
            out += ["Confusion (rows: expected, columns: predicted):", ""]
            rows = [[_cell(r["label"], "lab"),
                     *(_cell(str(c["count"]), "num", "best" if c["diagonal"] and c["count"]
                             else "") for c in r["cells"])] for r in confusion["rows"]]
            out += _md_table(["expected ↓ predicted →", *confusion["labels"]], rows)
        elif confusion["top"]:
            out += ["Largest confusions:", ""]
            out += _md_table(["expected", "predicted", "count"], [
                [_cell(a, "lab"), _cell(b, "lab"), _cell(str(n), "num")]
                for n, a, b in confusion["top"]])

    out += ["## Drafts", ""]
    out += _md_table(*ctx["drafts"]) or ["No draft expectations in this run.", ""]

    out += ["## Judge", ""]
    judge = ctx["judge"]
    out += _md_table(judge["headers"], judge["rows"]) or ["No LLM judge in this run.", ""]
    for ex in judge["examples"]:
        scores = ", ".join(f"{_md(k)} {v}" for k, v in ex["scores"])
        out += [f"- **{_md(ex['case_id'])}** ({_md(ex['system'])}): {scores}",
                *(f"  {q}" for q in _md_quote(ex["reasoning"])), ""]

    out += ["## Latency", ""]
    out += _md_table(*ctx["latency"]) or ["No timings in this run.", ""]
    if ctx["cost"][1]:
        out += ["## Cost", "", *_md_table(*ctx["cost"])]

    out += ["## Failed cases", ""]
    if ctx["failed"]:
        out += _md_table(["system", "case", "error"], [
            [_cell(f["system"]), _cell(f["case_id"]), _cell(f["error"])]
            for f in ctx["failed"]])
    else:
        out += ["None.", ""]

    out += ["## Worst cases", ""]
    if not ctx["worst"]:
        out += ["No scored drafts in this run.", ""]
    for i, case in enumerate(ctx["worst"], 1):
        articles = ", ".join(f"**{_md(d)}**" if hit else _md(d) for d, hit in case["articles"])
        out += [f"### {i}. {_md(case['case_id'])}", "",
                f"channel {_md(case['channel'])} · similarity {case['similarity']} · "
                f"chrF {case['chrf']}", "",
                f"expected documents: {', '.join(map(_md, case['expected_doc_ids'])) or _DASH}"
                f" · retrieved: {articles or _DASH}", ""]
        for label, key in (("Customer", "customer_text"), ("Expected answer", "expected_reply"),
                           ("Our draft", "draft")):
            out += [f"**{label}**", "", *_md_quote(case[key]), ""]
    return "\n".join(out).rstrip() + "\n"


# ------------------------------------------------------------------------------ HTML


@cache
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                       autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                       lstrip_blocks=True, keep_trailing_newline=True)


def render_html(report: dict[str, Any]) -> str:
    """One self-contained HTML page: inline CSS and SVG, no script, no external load."""
    return _env().get_template("report.html.j2").render(**_context(report))


def write_reports(report: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write ``report.json``, ``report.md`` and ``report.html`` in ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    contents = {"report.json": json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                "report.md": render_markdown(report), "report.html": render_html(report)}
    paths = []
    for name, text in contents.items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
