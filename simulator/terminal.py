"""The terminal conversation: streamed buyer replies, the rep types, /end ends the call."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.text import Text

from simulator.errors import SparringError
from simulator.session import Event, PracticeService, Reply, fold

END_COMMANDS = ("/end", "/quit", "/exit")
HELP = "Type your reply and press Enter. /end ends the call; /help shows this."


def render_reply(console: Console, events: Iterator[Event], buyer_name: str) -> Reply:
    """Print a stream of events (folded with :func:`simulator.session.fold`); the buyer's line
    streams as it is checked. Returns the folded reply (its ``ended`` event, its final ``line``)."""
    reply = Reply()
    live: Live | None = None
    label = f"[bold cyan]{buyer_name}:[/] "

    def stop_live() -> None:
        nonlocal live
        if live is not None:
            live.stop()
            live = None

    try:
        for event in events:
            before = reply
            reply = fold(reply, event)
            if event["type"] in ("token", "reset") and console.is_terminal:
                if live is None:
                    live = Live(Text.from_markup(label), console=console, refresh_per_second=20, transient=True)
                    live.start()
                live.update(Text.from_markup(label) + Text(reply.shown))
            elif event["type"] == "line":
                stop_live()
                console.print(Text.from_markup(label) + Text(event["text"]))
            elif len(reply.warnings) > len(before.warnings):
                stop_live()
                console.print(f"[yellow]! {reply.warnings[-1]}[/]")
    finally:
        stop_live()
    return reply


def render_events(console: Console, events: Iterator[Event], buyer_name: str) -> dict[str, Any] | None:
    """Print a stream of events; returns the 'ended' event (None while the call goes on)."""
    ended = render_reply(console, events, buyer_name).ended
    return dict(ended) if ended is not None else None


def print_outcome(console: Console, ended: dict[str, Any]) -> None:
    """The call's outcome: each success criterion met or missed."""
    outcome = ended["outcome"]
    console.rule("Call ended" + (f" ({ended['end_reason'].replace('_', ' ')})" if ended.get("end_reason") else ""))
    for line in outcome["met"]:
        console.print(f"[green]✓[/] {line}")
    for line in outcome["missed"]:
        console.print(f"[red]✗[/] {line}")
    console.print("outcome: " + ("success" if outcome["success"] else "failure"))


def converse(
    service: PracticeService,
    session_id: str,
    console: Console,
    read_line: Callable[[], str],
    *,
    buyer_name: str,
    first_events: Iterator[Event] | None = None,
) -> dict[str, Any] | None:
    """Run the conversation until the call ends or input runs out. Returns the 'ended' event."""
    if first_events is not None:
        ended = render_events(console, first_events, buyer_name)
        if ended:
            return ended
    while True:
        try:
            text = read_line()
        except (EOFError, KeyboardInterrupt):
            console.print("\n[dim]Input closed: ending the call.[/]")
            text = "/end"
        command = text.strip().lower()
        if command == "/help":
            console.print(HELP)
            continue
        if command.startswith("/") and command not in END_COMMANDS:
            console.print(f"[yellow]Unknown command {text.strip()!r}: nothing was sent.[/] {HELP}")
            continue
        events = service.end(session_id) if command in END_COMMANDS else service.send(session_id, text)
        try:
            ended = render_events(console, events, buyer_name)
        except SparringError as exc:
            console.print(f"[yellow]{exc}[/]")
            continue
        if ended:
            return ended
