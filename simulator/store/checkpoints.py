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

``PostgresSaver`` (langgraph-checkpoint-postgres 3.2.0) also serialises its calls with a lock, so
one saver uses one connection at a time; we give it a small psycopg pool anyway, because the pool
checks connections on checkout and replaces one broken by a server restart. ``setup()`` runs under
a PostgreSQL advisory lock so that processes starting together do not race on its migrations.
Every ``put``/``put_writes`` is its own autocommit transaction (about four per turn), so by default
the pool's connections run with ``synchronous_commit=off``, the same durability trade as SQLite's
``NORMAL`` (see :mod:`simulator.store.db`); ``pg_synchronous_commit="on"`` restores fsync per commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver

from simulator.config import Settings
from simulator.store.db import check_synchronous_commit, is_postgres, libpq_conninfo

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
    settings: Settings, *, sqlite_synchronous: str = "NORMAL", pg_synchronous_commit: str | None = "off"
) -> Iterator[BaseCheckpointSaver[str]]:
    """Yield a ready (``setup()`` done) checkpointer for ``settings``; close it on exit.

    PostgreSQL URL → ``PostgresSaver`` on a small psycopg pool in that database; anything else →
    ``SqliteSaver`` on ``settings.checkpoint_path``. One checkpointer serves every session (thread)
    of the process; compile the graph with it.
    """
    url = settings.resolved_database_url
    if is_postgres(url):
        with _open_postgres_saver(libpq_conninfo(url), pg_synchronous_commit) as saver:
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
def _open_postgres_saver(conninfo: str, synchronous_commit: str | None) -> Iterator[BaseCheckpointSaver[str]]:
    # Imported here: PostgreSQL support is an optional extra (sparring[postgres]).
    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import DictRow, dict_row
    from psycopg_pool import ConnectionPool

    setting = check_synchronous_commit(synchronous_commit) if synchronous_commit is not None else None

    def configure(conn: psycopg.Connection[DictRow]) -> None:
        if setting is not None:
            conn.execute(f"SET synchronous_commit TO {setting}")

    with ConnectionPool[psycopg.Connection[DictRow]](
        conninfo,
        connection_class=psycopg.Connection[DictRow],
        min_size=1,
        max_size=2,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        check=ConnectionPool.check_connection,
        configure=configure,
        name="sparring-checkpoints",
        open=True,
    ) as pool:
        saver = PostgresSaver(pool)
        with psycopg.connect(conninfo, autocommit=True) as lock_conn:
            lock_conn.execute("SELECT pg_advisory_lock(%s)", (_PG_SETUP_LOCK,))
            try:
                saver.setup()
            finally:
                lock_conn.execute("SELECT pg_advisory_unlock(%s)", (_PG_SETUP_LOCK,))
        yield saver


@contextmanager
def memory_checkpointer() -> Iterator[BaseCheckpointSaver[str]]:
    """Yield an in-process ``InMemorySaver`` (nothing persists); same shape as :func:`open_checkpointer`."""
    yield InMemorySaver()
