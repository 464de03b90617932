"""Persistence: the SQL store (sessions, transcripts, accounts) and LangGraph checkpointers.

Nothing connects at import time. Typical wiring::

    engine = create_db_engine(settings.resolved_database_url)
    init_schema(engine)
    store = SessionStore(engine)
    with open_checkpointer(settings) as checkpointer:
        runner = ConversationRunner(checkpointer)   # simulator.session
"""

from simulator.store.checkpoints import memory_checkpointer, open_checkpointer
from simulator.store.db import (
    SchemaVersionError,
    create_db_engine,
    get_schema_version,
    init_schema,
    normalize_database_url,
)
from simulator.store.sessions import SessionNotFoundError, SessionRecord, SessionStore

__all__ = [
    "SchemaVersionError",
    "SessionNotFoundError",
    "SessionRecord",
    "SessionStore",
    "create_db_engine",
    "get_schema_version",
    "init_schema",
    "memory_checkpointer",
    "normalize_database_url",
    "open_checkpointer",
]
