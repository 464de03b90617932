"""LangGraph checkpointers: where a session's graph state lives between turns and across restarts.

:func:`open_checkpointer` picks the backend from the settings: PostgreSQL when the store's URL is
PostgreSQL (the checkpoint tables sit in the same database), else a SQLite file at
``settings.checkpoint_path``. :func:`memory_checkpointer` is for tests and benchmarks.

What we found in langgraph-checkpoint-sqlite 3.1.2 (``SqliteSaver``), and what we do about it:

* Thread safety. ``SqliteSaver`` holds one ``sqlite3.Connection`` and a ``threading.Lock``; every
  method (``get_tuple``, ``put``, ``put_writes``, ``list``, ``delete_thread``) runs its SQL under
  that lock and commits before releasing it. So one saver over one connection opened with
  ``check_same_thread=False`` is safe for 20 sessions on 20 threads: calls are serialised, and
  each is well under a millisecond (see ``bench/bench_store.py``), so the lock is no bottleneck.
  One trap: ``checkpointer.list()`` is a generator that keeps the lock while it yields; the lock
  is not re-entrant, so calling the saver from inside a ``for ... in checkpointer.list(...)`` loop
  deadlocks (verified). Materialise it first: ``list(checkpointer.list(...))``.
  ``graph.get_state_history()`` already does that and is safe.
* Several processes on one file: each has its own connection; we set WAL (readers do not block
  the writer) and a 30 s busy timeout (a writer waits instead of failing "database is locked").
  Python's sqlite3 opens a deferred transaction at the first INSERT, which is the first statement
  of each ``put``, so the busy handler applies.
* Durability. Each ``put``/``put_writes`` commits on its own. We run WAL with
  ``synchronous=NORMAL``: a commit survives the process being killed (the WAL is in the OS page
  cache); an OS crash or power cut may lose the last few commits but never corrupts the file.
  ``synchronous=FULL`` (fsync every commit) survives power loss too, but measured 4-8 ms per put
  and +15 ms per graph turn (median, ``bench/bench_store.py``) against 0.1 ms and +0.5 ms with
  ``NORMAL``; pass ``sqlite_synchronous="FULL"`` to choose it anyway. LangGraph's default
  ``durability="async"`` writes a step's checkpoint while the next step runs, but ``invoke``/
  ``stream`` wait for every write before returning, so a state returned at ``interrupt()`` is on
  disk; a kill in the middle of a run resumes from the last finished step.

``PostgresSaver`` (langgraph-checkpoint-postgres 3.2.0) serialises every call with one
``threading.Lock``, which guards a single shared connection, and keeps that lock when it is given a
pool. With 50 users (about seven checkpoint calls per message) the calls queued behind each other:
52-55 ms per call at the median, against 1-2 ms of actual SQL (``bench/bench_web.py --profile``).
We give it a psycopg pool (``pg_pool_size``, default 10 connections, 2 kept open) and replace the
lock with a no-op, so each call takes its own pooled connection; the pool is thread-safe and
LangGraph orders the writes of one thread itself. A connection is pinged on checkout only when it
is new or idle for more than :data:`~simulator.store.db.PING_AFTER_IDLE_S` (a ping on every
checkout was one extra round trip per call), so one broken by a server restart is still replaced.
``setup()`` runs once, at open, under a PostgreSQL advisory lock so that processes starting
together do not race on its migrations. Per message LangGraph (``durability="sync"``) calls
``put`` three times (one per step: the rep's turn, reading the message and directing, the buyer's
line; see :mod:`simulator.engine.graph`) and ``put_writes`` five; the saver is a
:class:`PostgresSaver` subclass (``PipelinedPostgresSaver``, :func:`_pipelined_saver_class`) that
sends a task's writes in the same pipeline as the checkpoint that follows them. While this process
holds the session's turn (:class:`~simulator.session.guard.TurnGuard` tells it, ``turn_started``)
it also keeps the thread's latest checkpoint as it wrote it, in the shape of the database's row, and
serves ``get_tuple`` from it when nobody else claimed the turn since this process released it
(``sessions.turn_seq``; any other claim drops what was kept); and it holds a turn's checkpoints
after the first back, sending them with the writes that end the run (the interrupt) or at the end
of the turn, before the release. The first is sent at once: the rep's accepted line is in the
database before the buyer is asked; a crash later re-runs the step that read the message. So a
message costs two round trips to the checkpoint tables (the first ``put``; the later ones
with the interrupt's writes) instead of nine, and two write transactions instead of eight. Each is its own
autocommit transaction (a pipeline's statements share its implicit one), so by default the pool's
connections run with ``synchronous_commit=off``, the same durability trade as SQLite's ``NORMAL`` (see
:mod:`simulator.store.db`); ``pg_synchronous_commit="on"`` restores fsync per commit.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import logging
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver

from simulator.config import Settings
from simulator.store.db import (
    PG_LOCK_NAMESPACE,
    PING_AFTER_IDLE_S,
    check_synchronous_commit,
    is_postgres,
    libpq_conninfo,
)

_log = logging.getLogger(__name__)
_SQLITE_BUSY_TIMEOUT_S = 30.0
_PG_SETUP_LOCK = 0x5350_4143  # advisory lock key for PostgresSaver.setup()


def connect_checkpoint_sqlite(path: Path, *, synchronous: str = "NORMAL") -> sqlite3.Connection:
    """Open (creating parents) the checkpoint SQLite file for a :class:`SqliteSaver`.

    WAL journal, ``synchronous`` as given, 30 s busy timeout, usable from any thread.
    """
    if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise ValueError(f"synchronous must be OFF, NORMAL, FULL or EXTRA, not {synchronous!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=_SQLITE_BUSY_TIMEOUT_S)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
    conn.execute(f"PRAGMA busy_timeout={int(_SQLITE_BUSY_TIMEOUT_S * 1000)}")
    return conn


@contextmanager
def open_checkpointer(
    settings: Settings,
    *,
    sqlite_synchronous: str = "NORMAL",
    pg_synchronous_commit: str | None = "off",
    pg_pool_size: int = 10,
) -> Iterator[BaseCheckpointSaver[str]]:
    """Yield a ready (``setup()`` done) checkpointer for ``settings``; close it on exit.

    PostgreSQL URL → ``PostgresSaver`` on a psycopg pool of ``pg_pool_size`` connections in that
    database; anything else → ``SqliteSaver`` on ``settings.checkpoint_path``. One checkpointer
    serves every session (thread) of the process; compile the graph with it.
    """
    url = settings.resolved_database_url
    if is_postgres(url):
        with _open_postgres_saver(libpq_conninfo(url), pg_synchronous_commit, pg_pool_size) as saver:
            yield saver
        return
    conn = connect_checkpoint_sqlite(settings.checkpoint_path, synchronous=sqlite_synchronous)
    try:
        sqlite_saver = SqliteSaver(conn)
        sqlite_saver.setup()
        yield sqlite_saver
    finally:
        conn.close()


@contextmanager
def _open_postgres_saver(
    conninfo: str, synchronous_commit: str | None, pool_size: int
) -> Iterator[BaseCheckpointSaver[str]]:
    # Imported here: PostgreSQL support is an optional extra (sparring[postgres]).
    import psycopg
    from psycopg.rows import DictRow, dict_row
    from psycopg.types.json import set_json_dumps, set_json_loads
    from psycopg_pool import ConnectionPool

    setting = check_synchronous_commit(synchronous_commit) if synchronous_commit is not None else None
    idle = _IdleCheck(ConnectionPool.check_connection)

    def configure(conn: psycopg.Connection[DictRow]) -> None:
        # The checkpoint and metadata columns (jsonb), written by every put, read by every get_tuple.
        # (Tried and dropped, measured A/B in one process: the put as one statement, the writes, blobs
        # and checkpoint row through unnest() in data-modifying CTEs: app CPU -7 %, server CPU +33 %;
        # the rows as arrays in a shorter pipeline: app +7 %, server -9 %. The pipeline stays.)
        set_json_dumps(_json_dumps, conn)
        set_json_loads(_json_loads, conn)
        if setting is not None:
            conn.execute(f"SET synchronous_commit TO {setting}")

    with ConnectionPool[psycopg.Connection[DictRow]](
        conninfo,
        connection_class=psycopg.Connection[DictRow],
        min_size=min(2, pool_size),
        max_size=pool_size,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        check=idle.check,
        configure=configure,
        name="sparring-checkpoints",
        open=True,
    ) as pool:
        saver = _pipelined_saver_class()(pool)
        # The saver's lock guards a single shared connection; on a pool every call takes its own.
        saver.lock = contextlib.nullcontext()
        with psycopg.connect(conninfo, autocommit=True) as lock_conn:
            # Poll instead of blocking in pg_advisory_lock: setup() may run CREATE INDEX CONCURRENTLY,
            # which waits for every transaction already running, and a process blocked in
            # pg_advisory_lock is one: two processes starting together would wait on each other forever.
            # Keyed by the schema too (PG_LOCK_NAMESPACE): deployments in other schemas do not wait.
            try_lock = f"SELECT pg_try_advisory_lock(%s, {PG_LOCK_NAMESPACE})"
            while not (lock_conn.execute(try_lock, (_PG_SETUP_LOCK,)).fetchone() or [False])[0]:
                time.sleep(0.1)
            try:
                saver.setup()
            finally:
                lock_conn.execute(f"SELECT pg_advisory_unlock(%s, {PG_LOCK_NAMESPACE})", (_PG_SETUP_LOCK,))
        yield saver


def _json_dumps(value: Any) -> bytes:
    """JSON for the checkpointer's jsonb columns: orjson (several times faster than ``json.dumps``), or
    ``json.dumps`` for what orjson refuses (non-string keys, integers past 64 bits)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value).encode()


def _json_loads(data: bytes | bytearray | memoryview | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(bytes(data) if isinstance(data, memoryview) else data)


_PIPELINED_SAVER: type[Any] | None = None
_MAX_HELD_THREADS = 256


def _pipelined_saver_class() -> type[Any]:
    """:class:`PostgresSaver` that sends a task's writes with the checkpoint that follows them.

    Per message LangGraph calls ``put_writes`` five times (the resume value, then each task's
    writes) and ``put`` three times (after each step), each its own round trip and transaction. A
    task's ordinary writes are only needed until the step's checkpoint is saved (the checkpoint
    holds their effect; a crash in between re-runs the task on resume), and with
    ``durability="sync"`` that checkpoint is saved right after the task finishes. So they are held
    in memory and sent in the same pipeline as the next ``put`` of that thread: one round trip and
    one transaction (the pipeline's implicit one) for both. Held writes are sent at once, with the
    call, when the writes end a run or record a failure (an interrupt, an error: nothing follows
    them), before any read of the thread (``get_tuple``, ``list``), and when more than
    :data:`_MAX_HELD_THREADS` threads hold some. The session graph is linear (one task per step);
    with parallel tasks, a finished task's writes would wait for its slowest sibling.
    """
    global _PIPELINED_SAVER
    if _PIPELINED_SAVER is not None:
        return _PIPELINED_SAVER
    from langgraph.checkpoint.base import WRITES_IDX_MAP, get_checkpoint_id, get_serializable_checkpoint_metadata
    from langgraph.checkpoint.postgres import PostgresSaver
    from langgraph.checkpoint.serde.types import ERROR, INTERRUPT, _DeltaSnapshot

    ends_run = (ERROR, INTERRUPT)
    Held = builtins.list[tuple[str, builtins.list[Any]]]
    """Writes held for one thread: (query, rows) in the order they came."""

    class PipelinedPostgresSaver(PostgresSaver):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held: dict[tuple[str, str], Held] = {}
            self._held_lock = threading.Lock()
            self._local = threading.local()
            self._latest: dict[str, _Latest] = {}
            """Per thread, its latest checkpoint as this process wrote (or read) it."""
            self._trusted: set[str] = set()
            """Threads whose turn this process holds, with nobody else having run them since it wrote
            ``_latest`` (see :meth:`turn_started`)."""
            self._cache_lock = threading.Lock()
            self._puts_in_turn: dict[str, int] = {}
            """Checkpoints written so far in the turn this process holds, per thread."""

        # ------------------------------------------------ the latest checkpoint, kept while the turn is held

        def turn_started(self, thread_id: str, continuous: bool) -> None:
            """This process holds ``thread_id``'s turn (:class:`~simulator.session.guard.TurnGuard`).
            ``continuous``: nobody ran it since this process released it, so what it wrote is still
            the latest; otherwise what it kept is dropped and the next read goes to the database."""
            with self._cache_lock:
                if not continuous:
                    self._latest.pop(thread_id, None)
                self._trusted.add(thread_id)
                self._puts_in_turn[thread_id] = 0

        def turn_ended(self, thread_id: str) -> None:
            """The turn is given back: another process may run the thread from now on, so reads go to
            the database again (what was kept stays for the next continuous turn)."""
            with self._cache_lock:
                self._trusted.discard(thread_id)
                self._puts_in_turn.pop(thread_id, None)
            try:
                self.flush(thread_id)  # writes held past the run's end (a stream closed early): before the release
            except Exception:
                _log.warning("could not send the checkpoint writes held for %s", thread_id, exc_info=True)
                self._forget(thread_id)

        def _cached(self, key: tuple[str, str]) -> _Latest | None:
            if key[1] != "" or key[0] not in self._trusted:
                return None
            return self._latest.get(key[0])

        def _forget(self, thread_id: str) -> None:
            with self._cache_lock:
                self._latest.pop(thread_id, None)

        def _keep(self, thread_id: str, latest: _Latest) -> None:
            with self._cache_lock:
                if thread_id not in self._trusted:
                    return
                self._latest.pop(thread_id, None)
                self._latest[thread_id] = latest
                while len(self._latest) > _MAX_KEPT_THREADS:
                    del self._latest[next(iter(self._latest))]

        def _dump_blobs(self, *args: Any, **kwargs: Any) -> Any:
            rows = super()._dump_blobs(*args, **kwargs)
            self._local.blob_rows = rows
            return rows

        def _dump_writes(self, *args: Any, **kwargs: Any) -> Any:
            rows = super()._dump_writes(*args, **kwargs)
            self._local.write_rows = rows
            return rows

        def _take(self, key: tuple[str, str]) -> Held:
            with self._held_lock:
                return self._held.pop(key, [])

        @contextmanager
        def _cursor(self, *, pipeline: bool = False) -> Iterator[Any]:
            recording = getattr(self._local, "recording", None)
            if recording is not None:  # a checkpoint held back (see put): note its statements
                yield _Recorder(recording)
                return
            held: Held = getattr(self._local, "held", None) or []
            self._local.held = None
            with super()._cursor(pipeline=pipeline or bool(held)) as cur:
                for query, rows in held:
                    cur.executemany(query, rows)
                yield cur

        def _send_with(self, key: tuple[str, str], call: Callable[[], Any]) -> Any:
            """Run ``call`` (one ``_cursor`` use) with the writes held for ``key`` sent first."""
            self._local.held = self._take(key)
            try:
                return call()
            finally:
                unsent, self._local.held = self._local.held, None
                if unsent:  # ``call`` failed before it used a cursor: keep them for the next one
                    with self._held_lock:
                        self._held[key] = unsent + self._held.get(key, [])

        def put_writes(self, config: Any, writes: Any, task_id: str, task_path: str = "") -> None:
            conf = config["configurable"]
            key = (str(conf["thread_id"]), conf.get("checkpoint_ns", ""))
            upsert = all(w[0] in WRITES_IDX_MAP for w in writes)
            if any(channel in ends_run for channel, _ in writes):
                self._local.write_rows = None
                try:
                    self._send_with(key, lambda: super(PipelinedPostgresSaver, self).put_writes(
                        config, writes, task_id, task_path))
                except BaseException:
                    self._forget(key[0])
                    raise
                self._kept_writes(key, conf.get("checkpoint_id"), self._local.write_rows, upsert)
                return
            query = self.UPSERT_CHECKPOINT_WRITES_SQL if upsert else self.INSERT_CHECKPOINT_WRITES_SQL
            rows = self._dump_writes(key[0], key[1], conf["checkpoint_id"], task_id, task_path, writes)
            with self._held_lock:
                self._held.setdefault(key, []).append((query, rows))
                overflow = len(self._held) > _MAX_HELD_THREADS
            self._kept_writes(key, conf.get("checkpoint_id"), rows, upsert)
            if overflow:
                self.flush()

        def _kept_writes(self, key: tuple[str, str], checkpoint_id: str | None, rows: Any, upsert: bool) -> None:
            """Add written ``rows`` to the kept checkpoint's pending writes (as ``SELECT_SQL`` returns them)."""
            with self._cache_lock:
                latest = self._cached(key)
                if latest is None:
                    return
                if rows is None or checkpoint_id is None or len(latest.early) > 4:
                    self._latest.pop(key[0], None)  # not what the reads would see: read the database
                    return
                # LangGraph runs a step's tasks while the step's checkpoint is being saved (both on its
                # background threads), so a task's writes may come before the checkpoint they belong to.
                writes = (latest.writes if latest.checkpoint_id == checkpoint_id
                          else latest.early.setdefault(checkpoint_id, {}))
                for _, _, _, task, path, idx, channel, type_, blob in rows:
                    row = [task.encode(), channel.encode(), type_.encode(), blob, path.encode(), str(idx).encode()]
                    if upsert:
                        writes[(task, idx)] = row
                    else:
                        writes.setdefault((task, idx), row)

        def put(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
            conf = config["configurable"]
            key = (str(conf["thread_id"]), conf.get("checkpoint_ns", ""))
            self._local.blob_rows = []
            with self._cache_lock:
                done = self._puts_in_turn.get(key[0]) if key[1] == "" else None
                if done is not None:
                    self._puts_in_turn[key[0]] = done + 1
            try:
                if done:  # not the turn's first checkpoint: held, sent with what ends the run
                    recorded: Held = []
                    self._local.recording = recorded
                    try:
                        next_config = super().put(config, checkpoint, metadata, new_versions)
                    finally:
                        self._local.recording = None
                    with self._held_lock:
                        self._held.setdefault(key, []).extend(recorded)
                        overflow = len(self._held) > _MAX_HELD_THREADS
                    if overflow:
                        self.flush()
                else:
                    next_config = self._send_with(key, lambda: super(PipelinedPostgresSaver, self).put(
                        config, checkpoint, metadata, new_versions))
            except BaseException:
                self._forget(key[0])
                raise
            with self._cache_lock:
                before = self._cached(key)
                if before is not None:
                    self._kept_checkpoint(key, before, config, checkpoint, metadata, self._local.blob_rows)
            return next_config

        def _kept_checkpoint(self, key: tuple[str, str], before: _Latest, config: Any, checkpoint: Any,
                             metadata: Any, blob_rows: Any) -> None:
            """Keep the checkpoint just written as the thread's latest (the row ``SELECT_SQL`` would
            return). Called with ``_cache_lock`` held."""
            if any(isinstance(v, _DeltaSnapshot) for v in checkpoint["channel_values"].values()):
                self._latest.pop(key[0], None)
                return
            inline = {k: v for k, v in checkpoint["channel_values"].items()
                      if v is None or isinstance(v, (str, int, float, bool))}
            blobs = dict(before.blobs)
            for _, _, channel, version, type_, blob in blob_rows:
                blobs.setdefault((channel, str(version)), (type_, blob))
            versions = {k: str(v) for k, v in checkpoint["channel_versions"].items()}
            early = dict(before.early)
            self._latest[key[0]] = _Latest(
                thread_id=key[0], checkpoint_id=checkpoint["id"],
                parent_id=config["configurable"].get("checkpoint_id"),
                checkpoint=_json_dumps({**checkpoint, "channel_values": inline}),
                metadata=_json_dumps(get_serializable_checkpoint_metadata(config, metadata)),
                blobs={kv: blob for kv, blob in blobs.items() if versions.get(kv[0]) == kv[1]},
                writes=early.pop(checkpoint["id"], {}), early=early,
            )

        def get_tuple(self, config: Any) -> Any:
            conf = config["configurable"]
            thread_id = str(conf["thread_id"])
            self.flush(thread_id)
            key = (thread_id, conf.get("checkpoint_ns", ""))
            if get_checkpoint_id(config):
                return super().get_tuple(config)
            with self._cache_lock:
                latest = self._cached(key)
                trusted = key[1] == "" and thread_id in self._trusted
            if latest is not None:
                return None if latest.checkpoint_id is None else self._load_checkpoint_tuple(latest.row())
            if not trusted:
                return super().get_tuple(config)
            with self._cursor() as cur:
                cur.execute(self.SELECT_SQL + _SELECT_LATEST, (thread_id, ""))
                value = cur.fetchone()
            if value is None:
                self._keep(thread_id, _Latest(thread_id=thread_id, checkpoint_id=None))
                return None
            if value["checkpoint"]["v"] < 4 and value["parent_checkpoint_id"]:
                return super().get_tuple(config)  # an old checkpoint format: no keeping
            self._keep(thread_id, _Latest.from_row(value))
            return self._load_checkpoint_tuple(value)

        def list(self, config: Any, **kwargs: Any) -> Any:
            self.flush(str(config["configurable"]["thread_id"]) if config else None)
            return super().list(config, **kwargs)

        def delete_thread(self, thread_id: str) -> None:
            self._forget(str(thread_id))
            with self._held_lock:
                for key in [k for k in self._held if k[0] == str(thread_id)]:
                    del self._held[key]
            super().delete_thread(thread_id)

        def flush(self, thread_id: str | None = None) -> None:
            """Send the writes held for ``thread_id`` (every thread when None) now."""
            with self._held_lock:
                keys = [k for k in self._held if thread_id is None or k[0] == thread_id]
            for key in keys:
                held = self._take(key)
                if held:
                    with super()._cursor(pipeline=True) as cur:
                        for query, rows in held:
                            cur.executemany(query, rows)

    _PIPELINED_SAVER = PipelinedPostgresSaver
    return PipelinedPostgresSaver


class _Recorder:
    """Stands in for a cursor while a held checkpoint is written: keeps its statements to send later."""

    def __init__(self, into: builtins.list[tuple[str, builtins.list[Any]]]) -> None:
        self._into = into

    def execute(self, query: str, params: Any = None) -> None:
        self._into.append((query, [params]))

    def executemany(self, query: str, rows: Any) -> None:
        self._into.append((query, builtins.list(rows)))


_MAX_KEPT_THREADS = 4096
_SELECT_LATEST = "WHERE thread_id = %s AND checkpoint_ns = %s ORDER BY checkpoint_id DESC LIMIT 1"


@dataclass
class _Latest:
    """A thread's latest checkpoint as the database holds it, kept by the process that holds its turn,
    in the shape of a ``PostgresSaver.SELECT_SQL`` row (JSON kept as bytes: every read decodes its own
    copy, since LangGraph changes the checkpoint it is given). ``checkpoint_id`` None: no checkpoint."""

    thread_id: str
    checkpoint_id: str | None
    parent_id: str | None = None
    checkpoint: bytes = b""
    metadata: bytes = b""
    blobs: dict[tuple[str, str], tuple[str, bytes | None]] = field(default_factory=dict)
    """(channel, version) → (type, blob), for the versions the checkpoint names."""
    writes: dict[tuple[str, int], builtins.list[Any]] = field(default_factory=dict)
    """(task id, idx) → the pending write's row, in the order written."""
    early: dict[str, dict[tuple[str, int], builtins.list[Any]]] = field(default_factory=dict)
    """Writes for a checkpoint not kept yet (its ``put`` still running), by checkpoint id."""

    @classmethod
    def from_row(cls, value: Any) -> _Latest:
        blobs = {}
        versions = value["checkpoint"].get("channel_versions") or {}
        for channel, type_, blob in value["channel_values"] or []:
            name = bytes(channel).decode()
            blobs[(name, str(versions.get(name)))] = (bytes(type_).decode(), blob)
        writes = {(bytes(w[0]).decode(), int(bytes(w[5]))): list(w) for w in value["pending_writes"] or []}
        return cls(thread_id=value["thread_id"], checkpoint_id=value["checkpoint_id"],
                   parent_id=value["parent_checkpoint_id"], checkpoint=_json_dumps(value["checkpoint"]),
                   metadata=_json_dumps(value["metadata"]), blobs=blobs, writes=writes)

    def row(self) -> dict[str, Any]:
        return {
            "thread_id": self.thread_id, "checkpoint_ns": "", "checkpoint_id": self.checkpoint_id,
            "parent_checkpoint_id": self.parent_id, "checkpoint": _json_loads(self.checkpoint),
            "metadata": _json_loads(self.metadata),
            "channel_values": [[channel.encode(), type_.encode(), blob]
                               for (channel, _), (type_, blob) in self.blobs.items()] or None,
            "pending_writes": builtins.list(self.writes.values()) or None,
        }


class _IdleCheck:
    """psycopg_pool ``check`` callback: ping a connection on checkout only when it is new or was
    last handed out more than :data:`~simulator.store.db.PING_AFTER_IDLE_S` ago.

    (Not a ``reset`` callback noting when it came back: with one, the pool returns every connection
    through a worker thread, a thread hand-off on every checkpoint call.)
    """

    def __init__(self, ping: Callable[[Any], None]) -> None:
        self._ping = ping
        self._lock = threading.Lock()
        self._last_out: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()

    def check(self, conn: Any) -> None:
        now = time.monotonic()
        with self._lock:
            last = self._last_out.get(conn)
            self._last_out[conn] = now
        if last is None or now - last > PING_AFTER_IDLE_S:
            self._ping(conn)


@contextmanager
def memory_checkpointer() -> Iterator[BaseCheckpointSaver[str]]:
    """Yield an in-process ``InMemorySaver`` (nothing persists); same shape as :func:`open_checkpointer`."""
    yield InMemorySaver()
