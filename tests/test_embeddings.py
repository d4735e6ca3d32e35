"""The packaged USE embedder: parallel workers give the vectors one worker gives, in the
input order, and BLAS thread limits are restored however many callers overlap."""

import os
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from replyassist.embeddings import UniversalSentenceEncoderEmbeddings, _SingleBlasThread

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def two_blas_threads():
    """Start each test from 2 BLAS threads, so a limit left at 1 is seen."""
    with threadpool_limits(limits=2, user_api="blas"):
        assert set(_blas_threads()) == {2}
        yield


def _blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def _texts(n: int) -> list[str]:
    subjects = ["ma commande", "my parcel", "la facture", "the refund", "mon compte"]
    return [f"{subjects[i % 5]} numéro {i} n'est pas arrivée, pouvez-vous m'aider ? {'!' * (i % 7)}"
            for i in range(n)]


def _one_worker(shared: UniversalSentenceEncoderEmbeddings) -> UniversalSentenceEncoderEmbeddings:
    single = UniversalSentenceEncoderEmbeddings(threads=1, batch_size=shared.batch_size)
    single._model = shared._load()  # same weights, no second copy in memory
    return single


def test_parallel_workers_match_one_worker_in_order(use_embedder):
    texts = _texts(5 * use_embedder.batch_size + 3)  # several slices, a short last one
    parallel = use_embedder.encode(texts)
    single = _one_worker(use_embedder).encode(texts)
    assert parallel.shape == (len(texts), 512)
    assert np.allclose(parallel, single, atol=1e-5)
    # each row is its own text's vector, wherever its slice ran
    alone = use_embedder.encode([texts[-1]])[0]
    assert float(parallel[-1] @ alone) > 0.9999
    assert float(parallel[0] @ parallel[1]) < 0.99


def test_blas_limit_is_one_inside_and_restored_after(use_embedder):
    before = _blas_threads()
    seen: list[list[int]] = []
    model = use_embedder._load()
    original = model.encode

    def spy(texts):
        seen.append(_blas_threads())
        return original(texts)

    model.encode = spy
    try:
        use_embedder.encode(_texts(3 * use_embedder.batch_size))
    finally:
        del model.encode
    assert seen and all(threads == [1] * len(before) for threads in seen)
    assert _blas_threads() == before


def test_overlapping_callers_get_their_own_vectors_and_limits_come_back(use_embedder):
    before = _blas_threads()
    inputs = [_texts(40 + 13 * i)[i:] for i in range(4)]
    expected = [_one_worker(use_embedder).encode(t) for t in inputs]
    results: dict[int, np.ndarray] = {}
    barrier = threading.Barrier(len(inputs))

    def call(i: int) -> None:
        barrier.wait()
        results[i] = use_embedder.encode(inputs[i])

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, vectors in enumerate(expected):
        assert np.allclose(results[i], vectors, atol=1e-5)
    assert _blas_threads() == before


def test_single_blas_thread_is_reference_counted():
    before = _blas_threads()
    outer, inner = _SingleBlasThread(), _SingleBlasThread()
    with outer:
        with inner:
            assert _blas_threads() == [1] * len(before)
        assert _blas_threads() == [1] * len(before)  # outer still holds it
    assert _blas_threads() == before


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_embeds_with_its_own_workers(use_embedder):
    import multiprocessing

    texts = _texts(3 * use_embedder.batch_size)
    expected = use_embedder.encode(texts)  # the parent's pool exists now
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=lambda: queue.put(use_embedder.encode(texts)))
    child.start()
    try:
        vectors = queue.get(timeout=60)  # before join: the child exits once this is read
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
    assert child.exitcode == 0
    assert np.allclose(vectors, expected, atol=1e-5)
