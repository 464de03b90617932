"""Engines, transactions and the schema version, for SQLite and PostgreSQL alike.

Nothing here runs at import time: callers build one engine per process with
:func:`create_db_engine` and share it between threads (each call takes its own connection).

SQLite details, all set on every new connection: WAL journal (readers never block the writer),
``foreign_keys=ON``, a 30 s ``busy_timeout`` (a writer waits for another writer instead of failing
with "database is locked"), ``synchronous=NORMAL`` (in WAL mode: durable against a killed process;
an OS crash or power cut can lose the last commits but never corrupts the file). pysqlite's own
``BEGIN`` handling is switched off so that :func:`write_transaction` can issue ``BEGIN IMMEDIATE``:
a write transaction takes the write lock up front and waits on the busy timeout, instead of
failing when a read-then-write transaction finds its snapshot stale.

PostgreSQL details: the psycopg 3 driver, and by default ``synchronous_commit=off`` for our
connections: the same trade as SQLite's ``NORMAL`` (a killed app loses nothing; a server crash can
lose the last ~0.6 s of commits, never consistency). Each commit otherwise waits for a WAL fsync
(4-8 ms on the test machine). Pass ``pg_synchronous_commit="on"`` (or ``None`` for the server's
setting) to change it. Every round trip counts: with many threads each one releases the GIL and
waits to get it back, so a pooled connection is pinged only when it has been idle for more than
:data:`PING_AFTER_IDLE_S` (not on every checkout), and :func:`read_transaction` runs in autocommit
(no ``BEGIN``/``COMMIT``), and so does a single writing statement (:func:`single_statement`: it is
atomic on its own). Per message the store now makes two round trips (the turn's claim, and its
lines stored with the release), from 14 (docs/benchmarks.md, Store). The engine itself is in
autocommit, so those take a pooled connection as it is; only :func:`write_transaction` switches
one to a transaction (switching to autocommit and back on every use was six driver calls around
each statement, ~0.2 ms of CPU at no round trip).
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, insert, select, text, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from simulator.errors import SparringError
from simulator.store.marker import (
    check_before_connect,
    check_identity,
    markers_for,
    read_store_id,
    secure_sqlite_files,
    write_markers,
)
from simulator.store.schema import SCHEMA_VERSION, metadata, schema_version, store_identity

_SQLITE_BUSY_TIMEOUT_MS = 30_000
_BEGIN_OPTION = "sparring_sqlite_begin"
_PG_SCHEMA_LOCK = 0x5350_4152  # "SPAR": advisory lock key serialising init_schema across processes
PG_LOCK_NAMESPACE = "hashtext(coalesce(current_schema(), ''))"
"""SQL for the second key of every advisory lock the app takes (``pg_advisory_lock(key, namespace)``):
the schema the connection works in. Advisory locks are per database but not per schema, so two
deployments in different schemas of one database would otherwise wait on each other's locks."""
_IDLE_SINCE = "sparring_idle_since"
PING_AFTER_IDLE_S = 1.0
"""A pooled PostgreSQL connection idle for longer than this is pinged before use (store and checkpoints)."""


class SchemaVersionError(SparringError):
    """The database was written by a newer version of Sparring than this one."""


Migration = Callable[[Connection], None]

def _add_turn_speech(conn: Connection) -> None:
    """v1 → v2: voice turns keep their speech timings (``turns.speech``)."""
    conn.execute(text("ALTER TABLE turns ADD COLUMN speech JSON"))


def _add_turn_lease(conn: Connection) -> None:
    """v2 → v3: the per-session turn lease and the abandoned-call stamp."""
    conn.execute(text("ALTER TABLE sessions ADD COLUMN turn_holder VARCHAR(160)"))
    conn.execute(text("ALTER TABLE sessions ADD COLUMN turn_until FLOAT"))
    conn.execute(text("ALTER TABLE sessions ADD COLUMN abandoned_at FLOAT"))


def _add_drill_version(conn: Connection) -> None:
    """v3 → v4: the Drill studio version a session was played on (the drill tables are new tables)."""
    conn.execute(text("ALTER TABLE sessions ADD COLUMN drill_version INTEGER"))


def _add_turn_cancel(conn: Connection) -> None:
    """v4 → v5: End pressed in one process stops the reply running in another (``sessions.turn_cancel``);
    the count of the turn's claims (``sessions.turn_seq``)."""
    conn.execute(text("ALTER TABLE sessions ADD COLUMN turn_cancel VARCHAR(160)"))
    conn.execute(text("ALTER TABLE sessions ADD COLUMN turn_seq INTEGER"))


MIGRATIONS: dict[int, Migration] = {1: _add_turn_speech, 2: _add_turn_lease, 3: _add_drill_version,
                                    4: _add_turn_cancel}
"""``MIGRATIONS[n]`` upgrades a database at version ``n`` to ``n + 1``."""


def normalize_database_url(url: str | URL) -> URL:
    """Parse ``url``; ``postgres://`` and ``postgresql://`` get the psycopg 3 driver.

    An explicit driver (``postgresql+psycopg2://``) is left alone.
    """
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def is_postgres(url: str | URL) -> bool:
    """True when ``url`` points at PostgreSQL (any driver)."""
    return normalize_database_url(url).get_backend_name() == "postgresql"


def libpq_conninfo(url: str | URL) -> str:
    """The ``postgresql://`` URI that psycopg / libpq accept, password included."""
    parsed = normalize_database_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def create_db_engine(
    url: str | URL,
    *,
    sqlite_synchronous: str = "NORMAL",
    pg_synchronous_commit: str | None = "off",
    pool_size: int = 20,
    max_overflow: int = 10,
    echo: bool = False,
) -> Engine:
    """Build the engine for ``url`` (SQLite file, ``sqlite://`` in memory, or PostgreSQL).

    A SQLite file's parent folders are created. The pool holds ``pool_size`` connections plus
    ``max_overflow`` extra, enough for 20 threads each holding a connection at once. For
    PostgreSQL, connections are pinged on checkout so a restarted server does not break the app.
    """
    parsed = normalize_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _create_sqlite_engine(parsed, synchronous=sqlite_synchronous, pool_size=pool_size,
                                     max_overflow=max_overflow, echo=echo)
    if parsed.get_backend_name() != "postgresql":
        return create_engine(parsed, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=30,
                             echo=echo)
    # Autocommit by default: most uses are one statement or reads (single_statement, read_transaction),
    # and switching a pooled connection into autocommit and back cost 6 driver calls per statement
    # (no round trip, but ~0.2 ms of CPU); write_transaction switches to a real transaction instead.
    engine = create_engine(parsed, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=30, echo=echo,
                           isolation_level="AUTOCOMMIT")
    _ping_when_idle(engine)
    if pg_synchronous_commit is not None:
        setting = check_synchronous_commit(pg_synchronous_commit)

        @event.listens_for(engine, "connect")
        def _on_pg_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
            with dbapi_conn.cursor() as cur:
                cur.execute(f"SET synchronous_commit TO {setting}")
            dbapi_conn.commit()

    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection on checkout when it has been idle for more than :data:`PING_AFTER_IDLE_S`.

    Like ``pool_pre_ping`` (a connection broken by a server restart is replaced, not handed out),
    without a round trip on every checkout: under load a connection is reused within milliseconds.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is not None and time.monotonic() - since <= PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"connection failed its ping: {exc}") from exc  # the pool reconnects


def check_synchronous_commit(value: str) -> str:
    """Validate a PostgreSQL ``synchronous_commit`` level (it is interpolated into SQL)."""
    if value.lower() not in ("on", "off", "local", "remote_write", "remote_apply"):
        raise ValueError(
            f"pg_synchronous_commit must be on, off, local, remote_write or remote_apply, not {value!r}"
        )
    return value.lower()


def _create_sqlite_engine(
    url: URL, *, synchronous: str, pool_size: int, max_overflow: int, echo: bool
) -> Engine:
    if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise ValueError(f"sqlite_synchronous must be OFF, NORMAL, FULL or EXTRA, not {synchronous!r}")
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    connect_args: dict[str, Any] = {
        "check_same_thread": False,
        "timeout": _SQLITE_BUSY_TIMEOUT_MS / 1000,
    }
    if in_memory:
        engine = create_engine(url, connect_args=connect_args, poolclass=StaticPool, echo=echo)
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args=connect_args, pool_size=pool_size,
                               max_overflow=max_overflow, pool_timeout=30, echo=echo)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # We emit BEGIN ourselves (see _on_begin); pysqlite must not.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            if not in_memory:
                _owner_only(database)  # before WAL: SQLite gives -wal/-shm the database file's mode
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute(f"PRAGMA synchronous={synchronous.upper()}")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _owner_only(database: str) -> None:
    """chmod 0600 a SQLite file that is readable by others (a new file follows the umask)."""
    path = Path(database).expanduser()
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    except OSError:
        pass


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that will write; commits on success, rolls back on error.

    On SQLite this is ``BEGIN IMMEDIATE`` (the write lock is taken first, waiting up to the busy
    timeout), so read-then-write code never fails with "database is locked". Elsewhere it is a
    plain ``engine.begin()``.
    """
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        elif engine.dialect.name == "postgresql":  # the engine is in autocommit (see create_db_engine)
            conn.execution_options(isolation_level=engine.dialect.default_isolation_level or "READ COMMITTED")
        with conn.begin():
            yield conn


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection for reads: one consistent snapshot on SQLite (a deferred transaction).

    On PostgreSQL the connection is in autocommit: at READ COMMITTED, the default, every statement
    sees its own snapshot inside a transaction too, so ``BEGIN``/``COMMIT`` would only add two round
    trips to each read. Do not write through it.
    """
    with engine.connect() as conn, conn.begin():  # a PostgreSQL engine is in autocommit (see create_db_engine)
        yield conn


@contextmanager
def single_statement(engine: Engine) -> Iterator[Connection]:
    """A connection for one writing statement, which is atomic on its own.

    On PostgreSQL the connection is in autocommit: the statement is its own transaction, one round
    trip instead of three (``BEGIN``, the statement, ``COMMIT``). On SQLite it is a
    :func:`write_transaction` (``BEGIN IMMEDIATE``: the write lock first, waiting on the busy
    timeout). Issue exactly one writing statement through it (reads of the outcome may follow;
    on PostgreSQL they see a later snapshot).
    """
    if engine.dialect.name != "postgresql":
        with write_transaction(engine) as conn:
            yield conn
        return
    with engine.connect() as conn, conn.begin():  # in autocommit (see create_db_engine)
        yield conn


def init_schema(engine: Engine, *, marker_dir: Path | None = None) -> int:
    """Create every table that is missing and bring the schema to :data:`SCHEMA_VERSION`.

    Idempotent and safe when several processes start at once (SQLite: the write lock;
    PostgreSQL: an advisory lock, keyed by the schema). Returns the schema version now in the database.

    A store that was created before must still be there (:mod:`simulator.store.marker`): for a
    SQLite file (and for PostgreSQL when ``marker_dir`` is given) a missing, emptied or replaced
    database is refused instead of silently starting empty. The SQLite files are made 0600.

    Raises:
        SchemaVersionError: the database is newer than this code.
        StoreMissingError: a marker says a store was created here before, and it is not there.
    """
    markers = markers_for(engine, marker_dir)
    found = check_before_connect(markers)
    with write_transaction(engine) as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"SELECT pg_advisory_xact_lock(:k, {PG_LOCK_NAMESPACE})"), {"k": _PG_SCHEMA_LOCK})
        fresh = not engine.dialect.has_table(conn, schema_version.name)
        metadata.create_all(conn, checkfirst=True)
        current = conn.execute(select(schema_version.c.version).where(schema_version.c.id == 1)).scalar()
        if current is None:
            conn.execute(insert(schema_version).values(id=1, version=SCHEMA_VERSION))
        elif current > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"the database schema is version {current} but this Sparring knows only up to "
                f"{SCHEMA_VERSION}; upgrade Sparring or point SPARRING_DATABASE_URL at another database"
            )
        else:
            for version in range(current, SCHEMA_VERSION):
                MIGRATIONS[version](conn)
                conn.execute(update(schema_version).where(schema_version.c.id == 1).values(version=version + 1))
        store_id = read_store_id(conn)
        if store_id is not None or fresh:
            check_identity(markers, found, store_id, fresh)
        if store_id is None:  # a new store, or one made before stores had ids (keeps a restored backup's id)
            recorded = [i for i in (_marker_id(p) for p in found) if i]
            store_id = recorded[0] if recorded and not fresh else uuid.uuid4().hex
            created = time.time()
            conn.execute(insert(store_identity).values(id=1, store_id=store_id, created_at=created))
        else:
            created = float(
                conn.execute(select(store_identity.c.created_at).where(store_identity.c.id == 1)).scalar() or 0
            )
    write_markers(markers, store_id, created)
    secure_sqlite_files(markers.database if markers else None)
    return SCHEMA_VERSION


def _marker_id(path: Path) -> str | None:
    try:
        return str(json.loads(path.read_text(encoding="utf-8")).get("store_id") or "") or None
    except (OSError, ValueError, AttributeError):
        return None


def get_schema_version(engine: Engine) -> int | None:
    """The schema version recorded in the database, or None before :func:`init_schema`."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, schema_version.name):
            return None
        return conn.execute(select(schema_version.c.version).where(schema_version.c.id == 1)).scalar()
