"""Voice mode on the practice page: record with the microphone, hear the buyer answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr

from simulator.errors import SparringError
from simulator.web.ui_common import PageContext
from simulator.web.voice_panel import buyer_line_audio, rep_audio_to_turn, voice_status


@dataclass
class VoiceControls:
    """The voice-mode components of the practice page."""

    speak_replies: gr.Checkbox
    mic: gr.Audio
    heard: gr.Textbox
    buyer_audio: gr.Audio


def voice_controls() -> VoiceControls:
    """Lay out the voice components (call inside the page's layout)."""
    with gr.Accordion("Voice: speak instead of typing", open=False, elem_id="voice"):
        gr.Markdown(voice_status(), elem_id="voice-status")
        speak = gr.Checkbox(label="Speak the buyer's replies", value=True, elem_id="speak-replies")
        mic = gr.Audio(sources=["microphone"], type="filepath", label="Record your line, then stop",
                       elem_id="mic")
        heard = gr.Textbox(label="What was heard", interactive=False, elem_id="heard")
        buyer_audio = gr.Audio(label="Buyer", autoplay=True, interactive=False, elem_id="buyer-audio")
    return VoiceControls(speak, mic, heard, buyer_audio)


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

    controls.mic.stop_recording(
        on_recording, [controls.mic, call, chat], [chat, controls.heard, controls.buyer_audio, status]
    ).then(scorecard, [call, chat], scorecard_outputs)
    for event in events_with_reply:
        event.then(speak_last, [controls.speak_replies, call], controls.buyer_audio)
