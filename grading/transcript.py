"""Read a transcript to grade: plain 'Speaker: text' lines (a real call), WebVTT/SRT captions, or JSON.

JSON may be a list of ``{"speaker", "text"}`` objects or an exported session (an object with
``turns``). WebVTT and SRT exports (Zoom, Teams, Meet) are read with webvtt-py: the speaker comes
from a ``<v Name>`` voice tag or a "Name: text" prefix in the cue text, consecutive cues of one
speaker make one turn, and cue timings give each turn's seconds. Everything inside a line is treated
as text: markup and instructions are data. Limits keep a bad file from hanging the grader:
:data:`MAX_BYTES` and :data:`MAX_TURNS`.

Bytes are decoded as UTF-8, or by their byte-order mark as UTF-8, UTF-16 or UTF-32 (a common
Windows export is UTF-16 LE with a BOM); UTF-16 without a BOM is recognised by its zero bytes.
"""

from __future__ import annotations

import codecs
import html
import io
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

SourceFormat = Literal["lines", "json", "session", "vtt", "srt"]

_BOMS: tuple[tuple[bytes, str, int], ...] = (
    # (byte-order mark, codec, bytes per code unit); UTF-32 LE first: its BOM starts with UTF-16 LE's
    (codecs.BOM_UTF32_LE, "utf-32-le", 4),
    (codecs.BOM_UTF32_BE, "utf-32-be", 4),
    (codecs.BOM_UTF8, "utf-8", 1),
    (codecs.BOM_UTF16_LE, "utf-16-le", 2),
    (codecs.BOM_UTF16_BE, "utf-16-be", 2),
)
ENCODINGS_TRIED = "UTF-8, and UTF-8/UTF-16/UTF-32 by byte-order mark (UTF-16 also without one)"
"""What :func:`decode_transcript` tries, for error messages."""


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
    source_format: SourceFormat
    scenario_id: str | None = None
    persona_id: str | None = None
    difficulty: str | None = None
    outcome: Outcome | None = None
    records: tuple[TurnRecord, ...] | None = None
    """An exported session's full turn records (with buyer moves and state), when present."""
    skipped_lines: int = 0
    """Lines before the first 'Speaker:' line (titles, headers), or caption cues before the first
    speaker, ignored."""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def buyers(self) -> list[str]:
        """Every speaker except the rep."""
        return [s for s in self.speakers if s != self.rep]


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when the bytes look like UTF-16 text without a BOM, else None.

    Mostly-ASCII UTF-16 has a zero byte in (almost) every other position; UTF-8 text never does.
    """
    sample = data[:4096]
    if len(sample) < 4 or len(data) % 2:
        return None
    half = len(sample) // 2
    odd = sample[1::2].count(0) / half
    even = sample[0::2].count(0) / half
    if odd >= 0.4 and even < 0.05:
        return "utf-16-le"
    if even >= 0.4 and odd < 0.05:
        return "utf-16-be"
    return None


def decode_transcript(data: bytes, source: str = "transcript") -> str:
    """Decode a transcript file's bytes; a clear error names the source and the encodings tried.

    UTF-8 (with or without BOM), UTF-16 and UTF-32 with a BOM, and UTF-16 without a BOM. The size
    limit is :data:`MAX_BYTES` of UTF-8 (twice that for UTF-16, four times for UTF-32).
    """
    codec, unit, skip = "utf-8", 1, 0
    for bom, name, width in _BOMS:
        if data.startswith(bom):
            codec, unit, skip = name, width, len(bom)
            break
    else:
        guessed = _utf16_without_bom(data)
        if guessed is not None:
            codec, unit = guessed, 2
    if len(data) > MAX_BYTES * unit:
        raise TranscriptError(
            f"{source}: {len(data):,} bytes is over the {MAX_BYTES * unit:,}-byte limit "
            f"({unit} MiB as {codec.upper()}); split the call or trim it"
        )
    try:
        return data[skip:].decode(codec)
    except UnicodeDecodeError as exc:
        at = exc.start + skip
        if codec == "utf-8":
            raise TranscriptError(
                f"{source}: not UTF-8 text (byte 0x{data[at]:02x} at offset {at}); tried {ENCODINGS_TRIED}; "
                "save the transcript as UTF-8"
            ) from exc
        raise TranscriptError(
            f"{source}: not valid {codec.upper()} text (bad bytes at offset {at}: {exc.reason}); "
            f"tried {ENCODINGS_TRIED}; save the transcript as UTF-8"
        ) from exc


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text.strip()


def _speaker_prefix(raw: str) -> tuple[str, str] | None:
    """``("Alex", "Hi Dana")`` for a line 'Alex: Hi Dana' (timestamps allowed); None otherwise."""
    m = _LINE.match(raw)
    if m is None:
        return None
    speaker = m.group("speaker").strip().strip("*_ ").strip()
    if speaker and _SPEAKER_OK.match(speaker) and len(speaker.split()) <= 5:
        return speaker, m.group("text").strip()
    return None


def _parse_lines(text: str) -> tuple[list[Line], int]:
    lines: list[Line] = []
    skipped = 0
    for raw in text.split("\n"):
        if not raw.strip():
            continue
        found = _speaker_prefix(raw)
        if found is not None:
            speaker, said = found
            if lines and lines[-1].speaker == speaker:
                lines[-1] = Line(speaker, f"{lines[-1].text} {said}".strip())
            else:
                lines.append(Line(speaker, said))
        elif lines:
            lines[-1] = Line(lines[-1].speaker, f"{lines[-1].text} {raw.strip()}".strip())
        else:
            skipped += 1
    return [ln for ln in lines if ln.text], skipped


# --- WebVTT and SRT captions -------------------------------------------------------------------

_SRT_START = re.compile(r"\A\d+[ \t]*\n[ \t]*\d+:\d{1,2}:\d{1,2}[,.]\d+[ \t]*-->")
_VOICE = re.compile(r"<v(?:\.[\w-]+)*(?:\s+([^>]*))?>", re.IGNORECASE)
"""A WebVTT voice span's start tag, ``<v Alex>`` or ``<v.loud Alex>``; group 1 is the name."""
_TAG = re.compile(r"<[^>\n]*>")
_DASH = re.compile(r"^[-–—]\s+")
"""A caption line's leading dash, which marks a change of speaker ("- Alex: Hi")."""


def caption_format(text: str) -> Literal["vtt", "srt"] | None:
    """'vtt' for a WebVTT file (starts with WEBVTT), 'srt' for SubRip (a cue number, then timings)."""
    if text.startswith("WEBVTT") and (len(text) == 6 or text[6] in " \t\n"):
        return "vtt"
    if _SRT_START.match(text):
        return "srt"
    return None


def _cue_text(raw: str) -> str:
    """Cue text without tags, with entities (&amp;, &lt;, &nbsp;...) decoded and spaces collapsed."""
    return " ".join(html.unescape(_TAG.sub("", raw)).split())


def _cue_segments(raw_lines: list[str]) -> list[tuple[str | None, str]]:
    """(speaker or None, text) pieces of one cue, from voice tags or 'Name: text' line prefixes."""
    segments: list[tuple[str | None, str]] = []
    for raw in raw_lines:
        if _VOICE.search(raw):
            pos, speaker = 0, None
            for m in _VOICE.finditer(raw):
                before = _cue_text(raw[pos : m.start()])
                if before:
                    segments.append((speaker, before))
                name = " ".join(_cue_text(m.group(1) or "").split())[:MAX_SPEAKER_CHARS].strip()
                speaker = name or None
                pos = m.end()
            rest = _cue_text(raw[pos:])
            if rest:
                segments.append((speaker, rest))
            continue
        said = _DASH.sub("", _cue_text(raw))
        found = _speaker_prefix(said) if said else None
        if found is not None:
            segments.append(found)
        elif said:
            segments.append((None, said))
    return segments


def _parse_captions(text: str, fmt: Literal["vtt", "srt"]) -> tuple[list[Line], int]:
    """Turns from WebVTT or SRT cues. Cue numbers, identifiers and timings never reach the text.

    A cue without a speaker continues the previous speaker's turn (cues before the first speaker are
    skipped and counted). A turn's seconds are the sum of its cues' durations; a cue shared by two
    speakers is split between them in proportion to their words.
    """
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    try:
        captions = webvtt.WebVTT.from_buffer(io.StringIO(text), format=fmt).captions
    except (MalformedFileError, MalformedCaptionError, ValueError) as exc:
        name = "WebVTT" if fmt == "vtt" else "SRT"
        raise TranscriptError(f"invalid {name} captions: {exc}") from exc
    lines: list[Line] = []
    skipped = 0
    speaker: str | None = None
    for cue in captions:
        duration = max(0.0, (cue.end_time.in_milliseconds() - cue.start_time.in_milliseconds()) / 1000)
        segments = _cue_segments(cue.lines)
        words = sum(len(said.split()) for _, said in segments) or 1
        for who, said in segments:
            speaker = who or speaker
            if speaker is None:
                skipped += 1
                continue
            seconds = duration * len(said.split()) / words
            if lines and lines[-1].speaker == speaker:
                last = lines[-1]
                lines[-1] = Line(speaker, f"{last.text} {said}", (last.seconds or 0.0) + seconds)
            else:
                lines.append(Line(speaker, said, seconds))
    return [Line(ln.speaker, ln.text, round(ln.seconds, 3) if ln.seconds else None) for ln in lines], skipped


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
    fmt: SourceFormat = "lines"
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
    elif (captions := caption_format(text)) is not None:
        fmt = captions
        lines, skipped = _parse_captions(text, captions)
        if not lines:
            raise TranscriptError(
                f"no speaker names in these {'WebVTT' if captions == 'vtt' else 'SRT'} captions: each cue "
                "needs a <v Name> voice tag or a 'Name: text' prefix (export with speaker names)"
            )
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
    """Turn records for grading, from the text alone (analyses are filled in later by the grader).

    An exported session's stored analyses, buyer moves and states are never trusted: a file can be
    edited. With its scenario known, :func:`grading.sources.from_file` replays its rep lines through
    the buyer's rules instead; otherwise it is graded as a plain transcript.
    """
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
