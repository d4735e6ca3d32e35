"""Suggest latency (composed mode) with 10k and 100k past exchanges in a tenant's store.

Store: the bundled sample KB (32 articles) plus N past exchanges. The exchanges derive
from the sample history (and sample queries): a pool of ``--pool`` distinct customer
texts (greeting + a real scrubbed customer context + closing) is embedded once with the
real embedder; the first exchanges use the pool as is, the next ones combine two pool
texts (text = a + first sentence of b, vector = normalise(v_a + 0.3 v_b)), each keeping
the agent answer and article links of a. They are written through
``kb_ingest.sync.sync_exchanges`` with those precomputed vectors (embedding 100k texts
would take longer than the run's budget on 2 cores).

The product's defaults are measured: with ``--english-embedder minilm`` (the default,
``Settings.english_embedder``) the pool is embedded with MiniLM too, the KB ingest
writes the ``kb_titles`` / ``kb_en`` views, and the English exchanges are also written to
the ``history_en`` view with MiniLM vectors combined the same way (same a/b, same 0.3);
English queries then take the English route. With ``--fit-ranking`` (the default) the
tenant's ranking is refitted after each size is built (its seconds: what a refit costs at
that size) and used by the measured queries.

Latency is measured in a fresh process per size (``--in-process`` to disable), as a
server would see it: the first ``suggest`` (loads the models, builds the BM25 indexes)
and, with the English views, the first English one (loads MiniLM and the
``history_en`` index) are reported as warm-up, then ``--queries`` incoming conversations
are timed end to end (analysis + retrieval + composed drafting). Peak RSS is that
process's ``resource.getrusage`` maximum. Goal: p95 ≤ 50 ms on 2 cores.

    python -m evals.bench_suggest [--sizes 10000 100000] [--queries 200]
        [--english-embedder minilm|none] [--no-fit-ranking]
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
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
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
from replyassist.embeddings import uses_english_views
from replyassist.guardrails.pii import PIIScrubber
from replyassist.models import Conversation
from replyassist.sample import sample_path

TENANT = "bench-suggest"
P95_GOAL_MS = 50.0
ENGLISH = "en"  # the language whose exchanges the ``history_en`` view holds
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
                    detect_language=_locale_language(language))
                out.extend(new)
    for line in (EVALS_DATA / "sample_queries.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            q = json.loads(line)
            doc = next((d for d in q["doc_ids"] if d.endswith(q["language"])), q["doc_ids"][0])
            out.append(Exchange(id=q["id"], conversation_id=q["id"], turn=1, channel="chat",
                                language=q["language"], context=scrubber.scrub(q["text"]).text,
                                answer=f"→ {doc_url.get(doc, '')}", linked_doc_ids=[doc]))
    return out


def _locale_language(language: str) -> Callable[[str, str | None], str]:
    """A ``detect_language`` that trusts the given default, else the customer's locale."""
    def detect(text: str, default: str | None) -> str:
        return default or language
    return detect


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


def _combined(vectors: np.ndarray, a: int, b: int | None) -> np.ndarray:
    """``vectors[a]`` alone, or ``normalise(v_a + 0.3 v_b)``."""
    if b is None:
        return np.asarray(vectors[a], dtype=np.float32)
    vector = vectors[a] + 0.3 * vectors[b]
    return np.asarray(vector / max(float(np.linalg.norm(vector)), 1e-12), dtype=np.float32)


def make_exchanges(start: int, stop: int, pool: list[tuple[str, int]], pool_vectors: np.ndarray,
                   bases: list[Exchange], seed: int = 7,
                   pool_vectors_en: np.ndarray | None = None
                   ) -> tuple[list[Exchange], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Exchanges number ``start``..``stop - 1``, their vectors (see module doc) and, with
    ``pool_vectors_en``, the English model's vectors of the English ones (same a/b)."""
    rng = random.Random(seed * 1_000_003 + start)
    exchanges: list[Exchange] = []
    vectors: dict[str, np.ndarray] = {}
    vectors_en: dict[str, np.ndarray] = {}
    for k in range(start, stop):
        b: int | None = None
        if k < len(pool):
            a, text = k, pool[k][0]
        else:
            a, b = rng.randrange(len(pool)), rng.randrange(len(pool))
            tail = _SENTENCE.split(pool[b][0].strip())[0]
            text = f"{pool[a][0]} {tail} (#{k})"
        base = bases[pool[a][1]]
        exchanges.append(Exchange(
            id=f"x{k:07d}", conversation_id=f"c{k:07d}", turn=1, channel=base.channel,
            language=base.language, context=text, answer=base.answer,
            linked_doc_ids=list(base.linked_doc_ids),
            created_at=f"2025-{(k % 12) + 1:02d}-{(k % 28) + 1:02d}T10:00:00+00:00"))
        vectors[text] = _combined(pool_vectors, a, b)
        if pool_vectors_en is not None and base.language == ENGLISH:
            vectors_en[text] = _combined(pool_vectors_en, a, b)
    return exchanges, vectors, vectors_en


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


def english_warmup(bases: list[Exchange]) -> dict[str, Any]:
    """An English conversation for the warm-up (a prefix the timed queries do not use)."""
    base = next((b for b in bases if b.language == ENGLISH), bases[0])
    return {"id": "warmup-en", "tenant": TENANT, "channel": base.channel or "chat",
            "customer": {"locale": "en-GB"},
            "messages": [{"role": "customer", "text": f"Fwd: {base.context}"}]}


# ------------------------------------------------------------------ measurement
class _Breakdown:
    """Accumulates the time spent in the retrieval's main calls (wrappers, same calls)."""

    PARTS = (("retrieval total (HybridRetriever.retrieve)",
              "replyassist.retrieval.HybridRetriever", "retrieve"),
             ("query embeddings, both models (embed_array)", "replyassist.pipeline",
              "embed_array"),
             ("dense search (Chroma query)", "replyassist.store.TenantCollection", "query"),
             ("Chroma count()", "replyassist.store.TenantCollection", "count"),
             ("generation re-read (get_collection, ≤1/s)", "replyassist.store.TenantCollection",
              "generation"),
             ("ranking lookup (ranking_of)", "replyassist.retrieval.HybridRetriever",
              "ranking_of"),
             ("past exchanges: BM25 + ranking (_exchanges)",
              "replyassist.retrieval.HybridRetriever", "_exchanges"),
             ("articles: candidates + features (article_candidates)",
              "replyassist.retrieval.HybridRetriever", "article_candidates"),
             ("BM25 scoring (_LexicalIndex.scored)", "replyassist.retrieval._LexicalIndex",
              "scored"),
             ("BM25 index lookup/build (_lexical)", "replyassist.retrieval.HybridRetriever",
              "_lexical"),
             ("library replies (select_replies)", "replyassist.pipeline", "select_replies"),
             ("analysis tags (Analyzer.tag)", "replyassist.analysis.analyzer.Analyzer", "tag"),
             ("composed drafting (ComposedDrafter.draft)",
              "replyassist.drafting.composed.ComposedDrafter", "draft"),
             ("draft guard, after generation (DraftGuard.apply)",
              "replyassist.guardrails.guard.DraftGuard", "apply"))

    def __init__(self) -> None:
        import importlib

        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._saved: list[tuple[Any, str, Any]] = []
        for label, path, attr in self.PARTS:
            module_name, _, owner_name = path.rpartition(".")
            try:
                owner = getattr(importlib.import_module(module_name), owner_name)
            except (ImportError, AttributeError):
                owner = importlib.import_module(path)
            self.wrap(label, owner, attr)

    def wrap(self, label: str, owner: Any, attr: str) -> None:
        """Time ``owner.attr`` (a function, method or property; on an instance too)."""
        self.seconds[label] = 0.0
        self.calls[label] = 0
        original = inspect_attr(owner, attr)
        self._saved.append((owner, attr, original))
        if isinstance(original, property):
            assert original.fget is not None
            setattr(owner, attr, property(self._wrap(label, original.fget)))
        else:
            setattr(owner, attr, self._wrap(label, getattr(owner, attr)))

    def _wrap(self, label: str, original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - t0
                self.calls[label] += 1
        return wrapper

    def reset(self) -> None:
        self.seconds = dict.fromkeys(self.seconds, 0.0)
        self.calls = dict.fromkeys(self.calls, 0)


def inspect_attr(owner: Any, attr: str) -> Any:
    """``owner.attr`` as defined (a property stays a property; ``getattr`` otherwise)."""
    if isinstance(owner, type):
        for klass in owner.__mro__:
            if attr in vars(klass):
                found = vars(klass)[attr]
                return found if isinstance(found, property) else getattr(owner, attr)
    return getattr(owner, attr)


ENGLISH_EMBEDDING = "  of which English query embedding (MiniLM encode)"


def collection_counts(assistant: Any) -> dict[str, int | None]:
    """Items per collection of the tenant (``None``: the collection does not exist)."""
    kb, history = assistant.pipeline.collections(TENANT)
    views = assistant.pipeline.views(TENANT)
    found = {"kb": kb, "history": history, "kb_titles": views.titles, "kb_en": views.kb_en,
             "history_en": views.history_en}
    return {name: None if c is None else c.count() for name, c in found.items()}


def ranking_used(assistant: Any) -> str:
    """Which ranking the retriever applies to the tenant (its fitted one or defaults)."""
    _kb, history = assistant.pipeline.collections(TENANT)
    ranking = assistant.pipeline.retriever.ranking_of(history)
    if ranking is None:
        return "package defaults (no fitted ranking stored)"
    routes = ", ".join(f"{name}: {getattr(r, 'source', '?')} ({getattr(r, 'queries', 0)} "
                       f"queries)" for name, r in sorted(ranking.routes.items()))
    return (f"stored ranking, {ranking.labelled} labelled; "
            f"{routes or 'no route fitted → package defaults'}")


def measure(store_path: str, embedder_name: str, english_name: str | None,
            queries: list[dict[str, Any]], warmups: list[dict[str, Any]],
            size: int) -> dict[str, Any]:
    """Fresh assistant on the store: warm-up queries, then the timed queries."""
    quiet()
    from replyassist.store import VectorStore

    rss_start = current_rss_mb()
    embedder = load_embedder(embedder_name)
    english = load_embedder(english_name) if english_name else None
    assistant = make_assistant(VectorStore.open(store_path), embedder, english_embedder=english,
                               tenant=TENANT, top_articles=3, top_exchanges=5)
    conversations = [Conversation.model_validate(q) for q in queries]
    breakdown = _Breakdown()
    if english is not None:
        breakdown.wrap(ENGLISH_EMBEDDING, english, "encode")
    warm_seconds: list[float] = []
    warm_timings: list[dict[str, float]] = []
    for data in warmups:
        with Stopwatch() as warm:
            first = assistant.suggest(Conversation.model_validate(data), mode="composed",
                                      tenant=TENANT)
        warm_seconds.append(warm.seconds)
        warm_timings.append(dict(first.timings_ms))
    _kb, history = assistant.pipeline.collections(TENANT)
    assert history is not None and history.count() >= size, "store smaller than expected"
    counts = collection_counts(assistant)
    ranking = ranking_used(assistant)
    warm_parts = {k: v * 1000 for k, v in breakdown.seconds.items()}
    breakdown.reset()
    totals: list[float] = []
    by_route: dict[str, list[float]] = {"english": [], "primary": []}
    stages: dict[str, list[float]] = {"analysis": [], "retrieval": [], "generation": []}
    cpu = time.process_time()
    with Stopwatch() as run:
        for conversation in conversations:
            english_before = breakdown.calls.get(ENGLISH_EMBEDDING, 0)
            t0 = time.perf_counter()
            result = assistant.suggest(conversation, mode="composed", tenant=TENANT)
            totals.append((time.perf_counter() - t0) * 1000)
            took_english = breakdown.calls.get(ENGLISH_EMBEDDING, 0) > english_before
            by_route["english" if took_english else "primary"].append(totals[-1])
            for stage in stages:
                stages[stage].append(result.timings_ms.get(stage, 0.0))
            assert result.drafts, "no draft"
    english_route = breakdown.calls.get(ENGLISH_EMBEDDING, 0)
    return {"size": size, "exchanges_in_store": history.count(), "collections": counts,
            "ranking": ranking, "english_embedder": getattr(english, "name", None),
            "english_route_queries": english_route,
            "warmup_seconds": warm_seconds[0], "warmup_timings_ms": warm_timings[0],
            "warmup_en_seconds": warm_seconds[1] if len(warm_seconds) > 1 else None,
            "warmup_en_timings_ms": warm_timings[1] if len(warm_timings) > 1 else None,
            "latency_ms": latency_summary(totals),
            "latency_ms_by_route": {route: latency_summary(v) for route, v in by_route.items()
                                    if v},
            "stages_ms": {s: latency_summary(v) for s, v in stages.items()},
            "cpu_ms_per_query": (time.process_time() - cpu) * 1000 / len(conversations),
            "warmup_parts_ms": warm_parts,
            "parts_ms_per_query": {k: v * 1000 / len(conversations)
                                   for k, v in breakdown.seconds.items()},
            "parts_calls": dict(breakdown.calls),
            "queries_per_s": len(conversations) / run.seconds,
            "rss_start_mb": rss_start, "rss_end_mb": current_rss_mb(),
            "peak_rss_mb": peak_rss_mb(), "pid": os.getpid()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--pool", type=int, default=3000,
                        help="distinct customer texts embedded with the real embedder(s)")
    parser.add_argument("--embedder", default="use-multilingual", choices=EMBEDDER_CHOICES)
    parser.add_argument("--english-embedder", default="minilm", choices=("minilm", "none"),
                        help="model of the English views (the product's default: minilm; "
                             "only beside use-multilingual)")
    parser.add_argument("--fit-ranking", action=argparse.BooleanOptionalAction, default=True,
                        help="refit the tenant's ranking after each size is built")
    parser.add_argument("--in-process", action="store_true",
                        help="measure in this process (peak RSS then includes the build)")
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args(argv)
    quiet()
    sizes = sorted(set(args.sizes))

    embedder = load_embedder(args.embedder)
    warm_embedder(embedder)
    english_name: str | None = None
    if uses_english_views(SimpleNamespace(embedder=args.embedder,
                                          english_embedder=args.english_embedder)):
        english_name = args.english_embedder
    elif args.english_embedder != "none":
        print(f"English views only beside use-multilingual: none with {args.embedder}",
              file=sys.stderr)
    english = load_embedder(english_name) if english_name else None
    if english is not None:
        warm_embedder(english)
    bases = base_exchanges()
    pool = build_pool(bases, args.pool)
    pool_texts = [t for t, _ in pool]
    with Stopwatch() as pool_sw:
        pool_vectors = embedder.encode(pool_texts)
    print(f"pool: {len(pool)} distinct texts from {len(bases)} sample exchanges, embedded in "
          f"{pool_sw.seconds:.1f} s ({len(pool) / pool_sw.seconds:.0f} texts/s)", file=sys.stderr)
    pool_vectors_en: np.ndarray | None = None
    pool_en_rate = None
    if english is not None:
        with Stopwatch() as pool_en_sw:
            pool_vectors_en = english.encode(pool_texts)
        pool_en_rate = len(pool) / pool_en_sw.seconds
        print(f"pool under {english.name}: embedded in {pool_en_sw.seconds:.1f} s "
              f"({pool_en_rate:.0f} texts/s)", file=sys.stderr)
    queries = incoming_queries(args.queries + 1, bases)
    warmup_query, timed = queries[0], queries[1:]
    warmups = [warmup_query] + ([english_warmup(bases)] if english is not None else [])
    load_before = os.getloadavg()[0]

    results: list[dict[str, Any]] = []
    builds: list[dict[str, Any]] = []
    context = multiprocessing.get_context("spawn")
    with temp_store() as (store, store_path):
        builder = make_assistant(store, embedder, english_embedder=english, tenant=TENANT)
        with Stopwatch() as kb_sw:
            kb_report = builder.ingest_kb(sample_path("kb"), tenant=TENANT)
        print(f"{kb_report.summary()}; views synced, {kb_sw.seconds:.1f} s in all",
              file=sys.stderr)
        _, history = builder.pipeline.collections(TENANT, create=True)
        assert history is not None
        views = builder.pipeline.views(TENANT, create=True)
        history_en = views.history_en if english is not None else None
        known = history.ids()
        known_en = history_en.ids() if history_en is not None else set()
        written = 0
        for size in sizes:
            en_seconds = 0.0
            with Stopwatch() as build:
                for start in range(written, size, 10_000):
                    stop = min(start + 10_000, size)
                    exchanges, vectors, vectors_en = make_exchanges(
                        start, stop, pool, pool_vectors, bases, pool_vectors_en=pool_vectors_en)
                    sync_exchanges(exchanges, history, PrecomputedEmbeddings(vectors),
                                   known_ids=known)
                    if history_en is not None:
                        english_exchanges = [e for e in exchanges if e.language == ENGLISH]
                        with Stopwatch() as en_sw:
                            # bumps history_en's generation itself when it wrote anything
                            sync_exchanges(english_exchanges, history_en,
                                           PrecomputedEmbeddings(vectors_en),
                                           known_ids=known_en)
                        en_seconds += en_sw.seconds
                written = size
            fit = builder.fit_ranking(TENANT) if args.fit_ranking else None
            builds.append({"size": size, "seconds": build.seconds,
                           "history_en_seconds": en_seconds if history_en is not None else None,
                           "history": history.count(),
                           "history_en": history_en.count() if history_en is not None else None,
                           "fit_seconds": fit.seconds if fit is not None else None,
                           "fit_summary": fit.summary() if fit is not None else None,
                           "fit_labelled": fit.labelled if fit is not None else None,
                           "fit_routes": fit.routes if fit is not None else None,
                           "builder_peak_rss_mb": peak_rss_mb()})
            print(f"store: {history.count()} exchanges"
                  + (f", history_en {history_en.count()}" if history_en is not None else "")
                  + f" (+{build.seconds:.1f} s)", file=sys.stderr)
            if fit is not None:
                print(fit.summary(), file=sys.stderr)
            payload = (str(store_path), args.embedder, english_name, [*timed], warmups, size)
            if args.in_process:
                result = measure(*payload)
            else:
                with context.Pool(1) as workers:
                    result = workers.apply(measure, payload)
            result["build_seconds"] = build.seconds
            result["fit_seconds"] = fit.seconds if fit is not None else None
            results.append(result)
            print(f"size {size}: p95 {result['latency_ms']['p95']:.1f} ms", file=sys.stderr)
    load_after = os.getloadavg()[0]

    english_label = english.name if english is not None else "none"
    print(f"\nSuggest latency, composed mode — {embedder.name}, English views: "
          f"{english_label}; ranking: {'refitted per size' if args.fit_ranking else 'as stored'}"
          f"; sample KB (32 articles) + N exchanges; {len(timed)} queries after "
          f"{len(warmups)} warm-up quer{'ies' if len(warmups) > 1 else 'y'}; "
          f"{'same process' if args.in_process else 'fresh process per size'}; 1-min load "
          f"average {load_before:.1f} → {load_after:.1f} on {os.cpu_count()} cores")
    rows = []
    for r in results:
        lat = r["latency_ms"]
        rows.append([r["size"], lat["p50"], lat["p95"], lat["mean"], lat["max"],
                     "yes" if lat["p95"] <= P95_GOAL_MS else "NO", r["warmup_seconds"],
                     r["warmup_en_seconds"], r["english_route_queries"], r["queries_per_s"],
                     r["peak_rss_mb"]])
    print_table(["exchanges", "p50 ms", "p95 ms", "mean ms", "max ms", f"p95≤{P95_GOAL_MS:.0f}",
                 "warm-up s", "warm-up en s", "English-route queries", "queries/s",
                 "peak RSS MB"], rows, digits=1)
    rows = [[r["size"], route, lat["n"], lat["p50"], lat["p95"], lat["mean"], lat["max"]]
            for r in results for route, lat in r["latency_ms_by_route"].items()]
    print_table(["exchanges", "route", "queries", "p50 ms", "p95 ms", "mean ms", "max ms"], rows,
                digits=1, title="Latency by retrieval route (english: English query with the "
                                "English views, one more query embedding under MiniLM)")
    rows = [[b["size"], b["history"], b["history_en"], b["seconds"], b["history_en_seconds"],
             b["fit_seconds"], b["fit_labelled"], b["builder_peak_rss_mb"]] for b in builds]
    print_table(["exchanges", "history", "history_en", "build s (writes)", "of which history_en s",
                 "ranking refit s", "labelled", "builder peak RSS MB"], rows, digits=1,
                title="Store build per size (incremental from the previous size; the refit "
                      "is a full fit on the whole history at that size)")
    for b in builds:
        if b["fit_summary"]:
            print(f"  {b['size']}: {b['fit_summary']}")
    rows = []
    for r in results:
        for stage, s in r["stages_ms"].items():
            rows.append([r["size"], stage, s["p50"], s["p95"], s["mean"]])
        for label, key in (("warm-up query", "warmup_timings_ms"),
                           ("English warm-up query", "warmup_en_timings_ms")):
            w = r.get(key)
            if w:
                rows.append([r["size"], f"{label} (analysis/retrieval/generation ms)",
                             w.get("analysis"), w.get("retrieval"), w.get("generation")])
    print_table(["exchanges", "stage (timings_ms)", "p50", "p95", "mean"], rows, digits=1,
                title="Per stage (from Suggestions.timings_ms)")
    parts = list(results[0]["parts_ms_per_query"]) if results else []
    if ENGLISH_EMBEDDING in parts:  # under the line of both models' embeddings
        parts.remove(ENGLISH_EMBEDDING)
        parts.insert(parts.index(_Breakdown.PARTS[1][0]) + 1, ENGLISH_EMBEDDING)
    rows = [[label] + [r["parts_ms_per_query"][label] for r in results]
            + [r["parts_calls"][label] / len(timed) for r in results]
            + [r["warmup_parts_ms"][label] for r in results] for label in parts]
    rows.append(["CPU ms per query (process_time)"] + [r["cpu_ms_per_query"] for r in results]
                + [None] * 2 * len(results))
    print_table(["inside suggest (mean ms)"] + [f"{r['size']}" for r in results]
                + [f"calls/q {r['size']}" for r in results]
                + [f"warm-up {r['size']}" for r in results], rows, digits=1,
                title="Where the time goes (mean per timed query; warm-up queries separately; "
                      "parts overlap: retrieval total holds the dense searches, exchanges and "
                      "articles; those hold the BM25 parts; the dense search calls count() "
                      "and the generation re-read too; the draft guard runs after the "
                      "'generation' stage and is in no timings_ms stage)")
    print("\nUsed: primary embedder " + embedder.name + f"; English embedder {english_label}"
          + (f" (pool {pool_en_rate:.0f} texts/s)" if pool_en_rate else ""))
    for r in results:
        views_line = ", ".join(f"{name} {count}" for name, count in r["collections"].items()
                               if count is not None)
        print(f"  {r['size']}: collections {views_line}; ranking: {r['ranking']}")
    print(f"\npeak RSS = the measuring process's getrusage maximum (models + store + BM25); "
          f"builder process peak: {builds[-1]['builder_peak_rss_mb']:.0f} MB")
    write_json(args.out, {"embedder": embedder.name, "english_embedder": english_label,
                          "fit_ranking": args.fit_ranking, "pool": len(pool),
                          "pool_en_texts_per_s": pool_en_rate,
                          "kb_ingest": kb_report.summary(),
                          "load_average_1min": [load_before, load_after],
                          "builds": builds, "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
