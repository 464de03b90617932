"""Microphone and speaker for the terminal, through ``sounddevice`` (PortAudio), imported lazily.

Two things make audio impossible, and both are reported as a reason rather than a crash:

* the PortAudio library is missing (``import sounddevice`` raises OSError; Debian: ``libportaudio2``);
* there is no sound card / no default device (``sd.rec``/``sd.play`` raise ``PortAudioError``).

Use :func:`audio_available` first; when it returns ``(False, reason)`` show the reason and stay in
text. Recording is push-to-talk (:class:`Recorder` ``start()``/``stop()``), always bounded by a frame
count (``max_seconds``), so a device without a clock cannot run away.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from simulator.voice.audio_io import STT_SAMPLE_RATE, FloatArray, as_float32_mono
from simulator.voice.errors import AudioDeviceError

DEFAULT_MAX_SECONDS = 60.0


def _sounddevice() -> ModuleType:
    """Import sounddevice, turning every failure into :class:`AudioDeviceError` with a fix."""
    try:
        import sounddevice
    except ImportError as exc:
        raise AudioDeviceError("The sounddevice package is not installed (pip install 'sounddevice>=0.5').") from exc
    except OSError as exc:
        raise AudioDeviceError(
            "The PortAudio library is missing, so there is no microphone or speaker access "
            "(Debian/Ubuntu: apt-get install libportaudio2; macOS and Windows wheels include it)."
        ) from exc
    return sounddevice


def _portaudio_error(sd: ModuleType) -> type[Exception]:
    err = getattr(sd, "PortAudioError", None)
    return err if isinstance(err, type) and issubclass(err, Exception) else OSError


def audio_available(*, need_input: bool = True, need_output: bool = True) -> tuple[bool, str]:
    """Whether recording and/or playback can work here, with a human-readable reason.

    Never raises. Checks that PortAudio loads and that a default input/output device exists with at
    least one channel; it does not open a stream (a busy device can still fail later: :class:`Recorder`
    and :func:`play` then raise :class:`AudioDeviceError`).
    """
    try:
        sd = _sounddevice()
    except AudioDeviceError as exc:
        return False, str(exc)
    pa_error = _portaudio_error(sd)
    kinds = [k for k, wanted in (("input", need_input), ("output", need_output)) if wanted]
    for kind in kinds:
        try:
            info = sd.query_devices(kind=kind)
        except (pa_error, ValueError) as exc:
            return False, f"No {kind} audio device ({'microphone' if kind == 'input' else 'speaker'}): {exc}."
        channels = int(info.get(f"max_{kind}_channels", 0)) if isinstance(info, dict) else 0
        if channels < 1:
            return False, f"The default {kind} device has no {kind} channels."
    what = " and ".join({"input": "microphone", "output": "speaker"}[k] for k in kinds) or "audio"
    return True, f"{what.capitalize()} available."


class Recorder:
    """Push-to-talk recording: ``start()``, then ``stop()`` returns float32 mono samples.

    Recording also ends by itself after ``max_seconds`` (counted in frames, not wall time); ``done``
    is set then. Samples are at ``sample_rate`` (16 kHz, what speech-to-text wants).
    """

    def __init__(
        self,
        *,
        sample_rate: int = STT_SAMPLE_RATE,
        max_seconds: float = DEFAULT_MAX_SECONDS,
        device: int | str | None = None,
        blocksize: int = 1024,
    ) -> None:
        if max_seconds <= 0:
            raise ValueError("max_seconds must be positive.")
        self.sample_rate = sample_rate
        self.max_frames = int(max_seconds * sample_rate)
        self.device = device
        self.blocksize = blocksize
        self.done = threading.Event()
        self._chunks: list[npt.NDArray[np.float32]] = []
        self._frames = 0
        self._lock = threading.Lock()
        self._stream: Any = None
        self._status_flags: list[str] = []

    @property
    def frames(self) -> int:
        """Frames captured so far."""
        return self._frames

    def _callback(self, indata: npt.NDArray[np.float32], frames: int, _time: Any, status: Any) -> None:
        if status:
            self._status_flags.append(str(status))
        with self._lock:
            room = self.max_frames - self._frames
            if room > 0:
                take = min(room, frames)
                self._chunks.append(indata[:take, 0].copy())
                self._frames += take
            if self._frames >= self.max_frames:
                self.done.set()

    def start(self) -> None:
        """Open the microphone and start capturing. Raises :class:`AudioDeviceError`."""
        if self._stream is not None:
            raise RuntimeError("Recorder already started.")
        sd = _sounddevice()
        try:
            self._stream = sd.InputStream(
                samplerate=self.sample_rate,
                channels=1,
                dtype="float32",
                device=self.device,
                blocksize=self.blocksize,
                callback=self._callback,
            )
            self._stream.start()
        except (_portaudio_error(sd), ValueError) as exc:
            self._stream = None
            raise AudioDeviceError(f"Cannot record from the microphone: {exc}") from exc

    def stop(self) -> FloatArray:
        """Stop capturing and return what was recorded (may be empty if stopped at once)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
            finally:
                stream.close()
        with self._lock:
            if not self._chunks:
                return np.zeros(0, dtype=np.float32)
            return np.concatenate(self._chunks).astype(np.float32)


def push_to_talk(
    wait_for_stop: Callable[[], object], *, max_seconds: float = DEFAULT_MAX_SECONDS, sample_rate: int = STT_SAMPLE_RATE
) -> FloatArray:
    """Record until ``wait_for_stop()`` returns (e.g. ``input`` waiting for Enter) or ``max_seconds``.

    ``wait_for_stop`` runs in the calling thread while audio is captured in PortAudio's thread.
    """
    rec = Recorder(sample_rate=sample_rate, max_seconds=max_seconds)
    rec.start()
    try:
        wait_for_stop()
    finally:
        audio = rec.stop()
    return audio


def record(seconds: float, *, sample_rate: int = STT_SAMPLE_RATE, timeout: float | None = None) -> FloatArray:
    """Record a fixed length (exactly ``seconds`` worth of frames) and return it.

    Waits at most ``timeout`` seconds of wall time (default ``seconds + 5``) and returns what arrived.
    """
    rec = Recorder(sample_rate=sample_rate, max_seconds=seconds)
    rec.start()
    try:
        rec.done.wait(timeout if timeout is not None else seconds + 5.0)
    finally:
        audio = rec.stop()
    return audio


def play(samples: npt.ArrayLike, sample_rate: int, *, blocking: bool = True) -> None:
    """Play float mono samples on the default speaker. Raises :class:`AudioDeviceError`."""
    data = as_float32_mono(samples)
    sd = _sounddevice()
    try:
        sd.play(data, samplerate=sample_rate, blocking=blocking)
    except (_portaudio_error(sd), ValueError) as exc:
        raise AudioDeviceError(f"Cannot play audio on the speaker: {exc}") from exc


def stop_playback() -> None:
    """Stop any playback started with ``blocking=False`` (no-op when audio is unavailable)."""
    try:
        _sounddevice().stop()
    except AudioDeviceError:
        return


class ClipPlayer:
    """Plays queued clips back to back on the default speaker and can stop at once (barge-in).

    ``enqueue(samples, rate)`` adds a clip (resampled to the stream's rate); ``stop()`` drops what is
    queued and silences the speaker within one block; ``played_s`` counts what was played. Raises
    :class:`AudioDeviceError` when the speaker cannot open.
    """

    def __init__(self, *, sample_rate: int = 22_050, blocksize: int = 512, device: int | str | None = None) -> None:
        self.sample_rate, self.blocksize, self.device = sample_rate, blocksize, device
        self._queue: list[npt.NDArray[np.float32]] = []
        self._lock = threading.Lock()
        self._stream: Any = None
        self.played_s = 0.0

    def start(self) -> None:
        sd = _sounddevice()
        try:
            self._stream = sd.OutputStream(samplerate=self.sample_rate, channels=1, dtype="float32",
                                           blocksize=self.blocksize, device=self.device, callback=self._callback)
            self._stream.start()
        except (_portaudio_error(sd), ValueError) as exc:
            self._stream = None
            raise AudioDeviceError(f"Cannot play audio on the speaker: {exc}") from exc

    def _callback(self, outdata: npt.NDArray[np.float32], frames: int, _time: Any, _status: Any) -> None:
        out = np.zeros(frames, dtype=np.float32)
        filled = 0
        with self._lock:
            while filled < frames and self._queue:
                head = self._queue[0]
                take = min(frames - filled, head.size)
                out[filled:filled + take] = head[:take]
                filled += take
                if take == head.size:
                    self._queue.pop(0)
                else:
                    self._queue[0] = head[take:]
        self.played_s += filled / self.sample_rate
        outdata[:, 0] = out

    def enqueue(self, samples: npt.ArrayLike, sample_rate: int) -> None:
        from simulator.voice.audio_io import resample

        data = resample(samples, sample_rate, self.sample_rate)
        with self._lock:
            self._queue.append(data)

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._queue)

    def stop(self) -> None:
        """Drop everything queued (the block being played finishes, ~25 ms)."""
        with self._lock:
            self._queue = []

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
            finally:
                stream.close()


class MicStream:
    """An open microphone: calls ``on_chunk(float32 16 kHz mono)`` from a reader thread (not from
    PortAudio's callback), block by block, until :meth:`close`. Raises :class:`AudioDeviceError`."""

    def __init__(self, on_chunk: Callable[[FloatArray], None], *, sample_rate: int = STT_SAMPLE_RATE,
                 blocksize: int = 4000, device: int | str | None = None) -> None:
        import queue

        self.on_chunk, self.sample_rate, self.blocksize, self.device = on_chunk, sample_rate, blocksize, device
        self._chunks: queue.Queue[FloatArray | None] = queue.Queue()
        self._stream: Any = None
        self._thread = threading.Thread(target=self._pump, name="mic", daemon=True)

    def start(self) -> None:
        sd = _sounddevice()
        try:
            self._stream = sd.InputStream(
                samplerate=self.sample_rate, channels=1, dtype="float32", device=self.device,
                blocksize=self.blocksize, callback=lambda data, *_: self._chunks.put(data[:, 0].copy()),
            )
            self._stream.start()
        except (_portaudio_error(sd), ValueError) as exc:
            self._stream = None
            raise AudioDeviceError(f"Cannot record from the microphone: {exc}") from exc
        self._thread.start()

    def _pump(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            self.on_chunk(chunk)

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
            finally:
                stream.close()
        self._chunks.put(None)
