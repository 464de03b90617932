"""Voice mode on the practice page: talk hands-free (an open microphone) or push-to-talk, and hear
the buyer answer.

Hands-free: the page script ``/voice-capture.js`` (:mod:`simulator.web.voice_capture`) captures the
microphone, and POSTs every 0.2 s of 16 kHz PCM with a sequence number to ``POST
/voice/{session_id}/pcm``, which puts the chunks back in order and feeds the session's
:class:`~simulator.voice.handsfree.HandsFreeCall` losing nothing. A ``gr.Timer`` polls the call's
view (:func:`~simulator.web.voice_panel.hands_free_chunk` with no audio): chat, what was heard,
status, and the buyer's audio as clips in a hidden textbox that ``/voice-player.js`` plays in order
and stops on barge-in (``window.sparringPlayer`` shows its state). This replaced Gradio's streaming
microphone, which keeps only the latest chunk and so dropped most audio when the server was busy.
Push-to-talk: record, stop, and the whole recording is one turn (:func:`rep_audio_to_turn`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr
from fastapi import Request

from simulator.errors import SparringError
from simulator.web.ui_common import PageContext
from simulator.web.voice_capture import CAPTURE_HEAD, CAPTURE_JS, WORKLET_JS
from simulator.web.voice_panel import (
    HANDS_FREE,
    MAX_PCM_BYTES,
    PcmError,
    buyer_line_audio,
    feed_pcm,
    hands_free_chunk,
    parse_pcm,
    rep_audio_to_turn,
    voice_status,
)

POLL_EVERY = 0.2
"""Seconds between polls of the hands-free view (chat, heard, status, buyer clips) by the page."""

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

PLAYER_HEAD = '<script src="/voice-player.js"></script>' + CAPTURE_HEAD
"""Goes into the page's ``<head>`` (``gr.mount_gradio_app(head=...)`` in ``simulator/web/server.py``)."""


def add_voice_routes(app: Any, services: Any = None) -> None:
    """``GET /voice-player.js``, ``/voice-capture.js``, ``/voice-capture-worklet.js`` and (with
    ``services``) ``POST /voice/{session_id}/pcm`` on the FastAPI app, behind the sign-in and CSRF
    middleware like every route (simulator/web/security.py)."""
    import anyio.to_thread
    from fastapi import Response
    from fastapi.responses import JSONResponse

    from simulator.errors import PermissionDeniedError
    from simulator.web.security import SCOPE_SESSION

    @app.get("/voice-player.js", include_in_schema=False)
    def voice_player() -> Response:
        return Response(PLAYER_JS, media_type="text/javascript")

    @app.get("/voice-capture.js", include_in_schema=False)
    def voice_capture() -> Response:
        return Response(CAPTURE_JS, media_type="text/javascript")

    @app.get("/voice-capture-worklet.js", include_in_schema=False)
    def voice_capture_worklet() -> Response:
        return Response(WORKLET_JS, media_type="text/javascript")

    if services is None:
        return

    @app.post("/voice/{session_id}/pcm", include_in_schema=False)
    async def voice_pcm(session_id: str, request: Request, seq: int = -1, stream: str = "",
                        rate: int = 0) -> Response:
        """One chunk of the page script's microphone (16 kHz mono Int16 PCM, at most 1 s)."""
        user = getattr(request.scope.get(SCOPE_SESSION), "user", None)
        if user is None:
            return JSONResponse({"detail": "Sign in first."}, status_code=401)
        try:
            declared = int(request.headers.get("content-length") or 0)
        except ValueError:
            declared = 0
        if declared > MAX_PCM_BYTES:
            return JSONResponse({"detail": f"A chunk may hold at most {MAX_PCM_BYTES} bytes (1 s); this one "
                                           f"has {declared}."}, status_code=413)
        body = b""
        async for part in request.stream():
            body += part
            if len(body) > MAX_PCM_BYTES:
                break
        try:
            samples = parse_pcm(body, seq=seq, rate=rate, content_type=request.headers.get("content-type", ""))
            result = await anyio.to_thread.run_sync(lambda: feed_pcm(
                services.practice, session_id, user, stream=stream, seq=seq, samples=samples))
        except PermissionDeniedError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=403)
        except PcmError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=exc.status)
        return JSONResponse(result)


@dataclass
class VoiceControls:
    """The voice-mode components of the practice page."""

    speak_replies: gr.Checkbox
    player: gr.Textbox
    mic: gr.Audio
    heard: gr.Textbox
    buyer_audio: gr.Audio
    talk: gr.Button
    """Starts the page script's microphone (``/voice-capture.js``) and opens the hands-free call."""
    hang_up: gr.Button
    session_box: gr.Textbox
    """Hidden: ``session_id/nonce`` for the page script (a new nonce on every start)."""
    timer: gr.Timer
    """Polls the hands-free view while a call is open."""


def voice_controls() -> VoiceControls:
    """Lay out the voice components (call inside the page's layout)."""
    with gr.Accordion("Voice: speak instead of typing", open=False, elem_id="voice"):
        gr.Markdown(voice_status(), elem_id="voice-status")
        speak = gr.Checkbox(label="Speak the buyer's replies", value=True, elem_id="speak-replies")
        gr.Markdown("**Hands-free:** press *Talk hands-free* once and talk; the buyer answers when you pause, "
                    "and stops when you talk over it.")
        with gr.Row():
            talk = gr.Button("Talk hands-free", elem_id="hf-start", variant="primary")
            hang_up = gr.Button("Stop talking", elem_id="hf-stop")
        mic = gr.Audio(sources=["microphone"], type="filepath", label="Push to talk: record your line, then stop",
                       elem_id="mic")
        heard = gr.Textbox(label="What was heard", interactive=False, elem_id="heard")
        buyer_audio = gr.Audio(label="Buyer", autoplay=True, interactive=False, elem_id="buyer-audio")
        player = gr.Textbox(visible="hidden", elem_id="buyer-player", label="buyer clips")
        session_box = gr.Textbox(visible="hidden", elem_id="voice-session", label="voice session")
        timer = gr.Timer(POLL_EVERY, active=False)
    return VoiceControls(speak, player, mic, heard, buyer_audio, talk, hang_up, session_box, timer)


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

    def outputs(step: Any, c: dict[str, Any] | None, request: gr.Request) -> tuple[Any, ...]:
        skip = gr.skip()
        out = (skip if step.chat is None else step.chat, skip if step.heard is None else step.heard,
               skip if step.player is None else step.player, skip if step.status is None else step.status)
        if step.ended:
            return (*out, *scorecard(c, step.chat or [], request))
        return (*out, *(skip for _ in scorecard_outputs))

    def on_tick(c: dict[str, Any] | None, history: list[dict[str, Any]], on: bool,
                request: gr.Request) -> tuple[Any, ...]:
        session_id = (c or {}).get("session_id")
        step = hands_free_chunk(practice, session_id, None, ctx.actor(request), chat=list(history or []),
                                end_silence_ms=end_silence_ms, vad=vad, speak=bool(on), open_call=False)
        # no open call (stopped, or the call ended): stop polling until the button is pressed again
        still = session_id is not None and HANDS_FREE.get(session_id) is not None
        return (gr.skip() if still else gr.Timer(active=False), *outputs(step, c, request))

    def on_talk(c: dict[str, Any] | None, history: list[dict[str, Any]], on: bool,
                request: gr.Request) -> tuple[Any, ...]:
        """Open the session's hands-free call, then tell the page script where to send (a fresh value
        every time, so the script never sends to the call of an earlier press)."""
        session_id = (c or {}).get("session_id")
        step = hands_free_chunk(practice, session_id, None, ctx.actor(request), chat=list(history or []),
                                end_silence_ms=end_silence_ms, vad=vad, speak=bool(on))
        if not session_id or HANDS_FREE.get(session_id) is None:
            return ("", gr.Timer(active=False), *outputs(step, c, request))
        return (f"{session_id}/{time.time_ns()}", gr.Timer(active=True), *outputs(step, c, request))

    def on_live_stop(c: dict[str, Any] | None) -> None:
        if c and c.get("session_id") and (call_ := HANDS_FREE.get(c["session_id"])) and not call_.answering:
            HANDS_FREE.close(c["session_id"])

    view = [chat, controls.heard, controls.player, status, *scorecard_outputs]
    controls.talk.click(on_talk, [call, chat, controls.speak_replies], [controls.session_box, controls.timer, *view],
                        show_progress="hidden")
    controls.hang_up.click(on_live_stop, [call], None, show_progress="hidden")
    controls.timer.tick(on_tick, [call, chat, controls.speak_replies], [controls.timer, *view],
                        concurrency_limit=None, show_progress="hidden")
    controls.mic.stop_recording(
        on_recording, [controls.mic, call, chat], [chat, controls.heard, controls.buyer_audio, status]
    ).then(scorecard, [call, chat], scorecard_outputs)
    for event in events_with_reply:
        event.then(speak_last, [controls.speak_replies, call], controls.buyer_audio)
