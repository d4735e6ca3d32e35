import json

import numpy as np
import pytest

from replyassist import EmbedderMismatchError, InvalidInputError, VectorStore
from replyassist.sample import SAMPLE_TENANT, sample_path
from replyassist.testing import HashEmbeddings


def _articles_dir(tmp_path, count=3):
    folder = tmp_path / "kb"
    folder.mkdir()
    for i in range(count):
        (folder / f"a{i}.md").write_text(
            f"---\nid: kb-{i}\ntitle: Article {i}\nurl: https://help.example/{i}\n"
            f"language: en\ntags: [t{i}]\n---\n## Section\nBody number {i} about topic{i}.\n")
    return folder


def _kb_ids(assistant, tenant="t1"):
    kb, _ = assistant.pipeline.collections(tenant)
    return {i.metadata["doc_id"]: i for i in kb.iter_all()}


def test_sample_kb_ingest_is_incremental_and_idempotent(make_assistant):
    assistant = make_assistant()
    first = assistant.ingest_kb(sample_path("kb"), tenant=SAMPLE_TENANT)
    assert first.added == 32 and first.skipped == 0
    kb, _ = assistant.pipeline.collections(SAMPLE_TENANT)
    count = kb.count()
    second = assistant.ingest_kb(sample_path("kb"), tenant=SAMPLE_TENANT)
    assert (second.added, second.updated, second.skipped) == (0, 0, 32)
    assert kb.count() == count
    assert "32 skipped" in second.summary()


def test_changed_article_is_replaced_and_prune_removes_missing(make_assistant, tmp_path):
    assistant = make_assistant()
    folder = _articles_dir(tmp_path)
    assistant.ingest_kb(folder, tenant="t1")
    (folder / "a0.md").write_text("---\nid: kb-0\ntitle: Article 0\n---\nNew text about refunds.\n")
    report = assistant.ingest_kb(folder, tenant="t1")
    assert (report.updated, report.skipped) == (1, 2)
    chunks = [i for i in _kb_ids(assistant).values() if i.metadata["doc_id"] == "kb-0"]
    assert len(chunks) == 1 and "refunds" in chunks[0].document
    (folder / "a2.md").unlink()
    assert assistant.ingest_kb(folder, tenant="t1").removed == 0  # not without --prune
    assert assistant.ingest_kb(folder, tenant="t1", prune=True).removed == 1
    assert set(_kb_ids(assistant)) == {"kb-0", "kb-1"}


def test_chunks_keep_title_and_headings(make_assistant, tmp_path):
    assistant = make_assistant()
    folder = tmp_path / "kb"
    folder.mkdir()
    body = "\n\n".join(f"## Part {p}\n" + " ".join(["word"] * 400) for p in range(2))
    (folder / "long.md").write_text(f"---\ntitle: Long guide\n---\n{body}\n")
    (folder / "page.html").write_text("<html><head><title>Html page</title></head><body>"
                                      "<h2>Heading</h2><p>Some html text.</p></body></html>")
    (folder / "note.txt").write_text("Plain title\nplain body text")
    assistant.ingest_kb(folder, tenant="t1")
    items = list(assistant.pipeline.collections("t1")[0].iter_all())
    long_chunks = [i for i in items if i.metadata["doc_id"] == "long"]
    assert len(long_chunks) >= 4  # 800 words, 300-token chunks
    assert all(i.document.startswith("Long guide — Part") for i in long_chunks)
    html = next(i for i in items if i.metadata["doc_id"] == "page")
    assert html.metadata["title"] == "Html page" and "Heading" in html.document
    assert next(i for i in items if i.metadata["doc_id"] == "note").metadata["title"] == \
        "Plain title"


def test_bad_article_named_and_skip_or_stop(make_assistant, tmp_path):
    assistant = make_assistant()
    folder = _articles_dir(tmp_path, 2)
    (folder / "broken.md").write_text("---\ntitle: [unclosed\n---\nbody\n")
    with pytest.raises(InvalidInputError) as caught:
        assistant.ingest_kb(folder, tenant="t1", on_error="stop")
    assert "broken.md" in str(caught.value)
    assert set(_kb_ids(assistant)) == {"kb-0", "kb-1"}  # read before the error: kept
    report = assistant.ingest_kb(folder, tenant="t1", on_error="skip")
    assert len(report.errors) == 1 and report.skipped == 2


def test_jsonl_articles_with_bad_line(make_assistant, tmp_path):
    path = tmp_path / "kb.jsonl"
    path.write_text(json.dumps({"id": "a", "title": "A", "body": "alpha"}) + "\n"
                    + json.dumps({"id": "b", "body": "no title"}) + "\n")
    report = make_assistant().ingest_kb(path, tenant="t1", on_error="skip")
    assert report.added == 1
    [error] = report.errors
    assert (error.line, error.field) == (2, "title") and "kb.jsonl:2" in str(error)


def test_history_exchanges_are_scrubbed_and_linked(make_assistant):
    assistant = make_assistant()
    assistant.ingest_kb(sample_path("kb"), tenant=SAMPLE_TENANT)
    report = assistant.ingest_history(sample_path("history.jsonl"), tenant=SAMPLE_TENANT)
    assert report.added >= 160 and not report.errors
    _, history = assistant.pipeline.collections(SAMPLE_TENANT)
    items = list(history.iter_all())
    text = " ".join(i.document + " " + i.metadata["answer"] for i in items)
    assert "@gmail" not in text and "AB-4" not in text
    assert "[EMAIL]" in text or "[ORDER_ID]" in text
    linked = [i for i in items if i.metadata.get("linked_doc_ids")]
    assert len(linked) >= 50
    assert all(isinstance(i.metadata["linked_doc_ids"], list) for i in linked)
    assert all(d.startswith("kb-") for i in linked for d in i.metadata["linked_doc_ids"])
    # Chroma holds only the filter keys; the rest is packed in one JSON string, read back
    raw = history._collection.get(ids=[linked[0].id], include=["metadatas"])["metadatas"][0]
    assert set(raw) == {"language", "channel", "_packed"}
    packed = json.loads(raw["_packed"])
    assert packed["linked_doc_ids"] == linked[0].metadata["linked_doc_ids"]
    assert packed["_text"] == linked[0].document and "_text" not in linked[0].metadata
    assert {"conversation_id", "turn", "answer"} <= set(linked[0].metadata)
    again = assistant.ingest_history(sample_path("history.jsonl"), tenant=SAMPLE_TENANT)
    assert again.added == 0 and again.skipped == report.added
    assert history.count() == report.added


def test_history_bad_lines_named(make_assistant, tmp_path):
    good = {"id": "h1", "channel": "chat", "messages": [
        {"role": "customer", "text": "hello, my refund?"},
        {"role": "note", "text": "internal: VIP"},
        {"role": "agent", "text": "Your refund is on its way."}]}
    path = tmp_path / "h.jsonl"
    path.write_text(json.dumps(good) + "\n{oops\n"
                    + json.dumps(dict(good, id="h2", messages=[{"role": "robot", "text": "x"}]))
                    + "\n")
    assistant = make_assistant()
    with pytest.raises(InvalidInputError) as caught:
        assistant.ingest_history(path, tenant="t1")
    assert caught.value.line == 2
    report = assistant.ingest_history(path, tenant="t1", on_error="skip")
    assert [(e.line, e.field) for e in report.errors] == [(2, None), (3, "messages.0.role")]
    _, history = assistant.pipeline.collections("t1")
    [item] = list(history.iter_all())
    assert "internal" not in item.metadata["answer"] and "internal" not in item.document


def test_embedders_cannot_be_mixed_in_one_collection(make_assistant, tmp_path):
    folder = _articles_dir(tmp_path)
    make_assistant().ingest_kb(folder, tenant="t1")
    other = make_assistant(embedder=HashEmbeddings(dimension=128))
    with pytest.raises(EmbedderMismatchError, match="hash:256"):
        other.ingest_kb(folder, tenant="t1")
    other.ingest_kb(folder, tenant="t2")  # another tenant is fine


def test_tenants_are_isolated(make_assistant, tmp_path):
    assistant = make_assistant()
    folder = _articles_dir(tmp_path)
    assistant.ingest_kb(folder, tenant="brand-a")
    result = assistant.suggest({"id": "x", "channel": "chat", "tenant": "brand-b",
                                "messages": [{"role": "customer", "text": "topic1 body"}]})
    assert result.articles == [] and result.similar_conversations == []
    hit = assistant.suggest({"id": "x", "channel": "chat", "tenant": "brand-a",
                             "messages": [{"role": "customer", "text": "topic1 body"}]})
    assert hit.articles[0].doc_id == "kb-1"
    store = VectorStore.open(tmp_path / "store")
    assert store.tenants() == ["brand-a"]


def test_history_reingest_skips_before_scrubbing(make_assistant, monkeypatch):
    assistant = make_assistant()
    first = assistant.ingest_history(sample_path("history.jsonl"), tenant=SAMPLE_TENANT)
    calls = []
    original = assistant.ingestor.scrubber.scrub
    monkeypatch.setattr(assistant.ingestor.scrubber, "scrub",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    again = assistant.ingest_history(sample_path("history.jsonl"), tenant=SAMPLE_TENANT)
    assert again.added == 0 and again.skipped == first.added and calls == []


def test_store_reads_every_page(make_assistant, tmp_path):
    assistant = make_assistant()
    assistant.ingest_kb(_articles_dir(tmp_path, 5), tenant="t1")
    kb, _ = assistant.pipeline.collections("t1")
    everything = {i.id for i in kb.iter_all()}
    assert len(everything) == 5
    assert {i.id for i in kb.iter_all(page=2)} == everything == kb.ids(page=2)


def test_linked_ids_written_as_lists_by_older_versions_still_read(tmp_path):
    store = VectorStore.open(tmp_path / "store")
    history = store.collection("acme", "history", embedder_name="hash", dimension=4)
    history._collection.upsert(ids=["old", "one"], embeddings=[[1, 0, 0, 0], [0, 1, 0, 0]],
                               metadatas=[{"linked_doc_ids": ["kb-a", "kb-b"]},
                                          {"linked_doc_ids": "kb-c"}])
    items = {i.id: i.metadata["linked_doc_ids"] for i in history.iter_all()}
    assert items == {"old": ["kb-a", "kb-b"], "one": ["kb-c"]}


def test_items_of_older_layouts_read_like_packed_ones(tmp_path):
    store = VectorStore.open(tmp_path / "store")
    history = store.collection("acme", "history", embedder_name="hash", dimension=4)
    fields = {"conversation_id": "c-1", "turn": 1, "channel": "sms", "language": "fr",
              "answer": "Bonjour, voici le lien.", "linked_doc_ids": ["kb-a"]}
    history.upsert(["new"], np.eye(4, dtype=np.float32)[:1], ["ma commande"], [fields])
    loose = {**fields, "linked_doc_ids": '["kb-a"]', "_text": "ma commande"}  # 2026-11
    history._collection.upsert(ids=["loose", "document"], embeddings=np.eye(4)[1:3].tolist(),
                               metadatas=[loose, {k: v for k, v in loose.items() if k != "_text"}],
                               documents=[None, "ma commande"])
    items = {i.id: i for i in history.iter_all()}
    for item in items.values():
        assert item.document == "ma commande" and item.metadata == fields
    assert set(history._collection.get(ids=["new"])["metadatas"][0]) == {
        "channel", "language", "_packed"}
    # filter keys stay Chroma keys: a where clause still selects packed items
    hits = history.query(np.eye(4, dtype=np.float32)[0], 5, where={"channel": "sms"})
    assert {h.id for h in hits} == {"new", "loose", "document"}
    assert history.query(np.eye(4, dtype=np.float32)[0], 5, where={"channel": "email"}) == []
