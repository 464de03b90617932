"""The calibration set: strong > mixed > weak for every kind and every shipped drill, overall and on the
targeted competency; each drill's strong case wins the drill, its mixed and weak cases do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from grading.calibration import Expected, edge_failures, fingerprint, grade_case, load_set, pairs
from grading.scorecard import Scorecard
from simulator.content.loader import ContentLibrary

FOLDER = Path(__file__).parent / "calibration"
TARGET = {
    "discovery": "discovery_questioning",
    "objection_handling": "objection_handling",
    "negotiation": "negotiation",
}
"""The competency each kind of drill trains: the one its calibration ordering targets."""
_, _EXPECTED = load_set(FOLDER)
_ORDERINGS = {o.order[0].removesuffix("_strong"): o for o in _EXPECTED.orderings}


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


def _target_checks(card: Scorecard, target: str) -> str:
    comp = card.competency(target)
    if comp is None:
        return "not scored"
    return ", ".join(f"{'+' if ch.passed else '-'}{ch.id}" for ch in comp.checks)


@pytest.mark.parametrize("label", sorted(_ORDERINGS))
def test_expected_ordering_holds(
    label: str, graded: tuple[dict[str, Scorecard], Expected, dict[str, object]]
) -> None:
    """strong > mixed > weak, overall and on the targeted competency (one test per kind and per drill)."""
    cards = graded[0]
    ordering = _ORDERINGS[label]
    failed = [p for p in pairs(cards, Expected(orderings=[ordering])) if not p.ok]
    assert not failed, "\n".join(
        f"{p.kind} {p.measure}: {p.higher}={p.higher_value} !> {p.lower}={p.lower_value}" for p in failed
    ) + "".join(
        f"\n  {name}: overall {cards[name].overall}; {ordering.target} "
        f"{_target_checks(cards[name], ordering.target)}"
        for name in ordering.order
    )


def test_every_shipped_drill_is_calibrated(library: ContentLibrary) -> None:
    """Each drill in scenarios/ has <drill-id>_strong/_mixed/_weak cases of that drill, ordered on its target."""
    cases, expected = load_set(FOLDER)
    for scenario in library.scenarios.values():
        names = [f"{scenario.id}_{tier}" for tier in ("strong", "mixed", "weak")]
        for name, tier in zip(names, ("strong", "mixed", "weak"), strict=True):
            assert name in cases, f"missing calibration case {name}"
            assert cases[name].scenario == scenario.id and cases[name].tier == tier, name
        matching = [o for o in expected.orderings if o.order == names]
        assert matching, f"expected.yaml has no ordering {names}"
        assert matching[0].target == TARGET[scenario.kind], f"{scenario.id} must target {TARGET[scenario.kind]}"
        assert matching[0].kind == scenario.kind


@pytest.mark.parametrize("drill", sorted(label for label, o in _ORDERINGS.items() if o.kind in TARGET))
def test_drill_cases_play_as_intended(
    drill: str, graded: tuple[dict[str, Scorecard], Expected, dict[str, object]]
) -> None:
    """The strong case wins its drill (the director's outcome); the mixed and weak cases do not."""
    cards = graded[0]
    won = {}
    for name in _ORDERINGS[drill].order:
        outcome = cards[name].outcome
        assert outcome is not None, f"{name} is not a practice case"
        won[name] = bool(outcome["success"])
    strong, mixed, weak = _ORDERINGS[drill].order
    assert won == {strong: True, mixed: False, weak: False}, won


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
