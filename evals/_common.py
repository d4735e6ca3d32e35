"""Small helpers shared by the evaluation scripts: metrics, tables, timing, stores."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import resource
import statistics
import tempfile
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
EVALS_DATA = REPO_ROOT / "evals" / "data"
EMBEDDER_CHOICES = ("use-multilingual", "minilm")


def quiet() -> None:
    """Silence library chatter (Chroma telemetry, HF progress bars) on stdout/stderr."""
    for name in ("chromadb", "httpx", "sentence_transformers", "transformers", "replyassist"):
        logging.getLogger(name).setLevel(logging.ERROR)
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    warnings.filterwarnings("ignore")
    with contextlib.suppress(Exception):
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()


def load_embedder(name: str) -> Any:
    """``use-multilingual`` or ``minilm`` → the library's embedder (loaded lazily)."""
    from replyassist.embeddings import load_embedder as _load

    return _load(name)


def warm_embedder(embedder: Any) -> float:
    """Load the model (first call); returns the seconds it took."""
    started = time.perf_counter()
    embedder.encode(["warm-up sentence", "phrase de chauffe"])
    return time.perf_counter() - started


# ------------------------------------------------------------------ stores
@contextlib.contextmanager
def temp_store(prefix: str = "ra-eval-") -> Iterator[tuple[Any, Path]]:
    """A fresh embedded Chroma store in a temporary directory, removed afterwards."""
    from replyassist.store import VectorStore

    with tempfile.TemporaryDirectory(prefix=prefix, ignore_cleanup_errors=True) as tmp:
        path = Path(tmp) / "store"
        yield VectorStore.open(path), path


def make_assistant(store: Any, embedder: Any, *, ingest_embedder: Any = None,
                   english_embedder: Any = None, **settings: Any) -> Any:
    """A ``ReplyAssistant`` on ``store`` with ``Settings(**settings)`` (no LLM);
    ``english_embedder``: the model for English knowledge and history (``None``: one
    embedder for every language)."""
    from replyassist import ReplyAssistant, Settings

    settings.setdefault("mode", "composed")
    return ReplyAssistant(store=store, embedder=embedder, ingest_embedder=ingest_embedder,
                          english_embedder=english_embedder,
                          settings=Settings(store=str(store.location), **settings))


# ------------------------------------------------------------------ metrics
def rank_of(expected: str | Iterable[str], ranked: Sequence[str]) -> int | None:
    """1-based rank of the first expected id in ``ranked``; ``None`` if absent."""
    wanted = {expected} if isinstance(expected, str) else set(expected)
    for position, item in enumerate(ranked, start=1):
        if item in wanted:
            return position
    return None


def rank_metrics(ranks: Sequence[int | None], ks: Sequence[int] = (1, 5)) -> dict[str, float]:
    """hit@k for each k and MRR (ranks beyond the list count as 0) over ``ranks``."""
    n = len(ranks)
    out: dict[str, float] = {"n": n}
    for k in ks:
        out[f"hit@{k}"] = sum(1 for r in ranks if r is not None and r <= k) / n if n else 0.0
    out["mrr"] = sum(1.0 / r for r in ranks if r is not None) / n if n else 0.0
    return out


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, ``q`` in [0, 100]."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def latency_summary(values_ms: Sequence[float]) -> dict[str, float]:
    return {"n": len(values_ms), "p50": percentile(values_ms, 50),
            "p95": percentile(values_ms, 95),
            "mean": statistics.fmean(values_ms) if values_ms else float("nan"),
            "max": max(values_ms) if values_ms else float("nan")}


# ------------------------------------------------------------------ memory
def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mb() -> float:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


# ------------------------------------------------------------------ output
def fmt(value: Any, digits: int = 3) -> str:
    if isinstance(value, bool) or value is None:
        return "-" if value is None else ("yes" if value else "no")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        return f"{value:.{digits}f}"
    return str(value)


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "",
                digits: int = 3) -> None:
    """A plain aligned text table (numbers right-aligned)."""
    body = [[fmt(c, digits) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(headers)]
    numeric = [all(_looks_numeric(r[i]) for r in body) if body else False
               for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w)
                         for c, w, num in zip(cells, widths, numeric, strict=True)).rstrip()

    if title:
        print(f"\n{title}")
    print(line(list(headers)))
    print("  ".join("-" * w for w in widths))
    for row in body:
        print(line(row))


def _looks_numeric(text: str) -> bool:
    stripped = text.replace(".", "", 1).replace("-", "", 1).replace("×", "").replace("%", "")
    return stripped.isdigit() or text == "-"


def write_json(path: str | Path | None, payload: Any) -> None:
    if not path:
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"\nwrote {target}")


class Stopwatch:
    """``with Stopwatch() as sw: ...`` then ``sw.seconds``."""

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started


def embed_cached(embedder: Any, texts: list[str], *, cache_dir: Path | None = None,
                 batch: int = 256) -> Any:
    """Unit-row vectors of ``texts``, cached on disk per (embedder, texts) so that training
    and evaluation re-runs do not re-embed tens of thousands of texts."""
    import hashlib

    import numpy as np

    from replyassist.embeddings import embed_array, embedder_identity

    name, dimension = embedder_identity(embedder)
    digest = hashlib.sha1(f"{name}/{dimension}".encode())
    for text in texts:
        digest.update(text.encode("utf-8") + b"\0")
    cache_dir = cache_dir or Path(os.environ.get("REPLYASSIST_EVAL_CACHE",
                                                 Path.home() / ".cache" / "replyassist-evals"))
    path = cache_dir / f"{digest.hexdigest()}.npy"
    if path.exists():
        return np.load(path)
    parts = [embed_array(embedder, texts[i:i + batch]) for i in range(0, len(texts), batch)]
    vectors = np.vstack(parts) if parts else np.zeros((0, dimension), dtype=np.float32)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors.astype(np.float32))
    return vectors
