"""Accounts: create users, sign in (hashed passwords, throttled), change and reset passwords.

The first start on an empty store creates ``admin`` with a one-time password
(:meth:`AccountService.ensure_first_admin`); every one-time password must be changed at the
first sign-in (``user_security.must_change_password``) and stops working after
``SignInPolicy.otp_ttl_s`` (table ``one_time_passwords``). Every change of password, role or
enabled state ends the account's signed-in sessions (:class:`WebSessions`).
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
from sqlalchemy import delete as sql_delete

from simulator.errors import PermissionDeniedError, SparringError
from simulator.services.access import ROLES, Role, User, require_admin, user_from_row
from simulator.services.login_guard import LoginGuard, Throttle
from simulator.services.passwords import Passwords, check_new_password, one_time_password
from simulator.services.web_sessions import WebSessions
from simulator.store.db import read_transaction, write_transaction
from simulator.store.schema import one_time_passwords, user_security, users

NO_THROTTLE = Throttle(0, 0.0)
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MAX_DISPLAY_NAME = 120
FIRST_ADMIN = "admin"
FIRST_PASSWORD_FILE = "first-admin-password.txt"


class AccountError(SparringError):
    """A bad account request (taken name, bad role, ...). The message says how to fix it."""


@dataclass(frozen=True)
class SignInPolicy:
    """Lifetimes and backoff limits (from :class:`~simulator.config.Settings`)."""

    otp_ttl_s: float = 24 * 3600.0
    session_idle_s: float = 2 * 3600.0
    session_absolute_s: float = 12 * 3600.0
    user_max_wait_s: float = 30.0
    ip_max_wait_s: float = 300.0

    @classmethod
    def from_settings(cls, settings: object) -> SignInPolicy:
        return cls(
            otp_ttl_s=float(getattr(settings, "otp_ttl_s", cls.otp_ttl_s)),
            session_idle_s=float(getattr(settings, "session_idle_s", cls.session_idle_s)),
            session_absolute_s=float(getattr(settings, "session_absolute_s", cls.session_absolute_s)),
            user_max_wait_s=float(getattr(settings, "signin_user_max_wait_s", cls.user_max_wait_s)),
            ip_max_wait_s=float(getattr(settings, "signin_ip_max_wait_s", cls.ip_max_wait_s)),
        )


@dataclass(frozen=True)
class SignInResult:
    """The answer to one sign-in attempt. ``status``: ok | invalid | throttled | expired."""

    status: str
    user: User | None = None
    throttle: Throttle = NO_THROTTLE
    must_change_password: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.user is not None


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
        self,
        engine: Engine,
        *,
        passwords: Passwords | None = None,
        clock: Callable[[], float] = time.time,
        policy: SignInPolicy | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self.policy = policy or SignInPolicy()
        self.passwords = passwords or Passwords()
        self.guard = LoginGuard(
            engine, clock=clock, user_max_wait_s=self.policy.user_max_wait_s, ip_max_wait_s=self.policy.ip_max_wait_s
        )
        self.web_sessions = WebSessions(
            engine, clock=clock, idle_s=self.policy.session_idle_s, absolute_s=self.policy.session_absolute_s
        )

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

    def otp_expired(self, user_id: str) -> bool:
        """True when the user must change a one-time password that no longer works."""
        return self._otp_state(user_id)[1]

    def _otp_state(self, user_id: str) -> tuple[bool, bool]:
        """(must change the password, and the one-time password has expired), in one query."""
        with read_transaction(self._engine) as conn:
            row = conn.execute(
                select(user_security.c.must_change_password, one_time_passwords.c.expires_at)
                .select_from(
                    user_security.outerjoin(one_time_passwords, one_time_passwords.c.user_id == user_security.c.user_id)
                )
                .where(user_security.c.user_id == user_id)
            ).first()
        if row is None or not row[0]:
            return False, False
        return True, row[1] is None or float(row[1]) <= self._clock()

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
            check_new_password(password, username=name, display_name=display)
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
            if otp is not None:
                conn.execute(
                    insert(one_time_passwords).values(
                        user_id=user.id, issued_at=now, expires_at=now + self.policy.otp_ttl_s
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
            return self._renew_first_admin(data_dir)
        for n in range(1, 100):
            name = FIRST_ADMIN if n == 1 else f"{FIRST_ADMIN}-{n}"
            if self.by_username(name) is None:
                break
        try:
            user, otp = self.create_user(name, role="admin", display_name="Administrator")
        except AccountError:  # another process created it first
            return None
        assert otp is not None
        return FirstStart(user.username, otp, _write_first_password(data_dir, user.username, otp))

    def _renew_first_admin(self, data_dir: Path) -> FirstStart | None:
        """The first admin never chose a password and the one-time one expired: issue a new one.

        Only while ``first-admin-password.txt`` (readable only by the machine's owner) still names
        that admin and no enabled admin has a password of their own.
        """
        path = data_dir / FIRST_PASSWORD_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            return None
        first = text.split("\n", 1)[0].removeprefix("username: ").strip()
        user = self.by_username(first) if first else None
        if user is None or not user.is_admin or user.disabled or not self.otp_expired(user.id):
            return None
        with read_transaction(self._engine) as conn:
            chosen = conn.execute(
                select(func.count())
                .select_from(users.join(user_security, user_security.c.user_id == users.c.id))
                .where(
                    users.c.role == "admin",
                    users.c.disabled.is_(False),
                    user_security.c.must_change_password.is_(False),
                )
            ).scalar()
        if chosen:
            return None
        otp = self.reset_password(None, user.username)
        return FirstStart(user.username, otp, _write_first_password(data_dir, user.username, otp))

    # ------------------------------------------------------------------ sign-in

    def check_credentials(self, username: str, password: str, *, ip: str = "") -> SignInResult:
        """Check a sign-in (throttled per username and per IP; see :mod:`login_guard`).

        While a backoff is in force the password is not checked at all. Disabled accounts never
        sign in; an expired one-time password is refused (status ``expired``, said only to someone
        who typed it right). Never says which part was wrong.
        """
        typed = (username or "").strip().lower()[:128]
        if not typed or not isinstance(password, str) or len(password) > 1024:
            return SignInResult("invalid")
        throttle = self.guard.status(typed, ip)
        if throttle.blocked:
            self.guard.record(typed, ok=False, ip=ip, checked=False)
            return SignInResult("throttled", throttle=throttle)
        with read_transaction(self._engine) as conn:
            row = conn.execute(select(users).where(users.c.username == typed)).first()
        digest = row._mapping["password_hash"] if row is not None else None
        ok = self.passwords.verify(digest, password) and row is not None and not row._mapping["disabled"]
        must_change, expired = self._otp_state(row._mapping["id"]) if ok and row is not None else (False, False)
        if expired:
            self.guard.record(typed, ok=False, ip=ip)
            return SignInResult("expired", throttle=self.guard.status(typed, ip))
        self.guard.record(typed, ok=ok, ip=ip)
        if not ok or row is None:
            return SignInResult("invalid", throttle=self.guard.status(typed, ip))
        if digest and self.passwords.needs_rehash(digest):
            self._set_hash(row._mapping["id"], self.passwords.hash(password), must_change=None)
        return SignInResult("ok", user_from_row(row), must_change_password=must_change)

    def authenticate(self, username: str, password: str, *, ip: str = "") -> User | None:
        """The user when the credentials are right (and allowed now), else None."""
        return self.check_credentials(username, password, ip=ip).user

    def change_password(self, actor: User, current: str, new: str, *, data_dir: Path | None = None) -> None:
        """Change the actor's own password (the current one is required)."""
        with read_transaction(self._engine) as conn:
            digest = conn.execute(select(users.c.password_hash).where(users.c.id == actor.id)).scalar()
        if not self.passwords.verify(digest, current or ""):
            raise AccountError("The current password is not right.")
        if self.otp_expired(actor.id):
            raise AccountError("Your one-time password has expired; ask an admin for a new one.")
        check_new_password(new, username=actor.username, display_name=actor.display_name)
        if new == current:
            raise AccountError("The new password must differ from the current one.")
        self._set_hash(actor.id, self.passwords.hash(new), must_change=False)
        self.web_sessions.revoke_user(actor.id)
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
        self.web_sessions.revoke_user(user.id)
        return otp

    def set_role(self, actor: User, user_id: str, role: Role) -> None:
        """Change a user's role (admins; an admin cannot demote themselves)."""
        require_admin(actor)
        if role not in ROLES:
            raise AccountError(f"Unknown role {role!r}; choose rep, manager or admin.")
        if user_id == actor.id and role != "admin":
            raise PermissionDeniedError("You cannot remove your own admin role; ask another admin.")
        self._update_user(user_id, role=role)
        self.web_sessions.revoke_user(user_id)

    def set_disabled(self, actor: User, user_id: str, disabled: bool) -> None:
        """Disable or re-enable an account (admins; never your own)."""
        require_admin(actor)
        if user_id == actor.id:
            raise PermissionDeniedError("You cannot disable your own account.")
        self._update_user(user_id, disabled=disabled)
        self.web_sessions.revoke_user(user_id)

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
            conn.execute(sql_delete(one_time_passwords).where(one_time_passwords.c.user_id == user_id))
            if must_change:
                conn.execute(
                    insert(one_time_passwords).values(
                        user_id=user_id, issued_at=now, expires_at=now + self.policy.otp_ttl_s
                    )
                )


def _write_first_password(data_dir: Path, username: str, otp: str) -> Path:
    """Write the first admin's one-time password to ``data_dir`` (mode 0600); returns the path."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / FIRST_PASSWORD_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(
            f"username: {username}\none-time password: {otp}\n"
            "Sign in and choose a new password; this file is deleted when you do.\n"
        )
    os.chmod(path, 0o600)
    return path


def _remove_first_password(path: Path, username: str) -> None:
    """Delete the first-admin password file once that admin has chosen a password."""
    try:
        if path.exists() and f"username: {username}\n" in path.read_text(encoding="utf-8"):
            path.unlink()
    except OSError:
        pass
