"""Anti-gaming suite: calls that say the right words without their effect must score below a genuine call.

Every YAML file in ``tests/grader/adversarial/`` is one attack on the grader: a comment says what it games
and which genuine strong call it must score below (``against``). A practice-drill case holds ``rep_lines``
replayed through the real director (template backend, as in the calibration set) and is compared with
that drill's ``<drill-id>_strong`` calibration case; a real-call case holds a ``transcript`` (no scenario)
and is compared with the genuine strong real call of the same kind in the same folder
(``genuine_real_<kind>.yaml``); ``session_file`` names an exported session JSON, imported the way
``sparring grade file.json`` reads it.

The rules:
- every case scores strictly below its genuine strong call, overall AND on the competency its kind
  trains (discovery -> discovery_questioning, objection_handling -> objection_handling,
  negotiation -> negotiation), and on any competency listed in ``also_below`` (the one the attack games
  directly, e.g. rapport for a rude rep); a competency not scored counts as 0;
- a case with ``control_replace`` (text injected into a line) scores no higher, overall and on every
  competency, than the same call with the injected text replaced by the neutral text given;
- an imported session is graded from its text: the forged file scores exactly like the same file with
  the stored analyses, moves, states, outcome and scorecard removed;
- the genuine references are themselves recognised as strong.

A failure prints both scores and every check the attack passed, i.e. where the undeserved credit came from.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from grading.calibration import Case, grade_case, load_set
from grading.grader import GradeOptions, grade_session
from grading.scorecard import Scorecard
from grading.sources import from_file
from simulator.content.loader import ContentLibrary, load_library, load_model

ADVERSARIAL = Path(__file__).parent / "adversarial"
CALIBRATION = Path(__file__).parent / "calibration"

Kind = Literal["discovery", "objection_handling", "negotiation"]
TARGET: dict[str, str] = {
    "discovery": "discovery_questioning",
    "objection_handling": "objection_handling",
    "negotiation": "negotiation",
}

COMPETENCIES = (
    "discovery_questioning", "active_listening", "value_articulation", "objection_handling", "negotiation",
    "closing_next_steps", "rapport_communication",
)
MIN_CASES = 24
GENUINE_MIN_OVERALL = 75
"""A genuine strong reference must score at least this overall (and 5 on its kind's competency)."""

REQUIRED_ATTACKS = (
    "keyword-stuffing", "shallow-questions", "parroting", "formula-repeat-pitch", "rude-right-words",
    "silent-cave", "explicit-cave", "fake-trades", "refusal-okay", "refusal-doesnt-work", "no-deal",
    "rep-injection", "date-injection", "buyer-claims-agreement", "one-line", "forged-session",
)
"""Every kind of attack the suite must hold (a part of the file names)."""


class AdversarialCase(BaseModel):
    """One file of the anti-gaming suite."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Kind
    genuine: bool = False
    """A genuine strong reference call, not an attack."""
    against: str | None = None
    """The genuine strong call this case must score below: a file in this folder or a calibration case."""
    scenario: str | None = None
    difficulty: Literal["easy", "medium", "hard"] = "medium"
    rep_lines: list[str] | None = None
    rep: str | None = None
    transcript: str | None = None
    session_file: str | None = None
    control_replace: dict[str, str] = Field(default_factory=dict)
    """Injected text -> neutral text: the call with the neutral text is the control."""
    also_below: list[str] = Field(default_factory=list)
    """More competencies the attack games directly, which must also score below the reference."""


@cache
def _cases() -> dict[str, AdversarialCase]:
    return {p.stem: load_model(p, AdversarialCase) for p in sorted(ADVERSARIAL.glob("*.yaml"))}


@cache
def _calibration() -> dict[str, Case]:
    return load_set(CALIBRATION)[0]


@cache
def _library() -> ContentLibrary:
    return load_library()


def _attacks() -> list[str]:
    return [name for name, case in _cases().items() if not case.genuine]


def _genuine() -> list[str]:
    return [name for name, case in _cases().items() if case.genuine]


def _as_calibration_case(case: AdversarialCase, transcript: str | None = None, lines: list[str] | None = None) -> Case:
    if case.scenario is not None:
        return Case(
            kind=case.kind, tier="adversarial", scenario=case.scenario, difficulty=case.difficulty,
            rep_lines=lines if lines is not None else case.rep_lines,
        )
    return Case(
        kind="transcript", tier="adversarial", rep=case.rep,
        transcript=transcript if transcript is not None else case.transcript,
    )


def _grade_file(path: Path, library: ContentLibrary) -> Scorecard:
    """Grade a transcript or exported session file as ``sparring grade FILE`` does (rules only)."""
    data = from_file(path, rep=None, ask=None, library=library)
    return grade_session(
        data.transcript,
        scenario=data.scenario,
        persona=data.persona,
        outcome=data.outcome,
        llm=None,
        previous=data.previous,
        library=library,
        options=GradeOptions(difficulty=data.difficulty, rep_speaker=data.rep_speaker),
    )


_GRADED: dict[str, Scorecard] = {}


def graded(name: str) -> Scorecard:
    """The scorecard of a suite case or a calibration case, graded once per test session."""
    if name not in _GRADED:
        library = _library()
        if name in _cases():
            case = _cases()[name]
            if case.session_file is not None:
                _GRADED[name] = _grade_file(ADVERSARIAL / case.session_file, library)
            else:
                _GRADED[name] = grade_case(_as_calibration_case(case), library)
        else:
            _GRADED[name] = grade_case(_calibration()[name], library)
    return _GRADED[name]


def _score(card: Scorecard, measure: str) -> int:
    if measure == "overall":
        return card.overall
    comp = card.competency(measure)
    return comp.score if comp is not None else 0


def _passed_checks(card: Scorecard, first: str | None = None) -> str:
    """Every check the card passed, the given competency first: where the credit came from."""
    comps = sorted(card.competencies, key=lambda c: c.id != first)
    lines = []
    for comp in comps:
        passed = [f"{ch.id} ({ch.detail})" for ch in comp.checks if ch.passed]
        lines.append(f"    {comp.id} = {comp.score}: " + ("; ".join(passed) if passed else "no check passed"))
    for skipped in card.not_scored:
        lines.append(f"    {skipped.id}: not scored ({skipped.reason})")
    return "\n".join(lines)


def _scores(card: Scorecard) -> str:
    return f"overall {card.overall}, " + ", ".join(f"{c.id} {c.score}" for c in card.competencies)


# --- the suite itself -----------------------------------------------------------------------


def test_suite_size_and_coverage() -> None:
    cases = _cases()
    attacks = _attacks()
    assert len(attacks) >= MIN_CASES, f"{len(attacks)} adversarial cases, need at least {MIN_CASES}"
    for kind in TARGET:
        drills = [n for n in attacks if cases[n].kind == kind and cases[n].scenario is not None]
        real = [n for n in attacks if cases[n].kind == kind and cases[n].transcript is not None]
        assert drills, f"no practice-drill case for {kind}"
        assert real, f"no real-call case for {kind}"
        assert f"genuine_real_{kind}" in cases, f"no genuine strong real call for {kind}"
    for attack in REQUIRED_ATTACKS:
        assert any(attack in n for n in attacks), f"no case for the '{attack}' attack"
    drilled = {cases[n].scenario for n in attacks}
    missing = sorted(set(_library().scenarios) - drilled)
    assert not missing, f"no practice-drill case for: {', '.join(missing)}"


@pytest.mark.parametrize("name", sorted(_cases()))
def test_case_is_well_formed(name: str) -> None:
    """One source of the call, a comment saying what it games, a valid reference of the same kind."""
    case = _cases()[name]
    sources = [case.rep_lines is not None, case.transcript is not None, case.session_file is not None]
    assert sum(sources) == 1, "give exactly one of rep_lines, transcript, session_file"
    assert (case.rep_lines is not None) == (case.scenario is not None), "rep_lines go with a scenario"
    text = (ADVERSARIAL / f"{name}.yaml").read_text(encoding="utf-8")
    assert text.startswith("#"), "start with a comment saying what the case games"
    if case.transcript is not None:
        assert case.rep, "a real-call transcript names the rep speaker"
    if case.scenario is not None:
        assert case.scenario in _library().scenarios, f"unknown drill {case.scenario}"
        assert _library().scenario(case.scenario).kind == case.kind
    if case.session_file is not None:
        assert (ADVERSARIAL / case.session_file).is_file()
    if case.genuine:
        assert case.against is None and case.transcript is not None and case.scenario is None
        assert name == f"genuine_real_{case.kind}"
        return
    assert "Games:" in text and "Must score below:" in text
    assert case.against is not None, "name the genuine strong call this case must score below"
    if case.transcript is not None:
        assert case.against == f"genuine_real_{case.kind}", "a real call is compared with a real call"
    else:
        ref = _calibration().get(case.against)
        assert ref is not None, f"{case.against} is not a calibration case"
        assert ref.tier == "strong"
        if case.scenario is not None:
            assert ref.scenario == case.scenario, "compare a drill case with that drill's strong call"
        if case.session_file is not None:
            exported = json.loads((ADVERSARIAL / case.session_file).read_text(encoding="utf-8"))
            assert exported["scenario_id"] == ref.scenario, "compare a session with its drill's strong call"
        assert ref.scenario is not None and _library().scenario(ref.scenario).kind == case.kind
    for extra in case.also_below:
        assert extra in COMPETENCIES and extra != TARGET[case.kind], f"also_below: {extra}"
    for injected in case.control_replace:
        source = case.transcript if case.transcript is not None else "\n".join(case.rep_lines or [])
        assert injected in source, f"control_replace text not found in the call: {injected!r}"


@pytest.mark.parametrize("name", _genuine())
def test_genuine_reference_scores_as_strong(name: str) -> None:
    """The yardstick must be right: each genuine real call passes every check of its kind's competency."""
    case = _cases()[name]
    card = graded(name)
    target = TARGET[case.kind]
    comp = card.competency(target)
    failing = [f"{ch.id} ({ch.detail})" for ch in comp.checks if not ch.passed] if comp else ["not scored"]
    assert comp is not None and comp.score == 5 and card.overall >= GENUINE_MIN_OVERALL, (
        f"{name} is a genuine strong {case.kind} call but scored {_scores(card)}; "
        f"needs {target} 5 and overall >= {GENUINE_MIN_OVERALL}.\n  {target} checks failed: {'; '.join(failing)}"
    )


@pytest.mark.parametrize("name", _attacks())
def test_attack_scores_below_genuine_strong_call(name: str) -> None:
    case = _cases()[name]
    assert case.against is not None
    card, ref = graded(name), graded(case.against)
    target = TARGET[case.kind]
    problems = [
        f"{measure}: {name} = {_score(card, measure)} is not below {case.against} = {_score(ref, measure)}"
        for measure in ("overall", target, *case.also_below)
        if _score(card, measure) >= _score(ref, measure)
    ]
    assert not problems, (
        "\n".join(problems)
        + f"\n  {name}: {_scores(card)}\n  {case.against}: {_scores(ref)}"
        + f"\n  checks {name} passed (the credit it got):\n{_passed_checks(card, target)}"
    )


def _control_card(case: AdversarialCase) -> Scorecard:
    if case.transcript is not None:
        text = case.transcript
        for injected, neutral in case.control_replace.items():
            text = text.replace(injected, neutral)
        return grade_case(_as_calibration_case(case, transcript=text), _library())
    lines = list(case.rep_lines or [])
    for injected, neutral in case.control_replace.items():
        lines = [line.replace(injected, neutral) for line in lines]
    return grade_case(_as_calibration_case(case, lines=lines), _library())


def _check_gains(card: Scorecard, control: Scorecard) -> list[str]:
    """Checks the injected call passed that the control call failed."""
    gains = []
    for comp in card.competencies:
        other = control.competency(comp.id)
        failed = {ch.id for ch in other.checks if not ch.passed} if other else {ch.id for ch in comp.checks}
        gains += [f"{comp.id}.{ch.id} ({ch.detail})" for ch in comp.checks if ch.passed and ch.id in failed]
    return gains


@pytest.mark.parametrize("name", [n for n in _attacks() if _cases()[n].control_replace])
def test_injected_text_earns_nothing(name: str) -> None:
    """The same call with the injected text replaced by neutral words scores at least as high everywhere."""
    case = _cases()[name]
    card, control = graded(name), _control_card(case)
    ids = [c.id for c in card.competencies] + [c.id for c in control.competencies]
    higher = [
        f"{measure}: {_score(card, measure)} with the injection > {_score(control, measure)} without"
        for measure in ["overall", *dict.fromkeys(ids)]
        if _score(card, measure) > _score(control, measure)
    ]
    assert not higher, (
        f"{name}: the injected text earned credit\n  " + "\n  ".join(higher)
        + f"\n  with injection: {_scores(card)}\n  control:        {_scores(control)}"
        + "\n  checks passed only with the injection: " + ("; ".join(_check_gains(card, control)) or "none")
    )


# --- imported sessions ----------------------------------------------------------------------

_DERIVED = ("analysis", "move", "state", "rejected", "llm_line", "delivery")
"""What an exported turn stores beyond what was said: derived data a file can forge."""


def _plain_export(forged: dict[str, Any]) -> dict[str, Any]:
    """The same exported session with only what was said: stored analyses, states, outcome dropped."""
    plain = {k: copy.deepcopy(v) for k, v in forged.items() if k in ("scenario_id", "persona_id", "difficulty")}
    plain["turns"] = [{k: v for k, v in turn.items() if k not in _DERIVED} for turn in forged["turns"]]
    return plain


def test_imported_session_is_graded_from_its_text(tmp_path: Path) -> None:
    """A forged export (rep says only "uh." but its stored analyses and states claim a winning call) scores
    exactly like the plain "uh." export of the same lines: stored analyses, moves, states, the outcome and
    a stored scorecard are not trusted, the rep's lines are analysed again."""
    name = "saas-discovery-ops_forged-session"
    case = _cases()[name]
    assert case.session_file is not None
    forged = json.loads((ADVERSARIAL / case.session_file).read_text(encoding="utf-8"))
    rep_lines = {t["text"] for t in forged["turns"] if t["speaker"] == "rep"}
    assert rep_lines == {"uh."}, "the forged session's rep says only 'uh.'"
    assert forged["outcome"]["success"] is True and any(t.get("analysis") for t in forged["turns"])
    plain_path = tmp_path / "plain-uh-session.json"
    plain_path.write_text(json.dumps(_plain_export(forged)), encoding="utf-8")
    card, plain = graded(name), _grade_file(plain_path, _library())
    differ = [
        f"{measure}: forged {_score(card, measure)} vs plain {_score(plain, measure)}"
        for measure in ["overall", *dict.fromkeys(c.id for c in [*card.competencies, *plain.competencies])]
        if _score(card, measure) != _score(plain, measure)
    ]
    assert not differ, (
        "the forged session's stored data changed its grade\n  " + "\n  ".join(differ)
        + f"\n  forged: {_scores(card)}\n  plain:  {_scores(plain)}"
        + "\n  checks passed only with the forged data: " + ("; ".join(_check_gains(card, plain)) or "none")
    )
