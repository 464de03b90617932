"""Password hashing (argon2id via argon2-cffi), the password policy and one-time passwords.

Hashing: argon2id at OWASP's recommended minimum. The Password Storage Cheat Sheet lists five
configurations of equal defence that trade memory for passes (46 MiB x 1, 19 MiB x 2, 12 MiB x 3,
9 MiB x 4, 7 MiB x 5; one lane each); we use 7 MiB x 5, the one that costs the least CPU time
per check on the 2-core target (~25-40 ms against ~35-65 ms for 19 MiB x 2, measured on a shared
machine), so that 50 people signing in at once are all in within 2 s (``bench/bench_signin.py``,
docs/security.md). argon2-cffi's default (64 MiB x 3, 4 lanes) costs ~0.5 s a check here and
queued such a burst for 20 s. Hashes made with other parameters are re-hashed at the next
successful sign-in.

Policy (:func:`check_new_password`): at least 12 characters; not one of the 30,000 most common
passwords and not easy to guess from them (the list and estimator of the maintained ``zxcvbn``
package: the xato.net leaked-password corpus, common words and names, keyboard patterns,
sequences, repeats, dates); not containing the username.
"""

from __future__ import annotations

import functools
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from simulator.errors import SparringError

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_GUESSES_LOG10 = 8.0
"""zxcvbn's estimate must reach 10^8 guesses (its score 3, "safely unguessable" online)."""
ESTIMATE_CHARS = 100
"""zxcvbn's matching grows with length; a longer password is judged on its first 100 characters."""

ARGON2_TIME_COST = 5
ARGON2_MEMORY_KIB = 7 * 1024
ARGON2_PARALLELISM = 1
OWASP_MINIMUMS = ((46 * 1024, 1), (19 * 1024, 2), (12 * 1024, 3), (9 * 1024, 4), (7 * 1024, 5))
"""(memory KiB, passes) pairs OWASP lists as equal minimum defence (parallelism 1)."""


class PasswordRuleError(SparringError):
    """A new password breaks a rule; the message says which one."""


def default_hasher() -> PasswordHasher:
    """argon2id at OWASP's minimum: m=7 MiB, t=5, p=1 (one of its five equivalent configurations)."""
    return PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_PARALLELISM)


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
        """True when the hash was made with other parameters than the current ones."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True


@functools.cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords (zxcvbn's list from the xato.net corpus), lower-cased."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def _estimate(password: str, hints: list[str]) -> dict[str, Any]:
    from zxcvbn import zxcvbn

    result: dict[str, Any] = zxcvbn(password[:ESTIMATE_CHARS], user_inputs=hints)
    return result


def check_new_password(password: str, *, username: str = "", display_name: str = "") -> str:
    """Return ``password`` if it follows the policy, else raise :class:`PasswordRuleError`."""
    if not isinstance(password, str) or not password:
        raise PasswordRuleError("Enter a new password.")
    if len(password) < MIN_LENGTH:
        raise PasswordRuleError(f"The new password is {len(password)} characters; use at least {MIN_LENGTH}.")
    if len(password) > MAX_LENGTH:
        raise PasswordRuleError(f"The new password is longer than {MAX_LENGTH} characters.")
    if password.strip() != password:
        raise PasswordRuleError("The new password starts or ends with a space; remove it.")
    lowered = password.lower()
    name = (username or "").strip().lower()
    if name and (lowered == name or (len(name) >= 3 and name in lowered)):
        raise PasswordRuleError("The new password must not contain your username.")
    if lowered in common_passwords():
        raise PasswordRuleError("That is one of the most common passwords; choose another.")
    hints = [h for h in (name, (display_name or "").strip().lower(), "sparring") if h]
    estimate = _estimate(password, hints)
    if float(estimate["guesses_log10"]) < MIN_GUESSES_LOG10:
        warning = (estimate.get("feedback") or {}).get("warning") or "It is easy to guess."
        raise PasswordRuleError(
            f"That password is too easy to guess ({warning.rstrip('.')}). "
            "A passphrase of three or four unrelated words is strong and easy to remember."
        )
    return password


def one_time_password() -> str:
    """A random one-time password (16 URL-safe characters, ~96 bits)."""
    return secrets.token_urlsafe(12)
