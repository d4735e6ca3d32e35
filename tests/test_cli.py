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


def test_suggest_articles_option_sets_how_many_articles(tmp_path):
    store = str(tmp_path / "store")
    env = _env(tmp_path)
    result = runner.invoke(app, ["ingest", "kb", str(sample_path("kb")), "--tenant",
                                 "atelier-brume", "--store", store], env=env)
    assert result.exit_code == 0, result.output
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"id": "a", "channel": "chat", "messages": [
        {"role": "customer", "text": "My order has not arrived, where is my parcel? "
                                     "Can I get a refund or exchange it?"}]}))

    def count(*extra: str) -> int:
        out = runner.invoke(app, ["suggest", str(path), "--tenant", "atelier-brume",
                                  "--store", store, "--mode", "composed", "--json", *extra],
                            env=env)
        assert out.exit_code == 0, out.output
        return len(json.loads(out.output.splitlines()[0])["articles"])

    assert count() == 3  # Settings.top_articles
    assert count("--articles", "1") == 1
    assert count("--articles", "6") == 6
    bad = runner.invoke(app, ["suggest", str(path), "--store", store, "--articles", "0"],
                        env=env)
    assert bad.exit_code == 2 and "--articles" in bad.output


def test_ranking_fit_and_show(tmp_path):
    store = str(tmp_path / "store")
    env = _env(tmp_path)
    for kind, source in (("kb", sample_path("kb")), ("history", sample_path("history.jsonl"))):
        result = runner.invoke(app, ["ingest", kind, str(source), "--tenant", "atelier-brume",
                                     "--store", store], env=env)
        assert result.exit_code == 0, result.output
    fitted = runner.invoke(app, ["ranking", "fit", "--tenant", "atelier-brume",
                                 "--store", store], env=env)
    assert fitted.exit_code == 0, fitted.output
    assert "ranking of atelier-brume" in fitted.output and "labelled" in fitted.output
    shown = runner.invoke(app, ["ranking", "show", "--tenant", "atelier-brume",
                                "--store", store], env=env)
    assert shown.exit_code == 0, shown.output
    ranking = json.loads(shown.output)
    assert set(ranking["routes"]) == {"primary", "english"}
    assert ranking["routes"]["primary"]["articles"]["features"][0] == "dense"
    empty = runner.invoke(app, ["ranking", "show", "--tenant", "nobody", "--store", store],
                          env=env)
    assert empty.exit_code == 0 and json.loads(empty.output)["labelled"] == 0
