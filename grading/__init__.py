"""The grader: transparent, deterministic scorecards for practice sessions and real call transcripts.

Public API::

    grade_session(transcript, scenario=..., persona=..., outcome=..., llm=...) -> Scorecard
    parse_transcript(text_or_json, rep=...) -> ParsedTranscript
    rubric_for_scenario(scenario) -> list[RubricEntry]
    render_markdown(scorecard) -> str

See docs/grading.md for every rule.
"""

from grading.errors import RepSpeakerError, TranscriptError
from grading.grader import GRADER_VERSION, GradeOptions, grade_session
from grading.judge import JudgeSettings
from grading.render import render_markdown
from grading.rubric import COMPETENCY_IDS, RubricEntry, load_rubric, rubric_for_scenario
from grading.scorecard import Scorecard
from grading.transcript import (
    MAX_BYTES,
    MAX_TURNS,
    ParsedTranscript,
    decode_transcript,
    parse_transcript,
    to_records,
)

__all__ = [
    "COMPETENCY_IDS",
    "GRADER_VERSION",
    "MAX_BYTES",
    "MAX_TURNS",
    "GradeOptions",
    "JudgeSettings",
    "ParsedTranscript",
    "RepSpeakerError",
    "RubricEntry",
    "Scorecard",
    "TranscriptError",
    "decode_transcript",
    "grade_session",
    "load_rubric",
    "parse_transcript",
    "render_markdown",
    "rubric_for_scenario",
    "to_records",
]
