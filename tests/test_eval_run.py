"""The evaluation harness end to end: run, baselines, resume, failures, CLI, judge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from replyassist.cli import app
from replyassist.evals import ResultStore, evaluate, run_eval
from replyassist.evals.judge import Judge
from replyassist.prompts import PromptLibrary
from replyassist.sample import SAMPLE_TENANT, sample_path
from replyassist.testing import FakeChatModel


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    """The sample brand's incoming conversations: they carry expected replies, article
    ids and tags."""
    path = tmp_path / "cases.jsonl"
    path.write_text(sample_path("incoming.jsonl").read_text(encoding="utf-8"), "utf-8")
    return path


def test_evaluate_with_baselines(sample_assistant, cases: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    report = evaluate(sample_assistant, cases, out, baselines=True, progress=False)
    assert report["schema"] == "replyassist.eval/1"
    assert set(report["systems"]) == {"replyassist", "bm25", "dense", "langchain", "most_used"}
    ours = report["systems"]["replyassist"]
    n_cases = sum(1 for line in cases.read_text().splitlines() if line.strip())
    assert ours["cases"] == n_cases and ours["failed"] == 0
    for system in report["systems"].values():
        retrieval = system["retrieval"]
        assert retrieval is not None and 0 <= retrieval["hit@1"] <= retrieval["hit@5"] <= 1
    assert ours["retrieval"]["hit@5"] > 0.5  # the sample KB answers the sample cases
    assert {"mood", "urgency", "register"} <= set(ours["tags"])
    drafts = ours["drafts"]
    assert drafts["n"] == n_cases and 0 < drafts["chrf"] <= 100
    assert -1 <= drafts["similarity"] <= 1 and drafts["within_channel_limit"] is not None
    assert "total" in ours["latency_ms"] and report["latency_samples_ms"]["total"]
    assert report["worst_cases"] and report["worst_cases"][0]["draft"]
    for name in ("report.json", "report.md", "report.html"):
        assert (out / name).stat().st_size > 0
    assert json.loads((out / "report.json").read_text())["run"]["cases"] == n_cases


def test_interrupted_run_resumes(sample_assistant, cases: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    seen: list[str] = []

    def stop_after_three(result) -> None:
        seen.append(result.case_id)
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_eval(sample_assistant, cases, out, progress=False, on_case=stop_after_three)
    assert len(ResultStore(out).all("replyassist")) == 3
    calls: list[str] = []
    original = sample_assistant.suggest

    def counting(conversation, **kwargs):
        calls.append(conversation.id)
        return original(conversation, **kwargs)

    sample_assistant.suggest = counting
    run = run_eval(sample_assistant, cases, out, progress=False)
    assert run.cached == 3
    assert len(calls) == len(run.results) - 3  # only the missing cases ran
    assert not set(calls) & set(seen)


def test_failures_are_recorded_not_fatal(sample_assistant, cases: Path, tmp_path: Path
                                         ) -> None:
    lines = cases.read_text(encoding="utf-8").splitlines()
    lines.insert(1, '{"id": "broken", "channel": "fax", "messages": []}')
    cases.write_text("\n".join(lines) + "\n", encoding="utf-8")
    original = sample_assistant.suggest

    def flaky(conversation, **kwargs):
        if conversation.id == "c-103":
            raise RuntimeError("model exploded")
        return original(conversation, **kwargs)

    sample_assistant.suggest = flaky
    report = evaluate(sample_assistant, cases, tmp_path / "run", progress=False)
    failed = {f["case_id"]: f["error"] for f in report["failed_cases"]}
    assert "line-2" in failed and f"{cases}:2" in failed["line-2"]
    assert "channel" in failed["line-2"]
    assert "model exploded" in failed["c-103"]
    assert report["systems"]["replyassist"]["failed"] == 1


def test_judge_scores_with_a_chat_model(sample_assistant, cases: Path) -> None:
    from replyassist.evals.runner import load_cases

    case = load_cases(cases)[0][0]
    suggestions = sample_assistant.suggest(case, mode="composed")
    model = FakeChatModel(responses=[{"reasoning": "Accurate and kind.", "correctness": 5,
                                      "helpfulness": 4, "tone_fit": 5, "brand_voice": 4}])
    judged = Judge(model, PromptLibrary(), sample_assistant.brand).score(case, suggestions)
    assert judged["scores"] == {"correctness": 5, "helpfulness": 4, "tone_fit": 5,
                                "brand_voice": 4}
    assert judged["reasoning"] == "Accurate and kind."
    assert suggestions.drafts[0].text in str(model.calls[0][1].content)
    broken = Judge(FakeChatModel(responses=[{"correctness": 9}]), PromptLibrary(),
                   sample_assistant.brand).score(case, suggestions)
    assert "error" in broken


def test_eval_cli_and_compare(tmp_path: Path, cases: Path, monkeypatch) -> None:
    monkeypatch.setenv("REPLYASSIST_EMBEDDER", "hash")
    monkeypatch.setenv("REPLYASSIST_ANALYSIS_EMBEDDER", "off")
    runner = CliRunner()
    common = ["--kb", str(sample_path("kb")), "--history", str(sample_path("history.jsonl")),
              "--tenant", SAMPLE_TENANT]
    first = runner.invoke(app, ["eval", str(cases), *common, "--out", str(tmp_path / "a"),
                                "--baselines"])
    assert first.exit_code == 0, first.output
    assert "hit@1" in first.stdout and (tmp_path / "a" / "report.html").exists()
    second = runner.invoke(app, ["eval", str(cases), *common, "--out", str(tmp_path / "b")])
    assert second.exit_code == 0, second.output
    diff = runner.invoke(app, ["eval", "compare", str(tmp_path / "a"), str(tmp_path / "b")])
    assert diff.exit_code == 0, diff.output
    assert "hit@1" in diff.stdout
    missing = runner.invoke(app, ["eval", "compare", str(tmp_path / "a"),
                                  str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "nowhere" in missing.stderr
