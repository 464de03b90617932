"""The one place that builds and drives the session graph.

The practice service (persisted sessions), replay and self-play (in memory) all run conversations
through :class:`ConversationRunner`: it compiles the graph once per checkpointer, streams one run
(a start, a rep message, an end, or finishing an interrupted reply) as typed events, and reads the
checkpoint back.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from simulator.engine.context import SessionContext
from simulator.engine.graph import build_graph
from simulator.engine.state import TurnRecord
from simulator.session.events import EndedEvent, Event, as_event


@dataclass
class RunResult:
    """What one run produced."""

    new_turns: list[TurnRecord] = field(default_factory=list)
    ended: EndedEvent | None = None
    completed: bool = False
    """False when the run stopped early (an exception, or the consumer closed the stream)."""

    @property
    def ready_for_rep(self) -> bool:
        return self.completed and self.ended is None


class ConversationRunner:
    """A compiled session graph over one checkpointer (in memory by default)."""

    def __init__(self, checkpointer: BaseCheckpointSaver[Any] | None = None, *, durability: str = "sync") -> None:
        self.graph = build_graph(checkpointer if checkpointer is not None else InMemorySaver())
        self.durability = durability
        """LangGraph durability: 'sync' writes each step's checkpoint before the next step runs."""

    @staticmethod
    def config(thread_id: str) -> Any:
        return {"configurable": {"thread_id": thread_id}}

    def stream(
        self,
        thread_id: str,
        ctx: SessionContext,
        graph_input: Any,
        *,
        on_event: Callable[[Event], None] | None = None,
    ) -> Generator[Event, None, RunResult]:
        """Stream one run's events; returns what it produced (``result = yield from runner.stream(...)``).

        ``graph_input``: ``{"session_id": ...}`` to start, a rep message or end as
        :func:`rep_message` / :func:`end_call`, or None to finish an interrupted run.
        """
        result = RunResult()
        stream = self.graph.stream(graph_input, self.config(thread_id), context=ctx,  # type: ignore[call-overload]
                                   stream_mode="custom", durability=self.durability)
        for chunk in stream:
            event = as_event(chunk)
            if event["type"] == "turn":
                result.new_turns.append(event["record"])
            elif event["type"] == "ended":
                result.ended = event
            if on_event is not None:
                on_event(event)
            yield event
        result.completed = True
        return result

    def run(self, thread_id: str, ctx: SessionContext, graph_input: Any) -> RunResult:
        """Run without streaming (replay, self-play)."""
        gen = self.stream(thread_id, ctx, graph_input)
        while True:
            try:
                next(gen)
            except StopIteration as stop:
                result: RunResult = stop.value
                return result

    def values(self, thread_id: str) -> dict[str, Any]:
        """The checkpoint's state values (empty before the first run)."""
        return dict(self.graph.get_state(self.config(thread_id)).values)

    def next_nodes(self, thread_id: str) -> tuple[str, ...]:
        """The nodes the checkpoint will run next: ``("rep_turn",)`` while waiting for the rep.

        Read from the snapshot's tasks, not ``next``: a run stopped by an exception (or by the web
        server dropping the stream) leaves its task with an error write and out of ``next``, and
        that task still has to run."""
        return tuple(task.name for task in self.graph.get_state(self.config(thread_id)).tasks)


def rep_message(text: str, speech: dict[str, Any] | None = None) -> Command[Any]:
    """Graph input for the rep's message (with voice timings when spoken)."""
    return Command(resume={"text": text} if speech is None else {"text": text, "speech": speech})


def end_call() -> Command[Any]:
    """Graph input for the rep ending the call."""
    return Command(resume={"end": True})
