"""Show where the buyer-line reader disagrees with the corpus on the train or dev split (never test).

    python scripts/buyer_errors.py [train|dev] [--rules] [--label NAME] [--errors N]

Train the models with ``--train-only`` first (python scripts/train_understanding.py --buyer
--train-only) so that the dev errors are honest; the shipped models have seen dev.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.understanding import corpus
from simulator.understanding.buyer import read_buyer
from simulator.understanding.definitions import BUYER_LABELS
from simulator.understanding.evaluation import LabelScore


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("split", choices=["train", "dev"], nargs="?", default="dev")
    parser.add_argument("--rules", action="store_true", help="rules alone, no learned models")
    parser.add_argument("--label", default="", choices=["", *BUYER_LABELS], help="only errors on this label")
    parser.add_argument("--errors", type=int, default=80)
    args = parser.parse_args()
    items = corpus.buyer_lines(args.split)
    scores = {name: LabelScore() for name in BUYER_LABELS}
    errors: list[str] = []
    for item in items:
        rep = item["context"].get("previous_rep_line") or ""
        reading = read_buyer(item["text"], use_models=not args.rules, previous_rep_line=rep)
        wrong = []
        for name in BUYER_LABELS:
            truth, got = bool(item["labels"][name]), reading.labels[name]
            scores[name].add(truth, got)
            if truth != got and (not args.label or name == args.label):
                wrong.append(("+" if got else "-") + name)
        if wrong:
            p = " ".join(f"{k[:3]}={v:.2f}" for k, v in reading.probabilities.items())
            errors.append(f"{item['id']} {' '.join(wrong):24s} {item['text']!r}  [{p}]  {reading.reasons}  "
                          f"(rep: {rep[:60]!r})")
    print(f"{args.split}: {len(items)} buyer lines ({'rules' if args.rules else 'rules + learned models'})")
    for name, s in scores.items():
        print(f"  {name:9s} n={s.support:3d}  P {s.precision:.3f}  R {s.recall:.3f}  F1 {s.f1:.3f}  "
              f"(fp {s.fp}, fn {s.fn})")
    print(f"{len(errors)} lines with errors ('+label' read but not labelled, '-label' missed):")
    for line in errors[: args.errors]:
        print(" ", line)


if __name__ == "__main__":
    main()
