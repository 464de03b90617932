"""A throw-away PostgreSQL schema: what the tests and the benchmarks run on.

    with scratch_schema(os.environ["SPARRING_TEST_DATABASE_URL"], prefix="t") as url:
        engine = create_db_engine(url)   # every table (store and checkpoints) lands in the new schema

The one helper for this (``tests/conftest.py``'s ``pg_url``, ``tests/test_store.py``,
``bench/bench_web.py``, ``bench/bench_sessions.py``, ``bench/bench_store.py``). The URL it yields
pins ``search_path`` to a new, empty schema (libpq ``options``) and names its connections after
the schema (``application_name``, so a benchmark can find its server processes); the schema and
everything in it is dropped on exit. Nothing is created in the database's ``public`` schema, so
runs do not see each other's tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url

from simulator.store.db import libpq_conninfo


@contextmanager
def scratch_schema(base_url: str, *, prefix: str = "t") -> Iterator[str]:
    """Yield ``base_url`` pinned to a fresh schema ``<prefix>_<12 hex>``; drop the schema afterwards.

    ``prefix``: a lowercase identifier start (``t`` tests, ``bench`` benchmarks) telling who left a
    schema behind after a hard kill.
    """
    import psycopg  # the optional postgres extra

    if not prefix.isidentifier() or prefix.lower() != prefix:
        raise ValueError(f"prefix must be a lowercase identifier, not {prefix!r}")
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = libpq_conninfo(base_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield (
            make_url(base_url)
            .update_query_dict({"options": f"-csearch_path={schema}", "application_name": schema})
            .render_as_string(hide_password=False)
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
