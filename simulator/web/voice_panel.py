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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from simulator.content.loader import ContentLibrary
from simulator.errors import SparringError
from simulator.session.events import Event, Reply, fold
from simulator.session.permissions import Actor
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
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()

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
            return call

    def session_ids(self) -> list[str]:
        """The sessions with an open hands-free call."""
        with self._lock:
            return list(self._calls)

    def changed(self, session_id: str, version: int) -> bool:
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
        if call is not None:
            call.close()


HANDS_FREE = HandsFreeCalls()

GAPPY_SHARE = 0.6
GAPPY_STATUS = ("⚠ Your microphone audio is reaching the server with gaps (it is busy), so words may be "
                "missed: use push-to-talk below until it is quieter.")


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
) -> LiveStep:
    """One chunk of the open microphone (``(sample_rate, samples)`` as Gradio streams it).

    Feeds the session's :class:`~simulator.voice.handsfree.HandsFreeCall` (created on the first
    chunk) and returns what changed: the chat, what was heard, the status, and audio clips to play
    or a stop order (barge-in) for the page's player. Never blocks on speech-to-text or the buyer.
    """
    calls = calls or HANDS_FREE
    if not session_id:
        return LiveStep(None, None, "Start a call first, then talk.", None)
    call = calls.get(session_id)
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
    if call.received_share() < GAPPY_SHARE and not call.answering:
        view.status = GAPPY_STATUS
    player = _player_json(view, view.version)
    if not calls.changed(session_id, view.version) and player is None:
        return LiveStep(None, None, None, None)
    if view.ended is not None:
        calls.close(session_id)
    return LiveStep(view.chat, view.heard, view.status, player, ended=view.ended is not None)
