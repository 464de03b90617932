"""Transcribe while the rep is still speaking, so the final transcript is ready soon after they stop.

:class:`IncrementalTranscriber` gets the open turn's audio after every microphone chunk. At each
pause inside the turn (``pause_s`` of non-speech, with at least ``min_piece_s`` not yet transcribed)
it transcribes the audio up to the middle of the pause in a background thread and *commits* it;
after ``max_piece_s`` without a pause it transcribes what it has and commits the segments that
ended at least ``keep_tail_s`` before the end. When the turn ends, :meth:`finish` waits for a
transcription still running and transcribes only the uncommitted tail (usually the last phrase),
then joins the pieces into one :class:`~simulator.voice.stt.Transcript` with word times from the
start of the turn. Cutting at pauses keeps words whole; each piece is decoded without the text
before it, which costs a little accuracy at the joins (measured in docs/voice.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

from simulator.voice.audio_io import STT_SAMPLE_RATE, FloatArray
from simulator.voice.stt import Segment, Transcript, Word

log = logging.getLogger(__name__)

Transcribe = Callable[[FloatArray], Transcript]


def _default_transcribe(audio: FloatArray) -> Transcript:
    from simulator.voice.stt import get_stt

    return get_stt().transcribe(audio)


@dataclass(frozen=True)
class _Piece:
    start: int  # samples from the start of the turn
    end: int
    transcript: Transcript


def _shift(transcript: Transcript, seconds: float) -> tuple[tuple[Segment, ...], tuple[Word, ...]]:
    def word(w: Word) -> Word:
        return replace(w, start=round(w.start + seconds, 3), end=round(w.end + seconds, 3))

    segments = tuple(
        replace(s, start=round(s.start + seconds, 3), end=round(s.end + seconds, 3), words=tuple(map(word, s.words)))
        for s in transcript.segments
    )
    return segments, tuple(w for s in segments for w in s.words)


class IncrementalTranscriber:
    """Transcribe one turn in pieces while it is spoken (see the module docstring). One turn at a
    time: :meth:`reset` between turns (:meth:`finish` does it)."""

    def __init__(
        self,
        transcribe: Transcribe | None = None,
        *,
        pause_s: float = 0.2,
        min_piece_s: float = 1.0,
        max_piece_s: float = 4.0,
        keep_tail_s: float = 1.0,
        enabled: bool = True,
    ) -> None:
        self.transcribe = transcribe or _default_transcribe
        self.pause_s, self.min_piece_s = pause_s, min_piece_s
        self.max_piece_s, self.keep_tail_s = max_piece_s, keep_tail_s
        self.enabled = enabled
        self.max_real_time_factor = 0.5
        """Partial pieces are skipped while the last one took longer than this × its audio length: on a
        busy machine a piece still running when the rep stops delays the final transcript."""
        self.real_time_factor = 0.0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="partial-stt")
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget the current turn (a running transcription finishes but is ignored)."""
        with self._lock:
            self._generation = getattr(self, "_generation", 0) + 1
            self._pieces: list[_Piece] = []
            self._committed = 0
            self._job: Future[None] | None = None
        self.partial_runs = 0
        self.final_tail_s = 0.0

    @property
    def committed_s(self) -> float:
        """Seconds of the turn already transcribed and committed."""
        return self._committed / STT_SAMPLE_RATE

    def text_so_far(self) -> str:
        """The committed text (what was heard so far in this turn)."""
        with self._lock:
            return " ".join(p.transcript.text for p in self._pieces if p.transcript.text).strip()

    def update(self, audio: FloatArray, trailing_silence_s: float) -> None:
        """The open turn's audio so far and how much of its end is non-speech (from the VAD)."""
        if not self.enabled or self.real_time_factor > self.max_real_time_factor:
            return
        with self._lock:
            if self._job is not None and not self._job.done():
                return
            pending = (audio.size - self._committed) / STT_SAMPLE_RATE
            if trailing_silence_s >= self.pause_s and pending - trailing_silence_s >= self.min_piece_s:
                cut = audio.size - int(trailing_silence_s / 2 * STT_SAMPLE_RATE)
                self._submit(audio, cut, whole=True)
            elif pending >= self.max_piece_s:
                self._submit(audio, audio.size, whole=False)

    def _submit(self, audio: FloatArray, cut: int, *, whole: bool) -> None:
        start, generation = self._committed, self._generation
        piece = audio[start:cut].copy()
        self.partial_runs += 1

        def run() -> None:
            began = time.perf_counter()
            try:
                heard = self.transcribe(piece)
            except Exception:  # a failed partial is retried as part of the final tail
                log.exception("partial transcription failed")
                return
            self.real_time_factor = (time.perf_counter() - began) / max(piece.size / STT_SAMPLE_RATE, 0.1)
            with self._lock:
                if generation != self._generation or self._committed != start:
                    return
                if whole:
                    self._pieces.append(_Piece(start, cut, heard))
                    self._committed = cut
                    return
                # no pause: keep the segments that ended well before the cut, redo the rest later
                limit = (cut - start) / STT_SAMPLE_RATE - self.keep_tail_s
                kept = tuple(s for s in heard.segments if s.end <= limit)
                if not kept:
                    return
                end = start + int(kept[-1].end * STT_SAMPLE_RATE)
                text = " ".join(s.text for s in kept).strip()
                words = tuple(w for s in kept for w in s.words)
                self._pieces.append(_Piece(start, end, replace(heard, text=text, segments=kept, words=words)))
                self._committed = end

        self._job = self._executor.submit(run)

    def finish(self, audio: FloatArray) -> Transcript:
        """The whole turn's transcript: waits for a running piece, transcribes the rest, joins."""
        started = time.perf_counter()
        job = self._job
        if job is not None:
            job.result()
        with self._lock:
            pieces, committed = list(self._pieces), self._committed
        if self.real_time_factor > self.max_real_time_factor:
            self.real_time_factor *= 0.5  # try partial pieces again after a turn or two
        tail = audio[committed:]
        self.final_tail_s = tail.size / STT_SAMPLE_RATE
        if tail.size >= STT_SAMPLE_RATE // 10 or (not pieces and tail.size):
            pieces.append(_Piece(committed, audio.size, self.transcribe(tail)))
        segments: list[Segment] = []
        words: list[Word] = []
        for piece in pieces:
            segs, ws = _shift(piece.transcript, piece.start / STT_SAMPLE_RATE)
            segments += [s for s in segs if s.text]
            words += ws
        model = pieces[-1].transcript.model if pieces else ""
        self.reset()
        return Transcript(
            text=" ".join(s.text for s in segments).strip(),
            segments=tuple(segments),
            duration=round(audio.size / STT_SAMPLE_RATE, 3),
            model=model,
            elapsed=round(time.perf_counter() - started, 3),
            words=tuple(words),
        )

    def close(self) -> None:
        """Stop the background thread (pending work is dropped)."""
        self.reset()
        self._executor.shutdown(wait=False, cancel_futures=True)
