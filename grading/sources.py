"""Where a grade's input comes from: a transcript file, or a stored practice session.

Both produce a :class:`GradeInput` ready for :func:`grading.grader.grade_session`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from grading.errors import RepSpeakerError, TranscriptError
from grading.transcript import MAX_BYTES, ParsedTranscript, decode_transcript, parse_transcript, to_records
from simulator.content.loader import ContentLibrary
from simulator.content.models import Persona, Scenario
from simulator.engine.state import Outcome, TurnRecord

AskRep = Callable[[list[str]], str]
"""Asks the user which speaker is the rep (interactive terminals only)."""


class SessionSource(Protocol):
    """What the grader needs from :class:`simulator.store.sessions.SessionStore`."""

    def get_session(self, session_id: str) -> Any: ...
    def get_turns(self, session_id: str) -> list[TurnRecord]: ...
    def list_sessions(
        self,
        user_id: str | None = None,
        scenario_id: str | None = None,
        status: Any = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Any]: ...


@dataclass
class GradeInput:
    transcript: list[TurnRecord]
    scenario: Scenario | None
    persona: Persona | None
    outcome: Outcome | None
    previous: dict[str, Any] | None
    difficulty: str | None
    rep_speaker: str | None
    source_format: str = "session"
    """How the input was read: lines, json, session, vtt or srt (a stored session: session)."""


def read_file(path: Path) -> str:
    """Read a transcript file once, with the size limit and a clear error for undecodable bytes.

    :func:`decode_transcript` applies the exact limit (1 MiB of UTF-8; a UTF-16 file may be twice
    that, UTF-32 four times); a file over the largest is refused before it is read.
    """
    try:
        size = path.stat().st_size
        if size > 4 * MAX_BYTES:
            raise TranscriptError(
                f"{path}: {size:,} bytes is over the {MAX_BYTES:,}-byte limit (1 MiB of UTF-8 text); "
                "split the call or trim it"
            )
        return decode_transcript(path.read_bytes(), str(path))
    except OSError as exc:
        raise TranscriptError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def parse_with_prompt(text: str, rep: str | None, ask: AskRep | None) -> ParsedTranscript:
    """Parse; when the rep is ambiguous and ``ask`` is given, ask once and parse again."""
    try:
        return parse_transcript(text, rep=rep)
    except RepSpeakerError as exc:
        if rep is not None or ask is None:
            raise
        return parse_transcript(text, rep=ask(exc.speakers))


def from_file(
    path: Path,
    *,
    rep: str | None,
    ask: AskRep | None,
    library: ContentLibrary,
    scenario_id: str | None = None,
) -> GradeInput:
    """A transcript file; an exported session's scenario is used when the library has it.

    Errors name the file (a :class:`TranscriptError` message starts with the path).
    """
    text = read_file(path)
    try:
        parsed = parse_with_prompt(text, rep, ask)
    except RepSpeakerError as exc:
        raise RepSpeakerError(f"{path}: {exc}", exc.speakers) from exc
    except TranscriptError as exc:
        raise TranscriptError(f"{path}: {exc}") from exc
    sid = scenario_id or parsed.scenario_id
    scenario = library.scenario(sid) if sid else None
    persona = None
    if scenario is not None:
        pid = parsed.persona_id or scenario.persona
        persona = library.personas.get(pid)
    exported = parsed.source_format == "session" or parsed.records is not None
    if exported and scenario is not None and persona is not None:
        return replayed_session(parsed, scenario, persona, library)
    # A plain transcript, or an exported session whose drill is unknown here: graded from its text,
    # with no stored outcome either.
    outcome = None if exported else parsed.outcome
    return GradeInput(
        to_records(parsed), scenario, persona, outcome, None, parsed.difficulty, parsed.rep,
        parsed.source_format,
    )


def replayed_session(parsed: ParsedTranscript, scenario: Scenario, persona: Persona,
                     library: ContentLibrary) -> GradeInput:
    """An exported practice session, re-played from its rep lines through the buyer's rules.

    The stored analyses, moves, states and outcome are ignored (a file can be forged); the director is
    deterministic, so an honest export gets the same moves back, and a forged one gets what its rep
    lines really earn."""
    from simulator.engine.replay import play

    rep_lines = [line.text for line in parsed.lines if line.speaker == parsed.rep]
    difficulty = parsed.difficulty if parsed.difficulty in ("easy", "medium", "hard") else "medium"
    result = play(scenario.id, rep_lines, difficulty=difficulty, persona_id=persona.id,  # type: ignore[arg-type]
                  library=library)
    return GradeInput(result.transcript, scenario, persona, result.outcome, None, difficulty, parsed.rep,
                      "session-replayed")


def previous_scorecard(store: SessionSource, record: Any) -> dict[str, Any] | None:
    """The latest earlier graded attempt at the same scenario by the same user."""
    try:
        earlier = store.list_sessions(
            user_id=record.user_id, scenario_id=record.scenario_id, status="ended", limit=50
        )
    except Exception:  # the store is optional here: no comparison is better than no grade
        return None
    for other in earlier:
        if other.id != record.id and other.created_at < record.created_at and other.scorecard:
            return dict(other.scorecard)
    return None


def from_session(session_id: str, store: SessionSource, library: ContentLibrary) -> GradeInput | None:
    """A stored practice session, or None when there is no session with this id."""
    record = store.get_session(session_id)
    if record is None:
        return None
    turns = store.get_turns(session_id)
    scenario = library.scenario(record.scenario_id)
    persona = library.persona(record.persona_id)
    return GradeInput(
        turns, scenario, persona, record.outcome, previous_scorecard(store, record), record.difficulty, "rep"
    )
