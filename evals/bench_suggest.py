"""Suggest latency (composed mode) with 10k and 100k past exchanges in a tenant's store.

Store: the bundled sample KB (32 articles) plus N past exchanges. The exchanges derive
from the sample history (and sample queries): a pool of ``--pool`` distinct customer
texts (greeting + a real scrubbed customer context + closing) is embedded once with the
real embedder; the first exchanges use the pool as is, the next ones combine two pool
texts (text = a + first sentence of b, vector = normalise(v_a + 0.3 v_b)), each keeping
the agent answer and article links of a. They are written through
``kb_ingest.sync.sync_exchanges`` with those precomputed vectors (embedding 100k texts
would take longer than the run's budget on 2 cores).

Latency is measured in a fresh process per size (``--in-process`` to disable), as a
server would see it: the first ``suggest`` (loads the models, builds the BM25 indexes)
is reported as warm-up, then ``--queries`` incoming conversations are timed end to end
(analysis + retrieval + composed drafting). Peak RSS is that process's
``resource.getrusage`` maximum. Goal: p95 ≤ 50 ms on 2 cores.

    python -m evals.bench_suggest [--sizes 10000 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the ``evals`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import evals  # noqa: F401  (offline environment, see evals/__init__.py)

import numpy as np
from langchain_core.embeddings import Embeddings

from evals._common import (
    EMBEDDER_CHOICES,
    EVALS_DATA,
    Stopwatch,
    current_rss_mb,
    latency_summary,
    load_embedder,
    make_assistant,
    peak_rss_mb,
    print_table,
    quiet,
    temp_store,
    warm_embedder,
    write_json,
)
from kb_ingest import Exchange, conversation_exchanges, sync_exchanges
from kb_ingest.history import normalize_url
from replyassist.guardrails.pii import PIIScrubber
from replyassist.models import Conversation
from replyassist.sample import sample_path

TENANT = "bench-suggest"
P95_GOAL_MS = 50.0
GREETINGS = ["", "Bonjour, ", "Hi, ", "Hello, ", "Bonsoir, ", "Hey, ", "Salut, ", "Good morning, ",
             "Coucou, ", "Dear team, "]
CLOSINGS = ["", " Merci d'avance.", " Thanks!", " C'est urgent.", " Best regards.", " Merci !",
            " Any news?", " Cordialement.", " Thanks in advance.", " Bonne journée."]
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


# ------------------------------------------------------------------ corpus
def base_exchanges() -> list[Exchange]:
    """Real exchanges of the sample history (links resolved against the sample KB), plus
    one per sample query (answer = a link to its article)."""
    from kb_ingest import load_articles

    kb = [r.value for r in load_articles(sample_path("kb")) if r.value is not None]
    url_to_doc = {normalize_url(a.url): [a.id] for a in kb if a.url}
    doc_url = {a.id: a.url for a in kb}
    scrubber = PIIScrubber()
    out: list[Exchange] = []
    history = sample_path("history.jsonl")
    if history.exists():
        for line in history.read_text(encoding="utf-8").splitlines():
            if line.strip():
                conversation = Conversation.model_validate_json(line)
                locale = conversation.customer.locale if conversation.customer else None
                language = (locale or "fr")[:2]
                new, _known = conversation_exchanges(
                    conversation, scrubber=scrubber, url_to_doc=url_to_doc,
                    detect_language=lambda text, default, lang=language: default or lang)
                out.extend(new)
    for line in (EVALS_DATA / "sample_queries.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            q = json.loads(line)
            doc = next((d for d in q["doc_ids"] if d.endswith(q["language"])), q["doc_ids"][0])
            out.append(Exchange(id=q["id"], conversation_id=q["id"], turn=1, channel="chat",
                                language=q["language"], context=scrubber.scrub(q["text"]).text,
                                answer=f"→ {doc_url.get(doc, '')}", linked_doc_ids=[doc]))
    return out


def build_pool(bases: list[Exchange], size: int) -> list[tuple[str, int]]:
    """``size`` distinct (text, base index) pairs: greeting + base context + closing."""
    combos = [(g, c) for c in range(len(CLOSINGS)) for g in range(len(GREETINGS))]
    pool: list[tuple[str, int]] = []
    seen: set[str] = set()
    for g, c in combos:
        for b, base in enumerate(bases):
            text = f"{GREETINGS[g]}{base.context}{CLOSINGS[c]}"
            if text not in seen:
                seen.add(text)
                pool.append((text, b))
            if len(pool) >= size:
                return pool
    return pool


class PrecomputedEmbeddings(Embeddings):
    """Returns the vectors computed beforehand for each text (no model call)."""

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self.vectors = vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return np.vstack([self.vectors[t] for t in texts]).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.vectors[text].tolist()


def make_exchanges(start: int, stop: int, pool: list[tuple[str, int]], pool_vectors: np.ndarray,
                   bases: list[Exchange], seed: int = 7
                   ) -> tuple[list[Exchange], dict[str, np.ndarray]]:
    """Exchanges number ``start``..``stop - 1`` and their vectors (see module doc)."""
    rng = random.Random(seed * 1_000_003 + start)
    exchanges: list[Exchange] = []
    vectors: dict[str, np.ndarray] = {}
    for k in range(start, stop):
        if k < len(pool):
            a, text, vector = k, pool[k][0], pool_vectors[k]
        else:
            a, b = rng.randrange(len(pool)), rng.randrange(len(pool))
            tail = _SENTENCE.split(pool[b][0].strip())[0]
            text = f"{pool[a][0]} {tail} (#{k})"
            vector = pool_vectors[a] + 0.3 * pool_vectors[b]
            vector = vector / max(float(np.linalg.norm(vector)), 1e-12)
        base = bases[pool[a][1]]
        exchanges.append(Exchange(
            id=f"x{k:07d}", conversation_id=f"c{k:07d}", turn=1, channel=base.channel,
            language=base.language, context=text, answer=base.answer,
            linked_doc_ids=list(base.linked_doc_ids),
            created_at=f"2025-{(k % 12) + 1:02d}-{(k % 28) + 1:02d}T10:00:00+00:00"))
        vectors[text] = np.asarray(vector, dtype=np.float32)
    return exchanges, vectors


def incoming_queries(n: int, bases: list[Exchange]) -> list[dict[str, Any]]:
    """``n`` incoming conversations (JSON): sample incoming, sample queries, then varied
    history customer texts (greetings/closings not used in the store)."""
    out: list[dict[str, Any]] = []
    incoming = sample_path("incoming.jsonl")
    if incoming.exists():
        for line in incoming.read_text(encoding="utf-8").splitlines():
            if line.strip():
                data = json.loads(line)
                data.pop("expected", None)
                data["tenant"] = TENANT
                out.append(data)
    for line in (EVALS_DATA / "sample_queries.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            q = json.loads(line)
            out.append({"id": q["id"], "tenant": TENANT, "channel": "chat",
                        "customer": {"locale": f"{q['language']}-FR"},
                        "messages": [{"role": "customer", "text": q["text"]}]})
    extra = ["Re: ", "Urgent - ", "Question : ", "Help: "]
    i = 0
    while len(out) < n and bases:
        base = bases[i % len(bases)]
        out.append({"id": f"q-{i}", "tenant": TENANT, "channel": base.channel or "chat",
                    "messages": [{"role": "customer",
                                  "text": f"{extra[i % len(extra)]}{base.context}"}]})
        i += 1
    return out[:n]


# ------------------------------------------------------------------ measurement
class _Breakdown:
    """Accumulates the time spent in the retrieval's main calls (wrappers, same calls)."""

    PARTS = (("query embedding", "replyassist.pipeline", "embed_array"),
             ("dense search (Chroma query)", "replyassist.store.TenantCollection", "query"),
             ("Chroma count()", "replyassist.store.TenantCollection", "count"),
             ("BM25 search", "replyassist.retrieval._LexicalIndex", "search"),
             ("BM25 index lookup/build", "replyassist.retrieval.HybridRetriever", "_lexical"))

    def __init__(self) -> None:
        import importlib

        self.seconds = {label: 0.0 for label, _, _ in self.PARTS}
        self._saved = []
        for label, path, attr in self.PARTS:
            module_name, _, owner_name = path.rpartition(".")
            try:
                owner = getattr(importlib.import_module(module_name), owner_name)
            except (ImportError, AttributeError):
                owner = importlib.import_module(path)
            original = getattr(owner, attr)
            self._saved.append((owner, attr, original))
            setattr(owner, attr, self._wrap(label, original))

    def _wrap(self, label: str, original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - t0
        return wrapper

    def reset(self) -> None:
        self.seconds = dict.fromkeys(self.seconds, 0.0)


def measure(store_path: str, embedder_name: str, queries: list[dict[str, Any]],
            size: int) -> dict[str, Any]:
    """Fresh assistant on the store: warm-up query, then the timed queries."""
    quiet()
    from replyassist.store import VectorStore

    rss_start = current_rss_mb()
    embedder = load_embedder(embedder_name)
    assistant = make_assistant(VectorStore.open(store_path), embedder, tenant=TENANT,
                               top_articles=3, top_exchanges=5)
    conversations = [Conversation.model_validate(q) for q in queries]
    breakdown = _Breakdown()
    with Stopwatch() as warm:
        first = assistant.suggest(conversations[0], mode="composed", tenant=TENANT)
    _kb, history = assistant.pipeline.collections(TENANT)
    assert history is not None and history.count() >= size, "store smaller than expected"
    warm_parts = {k: v * 1000 for k, v in breakdown.seconds.items()}
    breakdown.reset()
    totals: list[float] = []
    stages: dict[str, list[float]] = {"analysis": [], "retrieval": [], "generation": []}
    cpu = time.process_time()
    with Stopwatch() as run:
        for conversation in conversations:
            t0 = time.perf_counter()
            result = assistant.suggest(conversation, mode="composed", tenant=TENANT)
            totals.append((time.perf_counter() - t0) * 1000)
            for stage in stages:
                stages[stage].append(result.timings_ms.get(stage, 0.0))
            assert result.drafts, "no draft"
    return {"size": size, "exchanges_in_store": history.count(),
            "warmup_seconds": warm.seconds, "warmup_timings_ms": first.timings_ms,
            "latency_ms": latency_summary(totals),
            "stages_ms": {s: latency_summary(v) for s, v in stages.items()},
            "cpu_ms_per_query": (time.process_time() - cpu) * 1000 / len(conversations),
            "warmup_parts_ms": warm_parts,
            "parts_ms_per_query": {k: v * 1000 / len(conversations)
                                   for k, v in breakdown.seconds.items()},
            "queries_per_s": len(conversations) / run.seconds,
            "rss_start_mb": rss_start, "rss_end_mb": current_rss_mb(),
            "peak_rss_mb": peak_rss_mb(), "pid": os.getpid()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--pool", type=int, default=3000,
                        help="distinct customer texts embedded with the real embedder")
    parser.add_argument("--embedder", default="use-multilingual", choices=EMBEDDER_CHOICES)
    parser.add_argument("--in-process", action="store_true",
                        help="measure in this process (peak RSS then includes the build)")
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args(argv)
    quiet()
    sizes = sorted(set(args.sizes))

    embedder = load_embedder(args.embedder)
    warm_embedder(embedder)
    bases = base_exchanges()
    pool = build_pool(bases, args.pool)
    with Stopwatch() as pool_sw:
        pool_vectors = embedder.encode([t for t, _ in pool])
    print(f"pool: {len(pool)} distinct texts from {len(bases)} sample exchanges, embedded in "
          f"{pool_sw.seconds:.1f} s ({len(pool) / pool_sw.seconds:.0f} texts/s)", file=sys.stderr)
    queries = incoming_queries(args.queries + 1, bases)
    warmup_query, timed = queries[0], queries[1:]
    load_before = os.getloadavg()[0]

    results: list[dict[str, Any]] = []
    builds: list[dict[str, Any]] = []
    context = multiprocessing.get_context("spawn")
    with temp_store() as (store, store_path):
        builder = make_assistant(store, embedder, tenant=TENANT)
        with Stopwatch():
            builder.ingest_kb(sample_path("kb"), tenant=TENANT)
        _, history = builder.pipeline.collections(TENANT, create=True)
        assert history is not None
        written = 0
        for size in sizes:
            with Stopwatch() as build:
                for start in range(written, size, 10_000):
                    stop = min(start + 10_000, size)
                    exchanges, vectors = make_exchanges(start, stop, pool, pool_vectors, bases)
                    sync_exchanges(exchanges, history, PrecomputedEmbeddings(vectors))
                written = size
            builds.append({"size": size, "seconds": build.seconds,
                           "builder_peak_rss_mb": peak_rss_mb()})
            print(f"store: {history.count()} exchanges (+{build.seconds:.1f} s)",
                  file=sys.stderr)
            payload = (str(store_path), args.embedder, [warmup_query, *timed], size)
            if args.in_process:
                result = measure(*payload)
            else:
                with context.Pool(1) as workers:
                    result = workers.apply(measure, payload)
            result["build_seconds"] = build.seconds
            results.append(result)
            print(f"size {size}: p95 {result['latency_ms']['p95']:.1f} ms", file=sys.stderr)
    load_after = os.getloadavg()[0]

    print(f"\nSuggest latency, composed mode — {embedder.name}; sample KB (32 articles) + N "
          f"exchanges; {len(timed)} queries after 1 warm-up query; "
          f"{'same process' if args.in_process else 'fresh process per size'}; 1-min load "
          f"average {load_before:.1f} → {load_after:.1f} on {os.cpu_count()} cores")
    rows = []
    for r in results:
        lat = r["latency_ms"]
        rows.append([r["size"], lat["p50"], lat["p95"], lat["mean"], lat["max"],
                     "yes" if lat["p95"] <= P95_GOAL_MS else "NO", r["warmup_seconds"],
                     r["queries_per_s"], r["peak_rss_mb"], r["build_seconds"]])
    print_table(["exchanges", "p50 ms", "p95 ms", "mean ms", "max ms", f"p95≤{P95_GOAL_MS:.0f}",
                 "warm-up s", "queries/s", "peak RSS MB", "build s"], rows, digits=1)
    rows = []
    for r in results:
        for stage, s in r["stages_ms"].items():
            rows.append([r["size"], stage, s["p50"], s["p95"], s["mean"]])
        w = r["warmup_timings_ms"]
        rows.append([r["size"], "warm-up query (analysis/retrieval/generation ms)",
                     w.get("analysis"), w.get("retrieval"), w.get("generation")])
    print_table(["exchanges", "stage (timings_ms)", "p50", "p95", "mean"], rows, digits=1,
                title="Per stage (from Suggestions.timings_ms)")
    parts = list(results[0]["parts_ms_per_query"]) if results else []
    rows = [[label] + [r["parts_ms_per_query"][label] for r in results]
            + [r["warmup_parts_ms"][label] for r in results] for label in parts]
    rows.append(["CPU ms per query (process_time)"] + [r["cpu_ms_per_query"] for r in results]
                + [None] * len(results))
    print_table(["inside suggest (mean ms)"] + [f"{r['size']}" for r in results]
                + [f"warm-up {r['size']}" for r in results], rows, digits=1,
                title="Where the time goes (mean per timed query; warm-up query separately; "
                      "parts overlap: the dense search calls count() too)")
    print(f"\npeak RSS = the measuring process's getrusage maximum (model + store + BM25); "
          f"builder process peak: {builds[-1]['builder_peak_rss_mb']:.0f} MB")
    write_json(args.out, {"embedder": embedder.name, "pool": len(pool),
                          "load_average_1min": [load_before, load_after],
                          "builds": builds, "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
