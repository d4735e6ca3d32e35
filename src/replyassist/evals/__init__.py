"""Evaluation harness: score replyassist on a team's test conversations, next to
baselines, with resumable runs and JSON / Markdown / HTML reports.

    from replyassist.evals import evaluate
    report = evaluate(assistant, "cases.jsonl", "runs/today", baselines=True)

CLI: ``replyassist eval CASES.jsonl --kb … --history … --out DIR --baselines`` and
``replyassist eval compare RUN_A RUN_B``. Converters for public data sets:
:mod:`replyassist.evals.converters`.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "SCHEMA",
    "SYSTEMS",
    "BaselineSystems",
    "CaseResult",
    "DraftResult",
    "EvalRun",
    "Judge",
    "JudgeScores",
    "ResultStore",
    "build_report",
    "compare_reports",
    "evaluate",
    "load_cases",
    "load_report",
    "render_comparison",
    "run_eval",
]

_HOME = {"SCHEMA": "report", "build_report": "report", "SYSTEMS": "results",
         "CaseResult": "results", "DraftResult": "results", "ResultStore": "results",
         "EvalRun": "runner", "evaluate": "runner", "load_cases": "runner",
         "run_eval": "runner", "BaselineSystems": "systems", "Judge": "judge",
         "JudgeScores": "judge", "compare_reports": "compare", "load_report": "compare",
         "render_comparison": "compare"}


def __getattr__(name: str) -> Any:
    # Lazy: ``import replyassist`` stays light (the harness pulls tqdm, sacrebleu, ...).
    if name in _HOME:
        return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    raise AttributeError(name)
