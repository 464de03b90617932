"""Caption exports (WebVTT, SRT) and text encodings (UTF-16/UTF-32 with or without BOM, UTF-8 BOM)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from grading.errors import TranscriptError
from grading.sources import from_file, read_file
from grading.transcript import caption_format, decode_transcript, parse_transcript, to_records
from simulator.content.loader import ContentLibrary

FIXTURES = Path(__file__).parent / "fixtures"


def _parse(name: str, rep: str) -> tuple[str, object]:
    text = read_file(FIXTURES / name)
    return text, parse_transcript(text, rep=rep)


def _no_cue_markup(texts: list[str]) -> None:
    for text in texts:
        assert "-->" not in text and "<" not in text and ">" not in text, text
        assert "00:00" not in text and "3f1c9a4e" not in text, text


def test_voice_tag_vtt_merges_cues_of_one_speaker_with_their_seconds() -> None:
    parsed = parse_transcript(read_file(FIXTURES / "teams_voice_tags.vtt"), rep="alex morgan")
    assert parsed.source_format == "vtt"
    assert parsed.speakers == ("Alex Morgan", "Dana Lee") and parsed.rep == "Alex Morgan"
    assert [ln.speaker for ln in parsed.lines] == ["Alex Morgan", "Dana Lee", "Alex Morgan", "Dana Lee"]
    assert [ln.text for ln in parsed.lines] == [
        "Hi Dana, thanks for making the time today. How do you plan routes right now?",
        "Mostly spreadsheets & a whiteboard. Two dispatchers re-key every order.",
        "You mentioned re-keying. What does a mistake cost you?",
        "Late deliveries, mostly.",
    ]
    assert [ln.seconds for ln in parsed.lines] == [6.0, 4.5, 3.5, 2.8]
    _no_cue_markup([ln.text for ln in parsed.lines])
    records = to_records(parsed)
    assert [r["speaker"] for r in records] == ["rep", "buyer", "rep", "buyer"]
    assert records[0]["speech_s"] == 6.0  # type: ignore[typeddict-item]


def test_name_prefix_vtt_continues_the_speaker_on_an_unnamed_cue() -> None:
    parsed = parse_transcript(read_file(FIXTURES / "zoom_name_prefix.vtt"), rep="Alex Morgan")
    assert parsed.source_format == "vtt" and parsed.speakers == ("Alex Morgan", "Dana Lee")
    assert [ln.text for ln in parsed.lines] == [
        "Hi Dana, thanks for joining. How do you plan routes today?",
        "Mostly spreadsheets. Two dispatchers re-key every order at 7:30.",
        "What does that cost you?",
    ]
    assert [ln.seconds for ln in parsed.lines] == [5.38, 5.7, 2.6]
    _no_cue_markup([ln.text for ln in parsed.lines])


def test_srt_with_crlf_and_cue_numbers() -> None:
    text = read_file(FIXTURES / "meeting.srt")
    assert caption_format(text.replace("\r\n", "\n")) == "srt"
    parsed = parse_transcript(text, rep="Alex")
    assert parsed.source_format == "srt" and parsed.speakers == ("Alex", "Dana")
    assert [ln.text for ln in parsed.lines] == [
        "Hi Dana, thanks for your time.",
        "Happy to help. What is this about?",
        "Routing. How do you plan routes? Roughly, I mean.",
    ]
    assert [ln.seconds for ln in parsed.lines] == [2.0, 2.5, 4.0]
    assert not any(ch.isdigit() for ln in parsed.lines for ch in ln.text)


def test_utf16_le_bom_speaker_lines() -> None:
    data = (FIXTURES / "windows_utf16le_bom.txt").read_bytes()
    assert data.startswith(codecs.BOM_UTF16_LE)
    parsed = parse_transcript(read_file(FIXTURES / "windows_utf16le_bom.txt"), rep="Alex")
    assert parsed.source_format == "lines" and parsed.skipped_lines == 1
    assert parsed.lines[0].text == "Hi Dana, thanks for your time. Ça va?"
    assert parsed.lines[1].text == "Très bien. What’s this about?"
    assert parsed.lines[3].text == "Spreadsheets — two dispatchers re-key orders."


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF8 + "Alex: Ça va?\nDana: Oui.".encode(),
        codecs.BOM_UTF16_BE + "Alex: Ça va?\nDana: Oui.".encode("utf-16-be"),
        "Alex: Ça va?\nDana: Oui.".encode("utf-16-le"),  # no BOM: found by its zero bytes
        "Alex: Ça va?\nDana: Oui.".encode("utf-16-be"),
        codecs.BOM_UTF32_LE + "Alex: Ça va?\nDana: Oui.".encode("utf-32-le"),
    ],
    ids=["utf8-bom", "utf16-be-bom", "utf16-le-no-bom", "utf16-be-no-bom", "utf32-le-bom"],
)
def test_other_unicode_encodings(data: bytes) -> None:
    assert decode_transcript(data) == "Alex: Ça va?\nDana: Oui."


def test_undecodable_files_name_the_file_and_the_encodings_tried(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Alex: Ça va?\nDana: Très bien.".encode("cp1252"))
    with pytest.raises(TranscriptError) as err:
        read_file(latin1)
    message = str(err.value)
    assert str(latin1) in message and "not UTF-8 text (byte 0xc7 at offset 6)" in message
    assert "UTF-16" in message and "UTF-32" in message and "save the transcript as UTF-8" in message

    broken = tmp_path / "broken16.txt"
    broken.write_bytes(codecs.BOM_UTF16_LE + "Alex: Hi".encode("utf-16-le") + b"\x00\xd8A\x00")  # lone surrogate
    with pytest.raises(TranscriptError, match=r"broken16\.txt: not valid UTF-16-LE text.*tried UTF-8"):
        read_file(broken)


def test_size_limit_counts_code_units() -> None:
    from grading.transcript import MAX_BYTES

    small = codecs.BOM_UTF16_LE + ("Alex: " + "x" * (MAX_BYTES // 2)).encode("utf-16-le")
    assert len(small) > MAX_BYTES and decode_transcript(small).startswith("Alex: x")
    with pytest.raises(TranscriptError, match="limit"):
        decode_transcript(b"Alex: " + b"x" * MAX_BYTES, "big.txt")


def test_a_cue_with_two_voices_splits_its_time_by_words() -> None:
    vtt = (
        "WEBVTT\n\n00:00:00.000 --> 00:00:04.000\n<v Alex>One two three</v> <v Dana>four.</v>\n\n"
        "00:00:04.000 --> 00:00:06.000\n- Alex: Five six?\n"
    )
    parsed = parse_transcript(vtt, rep="Alex")
    assert [(ln.speaker, ln.text, ln.seconds) for ln in parsed.lines] == [
        ("Alex", "One two three", 3.0),
        ("Dana", "four.", 1.0),
        ("Alex", "Five six?", 2.0),
    ]


def test_captions_without_speaker_names_are_a_clear_error() -> None:
    srt = "1\n00:00:01,000 --> 00:00:02,000\nHello there.\n\n2\n00:00:02,000 --> 00:00:03,000\nHi.\n"
    with pytest.raises(TranscriptError, match=r"no speaker names in these SRT captions.*<v Name>"):
        parse_transcript(srt, rep="Alex")


def test_cues_before_the_first_speaker_are_skipped() -> None:
    vtt = (
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n[music]\n\n"
        "00:00:01.000 --> 00:00:02.000\n<v Alex>Hi Dana.\n\n"
        "00:00:02.000 --> 00:00:03.000\n<v Dana>Hello.\n"
    )
    parsed = parse_transcript(vtt, rep="Alex")
    assert parsed.skipped_lines == 1 and [ln.text for ln in parsed.lines] == ["Hi Dana.", "Hello."]


def test_a_plain_transcript_mentioning_webvtt_is_still_lines() -> None:
    parsed = parse_transcript("WEBVTTX\nAlex: Hi.\nDana: Hello.", rep="Alex")
    assert parsed.source_format == "lines"


def test_caption_files_grade_with_measured_talk_time(library: ContentLibrary) -> None:
    from grading import grade_session

    data = from_file(FIXTURES / "teams_voice_tags.vtt", rep="Alex Morgan", ask=None, library=library)
    assert data.source_format == "vtt"
    card = grade_session(data.transcript, scenario=None, persona=None, outcome=None, llm=None)
    talk = card.metrics["talk_ratio"]
    assert talk.unit == "% of seconds" and talk.value == pytest.approx(56.5, abs=0.1)


def test_parse_errors_name_the_file(tmp_path: Path, library: ContentLibrary) -> None:
    path = tmp_path / "one-speaker.vtt"
    path.write_text("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n<v Alex>Hello?\n", encoding="utf-8")
    with pytest.raises(TranscriptError, match=r"one-speaker\.vtt: only one speaker \(Alex\)"):
        from_file(path, rep="Alex", ask=None, library=library)
