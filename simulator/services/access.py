"""Who is asking: the signed-in :class:`User` and the role checks every service applies.

Authorization lives in the services, never only in the UI: each service method takes the acting
user and refuses with :class:`~simulator.errors.PermissionDeniedError` what the role does not allow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Row

from simulator.errors import PermissionDeniedError

Role = Literal["rep", "manager", "admin"]
ROLES: tuple[Role, ...] = ("rep", "manager", "admin")


@dataclass(frozen=True, slots=True)
class User:
    """An account as the services see it (never carries the password hash)."""

    id: str
    username: str
    display_name: str
    role: Role
    disabled: bool = False
    created_at: float = 0.0

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_manager(self) -> bool:
        """Managers and admins (admins can do everything a manager can, for every team)."""
        return self.role in ("manager", "admin")

    @property
    def label(self) -> str:
        """The display name, or the username when none is set."""
        return self.display_name or self.username


def user_from_row(row: Row[Any]) -> User:
    """Build a :class:`User` from a ``users`` row."""
    m = row._mapping
    return User(
        id=m["id"],
        username=m["username"],
        display_name=m["display_name"] or "",
        role=m["role"],
        disabled=bool(m["disabled"]),
        created_at=float(m["created_at"]),
    )


def require_role(actor: User, *roles: Role) -> None:
    """Refuse unless ``actor`` has one of ``roles``.

    Raises:
        PermissionDeniedError: the actor's role is not allowed.
    """
    if actor.disabled or actor.role not in roles:
        allowed = " or ".join(roles)
        raise PermissionDeniedError(f"this needs the {allowed} role; you are signed in as a {actor.role}")


def require_admin(actor: User) -> None:
    """Refuse unless ``actor`` is an admin."""
    require_role(actor, "admin")


def require_manager(actor: User) -> None:
    """Refuse unless ``actor`` is a manager or an admin."""
    require_role(actor, "manager", "admin")
