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

import logging
import time
from collections.abc import Callable, Iterator
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
