"""Reviewing the response library: the ``replyassist library`` commands, the admin API
(/v1/library) and the export/import formats. Replies are mined from a handful of past
answers with the hash embedder; the CLI and the API only read and write the SQL store."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from replyassist.api import ApiConfig, create_app
from replyassist.cli import app
from replyassist.errors import InvalidInputError
from replyassist.library import LibraryMiner, LibraryStore, PastAnswer, ReplyEdit
from replyassist.library.export import export_replies, import_review, read_review_file
from replyassist.sample import SAMPLE_TENANT, sample_path
from replyassist.testing import HashEmbeddings

from .test_api import assert_error

runner = CliRunner()

TENANT = "acme"
OTHER = "globex"
GREETING, APOLOGY, QUESTION = "Hi {name}!", "Sorry to hear that.", \
    "Can you DM us your order number?"
BODY, THANKS = "Your order {order_id} ships today.", "Thanks for your patience {name}!"


def answers(prefix: str = "") -> list[PastAnswer]:
    repeated = [PastAnswer(exchange_id=f"{prefix}e{i}", conversation_id=f"{prefix}c{i}",
                           answer="Hi [NAME]! Sorry to hear that. Can you DM us your order "
                                  "number?", context=f"my order {i} is late", language="en",
                           channel="twitter") for i in range(3)]
    once = PastAnswer(exchange_id=f"{prefix}e9", conversation_id=f"{prefix}c9",
                      answer="Your order [ORDER_ID] ships today. Thanks for your patience "
                             "[NAME]!", language="en", channel="email",
                      linked_doc_ids=["kb-shipping"])
    return [*repeated, once]


def seed(store: LibraryStore, tenant: str = TENANT) -> dict[str, str]:
    """Mine the answers into ``store``: mined text → reply id."""
    LibraryMiner(store, HashEmbeddings()).mine(tenant, answers(tenant))
    ids = {r.text: r.id for r in store.replies(tenant)}
    assert set(ids) == {GREETING, APOLOGY, QUESTION, BODY, THANKS}, ids
    return ids


def snapshot(store: LibraryStore, tenant: str = TENANT) -> list[tuple[str, str, str | None]]:
    return sorted((r.id, r.status, r.edited_text) for r in store.replies(tenant))


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def library_url(tmp_path: Path) -> str:
    return "sqlite:///" + str(tmp_path / "lib.db")


@pytest.fixture
def store(library_url: str) -> LibraryStore:
    with LibraryStore(library_url) as library:
        yield library


@pytest.fixture
def ids(store: LibraryStore) -> dict[str, str]:
    return seed(store)


@pytest.fixture
def cli(tmp_path: Path, library_url: str) -> Callable[..., Any]:
    env = {"REPLYASSIST_STORE": str(tmp_path / "store"), "REPLYASSIST_EMBEDDER": "hash",
           "REPLYASSIST_LIBRARY_URL": library_url, "REPLYASSIST_TENANT": TENANT}

    def invoke(*args: str, code: int = 0) -> Any:
        result = runner.invoke(app, ["library", *args], env=env)
        assert result.exit_code == code, (result.output, result.exception)
        return result
    return invoke


def test_cli_list_filters_and_json(cli, ids):
    table = cli("list").stdout.splitlines()
    assert table[0].split()[:5] == ["id", "status", "support", "kind", "lang"]
    assert len(table) == 6 and all(reply_id in "\n".join(table) for reply_id in ids.values())
    assert table[1].split()[1:3] == ["candidate", "3"]  # most supported first
    lines = [json.loads(line) for line in cli("list", "--json").stdout.splitlines()]
    assert {r["id"] for r in lines} == set(ids.values()) and lines[0]["tenant"] == TENANT
    only = [json.loads(line) for line in cli("list", "--kind", "question", "--json",
                                             "--tenant", TENANT).stdout.splitlines()]
    assert [r["text"] for r in only] == [QUESTION]
    supported = cli("list", "--min-support", "2", "--language", "en", "--json").stdout
    assert len(supported.splitlines()) == 3 and ids[BODY] not in supported
    assert len(cli("list", "--limit", "2").stdout.splitlines()) == 3
    empty = cli("list", "--status", "approved")
    assert empty.stdout == "" and "no library replies" in empty.stderr
    assert cli("list", "--language", "fr", "--json").stdout == ""
    cli("list", "--status", "maybe", code=2)


def test_cli_show_has_variants_and_example_contexts(cli, ids):
    shown = cli("show", ids[QUESTION]).stdout
    assert ids[QUESTION] in shown and "[candidate]" in shown and QUESTION in shown
    assert "3 conversations" in shown and "twitter 3" in shown
    assert "variants (1):" in shown and "example contexts (3):" in shown
    assert "my order 0 is late" in shown
    body = json.loads(cli("show", ids[BODY], "--json").stdout)
    assert body["doc_ids"] == ["kb-shipping"] and body["variants"] == {BODY: 1}
    assert body["channels"] == {"email": 1} and body["support"] == 1


def test_cli_approve_block_edit_and_clear(cli, store, ids):
    approved = cli("approve", ids[QUESTION], ids[GREETING], "--by", "kate").stdout
    assert approved.count("approved") == 2
    for text in (QUESTION, GREETING):
        reply = store.get(TENANT, ids[text])
        assert reply.status == "approved" and reply.reviewed_by == "kate"
        assert reply.reviewed_at is not None
    assert "blocked" in cli("block", ids[APOLOGY], "--by", "kate").stdout
    assert store.get(TENANT, ids[APOLOGY]).status == "blocked"
    edited = cli("edit", ids[BODY], "--text", "Your order {order_id} is on its way!",
                 "--by", "lee").stdout
    assert "*Your order {order_id} is on its way!" in edited
    reply = store.get(TENANT, ids[BODY])
    assert reply.edited_text == "Your order {order_id} is on its way!"
    assert reply.text == BODY and reply.status == "candidate" and reply.reviewed_by == "lee"
    assert BODY in cli("edit", ids[BODY], "--clear").stdout
    assert store.get(TENANT, ids[BODY]).edited_text is None
    cli("edit", ids[BODY], code=2)  # neither --text nor --clear
    cli("edit", ids[BODY], "--text", "   ", code=2)
    assert store.get(TENANT, ids[BODY]).edited_text is None


def test_cli_unknown_id_is_not_found_and_nothing_is_applied(cli, store, ids):
    before = snapshot(store)
    for command in (["approve", ids[QUESTION], "r-x"], ["block", "r-x", ids[APOLOGY]],
                    ["edit", "r-x", "--text", "Hello"], ["edit", "r-x", "--clear"],
                    ["show", "r-x"]):
        result = cli(*command, code=2)
        assert result.stderr.strip() == f"error [not_found]: no library reply 'r-x' for " \
                                        f"tenant '{TENANT}'"
        assert result.stdout == ""
    assert snapshot(store) == before


def test_cli_tenant_isolation(cli, store, ids):
    other = seed(store, OTHER)
    assert set(other.values()).isdisjoint(ids.values())
    result = cli("approve", ids[QUESTION], "--tenant", OTHER, code=2)
    assert f"no library reply '{ids[QUESTION]}' for tenant '{OTHER}'" in result.stderr
    cli("show", other[QUESTION], code=2)  # REPLYASSIST_TENANT is acme
    assert other[QUESTION] in cli("show", other[QUESTION], "--tenant", OTHER).stdout
    assert store.get(TENANT, ids[QUESTION]).status == "candidate"
    listed = cli("list", "--tenant", OTHER, "--json").stdout
    assert all(json.loads(line)["tenant"] == OTHER for line in listed.splitlines())


def test_cli_export_json_csv_and_zendesk(cli, store, ids, tmp_path):
    cli("approve", ids[GREETING], ids[BODY])
    cli("block", ids[APOLOGY])
    records = json.loads(cli("export").stdout)
    assert [r["id"] for r in records] == [r.id for r in store.replies(TENANT)]
    body = next(r for r in records if r["id"] == ids[BODY])
    assert body == {"id": ids[BODY], "language": "en", "kind": "body", "status": "approved",
                    "text": BODY, "edited_text": None, "support": 1, "channels": ["email"],
                    "doc_ids": ["kb-shipping"]}
    rows = list(csv.DictReader(io.StringIO(cli("export", "--format", "csv").stdout)))
    assert list(rows[0]) == ["id", "language", "kind", "status", "text", "edited_text",
                             "support", "channels", "doc_ids"]
    assert {r["id"]: r["doc_ids"] for r in rows}[ids[BODY]] == "kb-shipping"
    assert {r["id"]: r["channels"] for r in rows}[ids[QUESTION]] == "twitter"
    only = json.loads(cli("export", "--status", "blocked").stdout)
    assert [r["id"] for r in only] == [ids[APOLOGY]]

    out = tmp_path / "out" / "macros.json"
    result = cli("export", "--format", "zendesk", "--out", str(out))
    assert result.stdout == "" and "wrote 5 replies" in result.stderr
    macros = json.loads(out.read_text(encoding="utf-8"))["macros"]
    assert len(macros) == 4  # the blocked reply is not a macro
    assert all(set(m) == {"title", "actions", "active", "description"} for m in macros)
    assert all(m["actions"][0]["field"] == "comment_value" and len(m["actions"]) == 1
               for m in macros)
    by_id = {next(i for i in ids.values() if i in m["description"]): m for m in macros}
    assert ids[APOLOGY] not in by_id
    greeting = by_id[ids[GREETING]]
    assert greeting["actions"][0]["value"] == "Hi {{ticket.requester.first_name}}!"
    assert greeting["active"] is True and by_id[ids[QUESTION]]["active"] is False
    order = by_id[ids[BODY]]
    assert order["actions"][0]["value"] == "Your order [order_id] ships today."
    assert "[order_id]" in order["description"] and "Fill in" in order["description"]
    assert "Fill in" not in greeting["description"]
    assert "{" not in order["title"] and order["title"].startswith("Library::en::body::")


def test_zendesk_export_uses_the_edited_text():
    from replyassist.library import LibraryReply

    reply = LibraryReply(id="r-1", tenant=TENANT, language="fr", kind="question",
                         text="Pouvez-vous nous donner {order_id} ?", support=4, uses=4,
                         edited_text="Bonjour {name}, quel est le numéro de {case_id} ?",
                         status="approved")
    macro = json.loads(export_replies([reply], "zendesk"))["macros"][0]
    assert macro["actions"] == [{"field": "comment_value", "value":
                                 "Bonjour {{ticket.requester.first_name}}, quel est le "
                                 "numéro de [case_id] ?"}]
    assert "[case_id]" in macro["description"] and "[order_id]" not in macro["description"]
    with pytest.raises(InvalidInputError, match="format"):
        export_replies([reply], "xml")


def test_cli_import_round_trip_csv_and_json(cli, store, ids, tmp_path):
    review = tmp_path / "review.csv"
    cli("export", "--format", "csv", "--out", str(review))
    rows = list(csv.DictReader(io.StringIO(review.read_text(encoding="utf-8"))))
    for row in rows:
        if row["id"] == ids[QUESTION]:
            row["status"] = "approved"
        elif row["id"] == ids[APOLOGY]:
            row["status"] = "Blocked"  # case does not matter
        elif row["id"] == ids[BODY]:
            row["edited_text"] = "-> Your order {order_id} is on its way!"
    with review.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = cli("import", str(review), "--by", "kate")
    assert "3 replies updated, 2 unchanged" in result.stdout
    assert store.get(TENANT, ids[QUESTION]).status == "approved"
    assert store.get(TENANT, ids[APOLOGY]).status == "blocked"
    body = store.get(TENANT, ids[BODY])
    assert body.edited_text == "-> Your order {order_id} is on its way!"
    assert body.status == "candidate" and body.reviewed_by == "kate"
    untouched = store.get(TENANT, ids[GREETING])
    assert untouched.reviewed_at is None and untouched.reviewed_by is None
    # the edit starts with '-': quoted for spreadsheets, read back without the quote
    again = tmp_path / "again.csv"
    cli("export", "--format", "csv", "--out", str(again))
    assert "'-> Your order" in again.read_text(encoding="utf-8")
    assert "0 replies updated, 5 unchanged" in cli("import", str(again)).stdout

    exported = tmp_path / "review.json"
    cli("export", "--out", str(exported))
    records = json.loads(exported.read_text(encoding="utf-8"))
    for record in records:
        if record["id"] == ids[GREETING]:
            record.update(status="approved", edited_text="Hello {name}!")
    exported.write_text(json.dumps(records), encoding="utf-8")
    assert "1 replies updated, 4 unchanged" in cli("import", str(exported)).stdout
    greeting = store.get(TENANT, ids[GREETING])
    assert greeting.status == "approved" and greeting.edited_text == "Hello {name}!"
    assert store.get(TENANT, ids[BODY]).edited_text.startswith("-> Your order")


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_cli_import_of_a_malformed_file_names_file_line_field_and_applies_nothing(
        cli, store, ids, tmp_path):
    before = snapshot(store)
    header = ["id", "status", "edited_text"]
    bad_status = write_csv(tmp_path / "bad.csv", header, [
        [ids[QUESTION], "approved", ""], [ids[APOLOGY], "aproved", ""],
        [ids[BODY], "blocked", ""]])
    result = cli("import", str(bad_status), code=2)
    assert f"error [invalid_input]: {bad_status}:3, field 'status': unknown status " \
           "'aproved'" in result.stderr
    no_id = write_csv(tmp_path / "noid.csv", ["reply", "status"], [[ids[QUESTION], "approved"]])
    result = cli("import", str(no_id), code=2)
    assert f"{no_id}:1, field 'id'" in result.stderr and "no 'id' column" in result.stderr
    not_json = tmp_path / "review.json"
    not_json.write_text(json.dumps([{"id": ids[QUESTION], "status": "approved"}])[:-1]
                        + ",\n{broken", encoding="utf-8")
    result = cli("import", str(not_json), code=2)
    assert f"{not_json}:2" in result.stderr and "not valid JSON" in result.stderr
    bad_json = tmp_path / "bad.json"
    bad_json.write_text(json.dumps([{"id": ids[QUESTION], "status": "approved"},
                                    {"id": ids[GREETING], "edited_text": "Hello!"},
                                    {"id": ids[APOLOGY], "status": "maybe"}]),
                        encoding="utf-8")
    result = cli("import", str(bad_json), code=2)
    assert f"{bad_json}:3, field 'status'" in result.stderr
    unknown = write_csv(tmp_path / "unknown.csv", header, [
        [ids[QUESTION], "approved", ""], ["r-x", "blocked", ""]])
    result = cli("import", str(unknown), code=2)
    assert f"{unknown}:3, field 'id': no library reply 'r-x'" in result.stderr
    duplicate = write_csv(tmp_path / "dup.csv", header, [
        [ids[QUESTION], "approved", ""], [ids[QUESTION], "blocked", ""]])
    assert f"{duplicate}:3, field 'id'" in cli("import", str(duplicate), code=2).stderr
    missing = cli("import", str(tmp_path / "nope.csv"), code=2)
    assert "no such file" in missing.stderr
    assert snapshot(store) == before


def test_read_review_file_returns_the_decisions(tmp_path, ids):
    path = write_csv(tmp_path / "r.csv", ["id", "text", "status", "edited_text"], [
        [ids[QUESTION], "ignored", "approved", ""], [ids[GREETING], "x", "", ""],
        ["", "", "", ""], [ids[BODY], "", "", "'=SUM(A1)"]])
    assert read_review_file(path) == [
        (ids[QUESTION], ReplyEdit(status="approved")),
        (ids[BODY], ReplyEdit(edited_text="=SUM(A1)"))]
    with pytest.raises(InvalidInputError) as error:
        read_review_file(write_csv(tmp_path / "s.csv", ["id", "status"],
                                   [[ids[QUESTION], "approved"], [ids[BODY], "gone"]]))
    assert (error.value.line, error.value.field, error.value.source) == \
        (3, "status", str(tmp_path / "s.csv"))
    zendesk = tmp_path / "macros.json"
    zendesk.write_text('{"macros": []}', encoding="utf-8")
    with pytest.raises(InvalidInputError, match="zendesk export cannot be imported"):
        read_review_file(zendesk)


def test_import_review_is_all_or_nothing(store, ids, tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps([{"id": ids[QUESTION], "status": "blocked"},
                                {"id": "r-gone", "status": "approved"}]), encoding="utf-8")
    with pytest.raises(InvalidInputError) as error:
        import_review(store, TENANT, path)
    assert (error.value.line, error.value.field) == (2, "id")
    assert store.get(TENANT, ids[QUESTION]).status == "candidate"


def test_cli_mine_then_review(tmp_path):
    """The default library (beside the store), mined through the assistant's wiring."""
    env = {"REPLYASSIST_STORE": str(tmp_path / "store"), "REPLYASSIST_EMBEDDER": "hash",
           "REPLYASSIST_LIBRARY_MINE_ON_INGEST": "false"}
    ingest = runner.invoke(app, ["ingest", "history", str(sample_path("history.jsonl")),
                                 "--tenant", SAMPLE_TENANT], env=env)
    assert ingest.exit_code == 0, ingest.output
    mined = runner.invoke(app, ["library", "mine", "--tenant", SAMPLE_TENANT], env=env)
    assert mined.exit_code == 0, (mined.output, mined.exception)
    assert mined.stdout.startswith(f"library {SAMPLE_TENANT}: ")
    assert "0 new answers" not in mined.stdout
    listed = runner.invoke(app, ["library", "list", "--tenant", SAMPLE_TENANT, "--json"],
                           env=env)
    assert listed.exit_code == 0, listed.output
    replies = [json.loads(line) for line in listed.stdout.splitlines()]
    assert replies and all(r["tenant"] == SAMPLE_TENANT for r in replies)
    again = runner.invoke(app, ["library", "mine", "--tenant", SAMPLE_TENANT], env=env)
    assert again.exit_code == 0 and "0 new answers" in again.stdout
    approve = runner.invoke(app, ["library", "approve", replies[0]["id"], "--tenant",
                                  SAMPLE_TENANT], env=env)
    assert approve.exit_code == 0 and "approved" in approve.stdout
    assert LibraryStore.beside(str(tmp_path / "store")).get(
        SAMPLE_TENANT, replies[0]["id"]).status == "approved"


# --------------------------------------------------------------------------- API

ADMIN_KEY = "key-admin-0003"
OTHER_ADMIN_KEY = "key-admin-globex-0005"
TENANT_KEY = "key-tenant-a-0001"
KEYS = {ADMIN_KEY: {"tenant": "*", "admin": True, "name": "ops"},
        OTHER_ADMIN_KEY: {"tenant": OTHER, "admin": True, "name": "globex-ops"},
        TENANT_KEY: {"tenant": TENANT, "name": "plugin"}}


def bearer(key: str = ADMIN_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def assistant(make_assistant):
    return make_assistant()


@pytest.fixture
def api_ids(assistant) -> dict[str, dict[str, str]]:
    return {TENANT: seed(assistant.library, TENANT), OTHER: seed(assistant.library, OTHER)}


@pytest.fixture
async def client(assistant, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    api: FastAPI = create_app(assistant, config=ApiConfig(
        keys=KEYS, feedback_url=f"sqlite:///{tmp_path / 'feedback.db'}"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(api),
                                 base_url="http://api") as http:
        yield http


async def test_api_list_and_show(client, api_ids):
    ids = api_ids[TENANT]
    params = {"tenant": TENANT}
    listed = await client.get("/v1/library", params=params, headers=bearer())
    assert listed.status_code == 200, listed.text
    assert {r["id"] for r in listed.json()} == set(ids.values())
    assert listed.json()[0]["support"] == 3
    filtered = await client.get("/v1/library", headers=bearer(), params={
        **params, "kind": "question", "language": "en", "min_support": 3})
    assert [r["text"] for r in filtered.json()] == [QUESTION]
    assert len((await client.get("/v1/library", headers=bearer(),
                                 params={**params, "limit": 2})).json()) == 2
    assert (await client.get("/v1/library", headers=bearer(),
                             params={**params, "status": "approved"})).json() == []
    bad = await client.get("/v1/library", headers=bearer(), params={**params,
                                                                     "status": "maybe"})
    assert assert_error(bad, 422, "invalid_input")["field"] == "status"
    shown = await client.get(f"/v1/library/{ids[QUESTION]}", params=params, headers=bearer())
    assert shown.status_code == 200
    assert shown.json()["variants"] == {QUESTION: 3} and len(shown.json()["examples"]) == 3


async def test_api_patch_reviews_a_reply(client, assistant, api_ids):
    ids, params = api_ids[TENANT], {"tenant": TENANT}
    url = f"/v1/library/{ids[BODY]}"
    approved = await client.patch(url, params=params, headers=bearer(),
                                  json={"status": "approved"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["reviewed_by"] == "ops"
    edited = await client.patch(url, params=params, headers=bearer(), json={
        "edited_text": "Your order {order_id} left today.", "reviewed_by": "kate"})
    assert edited.json()["edited_text"] == "Your order {order_id} left today."
    assert edited.json()["status"] == "approved" and edited.json()["reviewed_by"] == "kate"
    cleared = await client.patch(url, params=params, headers=bearer(),
                                 json={"edited_text": None})
    assert cleared.status_code == 200 and cleared.json()["edited_text"] is None
    before = snapshot(assistant.library)
    for body, field in (({"status": "maybe"}, "status"), ({}, "status"),
                        ({"edited_text": ""}, "edited_text"),
                        ({"edited_text": "   "}, "edited_text"),
                        ({"status": "approved", "colour": "red"}, "colour")):
        refused = await client.patch(url, params=params, headers=bearer(), json=body)
        assert assert_error(refused, 422, "invalid_input")["field"] == field, body
    assert snapshot(assistant.library) == before


async def test_api_unknown_or_other_tenants_id_is_404(client, assistant, api_ids):
    before = {t: snapshot(assistant.library, t) for t in (TENANT, OTHER)}
    theirs = api_ids[OTHER][QUESTION]
    for reply_id in ("r-x", theirs):
        for method, body in (("GET", None), ("PATCH", {"status": "blocked"})):
            response = await client.request(method, f"/v1/library/{reply_id}",
                                            params={"tenant": TENANT}, headers=bearer(),
                                            json=body)
            error = assert_error(response, 404, "not_found")
            assert error["field"] == "reply_id" and reply_id in error["message"]
    # an admin key of the other tenant does not see this tenant's replies either
    mine = api_ids[TENANT][QUESTION]
    hidden = await client.get(f"/v1/library/{mine}", headers=bearer(OTHER_ADMIN_KEY))
    assert_error(hidden, 404, "not_found")
    own = await client.get(f"/v1/library/{theirs}", headers=bearer(OTHER_ADMIN_KEY))
    assert own.status_code == 200 and own.json()["tenant"] == OTHER
    refused = await client.get("/v1/library", params={"tenant": TENANT},
                               headers=bearer(OTHER_ADMIN_KEY))
    assert assert_error(refused, 403, "forbidden")["field"] == "tenant"
    listed = await client.get("/v1/library", headers=bearer(OTHER_ADMIN_KEY))
    assert {r["tenant"] for r in listed.json()} == {OTHER}
    assert {t: snapshot(assistant.library, t) for t in (TENANT, OTHER)} == before


async def test_api_library_needs_an_admin_key(client, assistant, api_ids):
    reply_id = api_ids[TENANT][QUESTION]
    for method, path, body in (("GET", "/v1/library", None),
                               ("GET", f"/v1/library/{reply_id}", None),
                               ("PATCH", f"/v1/library/{reply_id}", {"status": "approved"}),
                               ("POST", "/v1/library/mine", None),
                               ("GET", "/v1/library/export", None)):
        response = await client.request(method, path, headers=bearer(TENANT_KEY), json=body)
        assert "admin" in assert_error(response, 403, "forbidden")["message"]
        assert_error(await client.request(method, path, json=body), 401, "unauthorized")
    assert assistant.library.get(TENANT, reply_id).status == "candidate"
    unnamed = await client.get("/v1/library", headers=bearer())
    assert assert_error(unnamed, 422, "invalid_input")["field"] == "tenant"


async def test_api_export_formats(client, api_ids):
    ids, params = api_ids[TENANT], {"tenant": TENANT}
    await client.patch(f"/v1/library/{ids[GREETING]}", params=params, headers=bearer(),
                       json={"status": "approved"})
    await client.patch(f"/v1/library/{ids[APOLOGY]}", params=params, headers=bearer(),
                       json={"status": "blocked"})
    as_json = await client.get("/v1/library/export", params=params, headers=bearer())
    assert as_json.status_code == 200
    assert as_json.headers["content-type"].startswith("application/json")
    assert 'filename="library-acme.json"' in as_json.headers["content-disposition"]
    assert {r["id"] for r in as_json.json()} == set(ids.values())
    as_csv = await client.get("/v1/library/export", headers=bearer(),
                              params={**params, "format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert {r["id"]: r["status"] for r in rows}[ids[APOLOGY]] == "blocked"
    zendesk = await client.get("/v1/library/export", headers=bearer(),
                               params={**params, "format": "zendesk"})
    assert zendesk.headers["content-type"].startswith("application/json")
    assert "library-acme-zendesk.json" in zendesk.headers["content-disposition"]
    macros = zendesk.json()["macros"]
    assert len(macros) == 4 and not any(ids[APOLOGY] in m["description"] for m in macros)
    assert [m["active"] for m in macros].count(True) == 1
    approved = await client.get("/v1/library/export", headers=bearer(),
                                params={**params, "status": "approved"})
    assert [r["id"] for r in approved.json()] == [ids[GREETING]]
    bad = await client.get("/v1/library/export", headers=bearer(),
                           params={**params, "format": "xml"})
    assert assert_error(bad, 422, "invalid_input")["field"] == "format"


async def test_api_mine(client):
    params = {"tenant": SAMPLE_TENANT}
    history = [json.loads(line) for line in
               sample_path("history.jsonl").read_text(encoding="utf-8").splitlines()
               if line.strip()]
    ingested = await client.post("/v1/ingest/history", json=history, params=params,
                                 headers=bearer())
    assert ingested.status_code == 200, ingested.text
    mined = await client.post("/v1/library/mine", params=params, headers=bearer())
    assert mined.status_code == 200, mined.text
    report = mined.json()
    assert report["tenant"] == SAMPLE_TENANT and report["replies"] >= 1
    assert report["exchanges"] + report["skipped"] >= len(history)
    listed = await client.get("/v1/library", params={**params, "limit": 5000},
                              headers=bearer())
    assert len(listed.json()) == report["replies"]
    again = await client.post("/v1/library/mine", params=params, headers=bearer())
    assert again.json()["exchanges"] == 0 and again.json()["replies"] == report["replies"]
