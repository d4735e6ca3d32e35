"""Smoke run of every server in tests/servers.py, printing timings.

Run: .venv/bin/python tests/smoke_servers.py   (not a pytest module)
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.servers import (
    FaultMode,
    chroma_server,
    faulty_openai_server,
    llama_server,
    smollm2_model_path,
)


def _timed(label: str, fn: Callable[[], Any]) -> None:
    t0 = time.monotonic()
    try:
        result: Any = fn()
        outcome = f"ok    {result!r}"
    except Exception as exc:
        outcome = f"RAISE {type(exc).__name__}: {str(exc)[:150]!r}"
    print(f"  {label:<34} {time.monotonic() - t0:6.2f}s  {outcome[:220]}", flush=True)


def smoke_llama() -> None:
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI
    from pydantic import BaseModel, Field

    class Reply(BaseModel):
        """A reply to a customer."""

        answer: str = Field(description="the reply text")
        urgent: bool = Field(description="whether the issue is urgent")

    @tool
    def lookup_order(order_id: str) -> str:
        """Look up an order by its id."""
        return order_id

    print(f"model: {smollm2_model_path()}")
    t0 = time.monotonic()
    with llama_server() as url:
        print(f"llama_server up at {url} in {time.monotonic() - t0:.2f}s")

        def chat(max_tokens: int) -> ChatOpenAI:
            # the server ignores max_completion_tokens (what max_tokens= becomes)
            return ChatOpenAI(
                base_url=url,
                api_key="sk-local",
                model="smollm2",
                temperature=0,
                timeout=60,
                max_retries=0,
                extra_body={"max_tokens": max_tokens},
            )

        llm = chat(64)
        msg = "Say hello in five words."
        _timed("invoke (cold)", lambda: llm.invoke(msg).content)
        _timed("invoke (warm)", lambda: llm.invoke(msg).content)
        _timed("invoke 32 tokens", lambda: chat(32).invoke("Tell a story.").usage_metadata)

        def stream() -> str:
            chunks = [str(c.content) for c in llm.stream(msg)]
            return f"{len(chunks)} chunks: {''.join(chunks)}"

        _timed("stream", stream)
        prompt = "Customer: my parcel never arrived, I need it today!"
        structured = llm.with_structured_output(Reply, method="function_calling")
        _timed("structured function_calling", lambda: structured.invoke(prompt))
        _timed(
            "  ... with max_tokens=8, include_raw",
            lambda: {
                k: v if k != "raw" else "..."
                for k, v in chat(8)
                .with_structured_output(Reply, method="function_calling", include_raw=True)
                .invoke(prompt)
                .items()
            },
        )
        _timed("  ... stream", lambda: list(structured.stream(prompt))[-1])
        system = "Reply in JSON with keys answer (string) and urgent (boolean)."
        _timed(
            "structured json_mode",
            lambda: (
                chat(128)
                .with_structured_output(Reply, method="json_mode")
                .invoke([("system", system), ("user", prompt)])
            ),
        )
        _timed(
            "structured json_schema",
            lambda: llm.with_structured_output(Reply, method="json_schema").invoke(prompt),
        )
        question = "Where is order A-17?"
        for choice in ("lookup_order", "required", "auto"):
            bound = chat(64).bind_tools([lookup_order], tool_choice=choice)
            _timed(
                f"bind_tools tool_choice={choice}",
                lambda b=bound: (lambda m: (m.tool_calls, m.invalid_tool_calls[:1]))(
                    b.invoke(question)
                ),
            )
        t1 = time.monotonic()
    print(f"llama_server stopped in {time.monotonic() - t1:.2f}s")


def smoke_chroma() -> None:
    import chromadb

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.monotonic()
        with chroma_server(Path(tmp) / "db") as url:
            print(f"chroma_server up at {url} in {time.monotonic() - t0:.2f}s")
            parsed = urlparse(url)
            client = chromadb.HttpClient(host=parsed.hostname or "", port=parsed.port or 0)
            col = client.get_or_create_collection("smoke", embedding_function=None)
            col.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]], documents=["x", "y"])
            _timed("query", lambda: col.query(query_embeddings=[[0.9, 0.1]], n_results=1)["ids"])
            t1 = time.monotonic()
        print(f"chroma_server stopped in {time.monotonic() - t1:.2f}s")


def smoke_faults() -> None:
    from langchain_openai import ChatOpenAI

    modes: list[FaultMode] = ["429", "500", "garbage", "hang", "bad_json", "wrong_schema"]
    for mode in modes:
        t0 = time.monotonic()
        with faulty_openai_server(mode) as url:
            llm = ChatOpenAI(base_url=url, api_key="sk-local", model="x", timeout=2, max_retries=0)
            _timed(f"fault {mode} invoke", lambda llm=llm: llm.invoke("hi").content)
            t1 = time.monotonic()
        print(
            f"  (fault server {mode} up+call {t1 - t0:.2f}s, shutdown {time.monotonic() - t1:.2f}s)"
        )


def main() -> None:
    smoke_faults()
    smoke_chroma()
    smoke_llama()


if __name__ == "__main__":
    main()
