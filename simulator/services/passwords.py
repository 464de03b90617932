"""Password hashing (argon2id via argon2-cffi), password rules and one-time passwords."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from simulator.errors import SparringError

MIN_LENGTH = 10
MAX_LENGTH = 256


class PasswordRuleError(SparringError):
    """A new password breaks a rule; the message says which one."""


def default_hasher() -> PasswordHasher:
    """argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile: 64 MiB, t=3)."""
    return PasswordHasher()


def fast_hasher() -> PasswordHasher:
    """A cheap argon2id for tests and benchmarks only (never for real accounts)."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class Passwords:
    """Hash and verify passwords; a dummy verify for unknown users keeps timing uniform."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or default_hasher()
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        """The argon2id hash of ``password``."""
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; with no hash, spends the same time and returns False."""
        try:
            return self._hasher.verify(password_hash or self._dummy, password) and password_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with weaker parameters than the current ones."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True


def check_new_password(password: str, *, username: str = "") -> str:
    """Return ``password`` if it follows the rules, else raise :class:`PasswordRuleError`."""
    if not isinstance(password, str) or not password:
        raise PasswordRuleError("Enter a new password.")
    if len(password) < MIN_LENGTH:
        raise PasswordRuleError(f"The new password is {len(password)} characters; use at least {MIN_LENGTH}.")
    if len(password) > MAX_LENGTH:
        raise PasswordRuleError(f"The new password is longer than {MAX_LENGTH} characters.")
    if password.strip() != password:
        raise PasswordRuleError("The new password starts or ends with a space; remove it.")
    if username and password.lower() == username.lower():
        raise PasswordRuleError("The new password must not be your username.")
    return password


def one_time_password() -> str:
    """A random one-time password (16 URL-safe characters, ~96 bits)."""
    return secrets.token_urlsafe(12)
