"""The scorecard: what the grader returns. ``Scorecard.model_dump(mode="json")`` is the JSON form.

Every number on it can be checked by hand from the transcript: each competency lists the checks
behind its score, and each piece of evidence quotes a rep line verbatim with its turn index.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Source = Literal["rules", "rules+llm", "rules (llm reply invalid, fell back)"]
MetricValue = bool | int | float | str | list[float] | None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Evidence(_Model):
    """A rep line that supports (or counts against) a check."""

    turn: int = Field(description="Turn index in the transcript.")
    quote: str = Field(description="The rep's line, verbatim.")
    check: str
    supports: bool = Field(description="True if the line shows the behaviour; False if it shows it missing.")
    note: str
    response_turn: int | None = Field(default=None, description="The buyer's reply to this line, if any.")
    response: str | None = Field(default=None, description="The buyer's reply, verbatim.")
    effect: str | None = Field(default=None, description="What the buyer did in reply (move or act).")


class CheckResult(_Model):
    id: str
    text: str
    passed: bool
    detail: str = Field(description="What was counted, e.g. 'asked 6 questions (turns 1, 3, 5)'.")


class LLMAdjustment(_Model):
    delta: Literal[-1, 0, 1]
    turn: int
    quote: str = Field(description="The cited rep line, copied from the transcript in code.")
    reason: str


class CompetencyScore(_Model):
    id: str
    name: str
    score: int = Field(ge=1, le=5)
    rule_score: int = Field(ge=1, le=5, description="The score from the checks alone.")
    weight: float
    trained: bool = Field(description="The scenario lists this competency as one it trains.")
    level: str = Field(description="The rubric's description of this score.")
    rule: str = Field(description="How the score was reached, in plain words.")
    checks: list[CheckResult]
    evidence: list[Evidence]
    source: Source
    llm: LLMAdjustment | None = None


class NotScored(_Model):
    id: str
    name: str
    reason: str


class Metric(_Model):
    id: str
    name: str
    value: MetricValue
    unit: str
    benchmark: str | None = None
    source: str | None = None
    applicable: bool = True
    note: str = ""


class BetterLine(_Model):
    competency: str
    turn: int
    original: str = Field(description="The rep's line, verbatim.")
    better: str
    why: str


class NextDrill(_Model):
    scenario_id: str
    title: str
    competency: str
    why: str


class CompetencyChange(_Model):
    previous: int | None
    now: int
    delta: int | None


class Comparison(_Model):
    previous_overall: int | None
    overall_delta: int | None
    competencies: dict[str, CompetencyChange]
    summary: str


class GraderSettings(_Model):
    grader_version: str
    rubric_version: int
    rubric_sha256: str
    kind: str
    judge: Literal["rules", "rules+llm"]
    llm: str | None
    temperature: float | None
    seed: int | None
    words_per_minute: int


class Scorecard(_Model):
    overall: int = Field(ge=0, le=100)
    overall_rule: str
    kind: str
    scenario_id: str | None
    persona_id: str | None
    difficulty: str | None = None
    rep_speaker: str | None = None
    competencies: list[CompetencyScore]
    not_scored: list[NotScored]
    metrics: dict[str, Metric]
    takeaways: list[str] = Field(max_length=3)
    went_well: list[str]
    do_differently: list[str]
    better_line: BetterLine | None
    next_drill: NextDrill | None
    comparison: Comparison | None
    outcome: dict[str, Any] | None
    warnings: list[str]
    settings: GraderSettings
    graded_at: str | None = Field(default=None, description="Only when the caller passes a timestamp.")

    def competency(self, competency_id: str) -> CompetencyScore | None:
        """The scored competency with this id, if it was scored."""
        return next((c for c in self.competencies if c.id == competency_id), None)
