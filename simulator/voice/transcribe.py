"""Turn a recording into a "Speaker: text" transcript (backs ``sparring transcribe FILE``).

* A mono recording (or stereo whose channels are the same) is one speaker: every segment gets the
  label given (default ``Rep``), one line per segment.
* A stereo recording with different content on each channel (a dual-channel call recording) is
  labelled by channel: left = first label (``Rep``), right = second (``Buyer``). Each channel is
  transcribed separately and the segments are interleaved by start time.

:func:`transcribe_turns` returns the same as :class:`~simulator.voice.delivery.Turn` objects with word
timings, ready for :func:`~simulator.voice.delivery.delivery_report`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from simulator.voice.audio_io import STT_SAMPLE_RATE, FloatArray, decode_file
from simulator.voice.delivery import Turn, turn_from_words
from simulator.voice.errors import AudioInputError, VoiceError
from simulator.voice.model_files import SttModelName
from simulator.voice.stt import get_stt

ChannelMode = Literal["auto", "mono", "stereo"]
DEFAULT_LABELS = ("Rep", "Buyer")
SAME_CHANNEL_RATIO = 0.01
"""Channels whose difference has < 1 % of their energy are treated as one (mono saved as stereo)."""


def _channels_differ(left: FloatArray, right: FloatArray) -> bool:
    n = min(left.size, right.size)
    if n == 0:
        return False
    diff = float(np.sum((left[:n] - right[:n]) ** 2))
    total = float(np.sum(left[:n] ** 2) + np.sum(right[:n] ** 2))
    return total > 0 and diff / total > SAME_CHANNEL_RATIO


def transcribe_turns(
    path: str | Path,
    speaker_labels: Sequence[str] = DEFAULT_LABELS,
    *,
    channels: ChannelMode = "auto",
    model: SttModelName | None = None,
) -> list[Turn]:
    """Transcribe ``path`` into turns (one per Whisper segment), labelled as described in the module doc.

    ``speaker_labels[0]`` labels a single-speaker recording and the left channel; ``speaker_labels[1]``
    the right channel. ``channels="mono"`` forces one speaker, ``"stereo"`` forces per-channel labels.
    """
    labels = [str(label).strip() for label in speaker_labels if str(label).strip()]
    if not labels:
        raise ValueError("Give at least one speaker label, e.g. 'Rep'.")
    split = decode_file(Path(path), STT_SAMPLE_RATE, split_stereo=True)
    left, right = split[0], split[1] if len(split) > 1 else split[0]
    if channels == "stereo" or (channels == "auto" and _channels_differ(left, right)):
        sources = [(labels[0], left), (labels[1] if len(labels) > 1 else "Speaker 2", right)]
    else:
        sources = [(labels[0], ((left + right) / 2).astype(np.float32))]
    stt = get_stt(model)
    turns: list[Turn] = []
    for label, samples in sources:
        transcript = stt.transcribe(samples)
        for seg in transcript.segments:
            turn = turn_from_words(label, seg.words, text=seg.text)
            if not seg.words:
                turn = Turn(label, seg.start, seg.end, seg.text)
            turns.append(turn)
    turns.sort(key=lambda t: (t.start, t.speaker))
    return turns


def format_transcript(turns: Sequence[Turn]) -> str:
    """``Speaker: text`` lines, one per turn, ending with a newline (empty string for no speech)."""
    lines = [f"{t.speaker}: {t.text.strip()}" for t in turns if t.text.strip()]
    return "\n".join(lines) + ("\n" if lines else "")


def transcribe_file(
    path: str | Path,
    speaker_labels: Sequence[str] | str = DEFAULT_LABELS,
    *,
    channels: ChannelMode = "auto",
    model: SttModelName | None = None,
) -> str:
    """Transcribe a recording to ``Speaker: text`` lines. A single string label is a one-speaker file."""
    labels = [speaker_labels] if isinstance(speaker_labels, str) else list(speaker_labels)
    return format_transcript(transcribe_turns(path, labels, channels=channels, model=model))


def run_transcribe(path: Path, out: Path | None = None, speaker: str = "Rep") -> str:
    """What ``sparring transcribe FILE [--out OUT] [--speaker LABEL]`` does; returns the transcript.

    ``speaker`` labels a single-speaker recording (stereo calls get ``speaker``/``Buyer`` by channel).
    Writes the transcript to ``out`` when given. Raises :class:`VoiceError` (subclasses:
    ``AudioInputError``, ``VoiceModelUnavailableError``) with a message fit to show the user; also
    raises it when no speech was found, so the CLI exits non-zero instead of writing an empty file.
    """
    path = Path(path)
    if not path.exists():
        raise AudioInputError(f"No such file: {path}")
    text = transcribe_file(path, [speaker or "Rep", "Buyer"])
    if not text.strip():
        raise VoiceError(f"No speech found in {path}: the recording is silent or too short.")
    if out is not None:
        out = Path(out)
        if out.exists() and out.is_dir():
            raise VoiceError(f"--out {out} is a directory; give a file path such as {out / 'transcript.txt'}")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    return text
