"""Offline voice for Sparring: speech-to-text, text-to-speech, microphone/speaker, delivery metrics.

Importing this package loads no model and does not import faster-whisper, onnxruntime, gruut or
sounddevice; each loads on first use. Modules, one job each:

* :mod:`~simulator.voice.stt` — faster-whisper with a pip-shipped Whisper model (tiny.en / base).
* :mod:`~simulator.voice.tts` — neural voice → espeak-ng → text-only, with per-persona ``VoiceSetting``.
* :mod:`~simulator.voice.audio` — push-to-talk recording and playback via sounddevice.
* :mod:`~simulator.voice.transcribe` — a recording to ``Speaker: text`` lines (``sparring transcribe``).
* :mod:`~simulator.voice.delivery` — speaking rate, fillers, pauses, monologue vs published references.
* :mod:`~simulator.voice.live` — live voice turns: the ``speech`` payload, buyer playback clock, sentences.
* :mod:`~simulator.voice.persona_voice` — a persona's ``voice:`` setting → :class:`VoiceSetting`.
"""

from __future__ import annotations

from simulator.voice.audio import Recorder, audio_available, play, push_to_talk, record
from simulator.voice.delivery import (
    DeliveryReport,
    Metric,
    TimedWord,
    Turn,
    count_fillers,
    delivery_report,
    turn_from_words,
)
from simulator.voice.errors import (
    AudioDeviceError,
    AudioInputError,
    EmptyAudioError,
    NoTTSEngineError,
    VoiceError,
    VoiceModelUnavailableError,
)
from simulator.voice.live import BuyerPlayback, SentenceSplitter, speech_payload
from simulator.voice.persona_voice import persona_voice_setting
from simulator.voice.stt import Segment, SpeechToText, Transcript, Word, get_stt
from simulator.voice.stt import transcribe as _transcribe
from simulator.voice.transcribe import run_transcribe, transcribe_file, transcribe_turns
from simulator.voice.tts import (
    PRESETS,
    Speech,
    TTSStatus,
    VoiceSetting,
    preload_tts,
    synthesize,
    synthesize_to_file,
    tts_status,
    voice_preset,
)

transcribe = _transcribe
"""Speech to text (:func:`simulator.voice.stt.transcribe`). Bound last: importing the ``transcribe``
submodule above sets ``simulator.voice.transcribe`` to that module."""

__all__ = [
    "PRESETS",
    "AudioDeviceError",
    "AudioInputError",
    "BuyerPlayback",
    "DeliveryReport",
    "EmptyAudioError",
    "Metric",
    "NoTTSEngineError",
    "Recorder",
    "Segment",
    "SentenceSplitter",
    "Speech",
    "SpeechToText",
    "TTSStatus",
    "TimedWord",
    "Transcript",
    "Turn",
    "VoiceError",
    "VoiceModelUnavailableError",
    "VoiceSetting",
    "Word",
    "audio_available",
    "count_fillers",
    "delivery_report",
    "get_stt",
    "persona_voice_setting",
    "play",
    "preload_tts",
    "push_to_talk",
    "record",
    "run_transcribe",
    "speech_payload",
    "synthesize",
    "synthesize_to_file",
    "transcribe",
    "transcribe_file",
    "transcribe_turns",
    "tts_status",
    "turn_from_words",
    "voice_preset",
]
