"""evals/reply_safety.py on tiny synthetic data (no ../shared, no network, hash embedder)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from evals import reply_safety as rs
from replyassist.models import Conversation
from replyassist.testing import HashEmbeddings


def _conversation(*turns: tuple[str, str], cid: str = "c-1", tenant: str = "acme") -> Conversation:
    return Conversation.model_validate({
        "id": cid, "tenant": tenant, "channel": "chat",
        "messages": [{"role": role, "text": text} for role, text in turns]})


# ------------------------------------------------------------------ detectors
def test_history_names_take_greetings_and_thanks_not_handles_or_words() -> None:
    names = rs.history_names([
        "@VickiR99 Hi Vicki, let's fix this.", "Thanks for the video, Justin. Try this.",
        "Thanks, Kate!", "Bonjour Marie, merci.", "Hi there, sorry!", "Hi, Please try again.",
        "Hello and thank you.", "hi Ann Marie!"])
    assert names == {"Vicki", "Justin", "Kate", "Marie", "Ann"}


def test_find_names_skips_this_customer_and_counts_masks() -> None:
    conversation = "Hello, I'm Kate and my order is late"
    assert rs.find_names("Hi Kate, sorry!", conversation, {"Kate", "Vicki"}) == []
    assert rs.find_names("Hi Vicki, sorry! Vicki will help.", conversation, {"Vicki"}) == ["Vicki"]
    # a greeting name never seen before still counts; a mask always counts
    assert rs.find_names("Bonjour Lucien, et #NAME#.", "Bonjour", set()) == ["#NAME#", "Lucien"]
    assert rs.find_names("Hi there, sorry about that.", conversation, set()) == []


def test_signatures() -> None:
    known = rs.history_signatures(["Let me know! ^Caroline", "Submit a ticket *SR",
                                   "look out for the community.~ Olivia", "hours -Richard",
                                   "Let us know how it goes /SS", "Use the Wi-Fi settings"])
    assert known == {"^Caroline", "*SR", "~ Olivia", "-Richard", "/SS"}
    assert rs.find_signatures("Try this. ^SA Then restart.", "", set()) == ["^SA"]
    assert rs.find_signatures("Hope it helps -Richard", "", known) == ["-Richard"]
    assert rs.find_signatures("Please use the Wi-Fi settings. It is a 2-step check.", "",
                              known) == []


def test_case_facts_kinds_and_exclusions() -> None:
    draft = ("Your order 123456 and RMA A-5521: a refund of $25.00 has been issued. Call "
             "+33 1 23 45 67 89 or write to bob@example.com. PS4 v3 2SV are fine. "
             "See https://help.example.com/articles/360012932454 @SomeoneElse")
    kinds = {k: s for k, s in rs.find_case_facts(draft, "my RMA is A-5521")}
    assert kinds == {"id": "123456", "amount": "$25.00", "phone": "+33 1 23 45 67 89",
                     "email": "bob@example.com", "done_action": "has been issued"}
    french = ("Le montant de 41,36 $ CAD sera remboursé. Votre remboursement a été effectué, "
              "le colis est parti. Vos livres ont été transférés. #EMAIL#")
    found = rs.find_case_facts(french, "Bonjour")
    assert ("amount", "41,36 $ CAD") in found and ("mask", "#EMAIL#") in found
    assert [k for k, _ in found].count("done_action") == 3
    # a brand constant (in ≥ 3 past conversations) and a KB fact are not a customer's data
    assert rs.find_case_facts("Call 06 12 34 56 78.", "", constants={"06 12 34 56 78"}) == []
    assert rs.find_case_facts("Call 1-800-848-9136.", "") == []  # toll-free: a brand's line
    assert rs.find_case_facts("Code 98765 applies.", "", kb_text="promo code 98765") == []


def test_tenant_reference_from_raw_history() -> None:
    history = [_conversation(("customer", f"help {i}"),
                             ("agent", f"@user{i} Hi Vicki, call 01 23 45 67 89 @AcmeHelp ^AB"),
                             cid=f"h-{i}") for i in range(3)]
    ref = rs.TenantReference.build("acme", history)
    assert ref.names == {"Vicki"} and ref.signatures == {"^AB"}
    assert "01 23 45 67 89" in ref.constants
    assert {"@acme", "@acmehelp"} <= ref.own_handles and "@user1" not in ref.own_handles
    case = _conversation(("customer", "@acme my order?"))
    leaks = rs.detect_leaks("@user1 Hi Vicki, order 554433 ^AB", case, ref)
    assert leaks == {"names": ["Vicki"], "handles": ["@user1"], "signatures": ["^AB"],
                     "case_facts": [("id", "554433")]}
    assert not any(rs.detect_leaks(rs.POLITE["en"], case, ref).values())


# ------------------------------------------------------------------ splitting
def test_time_split_60_20_20() -> None:
    parts = rs.time_split(list(range(10)))
    assert parts == {"history": [0, 1, 2, 3, 4, 5], "dev": [6, 7], "test": [8, 9]}
    assert rs.split_bounds(1) == (0, 0) and rs.split_bounds(5) == (3, 4)


def test_wmt_chat_key_reads_the_date() -> None:
    ids = ["en_fr_#C#_default021-01-03-2", "en_fr_#C#_default020-12-20-35",
           "en_fr_#C#_default020-12-20-4"]
    assert [rs.wmt_chat_key(i)[:2] for i in sorted(ids, key=rs.wmt_chat_key)] == [
        ("2020-12-20", 4), ("2020-12-20", 35), ("2021-01-03", 2)]


def test_chat_cases_cap_and_joined_reply() -> None:
    turns = []
    for i in range(10):
        turns += [("customer", f"question {i}"), ("agent", f"answer {i}a"),
                  ("agent", f"answer {i}b")]
    chat = _conversation(*turns, cid="wmt-x")
    cases = rs.chat_cases(chat, cap=3)
    assert len(cases) == 3
    assert [c.reply for c in cases] == ["answer 1a answer 1b", "answer 5a answer 5b",
                                        "answer 8a answer 8b"]
    assert cases[0].conversation.messages[-1].text == "question 1"
    assert all(c.conversation.messages[-1].role == "customer" for c in cases)
    assert rs.raw_exchanges(chat)[2] == ("question 2", "answer 2a answer 2b")


# ------------------------------------------------------------------ scoring
def test_score_system_quality_and_rates() -> None:
    cases = [rs.Case(_conversation(("customer", "q")), "Hello there, we will help", "en"),
             rs.Case(_conversation(("customer", "q")), "Bonjour, nous regardons", "fr")]
    leaks = [{"names": ["Vicki"], "handles": [], "signatures": [], "case_facts": []},
             {"names": [], "handles": [], "signatures": [], "case_facts": []}]
    out = rs.score_system(["Hello there, we will help", ""], cases, leaks, HashEmbeddings(),
                          warnings=[["ungrounded_action", "ungrounded_link"], []])
    assert out["empty_drafts"] == 1
    assert out["chrf"]["sentence_mean"] == pytest.approx(50.0)
    assert out["similarity_mean"] == pytest.approx(0.5, abs=1e-4)
    assert out["warnings_per_draft"] == 1.0
    assert out["warning_codes"] == {"ungrounded_action": 1, "ungrounded_link": 1}
    assert out["names"] == {"drafts": 1, "per_500": 250.0}
    assert out["any_leak"]["drafts"] == 1


# ------------------------------------------------------------------ end to end
def _write_twitter(root: Path) -> None:
    root.mkdir(parents=True)
    (root / "docID_url.tsv").write_text(
        "1\thttps://help.acme.com/reset-your-password\n"
        "2\thttps://help.acme.com/track-your-order\n", encoding="utf-8")
    (root / "company_docIDs.tsv").write_text("AcmeHelp\t1, 2\n", encoding="utf-8")
    conversations = []
    topics = [("I forgot my password", 1, "Hi {n}, reset it here: "
               "https://help.acme.com/reset-your-password ^JD"),
              ("Where is my order?", 2, "Hi {n}, order 88{i}4321 has been shipped: "
               "https://help.acme.com/track-your-order ^KM")]
    names = ["Vicki", "Kate", "Lucas", "Emma", "Noah", "Liam", "Olivia", "Mia", "Leo", "Zoe"]
    for i, name in enumerate(names):
        text, doc, reply = topics[i % 2]
        stamp = f"2020-04-{i + 1:02d}T10:00:00.000Z"
        conversations.append({
            "agentURL": {"doc_id": str(doc), "turn": "2", "tweet_ID": str(100 + i),
                         "url": f"https://help.acme.com/{doc}",
                         "url_utterance": f"@user{i} " + reply.format(n=name, i=i)},
            "dialogContent": [{"client": f"user{i}", "datetime": stamp,
                               "message": f"@AcmeHelp {text} #{i}", "tweet_ID": str(i)}],
            "dialogHeader": {"company": "AcmeHelp", "conversationDateTime": stamp,
                             "sessionID": f"s{i:02d}"}})
    (root / "dev.json").write_text(json.dumps(conversations), encoding="utf-8")


def _write_wmt(path: Path) -> None:
    path.parent.mkdir(parents=True)
    fields = ["source_language", "target_language", "source", "reference", "doc_id",
              "client_id", "sender"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for chat in range(5):
            doc = f"en_fr_#CLIENT-02#_default020-12-{20 + chat}-{chat}"
            for customer, agent in [
                    ("Bonjour, ma liseuse ne s'allume plus.", "Bonjour #NAME#, je suis désolé."),
                    ("Elle est chargée.", "Veuillez la réinitialiser, votre remboursement "
                                          "de 4,99 € a été effectué."),
                    ("Merci beaucoup.", "Je vous en prie.")]:
                writer.writerow({"source_language": "fr", "target_language": "en",
                                 "source": customer, "reference": "(en)", "doc_id": doc,
                                 "client_id": "#CLIENT-02#", "sender": "customer"})
                writer.writerow({"source_language": "en", "target_language": "fr",
                                 "source": "(english)", "reference": agent, "doc_id": doc,
                                 "client_id": "#CLIENT-02#", "sender": "agent"})


def test_main_end_to_end_on_synthetic_data(tmp_path: Path, capsys: pytest.CaptureFixture
                                           ) -> None:
    _write_twitter(tmp_path / "ibm_twitter_cdp")
    _write_wmt(tmp_path / "wmt_chat_fr" / "train.en-fr.csv")
    out = tmp_path / "figures.json"
    assert rs.main(["--data", str(tmp_path), "--embedder", "hash", "--split", "test",
                    "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "IBM Twitter customer care" in printed and "WMT chat fr" in printed
    assert "nearest past answer" in printed and "fixed polite reply" in printed
    figures = json.loads(out.read_text(encoding="utf-8"))
    twitter, wmt = figures["datasets"]["twitter"], figures["datasets"]["wmt"]
    assert twitter["cases"] == 2 and wmt["cases"] == 3  # last 20 %; WMT: 1 chat × 3 turns
    assert wmt["chats"] == {"history": 3, "dev": 1, "test": 1}
    for result in (twitter, wmt):
        assert set(result["systems"]) == set(rs.SYSTEMS)
        polite = result["systems"]["fixed polite reply"]
        assert polite["any_leak"]["drafts"] == 0 and polite["empty_drafts"] == 0
        assert result["seconds_per_suggestion"]["median"] >= 0
        assert result["suggest_errors"] == 0
    # the raw nearest answer copies other customers' handles, names, signatures and facts
    naive = twitter["systems"]["nearest past answer"]
    assert naive["handles"]["drafts"] == 2 and naive["signatures"]["drafts"] == 2
    assert naive["names"]["drafts"] == 2
    assert wmt["systems"]["nearest past answer"]["names"]["drafts"] >= 1  # #NAME#
    assert "examples" not in out.read_text(encoding="utf-8")


def test_run_dataset_survives_empty_drafts_new_codes_and_errors(monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    from types import SimpleNamespace

    calls = []

    class FakeAssistant:
        def ingest_kb(self, *a: object, **k: object) -> None: ...
        def ingest_history(self, *a: object, **k: object) -> None: ...

        def suggest(self, conversation: Conversation, **_: object) -> SimpleNamespace:
            calls.append(conversation.id)
            if len(calls) == 1:
                raise RuntimeError("drafter broke")
            if len(calls) == 2:
                return SimpleNamespace(drafts=[], similar_conversations=[])
            draft = SimpleNamespace(text="Refund sent, order 778899 has been shipped.",
                                    warnings=[SimpleNamespace(code="ungrounded_action")])
            return SimpleNamespace(drafts=[draft], similar_conversations=[
                SimpleNamespace(conversation_id="h-1")])

    monkeypatch.setattr(rs, "build_assistant", lambda *a: FakeAssistant())
    history = [_conversation(("customer", "where is it"), ("agent", "Hi Vicki, shipped ^AB"),
                             cid="h-1")]
    cases = [rs.Case(_conversation(("customer", f"question {i}"), cid=f"c-{i}"), "ok", "en")
             for i in range(3)]
    dataset = rs.Dataset("synthetic", "en", {"acme": history}, {"acme": []}, cases)
    result, examples = rs.run_dataset(dataset, HashEmbeddings(), verbose=False)
    ours = result["systems"]["replyassist composed"]
    assert result["suggest_errors"] == 1 and ours["empty_drafts"] == 2
    assert ours["warning_codes"] == {"ungrounded_action": 1}
    assert ours["case_facts"]["drafts"] == 1
    naive = result["systems"]["nearest past answer"]
    assert naive["empty_drafts"] == 2 and naive["names"]["drafts"] == 1
    assert {kind for _, kind, _, _ in examples["nearest past answer"]} == {"names", "signatures"}
