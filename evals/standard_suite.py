"""The standard evaluation suite on whatever public data is present (``make eval``).

Converts ``--data`` (``replyassist.evals.converters.convert_all``, read by path, written
under ``--out/inputs``), then runs ``replyassist.evals.evaluate`` in composed mode with
the default embedder:

- ``twitter``: every brand's articles and earlier conversations ingested into its own
  tenant, the later conversations as cases, with all baselines (retrieval + drafts
  against the real agent replies);
- ``goemotions`` (mood), ``mooc`` (urgency, held-back courses), ``banking77`` (intents,
  10 examples per intent declared in a generated brand file): tag cases, capped by
  ``--limit``.

Each suite is a resumable run directory under ``--out``; the summary table and the wall
time per suite are printed, with cases/s (goal: 1,000 cases in composed mode < 60 s).

    python -m evals.standard_suite --data ../shared/data [--out eval-runs] [--limit 1000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import evals  # noqa: F401

from evals._common import REPO_ROOT, fmt, print_table, quiet, write_json


def _assistant(store: Path, brand: Path | None = None) -> Any:
    from replyassist import BrandVoice, ReplyAssistant, Settings

    settings = Settings(store=str(store), mode="composed", top_articles=5)
    voice = BrandVoice.from_yaml(brand) if brand else BrandVoice(default_language="en")
    return ReplyAssistant.from_settings(settings, brand=voice)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "eval-runs")
    parser.add_argument("--limit", type=int, default=1000, help="cases per tag set")
    parser.add_argument("--no-baselines", action="store_true")
    args = parser.parse_args(argv)
    quiet()
    from replyassist.evals import evaluate
    from replyassist.evals.converters import convert_all
    from replyassist.evals.runner import ingest_inputs

    inputs = args.out / "inputs"
    written = convert_all(args.data, inputs, limit=args.limit)
    summary: dict[str, Any] = {}
    rows: list[list[Any]] = []
    for name, paths in written.items():
        if not paths:
            print(f"{name}: not present under {args.data}, skipped", file=sys.stderr)
            continue
        files = {p.name: p for p in paths}
        run_dir = args.out / name
        started = time.perf_counter()
        brand = files.get("brand.yaml")
        assistant = _assistant(run_dir / "store", brand)
        if name == "twitter":
            ingest_inputs(assistant, files["kb.jsonl"], files["history.jsonl"], "default")
            cases = files["cases.jsonl"]
        else:
            cases = next(p for p in paths if p.suffix == ".jsonl")
        ingested = time.perf_counter() - started
        report = evaluate(assistant, cases, run_dir, mode="composed",
                          baselines=(name == "twitter" and not args.no_baselines),
                          progress=sys.stderr.isatty())
        wall = time.perf_counter() - started
        n = report["run"]["cases"]
        summary[name] = {"cases": n, "wall_seconds": wall, "ingest_seconds": ingested,
                         "eval_seconds": report["run"]["wall_seconds"],
                         "systems": report["systems"]}
        for system, entry in report["systems"].items():
            retrieval = entry.get("retrieval") or {}
            tags = entry.get("tags") or {}
            drafts = entry.get("drafts") or {}
            rows.append([name, system, n, retrieval.get("hit@1"), retrieval.get("hit@5"),
                         retrieval.get("mrr"),
                         "; ".join(f"{k} {fmt(v['macro_f1'])}" for k, v in tags.items()),
                         drafts.get("similarity"), drafts.get("chrf"),
                         report["run"]["wall_seconds"] if system == "replyassist" else None])
        print(f"{name}: {n} cases, evaluated in {report['run']['wall_seconds']:.1f} s "
              f"({n / max(report['run']['wall_seconds'], 1e-9):.0f} cases/s, all systems), "
              f"ingest {ingested:.1f} s; reports in {run_dir}", file=sys.stderr)
    print_table(["suite", "system", "cases", "hit@1", "hit@5", "MRR", "tags macro-F1",
                 "draft sim.", "chrF", "eval s"], rows, digits=3,
                title="Standard suite (composed mode, default embedder)")
    write_json(args.out / "summary.json", summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
