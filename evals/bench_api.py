"""Load benchmark of the HTTP API on loopback, with a fake LLM of realistic latency.

The sample brand is ingested into a temporary store; a fake OpenAI-compatible server
(``evals/fake_llm.py``: 800 ms to the first token, then 20 ms per token) and the API
(``uvicorn --factory replyassist.api:app_from_env``) run as separate processes; this
process is the load generator (httpx, asyncio). Printed:

1. the API's own overhead per request: client latency of ``POST /v1/suggest`` in
   composed mode minus the pipeline's ``timings_ms.total`` (one agent, sequential);
2. concurrent agents vs throughput and p50/p99 latency of ``POST /v1/suggest`` with the
   LLM (each agent sends its next request when the previous one returns);
3. concurrent agents vs time to the first streamed token of ``/v1/suggest/stream``.

    python -m evals.bench_api [--agents 1,4,16,32] [--ttft-ms 800] [--out bench.json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the ``evals`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import evals  # noqa: F401  (offline environment, see evals/__init__.py)

import httpx

from evals._common import (
    REPO_ROOT,
    latency_summary,
    percentile,
    print_table,
    quiet,
    write_json,
)

KEY = "bench-key-0001"
TENANT = "atelier-brume"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _process(cmd: list[str], env: dict[str, str], ready_url: str, timeout: float = 180.0
             ) -> Iterator[None]:
    log_path = Path(tempfile.mkdtemp(prefix="ra-bench-")) / "process.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=REPO_ROOT, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[2]} exited: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(ready_url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{ready_url} not ready after {timeout} s")
            time.sleep(0.3)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _prepare_store(root: Path) -> tuple[Path, Path]:
    """The sample brand ingested into ``root/store``; its profile in ``root/brands``."""
    from replyassist import BrandVoice, ReplyAssistant, Settings
    from replyassist.sample import SAMPLE_TENANT, sample_path

    store, brands = root / "store", root / "brands"
    brands.mkdir()
    (brands / "default.yaml").write_text(sample_path("brand.yaml").read_text("utf-8"), "utf-8")
    assistant = ReplyAssistant.from_settings(
        Settings(store=str(store)), brand=BrandVoice.from_yaml(sample_path("brand.yaml")))
    assistant.ingest_kb(sample_path("kb"), tenant=SAMPLE_TENANT)
    assistant.ingest_history(sample_path("history.jsonl"), tenant=SAMPLE_TENANT)
    return store, brands


def _conversations() -> list[dict[str, Any]]:
    from replyassist.sample import sample_path

    out = []
    for line in sample_path("incoming.jsonl").read_text("utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            data.pop("expected", None)
            out.append(data)
    return out


async def _overhead(client: httpx.AsyncClient, conversations: list[dict[str, Any]], n: int
                    ) -> dict[str, float]:
    overheads, totals = [], []
    for i in range(n):
        body = {**conversations[i % len(conversations)], "mode": "composed"}
        started = time.perf_counter()
        response = await client.post("/v1/suggest", json=body)
        elapsed = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        pipeline = float(response.json()["timings_ms"]["total"])
        overheads.append(elapsed - pipeline)
        totals.append(elapsed)
    return {**{f"overhead_{k}": v for k, v in latency_summary(overheads).items()},
            **{f"latency_{k}": v for k, v in latency_summary(totals).items()}}


async def _suggest_load(client: httpx.AsyncClient, conversations: list[dict[str, Any]],
                        agents: int, per_agent: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0

    async def agent(index: int) -> None:
        nonlocal errors
        for j in range(per_agent):
            body = conversations[(index * per_agent + j) % len(conversations)]
            started = time.perf_counter()
            response = await client.post("/v1/suggest", json=body)
            latencies.append((time.perf_counter() - started) * 1000)
            generated = response.status_code == 200 and any(
                d["strategy"] == "generated" for d in response.json()["drafts"])
            errors += not generated

    started = time.perf_counter()
    await asyncio.gather(*(agent(i) for i in range(agents)))
    wall = time.perf_counter() - started
    summary = latency_summary(latencies)
    return {"agents": agents, "requests": len(latencies), "throughput_rps": len(latencies) / wall,
            "p50_ms": summary["p50"], "p99_ms": _p99(latencies), "not_generated": errors}


async def _stream_load(client: httpx.AsyncClient, conversations: list[dict[str, Any]],
                       agents: int) -> dict[str, float]:
    first: list[float] = []
    final: list[float] = []

    async def agent(index: int) -> None:
        body = conversations[index % len(conversations)]
        started = time.perf_counter()
        got_token = False
        async with client.stream("POST", "/v1/suggest/stream", json=body) as response:
            async for line in response.aiter_lines():
                if line.startswith("event: token") and not got_token:
                    first.append((time.perf_counter() - started) * 1000)
                    got_token = True
                elif line.startswith("event: final"):
                    final.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(agent(i) for i in range(agents)))
    return {"agents": agents, "first_token_p50_ms": latency_summary(first)["p50"],
            "first_token_p99_ms": _p99(first), "final_p50_ms": latency_summary(final)["p50"],
            "streams_with_tokens": len(first)}


def _p99(values: list[float]) -> float:
    return percentile(values, 99)


async def _run(base: str, args: argparse.Namespace) -> dict[str, Any]:
    conversations = _conversations()
    headers = {"Authorization": f"Bearer {KEY}"}
    limits = httpx.Limits(max_connections=max(args.agents) + 8)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=300,
                                 limits=limits) as client:
        for body in conversations[:3]:  # warm-up: models, caches, BM25 index
            (await client.post("/v1/suggest", json={**body, "mode": "composed"})
             ).raise_for_status()
        overhead = await _overhead(client, conversations, args.overhead_requests)
        load = [await _suggest_load(client, conversations, n, args.per_agent)
                for n in args.agents]
        stream = [await _stream_load(client, conversations, n) for n in args.agents]
    return {"overhead": overhead, "suggest": load, "stream": stream}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", default="1,4,16,32",
                        type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--per-agent", type=int, default=3)
    parser.add_argument("--overhead-requests", type=int, default=200)
    parser.add_argument("--ttft-ms", type=float, default=800.0)
    parser.add_argument("--token-ms", type=float, default=20.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    quiet()
    with tempfile.TemporaryDirectory(prefix="ra-bench-api-") as tmp:
        store, brands = _prepare_store(Path(tmp))
        llm_port, api_port = _free_port(), _free_port()
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "REPLYASSIST_STORE": str(store),
               "REPLYASSIST_BRANDS_DIR": str(brands),
               "REPLYASSIST_LLM_BASE_URL": f"http://127.0.0.1:{llm_port}/v1",
               "REPLYASSIST_LLM_TAGGING": "off", "REPLYASSIST_API_KEYS": f"{KEY}:{TENANT}",
               "REPLYASSIST_API_RATE_LIMIT": "0"}
        llm = [sys.executable, "-m", "evals.fake_llm", "--port", str(llm_port),
               "--ttft-ms", str(args.ttft_ms), "--token-ms", str(args.token_ms)]
        api = [sys.executable, "-m", "uvicorn", "--factory", "replyassist.api:app_from_env",
               "--host", "127.0.0.1", "--port", str(api_port), "--log-level", "warning"]
        with _process(llm, env, f"http://127.0.0.1:{llm_port}/v1/models"), \
                _process(api, env, f"http://127.0.0.1:{api_port}/readyz"):
            result = asyncio.run(_run(f"http://127.0.0.1:{api_port}", args))
    o = result["overhead"]
    print(f"\nAPI overhead over the pipeline (composed mode, 1 agent, {args.overhead_requests} "
          f"requests): p50 {o['overhead_p50']:.1f} ms, p95 {o['overhead_p95']:.1f} ms "
          f"(goal p95 ≤ 15 ms); request latency p50 {o['latency_p50']:.1f} ms, "
          f"p95 {o['latency_p95']:.1f} ms")
    print_table(["agents", "requests", "req/s", "p50 ms", "p99 ms", "not generated"],
                [[r["agents"], r["requests"], f"{r['throughput_rps']:.2f}", f"{r['p50_ms']:.0f}",
                  f"{r['p99_ms']:.0f}", r["not_generated"]] for r in result["suggest"]],
                title=f"POST /v1/suggest with the LLM (fake, {args.ttft_ms:.0f} ms to first "
                      f"token, {args.token_ms:.0f} ms/token)")
    print_table(["agents", "first token p50 ms", "p99 ms", "final p50 ms", "streams"],
                [[r["agents"], f"{r['first_token_p50_ms']:.0f}", f"{r['first_token_p99_ms']:.0f}",
                  f"{r['final_p50_ms']:.0f}", r["streams_with_tokens"]]
                 for r in result["stream"]], title="POST /v1/suggest/stream")
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
