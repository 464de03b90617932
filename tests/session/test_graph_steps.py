"""The session graph's steps per message: reading the message and directing are one step (one
checkpoint write fewer per message), and a checkpoint saved by the older graph between the two
still resumes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from simulator.config import Settings
from simulator.content.loader import load_library
from simulator.engine import graph as session_graph
from simulator.engine.context import SessionContext
from simulator.engine.state import SessionState
from simulator.llm.template import TemplateLLM
from simulator.session.runner import ConversationRunner, rep_message

QUESTION = "How does your team handle order exceptions today?"


def _context(tmp_path: Path) -> SessionContext:
    settings = Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", llm="template")
    library = load_library([settings.content_dir] if settings.content_dir else [])
    scenario = library.scenario("saas-discovery-ops")
    return SessionContext(persona=library.persona(scenario.persona), scenario=scenario, difficulty="easy",
                          llm=TemplateLLM(), clock=lambda: 1_000.0)


def _older_graph(checkpointer: InMemorySaver) -> Any:
    """The graph as it was: ``understand`` only read the message, ``direct`` a step of its own."""

    def understand_only(state: SessionState, runtime: Runtime[SessionContext]) -> dict[str, Any]:
        update = session_graph.understand_node(state, runtime)
        del update["buyer"], update["move"]
        return update

    g: StateGraph[Any, Any, Any, Any] = StateGraph(SessionState, context_schema=SessionContext)
    g.add_node("start", session_graph.start_node)
    g.add_node("act", session_graph.act_node)
    g.add_node("rep_turn", session_graph.rep_turn_node)
    g.add_node("understand", understand_only)
    g.add_node("direct", session_graph.direct_node)
    g.add_node("wrap_up", session_graph.wrap_up_node)
    g.add_edge(START, "start")
    g.add_edge("start", "act")
    g.add_conditional_edges("act", session_graph.route_after_act)
    g.add_conditional_edges("rep_turn", session_graph.route_after_rep)
    g.add_edge("understand", "direct")
    g.add_edge("direct", "act")
    g.add_edge("wrap_up", END)
    return g.compile(checkpointer=checkpointer, interrupt_after=["understand"])


class CountingSaver(InMemorySaver):
    def __init__(self) -> None:
        super().__init__()
        self.puts = 0

    def put(self, *args: Any, **kwargs: Any) -> Any:
        self.puts += 1
        return super().put(*args, **kwargs)


def test_a_message_is_three_checkpoints_and_reading_and_directing_are_one_step(tmp_path: Path) -> None:
    saver = CountingSaver()
    runner, ctx = ConversationRunner(saver), _context(tmp_path)
    runner.run("s1", ctx, {"session_id": "s1"})
    saver.puts = 0
    result = runner.run("s1", ctx, rep_message(QUESTION))
    assert [t["speaker"] for t in result.new_turns] == ["rep", "buyer"]
    assert saver.puts == 3  # rep_turn (the line is in), understand + direct, act
    history = [c.next for c in runner.graph.get_state_history(runner.config("s1"))][:4]  # newest first
    assert history == [("rep_turn",), ("act",), ("understand",), ("rep_turn",)]  # no step for "direct"
    assert runner.next_nodes("s1") == ("rep_turn",)


def test_a_checkpoint_saved_between_reading_and_directing_by_the_older_graph_resumes(tmp_path: Path) -> None:
    saver, ctx = InMemorySaver(), _context(tmp_path)
    config: Any = {"configurable": {"thread_id": "s2"}}
    older = _older_graph(saver)
    older.invoke({"session_id": "s2"}, config, context=ctx)
    older.invoke(rep_message(QUESTION), config, context=ctx)
    assert older.get_state(config).next == ("direct",)  # stopped where a crash could have left it
    runner = ConversationRunner(saver)
    assert runner.next_nodes("s2") == ("direct",)
    finished = runner.run("s2", ctx, None)
    assert [t["speaker"] for t in finished.new_turns] == ["buyer"] and finished.ready_for_rep

    fresh = ConversationRunner()  # the same message on the current graph: the same move and line
    fresh.run("s2", ctx, {"session_id": "s2"})
    same = fresh.run("s2", ctx, rep_message(QUESTION))
    assert finished.new_turns[0]["move"] == same.new_turns[1]["move"]
    assert finished.new_turns[0]["text"] == same.new_turns[1]["text"]
