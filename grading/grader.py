"""Grade a call: the one entry point the CLI, the app and the service use.

Same transcript + same settings -> the same scorecard: no clock is read (a timestamp appears only
when the caller passes one), every ordering is fixed, and the LLM (when generative) runs at
temperature 0 with a fixed seed and may only move two competencies by one level.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from grading import coaching
from grading.errors import TranscriptError
from grading.judge import JudgeResult, JudgeSettings, apply_adjustments, judge, judge_enabled
from grading.metrics import compute_numbers, metric_entries
from grading.rubric import Rubric, load_rubric, rubric_fingerprint
from grading.scorecard import GraderSettings, Scorecard
from grading.scoring import overall_score, score_all, validate_rubric
from grading.transcript import MAX_TURNS
from grading.view import WORDS_PER_MINUTE, build_view
from simulator.content.loader import ContentLibrary, load_library
from simulator.content.models import Persona, Scenario
from simulator.engine.state import Outcome, TurnRecord
from simulator.errors import SparringError
from simulator.llm.base import LLM, model_name_of

GRADER_VERSION = "1.0.0"


@dataclass(frozen=True)
class GradeOptions:
    """Settings that change a grade (all recorded in the scorecard's settings)."""

    judge: JudgeSettings = field(default_factory=JudgeSettings)
    rubric_path: Path | None = None
    graded_at: str | None = None
    """A timestamp to print on the card; the grader never reads the clock itself."""
    difficulty: str | None = None
    rep_speaker: str | None = None


@lru_cache(maxsize=4)
def _checked_rubric(path: Path | None) -> Rubric:
    rubric = load_rubric(path)
    validate_rubric(rubric)
    return rubric


@lru_cache(maxsize=1)
def _builtin_library() -> ContentLibrary | None:
    try:
        return load_library()
    except SparringError:
        return None


def _check_transcript(transcript: list[TurnRecord]) -> None:
    if not transcript:
        raise TranscriptError("empty transcript: nothing to grade")
    if len(transcript) > MAX_TURNS:
        raise TranscriptError(
            f"{len(transcript):,} turns is over the {MAX_TURNS:,}-turn limit; split the call"
        )
    if not any(t.get("speaker") == "rep" for t in transcript):
        raise TranscriptError("the transcript has no rep lines: nothing to grade")


MODEL_FAILURES = ("deadline", "llm error", "cancelled")
"""How the actor records a buyer line the model could not voice (``TurnRecord.rejected``)."""


def model_failed_in_call(transcript: Sequence[Any]) -> str | None:
    """Why the voice model failed on the call's last buyer line, if it did (then a judge call would
    most likely wait out its whole deadline too, and End must not): None when it answered."""
    buyers = [t for t in transcript if isinstance(t, dict) and t.get("speaker") == "buyer"]
    reason = str(buyers[-1].get("rejected") or "") if buyers else ""
    found = re.search(r"\b(" + "|".join(MODEL_FAILURES) + r"):", reason)  # also "reaction kept, rest …: deadline: …"
    return found.group(1) if found else None


def _prefetch_embeddings(transcript: Sequence[TurnRecord]) -> None:
    """Embed every text the rep and buyer readers will embed for this call, in a few batched model runs
    (sorted by length) instead of one run per text. Speed only: a text's vector is the same bits alone or
    in a batch, so no grade changes; the readers then find every vector in the embedder's cache."""
    from simulator.understanding.buyer import embedded_text
    from simulator.understanding.embedding import EmbeddingModelError, shared_embedder
    from simulator.understanding.reader import embedded_texts, models_enabled

    if not models_enabled():
        return
    texts: list[str] = []
    for turn in transcript:
        text = turn.get("text") or ""
        if turn.get("speaker") == "rep":
            if turn.get("analysis") is None:
                texts += embedded_texts(text)
        elif not turn.get("move"):
            found = embedded_text(text)
            if found is not None:
                texts.append(found)
    if texts:
        try:
            shared_embedder().embed_many(texts)
        except EmbeddingModelError:
            return  # the readers report it as they always have


def grade_session(
    transcript: list[TurnRecord],
    *,
    scenario: Scenario | None,
    persona: Persona | None,
    outcome: Outcome | None,
    llm: LLM | None,
    previous: dict[str, Any] | None = None,
    library: ContentLibrary | None = None,
    options: GradeOptions | None = None,
) -> Scorecard:
    """Grade one call. Rule-based and complete without a generative LLM; see docs/grading.md."""
    options = options or GradeOptions()
    _check_transcript(transcript)
    rubric = _checked_rubric(options.rubric_path)
    if persona is None and scenario is not None and library is not None:
        persona = library.personas.get(scenario.persona)
    _prefetch_embeddings(transcript)
    view = build_view(transcript, scenario=scenario, persona=persona, outcome=outcome)
    responds = next(ch for ch in rubric.competency("objection_handling").checks if ch.id == "responds")
    min_words = responds.params.get("min_words", 12)
    numbers = compute_numbers(view, min_answer_words=int(min_words))
    scores, skipped = score_all(rubric, view, numbers)
    warnings: list[str] = []
    result = JudgeResult("skipped")
    failing = model_failed_in_call(transcript)
    if failing and llm is not None and judge_enabled(llm, options.judge.mode):
        warnings.append(f"LLM judge skipped: the model failed in this call ({failing}); rule scores stand")
    elif llm is not None and judge_enabled(llm, options.judge.mode):
        result = judge(llm, rubric, view, scores, options.judge)
        scores = apply_adjustments(scores, rubric, result)
        if result.warning:
            warnings.append(result.warning)
    overall, overall_rule = overall_score(scores)
    good = coaching.went_well(scores)
    change = coaching.do_differently(scores, rubric)
    drill = coaching.next_drill(scores, library or _builtin_library(), scenario.id if scenario else None)
    compared = None
    if previous is not None:
        same = previous.get("scenario_id") == (scenario.id if scenario else None)
        if same:
            compared = coaching.comparison(scores, overall, previous)
        else:
            warnings.append("previous scorecard is for another scenario; no comparison made")
    used_llm = result.status in ("ok", "fallback") and llm is not None
    settings = GraderSettings(
        grader_version=GRADER_VERSION,
        rubric_version=rubric.version,
        rubric_sha256=rubric_fingerprint(options.rubric_path),
        kind=view.kind,
        judge="rules+llm" if used_llm else "rules",
        llm=model_name_of(llm) if llm is not None else None,
        temperature=options.judge.temperature if used_llm else None,
        seed=options.judge.seed if used_llm else None,
        words_per_minute=WORDS_PER_MINUTE,
    )
    return Scorecard(
        overall=overall,
        overall_rule=overall_rule,
        kind=view.kind,
        scenario_id=scenario.id if scenario else None,
        persona_id=persona.id if persona else None,
        difficulty=options.difficulty,
        rep_speaker=options.rep_speaker,
        competencies=scores,
        not_scored=skipped,
        metrics=metric_entries(numbers, view),
        takeaways=coaching.takeaways(good, change, drill),
        went_well=good,
        do_differently=change,
        better_line=coaching.better_line(scores, rubric, view, numbers),
        next_drill=drill,
        comparison=compared,
        outcome=dict(outcome) if outcome is not None else None,
        warnings=warnings,
        settings=settings,
        graded_at=options.graded_at,
    )
