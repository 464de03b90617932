"""Slowing down password guessing without locking anyone out, from the ``sign_in_attempts`` table.

Every attempt is recorded with the username as typed (lower-cased; unknown names too, so the
table does not reveal which names exist) and the client IP. Two exponential backoffs apply, each
counted only over attempts whose password was actually checked (an attempt refused during a
backoff neither counts nor extends it, so an attacker cannot keep an account shut):

- per username: after :data:`USER_FREE_FAILURES` wrong passwords since the last success (within
  :data:`WINDOW_S`), the next check waits 1 s, 2 s, 4 s, ... up to ``user_max_wait_s`` (30 s) after
  the last wrong one. An IP that signed in to that account before (within :data:`KNOWN_IP_S`) is
  exempt: the owner at their usual machine is never held up by someone guessing elsewhere;
- per IP: after :data:`IP_FREE_FAILURES` wrong passwords from one IP within :data:`WINDOW_S`, for
  any usernames, its next check waits 1 s, 2 s, ... up to ``ip_max_wait_s`` (5 min).

So the right password from a fresh IP waits at most ``user_max_wait_s``; there is no lockout to
unlock. The web sign-in also sleeps :meth:`LoginGuard.pause` before answering a failure.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, func, insert, select

from simulator.store.db import read_transaction, write_transaction
from simulator.store.schema import sign_in_attempts

FREE_FAILURES = 5
USER_FREE_FAILURES = FREE_FAILURES
IP_FREE_FAILURES = 20
WINDOW_S = 15 * 60.0
KNOWN_IP_S = 30 * 24 * 3600.0
KEEP_S = KNOWN_IP_S
PRUNE_EVERY_S = 600.0


@dataclass(frozen=True)
class Throttle:
    """Recent wrong passwords and how long until a password is checked again (0 = now)."""

    failures: int
    wait_s: float
    by: str = ""
    """What is being slowed down: "user", "ip" or "" (nothing)."""

    @property
    def blocked(self) -> bool:
        return self.wait_s > 0


def _backoff(failures: int, free: int, cap: float) -> float:
    return 0.0 if failures < free else min(cap, 2.0 ** (failures - free))


class LoginGuard:
    """Records attempts and decides whether a username or an IP is being slowed down."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], float] = time.time,
        user_max_wait_s: float = 30.0,
        ip_max_wait_s: float = 300.0,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self.user_max_wait_s = user_max_wait_s
        self.ip_max_wait_s = ip_max_wait_s
        self._pruned_at = float("-inf")

    def status(self, username: str, ip: str = "") -> Throttle:
        """The backoff in force for ``username`` signing in from ``ip`` (the longer of the two)."""
        now = self._clock()
        name = (username or "").lower()[:128]
        checked = sign_in_attempts.c.checked.is_(True)
        with read_transaction(self._engine) as conn:
            rows = list(
                conn.execute(
                    select(sign_in_attempts.c.at, sign_in_attempts.c.ok)
                    .where(sign_in_attempts.c.username == name, sign_in_attempts.c.at >= now - WINDOW_S, checked)
                    .order_by(sign_in_attempts.c.at.desc())
                    .limit(200)
                )
            )
            ip_failures, ip_last = 0, None
            if ip:
                ip_failures, ip_last = conn.execute(
                    select(func.count(), func.max(sign_in_attempts.c.at)).where(
                        sign_in_attempts.c.ip == ip,
                        sign_in_attempts.c.at >= now - WINDOW_S,
                        sign_in_attempts.c.ok.is_(False),
                        checked,
                    )
                ).one()
            failures, last_failure = 0, None
            for at, ok in rows:
                if ok:
                    break
                failures += 1
                last_failure = at if last_failure is None else last_failure
            user_wait = 0.0
            if last_failure is not None:
                user_wait = max(0.0, last_failure + _backoff(failures, USER_FREE_FAILURES, self.user_max_wait_s) - now)
            if user_wait > 0 and ip and self._known_ip(conn, name, ip, now):
                user_wait = 0.0
        ip_wait = 0.0
        if ip_last is not None:
            ip_wait = max(0.0, float(ip_last) + _backoff(int(ip_failures), IP_FREE_FAILURES, self.ip_max_wait_s) - now)
        if ip_wait > user_wait:
            return Throttle(failures, ip_wait, "ip")
        return Throttle(failures, user_wait, "user" if user_wait > 0 else "")

    @staticmethod
    def _known_ip(conn: Connection, name: str, ip: str, now: float) -> bool:
        """Did ``ip`` sign in to ``name`` successfully within :data:`KNOWN_IP_S`?"""
        return (
            conn.execute(
                select(sign_in_attempts.c.id)
                .where(
                    sign_in_attempts.c.username == name,
                    sign_in_attempts.c.ip == ip,
                    sign_in_attempts.c.ok.is_(True),
                    sign_in_attempts.c.at >= now - KNOWN_IP_S,
                )
                .limit(1)
            ).first()
            is not None
        )

    def record(self, username: str, ok: bool, *, ip: str = "", checked: bool = True) -> None:
        """Store one attempt (``checked``: the password was compared); rows older than
        :data:`KEEP_S` are pruned after a success, at most every :data:`PRUNE_EVERY_S`."""
        now = self._clock()
        with write_transaction(self._engine) as conn:
            conn.execute(
                insert(sign_in_attempts).values(
                    username=(username or "").lower()[:128], ip=(ip or "")[:64], at=now, ok=ok, checked=checked
                )
            )
            if ok and not (0 <= now - self._pruned_at < PRUNE_EVERY_S):
                self._pruned_at = now
                conn.execute(delete(sign_in_attempts).where(sign_in_attempts.c.at < now - KEEP_S))

    @staticmethod
    def pause(failures: int) -> float:
        """Seconds the sign-in page waits before answering a failure (grows with failures, ≤ 3 s)."""
        return min(3.0, 0.25 * max(1, failures))
