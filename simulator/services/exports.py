"""Files made for one user (team CSV exports): private, downloadable once, by their creator only.

An export is written to ``<data dir>/exports/<random>.csv`` (folder 0700, file 0600) and recorded
in the ``exports`` table with its creator and an expiry (setting ``export_ttl_s``, 10 minutes).
The web app serves it at ``/exports/<id>`` only to the signed-in creator and deletes it as it is
sent; anything not downloaded in time is deleted by :meth:`ExportService.purge_expired` (run on
every new export and every download, and at start).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, delete, insert, select

from simulator.services.access import User
from simulator.store.db import read_transaction, write_transaction
from simulator.store.schema import exports

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Download:
    """An export taken for sending: its name and bytes (the file is already deleted)."""

    filename: str
    content: bytes


class ExportService:
    """Create, hand out once, and expire private export files."""

    def __init__(
        self, engine: Engine, folder: Path, *, ttl_s: float = 600.0, clock: Callable[[], float] = time.time
    ) -> None:
        self._engine = engine
        self.folder = Path(folder)
        self.ttl_s = ttl_s
        self._clock = clock

    def create(self, owner: User, filename: str, content: str | bytes) -> str:
        """Store ``content`` for ``owner``; returns the export's id (for ``/exports/<id>``)."""
        self.purge_expired()
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.folder.chmod(0o700)
        export_id = secrets.token_urlsafe(24)
        path = self.folder / f"{export_id}.export"
        data = content.encode("utf-8") if isinstance(content, str) else content
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        now = self._clock()
        with write_transaction(self._engine) as conn:
            conn.execute(
                insert(exports).values(
                    id=export_id,
                    user_id=owner.id,
                    filename=SAFE_NAME.sub("-", filename)[:200] or "export.csv",
                    path=str(path),
                    created_at=now,
                    expires_at=now + self.ttl_s,
                )
            )
        return export_id

    def take(self, actor: User, export_id: str) -> Download | None:
        """The export's content if ``actor`` created it and it has not expired; it is deleted.

        None for an unknown, expired, already downloaded or someone else's export (the same
        answer, so ids cannot be probed). Someone else's export is left in place for its owner.
        """
        self.purge_expired()
        if not export_id or len(export_id) > 64:
            return None
        with write_transaction(self._engine) as conn:
            row = conn.execute(select(exports).where(exports.c.id == export_id)).first()
            if row is None or row._mapping["user_id"] != actor.id or actor.disabled:
                return None
            conn.execute(delete(exports).where(exports.c.id == export_id))
        path = Path(row._mapping["path"])
        try:
            content = path.read_bytes()
        except OSError:
            return None
        finally:
            with contextlib.suppress(OSError):
                path.unlink()
        return Download(row._mapping["filename"], content)

    def purge_expired(self) -> int:
        """Delete every export past its expiry (row and file); returns how many."""
        now = self._clock()
        with write_transaction(self._engine) as conn:
            rows = list(conn.execute(select(exports.c.id, exports.c.path).where(exports.c.expires_at <= now)))
            if rows:
                conn.execute(delete(exports).where(exports.c.id.in_([r.id for r in rows])))
        for row in rows:
            with contextlib.suppress(OSError):
                Path(row.path).unlink()
        return len(rows)

    def pending(self, actor: User) -> int:
        """How many exports of ``actor`` wait to be downloaded."""
        with read_transaction(self._engine) as conn:
            return len(list(conn.execute(select(exports.c.id).where(exports.c.user_id == actor.id))))
