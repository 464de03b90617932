"""Fixtures for the voice tests: real speech made with espeak-ng, resampled to 16 kHz mono.

espeak-ng (and sox, libportaudio2) are Debian packages: ``apt-get install -y espeak-ng sox
libportaudio2``. When one is missing the tests that need it are skipped on a developer machine and
FAIL under CI (``CI=true``), so a CI image without them cannot pass silently.
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from simulator.voice.audio_io import decode_file, write_wav

CLEAN_SENTENCES = (
    "Thanks for taking the time to speak with me today.",
    "How many people on your team work on onboarding right now?",
    "I understand the price feels high compared to your current tool.",
    "Could you walk me through how you make purchasing decisions?",
    "What would it mean for your business if this problem went away?",
    "Let us schedule a follow up call with your finance lead next week.",
)


def in_ci() -> bool:
    """True under CI (``CI=true``), where a missing system tool is a failure, not a skip."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require_tool(name: str, apt_package: str) -> str:
    """Return the tool's path; skip (developer machine) or fail (CI) when it is not installed."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install -y {apt_package})"
        if in_ci():
            pytest.fail(message + ": required in CI", pytrace=False)
        pytest.skip(message)
    return path


def make_speech(text: str, out: Path, *, voice: str = "en-us") -> Path:
    """Speak ``text`` with espeak-ng into a 16 kHz mono WAV at ``out`` (sox if present, else PyAV)."""
    espeak = require_tool("espeak-ng", "espeak-ng")
    raw = out.with_suffix(".raw.wav")
    subprocess.run([espeak, "-v", voice, "-w", str(raw), text], check=True, capture_output=True)
    sox = shutil.which("sox")
    if sox:
        subprocess.run([sox, str(raw), "-r", "16000", "-c", "1", str(out)], check=True, capture_output=True)
    else:
        write_wav(out, decode_file(raw, 16000)[0], 16000)
    raw.unlink()
    return out


@pytest.fixture(scope="session")
def clean_clips(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Path]]:
    """Six clean espeak-ng clips (reference text, 16 kHz mono WAV path)."""
    folder = tmp_path_factory.mktemp("voice-clips")
    return [(text, make_speech(text, folder / f"clip{i}.wav")) for i, text in enumerate(CLEAN_SENTENCES)]


@pytest.fixture()
def espeak_ng() -> str:
    """Path of espeak-ng (skip on a developer machine without it, fail in CI)."""
    return require_tool("espeak-ng", "espeak-ng")


@pytest.fixture()
def speech_clip(tmp_path: Path) -> Callable[..., Path]:
    """A factory: ``speech_clip(text, name="x.wav", voice="en-us")`` → 16 kHz mono WAV path."""

    def make(text: str, name: str = "clip.wav", voice: str = "en-us") -> Path:
        return make_speech(text, tmp_path / name, voice=voice)

    return make


@pytest.fixture()
def portaudio() -> None:
    """Require Linux with libportaudio2 (skip on a developer machine without it, fail in CI)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the file-backed ALSA device is Linux-only")
    if ctypes.util.find_library("portaudio") is None:
        message = "libportaudio2 is not installed (apt-get install -y libportaudio2)"
        if in_ci():
            pytest.fail(message + ": required in CI", pytrace=False)
        pytest.skip(message)


@pytest.fixture()
def voice_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point SPARRING_CACHE_DIR at a temporary folder."""
    monkeypatch.setenv("SPARRING_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"
