"""The harness's metrics on tiny cases computed by hand."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from replyassist.evals import metrics
from replyassist.evals.metrics import (
    chrf,
    citations_retrieved,
    classification_report,
    cosine,
    estimated_cost,
    find_urls,
    latency_summary,
    links_known,
    mean,
    rank_metrics,
    within_channel_limit,
)


# ------------------------------------------------------------------ retrieval
def test_rank_metrics_single_case() -> None:
    # {a} in [b, a, c]: first found at rank 2.
    assert rank_metrics([{"a"}], [["b", "a", "c"]]) == {
        "n": 1,
        "hit@1": 0.0,
        "hit@5": 1.0,
        "mrr": 0.5,
        "recall@5": 1.0,
    }


def test_rank_metrics_recall_counts_every_expected_id() -> None:
    # a at rank 1, b at rank 6 (outside the top 5): recall@5 = 1/2.
    out = rank_metrics([{"a", "b"}], [["a", "x", "y", "z", "w", "b"]])
    assert out == {"n": 1, "hit@1": 1.0, "hit@5": 1.0, "mrr": 1.0, "recall@5": 0.5}


def test_rank_metrics_averages_and_skips_empty_expectations() -> None:
    out = rank_metrics(
        [{"a"}, {"a", "b"}, {"c"}, set()],
        [["b", "a", "c"], ["a", "x", "y", "z", "w", "b"], ["x"], ["a"]],
    )
    assert out["n"] == 3  # the empty expectation is skipped
    assert out["hit@1"] == pytest.approx(1 / 3)
    assert out["hit@5"] == pytest.approx(2 / 3)
    assert out["mrr"] == pytest.approx((0.5 + 1 + 0) / 3)
    assert out["recall@5"] == pytest.approx((1 + 0.5 + 0) / 3)


def test_rank_metrics_empty_and_custom_ks() -> None:
    assert rank_metrics([], []) == {"n": 0, "hit@1": 0.0, "hit@5": 0.0, "mrr": 0.0, "recall@5": 0.0}
    assert rank_metrics([set()], [["a"]])["n"] == 0
    out = rank_metrics([{"c"}], [["a", "b", "c"]], ks=(1, 3))
    assert out == {"n": 1, "hit@1": 0.0, "hit@3": 1.0, "mrr": pytest.approx(1 / 3), "recall@3": 1.0}
    with pytest.raises(ValueError):
        rank_metrics([{"a"}], [])
    with pytest.raises(ValueError):
        rank_metrics([{"a"}], [["a"]], ks=())


# ------------------------------------------------------------------ tags
LABELS = ["a", "b", "c"]
Y_TRUE = ["a", "a", "a", "b", "b", "c"]
Y_PRED: list[str | None] = ["a", "a", "b", "b", "c", None]


def test_classification_report_by_hand() -> None:
    report = classification_report(Y_TRUE, Y_PRED, LABELS)
    # rows = true, columns = predicted; the None prediction (true c) is in no cell.
    assert report["confusion"] == [[2, 1, 0], [0, 1, 1], [0, 0, 0]]
    a, b, c = (report["per_label"][label] for label in LABELS)
    # a: TP 2, 3 true, 2 predicted; b: TP 1, 2 true, 2 predicted; c: TP 0, 1 true, 1 predicted
    assert a == {
        "precision": 1.0,
        "recall": pytest.approx(2 / 3),
        "f1": pytest.approx(0.8),
        "support": 3,
    }
    assert b == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert c == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert report["macro_f1"] == pytest.approx((0.8 + 0.5 + 0.0) / 3)
    assert report["accuracy"] == 0.5
    assert report["n"] == 6
    assert report["labels"] == LABELS
    assert report["labels_without_support"] == []
    assert report["outside_labels"] == {"true": 0, "predicted": 1}


def test_classification_report_labels_without_support_and_outside_values() -> None:
    report = classification_report(["a", "b", "z"], ["a", "a", "b"], ["a", "b", "d"])
    assert report["labels_without_support"] == ["d"]
    assert report["per_label"]["d"]["f1"] == 0.0
    # a: TP 1, 1 true, 2 predicted → F1 2/3; b: TP 0 → 0; d → 0
    assert report["macro_f1"] == pytest.approx((2 / 3) / 3)
    assert report["accuracy"] == pytest.approx(1 / 3)
    assert report["outside_labels"] == {"true": 1, "predicted": 0}
    assert report["confusion"] == [[1, 0, 0], [1, 0, 0], [0, 0, 0]]


def test_classification_report_none_is_never_right() -> None:
    # Even when a label looks like the sentinel, None stays a wrong prediction.
    report = classification_report(["<no prediction>"], [None], ["<no prediction>", "b"])
    assert report["accuracy"] == 0.0
    assert report["confusion"] == [[0, 0], [0, 0]]


def test_classification_report_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        classification_report(["a"], [], LABELS)
    with pytest.raises(ValueError):
        classification_report([], [], LABELS)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "labels"),
    [
        (Y_TRUE, Y_PRED, LABELS),
        (["a", "b", "z"], ["a", "a", "b"], ["a", "b", "d"]),
        (["x", "y"], ["a", None], ["a", "b"]),  # no label in y_true
        (["a", "b", "b", "c", "a"], ["a", "b", "b", "c", "a"], ["c", "b", "a"]),
    ],
)
def test_classification_report_plain_python_matches_sklearn(
    monkeypatch: pytest.MonkeyPatch,
    y_true: list[str],
    y_pred: list[str | None],
    labels: list[str],
) -> None:
    pytest.importorskip("sklearn")
    with_sklearn = classification_report(y_true, y_pred, labels)
    monkeypatch.setitem(sys.modules, "sklearn.metrics", None)  # the import now fails
    with pytest.raises(ImportError):
        import sklearn.metrics  # noqa: F401
    without = classification_report(y_true, y_pred, labels)
    assert without.keys() == with_sklearn.keys()
    for label, scores in with_sklearn["per_label"].items():
        assert without["per_label"][label] == pytest.approx(scores)
    for key in ("macro_f1", "accuracy"):
        assert without[key] == pytest.approx(with_sklearn[key])
    for key in ("n", "labels", "confusion", "labels_without_support", "outside_labels"):
        assert without[key] == with_sklearn[key]


# ------------------------------------------------------------------ drafts
def test_chrf() -> None:
    assert chrf("Votre commande est partie.", "Votre commande est partie.") == 100.0
    assert chrf("abc def", "xyz uvw") < 5
    partial = chrf("Votre commande est partie.", "Votre commande a été expédiée.")
    assert 20 < partial < 90
    assert chrf("", "something") == 0.0


def test_cosine() -> None:
    assert cosine(np.array([1.0, 0.0]), np.array([1.0, 1.0])) == pytest.approx(1 / math.sqrt(2))
    assert cosine(np.array([1.0, 0.0]), np.array([0.0, 2.0])) == 0.0
    assert cosine(np.array([1.0, 2.0]), np.array([-2.0, -4.0])) == pytest.approx(-1.0)
    assert cosine(np.zeros(3), np.ones(3)) == 0.0
    assert isinstance(cosine(np.ones(2, dtype=np.float32), np.ones(2)), float)
    with pytest.raises(ValueError):
        cosine(np.ones(2), np.ones(3))


def test_channel_limits() -> None:
    # the guard's rules (guardrails.channels): X weighted length, SMS segments
    assert within_channel_limit("x" * 280, "twitter")
    assert not within_channel_limit("x" * 281, "twitter")
    assert within_channel_limit("x" * 280 + "\n", "twitter")  # surrounding space ignored
    assert within_channel_limit("x" * 250 + " https://example.com/" + "a" * 60, "twitter")
    assert within_channel_limit("é" * 306, "sms")  # 2 GSM-7 segments of 153
    assert not within_channel_limit("x" * 307, "sms")
    assert not within_channel_limit("ê" * 135, "sms")  # UCS-2: 2 × 67
    assert not within_channel_limit("x" * 4097, "whatsapp")
    for channel in ("email", "chat", "phone_transcript", "other", None):
        assert within_channel_limit("x" * 50_000, channel)


def test_find_urls() -> None:
    text = (
        "Voir (https://help.example.com/returns). Ou www.example.com/faq?x=1, "
        "[guide](https://example.com/a_(b)) et https://example.com/wiki/A_(b)!"
    )
    assert find_urls(text) == [
        "https://help.example.com/returns",
        "www.example.com/faq?x=1",
        "https://example.com/a_(b)",
        "https://example.com/wiki/A_(b)",
    ]
    assert find_urls('« https://example.com/fr » ou "http://x.org/a"') == [
        "https://example.com/fr",
        "http://x.org/a",
    ]
    assert find_urls("Rien ici, ni example.com/a ni https://.") == []
    assert find_urls("HTTPS://Example.com/A#top") == ["HTTPS://Example.com/A#top"]


def test_links_known() -> None:
    known = {"https://help.example.com/returns", "help.example.com/faq?lang=fr"}
    assert links_known("Pas de lien.", known)
    assert links_known("Voir https://www.help.example.com/returns/?utm_source=x#top.", known)
    assert links_known("Voir http://help.example.com/faq?lang=fr&fbclid=123", known)
    assert not links_known("Voir https://help.example.com/faq?lang=en", known)
    assert not links_known(
        "https://help.example.com/returns et https://help.example.com/other", known
    )
    assert not links_known("https://help.example.com/returns", set())


def test_citations_retrieved() -> None:
    assert citations_retrieved([], ["a"])
    assert citations_retrieved(["a", "b"], ["b", "a", "c"])
    assert not citations_retrieved(["a", "d"], ["a", "b"])


# ------------------------------------------------------------------ speed and cost
def test_latency_summary() -> None:
    # p95 of [10, 20, 30, 40]: position 0.95 × 3 = 2.85 → 30 + 0.85 × 10 = 38.5
    assert latency_summary([40, 10, 30, 20]) == {
        "n": 4,
        "p50": 25.0,
        "p95": pytest.approx(38.5),
        "mean": 25.0,
        "max": 40.0,
    }
    assert latency_summary([7.0]) == {"n": 1, "p50": 7.0, "p95": 7.0, "mean": 7.0, "max": 7.0}
    assert latency_summary([]) == {"n": 0, "p50": None, "p95": None, "mean": None, "max": None}


def test_estimated_cost() -> None:
    # (1000 × 0.15 + 500 × 0.60) / 1e6
    assert estimated_cost(1000, 500, "gpt-4o-mini") == pytest.approx(4.5e-4)
    assert estimated_cost(1_000_000, 1_000_000, "gpt-4o") == pytest.approx(12.5)
    assert estimated_cost(2_000_000, 0, "gpt-4.1") == pytest.approx(4.0)
    assert estimated_cost(0, 1_000_000, "gpt-4.1-mini") == pytest.approx(1.6)
    assert estimated_cost(1000, 500, "gpt-4o-mini-2024-07-18") == pytest.approx(4.5e-4)
    assert estimated_cost(1000, 500, "llama3.1:8b") is None
    assert estimated_cost(1000, 500, None) is None
    assert estimated_cost(1000, 500, "llama3.1:8b", {"llama3.1:8b": (0.0, 0.0)}) == 0.0
    assert estimated_cost(1000, 500, "gpt-4o", {"other": (1.0, 1.0)}) is None  # replaces
    assert estimated_cost(10, 10, "m", {"m": (1.0, 3.0)}) == pytest.approx(40 / 1e6)
    with pytest.raises(ValueError):
        estimated_cost(-1, 0, "gpt-4o")


def test_mean() -> None:
    assert mean([1, None, 2, True]) == pytest.approx(4 / 3)
    assert mean([None]) is None
    assert mean([]) is None
    assert mean(x for x in (0.5, 1.5)) == 1.0


def test_public_names() -> None:
    for name in metrics.__all__:
        assert hasattr(metrics, name)
