"""An OpenAI-compatible chat server with realistic latency, for load benchmarks.

``POST /v1/chat/completions``: waits ``--ttft-ms`` before the first token, then one
token every ``--token-ms``. Tool calls (``DraftsOutput``, ``ConversationTags``, ...)
get valid arguments for replyassist's tools; plain and streamed requests get a short
French reply. Asynchronous (one event loop), so thousands of waiting requests cost
nothing but sockets.

    python -m evals.fake_llm --port 8765 [--ttft-ms 800] [--token-ms 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

REPLY = ("Bonjour, merci pour votre message. Nous regardons votre commande et revenons "
         "vers vous très vite avec une réponse précise.")
DRAFTS = {"drafts": [
    {"text": REPLY, "tone": "informative", "doc_ids": []},
    {"text": "Bonjour, nous vérifions votre commande dès maintenant.", "tone": "friendly",
     "doc_ids": []},
    {"text": "Bonjour, rassurez-vous, nous nous occupons de votre demande.",
     "tone": "reassuring", "doc_ids": []},
]}


def _arguments(tool: str) -> str:
    if tool == "DraftsOutput":
        return json.dumps(DRAFTS, ensure_ascii=False)
    return json.dumps({"mood": "neutral", "urgency": "normal", "register": "formal",
                       "flags": [], "intent": None})


def build_app(ttft_ms: float, token_ms: float) -> Starlette:
    async def models(_: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": "fake", "object": "model"}]})

    async def completions(request: Request) -> Response:
        body: dict[str, Any] = await request.json()
        tools = body.get("tools") or []
        text = _arguments(tools[0]["function"]["name"]) if tools else REPLY
        tokens = text.split(" ")
        model = str(body.get("model", "fake"))
        if body.get("stream"):
            return StreamingResponse(_stream(tokens, model, ttft_ms, token_ms),
                                     media_type="text/event-stream")
        await asyncio.sleep((ttft_ms + token_ms * len(tokens)) / 1000)
        message: dict[str, Any] = {"role": "assistant", "content": text}
        finish = "stop"
        if tools:
            message = {"role": "assistant", "content": None, "tool_calls": [{
                "id": "call_0", "type": "function",
                "function": {"name": tools[0]["function"]["name"], "arguments": text}}]}
            finish = "tool_calls"
        return JSONResponse({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": model, "choices": [{"index": 0, "message": message,
                                         "finish_reason": finish}],
            "usage": {"prompt_tokens": 500, "completion_tokens": len(tokens),
                      "total_tokens": 500 + len(tokens)}})

    return Starlette(routes=[Route("/v1/models", models),
                             Route("/v1/chat/completions", completions, methods=["POST"])])


async def _stream(tokens: list[str], model: str, ttft_ms: float, token_ms: float
                  ) -> AsyncIterator[bytes]:
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk",
            "created": int(time.time()), "model": model}
    await asyncio.sleep(ttft_ms / 1000)
    for index, token in enumerate(tokens):
        piece = token if index == 0 else " " + token
        chunk = {**base, "choices": [{"index": 0, "delta": {"content": piece}}]}
        yield f"data: {json.dumps(chunk)}\n\n".encode()
        await asyncio.sleep(token_ms / 1000)
    done = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    yield f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode()


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--ttft-ms", type=float, default=800.0)
    parser.add_argument("--token-ms", type=float, default=20.0)
    args = parser.parse_args(argv)
    uvicorn.run(build_app(args.ttft_ms, args.token_ms), host="127.0.0.1", port=args.port,
                log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
