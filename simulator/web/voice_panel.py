"""Browser voice practice: pure handler functions for a microphone in and the buyer's voice out.

Nothing here builds Gradio components; the app mounts the handlers (see docs/voice.md)::

    mic = gr.Audio(sources=["microphone"], type="filepath")      # the rep's recording
    heard = gr.Textbox(interactive=False)                         # what speech-to-text heard
    buyer = gr.Audio(autoplay=True, interactive=False)            # the buyer's reply, played at once

:func:`rep_audio_to_turn` yields ``(chat, heard_text, buyer_audio, status)`` tuples: the chat as
Gradio ``messages`` (escaped text), the transcript of the recording, ``(sample_rate, int16 samples)``
for the buyer's final line (None until it is synthesised, and when there is no TTS engine), and a
status line. The browser records, so the server needs no sound card or PortAudio.

Timing: the server notes when each buyer reply starts playing (when it is handed to the browser)
and how long it is; when the next recording arrives, it started ``duration`` seconds before arrival,
so the pause before speaking is estimated as (arrival − recording length + first word start) −
(buyer audio handed over + its length). Upload time makes it slightly long; it is an estimate.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from simulator.content.loader import ContentLibrary
from simulator.errors import SparringError
from simulator.session.events import Event, Reply, fold
from simulator.session.permissions import Actor, refused, talking_owner
from simulator.voice import (
    BuyerPlayback,
    Transcript,
    VoiceError,
    VoiceSetting,
    persona_voice_setting,
    speech_payload,
    synthesize,
    transcribe,
    tts_status,
)
from simulator.voice.handsfree import CallView, HandsFreeCall
from simulator.voice.vad import VadName
from simulator.web.text import esc

log = logging.getLogger(__name__)

Chat = list[dict[str, Any]]
BuyerAudio = tuple[int, npt.NDArray[np.int16]]
VoiceStep = tuple[Chat, str, BuyerAudio | None, str]
"""(chat messages, what was heard, the buyer's audio or None, status)."""

PLAYBACK = BuyerPlayback()
"""When each session's buyer audio was handed to the browser, process-wide."""


class VoiceService(Protocol):
    """What the handlers need from :class:`simulator.session.PracticeService`."""

    library: ContentLibrary

    def send(
        self, session_id: str, text: str, *, actor: Actor | None = None, speech: dict[str, Any] | None = None
    ) -> Iterator[Event]: ...

    def get(self, session_id: str, *, actor: Actor | None = None) -> Any: ...


def voice_status() -> str:
    """One sentence for the page: whether the buyer's replies will be spoken."""
    status = tts_status()
    return "The buyer answers aloud." if status.available else esc(status.reason)


def buyer_voice(service: VoiceService, session_id: str, actor: Actor | None) -> tuple[VoiceSetting, str]:
    """The persona's TTS setting and first name for a session."""
    view = service.get(session_id, actor=actor)
    persona = service.library.personas.get(view.record.persona_id)
    if persona is None:
        return VoiceSetting(), "The buyer"
    return persona_voice_setting(persona.voice), persona.name.split()[0]


def _speak(
    text: str, setting: VoiceSetting, session_id: str, playback: BuyerPlayback, clock: Callable[[], float]
) -> tuple[BuyerAudio | None, str]:
    """Synthesise ``text``; note when its playback will end. Returns (audio or None, problem)."""
    if not text.strip():
        return None, ""
    try:
        speech = synthesize(text, setting)
    except VoiceError as exc:
        playback.played(session_id, ended=clock(), seconds=None)
        return None, str(exc)
    playback.played(session_id, ended=clock() + speech.duration, seconds=speech.duration)
    return speech.as_tuple(), ""


def buyer_line_audio(
    service: VoiceService,
    session_id: str,
    actor: Actor | None = None,
    *,
    playback: BuyerPlayback | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> BuyerAudio | None:
    """The session's last buyer line, spoken (e.g. the opening line right after the call starts).

    None when there is no buyer line yet or no TTS engine. Never raises for voice problems.
    """
    view = service.get(session_id, actor=actor)
    lines = [t["text"] for t in view.transcript if t["speaker"] == "buyer"]
    if not lines:
        return None
    setting, _name = buyer_voice(service, session_id, actor)
    audio, _problem = _speak(lines[-1], setting, session_id, playback or PLAYBACK, clock)
    return audio


def _status(reply: Reply) -> str:
    """The status line for a folded reply: the end, the latest warning, or the rep's turn."""
    if reply.ended is not None:
        verdict = "objective met" if reply.ended["outcome"].get("success") else "objective not met yet"
        return f"**Call ended — {verdict}.** Your scorecard is below."
    if reply.warnings:
        return "⚠ " + esc(reply.warnings[-1])
    return "Your turn."


def _heard(audio_path: str | Path | None) -> tuple[Transcript | None, str]:
    """Transcribe the recording. Returns (transcript, problem to show)."""
    if not audio_path or not Path(audio_path).is_file():
        return None, "No recording arrived. Press record, speak, then stop."
    try:
        heard = transcribe(Path(audio_path))
    except VoiceError as exc:
        return None, str(exc)
    if heard.is_empty:
        return None, "I could not hear any words. Try again, a little closer to the microphone."
    return heard, ""


def rep_audio_to_turn(
    service: VoiceService,
    session_id: str | None,
    audio_path: str | Path | None,
    actor: Actor | None = None,
    *,
    chat: Chat | None = None,
    playback: BuyerPlayback | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[VoiceStep]:
    """One spoken turn: transcribe the recording, send it with its speech data, stream the buyer's
    text, then synthesise the buyer's final line for autoplay.

    ``chat`` is the chat so far (Gradio messages); every step yields the whole chat. On any problem
    the chat is returned unchanged with a status saying what to do; nothing is sent.
    """
    arrived = clock()
    playback = playback or PLAYBACK
    before = list(chat or [])
    if not session_id:
        yield before, "", None, "Start a call first."
        return
    yield before, "", None, "Listening to your recording…"
    heard, problem = _heard(audio_path)
    if heard is None:
        yield before, "", None, f"⚠ {esc(problem)}"
        return
    speech = speech_payload(
        heard,
        recording_started=arrived - heard.duration,
        buyer_audio_ended=playback.ended(session_id),
        buyer_speech_s=playback.seconds(session_id),
    )
    try:
        setting, name = buyer_voice(service, session_id, actor)
    except SparringError as exc:
        yield before, heard.text, None, f"⚠ {esc(exc)}"
        return
    grown = [*before, {"role": "user", "content": esc(heard.text)}, {"role": "assistant", "content": "…"}]
    yield list(grown), heard.text, None, f"{esc(name)} is answering…"
    reply = Reply()
    try:
        for event in service.send(session_id, heard.text, actor=actor, speech=speech):
            reply = fold(reply, event)
            if event["type"] in ("token", "reset", "line"):
                grown[-1] = {"role": "assistant", "content": esc(reply.buyer_text) or "…"}
                yield list(grown), heard.text, None, f"{esc(name)} is answering…"
            elif event["type"] in ("warning", "ended"):
                yield list(grown), heard.text, None, _status(reply)
    except SparringError as exc:
        yield before, heard.text, None, f"⚠ {esc(exc)}"
        return
    except Exception as exc:  # the LLM backend failed in a way the engine could not absorb
        log.exception("voice turn failed")
        yield before, heard.text, None, f"⚠ The buyer could not answer ({esc(type(exc).__name__)}); try again."
        return
    final, status = reply.line or "", _status(reply)
    audio, problem = _speak(final, setting, session_id, playback, clock)
    if problem:
        status += f" (The buyer's voice is unavailable: {esc(problem)})"
    yield grown, heard.text, audio, status


# ---------------------------------------------------------------------------------- hands-free


@dataclass
class LiveStep:
    """What the hands-free microphone handler returns for one chunk; None = unchanged."""

    chat: Chat | None
    heard: str | None
    status: str | None
    player: str | None
    """JSON for the page's audio player: ``{"seq", "stop", "clips": [{"id", "src"}]}`` (data: URLs)."""
    ended: bool = False


class HandsFreeCalls:
    """The open hands-free calls of this process, one per session (the newest ``max_calls`` kept)."""

    def __init__(self, max_calls: int = 200) -> None:
        self.max_calls = max_calls
        self._calls: dict[str, HandsFreeCall] = {}
        self._seen: dict[str, object] = {}
        self._pcm: dict[str, PcmStream] = {}
        self._lock = threading.Lock()

    def pcm_stream(self, session_id: str, stream: str) -> PcmStream:
        """The page script's microphone stream into this session's call (a new ``stream`` id, i.e. a
        new capture, starts again at sequence number 0)."""
        with self._lock:
            current = self._pcm.get(session_id)
            if current is None or current.stream != stream:
                current = self._pcm[session_id] = PcmStream(stream)
            return current

    def get(self, session_id: str) -> HandsFreeCall | None:
        with self._lock:
            return self._calls.get(session_id)

    def open(self, session_id: str, make: Callable[[], HandsFreeCall]) -> HandsFreeCall:
        with self._lock:
            call = self._calls.get(session_id)
            if call is None:
                call = self._calls[session_id] = make()
                self._seen[session_id] = -1
                while len(self._calls) > self.max_calls:
                    oldest = next(iter(self._calls))
                    self._calls.pop(oldest).close()
                    self._seen.pop(oldest, None)
                    self._pcm.pop(oldest, None)
            return call

    def pcm_state(self, session_id: str) -> PcmStream | None:
        """The page script's current stream into this session's call, if any."""
        with self._lock:
            return self._pcm.get(session_id)

    def session_ids(self) -> list[str]:
        """The sessions with an open hands-free call."""
        with self._lock:
            return list(self._calls)

    def changed(self, session_id: str, version: object) -> bool:
        """True (once) when the call's view changed since the page last saw it."""
        with self._lock:
            if self._seen.get(session_id) == version:
                return False
            self._seen[session_id] = version
            return True

    def close(self, session_id: str) -> None:
        with self._lock:
            call = self._calls.pop(session_id, None)
            self._seen.pop(session_id, None)
            self._pcm.pop(session_id, None)
        if call is not None:
            call.close()


HANDS_FREE = HandsFreeCalls()

GAP_STATUS = ("⚠ {n} piece(s) of your microphone audio never reached the server, so words may be missed: "
              "check your connection, or use push-to-talk below.")


def _player_json(view: CallView, seq: int) -> str | None:
    if not view.clips and not view.stop:
        return None
    clips = [
        {"id": c.id, "src": "data:audio/wav;base64," + base64.b64encode(c.speech.wav_bytes()).decode("ascii")}
        for c in view.clips
    ]
    return json.dumps({"seq": seq, "stop": view.stop, "clips": clips})


def hands_free_chunk(
    service: VoiceService,
    session_id: str | None,
    chunk: tuple[int, Any] | None,
    actor: Actor | None = None,
    *,
    chat: Chat | None = None,
    end_silence_ms: int = 700,
    vad: VadName = "auto",
    speak: bool = True,
    calls: HandsFreeCalls | None = None,
    open_call: bool = True,
) -> LiveStep:
    """The hands-free view for the page, after feeding ``chunk`` (``(sample_rate, samples)``) if any.

    Feeds the session's :class:`~simulator.voice.handsfree.HandsFreeCall` (created on the first
    chunk) and returns what changed: the chat, what was heard, the status, and audio clips to play
    or a stop order (barge-in) for the page's player. Never blocks on speech-to-text or the buyer.
    ``chunk=None`` only polls (the page's ``gr.Timer``; its script's audio arrives through :func:`feed_pcm`);
    ``open_call=False``: no call is opened, nothing changes when there is none.
    """
    calls = calls or HANDS_FREE
    if not session_id:
        return LiveStep(None, None, "Start a call first, then talk." if open_call else None, None)
    call = calls.get(session_id)
    if call is None and not open_call:
        return LiveStep(None, None, None, None)
    if call is None:
        try:
            setting, name = buyer_voice(service, session_id, actor)
        except SparringError as exc:
            return LiveStep(None, None, f"⚠ {esc(exc)}", None)
        call = calls.open(session_id, lambda: HandsFreeCall(
            service, session_id, actor, setting=setting, buyer_name=name, chat=list(chat or []),
            end_silence_ms=end_silence_ms, vad=vad, speak=speak, escape=esc))
    call.speak = speak
    if chunk is not None:
        rate, samples = chunk
        try:
            call.feed(int(rate), samples)
        except VoiceError as exc:
            return LiveStep(None, None, f"⚠ {esc(exc)}", None)
    view = call.poll()
    pcm = calls.pcm_state(session_id)
    gaps = len(pcm.gaps) if pcm is not None else 0
    if gaps and not call.answering:
        view.status = GAP_STATUS.format(n=gaps)
    player = _player_json(view, view.version)
    if not calls.changed(session_id, (view.version, gaps)) and player is None:
        return LiveStep(None, None, None, None)
    if view.ended is not None:
        calls.close(session_id)
    return LiveStep(view.chat, view.heard, view.status, player, ended=view.ended is not None)


# ------------------------------------------------------------------ the page script's transport

PCM_RATE = 16_000
"""The page script sends 16 kHz mono signed 16-bit little-endian PCM (``/voice-capture.js``)."""
MAX_PCM_BYTES = PCM_RATE * 2
"""At most one second of audio per chunk (the script sends 0.2 s)."""
MAX_SEQ = 10_000_000
MAX_AHEAD = 50
"""Chunks accepted ahead of a missing one (~10 s at 0.2 s each); beyond that the missing chunk is
declared lost (a gap, reported) so the call does not stall forever."""


class PcmError(ValueError):
    """A chunk the transport refuses: ``status`` is the HTTP status, the message says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def parse_pcm(body: bytes, *, seq: int, rate: int, content_type: str) -> npt.NDArray[np.int16]:
    """Check one chunk of the page script's microphone stream; returns its samples.

    Raises:
        PcmError: wrong content type (415), too large (413), empty, odd-sized, wrong rate or a bad
            sequence number (400).
    """
    if content_type.split(";")[0].strip().lower() != "application/octet-stream":
        raise PcmError(415, "Send the audio as application/octet-stream (16 kHz mono Int16 PCM).")
    if rate != PCM_RATE:
        raise PcmError(400, f"Only {PCM_RATE} Hz audio is accepted (rate={rate}).")
    if not 0 <= seq < MAX_SEQ:
        raise PcmError(400, f"The sequence number must be 0 to {MAX_SEQ - 1} (seq={seq}).")
    if len(body) > MAX_PCM_BYTES:
        raise PcmError(413, f"A chunk may hold at most {MAX_PCM_BYTES} bytes (1 s); this one has {len(body)}.")
    if not body or len(body) % 2:
        raise PcmError(400, f"A chunk must be a non-empty whole number of 16-bit samples ({len(body)} bytes).")
    return np.frombuffer(body, dtype="<i2").astype(np.int16)


@dataclass
class PcmStream:
    """One capture's chunks, put back in order by sequence number and fed to the call in order."""

    stream: str
    next_seq: int = 0
    pending: dict[int, npt.NDArray[np.int16]] = field(default_factory=dict)
    gaps: list[int] = field(default_factory=list)
    """Sequence numbers given up as lost (reported to the script and logged, never silent)."""
    duplicates: int = 0
    samples: int = 0
    """Samples fed to the call."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def push(
        self, seq: int, samples: npt.NDArray[np.int16], feed: Callable[[npt.NDArray[np.int16]], None]
    ) -> dict[str, Any]:
        """Take chunk ``seq``; feed every chunk that is now next in line. Returns the stream's state."""
        with self.lock:
            if seq < self.next_seq or seq in self.pending:
                self.duplicates += 1  # a retried POST that had arrived: already taken
            elif seq - self.next_seq > MAX_AHEAD * 4:
                raise PcmError(400, f"Chunk {seq} is too far ahead of the next expected chunk ({self.next_seq}).")
            else:
                self.pending[seq] = samples
            while self.pending:
                if self.next_seq not in self.pending:
                    if len(self.pending) <= MAX_AHEAD:
                        break
                    log.warning("hands-free audio: chunk %d never arrived; going on without it", self.next_seq)
                    self.gaps.append(self.next_seq)
                    self.next_seq += 1
                    continue
                chunk = self.pending.pop(self.next_seq)
                self.next_seq += 1
                self.samples += int(chunk.size)
                feed(chunk)
            return {"next": self.next_seq, "pending": len(self.pending), "gaps": list(self.gaps),
                    "received_s": round(self.samples / PCM_RATE, 3)}


def may_talk(service: Any, session_id: str, actor: Actor | None) -> None:
    """The practice service's rule for sending a message into a session (simulator/session/permissions.py):
    ``talking_owner`` (refuses disabled accounts) must own the session; a missing and a foreign
    session are refused alike.

    Raises:
        PermissionDeniedError: the actor may not talk in this session.
    """
    owner = talking_owner(actor)
    record = service.store.get_session(str(session_id)[:64])
    if record is None or (owner is not None and record.user_id != owner):
        raise refused(str(session_id))


def feed_pcm(
    service: Any,
    session_id: str,
    actor: Actor | None,
    *,
    stream: str,
    seq: int,
    samples: npt.NDArray[np.int16],
    calls: HandsFreeCalls | None = None,
) -> dict[str, Any]:
    """One chunk from the page script (``POST /voice/{session_id}/pcm``), after :func:`parse_pcm`.

    Raises:
        PermissionDeniedError: not the actor's session (checked first, before anything is revealed).
        PcmError: no hands-free call is open for the session (409), or a bad sequence number.
    """
    may_talk(service, session_id, actor)
    calls = calls or HANDS_FREE
    call = calls.get(session_id)
    if call is None:
        raise PcmError(409, "No hands-free call is open for this session: press \"Talk hands-free\" again.")
    if not stream or len(stream) > 64:
        raise PcmError(400, "Each capture needs a stream id (1 to 64 characters).")

    def feed(chunk: npt.NDArray[np.int16]) -> None:
        try:
            call.feed(PCM_RATE, chunk)
        except VoiceError as exc:
            log.warning("hands-free audio: %s", exc)

    return calls.pcm_stream(session_id, stream).push(seq, samples, feed)
