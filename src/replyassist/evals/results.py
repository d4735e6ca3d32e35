"""What one system did on one case, and the per-case cache that makes runs resumable.

A run directory (``--out``) holds ``cases/<system>/<case-id-hash>.json`` (one
:class:`CaseResult` each, written as soon as the case is done), ``run.json`` (the run's
settings) and the reports. A rerun with the same ``--out`` skips every cached case.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..models import Analysis, Expected, Usage

__all__ = ["SYSTEMS", "CaseResult", "DraftResult", "ResultStore", "System"]

System = Literal["replyassist", "bm25", "dense", "langchain", "most_used"]
SYSTEMS: tuple[str, ...] = ("replyassist", "bm25", "dense", "langchain", "most_used")


class DraftResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    tone: str | None = None
    strategy: str | None = None
    citations: list[str] = Field(default_factory=list)  # doc ids
    warnings: list[str] = Field(default_factory=list)  # notice codes


class CaseResult(BaseModel):
    """One system's output on one case (baselines only fill ``articles``)."""

    model_config = ConfigDict(extra="forbid")

    case_id: str
    system: System
    status: Literal["ok", "failed"] = "ok"
    error: str | None = None
    channel: str
    tenant: str
    customer_text: str  # the latest customer turns, for the report
    expected: Expected | None = None
    articles: list[str] = Field(default_factory=list)  # ranked doc ids
    known_articles: list[str] = Field(default_factory=list)  # retrieved doc ids (citations)
    analysis: Analysis | None = None
    drafts: list[DraftResult] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    usage: Usage | None = None
    draft_metrics: dict[str, float | bool | None] = Field(default_factory=dict)  # 1st draft
    judge: dict[str, Any] | None = None  # rubric scores and reasoning (LLM configured)


class ResultStore:
    """Per-case JSON files under ``root/cases/<system>/``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, system: str, case_id: str) -> Path:
        digest = hashlib.sha1(case_id.encode("utf-8")).hexdigest()[:16]
        return self.root / "cases" / system / f"{digest}.json"

    def get(self, system: str, case_id: str) -> CaseResult | None:
        path = self._path(system, case_id)
        if not path.is_file():
            return None
        try:
            return CaseResult.model_validate_json(path.read_text(encoding="utf-8"))
        except ValueError:
            return None  # a half-written file from an interrupted run: redo the case

    def put(self, result: CaseResult) -> None:
        path = self._path(result.system, result.case_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(result.model_dump_json(), encoding="utf-8")
        tmp.replace(path)  # atomic: an interruption never leaves a partial result

    def all(self, system: str | None = None) -> list[CaseResult]:
        folders = [self.root / "cases" / system] if system else \
            sorted((self.root / "cases").glob("*"))
        out: list[CaseResult] = []
        for folder in folders:
            for path in sorted(folder.glob("*.json")):
                try:
                    out.append(CaseResult.model_validate_json(path.read_text("utf-8")))
                except ValueError:
                    continue
        return out

    def write_json(self, name: str, payload: Any) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n",
                        encoding="utf-8")
        return path
