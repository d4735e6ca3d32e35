"""The embedder in a child process, so that a long ingest embeds while it reads and writes.

In one process, an ingest's stages run one after another: the embedded Chroma's upsert
and lingua hold the GIL for their whole call, and the embedder's tokenizer needs it too
(``evals.bench_ingest`` measures it). :class:`ProcessEmbeddings` runs the embedder in
``python -m replyassist.embed_child SPEC`` (a plain child process speaking over its
stdin and stdout, not a multiprocessing pool, which would re-import the caller's
``__main__``). :meth:`ProcessEmbeddings.submit` returns a future: the ingest hands batch
*k* to the child, then writes batch *k − 1* and reads batch *k + 1* meanwhile.

The child costs a second copy of the model (≈ 210 MB for USE) and a few seconds to load
it, so it starts only once an ingest has embedded ``start_after`` texts in process (a
small ingest never starts it), and it is ready a few seconds later; until then, and for
good if it cannot start or dies, texts are embedded in process by ``local`` (the same
embedder, which also embeds every query). Nothing is lost: a batch the child had not
answered when it died is embedded again in process.

Frames on the pipes: an 8-byte big-endian length, then a pickle. The child answers
``("ready", name, dimension)`` once its model is loaded, then one ``("ok", vectors)`` or
``("error", message)`` per ``("embed", texts)`` request, in order.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections import deque
from concurrent.futures import Future
from pathlib import Path
from typing import IO, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from .embeddings import embed_array, embedder_identity, load_embedder
from .errors import EmbeddingError

__all__ = ["ProcessEmbeddings", "receive", "send", "submit_embedding"]

logger = logging.getLogger(__name__)
_HEADER = struct.Struct(">Q")


def send(stream: IO[bytes], message: tuple[Any, ...]) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


def receive(stream: IO[bytes]) -> tuple[Any, ...] | None:
    """The next message, or None at the end of the stream."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    payload = stream.read(size)
    if len(payload) < size:
        return None
    message: tuple[Any, ...] = pickle.loads(payload)  # our own child process: trusted
    return message


def submit_embedding(embedder: Embeddings, texts: list[str]) -> Future[np.ndarray]:
    """Embed ``texts`` with any embedder: in a child process when it is a
    :class:`ProcessEmbeddings`, else now, in this thread (a future already done)."""
    if isinstance(embedder, ProcessEmbeddings):
        return embedder.submit(texts)
    future: Future[np.ndarray] = Future()
    try:
        future.set_result(embed_array(embedder, texts))
    except BaseException as exc:
        future.set_exception(exc)
    return future


class ProcessEmbeddings(Embeddings):
    """``local``'s model run in a child process for batches of documents.

    ``spec`` is what :func:`~replyassist.embeddings.load_embedder` takes (``use-multilingual``,
    ``minilm``, a sentence-transformers path, ``hash``); the child must build the same
    embedder as ``local``, which it checks by name and dimension before it is used.
    ``start_after``: texts embedded in process before the child is started (0: at the
    first batch; call :meth:`start` to start it before any).
    """

    def __init__(self, spec: str, *, local: Embeddings | None = None, start_after: int = 2048,
                 start_timeout_s: float = 120.0) -> None:
        self.spec = spec
        self.local = local if local is not None else load_embedder(spec)
        self._identity: tuple[str, int] | None = None  # probed on first use
        self.start_after = start_after
        self.start_timeout_s = start_timeout_s
        self._embedded_locally = 0
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._ready = threading.Event()
        self._settled = threading.Event()  # ready, or given up
        self._failed = False
        self._pending: deque[tuple[list[str], Future[np.ndarray]]] = deque()

    @property
    def identity(self) -> tuple[str, int]:
        """``local``'s (name, dimension), which the child must match."""
        if self._identity is None:
            self._identity = embedder_identity(self.local)
        return self._identity

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.identity[0]

    @property
    def dimension(self) -> int:
        return self.identity[1]

    # -- the child process ---------------------------------------------------------------
    def start(self) -> None:
        """Start the child (once); it is used as soon as it says it is ready."""
        with self._lock:
            if self._process is not None or self._failed:
                return
            package_root = str(Path(__file__).resolve().parents[1])
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (package_root, env.get("PYTHONPATH")) if p)
            try:
                self._process = subprocess.Popen(
                    [sys.executable, "-m", "replyassist.embed_child", self.spec],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
            except OSError as exc:
                error: OSError | None = exc
            else:
                error = None
                threading.Thread(target=self._read_replies, args=(self._process,),
                                 name="ra-embed-replies", daemon=True).start()
                timer = threading.Timer(self.start_timeout_s, self._check_started)
                timer.daemon = True
                timer.start()
        if error is not None:  # outside the lock, which giving up takes
            self._give_up(f"cannot start the embedder process: {error}")

    def wait_ready(self, timeout_s: float | None = None) -> bool:
        """Start the child if needed and wait until it is ready (True) or has failed."""
        self.start()
        self._settled.wait(self.start_timeout_s if timeout_s is None else timeout_s)
        return self.in_use

    @property
    def pid(self) -> int | None:
        """The child's process id, once started (None before, and after it stopped)."""
        process = self._process
        return process.pid if process is not None else None

    @property
    def in_use(self) -> bool:
        """Whether batches go to the child now."""
        return self._ready.is_set() and not self._failed

    def _check_started(self) -> None:
        if not self._ready.is_set():
            self._give_up(f"the embedder process was not ready after {self.start_timeout_s:g} s")

    def _give_up(self, why: str) -> None:
        """From now on, embed in process; re-embed what the child had not answered."""
        with self._lock:
            if self._failed:
                return
            self._failed = True
            process, self._process = self._process, None
            orphans = list(self._pending)
            self._pending.clear()
        logger.warning("%s; embedding in this process instead", why)
        if process is not None and process.poll() is None:
            process.kill()
        self._settled.set()
        for texts, future in orphans:
            self._embed_here(texts, future)

    def _read_replies(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        hello = receive(process.stdout)
        if hello is None or hello[0] != "ready":
            why = hello[1] if hello is not None and hello[0] == "error" else "it exited"
            self._give_up(f"the embedder process did not start ({why})")
            return
        if (hello[1], hello[2]) != self.identity:
            self._give_up(f"the embedder process built {hello[1]} ({hello[2]} dims), "
                          f"not {self.name} ({self.dimension} dims)")
            return
        self._ready.set()
        self._settled.set()
        while (reply := receive(process.stdout)) is not None:
            with self._lock:
                if not self._pending:
                    break
                _texts, future = self._pending.popleft()
            if reply[0] == "ok":
                future.set_result(reply[1])
            else:
                future.set_exception(EmbeddingError(f"{self.name} (process): {reply[1]}"))
        # the end of the replies: after close() this says nothing; else the child died
        self._give_up(f"the embedder process ended (exit code {process.wait()})")

    def close(self) -> None:
        """Stop the child (pending batches are answered first)."""
        with self._lock:
            process, self._process = self._process, None
            self._failed = True  # a closed embedder embeds in process
        if process is None:
            return
        try:
            assert process.stdin is not None
            with self._send_lock:
                send(process.stdin, ("stop",))
            process.stdin.close()
            process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            process.kill()

    def __enter__(self) -> ProcessEmbeddings:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        process = getattr(self, "_process", None)
        if process is not None and process.poll() is None:
            process.kill()

    # -- embedding ------------------------------------------------------------------------
    def _embed_here(self, texts: list[str], future: Future[np.ndarray]) -> None:
        try:
            future.set_result(embed_array(self.local, texts))
        except BaseException as exc:
            future.set_exception(exc)

    def submit(self, texts: list[str]) -> Future[np.ndarray]:
        """A future of the unit-row float32 vectors of ``texts``."""
        future: Future[np.ndarray] = Future()
        with self._send_lock:  # requests leave in the order of ``_pending``
            with self._lock:  # (never held while writing: the reader needs it)
                process = self._process if self._ready.is_set() and not self._failed else None
                if process is not None:
                    self._pending.append((list(texts), future))
            if process is not None:
                assert process.stdin is not None
                # if the child is gone, the reply reader sees the end of its output and
                # embeds the pending batches here
                with contextlib.suppress(OSError, ValueError):
                    send(process.stdin, ("embed", list(texts)))
                return future
        self._embed_here(texts, future)
        self._embedded_locally += len(texts)
        if self._embedded_locally >= self.start_after:
            self.start()
        return future

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.submit(list(texts)).result().tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.local.embed_query(text)
