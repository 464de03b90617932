"""Voice activity detection for hands-free turns: is the rep speaking, and has their turn ended?

Two detectors, both fed 16 kHz float32 audio in chunks of any size and both answering per 32 ms
frame (512 samples):

* :class:`SileroVad` — the Silero VAD v6 ONNX model that ``faster-whisper`` ships in its wheel
  (``faster_whisper/assets/silero_vad_v6.onnx``, MIT), run frame by frame with ONNX Runtime and its
  LSTM state carried between chunks. No new dependency and nothing downloaded. The default.
* :class:`EnergyVad` — frame loudness against an adaptive noise floor; no model. The fallback when
  the ONNX model cannot load, and good enough for a quiet room (see docs/voice.md, "Choosing the VAD").

:class:`TurnDetector` turns per-frame speech/non-speech into turn-taking: it reports when speech
*starts* (after ``min_speech_ms`` of speech, so a click or a cough is not a barge-in) and when the
turn *ends* (after ``end_silence_ms`` of non-speech, the ``SPARRING_VOICE_END_SILENCE_MS`` setting),
and keeps the turn's audio from a little before the speech started (``preroll_ms``).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from simulator.voice.audio_io import STT_SAMPLE_RATE, FloatArray, as_float32_mono

log = logging.getLogger(__name__)

FRAME = 512
"""Samples per VAD frame at 16 kHz (32 ms), what Silero VAD takes."""
FRAME_S = FRAME / STT_SAMPLE_RATE
_CONTEXT = 64
VadName = Literal["auto", "silero", "energy"]


class FrameVad(Protocol):
    """Per-frame speech probability for a stream of 16 kHz audio, 512-sample frames."""

    name: str

    def frames(self, frames: npt.NDArray[np.float32]) -> FloatArray:
        """Speech probability (0–1) of each row of ``frames`` (shape ``(n, 512)``), in stream order."""
        ...

    def reset(self) -> None:
        """Forget the stream (a new microphone session)."""
        ...


def silero_model_path() -> str:
    """The Silero VAD ONNX file inside the installed faster-whisper wheel."""
    from faster_whisper.utils import get_assets_path

    return os.path.join(get_assets_path(), "silero_vad_v6.onnx")


_session: Any = None
_session_lock = threading.Lock()


def _silero_session() -> Any:
    """One ONNX Runtime session per process (thread-safe to run; the state is per detector)."""
    global _session
    with _session_lock:
        if _session is None:
            import onnxruntime

            opts = onnxruntime.SessionOptions()
            opts.inter_op_num_threads = 1
            opts.intra_op_num_threads = 1
            opts.log_severity_level = 4
            _session = onnxruntime.InferenceSession(
                silero_model_path(), providers=["CPUExecutionProvider"], sess_options=opts
            )
        return _session


class SileroVad:
    """Silero VAD v6 (from faster-whisper's wheel), streaming: the LSTM state and the 64-sample
    context carry over from one call to the next, so chunk boundaries do not matter."""

    name = "silero"

    def __init__(self) -> None:
        self._session = _silero_session()
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)

    def frames(self, frames: npt.NDArray[np.float32]) -> FloatArray:
        if frames.shape[0] == 0:
            return np.zeros(0, dtype=np.float32)
        previous = np.vstack([self._context[None, :], frames[:-1, -_CONTEXT:]])
        batch = np.ascontiguousarray(np.concatenate([previous, frames], axis=1), dtype=np.float32)
        out, self._h, self._c = self._session.run(None, {"input": batch, "h": self._h, "c": self._c})
        self._context = frames[-1, -_CONTEXT:].copy()
        return np.asarray(out, dtype=np.float32).reshape(-1)


class EnergyVad:
    """Loudness against an adaptive noise floor: a frame is speech when it is ``margin_db`` above the
    floor and above ``min_dbfs``. The floor follows quiet frames quickly and loud ones slowly."""

    name = "energy"

    def __init__(self, *, margin_db: float = 12.0, min_dbfs: float = -50.0, initial_floor_dbfs: float = -60.0) -> None:
        self.margin_db, self.min_dbfs, self.initial_floor = margin_db, min_dbfs, initial_floor_dbfs
        self.reset()

    def reset(self) -> None:
        self.floor = self.initial_floor

    def frames(self, frames: npt.NDArray[np.float32]) -> FloatArray:
        out = np.zeros(frames.shape[0], dtype=np.float32)
        levels = 10.0 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
        for i, level in enumerate(levels):
            speech = level > max(self.floor + self.margin_db, self.min_dbfs)
            out[i] = 1.0 if speech else 0.0
            rate = 0.002 if speech else (0.2 if level < self.floor else 0.02)
            self.floor += rate * (level - self.floor)
        return out


def make_vad(name: VadName = "auto") -> FrameVad:
    """A fresh detector: ``silero`` (raises if the model cannot load), ``energy``, or ``auto``
    (Silero, else energy with a logged reason)."""
    if name == "energy":
        return EnergyVad()
    if name == "silero":
        return SileroVad()
    try:
        return SileroVad()
    except Exception as exc:  # no onnxruntime/faster-whisper, or a broken file: degrade, do not fail
        log.warning("Silero VAD unavailable (%s); using the energy detector", exc)
        return EnergyVad()


@dataclass(frozen=True)
class VadEvent:
    """Something the turn detector noticed.

    ``kind`` ``speech_start``: the rep started speaking (``at_s`` = where in the stream the speech
    began), the moment to stop the buyer's audio (barge-in). ``turn_end``: the rep's turn ended after
    the configured silence; ``audio`` is the turn from ``preroll_ms`` before the speech started to
    the end of the last speech frame, ``at_s`` where the speech ended. Times are seconds from the
    start of the stream.
    """

    kind: Literal["speech_start", "turn_end"]
    at_s: float
    audio: FloatArray | None = None
    start_s: float = 0.0


@dataclass
class TurnDetector:
    """Feed microphone audio (16 kHz float32, any chunk size); get turn-taking events.

    A turn starts after ``min_speech_ms`` of speech frames (counted with short gaps allowed) and ends
    after ``end_silence_ms`` without speech, or at ``max_turn_s``. ``threshold``/``neg_threshold``
    give hysteresis on the speech probability (Silero's usual 0.5 / 0.35).
    """

    vad: FrameVad = field(default_factory=make_vad)
    end_silence_ms: int = 700
    min_speech_ms: int = 160
    preroll_ms: int = 300
    max_turn_s: float = 60.0
    threshold: float = 0.5
    neg_threshold: float = 0.35
    on_audio: Callable[[FloatArray, float], None] | None = None
    """Called after each chunk while a turn is open with the turn's audio so far and the seconds of
    non-speech at its end (for transcribing at pauses while the rep speaks)."""

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Start over (a new microphone session); the detector's model state is reset too."""
        self.vad.reset()
        self._pending = np.zeros(0, dtype=np.float32)
        self._frames_seen = 0
        self._history: list[FloatArray] = []  # frames kept for the preroll while idle
        self._turn: list[FloatArray] = []
        self.in_turn = False
        self._speaking = False
        self._speech_run = 0
        self._silence_run = 0
        self._turn_start_frame = 0
        self._last_speech_frame = 0
        self.last_probability = 0.0

    @property
    def stream_s(self) -> float:
        """Seconds of audio consumed so far."""
        return self._frames_seen * FRAME_S

    def turn_audio(self) -> FloatArray:
        """The open turn's audio so far (empty when no turn is open)."""
        return np.concatenate(self._turn) if self._turn else np.zeros(0, dtype=np.float32)

    def feed(self, samples: npt.ArrayLike) -> list[VadEvent]:
        """Add audio; return the events it caused, in order."""
        chunk = np.asarray(samples, dtype=np.float32).reshape(-1) if np.size(samples) else np.zeros(0, np.float32)
        data = np.concatenate([self._pending, chunk]) if self._pending.size else chunk
        n = data.size // FRAME
        self._pending = data[n * FRAME:].copy()
        if n == 0:
            return []
        frames = data[: n * FRAME].reshape(n, FRAME)
        probs = self.vad.frames(frames)
        events: list[VadEvent] = []
        for frame, p in zip(frames, probs, strict=True):
            event = self._step(frame, float(p))
            if event is not None:
                events.append(event)
        if self.in_turn and self.on_audio is not None:
            self.on_audio(self.turn_audio(), self._silence_run * FRAME_S)
        return events

    def _step(self, frame: FloatArray, p: float) -> VadEvent | None:
        index = self._frames_seen
        self._frames_seen += 1
        self.last_probability = p
        speech = p >= self.threshold or (self._speaking and p >= self.neg_threshold)
        self._speaking = speech
        preroll_frames = max(1, round(self.preroll_ms / 1000 / FRAME_S))
        if not self.in_turn:
            self._history.append(frame)
            if len(self._history) > preroll_frames + self._min_frames():
                self._history.pop(0)
            if speech:
                self._speech_run += 1
                if self._speech_run == 1:
                    self._turn_start_frame = index
            else:
                self._speech_run = max(0, self._speech_run - 2)  # short dips are forgiven, silence is not
                if self._speech_run == 0:
                    return None
            if self._speech_run >= self._min_frames():
                self.in_turn = True
                self._turn = list(self._history)
                self._history = []
                self._silence_run = 0
                self._last_speech_frame = index
                start_s = self._turn_start_frame * FRAME_S
                return VadEvent("speech_start", at_s=round(start_s, 3), start_s=round(start_s, 3))
            return None
        self._turn.append(frame)
        if speech:
            self._silence_run = 0
            self._last_speech_frame = index
        else:
            self._silence_run += 1
        too_long = len(self._turn) * FRAME_S >= self.max_turn_s
        if self._silence_run * FRAME_S * 1000 >= self.end_silence_ms or too_long:
            return self._close()
        return None

    def _min_frames(self) -> int:
        return max(1, round(self.min_speech_ms / 1000 / FRAME_S))

    def _close(self) -> VadEvent:
        keep = len(self._turn) - self._silence_run + max(1, round(0.1 / FRAME_S))  # 100 ms of the silence
        audio = np.concatenate(self._turn[: max(1, keep)])
        first = self._frames_seen - len(self._turn)
        end_s = (self._last_speech_frame + 1) * FRAME_S
        self.in_turn = False
        self._turn, self._history = [], []
        self._speech_run = self._silence_run = 0
        return VadEvent("turn_end", at_s=round(end_s, 3), audio=audio, start_s=round(first * FRAME_S, 3))


def to_16k_mono(sample_rate: int, samples: npt.ArrayLike) -> FloatArray:
    """A browser/microphone chunk (any rate, int16 or float, mono or stereo) → float32 16 kHz mono."""
    from simulator.voice.audio_io import resample

    mono = as_float32_mono(samples)
    return mono if sample_rate == STT_SAMPLE_RATE else resample(mono, sample_rate, STT_SAMPLE_RATE)
