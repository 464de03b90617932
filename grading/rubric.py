"""The rubric: competencies, their five levels, the checks that score them and their weights.

The rubric is data (``grading/rubric.yaml``), validated by pydantic models that forbid unknown
fields; errors name the file and each bad field. :func:`rubric_for_scenario` gives the rep the
competencies and weights of a drill before they practise.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simulator.content.competencies import COMPETENCY_IDS
from simulator.content.loader import load_model
from simulator.content.models import Scenario

CallKind = Literal["discovery", "objection_handling", "negotiation", "transcript"]
"""The three scenario kinds, and 'transcript' for a real call graded without a scenario."""

CALL_KINDS: tuple[CallKind, ...] = ("discovery", "objection_handling", "negotiation", "transcript")

ParamValue = int | float


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Check(_Strict):
    """One observable behaviour. A competency's score is 1 + the number of its checks passed."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str = Field(description="What the check looks for; '{name}' is replaced by params[name].")
    params: dict[str, ParamValue] = Field(default_factory=dict, description="Thresholds used by the code.")
    tip: str = Field(description="What to do differently when the check is missed.")

    @model_validator(mode="after")
    def _text_fills(self) -> Check:
        try:
            self.text.format(**self.params)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"text of check {self.id!r} names a param that is not set: {exc}") from exc
        return self

    def describe(self) -> str:
        """The check's text with its thresholds filled in."""
        return self.text.format(**self.params)


class Weights(_Strict):
    """How much a competency counts in the overall score, per kind of call."""

    discovery: float = Field(ge=0, le=1)
    objection_handling: float = Field(ge=0, le=1)
    negotiation: float = Field(ge=0, le=1)
    transcript: float = Field(ge=0, le=1)

    def for_kind(self, kind: CallKind) -> float:
        """The weight for one kind of call."""
        return float(getattr(self, kind))


class Competency(_Strict):
    """One rubric dimension with five observable levels and four checks."""

    id: str
    name: str
    description: str
    levels: list[str] = Field(min_length=5, max_length=5, description="Level 1..5, as observable behaviours.")
    checks: list[Check] = Field(min_length=4, max_length=4)
    weights: Weights
    llm_adjustable: bool = Field(default=False, description="An LLM may move the score by one level.")

    @field_validator("id")
    @classmethod
    def _known_id(cls, value: str) -> str:
        if value not in COMPETENCY_IDS:
            raise ValueError(f"unknown competency id {value!r}; valid: {', '.join(COMPETENCY_IDS)}")
        return value

    def level_text(self, score: int) -> str:
        """The behaviour described for a score of 1..5."""
        return self.levels[max(1, min(5, score)) - 1]


class Rubric(_Strict):
    """The whole rubric file."""

    version: int = Field(ge=1)
    scale: str
    competencies: list[Competency]

    @model_validator(mode="after")
    def _complete(self) -> Rubric:
        ids = [c.id for c in self.competencies]
        if sorted(ids) != sorted(COMPETENCY_IDS):
            missing = sorted(set(COMPETENCY_IDS) - set(ids))
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(
                f"competencies must be exactly {', '.join(COMPETENCY_IDS)} "
                f"(missing: {missing or 'none'}, duplicated: {dupes or 'none'})"
            )
        for kind in CALL_KINDS:
            total = sum(c.weights.for_kind(kind) for c in self.competencies)
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"weights for {kind} add up to {total:.3f}, expected 1")
        return self

    def competency(self, competency_id: str) -> Competency:
        """The competency with this id (KeyError if unknown)."""
        for comp in self.competencies:
            if comp.id == competency_id:
                return comp
        raise KeyError(competency_id)


class RubricEntry(BaseModel):
    """One competency as shown to a rep before practising."""

    id: str
    name: str
    description: str
    weight: float
    trained: bool
    """True when the scenario lists this competency as one it trains."""
    levels: list[str]
    checks: list[str]
    """How the score is computed: score = 1 + checks passed."""


def rubric_path() -> Path:
    """Where the shipped rubric lives."""
    return Path(str(resources.files("grading"))) / "rubric.yaml"


@lru_cache(maxsize=4)
def load_rubric(path: Path | None = None) -> Rubric:
    """Load and validate the rubric (cached per path). Raises ContentError naming file and field."""
    return load_model(path or rubric_path(), Rubric)


@lru_cache(maxsize=4)
def rubric_fingerprint(path: Path | None = None) -> str:
    """A short hash of the rubric file's bytes, recorded in every scorecard."""
    return hashlib.sha256((path or rubric_path()).read_bytes()).hexdigest()[:12]


def kind_of(scenario: Scenario | None) -> CallKind:
    """The weight column for a call: the scenario's kind, or 'transcript' without a scenario."""
    return scenario.kind if scenario is not None else "transcript"


def rubric_for_scenario(scenario: Scenario | None, rubric: Rubric | None = None) -> list[RubricEntry]:
    """The competencies that count for this drill (weight > 0), heaviest first, with their checks."""
    rubric = rubric or load_rubric()
    kind = kind_of(scenario)
    trained = set(scenario.competencies) if scenario is not None else set()
    entries = [
        RubricEntry(
            id=c.id,
            name=c.name,
            description=c.description,
            weight=c.weights.for_kind(kind),
            trained=c.id in trained,
            levels=list(c.levels),
            checks=[ch.describe() for ch in c.checks],
        )
        for c in rubric.competencies
        if c.weights.for_kind(kind) > 0
    ]
    order = {cid: i for i, cid in enumerate(COMPETENCY_IDS)}
    return sorted(entries, key=lambda e: (-e.weight, order[e.id]))
