"""Who may talk in a session: the one rule for typed, spoken, API and terminal messages.

* A signed-in user (any object with ``id`` and ``disabled``, e.g. :class:`~simulator.services.access.User`)
  may start calls and talk only in sessions they own, and not at all while their account is disabled.
* ``None`` is the operator at the terminal (``sparring practice``/``resume``, self-play, benches), who
  already has the database: any session.

Reading a session (transcripts, scorecards) has a wider rule: managers read their teams' sessions;
that rule is in :mod:`simulator.services.practice_access`. A session another user owns and one that
does not exist are refused with the same message, so ids cannot be probed.
"""

from __future__ import annotations

from typing import Protocol

from simulator.errors import PermissionDeniedError


class Actor(Protocol):
    """A signed-in person as the conversation service needs them."""

    @property
    def id(self) -> str: ...

    @property
    def disabled(self) -> bool: ...


def refused(session_id: str) -> PermissionDeniedError:
    """The one answer for a session that is missing or not the actor's."""
    shown = session_id if len(session_id) <= 40 else session_id[:40] + "…"
    return PermissionDeniedError(f"There is no practice session {shown!r} that you can open.")


def talking_owner(actor: Actor | None) -> str | None:
    """The user whose sessions ``actor`` may talk in (None: any session, the terminal operator).

    Raises:
        PermissionDeniedError: the account is disabled.
    """
    if actor is None:
        return None
    if actor.disabled:
        raise PermissionDeniedError("This account is disabled.")
    return actor.id


def may_read(actor: Actor | None, owner_id: str | None) -> bool:
    """May ``actor`` read a session owned by ``owner_id`` through the conversation service itself?"""
    return actor is None or (not actor.disabled and owner_id == actor.id)
