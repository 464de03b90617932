"""Signed-in browser sessions: random tokens in a cookie, only their SHA-256 in the store.

A session ends when it has been idle for ``idle_s``, ``absolute_s`` after the sign-in, when the
user signs out (this browser or everywhere), and whenever the account's password or role changes
or it is disabled (:class:`~simulator.services.accounts.AccountService` revokes them all).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, insert, or_, select, update

from simulator.services.access import User, user_from_row
from simulator.store.db import read_transaction, write_transaction
from simulator.store.schema import auth_sessions, user_security, users

TOUCH_EVERY_S = 30.0
"""``last_seen_at`` is written at most this often per session (reads stay read-only)."""


def token_id(token: str) -> str:
    """What the store keeps of a token: its SHA-256 (a leaked table signs nobody in)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class WebSession:
    """A live session and its user."""

    id: str
    user: User
    created_at: float
    last_seen_at: float
    must_change_password: bool = False
    """The user still holds a one-time password (then only the password page is open)."""


class WebSessions:
    """Create, resolve and revoke sessions. Thread-safe (one connection per call)."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], float] = time.time,
        idle_s: float = 2 * 3600.0,
        absolute_s: float = 12 * 3600.0,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self.idle_s = idle_s
        self.absolute_s = absolute_s

    def create(self, user_id: str, *, ip: str = "", user_agent: str = "") -> str:
        """A new session for ``user_id``; returns the token for the cookie (shown nowhere else)."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with write_transaction(self._engine) as conn:
            conn.execute(
                insert(auth_sessions).values(
                    id=token_id(token),
                    user_id=user_id,
                    created_at=now,
                    last_seen_at=now,
                    ip=(ip or "")[:64],
                    user_agent=(user_agent or "")[:256],
                )
            )
        return token

    def resolve(self, token: str | None) -> WebSession | None:
        """The live session behind ``token`` (its idle clock restarted), or None.

        None when the token is unknown, idle too long, past its absolute limit, or its account is
        gone or disabled; an expired row is deleted.
        """
        if not token or len(token) > 128:
            return None
        sid = token_id(token)
        now = self._clock()
        with read_transaction(self._engine) as conn:
            row = conn.execute(
                select(
                    auth_sessions.c.created_at.label("session_created"),
                    auth_sessions.c.last_seen_at.label("session_seen"),
                    user_security.c.must_change_password,
                    users,
                )
                .join(users, users.c.id == auth_sessions.c.user_id)
                .outerjoin(user_security, user_security.c.user_id == auth_sessions.c.user_id)
                .where(auth_sessions.c.id == sid)
            ).first()
        if row is None:
            return None
        created, seen = float(row._mapping["session_created"]), float(row._mapping["session_seen"])
        user = user_from_row(row)
        if user.disabled or now - seen > self.idle_s or now - created > self.absolute_s:
            self.revoke(token)
            return None
        if now - seen >= TOUCH_EVERY_S:
            with write_transaction(self._engine) as conn:
                conn.execute(update(auth_sessions).where(auth_sessions.c.id == sid).values(last_seen_at=now))
            seen = now
        return WebSession(sid, user, created, seen, bool(row._mapping["must_change_password"]))

    def revoke(self, token: str) -> None:
        """End one session (signing out of this browser)."""
        with write_transaction(self._engine) as conn:
            conn.execute(delete(auth_sessions).where(auth_sessions.c.id == token_id(token)))

    def revoke_user(self, user_id: str) -> int:
        """End every session of ``user_id``; returns how many there were."""
        with write_transaction(self._engine) as conn:
            return int(conn.execute(delete(auth_sessions).where(auth_sessions.c.user_id == user_id)).rowcount or 0)

    def count(self, user_id: str) -> int:
        """How many live (not yet expired) sessions ``user_id`` has."""
        now = self._clock()
        with read_transaction(self._engine) as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(auth_sessions)
                    .where(
                        auth_sessions.c.user_id == user_id,
                        auth_sessions.c.last_seen_at >= now - self.idle_s,
                        auth_sessions.c.created_at >= now - self.absolute_s,
                    )
                ).scalar()
                or 0
            )

    def purge_expired(self) -> int:
        """Delete every expired session; returns how many."""
        now = self._clock()
        with write_transaction(self._engine) as conn:
            return int(
                conn.execute(
                    delete(auth_sessions).where(
                        or_(
                            auth_sessions.c.last_seen_at < now - self.idle_s,
                            auth_sessions.c.created_at < now - self.absolute_s,
                        )
                    )
                ).rowcount
                or 0
            )
