"""Reading and writing audio samples: decode any file to float32 mono, encode WAV, resample.

Decoding uses PyAV through ``faster_whisper.decode_audio`` (imported lazily), so anything FFmpeg
reads works (WAV, MP3, OGG/Opus from a browser, M4A, WebM). WAV encoding uses the standard library.
"""

from __future__ import annotations

import io
import wave
from os import PathLike
from pathlib import Path
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from simulator.voice.errors import AudioInputError, EmptyAudioError

FloatArray: TypeAlias = npt.NDArray[np.float32]
AudioSource: TypeAlias = "str | PathLike[str] | bytes | npt.NDArray[np.generic]"

STT_SAMPLE_RATE = 16_000
"""The rate Whisper expects: every array given to speech-to-text is float32 mono at 16 kHz."""


def as_float32_mono(samples: npt.ArrayLike) -> FloatArray:
    """Convert an array of samples (float or int16/int32, mono or (frames, channels)) to float32 mono.

    Integer PCM is scaled to [-1, 1]; several channels are averaged. Raises :class:`EmptyAudioError`
    for zero samples and :class:`AudioInputError` for non-finite values or a wrong shape.
    """
    arr = np.asarray(samples)
    if arr.ndim == 2:
        # (frames, channels) as sounddevice returns; a (channels, frames) array with few rows also works.
        arr = arr.mean(axis=1) if arr.shape[1] <= 8 else arr.mean(axis=0)
    elif arr.ndim != 1:
        raise AudioInputError(f"Expected a 1-D (or frames×channels) array of samples, got shape {arr.shape}.")
    if np.issubdtype(arr.dtype, np.integer):
        info = np.iinfo(arr.dtype)
        out = arr.astype(np.float32) / float(max(abs(info.min), info.max))
    elif np.issubdtype(arr.dtype, np.floating):
        out = arr.astype(np.float32, copy=False)
    else:
        raise AudioInputError(f"Audio samples must be numbers, got dtype {arr.dtype}.")
    if out.size == 0:
        raise EmptyAudioError("The audio is empty (0 samples): nothing was recorded, or no sound in it.")
    if not np.all(np.isfinite(out)):
        raise AudioInputError("The audio holds NaN or infinite samples.")
    return np.ascontiguousarray(out)


def decode_file(
    path: str | PathLike[str] | bytes, sample_rate: int = STT_SAMPLE_RATE, split_stereo: bool = False
) -> list[FloatArray]:
    """Decode an audio file (path or the file's bytes) to float32 at ``sample_rate``.

    Returns one array (mono mix), or two (left, right) when ``split_stereo`` is true. Raises
    :class:`AudioInputError` for a missing, unreadable or non-audio file and :class:`EmptyAudioError`
    for a file without samples.
    """
    source: str | io.BytesIO
    if isinstance(path, bytes):
        if not path:
            raise EmptyAudioError("The audio is empty (0 bytes).")
        source, name = io.BytesIO(path), "<bytes>"
    else:
        p = Path(path)
        name = str(p)
        if not p.exists():
            raise AudioInputError(f"Audio file not found: {p}")
        if not p.is_file():
            raise AudioInputError(f"Not a file: {p}")
        if p.stat().st_size == 0:
            raise EmptyAudioError(f"The audio file is empty (0 bytes): {p}")
        source = str(p)
    from faster_whisper.audio import decode_audio  # lazy: pulls in PyAV

    try:
        decoded = decode_audio(source, sampling_rate=sample_rate, split_stereo=split_stereo)
    except Exception as exc:  # PyAV raises many error types (InvalidDataError, FFmpegError, ...)
        raise AudioInputError(
            f"Could not read audio from {name}: {exc.__class__.__name__}: {exc}. "
            "Give a WAV, MP3, OGG, M4A or WebM file with sound in it."
        ) from exc
    channels = list(decoded) if split_stereo else [decoded]
    out = [np.asarray(c, dtype=np.float32) for c in channels]
    if not out or out[0].size == 0:
        raise EmptyAudioError(f"The audio in {name} has no samples.")
    return out


def load_audio(source: AudioSource, sample_rate: int = STT_SAMPLE_RATE) -> FloatArray:
    """Return float32 mono samples at ``sample_rate`` from a path, file bytes or an array.

    An array is taken to be at ``sample_rate`` already (resample it with :func:`resample` first if not).
    """
    if isinstance(source, np.ndarray):
        return as_float32_mono(source)
    return decode_file(source, sample_rate=sample_rate)[0]


def resample(samples: npt.ArrayLike, from_rate: int, to_rate: int) -> FloatArray:
    """Resample float mono audio by linear interpolation (enough for speech at these rates)."""
    arr = as_float32_mono(samples)
    if from_rate == to_rate:
        return arr
    n_out = max(1, round(arr.size * to_rate / from_rate))
    return stretch(arr, n_out)


def stretch(samples: FloatArray, n_out: int) -> FloatArray:
    """Linearly interpolate ``samples`` onto ``n_out`` evenly spaced points."""
    x_old = np.arange(samples.size, dtype=np.float64)
    x_new = np.linspace(0.0, samples.size - 1, num=n_out, dtype=np.float64)
    return np.interp(x_new, x_old, samples).astype(np.float32)


def to_int16(samples: npt.ArrayLike) -> npt.NDArray[np.int16]:
    """Clip float samples to [-1, 1] and convert them to 16-bit PCM."""
    arr = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    return (arr * 32767.0).astype(np.int16)


def wav_bytes(samples: npt.ArrayLike, sample_rate: int) -> bytes:
    """Encode float mono samples as a 16-bit PCM WAV file and return its bytes."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(int(sample_rate))
        wav.writeframes(to_int16(samples).tobytes())
    return buf.getvalue()


def write_wav(path: str | PathLike[str], samples: npt.ArrayLike, sample_rate: int) -> Path:
    """Write float mono samples to ``path`` as a 16-bit PCM WAV file; return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(wav_bytes(samples, sample_rate))
    return out


def read_wav_bytes(data: bytes) -> tuple[FloatArray, int]:
    """Decode a PCM WAV file's bytes (8/16/32-bit) to float32 mono and its sample rate."""
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise AudioInputError(f"Not a PCM WAV file: {exc}") from exc
    dtype = {1: np.uint8, 2: np.int16, 4: np.int32}.get(width)
    if dtype is None:
        raise AudioInputError(f"Unsupported WAV sample width: {width} bytes.")
    raw = np.frombuffer(frames, dtype=dtype)
    if width == 1:
        raw = (raw.astype(np.int16) - 128).astype(np.int8)
    if channels > 1:
        raw = raw.reshape(-1, channels)
    return as_float32_mono(raw), rate


def rms_dbfs(samples: npt.ArrayLike) -> float:
    """Root-mean-square level in dBFS (``-inf`` for digital silence)."""
    arr = np.asarray(samples, dtype=np.float64)
    if arr.size == 0:
        return float("-inf")
    rms = float(np.sqrt(np.mean(arr * arr)))
    return float("-inf") if rms == 0.0 else 20.0 * float(np.log10(rms))
