"""The calibration set: strong > mixed > weak for every kind, overall and on the targeted competency."""

from __future__ import annotations

from pathlib import Path

import pytest

from grading.calibration import Expected, edge_failures, fingerprint, grade_case, load_set, pairs
from grading.scorecard import Scorecard
from simulator.content.loader import ContentLibrary

FOLDER = Path(__file__).parent / "calibration"


@pytest.fixture(scope="module")
def graded(library: ContentLibrary) -> tuple[dict[str, Scorecard], Expected, dict[str, object]]:
    cases, expected = load_set(FOLDER)
    return {name: grade_case(case, library) for name, case in cases.items()}, expected, dict(cases)


def test_set_size_and_coverage() -> None:
    cases, expected = load_set(FOLDER)
    assert len(cases) >= 12
    kinds = {o.kind for o in expected.orderings}
    assert kinds == {"discovery", "objection_handling", "negotiation", "transcript"}
    for ordering in expected.orderings:
        assert [cases[n].tier for n in ordering.order] == ["strong", "mixed", "weak"]
    assert "edge_one_line" in expected.edge_cases


def test_every_expected_ordering_holds(
    graded: tuple[dict[str, Scorecard], Expected, dict[str, object]],
) -> None:
    cards, expected, _ = graded
    failed = [p for p in pairs(cards, expected) if not p.ok]
    assert not failed, "\n".join(
        f"{p.kind} {p.measure}: {p.higher}={p.higher_value} !> {p.lower}={p.lower_value}" for p in failed
    )


def test_edge_cases_within_bounds(graded: tuple[dict[str, Scorecard], Expected, dict[str, object]]) -> None:
    cards, expected, cases = graded
    assert edge_failures(cards, cases, expected) == []  # type: ignore[arg-type]


def test_grading_is_reproducible(
    library: ContentLibrary, graded: tuple[dict[str, Scorecard], Expected, dict[str, object]]
) -> None:
    cards, _, _ = graded
    cases, _ = load_set(FOLDER)
    for name in ("discovery_strong", "negotiation_mixed", "transcript_weak"):
        assert fingerprint(grade_case(cases[name], library)) == fingerprint(cards[name]), name
