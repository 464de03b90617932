"""The fallback voice: the ``espeak-ng`` program, run as a separate process when it is on PATH.

espeak-ng is GPL-3.0 software; Sparring only runs the user's installed program (no linking), so no
licence obligation follows for Sparring. It is robotic, but fast (~0.03 s) and has female variants
(``en-us+f1`` … ``en-us+f5``).
"""

from __future__ import annotations

import shutil
import subprocess

from simulator.voice.audio_io import FloatArray, read_wav_bytes
from simulator.voice.errors import NoTTSEngineError

DEFAULT_WPM = 175
DEFAULT_PITCH = 50


def espeak_executable() -> str | None:
    """Path of ``espeak-ng`` (or the older ``espeak``) on PATH, or None."""
    return shutil.which("espeak-ng") or shutil.which("espeak")


def espeak_synthesize(
    text: str, *, voice: str = "en-us", speed: float = 1.0, pitch: float = 0.0, timeout: float = 30.0
) -> tuple[FloatArray, int]:
    """Speak ``text`` with espeak-ng; return (float32 mono samples, sample rate).

    ``speed`` multiplies the default 175 words per minute; ``pitch`` is in semitones relative to the
    voice's default, mapped onto espeak's 0–99 pitch scale (≈5 units per semitone; approximate).
    """
    exe = espeak_executable()
    if exe is None:
        raise NoTTSEngineError("espeak-ng is not installed (Debian/Ubuntu: apt-get install espeak-ng).")
    wpm = max(80, min(450, round(DEFAULT_WPM * speed)))
    pitch_value = max(0, min(99, round(DEFAULT_PITCH + 5 * pitch)))
    cmd = [exe, "-v", voice, "-s", str(wpm), "-p", str(pitch_value), "--stdout", "--stdin"]
    try:
        proc = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NoTTSEngineError(f"espeak-ng failed to run: {exc}") from exc
    if proc.returncode != 0 or not proc.stdout:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise NoTTSEngineError(f"espeak-ng exited with {proc.returncode}: {err or 'no audio produced'}")
    return read_wav_bytes(proc.stdout)
