"""How useful are replyassist's similar past exchanges? Real chats, a time split, baselines.

For every case (a conversation up to an agent turn; the real agent reply is the
reference), the answers of the top-k past exchanges replyassist retrieves
(``assistant.suggest(conv, mode="composed", tenant=t)``) are compared with the real reply.

Data and split (the pieces of ``evals/reply_safety.py``, reused):

- **WMT chat fr** (``wmt_chat_fr/train.en-fr.csv``, tenant ``wmt-ebooks``, French):
  ``load_wmt_chats`` (one chat per ``doc_id``, time order), ``time_split`` (60 / 20 / 20 %
  of the chats), ``chat_cases`` (at most ``--cases-per-chat`` cases per chat, at agent
  turns that follow a customer turn).
- **IBM Twitter** (``ibm_twitter_cdp``, one tenant per company, English):
  ``load_twitter_dataset`` (per company, time order, 60 / 20 / 20 %).

History is every chat / conversation earlier than the evaluated split: for ``--split dev``
the first 60 %; for ``--split test`` the first 60 % **and** the dev 20 % (reply_safety's
loaders give the first 60 % only in both cases, so the test history is rebuilt here; a dev
Twitter conversation goes back into history as its customer turns + the real reply). It
is ingested per tenant with ``assistant.ingest_history`` (no knowledge base: the exchanges
do not depend on it).

Past exchanges, for the baselines and for scoring, are built as replyassist builds them
(``kb_ingest.history.conversation_exchanges``, a ``PIIScrubber()`` and the library's
language detector): customer turns before an agent turn (the last 3, joined by "\\n") →
that agent turn, both scrubbed. ``Suggestions`` holds conversation ids only
(``similar_conversations``: ``conversation_id``, ``score``), not exchanges nor answers, so
the exchanges replyassist retrieved are read from its retriever's result for that call
(same order, checked against ``similar_conversations``); should that fail, each listed
conversation is mapped to its exchange whose context is closest (USE) to the query (the
JSON says how many cases needed it).

Systems (same history, same k, same cases; each case only sees its own tenant):

- ``replyassist``: the exchanges behind ``similar_conversations`` (``top_exchanges = k``);
- ``BM25 contexts``: bm25s over the past customer contexts (``replyassist.retrieval.
  tokenize``), the query being replyassist's (``latest_customer_text()``);
- ``dense USE`` / ``dense MiniLM``: cosine of the query and the past contexts;
- ``most recent``: the tenant's k latest exchanges (newest first);
- ``oracle``: the k past answers closest (USE) to the real reply: the upper bound of
  answer-sim and hit. Its chrF is the best over the 50 closest answers and every answer
  any system retrieved (exact chrF over all answers costs minutes): ≥ every system's.

Metrics (means over cases; an empty retrieval scores 0):

- ``answer-sim@1`` / ``answer-sim@k``: USE cosine between the real reply and the first /
  the best of the first k retrieved answers;
- ``chrF@1`` / ``chrF@k``: sentence chrF (``replyassist.evals.metrics.chrf``, sacrebleu)
  of the first / the best of the first k answers against the real reply;
- ``hit@1`` / ``hit@k`` / ``MRR``: a retrieved exchange is *relevant* when its answer's
  USE cosine with the real reply is ≥ 0.6. The threshold was fixed a priori, before any
  run, and is not tuned;
- latency of ``suggest`` (p50 / p95, ms), per dataset.

    python -m evals.history_retrieval --data /work/shared/data [--split dev|test] [--k 5]
        [--limit N] [--out f.json] [--english-embedder minilm|none] [--datasets wmt,twitter]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the ``evals`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import evals  # noqa: F401  (offline environment, see evals/__init__.py)

import bm25s
import numpy as np

from evals._common import (
    Stopwatch,
    embed_cached,
    latency_summary,
    load_embedder,
    make_assistant,
    print_table,
    quiet,
    temp_store,
    write_json,
)
from evals.reply_safety import (
    Case,
    chat_cases,
    load_twitter_dataset,
    load_wmt_chats,
    spread,
    time_split,
)
from kb_ingest.history import Exchange, conversation_exchanges
from replyassist.models import Conversation, Message
from replyassist.retrieval import tokenize

RELEVANT_COSINE = 0.6  # fixed a priori, not tuned
ORACLE_CHRF_CANDIDATES = 50
MAX_QUERY_CHARS = 2000  # as the pipeline
SYSTEMS = ("replyassist", "BM25 contexts", "dense USE", "dense MiniLM", "most recent", "oracle")
WMT_TENANT = "wmt-ebooks"


# ------------------------------------------------------------------ data
@dataclass
class EvalSet:
    """One dataset on one split: per-tenant history (time order) and the cases."""

    name: str
    language: str  # the brand's default language
    history: dict[str, list[Conversation]]
    cases: list[Case]
    info: dict[str, Any] = field(default_factory=dict)


def wmt_set(path: str | Path, split: str, cases_per_chat: int) -> EvalSet:
    """WMT chats: history = every chat before ``split`` (dev chats too, for test)."""
    parts = time_split(load_wmt_chats(path))
    history = parts["history"] + (parts["dev"] if split == "test" else [])
    cases = [c for chat in parts[split] for c in chat_cases(chat, cases_per_chat)]
    return EvalSet("WMT chat fr (e-books)", "fr", {WMT_TENANT: history}, cases,
                   {"chats": {k: len(v) for k, v in parts.items()},
                    "history_chats": len(history)})


def as_history(case: Case) -> Conversation | None:
    """A case back as a past conversation: its turns, then the real reply."""
    if not case.reply.strip():
        return None
    reply = Message(role="agent", text=case.reply)
    return case.conversation.model_copy(
        update={"messages": [*case.conversation.messages, reply], "expected": None})


def twitter_set(root: str | Path, split: str) -> EvalSet:
    """IBM Twitter per company: history = the first 60 %, plus the dev 20 % for test."""
    loaded = load_twitter_dataset(root, split)
    history = {t: list(convs) for t, convs in loaded.history.items()}
    if split == "test":
        for case in load_twitter_dataset(root, "dev").cases:  # time order per company
            past = as_history(case)
            if past is not None:
                history.setdefault(past.tenant, []).append(past)
    return EvalSet("IBM Twitter customer care", "en", history, loaded.cases,
                   {"tenants": len(history)})


# ------------------------------------------------------------------ past exchanges
@dataclass
class Pool:
    """Every past answer of a dataset: the history exchanges (rows ``0..n-1``, per tenant
    in time order), then answers replyassist returned that are not among them."""

    exchanges: list[Exchange]
    rows: dict[str, list[int]]  # tenant → its exchange rows, oldest first
    by_id: dict[str, int]
    extra: list[str] = field(default_factory=list)

    @property
    def answers(self) -> list[str]:
        return [e.answer for e in self.exchanges] + self.extra

    def row_of_answer(self, exchange_id: str, answer: str) -> int:
        """The row of a retrieved exchange (added to ``extra`` when unknown)."""
        if exchange_id in self.by_id:
            return self.by_id[exchange_id]
        self.extra.append(answer)
        return len(self.exchanges) + len(self.extra) - 1


def make_detector(language: str) -> Callable[[str, str | None], str]:
    """The library's detector, called as the history ingest calls it."""
    from replyassist.analysis.language import LanguageDetector
    from replyassist.settings import Settings

    detector = LanguageDetector(Settings().languages, default=language)

    def detect(text: str, default: str | None) -> str:
        return detector.detect(text[-300:], default=default)[0]

    return detect


def build_pool(history: dict[str, list[Conversation]], language: str) -> Pool:
    """The exchanges replyassist ingests from ``history`` (scrubbed, same ids)."""
    from replyassist.guardrails.pii import PIIScrubber

    scrubber, detect = PIIScrubber(), make_detector(language)
    exchanges: list[Exchange] = []
    rows: dict[str, list[int]] = {}
    for tenant, conversations in history.items():
        rows[tenant] = []
        for conversation in conversations:
            new, _ = conversation_exchanges(conversation, scrubber=scrubber,
                                            detect_language=detect, url_to_doc={})
            for exchange in new:
                rows[tenant].append(len(exchanges))
                exchanges.append(exchange)
    return Pool(exchanges, rows, {e.id: i for i, e in enumerate(exchanges)})


def query_of(conversation: Conversation) -> str:
    """What replyassist searches with: the customer turns since the last agent turn."""
    return conversation.latest_customer_text()[-MAX_QUERY_CHARS:]


# ------------------------------------------------------------------ baselines
class BM25Contexts:
    """bm25s over one tenant's past customer contexts."""

    def __init__(self, contexts: Sequence[str]) -> None:
        self.size = len(contexts)
        self.index: Any = None
        if contexts:
            self.index = bm25s.BM25()
            self.index.index([tokenize(c) or ["_"] for c in contexts], show_progress=False)

    def top(self, query: str, k: int) -> list[int]:
        """Positions (in the tenant's list) of the k best contexts with a positive score."""
        tokens = tokenize(query)
        if self.index is None or not tokens:
            return []
        docs, scores = self.index.retrieve([tokens], k=min(k, self.size), show_progress=False,
                                           n_threads=0)
        return [int(d) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]


def dense_top(context_vectors: np.ndarray, query_vector: np.ndarray, k: int) -> list[int]:
    """Positions of the k contexts closest to the query (cosine of unit vectors)."""
    if not len(context_vectors):
        return []
    scores = context_vectors @ query_vector
    return [int(i) for i in np.argsort(-scores, kind="stable")[:k]]


# ------------------------------------------------------------------ replyassist
class RetrievalRecorder:
    """Wraps the pipeline's retriever and keeps its last result: ``Suggestions`` only lists
    conversation ids, the retriever's result has the exchanges (ids, answers)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.last: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def retrieve(self, *args: Any, **kwargs: Any) -> Any:
        self.last = self.inner.retrieve(*args, **kwargs)
        return self.last


def nearest_in_conversation(pool: Pool, tenant: str, conversation_ids: Sequence[str],
                            context_vectors: np.ndarray, query_vector: np.ndarray) -> list[int]:
    """Fallback: each listed conversation → its exchange closest to the query (rows)."""
    rows = pool.rows.get(tenant, [])
    chosen: list[int] = []
    for conversation_id in conversation_ids:
        mine = [(p, r) for p, r in enumerate(rows)
                if pool.exchanges[r].conversation_id == conversation_id and r not in chosen]
        if mine:
            best = max(mine, key=lambda pr: float(context_vectors[pr[0]] @ query_vector))
            chosen.append(best[1])
    return chosen


@dataclass
class ReplyassistRun:
    rows: list[list[int]]  # per case, the retrieved exchanges' pool rows, in order
    latencies_ms: list[float]
    errors: Counter[str]
    fallback_cases: int


def run_replyassist(evalset: EvalSet, cases: Sequence[Case], pool: Pool, *, embedder: Any,
                    english_embedder: Any, k: int, context_vectors: dict[str, np.ndarray],
                    query_vectors: np.ndarray, verbose: bool = True) -> ReplyassistRun:
    """Ingest the history, then ``suggest`` every case; the exchanges it retrieved."""
    name = str(getattr(embedder, "name", ""))
    run = ReplyassistRun([], [], Counter(), 0)
    with temp_store(prefix="ra-history-") as (store, _):
        assistant = make_assistant(
            store, embedder, english_embedder=english_embedder,
            default_language=evalset.language, top_exchanges=k, llm_tagging="off",
            analysis_embedder="off" if name.startswith("hash") else "auto")
        recorder = RetrievalRecorder(assistant.pipeline.retriever)
        assistant.pipeline.retriever = recorder
        with Stopwatch() as ingest:
            for tenant, history in evalset.history.items():
                if history:
                    assistant.ingest_history(history, tenant=tenant)
        evalset.info["ingest_seconds"] = round(ingest.seconds, 1)
        for i, case in enumerate(cases):
            conversation = case.conversation
            recorder.last = None
            started = time.perf_counter()
            try:
                suggestions = assistant.suggest(conversation, mode="composed",
                                                tenant=conversation.tenant)
            except Exception as exc:  # recorded (an empty retrieval), the run goes on
                run.errors[f"{type(exc).__name__}: {exc}"[:200]] += 1
                suggestions = None
            run.latencies_ms.append((time.perf_counter() - started) * 1000)
            listed = [s.conversation_id for s in suggestions.similar_conversations] \
                if suggestions is not None else []
            exchanges = list(getattr(recorder.last, "exchanges", None) or [])[:len(listed)]
            if [e.conversation_id for e in exchanges] == listed:
                run.rows.append([pool.row_of_answer(e.id, e.answer) for e in exchanges])
            else:
                run.fallback_cases += 1
                run.rows.append(nearest_in_conversation(
                    pool, conversation.tenant, listed,
                    context_vectors.get(conversation.tenant, np.zeros((0, 1))),
                    query_vectors[i]))
            if verbose and (i + 1) % 100 == 0:
                print(f"  {evalset.name}: {i + 1}/{len(cases)} cases", file=sys.stderr)
        assistant.close()
    return run


# ------------------------------------------------------------------ scoring
def score_rankings(rankings: Sequence[Sequence[int]], references: Sequence[str],
                   answers: Sequence[str], sims: np.ndarray, k: int) -> dict[str, float]:
    """Mean answer-sim@1/@k, chrF@1/@k, hit@1/@k and MRR; ``sims[i, row]`` = cosine of
    case i's real reply and the answer of pool row ``row``."""
    from replyassist.evals.metrics import chrf

    n = len(rankings)
    totals: defaultdict[str, float] = defaultdict(float)
    for i, ranked in enumerate(rankings):
        top = list(ranked[:k])
        if not top:
            continue
        cos = [float(sims[i, r]) for r in top]
        chrfs = [chrf(answers[r], references[i]) for r in top]
        totals["answer_sim@1"] += cos[0]
        totals["answer_sim@k"] += max(cos)
        totals["chrf@1"] += chrfs[0]
        totals["chrf@k"] += max(chrfs)
        relevant = [rank for rank, c in enumerate(cos, 1) if c >= RELEVANT_COSINE]
        totals["hit@1"] += relevant[:1] == [1]
        totals["hit@k"] += bool(relevant)
        totals["mrr"] += 1.0 / relevant[0] if relevant else 0.0
    out: dict[str, float] = {key: totals[key] / n if n else float("nan") for key in (
        "answer_sim@1", "answer_sim@k", "chrf@1", "chrf@k", "hit@1", "hit@k", "mrr")}
    out["n"] = n
    out["empty"] = sum(1 for r in rankings if not r)
    return out


def oracle_chrf(rankings: dict[str, list[list[int]]], oracle: Sequence[Sequence[int]],
                references: Sequence[str], answers: Sequence[str]) -> float:
    """Mean best chrF over the oracle's candidates and every answer a system retrieved."""
    from replyassist.evals.metrics import chrf

    best = []
    for i, reference in enumerate(references):
        rows = set(oracle[i]) | {r for ranked in rankings.values() for r in ranked[i]}
        best.append(max((chrf(answers[r], reference) for r in rows), default=0.0))
    return float(np.mean(best)) if best else float("nan")


# ------------------------------------------------------------------ running
@dataclass
class Embedders:
    primary: Any  # replyassist's embedder, and the metric's (answer cosine)
    english: Any = None  # replyassist's English embedder (None: the primary for all)
    minilm: Any = None  # the dense MiniLM baseline (None: skipped)


def _by_tenant(pool: Pool, vectors: np.ndarray) -> dict[str, np.ndarray]:
    width = vectors.shape[1] if vectors.ndim == 2 else 1
    return {t: vectors[rows] if rows else np.zeros((0, width), dtype=np.float32)
            for t, rows in pool.rows.items()}


def run_dataset(evalset: EvalSet, embedders: Embedders, *, k: int = 5,
                limit: int | None = None, verbose: bool = True) -> dict[str, Any]:
    """Every system on ``evalset``'s cases → the figures of one dataset."""
    cases = [c for c in spread(evalset.cases, limit) if c.reply.strip()]
    pool = build_pool(evalset.history, evalset.language)
    contexts = [e.context or "-" for e in pool.exchanges]
    queries = [query_of(c.conversation) or "-" for c in cases]
    references = [c.reply for c in cases]
    use = embedders.primary
    context_use = _by_tenant(pool, embed_cached(use, contexts))
    query_use = embed_cached(use, queries)

    ours = run_replyassist(evalset, cases, pool, embedder=use,
                           english_embedder=embedders.english, k=k,
                           context_vectors=context_use, query_vectors=query_use,
                           verbose=verbose)
    answers = pool.answers
    answer_vectors = embed_cached(use, [a or "-" for a in answers])
    sims = embed_cached(use, references) @ answer_vectors.T if answers else \
        np.zeros((len(cases), 0))

    bm25 = {t: BM25Contexts([contexts[r] for r in rows]) for t, rows in pool.rows.items()}
    context_mini = query_mini = None
    if embedders.minilm is not None:
        context_mini = _by_tenant(pool, embed_cached(embedders.minilm, contexts))
        query_mini = embed_cached(embedders.minilm, queries)
    rankings: dict[str, list[list[int]]] = {s: [] for s in SYSTEMS if s != "oracle"}
    rankings["replyassist"] = ours.rows
    oracle: list[list[int]] = []
    for i, case in enumerate(cases):
        tenant = case.conversation.tenant
        rows = pool.rows.get(tenant, [])

        def to_rows(positions: list[int], rows: list[int] = rows) -> list[int]:
            return [rows[p] for p in positions]

        rankings["BM25 contexts"].append(to_rows(bm25[tenant].top(queries[i], k))
                                         if tenant in bm25 else [])
        rankings["dense USE"].append(to_rows(dense_top(
            context_use.get(tenant, np.zeros((0, 1))), query_use[i], k)))
        if context_mini is not None and query_mini is not None:
            rankings["dense MiniLM"].append(to_rows(dense_top(
                context_mini.get(tenant, np.zeros((0, 1))), query_mini[i], k)))
        rankings["most recent"].append(list(reversed(rows[-k:])) if k else [])
        tenant_sims = sims[i, rows] if rows else np.zeros(0)
        order = np.argsort(-tenant_sims, kind="stable")[:max(k, ORACLE_CHRF_CANDIDATES)]
        oracle.append([rows[int(p)] for p in order])
    if context_mini is None:
        del rankings["dense MiniLM"]

    systems = {s: score_rankings(r, references, answers, sims, k) for s, r in rankings.items()}
    systems["oracle"] = score_rankings([o[:k] for o in oracle], references, answers, sims, k)
    systems["oracle"]["chrf@k"] = oracle_chrf(rankings, oracle, references, answers)
    return {"dataset": evalset.name, "language": evalset.language, "k": k,
            "cases": len(cases), **evalset.info,
            "history_conversations": sum(map(len, evalset.history.values())),
            "history_exchanges": len(pool.exchanges),
            "replyassist_answers_not_in_history_table": len(pool.extra),
            "replyassist_cases_mapped_from_conversation_ids": ours.fallback_cases,
            "suggest_errors": sum(ours.errors.values()),
            "suggest_error_messages": dict(ours.errors.most_common(5)),
            "suggest_latency_ms": latency_summary(ours.latencies_ms),
            "systems": systems}


# ------------------------------------------------------------------ output
METRIC_ROWS = (("answer-sim@1", "answer_sim@1"), ("answer-sim@k", "answer_sim@k"),
               ("chrF@1", "chrf@1"), ("chrF@k", "chrf@k"), ("hit@1", "hit@1"),
               ("hit@k", "hit@k"), ("MRR", "mrr"), ("empty retrievals", "empty"))


def print_report(result: dict[str, Any]) -> None:
    systems = result["systems"]
    cols = list(systems)
    k = result["k"]
    print(f"\n## {result['dataset']} — split {result['split']}: {result['cases']} cases, "
          f"{result['history_conversations']} history conversations, "
          f"{result['history_exchanges']} past exchanges, k = {k}")
    rows = [[label.replace("@k", f"@{k}"), *[systems[s][key] for s in cols]]
            for label, key in METRIC_ROWS]
    print_table(["metric", *cols], rows,
                title=f"(relevant: answer cosine ≥ {RELEVANT_COSINE}; oracle chrF@{k}: best "
                      f"of {ORACLE_CHRF_CANDIDATES} closest answers ∪ all retrieved)")
    lat = result["suggest_latency_ms"]
    print(f"suggest latency: p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms "
          f"(n = {lat['n']}); ingest {result.get('ingest_seconds', 0.0):.1f} s")
    if result["replyassist_cases_mapped_from_conversation_ids"]:
        print(f"replyassist: {result['replyassist_cases_mapped_from_conversation_ids']} cases "
              "mapped from conversation ids (retriever result unavailable)")
    if result["suggest_errors"]:
        print(f"SUGGEST FAILED on {result['suggest_errors']} cases (empty retrievals): "
              + "; ".join(f"{n}× {m}" for m, n in result["suggest_error_messages"].items()))


def _embedder(name: str, loaded: dict[str, Any]) -> Any:
    """``none`` → None; ``hash`` → the test embedder; else the library's model (each
    loaded once)."""
    if name == "none":
        return None
    if name not in loaded:
        if name == "hash":
            from replyassist.testing import HashEmbeddings

            loaded[name] = HashEmbeddings()
        else:
            loaded[name] = load_embedder(name)
    return loaded[name]


def code_identity() -> dict[str, Any]:
    """Which replyassist ran: its folder, the git commit and the uncommitted files there."""
    import subprocess

    import replyassist

    folder = Path(replyassist.__file__).resolve().parent
    out: dict[str, Any] = {"replyassist": str(folder)}
    try:
        def git(*args: str) -> str:
            return subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                                  text=True, timeout=10, check=True).stdout.strip()

        out["git_head"] = git("rev-parse", "--short", "HEAD")
        out["uncommitted"] = [line[3:] for line in git("status", "--porcelain").splitlines()]
    except (OSError, subprocess.SubprocessError):
        out["git_head"] = None  # not a git checkout (an exported snapshot)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True,
                        help="folder holding ibm_twitter_cdp/ and wmt_chat_fr/")
    parser.add_argument("--split", choices=("dev", "test"), default="test")
    parser.add_argument("--datasets", default="wmt,twitter", help="wmt,twitter (comma list)")
    parser.add_argument("--k", type=int, default=5, help="past exchanges retrieved per case")
    parser.add_argument("--limit", type=int, default=None,
                        help="at most N cases per dataset (evenly spread, deterministic)")
    parser.add_argument("--cases-per-chat", type=int, default=6,
                        help="WMT: at most this many cases per chat")
    parser.add_argument("--embedder", default="use-multilingual",
                        choices=("use-multilingual", "hash"),
                        help="replyassist's embedder and the metric's (hash: tests)")
    parser.add_argument("--english-embedder", default="minilm",
                        choices=("minilm", "none", "hash"),
                        help="replyassist's model for English history (none: the primary)")
    parser.add_argument("--baseline-embedder", default="minilm",
                        choices=("minilm", "none", "hash"),
                        help="the 'dense MiniLM' baseline's model (none: no such baseline)")
    parser.add_argument("--out", help="write the figures as JSON here")
    args = parser.parse_args(argv)
    if args.k < 1:
        parser.error("--k must be ≥ 1")
    quiet()
    loaded: dict[str, Any] = {}
    embedders = Embedders(_embedder(args.embedder, loaded),
                          _embedder(args.english_embedder, loaded),
                          _embedder(args.baseline_embedder, loaded))
    root = Path(args.data)
    results: dict[str, Any] = {
        "split": args.split, "k": args.k, "limit": args.limit, "embedder": args.embedder,
        "english_embedder": args.english_embedder,
        "baseline_embedder": args.baseline_embedder, "relevant_cosine": RELEVANT_COSINE,
        "code": code_identity(), "datasets": {}}
    code = results["code"]
    print(f"replyassist from {code['replyassist']} (git {code.get('git_head') or '-'}, "
          f"{len(code.get('uncommitted') or [])} uncommitted files)")
    with Stopwatch() as total:
        for name in [d.strip() for d in args.datasets.split(",") if d.strip()]:
            with Stopwatch() as sw:
                if name == "wmt":
                    evalset = wmt_set(root / "wmt_chat_fr" / "train.en-fr.csv", args.split,
                                      args.cases_per_chat)
                elif name == "twitter":
                    evalset = twitter_set(root / "ibm_twitter_cdp", args.split)
                else:
                    parser.error(f"unknown dataset {name!r}")
                result = run_dataset(evalset, embedders, k=args.k, limit=args.limit)
            result["split"] = args.split
            result["seconds"] = round(sw.seconds, 1)
            print_report(result)
            print(f"dataset run: {sw.seconds:.1f} s")
            results["datasets"][name] = result
    results["seconds"] = round(total.seconds, 1)
    print(f"\ntotal run: {total.seconds:.1f} s")
    write_json(args.out, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
