"""Accounts: create users, sign in (hashed passwords, throttled), change and reset passwords.

The first start on an empty store creates ``admin`` with a one-time password
(:meth:`AccountService.ensure_first_admin`); every one-time password must be changed at the
first sign-in (``user_security.must_change_password``).
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, insert, select, update

from simulator.errors import PermissionDeniedError, SparringError
from simulator.services.access import ROLES, Role, User, require_admin, user_from_row
from simulator.services.login_guard import LoginGuard
from simulator.services.passwords import Passwords, check_new_password, one_time_password
from simulator.store.db import read_transaction, write_transaction
from simulator.store.schema import user_security, users

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MAX_DISPLAY_NAME = 120
FIRST_ADMIN = "admin"
FIRST_PASSWORD_FILE = "first-admin-password.txt"


class AccountError(SparringError):
    """A bad account request (taken name, bad role, ...). The message says how to fix it."""


@dataclass(frozen=True)
class FirstStart:
    """The admin created on an empty store, its one-time password and where it was written."""

    username: str
    password: str
    path: Path


def normalise_username(username: str) -> str:
    """Lower-case, trimmed; raises AccountError when it is not a valid username."""
    name = (username or "").strip().lower()
    if not USERNAME_RE.match(name):
        raise AccountError(
            "A username is 2-64 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return name


class AccountService:
    """Users and passwords in the store. Thread-safe (one connection per call)."""

    def __init__(
        self, engine: Engine, *, passwords: Passwords | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self._engine = engine
        self._clock = clock
        self.passwords = passwords or Passwords()
        self.guard = LoginGuard(engine, clock=clock)

    # ------------------------------------------------------------------ lookup

    def get(self, user_id: str) -> User | None:
        """The user with this id, or None."""
        with read_transaction(self._engine) as conn:
            row = conn.execute(select(users).where(users.c.id == user_id)).first()
        return user_from_row(row) if row is not None else None

    def by_username(self, username: str) -> User | None:
        """The user with this username (case-insensitive), or None."""
        with read_transaction(self._engine) as conn:
            row = conn.execute(select(users).where(users.c.username == (username or "").strip().lower())).first()
        return user_from_row(row) if row is not None else None

    def count(self) -> int:
        """How many accounts exist."""
        with read_transaction(self._engine) as conn:
            return int(conn.execute(select(func.count()).select_from(users)).scalar() or 0)

    def list_users(self, actor: User | None) -> list[User]:
        """Every account, by username (admins; None = command line)."""
        if actor is not None:
            require_admin(actor)
        with read_transaction(self._engine) as conn:
            return [user_from_row(r) for r in conn.execute(select(users).order_by(users.c.username))]

    def must_change_password(self, user_id: str) -> bool:
        """True while the user still has a one-time password."""
        with read_transaction(self._engine) as conn:
            flag = conn.execute(
                select(user_security.c.must_change_password).where(user_security.c.user_id == user_id)
            ).scalar()
        return bool(flag)

    # ------------------------------------------------------------------ create

    def create_user(
        self,
        username: str,
        *,
        role: str = "rep",
        password: str | None = None,
        display_name: str = "",
        actor: User | None = None,
    ) -> tuple[User, str | None]:
        """Create an account; returns it and the one-time password when none was given.

        ``actor`` must be an admin (None only for the command line and the first start).
        """
        if actor is not None:
            require_admin(actor)
        name = normalise_username(username)
        if role not in ROLES:
            raise AccountError(f"Unknown role {role!r}; choose rep, manager or admin.")
        display = (display_name or "").strip()
        if len(display) > MAX_DISPLAY_NAME:
            raise AccountError(f"The display name is longer than {MAX_DISPLAY_NAME} characters.")
        otp = None
        if password is None:
            otp = password = one_time_password()
        else:
            check_new_password(password, username=name)
        now = self._clock()
        user = User(
            id=uuid.uuid4().hex,
            username=name,
            display_name=display,
            role=role,
            created_at=now,
        )
        digest = self.passwords.hash(password)
        with write_transaction(self._engine) as conn:
            if conn.execute(select(users.c.id).where(users.c.username == name)).first() is not None:
                raise AccountError(f"The username {name!r} is taken; choose another.")
            conn.execute(
                insert(users).values(
                    id=user.id,
                    username=name,
                    display_name=display,
                    password_hash=digest,
                    role=role,
                    created_at=now,
                    disabled=False,
                )
            )
            conn.execute(
                insert(user_security).values(
                    user_id=user.id,
                    must_change_password=otp is not None,
                    password_changed_at=None if otp else now,
                )
            )
        return user, otp

    def ensure_first_admin(self, data_dir: Path) -> FirstStart | None:
        """With no enabled admin (e.g. an empty store), create one with a one-time password.

        The username is ``admin`` (``admin-2``, ... when taken). The password is returned and also
        written to ``data_dir/first-admin-password.txt`` (mode 0600); it must be changed at the first
        sign-in, which deletes the file. Returns None when an enabled admin already exists.
        """
        with read_transaction(self._engine) as conn:
            admins = conn.execute(
                select(func.count()).select_from(users).where(users.c.role == "admin", users.c.disabled.is_(False))
            ).scalar()
        if admins:
            return None
        for n in range(1, 100):
            name = FIRST_ADMIN if n == 1 else f"{FIRST_ADMIN}-{n}"
            if self.by_username(name) is None:
                break
        try:
            user, otp = self.create_user(name, role="admin", display_name="Administrator")
        except AccountError:  # another process created it first
            return None
        assert otp is not None
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / FIRST_PASSWORD_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(
                f"username: {user.username}\none-time password: {otp}\n"
                "Sign in and choose a new password; this file is deleted when you do.\n"
            )
        os.chmod(path, 0o600)
        return FirstStart(user.username, otp, path)

    # ------------------------------------------------------------------ sign-in

    def authenticate(self, username: str, password: str) -> User | None:
        """The user when the credentials are right, else None (never says which part was wrong).

        Throttled after repeated failures (see :mod:`simulator.services.login_guard`): while
        throttled, the password is not checked at all. Disabled accounts never sign in.
        """
        typed = (username or "").strip().lower()[:128]
        if not typed or not isinstance(password, str) or len(password) > 1024:
            return None
        if self.guard.status(typed).blocked:
            self.guard.record(typed, ok=False)
            return None
        with read_transaction(self._engine) as conn:
            row = conn.execute(select(users).where(users.c.username == typed)).first()
        digest = row._mapping["password_hash"] if row is not None else None
        ok = self.passwords.verify(digest, password) and row is not None and not row._mapping["disabled"]
        self.guard.record(typed, ok=ok)
        if not ok or row is None:
            return None
        if digest and self.passwords.needs_rehash(digest):
            self._set_hash(row._mapping["id"], self.passwords.hash(password), must_change=None)
        return user_from_row(row)

    def change_password(self, actor: User, current: str, new: str, *, data_dir: Path | None = None) -> None:
        """Change the actor's own password (the current one is required)."""
        with read_transaction(self._engine) as conn:
            digest = conn.execute(select(users.c.password_hash).where(users.c.id == actor.id)).scalar()
        if not self.passwords.verify(digest, current or ""):
            raise AccountError("The current password is not right.")
        check_new_password(new, username=actor.username)
        if new == current:
            raise AccountError("The new password must differ from the current one.")
        self._set_hash(actor.id, self.passwords.hash(new), must_change=False)
        if data_dir is not None and actor.role == "admin":
            _remove_first_password(data_dir / FIRST_PASSWORD_FILE, actor.username)

    def reset_password(self, actor: User | None, username: str) -> str:
        """Give the user a new one-time password (admins; None = command line). Returns it."""
        if actor is not None:
            require_admin(actor)
        user = self.by_username(username)
        if user is None:
            raise AccountError(f"There is no user {username!r}.")
        otp = one_time_password()
        self._set_hash(user.id, self.passwords.hash(otp), must_change=True)
        return otp

    def set_role(self, actor: User, user_id: str, role: Role) -> None:
        """Change a user's role (admins; an admin cannot demote themselves)."""
        require_admin(actor)
        if role not in ROLES:
            raise AccountError(f"Unknown role {role!r}; choose rep, manager or admin.")
        if user_id == actor.id and role != "admin":
            raise PermissionDeniedError("You cannot remove your own admin role; ask another admin.")
        self._update_user(user_id, role=role)

    def set_disabled(self, actor: User, user_id: str, disabled: bool) -> None:
        """Disable or re-enable an account (admins; never your own)."""
        require_admin(actor)
        if user_id == actor.id:
            raise PermissionDeniedError("You cannot disable your own account.")
        self._update_user(user_id, disabled=disabled)

    # ------------------------------------------------------------------ helpers

    def _update_user(self, user_id: str, **values: object) -> None:
        with write_transaction(self._engine) as conn:
            if conn.execute(update(users).where(users.c.id == user_id).values(**values)).rowcount == 0:
                raise AccountError("There is no such user.")

    def _set_hash(self, user_id: str, digest: str, *, must_change: bool | None) -> None:
        now = self._clock()
        with write_transaction(self._engine) as conn:
            conn.execute(update(users).where(users.c.id == user_id).values(password_hash=digest))
            if must_change is None:
                return
            exists = (
                conn.execute(select(user_security.c.user_id).where(user_security.c.user_id == user_id)).first()
                is not None
            )
            values = {
                "must_change_password": must_change,
                "password_changed_at": None if must_change else now,
            }
            if exists:
                conn.execute(update(user_security).where(user_security.c.user_id == user_id).values(**values))
            else:
                conn.execute(insert(user_security).values(user_id=user_id, **values))


def _remove_first_password(path: Path, username: str) -> None:
    """Delete the first-admin password file once that admin has chosen a password."""
    try:
        if path.exists() and f"username: {username}\n" in path.read_text(encoding="utf-8"):
            path.unlink()
    except OSError:
        pass
