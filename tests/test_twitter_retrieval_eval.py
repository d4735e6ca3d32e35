"""evals/twitter_retrieval.py on tiny synthetic data (no ../shared, no network, hash embedder)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from evals import twitter_retrieval as tr
from replyassist.testing import HashEmbeddings

TOPICS = {  # doc_id → (URL slug, customer message)
    "1": ("reset-your-password", "I forgot my password, how do I reset the password?"),
    "2": ("cancel-subscription", "How do I cancel my subscription and stop billing?"),
    "3": ("refund-request", "I want a refund for my last order"),
    "4": ("delete-account", "Please delete my account and all my data"),
}


def _conversation(company: str, i: int, doc_id: str, day: int) -> dict[str, Any]:
    slug, message = TOPICS[doc_id]
    url = f"https://help.example.com/{slug}"
    return {
        "agentURL": {"doc_id": doc_id.zfill(4), "turn": "2", "tweet_ID": f"{company}{i}",
                     "url": url, "url_utterance": f"@user Sorry about that! Here is how: {url}"},
        "dialogContent": [{"client": "user", "datetime": f"2020-04-{day:02d}T10:00:00.000Z",
                           "message": f"@{company} {message} (case {i})",
                           "tweet_ID": f"t{company}{i}"}],
        "dialogHeader": {"company": company,
                         "conversationDateTime": f"2020-04-{day:02d}T10:00:00.000Z",
                         "sessionID": f"s{i:03d}"},
    }


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REPLYASSIST_EVAL_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "ibm"
    root.mkdir()
    (root / "docID_url.tsv").write_text("".join(
        f"{doc_id}\thttps://help.example.com/{slug}\n" for doc_id, (slug, _) in TOPICS.items()))
    (root / "company_docIDs.tsv").write_text("AcmeHelp\t0001,0002,0003,0004\nTiny\t1,2\n")
    # AcmeHelp: doc 1 linked most often early on; the file order is NOT the time order
    acme = [("1", 1), ("1", 2), ("2", 3), ("1", 4), ("3", 5), ("2", 6),  # history of dev
            ("3", 7), ("2", 8),  # dev incoming (test: history too)
            ("4", 9), ("3", 10)]  # test incoming
    conversations = [_conversation("AcmeHelp", i, d, day) for i, (d, day) in enumerate(acme)]
    conversations.reverse()
    conversations += [_conversation("Tiny", 20 + i, d, day)
                      for i, (d, day) in enumerate([("1", 1), ("2", 2)])]
    (root / "dev.json").write_text(json.dumps(conversations))
    return root


def test_time_split_positions() -> None:
    convs = list(range(10))
    assert tr.time_split(convs, "dev") == (list(range(6)), [6, 7])
    assert tr.time_split(convs, "test") == (list(range(8)), [8, 9])
    assert tr.time_split([0, 1], "dev") == ([0], [])  # int(1.2) = int(1.6) = 1
    assert tr.time_split([0, 1], "test") == ([0], [1])
    with pytest.raises(ValueError):
        tr.time_split(convs, "train")


def test_split_by_company_is_in_time_order_and_skips_empty_parts(data_dir: Path) -> None:
    data = tr.load_twitter(data_dir)
    skipped: list[str] = []
    dev = tr.split_by_company(data, "dev", skipped=skipped)
    assert list(dev) == ["AcmeHelp"] and skipped == ["Tiny"]
    history, incoming = dev["AcmeHelp"]
    assert [tr.linked_doc(r) for r in history] == ["1", "1", "2", "1", "3", "2"]
    assert [tr.linked_doc(r) for r in incoming] == ["3", "2"]
    test = tr.split_by_company(data, "test")
    assert set(test) == {"AcmeHelp", "Tiny"}
    history, incoming = test["AcmeHelp"]
    assert len(history) == 8 and [tr.linked_doc(r) for r in incoming] == ["4", "3"]
    last_seen = max(r["dialogHeader"]["conversationDateTime"] for r in history)
    assert all(r["dialogHeader"]["conversationDateTime"] > last_seen for r in incoming)


def test_knn_vote_weights_ties_and_popularity_fill() -> None:
    labels = ["a", "b", "b", "c"]
    popular = ["b", "c", "a", "d"]
    # a: 0.9**3 = 0.729 beats b: 0.5**3 + 0.5**3 = 0.25; c (negative) does not vote
    assert tr.knn_vote(np.array([0.9, 0.5, 0.5, -0.8]), labels, popular, 4) == \
        ["a", "b", "c", "d"]
    # a tie is broken by popularity; only the `neighbours` best vote
    assert tr.knn_vote(np.array([0.5, 0.5, 0.1, 0.9]), labels, popular, 2,
                       neighbours=1) == ["c", "b"]
    assert tr.knn_vote(np.array([0.6, 0.0, 0.0, 0.6]), labels, popular, 3) == ["c", "a", "b"]


def test_popularity_ranking_most_linked_first(data_dir: Path) -> None:
    data = tr.load_twitter(data_dir)
    history, _ = tr.split_by_company(data, "test")["AcmeHelp"]
    assert tr.popularity_ranking(history, None) == ["1", "2", "3"]
    assert tr.popularity_ranking(history, 1) == ["1"]


def _run(data_dir: Path, monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    make = tr.make_assistant

    def recording_make_assistant(*args: Any, **kw: Any) -> Any:
        seen.update(kw)
        return make(*args, **{**kw, "english_embedder": None})  # the wiring is not ours

    monkeypatch.setattr(tr, "make_assistant", recording_make_assistant)
    result = tr.run_twitter_retrieval(
        data_dir, HashEmbeddings(), baseline_embedders={"minilm": HashEmbeddings(64),
                                                        "use": HashEmbeddings(128)},
        recipe_embedder=HashEmbeddings(), verbose=False, **kwargs)
    result["_make_assistant"] = seen
    return result


def test_run_reports_every_method_on_the_split(data_dir: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    english = HashEmbeddings(32)
    result = _run(data_dir, monkeypatch, split="test", articles=5, english_embedder=english)
    assert result["_make_assistant"]["top_articles"] == 5
    assert result["_make_assistant"]["english_embedder"] is english
    assert result["split"] == "test" and result["articles"] == 5
    assert result["companies"] == 2 and result["incoming_conversations"] == 3
    assert result["history_conversations"] == 9
    # expected 4 (AcmeHelp) was never linked before; 3 was; Tiny's 2 was not
    assert result["expected_seen_in_history"] == 1
    assert result["upper_bound_seen_in_history"] == pytest.approx(1 / 3)
    assert set(tr.METHODS) <= set(result["overall_micro"])
    for method in tr.METHODS:
        metrics = result["overall_micro"][method]
        assert metrics["n"] == 3 and 0.0 <= metrics["hit@1"] <= metrics["hit@5"] <= 1.0
    # popularity can only find doc 3 (3rd most linked) → hit@1 0, hit@5 1/3, MRR 1/9
    pop = result["overall_micro"]["most_used"]
    assert pop["hit@1"] == 0.0 and pop["hit@5"] == pytest.approx(1 / 3)
    assert pop["mrr"] == pytest.approx(1 / 9)
    # history-only methods never exceed the upper bound
    for method in ("most_used", "knn_minilm", "knn_use", "bm25_vote"):
        assert result["overall_micro"][method]["hit@5"] <= result["upper_bound_seen_in_history"]
    # article-only methods see doc 4 even though history never linked it
    assert result["overall_micro"]["langchain_chroma"]["hit@5"] > 0
    assert set(result["per_company"]) == {"AcmeHelp", "Tiny"}
    assert result["suggest_latency_ms"]["n"] == 3
    assert json.dumps(result, default=str)


def test_run_top_n_and_dev_split(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run(data_dir, monkeypatch, split="dev", articles=1)
    assert result["_make_assistant"]["top_articles"] == 1
    assert result["_make_assistant"]["english_embedder"] is None
    assert result["companies"] == 1 and result["skipped_companies"] == ["Tiny"]
    assert result["incoming_conversations"] == 2 and result["history_conversations"] == 6
    for method in tr.METHODS:  # a top-1 list: hit@5 = hit@1 = MRR
        metrics = result["overall_micro"][method]
        assert metrics["hit@1"] == metrics["hit@5"] == pytest.approx(metrics["mrr"])
    with pytest.raises(ValueError):
        tr.run_twitter_retrieval(data_dir, HashEmbeddings(), articles=0)
