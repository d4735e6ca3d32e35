"""Precision and recall of :class:`replyassist.guardrails.NameFinder`, per method.

    python evals/names_eval.py --twitter ../shared/data/ibm_twitter_cdp/dev.json \\
        --wmt ../shared/data/wmt_chat_fr/train.en-fr.csv

* Twitter (English): 150 agent replies hand-labelled for names and signatures; the labels
  (reply ids and character spans only, no tweet text) are in evals/data/names_labels.jsonl.
* WMT chat (French): names are masked as ``#NAME#``; names from a list written here (not
  Faker's, so the lexicon is not tested on its own list) are put in the ``#NAME#`` slots
  of the French side (agent ``reference``, customer ``source``), brands in ``#PRS_ORG#``,
  e-mail addresses and URLs holding names in ``#EMAIL#`` / ``#URL#``. Recall is measured
  where names were put, false positives everywhere else.

A predicted span is correct when it overlaps a gold span (names and signatures alike:
both are scrubbed). Speed is texts per second of ``find`` on one core.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from replyassist.guardrails.names import NameFinder, NameSpan

LABELS = Path(__file__).parent / "data" / "names_labels.jsonl"

FIRST = ("Sophie Camille Léa Chloé Manon Inès Jade Louise Zoé Lina Maëlys Anaïs Océane Soizic "
         "Gwenaëlle Nadia Fatou Aïcha Yasmine Mélanie Sandrine Nathalie Valérie Isabelle "
         "Céline Aurélie Émilie Justine Margaux Clémence Agathe Hélène Brigitte Josiane "
         "Lucas Hugo Théo Nathan Enzo Louis Gabriel Arthur Jules Mathis Kévin Loïc Yannick "
         "Aurélien Mamadou Karim Mehdi Youssef Thierry Pascal Didier Gérard Bernard "
         "Jean-Marc Jean-Pierre Marc-André François Étienne Benoît Rémi Grégoire Sylvain "
         "Quentin Maxime Antoine Florian Romain Bastien Gaëtan Tristan").split()
LAST = ("Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
        "Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André "
        "Mercier Dupont Lambert Bonnet François Martinez Le Gall Nguyen Diallo Benali "
        "Kowalski Rossi").split()
BRANDS = ("Kobo", "Rakuten", "Fnac", "Adobe Digital Editions", "Kobo Clara", "Windows",
          "Android", "Apple", "Google Play", "Amazon", "Kobo Plus", "Libra", "Aura One")


def twitter_items(path: Path) -> dict[str, str]:
    data = json.loads(path.read_text())
    replies: dict[str, str] = {}
    for conversation in data:
        for turn in conversation["dialogContent"]:
            if "agent" in turn:
                replies[turn["tweet_ID"]] = turn["message"]
        replies[conversation["agentURL"]["tweet_ID"]] = conversation["agentURL"]["url_utterance"]
    return replies


def twitter_gold(path: Path) -> list[tuple[str, list[tuple[int, int, str]]]]:
    replies = twitter_items(path)
    items = []
    for line in LABELS.read_text().splitlines():
        row = json.loads(line)
        if "id" in row:
            items.append((replies[row["id"]], [tuple(s) for s in row["spans"]]))
    return items  # type: ignore[return-value]


_SLOT = re.compile(r"#([A-Z_]+)#")


def wmt_items(path: Path, *, seed: int, negatives: int) -> list[tuple[str, list[tuple[int, int,
                                                                                       str]]]]:
    rng = random.Random(seed)
    texts = []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["sender"] == "agent" and row["target_language"] == "fr":
                texts.append(row["reference"])
            elif row["sender"] == "customer" and row["source_language"] == "fr":
                texts.append(row["source"])
    with_names = [t for t in texts if "#NAME#" in t]
    without = [t for t in texts if "#NAME#" not in t]
    rng.shuffle(without)
    items = []
    for template in with_names + without[:negatives]:
        out, gold, position = [], [], 0
        for match in _SLOT.finditer(template):
            out.append(template[position:match.start()])
            start = sum(map(len, out))
            slot = match.group(1)
            first, last = rng.choice(FIRST), rng.choice(LAST)
            if slot == "NAME":
                value = first if rng.random() < 0.7 else f"{first} {last}"
                gold.append((start, start + len(value), "name"))
            elif slot == "PRS_ORG":
                value = rng.choice(BRANDS)
            elif slot == "EMAIL":
                value = f"{first.lower()}.{last.lower().replace(' ', '')}@exemple.fr"
            elif slot == "URL":
                value = f"https://aide.exemple.fr/fr/{first}-{last.replace(' ', '')}"
            else:
                value = str(rng.randint(10000, 99999))
            out.append(value)
            position = match.end()
        out.append(template[position:])
        items.append(("".join(out), gold))
    return items


def score(items: list[tuple[str, list[tuple[int, int, str]]]],
          find: Callable[[str], list[NameSpan]]) -> dict[str, float]:
    tp_pred = n_pred = hit_name = n_name = hit_sig = n_sig = 0
    started = time.perf_counter()
    predictions = [find(text) for text, _ in items]
    elapsed = time.perf_counter() - started
    for (_, gold), pred in zip(items, predictions, strict=True):
        n_pred += len(pred)
        tp_pred += sum(any(p.start < e and s < p.end for s, e, _ in gold) for p in pred)
        for s, e, kind in gold:
            hit = any(p.start < e and s < p.end for p in pred)
            if kind == "name":
                n_name, hit_name = n_name + 1, hit_name + hit
            else:
                n_sig, hit_sig = n_sig + 1, hit_sig + hit
    gold_total = n_name + n_sig
    return {"P": tp_pred / n_pred if n_pred else 1.0,
            "R": (hit_name + hit_sig) / gold_total if gold_total else float("nan"),
            "R_name": hit_name / n_name if n_name else float("nan"),
            "R_sig": hit_sig / n_sig if n_sig else float("nan"),
            "FP": n_pred - tp_pred, "texts/s": len(items) / elapsed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--twitter", type=Path, required=True)
    parser.add_argument("--wmt", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--negatives", type=int, default=2000,
                        help="French texts without #NAME# added (false positives)")
    parser.add_argument("--no-ner", action="store_true")
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args(argv)

    methods: dict[str, NameFinder] = {
        "patterns": NameFinder(ner=False, lexicon=False),
        "lexicon": NameFinder(ner=False, patterns=False),
        "patterns+lexicon": NameFinder(ner=False),
    }
    if not args.no_ner:
        methods["ner"] = NameFinder(ner=True, patterns=False, lexicon=False)
        methods["patterns+lexicon+ner"] = NameFinder(ner=True)
    datasets = {"twitter-en (150 hand-labelled)": (twitter_gold(args.twitter), "en"),
                "wmt-chat-fr (names put in #NAME#)": (
                    wmt_items(args.wmt, seed=args.seed, negatives=args.negatives), "fr")}
    for finder in methods.values():  # load the lexicon and the model outside the timings
        finder.find("Merci Marie", language="fr")
    print(f"{'data':36} {'method':22} {'P':>6} {'R':>6} {'R_name':>7} {'R_sig':>6} "
          f"{'FP':>5} {'texts/s':>8}")
    for data_name, (items, language) in datasets.items():
        n_gold = sum(len(g) for _, g in items)
        print(f"# {data_name}: {len(items)} texts, {n_gold} gold spans")
        for method, finder in methods.items():
            if method == "ner" and language != "fr":
                continue  # the French model only (no official English model on PyPI)

            def find(text: str, finder: NameFinder = finder,
                     language: str = language) -> list[NameSpan]:
                return finder.find(text, language=language)

            row = score(items, find)
            print(f"{data_name[:36]:36} {method:22} {row['P']:6.3f} {row['R']:6.3f} "
                  f"{row['R_name']:7.3f} {row['R_sig']:6.3f} {row['FP']:5d} "
                  f"{row['texts/s']:8.0f}")
            if args.show_errors and method.startswith("patterns+lexicon"):
                for text, gold in items:
                    pred = find(text)
                    fps = [p.text for p in pred
                           if not any(p.start < e and s < p.end for s, e, _ in gold)]
                    fns = [text[s:e] for s, e, _ in gold
                           if not any(p.start < e and s < p.end for p in pred)]
                    if fps or fns:
                        print(f"    FP={fps} FN={fns} :: {text[:160]!r}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
