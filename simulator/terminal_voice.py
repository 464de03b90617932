"""The terminal conversation by voice: hands-free or push-to-talk in, the buyer's line spoken back out.

Hands-free (the default where a microphone and speaker exist): the microphone stays open, the turn
ends after ``SPARRING_VOICE_END_SILENCE_MS`` of silence, the buyer's reply is spoken sentence by
sentence as it is generated, and talking over the buyer stops it (barge-in; the transcript keeps what
was heard). :class:`~simulator.voice.handsfree.HandsFreeCall` does the turn-taking; typing a line
still sends it, ``/ptt`` switches to push-to-talk, ``/end`` ends the call.

Push-to-talk, each turn: press Enter to start talking and Enter again to stop (or type a line and press Enter
instead). What speech-to-text heard is shown, sent with the rep's word timings and pause
(``PracticeService.send(..., speech=...)``), the buyer's reply streams as text, and then the final
line is spoken in the persona's voice. Without a microphone/speaker (``audio_available()`` is
False) the reason is printed and the call continues in text (:func:`simulator.terminal.converse`).
Without a text-to-speech engine the buyer's replies stay text while the rep still talks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.text import Text

from simulator.content.models import Persona
from simulator.errors import SparringError
from simulator.session import Event, PracticeService
from simulator.terminal import END_COMMANDS, converse, render_reply
from simulator.voice import (
    Recorder,
    Speech,
    Transcript,
    VoiceError,
    VoiceSetting,
    audio_available,
    persona_voice_setting,
    play,
    speech_payload,
    synthesize,
    transcribe,
    tts_status,
)

VOICE_HELP = (
    "Press Enter to start talking and Enter again to stop; or type your reply and press Enter. "
    "/end ends the call; /help shows this."
)
TALK_PROMPT = "[bold green]You[/] [dim](Enter = talk, or type):[/] "
STOP_PROMPT = "[bold red]● recording[/] [dim]— press Enter to stop[/] "
MAX_RECORDING_S = 60.0
HANDS_FREE_HELP = (
    "Hands-free: just talk; the buyer answers when you pause, and stops if you talk over it. "
    "Type a line and press Enter to send it instead; /ptt switches to push-to-talk; /end ends the call."
)
HANDS_FREE_PROMPT = "[dim](listening — type a line, /ptt or /end)[/] "


def _tts_available() -> tuple[bool, str]:
    status = tts_status()
    return status.available, status.reason


@dataclass
class VoiceIO:
    """Everything that touches audio hardware or a speech model (replaceable in tests).

    The defaults look the functions up when called, so tests may also monkeypatch this module.
    """

    audio_check: Callable[[], tuple[bool, str]] = field(default=lambda: audio_available())
    recorder: Callable[[float], Recorder] = field(default=lambda seconds: Recorder(max_seconds=seconds))
    transcribe: Callable[[Any], Transcript] = field(default=lambda samples: transcribe(samples))
    synthesize: Callable[[str, VoiceSetting], Speech] = field(default=lambda text, how: synthesize(text, how))
    play: Callable[[Any, int], None] = field(default=lambda samples, rate: play(samples, rate))
    tts_check: Callable[[], tuple[bool, str]] = field(default=lambda: _tts_available())
    clock: Callable[[], float] = field(default=lambda: time.monotonic())
    player: Callable[[], Any] = field(default=lambda: _clip_player())
    microphone: Callable[[Callable[[Any], None]], Any] = field(default=lambda on_chunk: _mic_stream(on_chunk))


def _clip_player() -> Any:
    from simulator.voice.audio import ClipPlayer

    return ClipPlayer()


def _mic_stream(on_chunk: Callable[[Any], None]) -> Any:
    from simulator.voice.audio import MicStream

    return MicStream(on_chunk)


@dataclass
class _BuyerAudio:
    ended: float | None = None
    seconds: float | None = None


class VoiceConversation:
    """One voice call in the terminal. Use :func:`converse_by_voice`."""

    def __init__(
        self,
        service: PracticeService,
        session_id: str,
        console: Console,
        ask: Callable[[str], str],
        *,
        persona: Persona,
        io: VoiceIO | None = None,
        stop_recording: Callable[[Recorder], object] | None = None,
        max_seconds: float = MAX_RECORDING_S,
        hands_free: bool = False,
    ) -> None:
        self.service, self.session_id, self.console, self.ask = service, session_id, console, ask
        self.hands_free = hands_free
        self.persona = persona
        self.io = io or VoiceIO()
        self.stop_recording = stop_recording or (lambda _rec: self.ask(STOP_PROMPT))
        self.max_seconds = max_seconds
        self.setting = persona_voice_setting(persona.voice)
        self.speaks = True
        self.buyer = _BuyerAudio()

    # ------------------------------------------------------------------ buyer side

    def show(self, events: Iterator[Event]) -> tuple[dict[str, Any] | None, str]:
        """Print the streamed reply; return the 'ended' event and the buyer's final line."""
        reply = render_reply(self.console, events, self.persona.name)
        return (dict(reply.ended) if reply.ended is not None else None), reply.line or ""

    def speak(self, line: str) -> None:
        """Say the buyer's line in the persona's voice; remember when it ended and how long it was."""
        if not line.strip() or not self.speaks:
            return
        try:
            speech = self.io.synthesize(line, self.setting)
            self.io.play(speech.samples, speech.sample_rate)
        except VoiceError as exc:
            self.console.print(f"[yellow]! The buyer's voice failed ({exc}); replies stay text.[/]")
            self.speaks = False
            self.buyer = _BuyerAudio(self.io.clock(), None)
            return
        self.buyer = _BuyerAudio(self.io.clock(), speech.duration)

    # ------------------------------------------------------------------ rep side

    def record(self) -> tuple[str, dict[str, Any]] | None:
        """Push-to-talk, then speech-to-text. Returns (text heard, speech dict) or None to try again."""
        recorder = self.io.recorder(self.max_seconds)
        started = self.io.clock()
        try:
            recorder.start()
        except VoiceError as exc:
            self.console.print(f"[yellow]! {exc} Type your reply instead.[/]")
            return None
        try:
            self.stop_recording(recorder)
        finally:
            samples = recorder.stop()
        if recorder.done.is_set():
            self.console.print(f"[dim]Recording stopped at its {self.max_seconds:.3g} s limit.[/]")
        if samples.size == 0:
            self.console.print("[yellow]Nothing was recorded. Press Enter, speak, then press Enter again.[/]")
            return None
        try:
            with self.console.status("Transcribing…"):
                heard = self.io.transcribe(samples)
        except VoiceError as exc:
            self.console.print(f"[yellow]! {exc}[/]")
            return None
        if heard.is_empty:
            self.console.print("[yellow]Heard nothing. Try again (speak after pressing Enter), or type.[/]")
            return None
        self.console.print(Text.from_markup("[bold green]You (heard):[/] ") + Text(heard.text))
        payload = speech_payload(
            heard, recording_started=started, buyer_audio_ended=self.buyer.ended, buyer_speech_s=self.buyer.seconds
        )
        return heard.text, payload

    def typed_speech(self) -> dict[str, Any] | None:
        """A typed line still tells the engine how long the buyer's last line played."""
        return {"buyer_speech_s": self.buyer.seconds} if self.buyer.seconds else None

    # ------------------------------------------------------------------ the call

    def run(self, first_events: Iterator[Event] | None = None) -> dict[str, Any] | None:
        """Talk until the call ends or input runs out. Returns the 'ended' event."""
        ok, reason = self.io.tts_check()
        if not ok:
            self.console.print(f"[yellow]{reason}[/]")
            self.speaks = False
        if self.hands_free:
            return self.run_hands_free(first_events)
        self.console.print(f"[dim]{VOICE_HELP}[/]")
        if first_events is not None:
            ended, line = self.show(first_events)
            self.speak(line)
            if ended:
                return ended
        return self.push_to_talk_loop()

    def run_hands_free(self, first_events: Iterator[Event] | None = None) -> dict[str, Any] | None:
        """The open-microphone call (see the module docstring); falls back to push-to-talk on /ptt or
        when the microphone or speaker cannot open."""
        from simulator.config import load_settings
        from simulator.voice.handsfree import HandsFreeCall

        settings = load_settings()
        opening = ""
        if first_events is not None:
            ended, opening = self.show(first_events)
            if ended:
                return ended
        try:
            player = self.io.player()
            player.start()
        except VoiceError as exc:
            self.console.print(f"[yellow]! {exc} Using push-to-talk.[/]")
            self.speak(opening)
            return self.push_to_talk_loop()

        def heard(text: str) -> None:
            self.console.print(Text.from_markup("[bold green]You (heard):[/] ") + Text(text))

        def line(text: str) -> None:
            self.console.print(Text.from_markup(f"[bold magenta]{self.persona.name}:[/] ") + Text(text))

        call = HandsFreeCall(
            self.service, self.session_id, setting=self.setting, buyer_name=self.persona.name.split()[0],
            end_silence_ms=settings.voice_end_silence_ms, vad=settings.voice_vad, speak=self.speaks,
            clock=self.io.clock, escape=lambda text: text, on_heard=heard, on_line=line,
            synthesize_fn=self.io.synthesize,
            on_clip=lambda clip: player.enqueue(clip.speech.samples, clip.speech.sample_rate), on_stop=player.stop,
        )
        if opening and self.speaks:
            call.say(opening)
        mic = self.io.microphone(lambda chunk: call.feed(16_000, chunk))
        try:
            mic.start()
        except VoiceError as exc:
            self.console.print(f"[yellow]! {exc} Using push-to-talk.[/]")
            call.close()
            player.close()
            return self.push_to_talk_loop()
        self.console.print(f"[dim]{HANDS_FREE_HELP}[/]")
        try:
            while call.ended is None:
                try:
                    typed = self.ask(HANDS_FREE_PROMPT)
                except (EOFError, KeyboardInterrupt):
                    typed = "/end"
                command = typed.strip().lower()
                if call.ended is not None:
                    break
                if command == "/ptt":
                    mic.close()
                    self.console.print("[dim]Push-to-talk now.[/]")
                    return self.push_to_talk_loop()
                if command in END_COMMANDS:
                    ended, _line = self.show(self.service.end(self.session_id))
                    return ended
                if command.startswith("/"):
                    self.console.print(HANDS_FREE_HELP)
                    continue
                if typed.strip():
                    while call.answering:
                        time.sleep(0.05)
                    ended, reply = self.show(self.service.send(self.session_id, typed))
                    if reply and self.speaks:
                        call.say(reply)
                    if ended:
                        return ended
            return call.ended
        finally:
            mic.close()
            call.close()
            player.close()

    def push_to_talk_loop(self) -> dict[str, Any] | None:
        """Push-to-talk turns until the call ends or input runs out."""
        while True:
            try:
                typed = self.ask(TALK_PROMPT)
            except (EOFError, KeyboardInterrupt):
                self.console.print("\n[dim]Input closed: ending the call.[/]")
                typed = "/end"
            command = typed.strip().lower()
            if command == "/help":
                self.console.print(VOICE_HELP)
                continue
            if command.startswith("/") and command not in END_COMMANDS:
                self.console.print(f"[yellow]Unknown command {typed.strip()!r}: nothing was sent.[/] {VOICE_HELP}")
                continue
            if command in END_COMMANDS:
                events = self.service.end(self.session_id)
            elif typed.strip():
                events = self.service.send(self.session_id, typed, speech=self.typed_speech())
            else:
                spoken = self.record()
                if spoken is None:
                    continue
                events = self.service.send(self.session_id, spoken[0], speech=spoken[1])
            try:
                ended, line = self.show(events)
            except SparringError as exc:
                self.console.print(f"[yellow]{exc}[/]")
                continue
            self.speak(line)
            if ended:
                return ended


def converse_by_voice(
    service: PracticeService,
    session_id: str,
    console: Console,
    ask: Callable[[str], str],
    *,
    persona: Persona,
    first_events: Iterator[Event] | None = None,
    io: VoiceIO | None = None,
    stop_recording: Callable[[Recorder], object] | None = None,
    max_seconds: float = MAX_RECORDING_S,
    hands_free: bool | None = None,
) -> dict[str, Any] | None:
    """Run the call by voice, or in text when there is no microphone/speaker. Returns the 'ended' event.

    ``hands_free``: an open microphone with turn-taking and barge-in, or push-to-talk; None = the
    ``SPARRING_VOICE_INPUT`` setting (default hands-free), push-to-talk when ``stop_recording`` is given.

    ``ask(prompt)`` reads a line (``console.input``). ``stop_recording(recorder)`` waits until the rep
    stops talking (default: Enter); tests pass one that waits for the recorder's frame limit.
    """
    io = io or VoiceIO()
    ok, reason = io.audio_check()
    if not ok:
        console.print(f"[yellow]Voice is not available: {reason} Continuing in text.[/]")
        return converse(service, session_id, console, lambda: ask("[bold green]You:[/] "),
                        buyer_name=persona.name, first_events=first_events)
    if hands_free is None:
        from simulator.config import load_settings

        hands_free = stop_recording is None and load_settings().voice_input == "hands-free"
    call = VoiceConversation(service, session_id, console, ask, persona=persona, io=io,
                             stop_recording=stop_recording, max_seconds=max_seconds, hands_free=hands_free)
    return call.run(first_events)
