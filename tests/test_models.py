import json

import pytest
from typer.testing import CliRunner

from replyassist import Conversation, InvalidInputError, KnowledgeArticle, Suggestions
from replyassist.cli import app
from replyassist.jsonl import read_records

FORMATS_EXAMPLE = {
    "id": "c-1042", "tenant": "maison-lumiere", "channel": "messenger",
    "customer": {"id": "u-77", "name": "Kate Martin", "locale": "fr-FR",
                 "attributes": {"tier": "gold", "open_orders": ["A-5521"]}},
    "messages": [
        {"role": "customer", "text": "Bonjour, je voudrais changer la taille…",
         "created_at": "2026-11-20T21:04:00Z"},
        {"role": "agent", "text": "Bonjour Kate, pouvez-vous me donner votre n° de commande ?",
         "created_at": "2026-11-21T08:12:00Z"},
        {"role": "customer", "text": "A-5521", "created_at": "2026-11-21T08:40:00Z"}],
    "expected": {"reply": "…", "doc_ids": ["kb-returns-size"], "mood": "neutral",
                 "urgency": "normal", "register": "formal", "intent": "exchange_size"},
}


def test_formats_example_parses_and_unknown_fields_are_kept_in_metadata():
    data = dict(FORMATS_EXAMPLE, crm_ticket="T-9")
    data["messages"] = [dict(m, sentiment_hint=1) for m in data["messages"]]
    conversation = Conversation.model_validate(data)
    assert conversation.metadata == {"crm_ticket": "T-9"}
    assert conversation.messages[0].metadata == {"sentiment_hint": 1}
    assert conversation.expected is not None and conversation.expected.register == "formal"
    assert conversation.latest_customer_text() == "A-5521"


def test_tenant_defaults_and_article_id_required():
    data = {k: v for k, v in FORMATS_EXAMPLE.items() if k != "tenant"}
    assert Conversation.model_validate(data).tenant == "default"
    with pytest.raises(ValueError):
        KnowledgeArticle.model_validate({"title": "x", "body": "y"})


def _errors(tmp_path, text: str | bytes):
    path = tmp_path / "conv.jsonl"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return [r.error for r in read_records(path, Conversation) if r.error]


def test_unknown_label_names_line_and_field(tmp_path):
    good = json.dumps(FORMATS_EXAMPLE)
    bad = json.dumps(dict(FORMATS_EXAMPLE, channel="fax"))
    [error] = _errors(tmp_path, f"{good}\n{bad}\n")
    assert isinstance(error, InvalidInputError)
    assert error.line == 2 and error.field == "channel"
    assert "conv.jsonl:2" in str(error) and "'fax'" in str(error)


def test_malformed_line_missing_field_empty_message_and_binary_junk(tmp_path):
    good = json.dumps(FORMATS_EXAMPLE)
    no_messages = json.dumps({"id": "x", "channel": "sms"})
    empty = json.dumps(dict(FORMATS_EXAMPLE, messages=[{"role": "customer", "text": "  "}]))
    lines = f"{good}\n{{not json\n{no_messages}\n{empty}\n".encode() + b"\xff\xfe\x00junk\n"
    errors = _errors(tmp_path, lines)
    assert [(e.line, e.field) for e in errors] == [
        (2, None), (3, "messages"), (4, "messages.0.text"), (5, None)]
    assert "malformed JSON" in str(errors[0])
    assert "empty" in str(errors[2])
    assert "UTF-8" in str(errors[3])


def test_one_megabyte_message_is_accepted(tmp_path):
    big = dict(FORMATS_EXAMPLE, messages=[{"role": "customer", "text": "a" * 1_000_000}])
    path = tmp_path / "big.json"
    path.write_text(json.dumps(big))
    [record] = list(read_records(path, Conversation))
    assert record.error is None and len(record.value.messages[0].text) == 1_000_000


def test_schema_command_exports_json_schemas(tmp_path):
    result = CliRunner().invoke(app, ["schema", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    schema = json.loads((tmp_path / "Suggestions.schema.json").read_text())
    assert "analysis" in schema["properties"]
    assert set(schema["$defs"]["Draft"]["properties"]["tone"]["enum"]) == {
        "empathetic", "apologetic", "reassuring", "informative", "friendly", "formal",
        "enthusiastic"}
    conversation_schema = json.loads((tmp_path / "Conversation.schema.json").read_text())
    assert "channel" in conversation_schema["required"]
    assert Suggestions.model_json_schema()["title"] == "Suggestions"
