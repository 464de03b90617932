"""The conversation's events (a typed union) and the one fold every front end uses.

A call streams events: the service's own (``session``, ``accepted``) and the graph's (``token``,
``reset``, ``line``, ``turn``, ``retry``, ``warning``, ``ended``). They are plain dicts, so they cross
LangGraph's stream writer and JSON unchanged, but each kind has a TypedDict with a ``type``
discriminator, so ``if event["type"] == "token": event["text"]`` type-checks.

:func:`fold` turns a stream into a :class:`Reply`: what the buyer has said so far, the final line,
warnings, whether the call ended. The web text page, the web voice panel and the terminal all show a
``Reply``; none of them interprets events on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal, TypedDict

from simulator.engine.state import Outcome, TurnRecord


class SessionEvent(TypedDict):
    """The first event of a new call: its id."""

    type: Literal["session"]
    session_id: str


class AcceptedEvent(TypedDict):
    """The rep's message passed validation and permission and holds the turn (``text`` is as stored)."""

    type: Literal["accepted"]
    text: str


class TokenEvent(TypedDict):
    """A checked piece of the buyer's line, to append to what is shown."""

    type: Literal["token"]
    text: str


class ResetEvent(TypedDict):
    """Clear the buyer's bubble: what was shown is abandoned (a retry or a replacement follows)."""

    type: Literal["reset"]


class LineEvent(TypedDict):
    """The buyer's final line for this turn."""

    type: Literal["line"]
    text: str
    voiced_by: str
    replaced: bool


class TurnEvent(TypedDict):
    """A turn (rep or buyer) was recorded in the transcript."""

    type: Literal["turn"]
    record: TurnRecord


class RetryEvent(TypedDict):
    """The voice model failed; it is being asked again."""

    type: Literal["retry"]
    attempt: int
    error: str


class WarningEvent(TypedDict):
    """Something the rep should know (a fallback line was used, an interrupted reply was finished)."""

    type: Literal["warning"]
    text: str


class EndedEvent(TypedDict):
    """The call is over."""

    type: Literal["ended"]
    outcome: Outcome
    end_reason: str | None


Event = (SessionEvent | AcceptedEvent | TokenEvent | ResetEvent | LineEvent | TurnEvent | RetryEvent
         | WarningEvent | EndedEvent)
EVENT_TYPES: tuple[str, ...] = ("session", "accepted", "token", "reset", "line", "turn", "retry", "warning",
                                "ended")


def as_event(chunk: Any) -> Event:
    """Check a chunk from the graph's stream writer is a known event (a bug otherwise)."""
    if not isinstance(chunk, dict) or chunk.get("type") not in EVENT_TYPES:
        raise TypeError(f"not a conversation event: {chunk!r}")
    return chunk  # type: ignore[return-value]


@dataclass(frozen=True)
class Reply:
    """What a front end shows of one streamed step (a start, a message, an end, a resume)."""

    session_id: str | None = None
    rep_text: str | None = None
    """The rep's message as accepted (None until the service accepted it)."""
    shown: str = ""
    """The buyer's line as shown so far (checked sentences only)."""
    line: str | None = None
    """The buyer's final line, once it is known."""
    stage: str | None = None
    """The stage of the last recorded turn."""
    warnings: tuple[str, ...] = ()
    retries: int = 0
    ended: EndedEvent | None = None
    turns: tuple[TurnRecord, ...] = ()

    @property
    def buyer_text(self) -> str:
        """The buyer's text to display now: the final line once known, else what streamed."""
        return self.line if self.line is not None else self.shown

    @property
    def answering(self) -> bool:
        """True while the buyer's line is still streaming."""
        return self.line is None and self.ended is None


def fold(reply: Reply, event: Event) -> Reply:
    """The state after one more event. Pure: every front end folds the same way."""
    if event["type"] == "session":
        return replace(reply, session_id=event["session_id"])
    if event["type"] == "accepted":
        return replace(reply, rep_text=event["text"])
    if event["type"] == "token":
        return replace(reply, shown=reply.shown + event["text"])
    if event["type"] == "reset":
        return replace(reply, shown="", line=None)
    if event["type"] == "line":
        return replace(reply, shown=event["text"], line=event["text"])
    if event["type"] == "turn":
        return replace(reply, stage=event["record"].get("stage") or reply.stage,
                       turns=(*reply.turns, event["record"]))
    if event["type"] == "retry":
        return replace(reply, retries=reply.retries + 1)
    if event["type"] == "warning":
        return replace(reply, warnings=(*reply.warnings, event["text"]))
    if event["type"] == "ended":
        return replace(reply, ended=event)
    return reply
