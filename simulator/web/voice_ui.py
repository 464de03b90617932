"""Voice mode on the practice page: talk hands-free (an open microphone) or push-to-talk, and hear
the buyer answer.

Hands-free: the streaming microphone sends a chunk every ``STREAM_EVERY`` seconds to
:func:`~simulator.web.voice_panel.hands_free_chunk`, which runs the turn-taking on the server and
answers with what changed; the buyer's audio arrives as clips in a hidden textbox and a small
script plays them in order and stops them on barge-in (``window.sparringPlayer`` shows its state).
Push-to-talk: record, stop, and the whole recording is one turn (:func:`rep_audio_to_turn`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr

from simulator.errors import SparringError
from simulator.web.ui_common import PageContext
from simulator.web.voice_panel import HANDS_FREE, buyer_line_audio, hands_free_chunk, rep_audio_to_turn, voice_status

STREAM_EVERY = 0.25
"""Seconds of microphone audio per chunk in hands-free mode (the turn ends at most this late)."""

PLAYER_JS = """/* Sparring hands-free voice: play the buyer's clips in order; stop them on barge-in. The server puts
   {"seq", "stop", "clips": [{"id", "src"}]} in the hidden #buyer-player textbox; the page's CSP allows
   no eval (Gradio's js= handlers), so this same-origin script polls that textbox. State: window.sparringPlayer. */
(() => {
  const P = window.sparringPlayer = {queue: [], audio: null, seq: -1, started: [], played: [], stops: 0,
                                     errors: 0, playing: false, last: ""};
  const next = () => {
    if (P.audio || !P.queue.length) { P.playing = !!P.audio; return; }
    const clip = P.queue.shift();
    const audio = new Audio(clip.src);
    P.audio = audio; P.playing = true; P.started.push(clip.id);
    const done = () => { if (P.audio === audio) { P.audio = null; } P.played.push(clip.id); next(); };
    audio.onended = done;
    audio.play().catch(() => { P.errors += 1; done(); });
  };
  const take = (value) => {
    let msg;
    try { msg = JSON.parse(value); } catch (e) { return; }
    if (typeof msg.seq !== "number" || msg.seq <= P.seq) return;
    P.seq = msg.seq;
    if (msg.stop) {
      P.queue = [];
      if (P.audio) { P.audio.pause(); P.audio = null; }
      P.playing = false; P.stops += 1;
    }
    for (const clip of msg.clips || []) P.queue.push(clip);
    next();
  };
  setInterval(() => {
    const box = document.querySelector("#buyer-player textarea");
    if (box && box.value && box.value !== P.last) { P.last = box.value; take(box.value); }
  }, 50);
})();
"""
"""The hands-free player, served as ``/voice-player.js`` (the CSP runs only same-origin or nonce-tagged
scripts, and Gradio inserts ``head`` HTML with a script of its own making, so an inline one is refused)."""

PLAYER_HEAD = '<script src="/voice-player.js"></script>'
"""Goes into the page's ``<head>`` (``gr.mount_gradio_app(head=...)`` in ``simulator/web/server.py``)."""


def add_voice_routes(app: Any) -> None:
    """``GET /voice-player.js`` on the FastAPI app (behind the sign-in middleware like every route)."""
    from fastapi import Response

    @app.get("/voice-player.js", include_in_schema=False)
    def voice_player() -> Response:
        return Response(PLAYER_JS, media_type="text/javascript")


@dataclass
class VoiceControls:
    """The voice-mode components of the practice page."""

    speak_replies: gr.Checkbox
    live_mic: gr.Audio
    player: gr.Textbox
    mic: gr.Audio
    heard: gr.Textbox
    buyer_audio: gr.Audio


def voice_controls() -> VoiceControls:
    """Lay out the voice components (call inside the page's layout)."""
    with gr.Accordion("Voice: speak instead of typing", open=False, elem_id="voice"):
        gr.Markdown(voice_status(), elem_id="voice-status")
        speak = gr.Checkbox(label="Speak the buyer's replies", value=True, elem_id="speak-replies")
        live_mic = gr.Audio(sources=["microphone"], streaming=True, type="numpy", elem_id="mic-live",
                            label="Hands-free: press Record once and talk; the buyer answers when you pause, "
                                  "and stops when you talk over it")
        mic = gr.Audio(sources=["microphone"], type="filepath", label="Push to talk: record your line, then stop",
                       elem_id="mic")
        heard = gr.Textbox(label="What was heard", interactive=False, elem_id="heard")
        buyer_audio = gr.Audio(label="Buyer", autoplay=True, interactive=False, elem_id="buyer-audio")
        player = gr.Textbox(visible="hidden", elem_id="buyer-player", label="buyer clips")
    return VoiceControls(speak, live_mic, player, mic, heard, buyer_audio)


def wire_voice(
    ctx: PageContext,
    controls: VoiceControls,
    *,
    call: gr.State,
    chat: gr.Chatbot,
    status: gr.Markdown,
    events_with_reply: list[Any],
    scorecard: Callable[[dict[str, Any] | None, list[dict[str, Any]], gr.Request], tuple[Any, ...]],
    scorecard_outputs: list[Any],
) -> None:
    """Wire the microphone turn, and speak the buyer's latest line after typed turns and the opening."""
    practice = ctx.services.practice

    def on_recording(path: str | None, c: dict[str, Any] | None, history: list[dict[str, Any]],
                     request: gr.Request) -> Iterator[tuple[Any, ...]]:
        actor = ctx.actor(request)
        session_id = (c or {}).get("session_id")
        yield from rep_audio_to_turn(practice, session_id, path, actor, chat=list(history or []))

    def speak_last(on: bool, c: dict[str, Any] | None, request: gr.Request) -> Any:
        if not on or not c or not c.get("session_id"):
            return None
        try:
            return buyer_line_audio(practice, c["session_id"], ctx.actor(request))
        except SparringError:
            return None

    end_silence_ms = practice.settings.voice_end_silence_ms
    vad = practice.settings.voice_vad

    def on_chunk(chunk: Any, c: dict[str, Any] | None, history: list[dict[str, Any]], on: bool,
                 request: gr.Request) -> tuple[Any, ...]:
        session_id = (c or {}).get("session_id")
        step = hands_free_chunk(practice, session_id, chunk, ctx.actor(request), chat=list(history or []),
                                end_silence_ms=end_silence_ms, vad=vad, speak=bool(on))
        skip = gr.skip()
        out = (skip if step.chat is None else step.chat, skip if step.heard is None else step.heard,
               skip if step.player is None else step.player, skip if step.status is None else step.status)
        if step.ended:
            return (*out, *scorecard(c, step.chat or [], request))
        return (*out, *(skip for _ in scorecard_outputs))

    def on_live_stop(c: dict[str, Any] | None) -> None:
        if c and c.get("session_id") and (call_ := HANDS_FREE.get(c["session_id"])) and not call_.answering:
            HANDS_FREE.close(c["session_id"])

    controls.live_mic.stream(
        on_chunk, [controls.live_mic, call, chat, controls.speak_replies],
        [chat, controls.heard, controls.player, status, *scorecard_outputs],
        stream_every=STREAM_EVERY, time_limit=None, concurrency_limit=None, show_progress="hidden",
    )
    controls.live_mic.stop_recording(on_live_stop, [call], None)
    controls.mic.stop_recording(
        on_recording, [controls.mic, call, chat], [chat, controls.heard, controls.buyer_audio, status]
    ).then(scorecard, [call, chat], scorecard_outputs)
    for event in events_with_reply:
        event.then(speak_last, [controls.speak_replies, call], controls.buyer_audio)
