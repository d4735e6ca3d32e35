"""Running an evaluation: cases in, one :class:`CaseResult` per (system, case) out.

Resumable: every result is written to ``out/cases/…`` as soon as it is done, and a rerun
with the same ``out`` skips what is there. One failing case is recorded as failed with
its error; it never stops the run. A malformed line is recorded as a failed case named
after its line (``line-12``) with the error naming the file, line and field.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from ..jsonl import read_records
from ..models import Conversation
from ..settings import Mode
from .results import CaseResult, ResultStore
from .systems import BaselineSystems, replyassist_result

if TYPE_CHECKING:
    from ..assistant import ReplyAssistant
    from .judge import Judge

__all__ = ["EvalRun", "evaluate", "ingest_inputs", "load_cases", "run_eval", "run_meta"]


@dataclass
class EvalRun:
    """What :func:`run_eval` did: the results, the malformed lines, the wall time."""

    results: list[CaseResult]
    bad_lines: list[CaseResult] = field(default_factory=list)
    wall_seconds: float = 0.0
    started_at: str = ""
    cached: int = 0


def _failed(case_id: str, system: str, error: str, *, channel: str = "other",
            tenant: str = "-", customer_text: str = "", **extra: Any) -> CaseResult:
    return CaseResult(case_id=case_id, system=system, status="failed",  # type: ignore[arg-type]
                      error=error, channel=channel, tenant=tenant,
                      customer_text=customer_text, **extra)


def load_cases(path: str | Path) -> tuple[list[Conversation], list[CaseResult]]:
    """The valid cases, and one failed result per malformed line."""
    cases: list[Conversation] = []
    bad: list[CaseResult] = []
    seen: set[str] = set()
    for record in read_records(path, Conversation):
        if record.value is None:
            bad.append(_failed(f"line-{record.line}", "replyassist", str(record.error)))
            continue
        if record.value.id in seen:
            bad.append(_failed(f"line-{record.line}", "replyassist",
                               f"{path}:{record.line}: duplicate case id {record.value.id!r}",
                               channel=record.value.channel, tenant=record.value.tenant))
            continue
        seen.add(record.value.id)
        cases.append(record.value)
    return cases, bad


def _known_urls(assistant: ReplyAssistant, tenant: str, cache: dict[str, set[str]]
                ) -> set[str]:
    if tenant not in cache:
        kb, _ = assistant.pipeline.collections(tenant)
        urls: set[str] = set()
        if kb is not None:
            from kb_ingest.history import normalize_url

            urls = {normalize_url(str(item.metadata["url"])) for item in
                    kb.iter_all(documents=False) if item.metadata.get("url")}
        cache[tenant] = urls
    return cache[tenant]


def run_eval(
    assistant: ReplyAssistant,
    cases_path: str | Path,
    out_dir: str | Path,
    *,
    mode: Mode = "composed",
    tenant: str | None = None,
    baselines: bool = False,
    judge: Judge | None = None,
    progress: bool | None = None,
    on_case: Callable[[CaseResult], None] | None = None,
) -> EvalRun:
    """Run replyassist (and the baselines) on every case of ``cases_path``."""
    store = ResultStore(out_dir)
    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    cases, bad = load_cases(cases_path)
    if tenant:
        cases = [c.model_copy(update={"tenant": tenant}) for c in cases]
    systems = ["replyassist", *(BaselineSystems.NAMES if baselines else ())]
    others = BaselineSystems(assistant) if baselines else None
    urls: dict[str, set[str]] = {}
    results: list[CaseResult] = []
    cached = 0
    show = sys.stderr.isatty() if progress is None else progress
    with tqdm(total=len(cases) * len(systems), disable=not show, unit="case",
              desc="eval") as bar:
        for system in systems:
            for case in cases:
                result = store.get(system, case.id)
                if result is not None:
                    cached += 1
                else:
                    result = _run_one(assistant, others, system, case, mode, urls, judge)
                    store.put(result)
                results.append(result)
                if on_case is not None:
                    on_case(result)
                bar.update(1)
    return EvalRun(results, bad, time.perf_counter() - started, started_at, cached)


def _run_one(assistant: ReplyAssistant, others: BaselineSystems | None, system: str,
             case: Conversation, mode: Mode, urls: dict[str, set[str]],
             judge: Judge | None) -> CaseResult:
    try:
        if system != "replyassist":
            assert others is not None
            return others.run(system, case)
        suggestions = assistant.suggest(case, mode=mode, tenant=case.tenant)
        result = replyassist_result(assistant, case, suggestions,
                                    _known_urls(assistant, case.tenant, urls))
        if judge is not None and result.drafts:
            result.judge = judge.score(case, suggestions)
        return result
    except Exception as error:  # one case never aborts the run (ours or a vendor's)
        text = case.latest_customer_text()[-2000:] if case.messages else ""
        return _failed(case.id, system, f"{type(error).__name__}: {error}",
                       channel=case.channel, tenant=case.tenant, customer_text=text,
                       expected=case.expected)


def run_meta(assistant: ReplyAssistant, run: EvalRun, *, mode: str, tenant: str | None,
             systems: list[str]) -> dict[str, Any]:
    from .. import __version__

    name = getattr(assistant.embedder, "name", type(assistant.embedder).__name__)
    model = None
    if assistant.chat_model is not None and mode != "composed":
        model = str(getattr(assistant.chat_model, "model_name", None) or
                    type(assistant.chat_model).__name__)
    return {"cases": len({r.case_id for r in run.results}), "mode": mode,
            "embedder": str(name), "tenant": tenant, "started_at": run.started_at,
            "wall_seconds": round(run.wall_seconds, 2), "systems": systems,
            "replyassist_version": __version__, "llm_model": model,
            "cached_results": run.cached}


def evaluate(
    assistant: ReplyAssistant,
    cases_path: str | Path,
    out_dir: str | Path,
    *,
    mode: Mode = "composed",
    tenant: str | None = None,
    baselines: bool = False,
    judge: Judge | None = None,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Run, aggregate and write ``report.json`` / ``report.md`` / ``report.html`` in
    ``out_dir``; returns the report."""
    from .render import write_reports
    from .report import build_report

    run = run_eval(assistant, cases_path, out_dir, mode=mode, tenant=tenant,
                   baselines=baselines, judge=judge, progress=progress)
    systems = ["replyassist", *(BaselineSystems.NAMES if baselines else ())]
    report = build_report(run.results, run_meta(assistant, run, mode=mode, tenant=tenant,
                                                systems=systems), run.bad_lines)
    write_reports(report, Path(out_dir))
    return report


def ingest_inputs(assistant: ReplyAssistant, kb: str | Path | None,
                  history: str | Path | None, tenant: str) -> list[str]:
    """Ingest the articles and past conversations an evaluation needs; returns the
    summary lines. Multi-brand inputs (articles with ``metadata.tenant``, conversations
    with their ``tenant``, as the Twitter converter writes them) go to each brand's own
    collections; everything else goes to ``tenant``."""
    from collections import defaultdict

    from kb_ingest import load_articles

    from ..models import KnowledgeArticle

    lines: list[str] = []
    if kb is not None:
        groups: dict[str, list[KnowledgeArticle]] = defaultdict(list)
        records = list(load_articles(kb))
        if all(r.value is not None and r.value.metadata.get("tenant") for r in records):
            for record in records:
                assert record.value is not None
                groups[str(record.value.metadata["tenant"])].append(record.value)
            for name, articles in sorted(groups.items()):
                lines.append(f"{name}: {assistant.ingest_kb(articles, tenant=name).summary()}")
        else:
            lines.append(assistant.ingest_kb(kb, tenant=tenant).summary())
    if history is not None:
        conversations: dict[str, list[Conversation]] = defaultdict(list)
        for line in read_records(history, Conversation):
            if line.value is None:
                raise line.error or ValueError(f"{history}:{line.line}: invalid")
            conversations[line.value.tenant].append(line.value)
        if len(conversations) > 1:
            for name, items in sorted(conversations.items()):
                report = assistant.ingest_history(items, tenant=name)
                lines.append(f"{name}: {report.summary()}")
        else:
            lines.append(assistant.ingest_history(
                [c.model_copy(update={"tenant": tenant}) for items in conversations.values()
                 for c in items], tenant=tenant).summary())
    return lines
