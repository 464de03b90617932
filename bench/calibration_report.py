"""Calibration report: does the grader order known-good, mixed and weak calls correctly, every time?

Prints each case's overall and targeted scores, whether a practice case won its drill, the pairwise
ordering accuracy (overall and the targeted competency, per kind) and the reproducibility over repeated
runs (identical scorecards). ``--show`` also prints every practice case as the director played it
(each buyer line with its move) and the drill's outcome, to check each case plays as intended.

    python bench/calibration_report.py [--runs 3] [--folder tests/grader/calibration] [--show]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from grading.calibration import Case, edge_failures, fingerprint, grade_case, load_set, pairs  # noqa: E402
from simulator.content.loader import ContentLibrary, load_library  # noqa: E402


def show_played(name: str, case: Case, library: ContentLibrary) -> None:
    """Print a practice case as the director played it: every line, each buyer move, the outcome."""
    from simulator.engine.replay import play_rep_lines

    assert case.scenario is not None
    result = play_rep_lines(
        case.scenario, list(case.rep_lines or []), difficulty=case.difficulty, library=library
    )
    print(f"=== {name} ({case.scenario}, {case.difficulty}, {case.tier})")
    for turn in result.transcript:
        move = turn.get("move")
        label = ""
        if move:
            about = move.get("fact_id") or move.get("objection_id")
            label = f"   [{move['kind']}{' ' + about if about else ''}]"
        print(f"  {turn['speaker']:>5}: {turn['text']}{label}")
    outcome = result.outcome
    print(f"  outcome: {'success' if outcome['success'] else 'not won'}")
    for item in outcome["met"]:
        print(f"    met: {item}")
    for item in outcome["missed"]:
        print(f"    missed: {item}")
    print()


def main(argv: list[str] | None = None) -> int:
    """Run the report; exit 1 when an ordering or an edge bound fails, or a run differs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="repeated runs for the reproducibility check")
    parser.add_argument("--folder", type=Path, default=ROOT / "tests" / "grader" / "calibration")
    parser.add_argument("--show", action="store_true", help="print every practice case as played")
    args = parser.parse_args(argv)

    library = load_library()
    cases, expected = load_set(args.folder)
    started = time.perf_counter()
    runs = [
        {name: grade_case(case, library) for name, case in cases.items()} for _ in range(max(1, args.runs))
    ]
    elapsed = time.perf_counter() - started
    cards = runs[0]

    if args.show:
        for name, case in cases.items():
            if case.scenario is not None:
                show_played(name, case, library)

    width = max(len(name) for name in cases)
    print(f"{'case':<{width}} {'kind':<19} {'tier':<9} won   overall  scores")
    for name, case in cases.items():
        card = cards[name]
        scores = " ".join(f"{c.id.split('_')[0][:5]}={c.score}" for c in card.competencies)
        won = "-" if card.outcome is None else ("yes" if card.outcome.get("success") else "no")
        print(f"{name:<{width}} {case.kind:<19} {case.tier:<9} {won:<5} {card.overall:>5}    {scores}")

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
