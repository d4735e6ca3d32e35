import json

from typer.testing import CliRunner

from replyassist.cli import app
from replyassist.sample import sample_path

runner = CliRunner()


def _env(tmp_path):
    return {"REPLYASSIST_EMBEDDER": "hash", "REPLYASSIST_STORE": str(tmp_path / "default")}


def test_ingest_and_suggest_commands(tmp_path):
    store = str(tmp_path / "store")
    env = _env(tmp_path)
    result = runner.invoke(app, ["ingest", "kb", str(sample_path("kb")), "--tenant",
                                 "atelier-brume", "--store", store], env=env)
    assert result.exit_code == 0, result.output
    assert "32 added, 0 updated, 0 skipped, 0 removed" in result.output
    result = runner.invoke(app, ["ingest", "history", str(sample_path("history.jsonl")),
                                 "--tenant", "atelier-brume", "--store", store], env=env)
    assert result.exit_code == 0 and "exchanges:" in result.output
    result = runner.invoke(app, ["suggest", str(sample_path("incoming.jsonl")), "--tenant",
                                 "atelier-brume", "--store", store, "--json"], env=env)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert len(lines) == 14
    assert all(s["drafts"] and s["analysis"]["language"] in ("fr", "en") for s in lines)
    human = runner.invoke(app, ["suggest", str(sample_path("incoming.jsonl")), "--tenant",
                                "atelier-brume", "--store", store], env=env)
    assert human.exit_code == 0 and "draft 1 [composed" in human.output


def test_suggest_reports_bad_lines_and_exit_code(tmp_path):
    path = tmp_path / "in.jsonl"
    good = {"id": "a", "channel": "sms", "messages": [{"role": "customer", "text": "hi"}]}
    path.write_text(json.dumps(good) + "\n{broken\n")
    result = runner.invoke(app, ["suggest", str(path), "--store", str(tmp_path / "s"),
                                 "--json"], env=_env(tmp_path))
    assert result.exit_code == 1
    assert "in.jsonl:2" in result.output and "malformed JSON" in result.output
    result = runner.invoke(app, ["ingest", "kb", str(tmp_path / "missing"), "--store",
                                 str(tmp_path / "s")], env=_env(tmp_path))
    assert result.exit_code == 2 and "no such file" in result.output


def test_generated_mode_without_llm_is_a_clear_error(tmp_path):
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"id": "a", "channel": "sms",
                                "messages": [{"role": "customer", "text": "hi"}]}))
    result = runner.invoke(app, ["suggest", str(path), "--mode", "generated", "--store",
                                 str(tmp_path / "s")], env=_env(tmp_path))
    assert result.exit_code == 1 and "configuration" in result.output
