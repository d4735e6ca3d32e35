"""Converters of the public evaluation sets, on tiny synthetic files in the real formats.

Never reads ``../shared/data``: every input is written here, in ``tmp_path``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from replyassist.brand import BrandVoice
from replyassist.errors import InvalidInputError
from replyassist.evals.converters import (
    banking77_intent_name,
    banking77_intents,
    convert_all,
    convert_banking77,
    convert_goemotions,
    convert_mooc,
    convert_twitter,
    slug_title,
    write_banking77_brand,
)
from replyassist.models import Conversation, KnowledgeArticle


def _read(path: Path, model: type[Any] = Conversation) -> list[Any]:
    return [model.model_validate_json(line) for line in path.read_text("utf-8").splitlines()]


# ------------------------------------------------------------------ IBM Twitter
def _twitter_conversation(
    company: str, session: str, when: str, doc_id: str, url: str, *turns: tuple[str, str]
) -> dict[str, Any]:
    """One ``dev.json`` item; ``turns`` = (key, text) with key ``client``/``client1``/``agent``."""
    content = [
        {key: "someone", "datetime": when, "message": text, "tweet_ID": f"{session}{i}"}
        for i, (key, text) in enumerate(turns)
    ]
    return {
        "agentURL": {
            "doc_id": doc_id,
            "turn": str(len(turns) + 1),
            "tweet_ID": f"{session}9",
            "url": url,
            "url_utterance": f"@someone Here is how &amp; why: {url}",
        },
        "dialogContent": content,
        "dialogHeader": {
            "company": company,
            "conversationDateTime": when,
            "duration": "00:10:00.0",
            "messageCount": str(len(turns) + 1),
            "sessionID": session,
        },
    }


ARCHIVE = "https://web.archive.org/web/20200401224734/"
WIFI = ARCHIVE + "https://support.acme.com/hc/en-us/articles/201362463-Wireless-Connection-Issues"
ANSWER = ARCHIVE + "https://support.google.com/youtube/answer/185111"
BILLING = "https://help.beta.com/billing/update-card.html"


def _twitter_root(tmp_path: Path) -> Path:
    root = tmp_path / "ibm_twitter_cdp"
    root.mkdir()
    (root / "docID_url.tsv").write_text(
        f"12\t{WIFI}\n1770\t{ANSWER}\n300\t{BILLING}\n", encoding="utf-8"
    )
    (root / "company_docIDs.tsv").write_text(
        "AcmeCare\t12, 1770\nBetaHelp\t300, 12\n", encoding="utf-8"
    )
    conversations = [  # file order is not time order, as in the real dev.json
        _twitter_conversation(
            "AcmeCare", "a3", "2020-04-03T10:00:00.000Z", "0012", WIFI, ("client", "wifi drops")
        ),
        _twitter_conversation(
            "BetaHelp", "b1", "2020-04-01T10:00:00.000Z", "300", BILLING, ("client", "new card?")
        ),
        _twitter_conversation(
            "AcmeCare", "a1", "2020-04-01T10:00:00.000Z", "1770", ANSWER, ("client", "suspended")
        ),
        _twitter_conversation(
            "AcmeCare",
            "a2",
            "2020-04-02T10:00:00.000Z",
            "12",
            WIFI,
            ("client", "router issue"),
            ("agent", "Which model?"),
            ("client1", "X100"),
        ),
        _twitter_conversation(
            "AcmeCare", "a4", "2020-04-04T10:00:00.000Z", "12", WIFI, ("client", "still down")
        ),
    ]
    (root / "dev.json").write_text(json.dumps(conversations, indent=1), encoding="utf-8")
    return root


def test_twitter_outputs_validate_and_split_by_company_in_time_order(tmp_path: Path) -> None:
    stats: dict[str, int] = {}
    kb, history, cases = convert_twitter(_twitter_root(tmp_path), tmp_path / "out", stats=stats)
    assert [kb, history, cases] == [
        tmp_path / "out" / "twitter" / name for name in ("kb.jsonl", "history.jsonl", "cases.jsonl")
    ]
    articles = _read(kb, KnowledgeArticle)
    past, incoming = _read(history), _read(cases)

    # Acme: 4 conversations → 2 history (the two earliest), 2 cases; Beta: 1 → 0 + 1.
    assert [c.id for c in past] == ["AcmeCare-a1", "AcmeCare-a2"]
    assert [c.id for c in incoming] == ["AcmeCare-a3", "AcmeCare-a4", "BetaHelp-b1"]
    assert {c.tenant for c in past} == {"AcmeCare"}
    assert [c.tenant for c in incoming] == ["AcmeCare", "AcmeCare", "BetaHelp"]
    assert all(c.channel == "twitter" for c in past + incoming)

    # History: customer turns, then the agent answer with its link (earlier agent turns out).
    first = past[1]
    assert [m.role for m in first.messages] == ["customer", "customer", "agent"]
    assert first.messages[-1].text == f"@someone Here is how & why: {WIFI}"
    assert first.expected is None

    # Cases: customer turns only; expected = the linked doc_id (unpadded) and the real reply.
    case = incoming[0]
    assert [m.role for m in case.messages] == ["customer"]
    assert case.messages[0].text == "wifi drops"
    assert case.expected is not None
    assert case.expected.doc_ids == ["12"]
    assert case.expected.reply == f"@someone Here is how & why: {WIFI}"

    # KB: one article per doc_id of each company; a shared doc_id once per company.
    assert [(a.metadata["tenant"], a.id) for a in articles] == [
        ("AcmeCare", "12"),
        ("AcmeCare", "1770"),
        ("BetaHelp", "300"),
        ("BetaHelp", "12"),
    ]
    wifi = articles[0]
    assert wifi.title == wifi.body == "Wireless Connection Issues"
    assert wifi.url == WIFI and wifi.language == "en"
    assert articles[1].title == "answer 185111"
    assert articles[2].title == "update card"
    assert stats == {
        "companies": 2,
        "kb_articles": 4,
        "kb_missing_url": 0,
        "history": 2,
        "cases": 3,
        "dropped_no_customer_text": 0,
        "cases_doc_not_in_kb": 0,
    }


def test_twitter_file_order_history_share_and_agent_turns(tmp_path: Path) -> None:
    root = _twitter_root(tmp_path)
    _, history, cases = convert_twitter(
        root, tmp_path / "out", history_share=0.75, order="file", keep_agent_turns=True
    )
    past, incoming = _read(history), _read(cases)
    # Acme in file order: a3, a1, a2, a4 → floor(4 × 0.75) = 3 history; Beta: floor(0.75) = 0.
    assert [c.id for c in past] == ["AcmeCare-a3", "AcmeCare-a1", "AcmeCare-a2"]
    assert [c.id for c in incoming] == ["AcmeCare-a4", "BetaHelp-b1"]
    assert [m.role for m in past[2].messages] == ["customer", "agent", "customer", "agent"]
    with pytest.raises(ValueError, match="history_share"):
        convert_twitter(root, tmp_path / "out", history_share=1.5)


def test_slug_titles() -> None:
    assert slug_title(WIFI) == "Wireless Connection Issues"
    assert slug_title("https://support.spotify.com/us/article/listen-offline-troubleshooting") == (
        "listen offline troubleshooting"
    )
    assert slug_title("https://www.dropbox.com/") == "dropbox"


def test_twitter_malformed_inputs_name_file_and_line(tmp_path: Path) -> None:
    root = _twitter_root(tmp_path)
    out = tmp_path / "out"
    urls = root / "docID_url.tsv"
    urls.write_text(f"12\t{WIFI}\n1770 {ANSWER}\n", encoding="utf-8")
    with pytest.raises(InvalidInputError) as error:
        convert_twitter(root, out)
    assert error.value.line == 2 and "docID_url.tsv:2" in str(error.value)

    urls.write_text(f"12\t{WIFI}\n1770\t{ANSWER}\n300\t{BILLING}\n", encoding="utf-8")
    dev = root / "dev.json"
    items = json.loads(dev.read_text("utf-8"))
    del items[2]["agentURL"]["doc_id"]
    text = json.dumps(items, indent=1)
    dev.write_text(text, encoding="utf-8")
    start = text.index('"a1"')  # the third item
    third_line = text[: text.rindex("\n {", 0, start) + 1].count("\n") + 1
    with pytest.raises(InvalidInputError) as error:
        convert_twitter(root, out)
    assert error.value.line == third_line and error.value.field == "agentURL.doc_id"
    assert f"dev.json:{third_line}" in str(error.value)

    dev.write_text('[\n {"dialogHeader": {}},\n {"broken": \n]', encoding="utf-8")
    with pytest.raises(InvalidInputError) as error:
        convert_twitter(root, out)
    assert "dev.json:4" in str(error.value) and "invalid JSON" in str(error.value)


# ------------------------------------------------------------------ GoEmotions
GOEMOTIONS_LABELS = [
    "admiration",
    "amusement",
    "anger",
    "annoyance",
    "approval",
    "caring",
    "confusion",
    "curiosity",
    "desire",
    "disappointment",
    "disapproval",
    "disgust",
    "embarrassment",
    "excitement",
    "fear",
    "gratitude",
    "grief",
    "joy",
    "love",
    "nervousness",
    "optimism",
    "pride",
    "realization",
    "relief",
    "remorse",
    "sadness",
    "surprise",
    "neutral",
]  # fmt: skip  (the order of GoEmotions' labels.txt)


def _label_ids(*names: str) -> str:
    return ",".join(str(GOEMOTIONS_LABELS.index(n)) for n in names)


def _goemotions_root(tmp_path: Path, rows: list[str]) -> Path:
    root = tmp_path / "goemotions"
    for taxonomy in ("original", "ekman"):
        (root / taxonomy).mkdir(parents=True)
    (root / "original" / "labels.txt").write_text("\n".join(GOEMOTIONS_LABELS) + "\n", "utf-8")
    (root / "ekman" / "labels.txt").write_text("anger\njoy\nneutral\n", "utf-8")
    (root / "original" / "test.tsv").write_text("".join(r + "\n" for r in rows), "utf-8")
    return root


GOEMOTIONS_ROWS = [
    f"This is SO annoying, [NAME]!\t{_label_ids('annoyance')}\tc1",
    f"Thanks, that fixed it &amp; more\t{_label_ids('gratitude', 'joy')}\tc2",
    f"Why would anyone do that?\t{_label_ids('curiosity')}\tc3",  # no mood
    f"Ugh, fine then\t{_label_ids('anger', 'annoyance')}\tc4",  # conflict
    f"Oh, ok\t{_label_ids('neutral', 'surprise')}\tc5",  # neutral next to an emotion
    f"I love it, wow\t{_label_ids('love', 'surprise')}\tc6",  # surprise ignored → positive
    f"The package came today\t{_label_ids('neutral')}\tc7",
]


def test_goemotions_mapping_multilabel_rule_and_limit(tmp_path: Path) -> None:
    root = _goemotions_root(tmp_path, GOEMOTIONS_ROWS)
    stats: dict[str, int] = {}
    cases = _read(convert_goemotions(root, tmp_path / "go.jsonl", stats=stats))
    assert [(c.id, c.expected.mood) for c in cases] == [
        ("goemotions-c1", "frustrated"),
        ("goemotions-c2", "positive"),
        ("goemotions-c6", "positive"),
        ("goemotions-c7", "neutral"),
    ]
    assert cases[0].messages[0].text == "This is SO annoying, Alex!"
    assert cases[1].messages[0].text == "Thanks, that fixed it & more"
    assert all(c.channel == "other" and c.tenant == "default" for c in cases)
    assert cases[1].metadata == {"source": "goemotions", "labels": ["gratitude", "joy"]}
    assert stats == {
        "read": 7,
        "kept": 4,
        "dropped_no_mood": 1,
        "dropped_conflict": 1,
        "dropped_neutral_with_emotion": 1,
        "dropped_empty_text": 0,
    }
    limited = _read(convert_goemotions(root, tmp_path / "go2.jsonl", limit=2))
    assert [c.id for c in limited] == ["goemotions-c1", "goemotions-c2"]
    with pytest.raises(ValueError, match="split"):
        convert_goemotions(root, tmp_path / "go3.jsonl", split="validation")


def test_goemotions_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    rows = [GOEMOTIONS_ROWS[0], "a comment without its labels\tc9", GOEMOTIONS_ROWS[1]]
    root = _goemotions_root(tmp_path, rows)
    with pytest.raises(InvalidInputError) as error:
        convert_goemotions(root, tmp_path / "go.jsonl")
    assert error.value.line == 2 and "test.tsv:2" in str(error.value)
    root = _goemotions_root(tmp_path / "b", [f"some text\t{_label_ids('joy')},99\tc1"])
    with pytest.raises(InvalidInputError, match=r"test\.tsv:1: bad label ids"):
        convert_goemotions(root, tmp_path / "go.jsonl")


# ------------------------------------------------------------------ Banking77
BANKING_CATEGORIES = ["card_arrival", "Refund_not_showing_up", "reverted_card_payment?"]


def _banking77_root(tmp_path: Path) -> Path:
    root = tmp_path / "banking77"
    root.mkdir()
    (root / "categories.json").write_text(json.dumps(BANKING_CATEGORIES, indent=2), "utf-8")
    train = ["text,category"]
    for category in BANKING_CATEGORIES:
        train += [f'"Query {i} about {category}, please",{category}' for i in range(12)]
    train.append('"Query 0 about card_arrival, please",card_arrival')  # a duplicate is drawn once
    (root / "train.csv").write_text("\n".join(train) + "\n", "utf-8")
    (root / "test.csv").write_text(
        "text,category\n"
        "How do I locate my card?,card_arrival\n"
        '"I still have not received my refund, why?",Refund_not_showing_up\n'
        "My payment was reverted?,reverted_card_payment?\n",
        "utf-8",
    )
    return root


def test_banking77_cases_intents_and_limit(tmp_path: Path) -> None:
    root = _banking77_root(tmp_path)
    cases = _read(convert_banking77(root, tmp_path / "b.jsonl"))
    assert [(c.id, c.expected.intent) for c in cases] == [
        ("banking77-test-1", "card_arrival"),
        ("banking77-test-2", "refund_not_showing_up"),
        ("banking77-test-3", "reverted_card_payment"),
    ]
    assert cases[1].messages[0].text == "I still have not received my refund, why?"
    assert cases[1].metadata == {"source": "banking77", "category": "Refund_not_showing_up"}
    assert all(c.channel == "other" for c in cases)
    assert len(_read(convert_banking77(root, tmp_path / "b2.jsonl", limit=1))) == 1
    assert banking77_intent_name("card_arrival") == "card_arrival"


def test_banking77_intents_and_brand(tmp_path: Path) -> None:
    root = _banking77_root(tmp_path)
    intents = banking77_intents(root, shots=10)
    assert [i["name"] for i in intents] == [
        "card_arrival",
        "refund_not_showing_up",
        "reverted_card_payment",
    ]
    assert all(set(i) == {"name", "examples"} for i in intents)
    assert all(len(i["examples"]) == len(set(i["examples"])) == 10 for i in intents)
    assert all("about card_arrival" in e for e in intents[0]["examples"])
    assert banking77_intents(root, shots=10) == intents  # deterministic for a seed
    assert banking77_intents(root, shots=10, seed=8) != intents
    assert len(banking77_intents(root, shots=50)[0]["examples"]) == 12  # all there is

    brand_path = write_banking77_brand(root, tmp_path / "brand" / "brand.yaml", shots=3)
    brand = BrandVoice.from_yaml(brand_path)
    assert brand.name == "Banking77 demo bank" and brand.default_language == "en"
    assert [i.name for i in brand.intents] == [i["name"] for i in intents]
    assert all(len(i.examples) == 3 for i in brand.intents)
    assert "CC BY 4.0" in brand_path.read_text("utf-8")


def test_banking77_unknown_category_names_file_and_line(tmp_path: Path) -> None:
    root = _banking77_root(tmp_path)
    with (root / "test.csv").open("a", encoding="utf-8") as handle:
        handle.write("Can I get a loan?,loan_request\n")
    with pytest.raises(InvalidInputError) as error:
        convert_banking77(root, tmp_path / "b.jsonl")
    assert error.value.line == 5 and error.value.field == "category"
    assert "test.csv:5" in str(error.value)


# ------------------------------------------------------------------ MOOC forum urgency
MOOC_HEADER = "id,post_time,post_text,Urgency_1_7\n"


def _mooc_root(tmp_path: Path) -> Path:
    root = tmp_path / "mooc_forum_urgency"
    root.mkdir()
    files = {
        "acc1_CODED.csv": [
            '378,1379316785,"What is stockholders equity?\nI do not ""get"" it.",4',
            "500,1379316800,Thanks [REDACTED] for the great lecture!,1.0",
            "501,1379316900,I cannot submit the assignment due tomorrow!!,6",
            "502,1379317000,Nobody coded this post,",
        ],
        "acc2_CODED.csv": [
            "378,1380000000,Same id as a post of the other half,2",
            "600,1380000100,Extremely urgent: my exam vanished,7",
            "601,1380000200,Somewhat urgent,5.0",
            "602,1380000300,Just sharing,3",
        ],
        "calc1_CODED.csv": ["10,1371085161,What is a derivative?,4"],
    }
    for name, rows in files.items():
        (root / name).write_text(MOOC_HEADER + "\n".join(rows) + "\n", "utf-8")
    (root / "LICENSE_code_MIT.txt").write_text("MIT", "utf-8")
    return root


def test_mooc_mapping_ids_courses_and_limit(tmp_path: Path) -> None:
    root = _mooc_root(tmp_path)
    stats: dict[str, int] = {}
    cases = _read(convert_mooc(root, tmp_path / "m.jsonl", courses=["acc"], stats=stats))
    assert [(c.id, c.expected.urgency) for c in cases] == [
        ("mooc-acc1-378", "normal"),
        ("mooc-acc1-500", "low"),
        ("mooc-acc1-501", "high"),
        ("mooc-acc2-378", "low"),
        ("mooc-acc2-600", "high"),
        ("mooc-acc2-601", "normal"),
        ("mooc-acc2-602", "low"),
    ]
    assert stats == {"read": 8, "kept": 7, "dropped_no_code": 1, "dropped_empty_text": 0}
    assert cases[0].messages[0].text == 'What is stockholders equity?\nI do not "get" it.'
    assert cases[1].messages[0].text == "Thanks Alex for the great lecture!"
    assert cases[0].messages[0].created_at.isoformat() == "2013-09-16T07:33:05+00:00"
    assert cases[1].metadata == {"source": "mooc_forum_urgency", "course": "acc",
                                 "urgency_code": 1}  # fmt: skip
    assert all(c.channel == "other" for c in cases)

    everything = _read(convert_mooc(root, tmp_path / "all.jsonl"))
    assert len(everything) == 8 and everything[0].id == "mooc-acc1-378"
    assert [c.id for c in _read(convert_mooc(root, tmp_path / "l.jsonl", limit=2))] == [
        "mooc-acc1-378",
        "mooc-acc1-500",
    ]
    with pytest.raises(ValueError, match="unknown course"):
        convert_mooc(root, tmp_path / "x.jsonl", courses=["physics"])


def test_mooc_bad_code_names_file_and_line(tmp_path: Path) -> None:
    root = _mooc_root(tmp_path)
    (root / "calc1_CODED.csv").write_text(
        MOOC_HEADER + '1,1371085161,"A post\nover two lines",4\n2,1371085162,Hmm,9\n', "utf-8"
    )
    with pytest.raises(InvalidInputError) as error:
        convert_mooc(root, tmp_path / "m.jsonl", courses=["calc"])
    assert error.value.line == 4 and error.value.field == "Urgency_1_7"
    assert "calc1_CODED.csv:4" in str(error.value)


# ------------------------------------------------------------------ all sets
def test_convert_all_converts_what_exists_and_reports_missing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _twitter_root(data)
    _banking77_root(data)
    _mooc_root(data)
    out = tmp_path / "out"
    with caplog.at_level(logging.WARNING, logger="replyassist.evals.converters"):
        result = convert_all(data, out, limit=2)
    assert result["goemotions"] == []
    assert "goemotions" in caplog.text and "mooc_forum_urgency" not in caplog.text
    assert [p.name for p in result["twitter"]] == ["kb.jsonl", "history.jsonl", "cases.jsonl"]
    assert result["banking77"] == [
        out / "banking77" / "cases.jsonl",
        out / "banking77" / "brand.yaml",
    ]
    assert len(_read(result["banking77"][0])) == 2
    # MOOC: the held-back course found (acc), limited to 2 posts.
    assert [c.id for c in _read(result["mooc"][0])] == ["mooc-acc1-378", "mooc-acc1-500"]
    for path in (p for paths in result.values() for p in paths if p.suffix == ".jsonl"):
        _read(path, KnowledgeArticle if path.name == "kb.jsonl" else Conversation)
