"""The evaluation report: Markdown / HTML rendering, run comparison, loading report.json,
and the HTML page as a browser shows it (headless Chromium, Debian's ``chromium``)."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from replyassist.errors import InvalidInputError
from replyassist.evals.compare import compare_reports, load_report, render_comparison
from replyassist.evals.render import render_html, render_markdown, write_reports

SCRIPT = "<script>alert(1)</script>"
SECTIONS = ["Retrieval", "Tags", "Drafts", "Judge", "Latency", "Failed cases", "Worst cases"]
MOODS = ["angry", "frustrated", "anxious", "confused", "disappointed", "neutral", "positive"]


def _baseline(hit1: float, hit5: float, mrr: float, recall5: float) -> dict[str, Any]:
    return {"cases": 6, "failed": 0,
            "retrieval": {"n": 5, "hit@1": hit1, "hit@5": hit5, "mrr": mrr, "recall@5": recall5},
            "citations": None, "tags": {}, "drafts": None, "judge": None,
            "latency_ms": {"retrieve": {"n": 6, "p50": 3.0, "p95": 5.5, "mean": 3.4, "max": 6.0}},
            "cost": {"prompt_tokens": None, "completion_tokens": None, "usd_per_draft": None}}


def make_report() -> dict[str, Any]:
    """A small run: 6 cases, replyassist next to the four baselines, one failure."""
    mood_confusion = [[0] * 7 for _ in MOODS]
    for truth, pred, count in (("angry", "angry", 1), ("frustrated", "frustrated", 1),
                               ("frustrated", "angry", 1), ("neutral", "neutral", 2)):
        mood_confusion[MOODS.index(truth)][MOODS.index(pred)] = count
    per_label = {label: {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
                 for label in MOODS}
    per_label["angry"] = {"precision": 0.5, "recall": 1.0, "f1": 0.6667, "support": 1}
    per_label["frustrated"] = {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    per_label["neutral"] = {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2}
    replyassist = {
        "cases": 6, "failed": 1,
        "retrieval": {"n": 5, "hit@1": 0.6, "hit@5": 0.8, "mrr": 0.7, "recall@5": 0.8},
        "citations": {"n": 5, "hit@1": 0.4, "hit@5": 0.6, "mrr": 0.5, "recall@5": 0.6},
        "tags": {
            "mood": {"labels": MOODS, "per_label": per_label, "macro_f1": 0.3333,
                     "accuracy": 0.8, "confusion": mood_confusion, "n": 5},
            "urgency": {"labels": ["critical", "high", "normal", "low"],
                        "per_label": {
                            "critical": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1},
                            "high": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1},
                            "normal": {"precision": 0.75, "recall": 1.0, "f1": 0.8571,
                                       "support": 3},
                            "low": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}},
                        "macro_f1": 0.4643, "accuracy": 0.8,
                        "confusion": [[1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 3, 0], [0, 0, 0, 0]],
                        "n": 5},
        },
        "drafts": {"n": 5, "similarity": 0.7124, "chrf": 38.42, "within_channel_limit": 1.0,
                   "language_match": 0.8, "citations_retrieved": 0.6, "links_known": 1.0},
        "judge": {"n": 2, "correctness": 3.5, "helpfulness": 4.0, "tone_fit": 4.5,
                  "brand_voice": 4.0,
                  "examples": [{"case_id": "tw-104",
                                "scores": {"correctness": 3, "helpfulness": 4, "tone_fit": 5,
                                           "brand_voice": 4},
                                "reasoning": "Promises a refund <b>before</b> checking the "
                                             "order; the tone is right."}]},
        "latency_ms": {
            "analyse": {"n": 5, "p50": 8.2, "p95": 11.9, "mean": 8.9, "max": 12.4},
            "retrieve": {"n": 5, "p50": 21.0, "p95": 35.2, "mean": 24.1, "max": 37.0},
            "total": {"n": 5, "p50": 64.5, "p95": 98.7, "mean": 70.2, "max": 101.3}},
        "cost": {"prompt_tokens": None, "completion_tokens": None, "usd_per_draft": None},
    }
    per_case: dict[str, Any] = {}
    rows = {  # case: (replyassist rank, similarity, chrf, mood right, bm25 rank)
        "tw-101": (1, 0.82, 45.0, True, 1), "tw-102": (2, 0.75, 40.0, True, None),
        "tw-103": (1, 0.61, 30.0, False, 3), "tw-104": (None, 0.55, 22.5, True, 2),
        "mail-7": (1, 0.80, 50.0, True, 1),
    }
    for case_id, (rank, sim, chrf, mood, bm25) in rows.items():
        per_case[case_id] = {
            "replyassist": {"rank": rank, "similarity": sim, "chrf": chrf,
                            "tags": {"mood": mood, "urgency": True}, "status": "ok"},
            "bm25": {"rank": bm25, "similarity": None, "chrf": None, "tags": {},
                     "status": "ok"}}
    per_case["tw-105"] = {
        "replyassist": {"rank": None, "similarity": None, "chrf": None, "tags": {},
                        "status": "failed"},
        "bm25": {"rank": 4, "similarity": None, "chrf": None, "tags": {}, "status": "ok"}}
    return {
        "schema": "replyassist.eval/1",
        "run": {"cases": 6, "mode": "composed", "embedder": "use-multilingual",
                "tenant": "acme", "started_at": "2026-05-10T09:00:00+00:00",
                "wall_seconds": 42.5,
                "systems": ["replyassist", "bm25", "dense", "langchain", "most_used"],
                "replyassist_version": "0.1.0", "llm_model": None},
        "systems": {"replyassist": replyassist,
                    "bm25": _baseline(0.4, 0.8, 0.55, 0.8),
                    "dense": _baseline(0.5, 0.8, 0.62, 0.8),
                    "langchain": _baseline(0.5, 0.6, 0.56, 0.6),
                    "most_used": _baseline(0.2, 0.4, 0.27, 0.4)},
        "latency_samples_ms": {
            "analyse": [7.9, 8.2, 8.4, 9.1, 12.4],
            "retrieve": [18.0, 21.0, 22.3, 24.0, 37.0],
            "total": [55.0, 60.2, 64.5, 70.0, 101.3]},
        "failed_cases": [{"system": "replyassist", "case_id": "tw-105",
                          "error": "LLMTimeoutError: no answer in 30 s <from llama.cpp>"}],
        "worst_cases": [
            {"case_id": "tw-104", "channel": "twitter",
             "customer_text": f"Ma commande n'est jamais arrivée {SCRIPT} & j'attends !",
             "expected_reply": "Désolés ! Envoyez-nous votre numéro de commande en DM.",
             "draft": "Bonjour, vérifiez le suivi ici : https://acme.example/suivi",
             "similarity": 0.55, "chrf": 22.5, "expected_doc_ids": ["kb-delivery"],
             "articles": ["kb-returns", "kb-tracking", "kb-delivery"]},
            {"case_id": "tw-103", "channel": "twitter",
             "customer_text": "Second line\n# not a heading\n| not | a table |",
             "expected_reply": "We are on it.", "draft": "Thanks for reaching out.",
             "similarity": 0.61, "chrf": 30.0, "expected_doc_ids": ["kb-outage"],
             "articles": ["kb-outage"]}],
        "per_case": per_case,
    }


def make_later_report() -> dict[str, Any]:
    """The same cases after a change: better retrieval, slower, some cases worse."""
    report = copy.deepcopy(make_report())
    report["run"]["started_at"] = "2026-05-11T09:00:00+00:00"
    ra = report["systems"]["replyassist"]
    ra["retrieval"].update({"hit@1": 0.8, "mrr": 0.85})
    ra["tags"]["mood"].update({"macro_f1": 0.30, "accuracy": 0.6})
    ra["drafts"].update({"similarity": 0.70, "chrf": 40.0})
    ra["latency_ms"]["total"].update({"p95": 120.0})
    ra["failed"] = 2
    del ra["tags"]["urgency"]  # not in B: no delta
    report["systems"]["bm25"]["retrieval"]["hit@1"] = 0.4  # unchanged
    cases = report["per_case"]
    cases["tw-101"]["replyassist"].update(rank=3, similarity=0.76)  # rank worse, -0.06
    cases["tw-102"]["replyassist"].update(rank=None, similarity=0.70)  # lost, -0.05 exactly
    cases["tw-103"]["replyassist"].update(rank=1, chrf=24.0)  # chrF -6
    cases["tw-104"]["replyassist"].update(rank=2, chrf=17.5)  # found now; chrF -5 exactly
    cases["mail-7"]["replyassist"]["tags"]["mood"] = False  # right -> wrong
    cases["mail-7"]["replyassist"]["status"] = "failed"
    cases["tw-103"]["bm25"]["rank"] = 1  # better
    cases["tw-104"]["bm25"]["rank"] = None  # lost
    report["failed_cases"].append({"system": "replyassist", "case_id": "mail-7",
                                   "error": "boom"})
    return report


# ---------------------------------------------------------------------------- rendering


def test_markdown_has_the_tables_and_escapes_report_text() -> None:
    md = render_markdown(make_report())
    for heading in SECTIONS:
        assert f"\n## {heading}\n" in md
    # retrieval: every system, the best value in bold
    assert "| replyassist |" in md and "| most_used   |" in md
    assert "**0.600**" in md and "0.400" in md and "0.270" in md
    assert "### Citations" in md
    # tags: scores, per-label table and the confusion matrix of the labels seen only
    assert "macro-F1 **0.333** · accuracy **0.800** · n 5" in md
    assert "Confusion (rows: expected, columns: predicted)" in md
    labels, confusion = md.split("### mood", 1)[1].split("### urgency", 1)[0].split(
        "Confusion (rows", 1)
    assert "| anxious " in labels  # the per-label table lists every label...
    assert "anxious" not in confusion  # ...the matrix only the ones seen
    assert "| expected ↓ predicted → | angry | frustrated | neutral |" in confusion
    assert "| frustrated             |     1 |      **1** |       0 |" in confusion
    # drafts, judge, latency, failures
    assert "38.4" in md and "0.712" in md
    assert "3.50" in md and "tone fit 5" in md and "Promises a refund \\<b\\>before\\</b\\>" in md
    assert "| total    |" in md and "98.7" in md
    assert "LLMTimeoutError: no answer in 30 s \\<from llama.cpp\\>" in md
    # worst cases: text escaped, nothing in it read as Markdown
    assert SCRIPT not in md and "<b>" not in md
    assert "\\<script\\>alert(1)\\</script\\>" in md
    assert "> \\# not a heading" in md and "> \\| not \\| a table \\|" in md
    assert "**kb-delivery**" in md  # the expected document among the retrieved ones


def test_html_is_self_contained_and_escapes_report_text() -> None:
    html = render_html(make_report())
    soup = BeautifulSoup(html, "html.parser")
    assert [h.get_text(strip=True) for h in soup.find_all("h2")] == SECTIONS
    # no script, no external resource of any kind, and a CSP that forbids them
    assert not soup.find_all(["script", "link", "img", "iframe", "object"])
    assert "src=" not in html and "url(" not in html and "@import" not in html
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert csp is not None and "default-src 'none'" in csp["content"]
    # user text escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script" not in html.lower()
    assert "&lt;b&gt;before&lt;/b&gt;" in html and "&lt;from llama.cpp&gt;" in html
    customer = soup.select(".case .cols section p.text")[0].get_text()
    assert SCRIPT in customer and "& j'attends" in customer
    # charts: the retrieval bars (every system) and one histogram per stage
    charts = soup.select("svg.chart")
    assert len(charts) == 1 + 3
    bars = charts[0].find_all("rect")
    assert len(bars) == 5 * 4
    titles = [b.title.get_text() for b in bars]
    assert "replyassist · hit@1: 0.600" in titles and "most_used · recall@5: 0.400" in titles
    assert len(soup.select("svg.hist")) == 3
    caption = soup.select("figure figcaption")[2].get_text()  # figures from the samples
    assert caption == "total · 5 samples · p50 64.5 ms · p95 95.0 ms · max 101 ms"
    # confusion as a heat table: right in blue, wrong in red
    heat = soup.select("table.heat")
    assert len(heat) == 2
    cells = {c["title"]: c.get("style", "") for c in heat[0].find_all("td") if c.get("title")}
    assert "rgba(37, 99, 235" in cells["expected neutral, predicted neutral: 2 (100% of 2)"]
    assert "rgba(220, 38, 38" in cells["expected frustrated, predicted angry: 1 (50% of 2)"]
    # key figures
    text = soup.get_text(" ")
    for figure in ("0.600", "0.712", "38.4", "4.50", "tw-105", "kb-delivery", "Our draft"):
        assert figure in text


def test_sections_without_data_render() -> None:
    report = make_report()
    for system in report["systems"].values():
        system.update(retrieval=None, citations=None, tags={}, drafts=None, judge=None,
                      latency_ms={})
    report.update(latency_samples_ms={}, failed_cases=[], worst_cases=[], per_case={})
    html, md = render_html(report), render_markdown(report)
    assert "No retrieval expectations in this run." in html
    assert "No LLM judge in this run." in md and "No scored drafts in this run." in md
    assert "<svg" not in html


def test_write_reports(tmp_path: Path) -> None:
    report = make_report()
    paths = write_reports(report, tmp_path / "run")
    assert [p.name for p in paths] == ["report.json", "report.md", "report.html"]
    text = paths[0].read_text(encoding="utf-8")
    assert "arrivée" in text and '\n  "schema": "replyassist.eval/1"' in text
    assert json.loads(text) == report
    assert paths[1].read_text(encoding="utf-8") == render_markdown(report)
    assert paths[2].read_text(encoding="utf-8") == render_html(report)


# ---------------------------------------------------------------------------- comparing


def test_compare_reports_deltas_and_worsened_cases() -> None:
    diff = compare_reports(make_report(), make_later_report())
    assert diff["systems"] == ["replyassist", "bm25", "dense", "langchain", "most_used"]
    metrics = {(m["system"], m["metric"]): m for m in diff["metrics"]}
    hit1 = metrics["replyassist", "retrieval.hit@1"]
    assert (hit1["a"], hit1["b"], hit1["direction"]) == (0.6, 0.8, "better")
    assert hit1["delta"] == pytest.approx(0.2)
    assert metrics["replyassist", "tags.mood.macro_f1"]["delta"] == pytest.approx(-0.0333)
    assert metrics["replyassist", "tags.mood.accuracy"]["direction"] == "worse"
    assert metrics["replyassist", "drafts.chrf"]["delta"] == pytest.approx(1.58)
    p95 = metrics["replyassist", "latency_ms.total.p95"]
    assert p95["delta"] == pytest.approx(21.3) and p95["direction"] == "worse"
    assert metrics["replyassist", "failed"]["direction"] == "worse"
    assert metrics["replyassist", "citations.mrr"]["direction"] is None
    assert metrics["bm25", "retrieval.hit@1"]["delta"] == 0.0
    assert ("replyassist", "tags.urgency.macro_f1") not in metrics  # only in A
    assert ("replyassist", "drafts.n") not in metrics  # sample sizes are no metric
    assert ("replyassist", "cost.usd_per_draft") not in metrics  # null in both
    worsened = {(w["case_id"], w["system"], w["kind"], w["field"]): (w["a"], w["b"])
                for w in diff["worsened"]}
    assert worsened == {
        ("tw-101", "replyassist", "rank", None): (1, 3),
        ("tw-101", "replyassist", "similarity", None): (0.82, 0.76),  # -0.06
        ("tw-102", "replyassist", "rank", None): (2, None),  # -0.05 is not "more than"
        ("tw-103", "replyassist", "chrf", None): (30.0, 24.0),
        ("tw-104", "bm25", "rank", None): (2, None),  # tw-104 chrF -5: not "more than"
        ("mail-7", "replyassist", "tag", "mood"): (True, False),
        ("mail-7", "replyassist", "failed", None): ("ok", "failed"),
    }
    assert [w["case_id"] for w in diff["worsened"]] == sorted(
        w["case_id"] for w in diff["worsened"])
    assert diff["cases_only_in_a"] == diff["cases_only_in_b"] == []
    assert diff["a"]["started_at"] == "2026-05-10T09:00:00+00:00"


def test_compare_a_report_with_itself_finds_nothing() -> None:
    diff = compare_reports(make_report(), make_report())
    assert diff["worsened"] == [] and all(m["delta"] == 0 for m in diff["metrics"])
    assert "Worsened cases: none" in render_comparison(diff)


def test_render_comparison() -> None:
    text = render_comparison(compare_reports(make_report(), make_later_report()))
    lines = text.splitlines()
    assert lines[0].startswith("A: 2026-05-10T09:00:00+00:00 · 6 cases · composed")
    assert lines[3].split() == ["system", "metric", "A", "B", "delta"]
    assert lines[5].split() == ["replyassist", "cases", "6", "6", "=", "0"]
    row = next(line for line in lines if "retrieval.hit@1" in line)
    assert row.split() == ["retrieval.hit@1", "0.600", "0.800", "▲", "+0.200", "better"]
    assert next(line for line in lines if line.startswith("bm25 ")).split()[1] == "cases"
    row = next(line for line in lines if "latency_ms.total.p95" in line)
    assert row.split()[-4:] == ["120.0", "▲", "+21.3", "worse"]
    row = next(line for line in lines if "tags.mood.accuracy" in line)
    assert row.split()[-3:] == ["▼", "-0.200", "worse"]
    assert "Worsened cases: 5" in lines  # 7 changes in 5 (case, system) pairs
    assert "latency_ms.total.max" not in text  # latency: p50 and p95 only
    row = next(line for line in lines if line.strip().startswith("tw-101"))
    assert "rank 1 → 3; similarity 0.820 → 0.760" in row
    assert "  mail-7  replyassist  failed in B; mood right → wrong" in lines
    assert "  tw-103  replyassist  chrF 30.0 → 24.0" in lines


def test_load_report(tmp_path: Path) -> None:
    report = make_report()
    write_reports(report, tmp_path)
    assert load_report(tmp_path) == report
    assert load_report(tmp_path / "report.json") == report
    with pytest.raises(InvalidInputError, match="nowhere") as missing:
        load_report(tmp_path / "nowhere")
    assert "report.json" in str(missing.value)
    bad = tmp_path / "bad" / "report.json"
    bad.parent.mkdir()
    bad.write_text('{"schema": "replyassist.eval/1",\n  "systems": {,}}', encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"bad/report\.json:2: not valid JSON"):
        load_report(bad.parent)
    bad.write_text('{"schema": "something/2", "systems": {}}', encoding="utf-8")
    with pytest.raises(InvalidInputError, match="field 'schema'"):
        load_report(bad)
    bad.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="expected a JSON object"):
        load_report(bad)


# ----------------------------------------------------------------------- in a browser


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    pytest.fail("headless Chromium is needed to check the HTML report and is not installed: "
                "on Debian/Ubuntu run `apt-get update && apt-get install -y chromium` "
                "(as root; `make test` does it in CI)", pytrace=False)


def _open_in_chromium(page: Path, profile: Path) -> tuple[str, list[str]]:
    """The page's DOM after load, and the console messages Chromium logged (script errors,
    CSP violations, ...); the page has no script, so any message is a fault."""
    cmd = [_chromium(), "--headless=new", "--disable-gpu", "--no-sandbox", "--no-first-run",
           "--no-default-browser-check", "--disable-extensions", "--disable-dev-shm-usage",
           f"--user-data-dir={profile}",
           "--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and "<html" in proc.stdout, \
        f"chromium exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    console = [line for line in proc.stderr.splitlines()
               if ":CONSOLE" in line or "Uncaught" in line]
    return proc.stdout, console


def test_the_browser_check_sees_console_errors(tmp_path: Path) -> None:
    """The check below is only worth something if it catches faults: a script error and
    an external stylesheet (blocked by the report's CSP, so no network) must show."""
    head = render_html(make_report()).split("<style>", 1)[0]
    page = tmp_path / "faulty.html"
    page.write_text(head + '<link rel="stylesheet" href="https://fonts.invalid/x.css">'
                    "</head><body><h1>x</h1></body></html>", encoding="utf-8")
    _, console = _open_in_chromium(page, tmp_path / "profile")
    assert any("Content Security Policy" in line for line in console), console
    page.write_text("<!DOCTYPE html><title>x</title><script>undefinedCall();</script>",
                    encoding="utf-8")
    _, console = _open_in_chromium(page, tmp_path / "profile")
    assert any("Uncaught ReferenceError" in line for line in console), console


def test_html_report_in_headless_chromium(tmp_path: Path) -> None:
    page = write_reports(make_report(), tmp_path / "run")[2]
    dom, console = _open_in_chromium(page, tmp_path / "profile")
    assert console == []
    soup = BeautifulSoup(dom, "html.parser")
    assert soup.h1 is not None and soup.h1.get_text(strip=True) == "replyassist evaluation"
    assert [h.get_text(strip=True) for h in soup.find_all("h2")] == SECTIONS
    assert not soup.find_all("script")
    assert SCRIPT in soup.select(".case .cols section p.text")[0].get_text()
    assert len(soup.select("svg.chart")) == 4


def test_many_intents_show_the_largest_confusions() -> None:
    report = make_report()
    labels = [f"intent_{i:02d}" for i in range(30)]
    confusion = [[0] * 30 for _ in labels]
    for i in range(30):
        confusion[i][i] = 2
        confusion[i][(i + 1) % 30] = 1
    confusion[3][7] = 5
    report["systems"]["replyassist"]["tags"]["intent"] = {
        "labels": labels, "per_label": {}, "macro_f1": 0.5, "accuracy": 0.6,
        "confusion": confusion, "n": 95}
    md, html = render_markdown(report), render_html(report)
    assert "Largest confusions:" in md
    assert "| intent\\_03 | intent\\_07 |     5 |" not in md  # intra-word _ is not escaped
    assert "| intent_03 | intent_07 |     5 |" in md
    soup = BeautifulSoup(html, "html.parser")
    assert len(soup.select("table.heat")) == 2  # mood and urgency only
    assert "Too many labels for a matrix" in html
