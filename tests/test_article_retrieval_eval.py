"""evals/article_retrieval.py on a tiny synthetic Banking77 (no ../shared, hash embedder)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from evals import article_retrieval as ar
from replyassist.models import KnowledgeArticle
from replyassist.testing import HashEmbeddings

CATEGORIES = ["card_arrival", "lost_or_stolen_card", "exchange_rate"]
PHRASES = {
    "card_arrival": ["my new card has not arrived yet", "when will my card arrive",
                     "still waiting for the card in the post", "card delivery is late"],
    "lost_or_stolen_card": ["someone stole my card", "I lost my card yesterday",
                            "my wallet and card were stolen", "card lost, please block it"],
    "exchange_rate": ["what exchange rate do you use", "the exchange rate was bad",
                      "how is the currency exchange rate set", "exchange rate for euros"],
}


def _write_csv(path: Path, rows: list[tuple[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "category"])
        writer.writerows(rows)


@pytest.fixture
def banking_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REPLYASSIST_EVAL_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "banking77"
    root.mkdir()
    (root / "categories.json").write_text(json.dumps(CATEGORIES))
    train = [(f"{text} ({n})", c) for c, texts in PHRASES.items() for text in texts
             for n in range(3)]
    _write_csv(root / "train.csv", train)
    _write_csv(root / "test.csv", [(texts[0], c) for c, texts in PHRASES.items()])
    return root


def test_articles_and_conversations() -> None:
    assert ar.category_title("card_arrival") == "Card arrival"
    (article,) = ar.build_articles(["card_arrival"])
    assert (article.id, article.title, article.body, article.language) == (
        "card_arrival", "Card arrival", "Card arrival", "en")
    assert article.url == "https://help.bank.example/articles/card_arrival"
    past = ar.history_conversation(0, ar.Example("where is my card", "card_arrival"))
    assert [m.role for m in past.messages] == ["customer", "agent"]
    assert past.messages[1].text == f"Please see {article.url}"
    incoming = ar.incoming_conversation(3, "where is my card")
    assert [m.role for m in incoming.messages] == ["customer"]
    assert incoming.tenant == "bank"


def test_splits_are_deterministic(banking_dir: Path) -> None:
    dev = ar.load_banking(banking_dir, "dev")
    assert len(dev.articles) == 3
    assert (len(dev.history), len(dev.queries)) == (28, 8)  # 80 % / 20 % of 36
    assert ar.load_banking(banking_dir, "dev").queries == dev.queries
    assert not set(dev.queries) & set(dev.history)
    test = ar.load_banking(banking_dir, "test")
    assert (len(test.history), len(test.queries)) == (36, 3)
    limited = ar.load_banking(banking_dir, "dev", limit=3).queries
    assert len(limited) == 3 and set(limited) <= set(dev.queries)
    assert limited == ar.load_banking(banking_dir, "dev", limit=3).queries


def test_vote_helpers() -> None:
    assert ar.ranked_votes({"b": 1.0, "a": 1.0, "c": 2.0}, 2) == ["c", "a"]
    history = [ar.Example("x", "b"), ar.Example("y", "a"), ar.Example("z", "b")]
    assert ar.popularity_ranking(history, 5) == ["b", "a"]
    queries = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    past = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]], dtype=np.float32)
    past /= np.linalg.norm(past, axis=1, keepdims=True)
    assert ar.knn_vote_rankings(queries, past, ["a", "a", "b"], neighbours=2) == [
        ["a"], ["b", "a"]]
    assert ar.dense_rankings(queries, past, ["p", "q", "r"], top=2) == [["p", "q"], ["r", "q"]]
    bm25 = ar.BM25Ranker(["lost card", "card arrival", "exchange rate"], ["l", "c", "e"])
    assert bm25.ranking("card arrival delay")[0] == "c"
    assert bm25.vote("exchange rate please") == ["e"]
    assert bm25.ranking("?") == []


def test_run_banking_end_to_end(banking_dir: Path) -> None:
    data = ar.load_banking(banking_dir, "dev")
    embedder = HashEmbeddings()
    result = ar.run_banking(data, embedder, None, {"minilm": embedder, "use": embedder},
                            embedder, top=3, analysis_embedder="off", llm_tagging="off")
    kb, full = result["settings"]["kb"], result["settings"]["kb+history"]
    assert set(kb) == {"replyassist", *ar.ARTICLE_METHODS}
    assert set(full) == {"replyassist", *ar.ARTICLE_METHODS, *ar.HISTORY_METHODS}
    for metrics in [*kb.values(), *full.values()]:
        assert metrics["n"] == len(data.queries)
        assert 0.0 <= metrics["hit@1"] <= metrics["hit@5"] <= 1.0
    assert full["knn_use"]["hit@5"] == 1.0  # near-duplicates of the queries are in history
    assert full["replyassist"]["hit@5"] >= kb["replyassist"]["hit@5"]
    # same vectors: the recipe over articles equals dense retrieval over articles
    assert full["recipe_articles"] == full["dense_use_articles"]
    assert result["ingest"]["history"]["added"] == len(data.history)
    assert result["suggest_latency_ms"]["kb"]["n"] == len(data.queries)
    ar.print_banking(result)


def test_sample_metrics() -> None:
    articles = [KnowledgeArticle(id=f"kb-x-{lang}", title="x", body="x", language=lang)
                for lang in ("fr", "en")]
    queries = [{"id": "q1", "language": "fr", "doc_ids": ["kb-x-fr", "kb-x-en"]},
               {"id": "q2", "language": "en", "doc_ids": ["kb-x-fr", "kb-x-en"]}]
    rankings = [["kb-x-en", "kb-x-fr"], ["kb-x-en"]]
    fr = ar.sample_metrics(queries, rankings, articles, "fr")
    assert (fr["n"], fr["hit@1"], fr["top1_same_language"]) == (1, 1.0, 0.0)
    en_only = ar.sample_metrics(queries, rankings, articles[1:], "en")
    assert (en_only["hit@1"], en_only["top1_same_language"]) == (1.0, 1.0)
    assert ar.sample_index(articles, "fr") == articles[:1]
    assert ar.other_language("fr") == "en"
