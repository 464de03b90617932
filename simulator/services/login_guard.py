"""Slowing down password guessing, from the ``login_attempts`` table.

Every sign-in attempt is recorded (username as typed, lower-cased; unknown names too, so the
table does not reveal which names exist). After :data:`FREE_FAILURES` failures for a username
within :data:`WINDOW_S` (counted since its last success), the next attempt is refused without
checking the password until a wait has passed: 1 s, then 2 s, 4 s, … capped at :data:`MAX_WAIT_S`.
The web sign-in also sleeps :meth:`LoginGuard.pause` before answering a failure.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select

from simulator.store.db import read_transaction, write_transaction
from simulator.store.schema import login_attempts

FREE_FAILURES = 5
WINDOW_S = 15 * 60.0
MAX_WAIT_S = 60.0
KEEP_S = 7 * 24 * 3600.0


@dataclass(frozen=True)
class Throttle:
    """How many recent failures a username has and how long until the next check."""

    failures: int
    wait_s: float

    @property
    def blocked(self) -> bool:
        return self.wait_s > 0


class LoginGuard:
    """Records attempts and decides whether a username is being throttled."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._clock = clock

    def status(self, username: str) -> Throttle:
        """Recent failures of ``username`` and the seconds left before a password is checked again."""
        now = self._clock()
        query = (
            select(login_attempts.c.at, login_attempts.c.ok)
            .where(login_attempts.c.username == username.lower(), login_attempts.c.at >= now - WINDOW_S)
            .order_by(login_attempts.c.at.desc())
            .limit(200)
        )
        with read_transaction(self._engine) as conn:
            rows = list(conn.execute(query))
        failures, last_failure = 0, None
        for at, ok in rows:
            if ok:
                break
            failures += 1
            last_failure = at if last_failure is None else last_failure
        if failures < FREE_FAILURES or last_failure is None:
            return Throttle(failures, 0.0)
        wait = min(MAX_WAIT_S, 2.0 ** (failures - FREE_FAILURES))
        return Throttle(failures, max(0.0, last_failure + wait - now))

    def record(self, username: str, ok: bool) -> None:
        """Store one attempt; old rows (over a week) are pruned on success."""
        now = self._clock()
        with write_transaction(self._engine) as conn:
            conn.execute(insert(login_attempts).values(username=username.lower()[:128], at=now, ok=ok))
            if ok:
                conn.execute(delete(login_attempts).where(login_attempts.c.at < now - KEEP_S))

    @staticmethod
    def pause(failures: int) -> float:
        """Seconds the sign-in page waits before answering a failure (grows with failures, ≤ 3 s)."""
        return min(3.0, 0.25 * max(1, failures))
