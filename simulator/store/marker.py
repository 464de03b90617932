"""A store that was created before must still be there: marker files outside the database.

When :func:`~simulator.store.db.init_schema` creates a store it gives it a random id (table
``store_identity``) and writes that id to marker files *outside* the database:

- beside the SQLite file, in the data folder: ``.<name>.store-marker`` (survives ``rm sparring.db``);
- in the data folder's parent: ``.sparring-stores/<hash of the database path>.marker``
  (survives deleting the whole data folder; skipped when the parent is not writable);
- for PostgreSQL, when the caller passes a folder: ``<folder>/.store-marker-<hash of the URL>``.

A later start that finds a marker but no database (or an empty one, or one with another id)
refuses with :class:`StoreMissingError`, naming the paths and how to start afresh on purpose,
instead of silently creating an empty store and a new first admin.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine

from simulator.errors import SparringError

log = logging.getLogger(__name__)

PARENT_FOLDER = ".sparring-stores"


class StoreMissingError(SparringError):
    """A store created before is missing (or replaced); nothing was started."""


@dataclass(frozen=True)
class Markers:
    """Where the markers of one store live; ``database`` is the SQLite file (None for PostgreSQL)."""

    database: Path | None
    paths: tuple[Path, ...]
    label: str


def sqlite_file(engine: Engine) -> Path | None:
    """The database file of a file-backed SQLite engine, else None."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or "mode=memory" in database:
        return None
    return Path(database).expanduser().absolute()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def markers_for(engine: Engine, marker_dir: Path | None = None) -> Markers | None:
    """The marker files of ``engine``'s store, or None when it has none (in-memory SQLite, or
    PostgreSQL without ``marker_dir``)."""
    db = sqlite_file(engine)
    if db is not None:
        return Markers(
            db,
            (db.with_name(f".{db.name}.store-marker"), db.parent.parent / PARENT_FOLDER / f"{_digest(str(db))}.marker"),
            str(db),
        )
    if engine.dialect.name == "sqlite" or marker_dir is None:
        return None
    url = engine.url.render_as_string(hide_password=True)
    safe = engine.url.set(password=None).render_as_string(hide_password=False)
    return Markers(None, (Path(marker_dir) / f".store-marker-{_digest(safe)}",), url)


def _read(path: Path) -> dict[str, str] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"store_id": "?", "created_at": "?"}
    return data if isinstance(data, dict) else {"store_id": "?", "created_at": "?"}


def _how_to_start_afresh(markers: Markers, found: list[Path]) -> str:
    where = f"the database file {markers.database}" if markers.database else f"the database {markers.label}"
    return (
        f"Restore {where} from a backup, or point SPARRING_DATA_DIR / DATABASE_URL at the right store. "
        "To start afresh with an empty store on purpose (a new first admin; every account, session and "
        "scorecard of the old store is gone), delete the marker file(s) first: rm "
        + " ".join(f"'{p}'" for p in found)
    )


def check_before_connect(markers: Markers | None) -> list[Path]:
    """Refuse when a marker exists but the SQLite file does not (or is empty). Returns the markers found."""
    if markers is None:
        return []
    found = [p for p in markers.paths if p.exists()]
    db = markers.database
    if found and db is not None and (not db.exists() or db.stat().st_size == 0):
        info = _read(found[0]) or {}
        raise StoreMissingError(
            f"The store's database {db} is missing, but a store was created there before "
            f"(store {info.get('store_id', '?')}, created {info.get('created_at', '?')}; marker {found[0]}). "
            "Nothing was started and nothing was overwritten. " + _how_to_start_afresh(markers, found)
        )
    return found


def check_identity(markers: Markers | None, found: list[Path], store_id: str | None, created_now: bool) -> None:
    """After the schema exists: refuse when the markers name another store than the database holds."""
    if markers is None or not found:
        return
    for path in found:
        info = _read(path) or {}
        expected = info.get("store_id")
        if expected and expected != store_id:
            state = "is empty (it was just created)" if created_now else f"holds store {store_id}"
            raise StoreMissingError(
                f"The database {markers.label} {state}, but the marker {path} records store {expected} "
                f"(created {info.get('created_at', '?')}): the store created before is missing or was "
                "replaced. Nothing was started. " + _how_to_start_afresh(markers, found)
            )


def write_markers(markers: Markers | None, store_id: str, created_at: float) -> None:
    """Write (or refresh) every marker that is missing; a parent that cannot be written is skipped."""
    if markers is None:
        return
    body = json.dumps(
        {
            "store_id": store_id,
            "database": markers.label,
            "created_at": dt.datetime.fromtimestamp(created_at, dt.UTC).isoformat(timespec="seconds"),
        }
    )
    for path in markers.paths:
        if (_read(path) or {}).get("store_id") == store_id:
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(body + "\n")
        except OSError as exc:  # e.g. a data dir whose parent belongs to root
            log.warning("could not write the store marker %s: %s", path, exc)


def read_store_id(conn: Connection) -> str | None:
    """The store's id, or None before one was given."""
    from sqlalchemy import select

    from simulator.store.schema import store_identity

    return conn.execute(select(store_identity.c.store_id).where(store_identity.c.id == 1)).scalar()


def secure_sqlite_files(db: Path | None) -> None:
    """Make the SQLite file and its WAL/SHM companions readable by the owner only (0600)."""
    if db is None:
        return
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)
