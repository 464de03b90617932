"""The session graph: understand (and direct) → act, with the rep's turn as an ``interrupt()``.

    START → start → act ─┬─► rep_turn ─┬─► understand → act …   (reads the message, applies the rules)
                         │             └─► wrap_up → END     (the rep ended the call)
                         └─► wrap_up → END                   (the buyer ended it)

Decisions are made in code (the director, called by ``understand``); the LLM only voices them
(``act``). The LLM call and the human wait live in separate nodes, because a node re-runs from its
top when resumed. Reading the message and applying the buyer's rules are one node: both are
deterministic and have no side effects, so one checkpoint covers them (a step costs a checkpoint
write, a round trip on PostgreSQL). The ``direct`` node is kept, with no edge into it, for
checkpoints an older version saved between the two: such a run resumes there and goes on to ``act``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.config import get_config, get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from simulator.engine.actor import voice_line
from simulator.engine.context import SessionContext
from simulator.engine.director import direct, initial_state, opening_move
from simulator.engine.outcome import evaluate_outcome
from simulator.engine.prompts import OPENING_REP_MESSAGE
from simulator.engine.rules.choose import session_seed
from simulator.engine.speech import buyer_with_speech, rep_speech_fields
from simulator.engine.state import SessionState, TurnRecord
from simulator.engine.understand import analyse
from simulator.llm.base import ChatMessage

RepInput = dict[str, Any]
"""What the rep's turn resumes with: {"text": "..."} (plus "speech": {...} when spoken, see
:mod:`simulator.engine.speech`) or {"end": True}."""


def _last_buyer_line(state: SessionState) -> str:
    for record in reversed(state.get("transcript", [])):
        if record["speaker"] == "buyer":
            return record["text"]
    return ""


def start_node(state: SessionState, runtime: Runtime[SessionContext]) -> dict[str, Any]:
    """Set up the buyer and choose the opening line."""
    director = runtime.context.director
    session_id = state.get("session_id") or str(get_config().get("configurable", {}).get("thread_id", ""))
    buyer, move = opening_move(director, initial_state(director, seed=session_seed(session_id)))
    return {"buyer": buyer, "move": move, "pending_rep": None, "pending_speech": None, "end_requested": False,
            "transcript": [], "voice_history": []}


def act_node(state: SessionState, runtime: Runtime[SessionContext]) -> dict[str, Any]:
    """Voice the director's move (streamed), check it, and record the buyer's line."""
    ctx = runtime.context
    move, buyer = state["move"], state["buyer"]
    assert move is not None
    writer = get_stream_writer()
    told_now = move["fact_id"] if move["kind"] == "reveal_fact" else None
    locked = [text for f in ctx.persona.hidden_facts
              if f.id not in buyer["facts_revealed"] and f.id != told_now for text in (f.say, *f.say_also)]
    rep_text = state.get("pending_rep") or OPENING_REP_MESSAGE
    voiced = voice_line(
        ctx.llm, system_prompt=ctx.system_prompt, history=state.get("voice_history", []),
        rep_text=rep_text, move=move, locked_facts=locked, options=ctx.options,
        retries=ctx.retries, emit=writer, config=ctx.voice, buyer_name=ctx.persona.name,
    )
    record = TurnRecord(
        index=len(state.get("transcript", [])), speaker="buyer", text=voiced.text, stage=buyer["stage"],
        analysis=None, move=move, state=buyer, voiced_by=voiced.voiced_by, rejected=voiced.rejected,
        llm_line=voiced.llm_line, at=ctx.clock(),
    )
    writer({"type": "turn", "record": record})
    history = [ChatMessage(role="user", content=voiced.user_message),
               ChatMessage(role="assistant", content=voiced.text)]
    return {"transcript": [record], "voice_history": history}


def rep_turn_node(state: SessionState) -> dict[str, Any]:
    """Wait for the rep. Nothing with side effects happens before ``interrupt()``."""
    value: RepInput = interrupt({"waiting_for": "rep", "stage": state["buyer"]["stage"]})
    if value.get("end"):
        return {"end_requested": True, "pending_rep": None, "pending_speech": None}
    speech = value.get("speech")
    return {"pending_rep": str(value["text"]), "pending_speech": speech if isinstance(speech, dict) else None,
            "end_requested": False}


def understand_node(state: SessionState, runtime: Runtime[SessionContext]) -> dict[str, Any]:
    """Analyse the rep's message deterministically, record it (with its speech data, if spoken), then
    apply the buyer's rules and choose its move (what :func:`direct_node` does, in the same step).

    When the rep's speech data says how long the buyer's last line played, that buyer record is
    re-recorded with ``speech_s`` (the transcript reducer replaces it by index).
    """
    ctx = runtime.context
    text = state["pending_rep"] or ""
    speech = state.get("pending_speech")
    transcript = state.get("transcript", [])
    analysis = analyse(text, ctx.analysis_context(_last_buyer_line(state)))
    record = TurnRecord(
        index=len(transcript), speaker="rep", text=text, stage=state["buyer"]["stage"],
        analysis=analysis, move=None, state=None, voiced_by="rep", rejected=None, llm_line=None,
        at=ctx.clock(),
    )
    spoken = rep_speech_fields(speech)
    if spoken is not None:
        record["speech_s"], record["delivery"] = spoken
    get_stream_writer()({"type": "turn", "record": record})
    buyer = buyer_with_speech(transcript, speech)
    buyer_state, move = direct(ctx.director, state["buyer"], analysis, text)
    return {"analysis": analysis, "transcript": ([buyer] if buyer else []) + [record], "buyer": buyer_state,
            "move": move}


def direct_node(state: SessionState, runtime: Runtime[SessionContext]) -> dict[str, Any]:
    """Apply the buyer's rules and choose its move: only for a checkpoint an older version saved
    between reading the message and directing (``understand`` does both now)."""
    analysis = state["analysis"]
    assert analysis is not None
    buyer, move = direct(runtime.context.director, state["buyer"], analysis, state["pending_rep"] or "")
    return {"buyer": buyer, "move": move}


def wrap_up_node(state: SessionState, runtime: Runtime[SessionContext]) -> dict[str, Any]:
    """Close the call and judge the outcome against the scenario's success criteria."""
    buyer = dict(state["buyer"])
    if not buyer["ended"]:
        buyer["ended"] = True
        buyer["end_reason"] = "rep_ended"
    ctx = runtime.context
    outcome = evaluate_outcome(ctx.scenario, ctx.persona, buyer)  # type: ignore[arg-type]
    get_stream_writer()({"type": "ended", "outcome": outcome, "end_reason": buyer["end_reason"]})
    return {"buyer": buyer, "outcome": outcome}


def route_after_act(state: SessionState) -> Literal["rep_turn", "wrap_up"]:
    """The buyer may have ended the call (patience, turn cap, deal, no deal, goodbye)."""
    return "wrap_up" if state["buyer"]["ended"] else "rep_turn"


def route_after_rep(state: SessionState) -> Literal["understand", "wrap_up"]:
    """The rep may have ended the call."""
    return "wrap_up" if state.get("end_requested") else "understand"


ContextResolver = Callable[[Any], SessionContext]
"""Turns a run's plain context (e.g. ``{"scenario_id": ...}`` from the LangGraph API) into the
:class:`SessionContext` the nodes read; see :mod:`simulator.engine.studio`."""


def _resolving(node: Callable[[SessionState, Runtime[SessionContext]], dict[str, Any]],
               resolve: ContextResolver) -> Callable[[SessionState, Runtime[Any]], dict[str, Any]]:
    """``node`` with the run's plain context resolved into a :class:`SessionContext` first."""

    def run(state: SessionState, runtime: Runtime[Any]) -> dict[str, Any]:
        return node(state, runtime.override(context=resolve(runtime.context)))

    run.__name__ = run.__qualname__ = node.__name__
    run.__doc__ = node.__doc__
    return run


def build_graph(
    checkpointer: BaseCheckpointSaver[Any] | None,
    *,
    context_schema: type[Any] = SessionContext,
    resolve_context: ContextResolver | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Compile the session graph. Always pass a checkpointer in the app: it is what makes resume work.

    The app passes a :class:`SessionContext` with each run. Where a run's context must be plain
    JSON (the LangGraph API and Studio), give its ``context_schema`` and a ``resolve_context`` that
    builds the :class:`SessionContext` from it: the nodes and edges are the same.
    """

    def node(fn: Callable[[SessionState, Runtime[SessionContext]], dict[str, Any]]) -> Any:
        return fn if resolve_context is None else _resolving(fn, resolve_context)

    g: StateGraph[Any, Any, Any, Any] = StateGraph(SessionState, context_schema=context_schema)
    g.add_node("start", node(start_node))
    g.add_node("act", node(act_node))
    g.add_node("rep_turn", rep_turn_node)
    g.add_node("understand", node(understand_node))
    g.add_node("direct", node(direct_node))
    g.add_node("wrap_up", node(wrap_up_node))
    g.add_edge(START, "start")
    g.add_edge("start", "act")
    g.add_conditional_edges("act", route_after_act)
    g.add_conditional_edges("rep_turn", route_after_rep)
    g.add_edge("understand", "act")
    g.add_edge("direct", "act")  # no edge in: see the module docstring
    g.add_edge("wrap_up", END)
    return g.compile(checkpointer=checkpointer)
