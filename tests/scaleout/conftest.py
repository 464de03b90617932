"""Two real app processes on one PostgreSQL schema (docs/scale-out.md): started as an operator would.

Process ``A`` is ``python app.py``, process ``B`` is ``sparring serve``; each has its own data dir and
Gradio temp dir (as on two machines), both use ``SPARRING_DATABASE_URL`` = the test's schema and the
``template`` voice (no model). They are started at the same moment on a store that has no admin yet,
as replicas started together by systemd or a container orchestrator would be.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scaleout_support import REPO, START_TIMEOUT_S, AppProcess, sparring_command, start_app


def lock_waits(pg_url: str) -> str:
    """What the database's sessions wait for, and who holds advisory locks (why a start may hang)."""
    import psycopg

    from simulator.store.db import libpq_conninfo

    query = """SELECT a.pid, a.state, a.wait_event_type, a.wait_event, l.locktype, l.objid, l.granted,
                      left(a.query, 100) FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid
               WHERE a.datname = current_database() AND (a.wait_event_type = 'Lock' OR l.locktype = 'advisory')"""
    try:
        with psycopg.connect(libpq_conninfo(pg_url), autocommit=True, connect_timeout=5) as conn:
            return "locks:\n" + "\n".join(str(row) for row in conn.execute(query))
    except Exception as exc:
        return f"locks: could not look ({exc})"


@pytest.fixture
def two_apps(pg_url: str, tmp_path: Path) -> Iterator[list[AppProcess]]:
    """Processes A (``python app.py``) and B (``sparring serve``) on the test's PostgreSQL schema."""
    apps = [
        start_app("A", [sys.executable, str(REPO / "app.py")], pg_url, tmp_path),
        start_app("B", [*sparring_command(), "serve"], pg_url, tmp_path),
    ]
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        try:
            for app in apps:
                app.wait_ready(deadline)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{lock_waits(pg_url)}") from None
        yield apps
    finally:
        for app in apps:
            app.stop()
