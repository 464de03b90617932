"""Exceptions raised by the voice package. Every message says what went wrong and how to fix it."""

from __future__ import annotations


class VoiceError(Exception):
    """Base class for every error the voice package raises."""


class AudioInputError(VoiceError):
    """The audio given to speech-to-text could not be read, or holds no samples."""


class EmptyAudioError(AudioInputError):
    """The audio decoded fine but is empty (zero samples)."""


class VoiceModelUnavailableError(VoiceError):
    """A speech model that a pip package should ship is missing or damaged."""


class NoTTSEngineError(VoiceError):
    """No text-to-speech engine is usable: the caller should stay in text mode."""


class AudioDeviceError(VoiceError):
    """Recording or playback is impossible (no PortAudio library, no sound card, device error)."""
