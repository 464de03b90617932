"""The SQL store (sessions, turns, schema) and the LangGraph checkpointers, on SQLite and PostgreSQL.

PostgreSQL variants run when SPARRING_TEST_DATABASE_URL is set (``eval "$(.ci/postgres.sh)"``);
each test gets its own PostgreSQL schema, dropped afterwards. With CI=true and no URL they fail.
"""

from __future__ import annotations

import copy
import json
import operator
import os
import select
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, interrupt
from sqlalchemy import Engine, inspect, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError

from simulator.config import Settings, load_settings
from simulator.engine.state import BuyerState, Outcome, TurnRecord
from simulator.errors import SessionStateError
from simulator.store import (
    SchemaVersionError,
    SessionNotFoundError,
    SessionStore,
    create_db_engine,
    get_schema_version,
    init_schema,
    memory_checkpointer,
    normalize_database_url,
    open_checkpointer,
)
from simulator.store.db import libpq_conninfo
from simulator.store.schema import SCHEMA_VERSION, coaching_notes, schema_version, team_members, teams, users
from simulator.store.scratch import scratch_schema

REPO = Path(__file__).resolve().parents[1]
T0 = 1_700_000_000.0


# --------------------------------------------------------------------------- backends


def _postgres_url_or_skip() -> str:
    url = os.environ.get("SPARRING_TEST_DATABASE_URL")
    if url:
        return url
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail('CI is set but SPARRING_TEST_DATABASE_URL is not: run eval "$(.ci/postgres.sh)" first')
    pytest.skip('SPARRING_TEST_DATABASE_URL not set (eval "$(.ci/postgres.sh)" to run PostgreSQL tests)')


@pytest.fixture(autouse=True)
def _no_ambient_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "SPARRING_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections use a fresh schema (search_path), dropped after the test."""
    with scratch_schema(_postgres_url_or_skip(), prefix="t") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'nested' / 'sparring.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = create_db_engine(db_url)
    init_schema(eng)
    yield eng
    eng.dispose()


class FakeClock:
    """Thread-safe clock that ticks one second per reading."""

    def __init__(self, start: float = T0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            self.now += 1.0
            return self.now


@pytest.fixture
def store(engine: Engine) -> SessionStore:
    return SessionStore(engine, clock=FakeClock())


# --------------------------------------------------------------------------- sample data


def _buyer_state(turn: int) -> BuyerState:
    return BuyerState(
        trust=0.35 + turn / 100, patience=4, stage="negotiation", turn=turn, rapport=True,
        facts_revealed=["budget", "team_size"], facts_hinted=[], objections_queue=["price"],
        objection_active="price", objections_raised=["price"], objections_resolved=[],
        objection_progress={"price": {"acknowledged": True, "explored": False, "responded": False}},
        list_price=48000.0, rep_price=45000.5, buyer_offer=None, buyer_ceiling=44000.0,
        concessions=[{"turn": 2, "from_price": 48000.0, "to_price": 45000.5, "traded": False,
                      "rep_line": "I can do 45k — if you sign this week?"}],
        pushes_past_walk_away=0, deal_price=None, next_step=None, closed_streak=1, ended=False,
        end_reason=None, lines_used={"anchor": 1},
    )


def make_turn(index: int, at: float = T0) -> TurnRecord:
    if index % 2 == 0:
        return TurnRecord(
            index=index, speaker="rep", text=f"What matters most to you, line {index}? Ünïcode ✓",
            stage="discovery",
            analysis={"words": 7, "questions": 1, "open_questions": 1, "closed_questions": 0,
                      "question_kind": "open", "open_topics": ["priorities"], "closed_topics": [],
                      "facts_probed_open": ["budget"], "facts_probed_closed": [], "is_pitch": False,
                      "is_monologue": False, "greeting": index == 0, "thanks_or_goodbye": False,
                      "acknowledges": True, "explores": True, "paraphrases": False, "prices": [45000.5],
                      "discount_pcts": [6.25], "concession": False, "asks_in_return": False,
                      "next_step": False, "next_step_time": None, "value_points": [1, 3], "fillers": 0,
                      "reasons": ["open question → trust +0.05"]},
            move=None, state=None, voiced_by="rep", rejected=None, llm_line=None, at=at + index,
        )
    return TurnRecord(
        index=index, speaker="buyer", text="Honestly, 45k is above what we budgeted.", stage="negotiation",
        analysis=None,
        move={"kind": "counter_offer", "gist": "We could do 42,000.", "required": ["42,000"],
              "fact_id": None, "objection_id": "price", "price": 42000.0,
              "reasons": ["rep conceded without trading"],
              "state_changes": ["trust 0.30 → 0.35 (open question on budget)"]},
        state=_buyer_state(index), voiced_by="llm" if index % 4 == 1 else "gist",
        rejected="missing required value '42,000'" if index % 4 == 3 else None,
        llm_line="Maybe forty-ish?" if index % 4 == 3 else None, at=at + index + 0.123456789,
    )


# --------------------------------------------------------------------------- engine and schema


def test_normalize_database_url() -> None:
    assert normalize_database_url("postgres://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalize_database_url("postgresql://u:p@h:5433/db").drivername == "postgresql+psycopg"
    assert normalize_database_url("postgresql+psycopg2://u@h/db").drivername == "postgresql+psycopg2"
    assert normalize_database_url("sqlite:///x.db").drivername == "sqlite"
    assert libpq_conninfo("postgres://u:p%40ss@h/db") == "postgresql://u:p%40ss@h/db"


def test_sqlite_file_created_with_parents_and_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "sparring.db"
    eng = create_db_engine(f"sqlite:///{path}")
    assert not path.exists()  # nothing connects until first use
    init_schema(eng)
    assert path.exists()
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    eng.dispose()


@pytest.mark.postgres
def test_postgres_connections_use_async_commit(postgres_url: str) -> None:
    eng = create_db_engine(postgres_url)
    with eng.connect() as conn:
        assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "off"
        assert conn.exec_driver_sql("SHOW search_path").scalar() == conn.exec_driver_sql(
            "SELECT current_schema()").scalar()
    eng.dispose()
    strict = create_db_engine(postgres_url, pg_synchronous_commit="on")
    with strict.connect() as conn:
        assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
    strict.dispose()


@pytest.mark.postgres
def test_postgres_engine_autocommits_and_write_transactions_are_atomic(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One statement or a read takes a pooled connection as it is (autocommit: no BEGIN/COMMIT, and no
    switching the driver into autocommit and back, 6 driver calls per statement); a write transaction
    is a real one: all or nothing."""
    from psycopg import Connection as PgConnection
    from sqlalchemy import text

    from simulator.store.db import read_transaction, single_statement, write_transaction

    eng = create_db_engine(postgres_url)
    switches: list[str] = []
    original_autocommit = PgConnection._set_autocommit_gen

    def counted(self: Any, value: bool) -> Any:
        switches.append(f"autocommit={value}")
        return original_autocommit(self, value)

    monkeypatch.setattr(PgConnection, "_set_autocommit_gen", counted)
    try:
        with single_statement(eng) as conn:
            conn.execute(text("CREATE TABLE t (x integer PRIMARY KEY)"))
        switches.clear()
        for _ in range(3):
            with single_statement(eng) as conn:
                assert conn.connection.dbapi_connection.autocommit  # type: ignore[union-attr]
                conn.execute(text("INSERT INTO t SELECT coalesce(max(x), 0) + 1 FROM t"))
            with read_transaction(eng) as conn:
                assert conn.connection.dbapi_connection.autocommit  # type: ignore[union-attr]
                assert (conn.execute(text("SELECT count(*) FROM t")).scalar() or 0) > 0
        assert switches == []
        with pytest.raises(IntegrityError), write_transaction(eng) as conn:
            assert not conn.connection.dbapi_connection.autocommit  # type: ignore[union-attr]
            conn.execute(text("INSERT INTO t VALUES (100)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))  # a duplicate: the first insert goes too
        with write_transaction(eng) as conn:
            conn.execute(text("INSERT INTO t VALUES (200)"))
        with read_transaction(eng) as conn:
            assert conn.execute(text("SELECT x FROM t WHERE x >= 100")).scalars().all() == [200]
            assert conn.connection.dbapi_connection.autocommit  # type: ignore[union-attr]  # given back as it was
    finally:
        eng.dispose()


def test_settings_default_url_works(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "fresh" / "dir")
    eng = create_db_engine(settings.resolved_database_url)
    init_schema(eng)
    assert (tmp_path / "fresh" / "dir" / "sparring.db").exists()
    eng.dispose()


def test_init_schema_idempotent(engine: Engine) -> None:
    assert init_schema(engine) == SCHEMA_VERSION
    assert init_schema(engine) == SCHEMA_VERSION
    assert get_schema_version(engine) == SCHEMA_VERSION
    tables = set(inspect(engine).get_table_names())
    assert {"sessions", "turns", "users", "teams", "team_members", "cohorts", "cohort_members",
            "assignments", "coaching_notes", "login_attempts", "schema_version"} <= tables
    indexed = {tuple(ix["column_names"]) for ix in inspect(engine).get_indexes("sessions")}
    assert {("user_id", "created_at"), ("scenario_id", "created_at"), ("created_at",)} <= indexed


@pytest.mark.postgres
def test_advisory_locks_are_per_schema(tmp_path: Path) -> None:
    """Two deployments in two schemas of one database do not wait on each other's start-up locks
    (init_schema's and the checkpointer's setup), and within one schema the lock still serialises."""
    import psycopg

    from simulator.store.checkpoints import _PG_SETUP_LOCK, open_checkpointer
    from simulator.store.db import _PG_SCHEMA_LOCK, PG_LOCK_NAMESPACE

    base = _postgres_url_or_skip()
    with scratch_schema(base, prefix="t") as url_a, scratch_schema(base, prefix="t") as url_b, \
            psycopg.connect(libpq_conninfo(url_a), autocommit=True) as holder:
        for key in (_PG_SCHEMA_LOCK, _PG_SETUP_LOCK):  # schema A's deployment is starting
            assert (holder.execute(f"SELECT pg_try_advisory_lock(%s, {PG_LOCK_NAMESPACE})", (key,)).fetchone()
                    or [False])[0]

        def start(url: str, done: threading.Event, checkpoints: bool) -> None:
            eng = create_db_engine(url)
            try:
                init_schema(eng)
                if checkpoints:
                    with open_checkpointer(Settings(database_url=url, data_dir=tmp_path / "data")):
                        pass
            finally:
                eng.dispose()
            done.set()

        b_done, a_done = threading.Event(), threading.Event()
        threading.Thread(target=start, args=(url_b, b_done, True), daemon=True).start()
        assert b_done.wait(30), "a start in schema B waited for schema A's advisory locks"
        threading.Thread(target=start, args=(url_a, a_done, False), daemon=True).start()
        assert not a_done.wait(1.5), "a second start in schema A did not wait for its schema lock"
        holder.execute("SELECT pg_advisory_unlock_all()")
        assert a_done.wait(30)


def test_get_schema_version_before_init(tmp_path: Path) -> None:
    eng = create_db_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert get_schema_version(eng) is None
    eng.dispose()


def test_newer_schema_is_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(update(schema_version).values(version=SCHEMA_VERSION + 1))
    with pytest.raises(SchemaVersionError, match="upgrade Sparring"):
        init_schema(engine)


def test_account_tables_constraints(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(users.insert().values(id="u1", username="ana", display_name="Ana",
                                           password_hash="x", role="rep", created_at=T0, disabled=False))
        conn.execute(teams.insert().values(id="t1", name="East", created_at=T0))
        conn.execute(team_members.insert().values(team_id="t1", user_id="u1", role="member"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(users.insert().values(id="u2", username="ana", display_name="", password_hash="x",
                                           role="rep", created_at=T0, disabled=False))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(users.insert().values(id="u3", username="bo", display_name="", password_hash="x",
                                           role="superuser", created_at=T0, disabled=False))
    with engine.begin() as conn:  # deleting a user drops their memberships (FK cascade)
        conn.execute(users.delete().where(users.c.id == "u1"))
        assert conn.execute(sa_select(team_members)).all() == []


# --------------------------------------------------------------------------- sessions


def test_session_round_trip(store: SessionStore) -> None:
    rec = store.create_session(scenario_id="disc-1", persona_id="cfo", difficulty="hard", user_id="u1",
                               llm="embedded:qwen2.5-coder-1.5b")
    assert rec.status == "active" and rec.turn_count == 0 and rec.created_at == rec.updated_at == T0 + 1
    assert store.get_session(rec.id) == rec
    assert store.get_session("nope") is None
    explicit = store.create_session(scenario_id="s", persona_id="p", difficulty="easy", session_id="abc")
    assert explicit.id == "abc" and explicit.user_id is None
    with pytest.raises(SessionStateError, match="already exists"):
        store.create_session(scenario_id="s", persona_id="p", difficulty="easy", session_id="abc")


def test_turns_round_trip_exactly(store: SessionStore) -> None:
    sid = store.create_session(scenario_id="s", persona_id="p", difficulty="normal").id
    given = [make_turn(i) for i in range(8)]
    snapshot = copy.deepcopy(given)
    assert store.append_turns(sid, given) == 8
    got = store.get_turns(sid)
    assert got == snapshot
    assert [list(t) for t in got] == [list(t) for t in snapshot]  # same keys, same order
    assert [list(t["state"] or {}) for t in got] == [list(t["state"] or {}) for t in snapshot]
    assert json.dumps(got) == json.dumps(snapshot)
    assert given == snapshot  # the caller's dicts are untouched
    assert store.get_turns("unknown") == []


def test_append_turns_is_idempotent(store: SessionStore) -> None:
    sid = store.create_session(scenario_id="s", persona_id="p", difficulty="normal").id
    assert store.append_turns(sid, [make_turn(0), make_turn(1)]) == 2
    assert store.append_turns(sid, [make_turn(0), make_turn(1)]) == 0
    changed = make_turn(1)
    changed["text"] = "a different wording"
    assert store.append_turns(sid, [make_turn(0), changed, make_turn(2), make_turn(2)]) == 1
    got = store.get_turns(sid)
    assert [t["index"] for t in got] == [0, 1, 2]
    assert got[1] == make_turn(1)  # existing rows are never overwritten
    assert store.append_turns(sid, []) == 0
    with pytest.raises(SessionNotFoundError):
        store.append_turns("missing", [make_turn(0)])


def test_finish_turn_stores_turns_counts_and_releases_in_one_go(store: SessionStore) -> None:
    sid = store.create_session(scenario_id="s", persona_id="p", difficulty="easy").id
    store.claim_turn(sid, "me", 60)
    store.finish_turn(sid, "me", [make_turn(0), make_turn(1)], turn_count=2)
    record = store.get_session(sid)
    assert record is not None and record.turn_count == 2 and record.turn_holder is None
    assert store.get_turns(sid) == [make_turn(0), make_turn(1)]
    store.claim_turn(sid, "other", 60)
    changed = make_turn(1)
    changed["text"] = "changed"
    store.finish_turn(sid, "me", [changed, make_turn(2)], turn_count=3)  # a stale holder: stores, keeps the lease
    record = store.get_session(sid)
    assert record is not None and record.turn_count == 3 and record.turn_holder == "other"
    assert store.get_turns(sid) == [make_turn(0), make_turn(1), make_turn(2)]  # a stored turn is left as it is
    store.finish_turn(sid, "other")
    assert (store.get_session(sid) or record).turn_holder is None
    with pytest.raises(SessionNotFoundError):
        store.finish_turn("missing", "me", [make_turn(0)], turn_count=1)
    with pytest.raises(SessionNotFoundError):
        store.finish_turn("missing", "me", [], turn_count=1)


def test_a_cancel_request_reaches_only_the_turn_it_was_made_for(store: SessionStore) -> None:
    """End pressed on another process marks the turn's holder; only that holder sees it, only the
    session's owner can make it, and nothing is marked while no turn is held."""
    sid = store.create_session(scenario_id="s", persona_id="p", difficulty="easy", user_id="u1").id
    other = store.create_session(scenario_id="s", persona_id="p", difficulty="easy", user_id="u1").id
    assert store.request_cancel(sid) is False  # no turn held: nothing to stop
    store.claim_turn(sid, "a/1/x", 60)
    store.claim_turn(other, "a/1/y", 60)
    assert store.cancel_requested({sid: "a/1/x", other: "a/1/y"}) == set()
    assert store.request_cancel(sid, owner="u2") is False  # someone else's call
    assert store.cancel_requested({sid: "a/1/x"}) == set()
    assert store.request_cancel(sid, owner="u1") is True
    assert store.cancel_requested({sid: "a/1/x", other: "a/1/y"}) == {sid}
    assert store.cancel_requested({sid: "b/2/z"}) == set()  # asked of another holder
    store.finish_turn(sid, "a/1/x")
    store.claim_turn(sid, "a/1/w", 60)  # the next turn is not cancelled by the old request
    assert store.cancel_requested({sid: "a/1/w"}) == set()
    assert store.cancel_requested({}) == set()


def test_update_session(store: SessionStore) -> None:
    sid = store.create_session(scenario_id="s", persona_id="p", difficulty="normal").id
    store.update_session(sid, turn_count=4)
    rec = store.get_session(sid)
    assert rec is not None and rec.turn_count == 4 and rec.status == "active" and rec.ended_at is None
    outcome = Outcome(success=True, met=["next_step"], missed=[],
                      summary={"deal_price": 45000.5, "nested": {"a": [1, None, "x"]}})
    scorecard = {"overall": 3.75, "criteria": [{"id": "discovery", "score": 4, "evidence": [1, 3]}]}
    store.update_session(sid, status="ended", outcome=outcome, scorecard=scorecard, overall_score=3.75)
    rec = store.get_session(sid)
    assert rec is not None
    assert rec.status == "ended" and rec.ended_at == rec.updated_at == T0 + 3
    assert rec.outcome == outcome and rec.scorecard == scorecard and rec.overall_score == 3.75
    assert rec.turn_count == 4  # untouched fields stay
    store.update_session(sid, ended_at=T0 - 5)
    assert (r := store.get_session(sid)) is not None and r.ended_at == T0 - 5
    with pytest.raises(SessionNotFoundError):
        store.update_session("missing", turn_count=1)
    with pytest.raises(ValueError):
        store.update_session(sid, status="paused")  # type: ignore[arg-type]


def test_list_sessions_filters_and_order(store: SessionStore) -> None:
    ids = {}
    for i, (user, scenario) in enumerate([("ana", "disc"), ("bo", "disc"), ("ana", "nego"),
                                          ("ana", "disc"), (None, "nego")]):
        ids[i] = store.create_session(scenario_id=scenario, persona_id="p", difficulty="easy",
                                      user_id=user).id
    store.update_session(ids[3], status="ended")
    newest_first = [ids[i] for i in (4, 3, 2, 1, 0)]
    assert [r.id for r in store.list_sessions()] == newest_first
    assert [r.id for r in store.list_sessions(user_id="ana")] == [ids[3], ids[2], ids[0]]
    assert [r.id for r in store.list_sessions(scenario_id="disc")] == [ids[3], ids[1], ids[0]]
    assert [r.id for r in store.list_sessions(user_id="ana", scenario_id="disc", status="active")] == [ids[0]]
    assert [r.id for r in store.list_sessions(status="ended")] == [ids[3]]
    assert [r.id for r in store.list_sessions(limit=2, offset=1)] == newest_first[1:3]
    assert store.list_sessions(limit=0) == []
    with pytest.raises(ValueError):
        store.list_sessions(limit=-1)


def test_delete_session(store: SessionStore, engine: Engine) -> None:
    sid = store.create_session(scenario_id="s", persona_id="p", difficulty="easy", user_id="u1").id
    store.append_turns(sid, [make_turn(0), make_turn(1)])
    with engine.begin() as conn:
        conn.execute(users.insert().values(id="u1", username="ana", display_name="", password_hash="x",
                                           role="rep", created_at=T0, disabled=False))
        conn.execute(coaching_notes.insert().values(id="n1", session_id=sid, rep_id="u1", manager_id=None,
                                                    coached="open questions", changed="", action_plan="",
                                                    created_at=T0))
    assert store.delete_session(sid) is True
    assert store.get_session(sid) is None and store.get_turns(sid) == []
    assert store.delete_session(sid) is False
    with engine.connect() as conn:
        note = conn.execute(sa_select(coaching_notes)).one()
    assert note.session_id is None and note.coached == "open questions"


def test_twenty_threads_append_concurrently(engine: Engine) -> None:
    store = SessionStore(engine, clock=FakeClock())
    n_threads, n_turns = 20, 30
    barrier = threading.Barrier(n_threads)
    errors: list[BaseException] = []
    session_ids: list[str] = [""] * n_threads

    def worker(k: int) -> None:
        try:
            barrier.wait()
            sid = store.create_session(scenario_id=f"s{k % 3}", persona_id="p", difficulty="easy",
                                       user_id=f"u{k}").id
            session_ids[k] = sid
            for i in range(n_turns):
                store.append_turns(sid, [make_turn(i)])
                if i % 10 == 9:  # a re-sync of the whole transcript, as after a crash
                    store.append_turns(sid, [make_turn(j) for j in range(i + 1)])
                store.update_session(sid, turn_count=i + 1)
                store.get_session(sid)
            store.update_session(sid, status="ended")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    for sid in session_ids:
        assert [t["index"] for t in store.get_turns(sid)] == list(range(n_turns))
        rec = store.get_session(sid)
        assert rec is not None and rec.turn_count == n_turns and rec.status == "ended"
    assert len(store.list_sessions(status="ended", limit=100)) == n_threads


# --------------------------------------------------------------------------- checkpointers

GRAPH_CODE = textwrap.dedent(
    '''
    import operator
    from typing import Annotated, TypedDict

    from langgraph.graph import END, START, StateGraph
    from langgraph.types import interrupt


    class TinyState(TypedDict, total=False):
        log: Annotated[list[str], operator.add]
        rounds: int


    def first(state: TinyState) -> TinyState:
        return {"log": ["first"]}


    def ask(state: TinyState) -> TinyState:
        answer = interrupt({"question": "price?"})
        return {"log": [f"ask:{answer}"]}


    def done(state: TinyState) -> TinyState:
        return {"log": ["done"]}


    def build_graph(checkpointer):
        b = StateGraph(TinyState)
        b.add_node("first", first)
        b.add_node("ask", ask)
        b.add_node("done", done)
        b.add_edge(START, "first")
        b.add_edge("first", "ask")
        b.add_edge("ask", "done")
        b.add_edge("done", END)
        return b.compile(checkpointer=checkpointer)
    '''
)

PROCESS_CODE = GRAPH_CODE + textwrap.dedent(
    '''
    import json, sys, time
    from langgraph.types import Command
    from simulator.config import load_settings
    from simulator.store.checkpoints import open_checkpointer

    phase, thread_id = sys.argv[1], sys.argv[2]
    cfg = {"configurable": {"thread_id": thread_id}}
    with open_checkpointer(load_settings()) as cp:
        graph = build_graph(cp)
        if phase == "start":
            out = graph.invoke({"log": []}, cfg)
            print(json.dumps({"interrupts": [i.value for i in out["__interrupt__"]], "log": out["log"],
                              "saver": type(cp).__name__}), flush=True)
            time.sleep(600)  # the test kills us here: no clean shutdown, no close()
        else:
            snap = graph.get_state(cfg)
            before = {"next": list(snap.next), "log": snap.values.get("log")}
            out = graph.invoke(Command(resume=sys.argv[3]), cfg)
            print(json.dumps({"before": before, "log": out["log"], "saver": type(cp).__name__}), flush=True)
    '''
)


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        raise AssertionError(f"no output from the child within {timeout}s")
    return proc.stdout.readline()


def make_settings(data_dir: Path, database_url: str | None = None) -> Settings:
    """Settings for a test. ``database_url`` must go by its alias: ``Settings(database_url=...)``
    is silently ignored (the field has a validation_alias and no populate_by_name)."""
    settings = load_settings(data_dir=data_dir, SPARRING_DATABASE_URL=database_url)
    assert settings.database_url == database_url
    return settings


EXPECTED_SAVER = {"sqlite": "SqliteSaver", "postgres": "PipelinedPostgresSaver"}  # simulator.store.checkpoints


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def checkpoint_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    data_dir = tmp_path / "data" / "deep"
    if request.param == "sqlite":
        return make_settings(data_dir)
    return make_settings(data_dir, request.getfixturevalue("postgres_url"))


def _expected_saver(settings: Settings) -> str:
    return EXPECTED_SAVER["postgres" if settings.database_url else "sqlite"]


@pytest.mark.timeout(180)
def test_checkpointer_resumes_after_kill_in_new_process(checkpoint_settings: Settings) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SPARRING_DATABASE_URL")}
    env["SPARRING_DATA_DIR"] = str(checkpoint_settings.data_dir)
    if checkpoint_settings.database_url:
        env["SPARRING_DATABASE_URL"] = checkpoint_settings.database_url
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    thread_id = "session-" + uuid.uuid4().hex

    first = subprocess.Popen([sys.executable, "-c", PROCESS_CODE, "start", thread_id], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = _read_line(first, 90)
        assert line, first.stderr.read() if first.stderr else ""
        started = json.loads(line)
        assert started == {"interrupts": [{"question": "price?"}], "log": ["first"],
                           "saver": _expected_saver(checkpoint_settings)}
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL

    second = subprocess.run([sys.executable, "-c", PROCESS_CODE, "resume", thread_id, "42k"], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=90)
    assert second.returncode == 0, second.stderr
    resumed = json.loads(second.stdout.strip().splitlines()[-1])
    assert resumed["before"] == {"next": ["ask"], "log": ["first"]}
    assert resumed["log"] == ["first", "ask:42k", "done"]
    assert resumed["saver"] == _expected_saver(checkpoint_settings)
    if not checkpoint_settings.database_url:
        assert checkpoint_settings.checkpoint_path.exists()


def _compile_tiny_graph(checkpointer: BaseCheckpointSaver[str]) -> CompiledStateGraph[Any, Any, Any, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(GRAPH_CODE, "<tiny-graph>", "exec", dont_inherit=True), namespace)
    graph: CompiledStateGraph[Any, Any, Any, Any] = namespace["build_graph"](checkpointer)
    return graph


class LoopState(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


def _loop_graph(
    checkpointer: BaseCheckpointSaver[str], rounds: int
) -> CompiledStateGraph[Any, Any, Any, Any]:
    def ask(state: LoopState) -> LoopState:
        return {"log": [str(interrupt("next?"))]}

    def route(state: LoopState) -> str:
        return END if len(state["log"]) >= rounds else "ask"

    b = StateGraph(LoopState)
    b.add_node("ask", ask)
    b.add_edge(START, "ask")
    b.add_conditional_edges("ask", route)
    return b.compile(checkpointer=checkpointer)


@pytest.mark.timeout(180)
def test_checkpointer_twenty_concurrent_sessions(checkpoint_settings: Settings) -> None:
    rounds, n_threads = 6, 20
    errors: list[BaseException] = []
    with open_checkpointer(checkpoint_settings) as cp:
        assert type(cp).__name__ == _expected_saver(checkpoint_settings)
        graph = _loop_graph(cp, rounds)
        barrier = threading.Barrier(n_threads)

        def worker(k: int) -> None:
            try:
                cfg: Any = {"configurable": {"thread_id": f"t{k}"}}
                barrier.wait()
                graph.invoke({"log": []}, cfg)
                for r in range(rounds):
                    graph.invoke(Command(resume=f"{k}-{r}"), cfg)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(n_threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=150)
        assert not errors, errors
        for k in range(n_threads):
            snap = graph.get_state({"configurable": {"thread_id": f"t{k}"}})
            assert snap.values["log"] == [f"{k}-{r}" for r in range(rounds)] and snap.next == ()


class StepState(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


@pytest.mark.postgres
def test_postgres_saver_sends_task_writes_with_the_next_checkpoint(postgres_url: str, tmp_path: Path) -> None:
    """A task's writes wait for the next checkpoint (one pipeline); none stay held once a run stops at
    an interrupt or on an error, and a second saver (another process) sees every step."""
    settings = make_settings(tmp_path / "data", postgres_url)
    calls = {"fail": True}

    def one(state: StepState) -> StepState:
        return {"log": ["one"]}

    def two(state: StepState) -> StepState:
        if calls["fail"]:
            calls["fail"] = False
            raise RuntimeError("model down")
        return {"log": ["two"]}

    def ask(state: StepState) -> StepState:
        return {"log": [str(interrupt("next?"))]}

    def build(cp: BaseCheckpointSaver[str]) -> CompiledStateGraph[Any, Any, Any, Any]:
        b = StateGraph(StepState)
        for name, fn in (("one", one), ("two", two), ("ask", ask)):
            b.add_node(name, fn)
        b.add_edge(START, "one")
        b.add_edge("one", "two")
        b.add_edge("two", "ask")
        b.add_edge("ask", END)
        return b.compile(checkpointer=cp)

    cfg: Any = {"configurable": {"thread_id": "t"}}
    with open_checkpointer(settings) as cp, open_checkpointer(settings) as other:
        graph, seen = build(cp), build(other)
        with pytest.raises(RuntimeError, match="model down"):
            graph.invoke({"log": []}, cfg, durability="sync")
        assert cp._held == {}  # type: ignore[attr-defined]
        failed = seen.get_state(cfg)
        assert failed.values["log"] == ["one"] and [t.name for t in failed.tasks] == ["two"]
        assert failed.tasks[0].error is not None  # the error write reached the database
        graph.invoke(None, cfg, durability="sync")
        assert cp._held == {}  # type: ignore[attr-defined]
        waiting = seen.get_state(cfg)
        assert waiting.values["log"] == ["one", "two"] and waiting.interrupts[0].value == "next?"
        graph.invoke(Command(resume="42k"), cfg, durability="sync")
        assert seen.get_state(cfg).values["log"] == ["one", "two", "42k"]
        assert len(list(seen.get_state_history(cfg))) == len(list(graph.get_state_history(cfg)))


def test_sqlite_checkpointer_file_and_pragmas(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "x" / "y")
    with open_checkpointer(settings) as cp:
        graph = _compile_tiny_graph(cp)
        graph.invoke({"log": []}, {"configurable": {"thread_id": "a"}})
    assert settings.checkpoint_path.exists()
    conn = sqlite3.connect(settings.checkpoint_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("SELECT count(*) FROM checkpoints").fetchone()[0] > 0
    finally:
        conn.close()


def test_memory_checkpointer_interrupt_and_resume() -> None:
    with memory_checkpointer() as cp:
        graph = _compile_tiny_graph(cp)
        cfg: Any = {"configurable": {"thread_id": "m"}}
        out = graph.invoke({"log": []}, cfg)
        assert out["__interrupt__"][0].value == {"question": "price?"}
        assert graph.invoke(Command(resume="yes"), cfg)["log"] == ["first", "ask:yes", "done"]


def test_checkpointer_and_store_timing_smoke(tmp_path: Path) -> None:
    """Not a benchmark (see bench/bench_store.py): a gross regression guard on per-turn cost."""
    eng = create_db_engine(f"sqlite:///{tmp_path / 's.db'}")
    init_schema(eng)
    store = SessionStore(eng)
    sid = store.create_session(scenario_id="s", persona_id="p", difficulty="easy").id
    start = time.perf_counter()
    for i in range(50):
        store.append_turns(sid, [make_turn(i)])
        store.update_session(sid, turn_count=i + 1)
    per_turn_ms = (time.perf_counter() - start) * 1000 / 50
    eng.dispose()
    assert per_turn_ms < 50, per_turn_ms


def test_voice_turn_speech_round_trips_and_fills_in_later(tmp_path: Path) -> None:
    """Speech timings survive the store; a turn re-recorded with its timing gets it filled in."""
    from simulator.store.db import create_db_engine, init_schema
    from simulator.store.sessions import SessionStore

    engine = create_db_engine(f"sqlite:///{tmp_path / 'voice.db'}")
    init_schema(engine)
    store = SessionStore(engine)
    store.create_session(scenario_id="s", persona_id="p", difficulty="medium", session_id="v1")
    buyer: dict[str, Any] = {"index": 0, "speaker": "buyer", "text": "Hello.", "stage": "opening", "analysis": None,
                             "move": None, "state": None, "voiced_by": "gist", "rejected": None, "llm_line": None,
                             "at": 1.0}
    rep = {**buyer, "index": 1, "speaker": "rep", "voiced_by": "rep", "speech_s": 2.5,
           "delivery": {"words": [{"text": "hi", "start": 0.1, "end": 0.4}], "pause_s": 0.8, "duration_s": 3.0}}
    store.append_turns("v1", [buyer, rep])  # type: ignore[list-item]
    store.append_turns("v1", [{**buyer, "speech_s": 1.7}])  # type: ignore[list-item]
    got = store.get_turns("v1")
    assert got[0].get("speech_s") == 1.7
    assert got[1].get("speech_s") == 2.5 and got[1].get("delivery") == rep["delivery"]


def test_version_1_database_is_migrated(tmp_path: Path) -> None:
    """A store created before turns.speech existed gains the column and keeps its rows."""
    import sqlite3

    from simulator.store.db import create_db_engine, get_schema_version, init_schema

    path = tmp_path / "old.db"
    engine = create_db_engine(f"sqlite:///{path}")
    init_schema(engine)
    engine.dispose()
    with sqlite3.connect(path) as conn:  # turn it back into a version-1 database
        conn.execute("ALTER TABLE turns DROP COLUMN speech")
        for column in ("turn_holder", "turn_until", "abandoned_at", "drill_version", "turn_cancel",
                       "turn_seq"):
            conn.execute(f"ALTER TABLE sessions DROP COLUMN {column}")
        conn.execute("UPDATE schema_version SET version = 1")
    engine = create_db_engine(f"sqlite:///{path}")
    assert init_schema(engine) == 5 and get_schema_version(engine) == 5
    with sqlite3.connect(path) as conn:
        assert "speech" in [row[1] for row in conn.execute("PRAGMA table_info(turns)")]
        session_columns = [row[1] for row in conn.execute("PRAGMA table_info(sessions)")]
        assert {"turn_holder", "turn_until", "abandoned_at", "drill_version", "turn_cancel",
                "turn_seq"} <= set(session_columns)
