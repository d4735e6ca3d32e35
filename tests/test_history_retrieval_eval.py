"""evals/history_retrieval.py on tiny synthetic data (no ../shared, no network, hash embedder)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from evals import history_retrieval as hr
from replyassist.models import Conversation

TOPICS = [("Ma liseuse ne s'allume plus.", "Veuillez réinitialiser la liseuse."),
          ("Je n'ai pas reçu mon livre.", "Le livre est dans votre bibliothèque."),
          ("Je veux un remboursement.", "Le remboursement sera fait sous cinq jours.")]


def _write_wmt(path: Path, chats: int = 10) -> None:
    path.parent.mkdir(parents=True)
    fields = ["source_language", "target_language", "source", "reference", "doc_id",
              "client_id", "sender"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for chat in range(chats):
            doc = f"en_fr_#CLIENT-02#_default020-12-{10 + chat}-{chat}"
            customer, agent = TOPICS[chat % len(TOPICS)]
            for who, text in [("customer", f"Bonjour. {customer}"), ("agent", agent),
                              ("customer", "Merci beaucoup."), ("agent", "Je vous en prie.")]:
                french = {"source": text, "reference": "(en)"} if who == "customer" else \
                    {"source": "(en)", "reference": text}
                writer.writerow({"source_language": "fr" if who == "customer" else "en",
                                 "target_language": "en" if who == "customer" else "fr",
                                 "doc_id": doc, "client_id": "#CLIENT-02#", "sender": who,
                                 **french})


def _write_twitter(root: Path, n: int = 10) -> None:
    root.mkdir(parents=True)
    (root / "docID_url.tsv").write_text("1\thttps://help.acme.com/reset-password\n")
    (root / "company_docIDs.tsv").write_text("AcmeHelp\t1\n")
    conversations = []
    for i in range(n):
        stamp = f"2020-03-{i + 1:02d}T10:00:00Z"
        text = ["my password does not work", "app crashes on start"][i % 2]
        reply = ["Reset it here: https://help.acme.com/reset-password",
                 "Please reinstall the app."][i % 2]
        conversations.append({
            "agentURL": {"doc_id": "1", "url_utterance": reply, "tweet_ID": f"a{i}"},
            "dialogContent": [{"client": f"user{i}", "datetime": stamp,
                               "message": f"@AcmeHelp {text}", "tweet_ID": str(i)}],
            "dialogHeader": {"company": "AcmeHelp", "conversationDateTime": stamp,
                             "sessionID": f"s{i:02d}"}})
    (root / "dev.json").write_text(json.dumps(conversations), encoding="utf-8")


def test_test_split_history_holds_every_earlier_chat(tmp_path: Path) -> None:
    path = tmp_path / "wmt_chat_fr" / "train.en-fr.csv"
    _write_wmt(path)
    dev, test = hr.wmt_set(path, "dev", 6), hr.wmt_set(path, "test", 6)
    assert len(dev.history[hr.WMT_TENANT]) == 6 and len(test.history[hr.WMT_TENANT]) == 8
    assert len(dev.cases) == len(test.cases) == 4  # 2 chats × 2 agent turns
    _write_twitter(tmp_path / "ibm_twitter_cdp")
    tdev = hr.twitter_set(tmp_path / "ibm_twitter_cdp", "dev")
    ttest = hr.twitter_set(tmp_path / "ibm_twitter_cdp", "test")
    assert len(tdev.history["AcmeHelp"]) == 6 and len(ttest.history["AcmeHelp"]) == 8
    back = ttest.history["AcmeHelp"][-1]  # a dev case, back with its real reply
    assert back.id == tdev.cases[-1].conversation.id
    assert [m.role for m in back.messages] == ["customer", "agent"]
    assert back.messages[-1].text == tdev.cases[-1].reply


def test_score_rankings_metrics() -> None:
    sims = np.array([[0.9, 0.2, 0.7], [0.1, 0.3, 0.65]])
    answers = ["a", "b", "c"]
    out = hr.score_rankings([[1, 0], []], ["a", "c"], answers, sims, k=2)
    assert out["n"] == 2 and out["empty"] == 1
    assert out["answer_sim@1"] == pytest.approx(0.1) and out["answer_sim@k"] == 0.45
    assert out["hit@1"] == 0 and out["hit@k"] == 0.5 and out["mrr"] == 0.25
    assert out["chrf@k"] == pytest.approx(50.0)  # "a" vs "a" is 100, the empty case 0


def test_nearest_in_conversation_maps_conversation_ids() -> None:
    conversation = Conversation.model_validate({
        "id": "h-1", "tenant": "acme", "channel": "chat", "messages": [
            {"role": "customer", "text": "password"}, {"role": "agent", "text": "reset it"},
            {"role": "customer", "text": "crash"}, {"role": "agent", "text": "reinstall"}]})
    pool = hr.build_pool({"acme": [conversation]}, "en")
    assert [e.answer for e in pool.exchanges] == ["reset it", "reinstall"]
    vectors = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert hr.nearest_in_conversation(pool, "acme", ["h-1", "h-1", "nope"], vectors,
                                      np.array([0.0, 1.0])) == [1, 0]


def test_main_end_to_end_on_synthetic_data(tmp_path: Path, capsys: pytest.CaptureFixture,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLYASSIST_EVAL_CACHE", str(tmp_path / "cache"))
    _write_wmt(tmp_path / "wmt_chat_fr" / "train.en-fr.csv")
    _write_twitter(tmp_path / "ibm_twitter_cdp")
    out = tmp_path / "figures.json"
    assert hr.main(["--data", str(tmp_path), "--embedder", "hash", "--english-embedder",
                    "none", "--baseline-embedder", "hash", "--k", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "WMT chat fr" in printed and "IBM Twitter" in printed and "answer-sim@2" in printed
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["split"] == "test" and figures["relevant_cosine"] == 0.6
    for name, cases in (("wmt", 4), ("twitter", 2)):
        result = figures["datasets"][name]
        assert result["cases"] == cases and result["suggest_errors"] == 0
        assert result["replyassist_cases_mapped_from_conversation_ids"] == 0
        assert set(result["systems"]) == set(hr.SYSTEMS)
        oracle = result["systems"]["oracle"]
        for system in result["systems"].values():
            assert system["answer_sim@k"] <= oracle["answer_sim@k"] + 1e-9
            assert system["chrf@k"] <= oracle["chrf@k"] + 1e-9
        assert result["suggest_latency_ms"]["p50"] > 0
    # the history's answers are templated: replyassist finds the exact past answer
    assert figures["datasets"]["twitter"]["systems"]["replyassist"]["hit@1"] == 1.0
