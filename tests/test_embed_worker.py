"""The embedder in a child process (``python -m replyassist.embed_child``): same vectors
as in process, the ingest pipelined on it writes the same store, and every failure (no
child, a child of another embedder, a child killed mid-batch) falls back to embedding in
process with a warning, losing nothing. The real child runs, with the hash embedder so
that it starts in about a second."""

from __future__ import annotations

import logging
import os
import signal
import sys

import numpy as np
import pytest

from replyassist import ReplyAssistant, Settings, VectorStore
from replyassist.embed_worker import ProcessEmbeddings, submit_embedding
from replyassist.embeddings import embed_array
from replyassist.errors import EmbeddingError
from replyassist.sample import SAMPLE_TENANT, sample_path
from replyassist.testing import HashEmbeddings

TEXTS = [f"Bonjour, ma commande n°{i} n'est pas arrivée, pouvez-vous vérifier ?"
         for i in range(300)]


@pytest.fixture
def child():
    embedder = ProcessEmbeddings("hash", start_after=0)
    assert embedder.wait_ready(60), "the hash embedder's child did not start"
    yield embedder
    embedder.close()


def test_child_vectors_equal_in_process_ones(child):
    assert child.in_use and child.pid is not None and child.pid != os.getpid()
    futures = [child.submit(TEXTS[i:i + 100]) for i in range(0, 300, 100)]  # three in flight
    vectors = np.vstack([f.result(timeout=30) for f in futures])
    assert vectors.dtype == np.float32 and vectors.shape == (300, 256)
    np.testing.assert_array_equal(vectors, embed_array(HashEmbeddings(), TEXTS))
    assert child.embed_documents(TEXTS[:3]) == HashEmbeddings().embed_documents(TEXTS[:3])
    assert (child.name, child.dimension) == ("hash:256", 256)


def test_an_embedding_error_in_the_child_is_ours(child):
    future = child.submit([None])  # type: ignore[list-item]  # the hash embedder fails on it
    with pytest.raises(EmbeddingError, match="process"):
        future.result(timeout=30)
    assert child.in_use  # one bad batch does not stop the child
    assert child.submit(["encore"]).result(timeout=30).shape == (1, 256)


def test_closed_child_stops_and_later_batches_embed_here(child):
    process = child._process
    child.close()
    assert process.poll() == 0  # it read "stop" and exited
    assert child.pid is None and not child.in_use
    np.testing.assert_array_equal(child.submit(TEXTS[:5]).result(),
                                  embed_array(HashEmbeddings(), TEXTS[:5]))


def test_child_killed_mid_batch_loses_nothing(child, caplog):
    caplog.set_level(logging.WARNING, logger="replyassist.embed_worker")
    pending = [child.submit(TEXTS) for _ in range(3)]
    os.kill(child.pid, signal.SIGKILL)
    after = child.submit(TEXTS[:10])  # sent to a dead child, or embedded here already
    expected = embed_array(HashEmbeddings(), TEXTS)
    for future in pending:
        np.testing.assert_array_equal(future.result(timeout=30), expected)
    np.testing.assert_array_equal(after.result(timeout=30), expected[:10])
    assert not child.in_use
    assert "embedding in this process instead" in caplog.text


def test_a_child_of_another_embedder_is_never_used(caplog):
    caplog.set_level(logging.WARNING, logger="replyassist.embed_worker")
    local = HashEmbeddings(64)  # the child builds hash:256 from the spec "hash"
    with ProcessEmbeddings("hash", local=local, start_after=0) as embedder:
        assert embedder.wait_ready(60) is False
        np.testing.assert_array_equal(embedder.submit(TEXTS[:4]).result(),
                                      embed_array(local, TEXTS[:4]))
    assert "hash:256 (256 dims), not hash:64 (64 dims)" in caplog.text


def test_no_python_to_start_falls_back(monkeypatch, caplog, tmp_path):
    caplog.set_level(logging.WARNING, logger="replyassist.embed_worker")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    embedder = ProcessEmbeddings("hash", start_after=0)
    assert embedder.wait_ready(5) is False
    assert embedder.submit(TEXTS[:2]).result().shape == (2, 256)
    assert "cannot start the embedder process" in caplog.text


def test_child_starts_only_after_start_after_texts():
    embedder = ProcessEmbeddings("hash", start_after=20)
    try:
        assert embedder.submit(TEXTS[:15]).done() and embedder.pid is None  # in process
        embedder.submit(TEXTS[:10])  # 25 texts embedded here: now it starts
        assert embedder.pid is not None
        assert embedder.wait_ready(60)
    finally:
        embedder.close()


def test_submit_embedding_embeds_other_embedders_now():
    future = submit_embedding(HashEmbeddings(), TEXTS[:3])
    assert future.done()
    np.testing.assert_array_equal(future.result(), embed_array(HashEmbeddings(), TEXTS[:3]))


def _stored(assistant: ReplyAssistant) -> dict[str, tuple[str, tuple[float, ...]]]:
    out = {}
    for kind in ("kb", "history"):
        raw = assistant.store._client.get_collection(
            f"ra-{SAMPLE_TENANT}-{kind}", embedding_function=None)
        data = raw.get(include=["embeddings", "metadatas"])
        for item_id, vector, meta in zip(data["ids"], data["embeddings"], data["metadatas"],
                                         strict=True):
            out[item_id] = (str(sorted(meta.items())), tuple(np.round(vector, 6)))
    return out


def test_ingest_through_the_child_writes_what_in_process_writes(tmp_path, detector, brand,
                                                                child):
    settings = Settings(store=str(tmp_path), embedder="hash", tenant=SAMPLE_TENANT,
                        analysis_embedder="off", llm_tagging="off")
    stores = {}
    for label, ingest_embedder in (("here", None), ("child", child)):
        assistant = ReplyAssistant(store=VectorStore.open(tmp_path / label),
                                   embedder=HashEmbeddings(), settings=settings,
                                   brand=brand, detector=detector,
                                   ingest_embedder=ingest_embedder)
        kb = assistant.ingest_kb(sample_path("kb"))
        history = assistant.ingest_history(sample_path("history.jsonl"))
        assert kb.added >= 25 and history.added >= 150 and not history.errors
        stores[label] = (_stored(assistant), kb.chunks, history.added)
    assert stores["child"] == stores["here"]
    assert child.in_use  # the child embedded them, no fallback


def test_from_settings_wraps_the_named_embedder_unless_never(tmp_path):
    auto = ReplyAssistant.from_settings(Settings(store=str(tmp_path / "a"), embedder="hash",
                                                 ingest_embed_process_after=100))
    assert isinstance(auto.ingest_embedder, ProcessEmbeddings)
    assert auto.ingest_embedder.local is auto.embedder and auto.ingest_embedder.start_after == 100
    assert auto.ingest_embedder.pid is None  # not started before an ingest needs it
    auto.close()
    never = ReplyAssistant.from_settings(Settings(store=str(tmp_path / "n"), embedder="hash",
                                                  ingest_embed_process="never"))
    assert never.ingest_embedder is never.embedder
    given = HashEmbeddings()
    passed = ReplyAssistant.from_settings(Settings(store=str(tmp_path / "p")), embedder=given)
    assert passed.ingest_embedder is given  # a caller's embedder cannot be rebuilt in a child
