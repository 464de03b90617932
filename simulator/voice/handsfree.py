"""Hands-free voice turns: an open microphone, turns that end on silence, and barge-in.

:class:`HandsFreeCall` is the whole conversation loop of one call, independent of the front end
(the browser panel and the terminal both drive it):

* :meth:`HandsFreeCall.feed` takes microphone audio as it arrives. A :class:`~simulator.voice.vad.TurnDetector`
  finds the rep's speech; while they speak, :class:`~simulator.voice.incremental.IncrementalTranscriber`
  transcribes at their pauses; ``end_silence_ms`` after they stop, the turn is sent to the practice
  service with its speech data (in a worker thread, so feeding never blocks).
* The buyer's reply streams; each checked sentence is synthesised as soon as it is complete and
  queued as a :class:`Clip` (the first one plays while the rest is still generated).
* **Barge-in**: when the rep starts speaking while the buyer's reply is still playing (or still
  coming), the queued audio is dropped, the front end is told to stop (:attr:`CallView.stop`), no
  more sentences are spoken, and the number of words the rep heard before they started talking is
  computed from the clips' play times (:func:`~simulator.voice.live.words_heard`). It travels with
  the rep's next turn as ``buyer_heard_words`` in the speech data, so the service re-records the
  buyer's line as heard (the rest in ``unheard``; :mod:`simulator.engine.speech`), and the chat
  shows the line cut off with " —".

Times: the front end says when each clip starts playing (browser: when it is handed over in
:meth:`poll`; terminal: when the player takes it); a clip starts when handed over or when the clip
before it ends, whichever is later. The moment the rep started speaking is the detection time minus
the audio the detector had buffered after the speech onset.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from simulator.voice.audio_io import FloatArray
from simulator.voice.errors import VoiceError
from simulator.voice.incremental import IncrementalTranscriber
from simulator.voice.live import SentenceSplitter, speech_payload, words_heard
from simulator.voice.stt import Transcript
from simulator.voice.tts import Speech, VoiceSetting, synthesize
from simulator.voice.vad import TurnDetector, VadEvent, VadName, make_vad, to_16k_mono

log = logging.getLogger(__name__)

Chat = list[dict[str, Any]]
CUT_MARK = " —"


class TurnService(Protocol):
    """What a hands-free call needs from :class:`simulator.session.PracticeService`."""

    def send(
        self, session_id: str, text: str, *, actor: Any = None, speech: dict[str, Any] | None = None
    ) -> Iterator[Any]: ...


@dataclass
class Clip:
    """One piece of the buyer's reply (a sentence), synthesised."""

    id: int
    text: str
    speech: Speech
    handed: float | None = None
    start: float | None = None

    @property
    def end(self) -> float | None:
        return None if self.start is None else self.start + self.speech.duration


@dataclass
class CallView:
    """What a front end shows now (from :meth:`HandsFreeCall.poll`)."""

    chat: Chat
    heard: str
    status: str
    clips: list[Clip]
    """Clips to start playing now, in order (each handed over exactly once)."""
    stop: bool
    """Barge-in: stop the buyer's audio now and drop what is queued (reported once)."""
    version: int
    """Changes whenever chat, heard or status change."""
    ended: dict[str, Any] | None = None


@dataclass
class _Line:
    """The buyer's current reply as it is spoken."""

    clips: list[Clip] = field(default_factory=list)
    done: bool = False  # the reply's text is final (no more clips will come)
    cut_at: float | None = None
    heard_words: int | None = None
    seconds: float | None = None


def _planned_end(line: _Line) -> float | None:
    """When the buyer's line would have finished playing had nobody cut in: the clips played or
    scheduled, then each synthesised clip still queued, back to back."""
    end: float | None = None
    for clip in line.clips:
        if clip.end is not None:
            end = clip.end if end is None else max(end, clip.end)
        else:
            start = end if end is not None else line.cut_at
            end = None if start is None else start + clip.speech.duration
    return end


def _escape(text: str) -> str:
    from html import escape

    return escape(text, quote=False)


class HandsFreeCall:
    """One call's hands-free loop (see the module docstring). Thread-safe; feed from one thread."""

    def __init__(
        self,
        service: TurnService,
        session_id: str,
        actor: Any = None,
        *,
        setting: VoiceSetting | None = None,
        buyer_name: str = "The buyer",
        chat: Chat | None = None,
        end_silence_ms: int = 700,
        vad: VadName = "auto",
        speak: bool = True,
        incremental: bool = True,
        transcriber: IncrementalTranscriber | None = None,
        synthesize_fn: Callable[[str, VoiceSetting], Speech] | None = None,
        clock: Callable[[], float] = time.monotonic,
        escape: Callable[[str], str] = _escape,
        on_clip: Callable[[Clip], None] | None = None,
        on_stop: Callable[[], None] | None = None,
        on_heard: Callable[[str], None] | None = None,
        on_line: Callable[[str], None] | None = None,
    ) -> None:
        self.service, self.session_id, self.actor = service, session_id, actor
        self.setting = setting or VoiceSetting()
        self.buyer_name = buyer_name
        self.speak = speak
        self.clock = clock
        self.escape = escape
        self.synthesize = synthesize_fn or (lambda text, how: synthesize(text, how))
        self.transcriber = transcriber or IncrementalTranscriber(enabled=incremental)
        self.detector = TurnDetector(vad=make_vad(vad), end_silence_ms=end_silence_ms, on_audio=self._partial)
        self.on_clip, self.on_stop = on_clip, on_stop
        self.on_heard, self.on_line = on_heard, on_line
        """Terminal hooks: the rep's transcript once final; the buyer's line once final (or as heard, cut)."""
        self._lock = threading.RLock()
        self._chat: Chat = list(chat or [])
        self._heard = ""
        self._status = "Listening… just start talking."
        self._version = 0
        self._next_clip = 0
        self._undelivered: list[Clip] = []
        self._stop_pending = False
        self._line = _Line(done=True)
        self._previous: _Line | None = None
        self._ended: dict[str, Any] | None = None
        self._turns: queue.Queue[tuple[FloatArray, float] | None] = queue.Queue()
        self._busy = False
        self._closed = False
        self.fed: list[tuple[float, int, int]] = []
        """(clock, sample rate, samples) of each chunk fed, for diagnosis."""
        self.timings: list[dict[str, float]] = []
        """Per turn: ``end_of_speech`` → ``transcript_ready`` / ``first_clip`` (clock seconds)."""
        self._worker = threading.Thread(target=self._work, name=f"hands-free-{session_id[:8]}", daemon=True)
        self._worker.start()

    # ------------------------------------------------------------------ front end API

    def feed(self, sample_rate: int, samples: npt.ArrayLike) -> None:
        """Microphone audio (any rate, int16 or float; mono or frames×channels) as it arrives."""
        if self._closed or self._ended is not None or np.size(samples) == 0:
            return
        audio = to_16k_mono(sample_rate, samples)
        now = self.clock()
        self.fed.append((round(now, 3), int(sample_rate), int(np.size(samples))))
        if len(self.fed) > 2000:  # a recent window is enough for received_share()
            del self.fed[:1000]
        for event in self.detector.feed(audio):
            started_wall = now - (self.detector.stream_s - event.start_s)
            if event.kind == "speech_start":
                self._on_speech_start(now - (self.detector.stream_s - event.at_s))
            else:
                self._on_turn_end(event, started_wall, now)

    def received_share(self) -> float:
        """Audio received ÷ wall time since the first chunk (1.0 = nothing lost): a diagnostic for a
        transport that could drop chunks when the server is slow. The browser's PCM route
        (:mod:`simulator.web.voice_capture`) re-orders and reports gaps, so it stays near 1."""
        if len(self.fed) < 2:
            return 1.0
        wall = self.fed[-1][0] - self.fed[0][0]
        audio = sum(n / rate for _t, rate, n in self.fed[:-1])
        return 1.0 if wall < 2.0 else min(1.0, audio / wall)

    def poll(self) -> CallView:
        """The current view; hands over the clips that should start playing now."""
        with self._lock:
            clips, self._undelivered = self._undelivered, []
            now = self.clock()
            for clip in clips:
                self._hand(clip, now)
            stop, self._stop_pending = self._stop_pending, False
            return CallView([dict(m) for m in self._chat], self._heard, self._status, clips, stop,
                            self._version, self._ended)

    def say(self, text: str) -> None:
        """Speak a buyer line that did not come from a hands-free turn (the opening line, the reply to
        a typed turn), sentence by sentence; the rep can cut it off like any other."""
        with self._lock:
            self._line = line = _Line()
        splitter, spoken = SentenceSplitter(), ""
        for sentence in [*splitter.feed(text.strip() + " "), splitter.flush()]:
            if sentence:
                spoken = self._queue_clip(line, sentence, spoken, {})
        line.done = True

    @property
    def answering(self) -> bool:
        """A turn is being transcribed or answered, or the buyer's audio is still playing."""
        with self._lock:
            return self._busy or not self._line.done or self._playing(self.clock())

    @property
    def ended(self) -> dict[str, Any] | None:
        return self._ended

    def close(self) -> None:
        """Stop the worker (a reply in progress finishes in the background)."""
        self._closed = True
        self._turns.put(None)
        self.transcriber.close()

    # ------------------------------------------------------------------ internals

    def _set(self, *, chat: Chat | None = None, heard: str | None = None, status: str | None = None) -> None:
        with self._lock:
            if chat is not None:
                self._chat = chat
            if heard is not None:
                self._heard = heard
            if status is not None:
                self._status = status
            self._version += 1

    def _hand(self, clip: Clip, now: float) -> None:
        previous = [c.end for c in self._line.clips if c.end is not None and c is not clip]
        clip.handed = now
        clip.start = max([now, *previous])

    def _playing(self, now: float) -> bool:
        ends = [c.end for c in self._line.clips if c.end is not None]
        return bool(self._undelivered) or (bool(ends) and now < max(ends))

    def _partial(self, audio: FloatArray, trailing_silence_s: float) -> None:
        self.transcriber.update(audio, trailing_silence_s)

    def _on_speech_start(self, at: float) -> None:
        with self._lock:
            line = self._line
            if line.cut_at is not None or (line.done and not self._playing(at)):
                return  # nothing of the buyer's is playing or coming
            line.cut_at = at
            played = [(c.text, c.start, c.end) for c in line.clips if c.start is not None and c.end is not None]
            line.heard_words = words_heard([(t, s, e) for t, s, e in played], at)
            first = min((s for _t, s, _e in played), default=at)
            line.seconds = round(max(0.0, min(at, max((e for *_x, e in played), default=at)) - first), 3)
            self._undelivered = []
            self._stop_pending = True
            spoken = " ".join(" ".join(c.text for c in line.clips).split()[: line.heard_words])
            chat = [dict(m) for m in self._chat]
            if chat and chat[-1].get("role") == "assistant":
                chat[-1] = {"role": "assistant", "content": self.escape(spoken) + CUT_MARK}
            self._set(chat=chat, status="You cut in: the buyer stopped. Go on…")
        if self.on_stop is not None:
            self.on_stop()
        if self.on_line is not None:
            self.on_line(spoken + CUT_MARK)

    def _on_turn_end(self, event: VadEvent, started_wall: float, now: float) -> None:
        assert event.audio is not None
        end_of_speech = now - (self.detector.stream_s - event.at_s)
        self._set(status="Got it…")
        self._turns.put((event.audio, started_wall))
        self.timings.append({"end_of_speech": end_of_speech})

    def _work(self) -> None:
        while True:
            item = self._turns.get()
            if item is None:
                return
            audio, started = item
            with self._lock:
                self._busy = True
                before = list(self._chat)
            try:
                self._turn(audio, started, self.timings[-1] if self.timings else {})
            except Exception as exc:  # keep listening whatever happened in one turn
                log.exception("hands-free turn failed")
                self._line.done = True
                self._set(chat=before, status=f"⚠ The buyer could not answer ({self.escape(type(exc).__name__)}); "
                                              "please say it again.")
            finally:
                with self._lock:
                    self._busy = False

    def _turn(self, audio: FloatArray, started: float, timing: dict[str, float]) -> None:
        try:
            heard: Transcript = self.transcriber.finish(audio)
        except VoiceError as exc:
            self._set(status=f"⚠ {self.escape(str(exc))}")
            return
        timing["transcript_ready"] = self.clock()
        if heard.is_empty:
            self._set(status="I could not make out any words. Go on…")
            return
        with self._lock:
            previous = self._line
            cut = previous.cut_at is not None
            # on a barge-in the pause is measured against where the buyer's line would have ended, so
            # talking over the buyer gives a negative pause (simulator/engine/speech.py)
            ended_at = _planned_end(previous) if cut else max([c.end for c in previous.clips if c.end] or [0.0]) or None
            seconds = previous.seconds if cut else (sum(c.speech.duration for c in previous.clips) or None)
            speech = speech_payload(
                heard, recording_started=started, buyer_audio_ended=ended_at, buyer_speech_s=seconds,
                buyer_heard_words=previous.heard_words if cut else None,
            )
            self._line = _Line()
            chat = [*self._chat, {"role": "user", "content": self.escape(heard.text)},
                    {"role": "assistant", "content": "…"}]
        self._set(chat=chat, heard=heard.text, status=f"{self.escape(self.buyer_name)} is answering…")
        if self.on_heard is not None:
            self.on_heard(heard.text)
        self._answer(heard.text, speech, timing)

    def _answer(self, text: str, speech: dict[str, Any], timing: dict[str, float]) -> None:
        from simulator.session.events import Reply, fold

        line = self._line
        splitter = SentenceSplitter()
        spoken = ""  # the text queued as audio so far (a prefix of the line while nothing was reset)
        reset = False
        reply = Reply()
        try:
            for event in self.service.send(self.session_id, text, actor=self.actor, speech=speech):
                reply = fold(reply, event)
                kind = event["type"]
                if kind == "token" and not reset:
                    for sentence in splitter.feed(event["text"]):
                        spoken = self._queue_clip(line, sentence, spoken, timing)
                elif kind == "reset":
                    reset = True
                if kind in ("token", "reset", "line") and line.cut_at is None:
                    self._show(reply.buyer_text or "…")
                elif kind == "ended":
                    self._ended = dict(event)
        except Exception as exc:
            from simulator.errors import SparringError

            line.done = True
            if isinstance(exc, SparringError):
                with self._lock:
                    chat = self._chat[:-2]
                self._set(chat=chat, status=f"⚠ {self.escape(str(exc))}")
                return
            raise
        final = reply.line or ""
        if line.cut_at is None:
            said, words = spoken.split(), final.split()
            # a reply replaced after it started speaking (rare): the final line is spoken whole
            rest = " ".join(words[len(said):]) if words[: len(said)] == said else final
            if rest:
                self._queue_clip(line, rest, spoken, timing)
            self._show(final)
        line.done = True
        if self.on_line is not None and line.cut_at is None:
            self.on_line(final)
        if self._ended is not None:
            self._set(status="**Call ended.** Your scorecard is below.")
        elif line.cut_at is None:
            self._set(status="Your turn — just talk.")

    def _show(self, text: str) -> None:
        with self._lock:
            chat = [dict(m) for m in self._chat]
            if chat and chat[-1].get("role") == "assistant":
                chat[-1] = {"role": "assistant", "content": self.escape(text) or "…"}
        self._set(chat=chat)

    def _queue_clip(self, line: _Line, sentence: str, spoken: str, timing: dict[str, float]) -> str:
        joined = (spoken + " " + sentence).strip()
        if not self.speak or line.cut_at is not None:
            return joined
        try:
            speech = self.synthesize(sentence, self.setting)
        except VoiceError as exc:
            self.speak = False
            self._set(status=f"The buyer's voice is unavailable: {self.escape(str(exc))}")
            return joined
        with self._lock:
            if line.cut_at is not None or line is not self._line:
                return joined
            clip = Clip(self._next_clip, sentence, speech)
            self._next_clip += 1
            line.clips.append(clip)
            timing.setdefault("first_clip", self.clock())
            if self.on_clip is not None:
                self._hand(clip, self.clock())
            else:
                self._undelivered.append(clip)
        if self.on_clip is not None:
            self.on_clip(clip)
        return joined
