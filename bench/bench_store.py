"""Per-turn persistence cost: store writes and LangGraph checkpoint writes, median and p95 in ms.

    python bench/bench_store.py [-n 300]            # SQLite (temp dir) only
    SPARRING_TEST_DATABASE_URL=postgresql://... python bench/bench_store.py   # PostgreSQL too

Measured, each for a session whose state holds ~20 transcript turns:

* store: ``append_turns`` (one turn) + ``update_session`` — what the service does per line;
* checkpoint put: one ``checkpointer.put`` of a checkpoint carrying the 20-turn transcript and
  the buyer state (serialisation included);
* graph turn: one full ``graph.invoke(Command(resume=...))`` of a rep-node/buyer-node graph with
  ``interrupt()`` (every checkpoint write of a real turn), on InMemorySaver as the baseline.

PostgreSQL runs use a throw-away schema that is dropped at the end.
"""

from __future__ import annotations

import argparse
import operator
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver, empty_checkpoint
from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, interrupt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.config import load_settings
from simulator.engine.state import BuyerState, TurnRecord
from simulator.store import (
    SessionStore,
    create_db_engine,
    init_schema,
    memory_checkpointer,
    open_checkpointer,
)
from simulator.store.scratch import scratch_schema

STATE_TURNS = 20


def buyer_state(turn: int) -> BuyerState:
    """A realistic buyer state (the largest part of a buyer turn record)."""
    return BuyerState(
        trust=0.42,
        patience=3,
        stage="objections",
        turn=turn,
        rapport=True,
        facts_revealed=["budget", "team_size", "current_tool"],
        facts_hinted=["timeline"],
        objections_queue=["integration"],
        objection_active="price",
        objections_raised=["price"],
        objections_resolved=[],
        objection_progress={"price": {"acknowledged": True, "explored": True, "responded": False}},
        list_price=48000.0,
        rep_price=45000.0,
        buyer_offer=41000.0,
        buyer_ceiling=44000.0,
        concessions=[
            {
                "turn": 4,
                "from_price": 48000.0,
                "to_price": 45000.0,
                "traded": False,
                "rep_line": "I can do 45k if you sign this quarter.",
            }
        ],
        pushes_past_walk_away=0,
        deal_price=None,
        next_step=None,
        closed_streak=0,
        ended=False,
        end_reason=None,
        lines_used={"anchor": 1, "counter_offer": 1},
    )


def turn(index: int) -> TurnRecord:
    """Rep turns carry an analysis; buyer turns a move and the full buyer state."""
    if index % 2 == 0:
        return TurnRecord(
            index=index,
            speaker="rep",
            text="What would a successful rollout look like for your team?",
            stage="discovery",
            analysis={
                "words": 11,
                "questions": 1,
                "open_questions": 1,
                "closed_questions": 0,
                "question_kind": "open",
                "open_topics": ["success"],
                "closed_topics": [],
                "facts_probed_open": ["timeline"],
                "facts_probed_closed": [],
                "is_pitch": False,
                "is_monologue": False,
                "greeting": False,
                "thanks_or_goodbye": False,
                "acknowledges": True,
                "explores": True,
                "paraphrases": False,
                "prices": [],
                "discount_pcts": [],
                "concession": False,
                "asks_in_return": False,
                "next_step": False,
                "next_step_time": None,
                "value_points": [2],
                "fillers": 0,
                "reasons": ["open question about success criteria"],
            },
            move=None,
            state=None,
            voiced_by="rep",
            rejected=None,
            llm_line=None,
            at=time.time(),
        )
    return TurnRecord(
        index=index,
        speaker="buyer",
        text="Honestly the price is the sticking point for us right now.",
        stage="objections",
        analysis=None,
        move={
            "kind": "raise_objection",
            "gist": "The price is above our budget.",
            "required": [],
            "fact_id": None,
            "objection_id": "price",
            "price": None,
            "reasons": ["price objection queued", "trust below 0.5"],
            "state_changes": ["trust 0.40 → 0.42 (acknowledged the concern)"],
        },
        state=buyer_state(index),
        voiced_by="llm",
        rejected=None,
        llm_line=None,
        at=time.time(),
    )


def summarise(name: str, samples_s: list[float]) -> None:
    ms = sorted(s * 1000 for s in samples_s)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    print(f"{name:<58} median {statistics.median(ms):7.3f} ms   p95 {p95:7.3f} ms   (n={len(ms)})")


# --------------------------------------------------------------------------- store


def bench_store(url: str, n: int, durability: str) -> list[float]:
    """Time ``append_turns`` (1 turn) + ``update_session`` on a session already holding 20 turns.

    ``durability``: SQLite ``synchronous`` level, or PostgreSQL ``synchronous_commit``.
    """
    if url.startswith("sqlite"):
        engine = create_db_engine(url, sqlite_synchronous=durability)
    else:
        engine = create_db_engine(url, pg_synchronous_commit=durability)
    try:
        init_schema(engine)
        store = SessionStore(engine)
        sid = store.create_session(scenario_id="bench", persona_id="p", difficulty="normal").id
        store.append_turns(sid, [turn(i) for i in range(STATE_TURNS)])
        samples = []
        for i in range(STATE_TURNS, STATE_TURNS + n):
            record = turn(i)
            start = time.perf_counter()
            store.append_turns(sid, [record])
            store.update_session(sid, turn_count=i + 1)
            samples.append(time.perf_counter() - start)
        return samples
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- checkpoints


class BenchState(TypedDict, total=False):
    transcript: Annotated[list[TurnRecord], operator.add]
    buyer: BuyerState
    pending_rep: str | None


def build_graph(checkpointer: BaseCheckpointSaver[str]) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Rep node waits with interrupt(); buyer node appends the rep line and a buyer line."""

    def rep(state: BenchState) -> BenchState:
        return {"pending_rep": str(interrupt("your line"))}

    def buyer(state: BenchState) -> BenchState:
        n = len(state["transcript"])
        rep_turn, buyer_turn = turn(n), turn(n + 1)
        rep_turn["text"] = state.get("pending_rep") or ""
        return {"transcript": [rep_turn, buyer_turn], "buyer": buyer_state(n + 1), "pending_rep": None}

    b = StateGraph(BenchState)
    b.add_node("rep", rep)
    b.add_node("buyer", buyer)
    b.add_edge(START, "rep")
    b.add_edge("rep", "buyer")
    b.add_edge("buyer", "rep")
    return b.compile(checkpointer=checkpointer)


def bench_put(saver: BaseCheckpointSaver[str], n: int) -> list[float]:
    """Time one ``put`` of a checkpoint holding a 20-turn transcript and the buyer state."""
    transcript = [turn(i) for i in range(STATE_TURNS)]
    thread = uuid.uuid4().hex
    config: Any = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
    samples = []
    for i in range(n):
        cp = empty_checkpoint()
        version = saver.get_next_version(None if i == 0 else f"{i:032}.0", None)
        cp["channel_values"] = {"transcript": transcript, "buyer": buyer_state(STATE_TURNS)}
        cp["channel_versions"] = {"transcript": version, "buyer": version}
        start = time.perf_counter()
        metadata: Any = {"source": "loop", "step": i, "parents": {}}
        config = saver.put(config, cp, metadata, dict(cp["channel_versions"]))
        samples.append(time.perf_counter() - start)
    return samples


def bench_graph_turn(saver: BaseCheckpointSaver[str], n: int) -> list[float]:
    """Time one resume (a whole rep/buyer turn) on a fresh thread seeded with 20 turns."""
    graph = build_graph(saver)
    seed = [turn(i) for i in range(STATE_TURNS)]
    samples = []
    for _ in range(n):
        cfg: Any = {"configurable": {"thread_id": uuid.uuid4().hex}}
        graph.invoke({"transcript": seed, "buyer": buyer_state(STATE_TURNS)}, cfg)
        start = time.perf_counter()
        graph.invoke(Command(resume="What would success look like?"), cfg)
        samples.append(time.perf_counter() - start)
    return samples


def run_checkpoints(
    label: str, factory: Callable[[], AbstractContextManager[BaseCheckpointSaver[str]]], n: int
) -> None:
    with factory() as saver:
        summarise(f"{label}: checkpoint put (20 turns)", bench_put(saver, n))
        summarise(f"{label}: graph turn (resume→interrupt)", bench_graph_turn(saver, n))


def main(argv: list[str] | None = None) -> None:
    """Run every benchmark and print one line per measurement."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=300, help="samples per measurement")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("SPARRING_TEST_DATABASE_URL"),
        help="PostgreSQL URL (default: $SPARRING_TEST_DATABASE_URL)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sparring-bench-") as tmp:
        tmp_path = Path(tmp)
        for sync in ("NORMAL", "FULL"):
            summarise(
                f"store sqlite ({sync}): append 1 turn + update",
                bench_store(f"sqlite:///{tmp_path / f'store-{sync}.db'}", args.n, sync),
            )
        run_checkpoints("memory", memory_checkpointer, args.n)
        for sync in ("NORMAL", "FULL"):
            settings = load_settings(data_dir=tmp_path / f"cp-{sync}", SPARRING_DATABASE_URL=None)
            run_checkpoints(
                f"sqlite ({sync})", partial(open_checkpointer, settings, sqlite_synchronous=sync), args.n
            )
    if args.pg_url:
        with scratch_schema(args.pg_url, prefix="bench") as url:
            # database_url goes by its alias: Settings(database_url=...) is silently ignored.
            settings = load_settings(data_dir=Path(tempfile.gettempdir()), SPARRING_DATABASE_URL=url)
            for commit in ("off", "on"):
                summarise(
                    f"store postgres (sync_commit={commit}): append 1 turn + update",
                    bench_store(url, args.n, commit),
                )
                run_checkpoints(
                    f"postgres (sync_commit={commit})",
                    partial(open_checkpointer, settings, pg_synchronous_commit=commit),
                    args.n,
                )
    else:
        print("(PostgreSQL skipped: set SPARRING_TEST_DATABASE_URL or pass --pg-url)")


if __name__ == "__main__":
    main()
