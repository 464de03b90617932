"""Read a transcript to grade: plain 'Speaker: text' lines (a real call) or JSON.

JSON may be a list of ``{"speaker", "text"}`` objects or an exported session (an object with
``turns``). Everything inside a line is treated as text: markup and instructions are data.
Limits keep a bad file from hanging the grader: :data:`MAX_BYTES` and :data:`MAX_TURNS`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from grading.errors import RepSpeakerError, TranscriptError
from simulator.engine.state import Outcome, TurnRecord

MAX_BYTES = 1_048_576
"""The largest transcript accepted (1 MiB)."""
MAX_TURNS = 2_000
"""The most turns accepted (after merging consecutive lines of one speaker)."""
MAX_SPEAKER_CHARS = 40

_STAMP = r"(?:[\[(]?\d{1,2}(?::\d{2}){1,2}(?:\.\d+)?[\])]?\s*(?:[-–]\s*)?)"
_LINE = re.compile(
    rf"^\s*{_STAMP}?(?P<speaker>[^:\n]{{1,{MAX_SPEAKER_CHARS}}}?)\s*{_STAMP}?:\s*(?P<text>.*)$"
)
_SPEAKER_OK = re.compile(r"^[^\W\d_][\w .'’&()/-]*$")
_REP_NAMES = ("rep", "seller", "sales rep", "salesperson")


@dataclass(frozen=True)
class Line:
    """One turn as read from the file."""

    speaker: str
    text: str
    seconds: float | None = None
    """Speaking time when the source records it (voice sessions); None otherwise."""


@dataclass(frozen=True)
class ParsedTranscript:
    """A transcript ready to grade."""

    lines: tuple[Line, ...]
    speakers: tuple[str, ...]
    """Distinct speakers in order of first appearance."""
    rep: str
    """The speaker graded as the rep."""
    source_format: Literal["lines", "json", "session"]
    scenario_id: str | None = None
    persona_id: str | None = None
    difficulty: str | None = None
    outcome: Outcome | None = None
    records: tuple[TurnRecord, ...] | None = None
    """An exported session's full turn records (with buyer moves and state), when present."""
    skipped_lines: int = 0
    """Lines before the first 'Speaker:' line (titles, headers), ignored."""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def buyers(self) -> list[str]:
        """Every speaker except the rep."""
        return [s for s in self.speakers if s != self.rep]


def decode_transcript(data: bytes, source: str = "transcript") -> str:
    """Decode UTF-8 (with or without BOM); a clear error names the first bad byte."""
    if len(data) > MAX_BYTES:
        raise TranscriptError(
            f"{source}: {len(data):,} bytes is over the {MAX_BYTES:,}-byte limit "
            "(1 MiB); split the call or trim it"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TranscriptError(
            f"{source}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}); save the transcript as UTF-8"
        ) from exc


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text.strip()


def _parse_lines(text: str) -> tuple[list[Line], int]:
    lines: list[Line] = []
    skipped = 0
    for raw in text.split("\n"):
        if not raw.strip():
            continue
        m = _LINE.match(raw)
        speaker = m.group("speaker").strip().strip("*_ ").strip() if m else ""
        if m and speaker and _SPEAKER_OK.match(speaker) and len(speaker.split()) <= 5:
            said = m.group("text").strip()
            if lines and lines[-1].speaker == speaker:
                lines[-1] = Line(speaker, f"{lines[-1].text} {said}".strip())
            else:
                lines.append(Line(speaker, said))
        elif lines:
            lines[-1] = Line(lines[-1].speaker, f"{lines[-1].text} {raw.strip()}".strip())
        else:
            skipped += 1
    return [ln for ln in lines if ln.text], skipped


def _field(item: dict[str, Any], names: Sequence[str], where: str) -> str:
    for name in names:
        value = item.get(name)
        if isinstance(value, str):
            return value
    raise TranscriptError(
        f"{where}: needs a string '{names[0]}' field (found keys: {', '.join(sorted(item))})"
    )


def _seconds(item: dict[str, Any]) -> float | None:
    value = item.get("speech_s", item.get("seconds"))
    return float(value) if isinstance(value, int | float) and value > 0 else None


def _json_lines(items: Any, where: str) -> list[Line]:
    if not isinstance(items, list):
        raise TranscriptError(f"{where}: expected a list of turns")
    out: list[Line] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise TranscriptError(f"{where}[{i}]: expected an object with 'speaker' and 'text'")
        speaker = _field(item, ("speaker", "name", "role"), f"{where}[{i}]").strip()
        said = _clean(_field(item, ("text", "content"), f"{where}[{i}]"))
        if speaker and said:
            out.append(Line(speaker, said, _seconds(item)))
    return out


def _is_record(item: Any) -> bool:
    return isinstance(item, dict) and item.get("speaker") in ("rep", "buyer") and "index" in item


def _resolve_rep(speakers: list[str], rep: str | None, default: str | None) -> str:
    listing = ", ".join(speakers)
    if len(speakers) < 2:
        raise TranscriptError(f"only one speaker ({listing}): a call needs the rep and at least one buyer")
    if rep is not None:
        for s in speakers:
            if s.casefold() == rep.strip().casefold():
                return s
        raise RepSpeakerError(f"rep speaker {rep!r} is not in the transcript; speakers: {listing}", speakers)
    if default is not None and default in speakers:
        return default
    named = [s for s in speakers if s.casefold() in _REP_NAMES]
    if len(named) == 1:
        return named[0]
    raise RepSpeakerError(f"which speaker is the rep? pass --rep with one of: {listing}", speakers)


def parse_transcript(text_or_json: str | bytes, *, rep: str | None) -> ParsedTranscript:
    """Parse a transcript; ``rep`` names the rep's speaker (case-insensitive).

    Without ``rep`` the rep is found only when unambiguous (an exported session, or exactly one
    speaker called 'Rep'/'Seller'); otherwise :class:`RepSpeakerError` lists the speakers.
    """
    raw = decode_transcript(text_or_json) if isinstance(text_or_json, bytes) else text_or_json
    if len(raw.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise TranscriptError(
            f"transcript is over the {MAX_BYTES:,}-byte limit (1 MiB); split the call or trim it"
        )
    text = _clean(raw)
    if not text:
        raise TranscriptError("empty transcript: nothing to grade")
    fmt: Literal["lines", "json", "session"] = "lines"
    meta: dict[str, Any] = {}
    records: tuple[TurnRecord, ...] | None = None
    skipped = 0
    data: Any = None
    if text[0] in "[{":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            if text[0] == "{":
                raise TranscriptError(
                    f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
                ) from exc
            data = None  # '[00:01] Alex: ...' is a plain transcript with timestamps
    if isinstance(data, dict):
        fmt = "session"
        turns = data.get("turns", data.get("transcript"))
        if turns is None:
            raise TranscriptError("JSON object needs a 'turns' list (an exported session)")
        lines = _json_lines(turns, "turns")
        if isinstance(turns, list) and turns and all(_is_record(t) for t in turns):
            records = tuple(turns)
        meta = {k: data.get(k) for k in ("scenario_id", "persona_id", "difficulty", "outcome")}
    elif isinstance(data, list):
        fmt = "json"
        lines = _json_lines(data, "transcript")
        if data and all(_is_record(t) for t in data):
            records = tuple(data)
    else:
        lines, skipped = _parse_lines(text)
    if not lines:
        raise TranscriptError(
            "empty transcript: no 'Speaker: text' lines found (one turn per line, "
            "e.g. 'Alex: Hi Dana, thanks for your time')"
        )
    if len(lines) > MAX_TURNS:
        raise TranscriptError(f"{len(lines):,} turns is over the {MAX_TURNS:,}-turn limit; split the call")
    speakers = list(dict.fromkeys(ln.speaker for ln in lines))
    default = "rep" if records is not None or fmt == "session" else None
    rep_speaker = _resolve_rep(speakers, rep, default)
    outcome = meta.get("outcome")
    return ParsedTranscript(
        lines=tuple(lines),
        speakers=tuple(speakers),
        rep=rep_speaker,
        source_format=fmt,
        scenario_id=meta.get("scenario_id") if isinstance(meta.get("scenario_id"), str) else None,
        persona_id=meta.get("persona_id") if isinstance(meta.get("persona_id"), str) else None,
        difficulty=meta.get("difficulty") if isinstance(meta.get("difficulty"), str) else None,
        outcome=cast(Outcome, outcome) if isinstance(outcome, dict) else None,
        records=records,
        skipped_lines=skipped,
    )


def to_records(parsed: ParsedTranscript) -> list[TurnRecord]:
    """Turn records for grading (analyses are filled in later by the grader).

    An exported session's own records are returned as they are, so buyer moves and state count.
    """
    if parsed.records is not None:
        return [dict(r) for r in parsed.records]  # type: ignore[misc]
    out: list[TurnRecord] = []
    for i, line in enumerate(parsed.lines):
        record = TurnRecord(
            index=i,
            speaker="rep" if line.speaker == parsed.rep else "buyer",
            text=line.text,
            stage="call",
            analysis=None,
            move=None,
            state=None,
            voiced_by="rep",
            rejected=None,
            llm_line=None,
            at=0.0,
        )
        if line.seconds is not None:
            record["speech_s"] = line.seconds
        out.append(record)
    return out
