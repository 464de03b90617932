"""The calibration set: transcripts with known quality, and whether the grader orders them correctly.

Scenario cases hold only the rep's lines; they are replayed through the real director (template
backend, no LLM) so the buyer's moves and state are the engine's own. Real-call cases hold a plain
transcript. ``expected.yaml`` lists, per kind, the order strong > mixed > weak and the competency the
kind targets; edge cases carry their own bounds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from grading.grader import GradeOptions, grade_session
from grading.scorecard import Scorecard
from grading.transcript import parse_transcript, to_records
from simulator.content.loader import ContentLibrary, load_model
from simulator.llm.base import LLM


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expect(_Strict):
    min_overall: int | None = None
    max_overall: int | None = None


class Case(_Strict):
    """One calibration transcript."""

    kind: Literal["discovery", "objection_handling", "negotiation", "transcript", "edge"]
    tier: str
    scenario: str | None = None
    difficulty: Literal["easy", "medium", "hard"] = "medium"
    rep_lines: list[str] | None = None
    rep: str | None = None
    transcript: str | None = None
    expect: Expect = Field(default_factory=Expect)


class Ordering(_Strict):
    kind: str
    target: str
    order: list[str] = Field(min_length=2)


class Expected(_Strict):
    orderings: list[Ordering]
    edge_cases: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class Pair:
    """One expected 'a ranks above b' comparison and whether the grader agreed."""

    kind: str
    measure: str
    higher: str
    lower: str
    higher_value: int
    lower_value: int

    @property
    def ok(self) -> bool:
        return self.higher_value > self.lower_value


def load_set(folder: Path) -> tuple[dict[str, Case], Expected]:
    """All cases in a folder (by file stem) and the expected orderings."""
    cases = {p.stem: load_model(p, Case) for p in sorted(folder.glob("*.yaml")) if p.stem != "expected"}
    return cases, load_model(folder / "expected.yaml", Expected)


def grade_case(case: Case, library: ContentLibrary, llm: LLM | None = None) -> Scorecard:
    """Replay (scenario cases) or parse (transcripts), then grade."""
    if case.scenario is not None:
        from simulator.engine.replay import play_rep_lines

        result = play_rep_lines(
            case.scenario, list(case.rep_lines or []), difficulty=case.difficulty, library=library
        )
        scenario = library.scenario(case.scenario)
        return grade_session(
            result.transcript,
            scenario=scenario,
            persona=library.persona(scenario.persona),
            outcome=result.outcome,
            llm=llm,
            library=library,
            options=GradeOptions(difficulty=case.difficulty),
        )
    parsed = parse_transcript(case.transcript or "", rep=case.rep)
    return grade_session(
        to_records(parsed),
        scenario=None,
        persona=None,
        outcome=None,
        llm=llm,
        library=library,
        options=GradeOptions(rep_speaker=parsed.rep),
    )


def _score(card: Scorecard, measure: str) -> int:
    if measure == "overall":
        return card.overall
    comp = card.competency(measure)
    return comp.score if comp is not None else 0


def pairs(cards: dict[str, Scorecard], expected: Expected) -> list[Pair]:
    """Every expected pairwise ordering (overall and target competency) with the grader's values."""
    out: list[Pair] = []
    for ordering in expected.orderings:
        names = ordering.order
        for i, hi in enumerate(names):
            for lo in names[i + 1 :]:
                for measure in ("overall", ordering.target):
                    out.append(
                        Pair(
                            ordering.kind,
                            measure,
                            hi,
                            lo,
                            _score(cards[hi], measure),
                            _score(cards[lo], measure),
                        )
                    )
    return out


def edge_failures(cards: dict[str, Scorecard], cases: dict[str, Case], expected: Expected) -> list[str]:
    """Edge cases outside their bounds."""
    problems = []
    for name in expected.edge_cases:
        exp, overall = cases[name].expect, cards[name].overall
        if exp.min_overall is not None and overall < exp.min_overall:
            problems.append(f"{name}: overall {overall} < {exp.min_overall}")
        if exp.max_overall is not None and overall > exp.max_overall:
            problems.append(f"{name}: overall {overall} > {exp.max_overall}")
    return problems


def fingerprint(card: Scorecard) -> str:
    """The scorecard's canonical JSON, for reproducibility checks."""
    return json.dumps(card.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
