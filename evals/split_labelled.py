"""Draw the train/test split of the own labelled set, once (LABELLING.md).

Stratified by language and mood: in each (language, mood) group, a seeded shuffle of the
ids puts ``round(n × test_share)`` conversations in ``test``, the rest in ``train``. Lines
that already carry a ``split`` keep it (re-running never moves a measured conversation);
only new lines are drawn, so the set can grow.

    python -m evals.split_labelled NEW_CONVERSATIONS.jsonl [...] \
        --out evals/data/analysis_labelled.jsonl

(The first 440 conversations were written as two drafts, French and English, merged and
split with this command.)
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--test-share", type=float, default=0.35)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    records: dict[str, dict] = {}
    if args.out.exists():
        for line in args.out.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                records[record["id"]] = record
    for source in args.sources:
        for line in source.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            if record["id"] in records and records[record["id"]].get("split"):
                record["split"] = records[record["id"]]["split"]
            records[record["id"]] = record
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for rid, record in records.items():
        if not record.get("split"):
            groups[(rid.split("-")[0], record["expected"]["mood"])].append(rid)
    rng = random.Random(args.seed)
    for key in sorted(groups):
        ids = sorted(groups[key])
        rng.shuffle(ids)
        n_test = round(len(ids) * args.test_share)
        for i, rid in enumerate(ids):
            records[rid]["split"] = "test" if i < n_test else "train"
    ordered = sorted(records.values(), key=lambda r: (r["id"].split("-")[0] != "fr", r["id"]))
    with args.out.open("w", encoding="utf-8") as handle:
        for record in ordered:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    counts: dict[str, int] = defaultdict(int)
    for record in ordered:
        counts[f"{record['id'].split('-')[0]}/{record['split']}"] += 1
    print(f"wrote {len(ordered)} conversations to {args.out}: {dict(sorted(counts.items()))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
