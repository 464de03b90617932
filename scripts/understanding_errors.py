"""Show where the reader disagrees with the corpus on the train or dev split (never test).

    python scripts/understanding_errors.py [train|dev] [--rules] [--label NAME]

The shipped rep models are fitted on train + dev, so their errors here are in-sample (few, and
flattering). For honest errors, each read by models that never saw it, use the cross-validation:

    python scripts/train_understanding.py --cv-only --errors is_pitch
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.understanding import corpus
from simulator.understanding.evaluation import evaluate
from simulator.understanding.reader import read_rep


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("split", choices=["train", "dev"], nargs="?", default="dev")
    parser.add_argument("--rules", action="store_true", help="rules alone, no learned models")
    parser.add_argument("--label", default="", help="only errors mentioning this label")
    parser.add_argument("--errors", type=int, default=60)
    args = parser.parse_args()
    items = corpus.utterances(args.split)

    def read(item: dict[str, Any]) -> dict[str, Any]:
        return read_rep(item["text"], item["context"].get("list_price"), use_models=not args.rules,
                        previous_buyer_line=item["context"].get("previous_buyer_line") or "").as_json()

    report = evaluate(items, read)
    print(f"{args.split}: {report.n} utterances")
    for name, support, p, r, f1 in report.rows():
        print(f"  {name:18s} n={support:4d}  P {p:.3f}  R {r:.3f}  F1 {f1:.3f}")
    print(f"  question_kind accuracy {report.question_kind_accuracy:.3f}; "
          f"price owner accuracy {report.price_owner_accuracy:.3f} ({report.price_owner_total} amounts)")
    shown = [e for e in report.errors if args.label in e]
    for e in shown[: args.errors]:
        print(" ", e)


if __name__ == "__main__":
    main()
