"""Calibration report: does the grader order known-good, mixed and weak calls correctly, every time?

Prints each case's overall and targeted scores, the pairwise ordering accuracy (overall and the
targeted competency, per kind) and the reproducibility over repeated runs (identical scorecards).

    python bench/calibration_report.py [--runs 3] [--folder tests/grader/calibration]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from grading.calibration import edge_failures, fingerprint, grade_case, load_set, pairs  # noqa: E402
from simulator.content.loader import load_library  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Run the report; exit 1 when an ordering or an edge bound fails, or a run differs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="repeated runs for the reproducibility check")
    parser.add_argument("--folder", type=Path, default=ROOT / "tests" / "grader" / "calibration")
    args = parser.parse_args(argv)

    library = load_library()
    cases, expected = load_set(args.folder)
    started = time.perf_counter()
    runs = [
        {name: grade_case(case, library) for name, case in cases.items()} for _ in range(max(1, args.runs))
    ]
    elapsed = time.perf_counter() - started
    cards = runs[0]

    print(f"{'case':<22} {'kind':<19} {'tier':<9} overall  scores")
    for name, case in cases.items():
        card = cards[name]
        scores = " ".join(f"{c.id.split('_')[0][:5]}={c.score}" for c in card.competencies)
        print(f"{name:<22} {case.kind:<19} {case.tier:<9} {card.overall:>5}    {scores}")

    result = pairs(cards, expected)
    print("\nPairwise orderings (expected higher > lower):")
    for p in result:
        mark = "ok  " if p.ok else "FAIL"
        print(
            f"  {mark} {p.kind:<19} {p.measure:<22} "
            f"{p.higher} ({p.higher_value}) > {p.lower} ({p.lower_value})"
        )
    correct = sum(p.ok for p in result)
    print(
        f"\nPairwise ordering accuracy: {correct}/{len(result)} = {100 * correct / max(1, len(result)):.1f}%"
    )
    for measure in ("overall", "target"):
        subset = [p for p in result if (p.measure == "overall") == (measure == "overall")]
        print(f"  {measure}: {sum(p.ok for p in subset)}/{len(subset)}")

    edges = edge_failures(cards, cases, expected)
    print(
        f"Edge cases within bounds: {len(expected.edge_cases) - len(edges)}/{len(expected.edge_cases)}"
        + "".join(f"\n  FAIL {e}" for e in edges)
    )

    identical = sum(len({fingerprint(run[name]) for run in runs}) == 1 for name in cases)
    print(
        f"Reproducibility: {identical}/{len(cases)} cases identical over {len(runs)} run(s) "
        f"({elapsed / len(runs):.2f} s per run of {len(cases)} cases, replay included)"
    )
    return 0 if correct == len(result) and not edges and identical == len(cases) else 1


if __name__ == "__main__":
    raise SystemExit(main())
