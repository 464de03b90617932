"""Text to speech with graceful degradation: neural voice → espeak-ng → "text only".

* ``neural``: the shipped joe voice run with ONNX Runtime (:mod:`simulator.voice.tts_neural`);
  needs only pip packages that the default install has, no GPL code.
* ``espeak``: the ``espeak-ng`` program when it is on PATH (:mod:`simulator.voice.tts_espeak`);
  the only offline female voices.
* neither: :func:`tts_status` says why, and :func:`synthesize` raises :class:`NoTTSEngineError`, so
  the caller keeps the conversation in text.

A :class:`VoiceSetting` (engine, voice, speed, pitch) gives each persona its own voice; when its
engine is not available the setting's ``fallback`` (or the other engine with the same speed/pitch) is
used. ``SPARRING_TTS_ENGINE=auto|neural|espeak|none`` overrides the choice for the whole process.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt

from simulator.voice.audio_io import FloatArray, wav_bytes, write_wav
from simulator.voice.errors import NoTTSEngineError, VoiceError
from simulator.voice.tts_espeak import espeak_executable, espeak_synthesize
from simulator.voice.tts_neural import default_neural_voice, neural_missing_modules

EngineName = Literal["auto", "neural", "espeak"]
ENGINES: tuple[str, ...] = get_args(EngineName)
TTS_ENGINE_ENV = "SPARRING_TTS_ENGINE"
NEURAL_VOICES = ("joe",)


@dataclass(frozen=True)
class VoiceSetting:
    """How one persona sounds. JSON/YAML friendly (see :meth:`to_dict` / :meth:`from_dict`).

    ``engine``: ``auto`` (neural, else espeak), ``neural`` or ``espeak``.
    ``voice``: ``joe`` for neural; an espeak-ng voice such as ``en-us``, ``en-us+f3``, ``en-gb+m3``.
    ``speed``: 1.0 is the engine's normal pace, 1.1 is 10 % faster.
    ``pitch``: semitones up (+) or down (−) from the voice's normal pitch.
    ``fallback``: the setting to use when this one's engine is unavailable.
    """

    engine: EngineName = "auto"
    voice: str = "joe"
    speed: float = 1.0
    pitch: float = 0.0
    fallback: VoiceSetting | None = None

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"Unknown TTS engine {self.engine!r}; use one of: {', '.join(ENGINES)}.")
        if not 0.5 <= self.speed <= 2.0:
            raise ValueError(f"speed must be between 0.5 and 2.0, got {self.speed}.")
        if not -12.0 <= self.pitch <= 12.0:
            raise ValueError(f"pitch must be between -12 and +12 semitones, got {self.pitch}.")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (``fallback`` nested or None)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VoiceSetting:
        """Build a setting from :meth:`to_dict` output or a persona file's ``voice:`` mapping."""
        known = {k: v for k, v in data.items() if k in {"engine", "voice", "speed", "pitch"}}
        fb = data.get("fallback")
        return cls(**known, fallback=cls.from_dict(fb) if isinstance(fb, dict) else None)


PRESETS: dict[str, VoiceSetting] = {
    "male": VoiceSetting("neural", "joe"),
    "male-measured": VoiceSetting("neural", "joe", speed=0.9, pitch=-1.0),
    "male-brisk": VoiceSetting("neural", "joe", speed=1.12, pitch=1.0),
    "female": VoiceSetting("espeak", "en-us+f3", fallback=VoiceSetting("neural", "joe", pitch=4.0)),
    "female-brisk": VoiceSetting(
        "espeak", "en-us+f4", speed=1.1, fallback=VoiceSetting("neural", "joe", speed=1.1, pitch=4.5)
    ),
    "male-robotic": VoiceSetting("espeak", "en-us+m3", fallback=VoiceSetting("neural", "joe", pitch=-2.0)),
}
"""Named voices personas can refer to (``voice: female``). The female ones need espeak-ng; without it
they fall back to the neural voice pitched up, which sounds lighter but not female."""


def voice_preset(name: str) -> VoiceSetting:
    """Return a preset :class:`VoiceSetting` by name (see :data:`PRESETS`)."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"Unknown voice preset {name!r}; known: {', '.join(sorted(PRESETS))}.") from None


@dataclass(frozen=True)
class TTSStatus:
    """Which engines can speak in this process, and a sentence for the UI when none can."""

    available: bool
    engines: tuple[str, ...]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict."""
        return asdict(self)


@dataclass(frozen=True)
class Speech:
    """Synthesised audio: float32 mono samples in [-1, 1] at ``sample_rate``."""

    samples: FloatArray = field(repr=False)
    sample_rate: int
    engine: str
    voice: str
    elapsed: float = 0.0

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.samples.size / self.sample_rate if self.sample_rate else 0.0

    def wav_bytes(self) -> bytes:
        """The audio as a 16-bit PCM WAV file."""
        return wav_bytes(self.samples, self.sample_rate)

    def as_tuple(self) -> tuple[int, npt.NDArray[np.int16]]:
        """``(sample_rate, int16 samples)``, the value ``gradio.Audio`` accepts as output."""
        return self.sample_rate, (np.clip(self.samples, -1.0, 1.0) * 32767).astype(np.int16)


def _forced_engine() -> str:
    value = os.environ.get(TTS_ENGINE_ENV, "auto").strip().lower() or "auto"
    if value not in {*ENGINES, "none"}:
        raise ValueError(f"{TTS_ENGINE_ENV}={value!r}: use auto, neural, espeak or none.")
    return value


def available_engines() -> tuple[str, ...]:
    """Engines usable now, best first, honouring ``SPARRING_TTS_ENGINE``. Loads nothing."""
    forced = _forced_engine()
    if forced == "none":
        return ()
    found: list[str] = []
    if forced in {"auto", "neural"} and not neural_missing_modules():
        found.append("neural")
    if forced in {"auto", "espeak"} and espeak_executable():
        found.append("espeak")
    return tuple(found)


def tts_status() -> TTSStatus:
    """Report whether speech output is possible and, if not, why (for the UI and ``sparring doctor``)."""
    try:
        engines = available_engines()
    except ValueError as exc:
        return TTSStatus(False, (), str(exc))
    if engines:
        names = {"neural": "neural voice (joe, ONNX Runtime)", "espeak": "espeak-ng"}
        return TTSStatus(True, engines, "Speech output: " + ", then ".join(names[e] for e in engines) + ".")
    if _forced_engine() == "none":
        return TTSStatus(False, (), f"Speech output is switched off ({TTS_ENGINE_ENV}=none); text only.")
    missing = ", ".join(neural_missing_modules())
    return TTSStatus(
        False,
        (),
        "No text-to-speech engine: the neural voice needs "
        + missing
        + " (pip install 'sparring') and espeak-ng is not on PATH. The buyer replies in text.",
    )


def _resolve(setting: VoiceSetting, engines: tuple[str, ...]) -> VoiceSetting:
    """Pick the first usable setting from ``setting`` and its fallbacks, else adapt to what exists."""
    chain: list[VoiceSetting] = []
    current: VoiceSetting | None = setting
    while current is not None:
        chain.append(current)
        current = current.fallback
    for s in chain:
        if s.engine == "auto" and engines:
            preferred: EngineName = "neural" if s.voice in NEURAL_VOICES else "espeak"
            if preferred in engines:
                return replace(s, engine=preferred, fallback=None)
            return _adapt(s, "espeak" if preferred == "neural" else "neural")
        if s.engine in engines:
            return replace(s, fallback=None)
    if not engines:
        raise NoTTSEngineError(tts_status().reason)
    # No setting in the chain fits: keep speed and pitch, change the engine.
    return _adapt(setting, "neural" if engines[0] == "neural" else "espeak")


def _adapt(setting: VoiceSetting, engine: EngineName) -> VoiceSetting:
    """``setting`` moved to ``engine`` with that engine's default voice (speed and pitch kept)."""
    return replace(setting, engine=engine, voice="joe" if engine == "neural" else "en-us", fallback=None)


_synth_lock = threading.Lock()


def synthesize(text: str, setting: VoiceSetting | str | None = None) -> Speech:
    """Speak ``text`` with ``setting`` (a :class:`VoiceSetting`, a preset name, or None for the default).

    Raises :class:`NoTTSEngineError` when no engine is usable (the caller then stays in text) and
    :class:`ValueError` for empty text.
    """
    if not text or not text.strip():
        raise ValueError("Nothing to say: the text is empty.")
    if isinstance(setting, str):
        setting = voice_preset(setting)
    chosen = _resolve(setting or VoiceSetting(), available_engines())
    start = time.perf_counter()
    if chosen.engine == "neural":
        voice = default_neural_voice()
        samples = voice.synthesize(text, length_scale=1.0 / chosen.speed, pitch_factor=2 ** (chosen.pitch / 12))
        rate = voice.sample_rate
    else:
        with _synth_lock:
            samples, rate = espeak_synthesize(text, voice=chosen.voice, speed=chosen.speed, pitch=chosen.pitch)
    if samples.size == 0:
        raise VoiceError(f"The {chosen.engine} engine produced no audio for {text[:60]!r}.")
    return Speech(
        samples=samples,
        sample_rate=rate,
        engine=chosen.engine,
        voice=chosen.voice,
        elapsed=round(time.perf_counter() - start, 3),
    )


def synthesize_to_file(text: str, path: str | os.PathLike[str], setting: VoiceSetting | str | None = None) -> Path:
    """Speak ``text`` and write it to ``path`` as a 16-bit WAV file; return the path."""
    speech = synthesize(text, setting)
    return write_wav(path, speech.samples, speech.sample_rate)


def preload_tts() -> float:
    """Load the neural voice now if it is the first engine (e.g. while the app starts); return seconds."""
    if available_engines()[:1] == ("neural",):
        voice = default_neural_voice()
        voice.load()
        return voice.load_seconds or 0.0
    return 0.0
