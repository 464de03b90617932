"""One turn at a time per session, across threads, processes and app replicas.

Every request that runs the session's graph (start, send, end, resume) holds the session's *turn*:

a lease in the database (:meth:`SessionStore.claim_turn`, one compare-and-set ``UPDATE`` on SQLite and
PostgreSQL alike): of two requests sending at once, in one process or two, exactly one gets the turn
and the other a clear message. The same statement checks the session is active and the sender owns
it. The lease is renewed while the reply streams and released at the end, in the same statement that
stores the turn's lines (:meth:`TurnClaim.stage_turns`, :meth:`SessionStore.finish_turn`).

A holder is ``host~pid-namespace/pid/process-token``. When a holder's lease is found on this machine and its process is
gone (``kill -9``, a crash), the turn is taken over at once; a holder on another machine is taken over
when its lease runs out (``SPARRING_TURN_LEASE_S``). A takeover is reported (``recovered``) so the
caller re-reads the checkpoint instead of trusting what it remembered.

A reply running in this process can be cancelled (:meth:`TurnGuard.cancel`): the rep pressed End.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from simulator.engine.state import TurnRecord
from simulator.store.sessions import SessionRecord, SessionStore, TurnBusyError


def _machine() -> str:
    """This machine and PID namespace: containers sharing a hostname (host networking) but not PIDs
    must not judge each other's processes dead."""
    try:
        namespace = os.readlink("/proc/self/ns/pid").removeprefix("pid:").strip("[]")
    except OSError:
        namespace = ""
    return socket.gethostname()[:80] + (f"~{namespace}" if namespace else "")


HOST = _machine()
PROCESS = uuid.uuid4().hex[:8]
"""This process's token in holder names (a pid can be reused; a token is not)."""
WAIT_POLL_S = 0.05


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def holder_is_dead(holder: str | None) -> bool:
    """Is ``holder`` a process on this machine that no longer runs (or a stale holder of this one)?"""
    if not holder:
        return False
    host, pid_text, token = [*holder.split("/"), "", ""][:3]
    if host != HOST or not pid_text.isdigit() or token.startswith(PROCESS):
        return False
    return not _process_alive(int(pid_text))


@dataclass
class TurnClaim:
    """The turn, held: the session as claimed and whether it was taken over from a dead holder."""

    record: SessionRecord
    holder: str
    recovered: bool
    cancel: threading.Event
    _store: SessionStore
    _lease_s: float
    _clock: Callable[[], float]
    _renewed: float = field(default=0.0)
    staged: list[TurnRecord] = field(default_factory=list)
    """Turns to store when the turn is released (see :meth:`stage_turns`)."""
    staged_count: int | None = None

    def stage_turns(self, turns: list[TurnRecord], turn_count: int) -> None:
        """Store ``turns`` and set the session's ``turn_count`` when the turn is released, in the
        statement that releases it: one round trip at the end of a message instead of three.

        They are in the checkpoint already; should the process die before the release, the next
        holder takes the turn over (``recovered``) and re-syncs the turns table from the checkpoint.
        """
        self.staged.extend(turns)
        self.staged_count = turn_count

    def discard_staged(self) -> None:
        """Forget staged turns (the caller stored the whole transcript itself)."""
        self.staged.clear()
        self.staged_count = None

    def renew_if_due(self) -> None:
        """Extend the lease when a quarter of it has passed (called as the reply streams)."""
        now = self._clock()
        if now - self._renewed >= self._lease_s / 4:
            self._store.renew_turn(self.record.id, self.holder, self._lease_s)
            self._renewed = now


class TurnGuard:
    """Hands out turns; one instance per service (per process)."""

    def __init__(self, store: SessionStore, lease_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._lease_s = lease_s
        self._clock = clock
        self._running: dict[str, TurnClaim] = {}
        self._live_holders: set[str] = set()
        """Holders this process made and has not released (registered before the claim is tried)."""
        self._mutex = threading.Lock()

    def busy_here(self, session_id: str) -> bool:
        """Is a turn of this session running in this process?"""
        with self._mutex:
            return session_id in self._running

    def cancel(self, session_id: str) -> bool:
        """Ask the reply running here (if any) to stop at once. True when one was running."""
        with self._mutex:
            claim = self._running.get(session_id)
        if claim is None:
            return False
        claim.cancel.set()
        return True

    @contextlib.contextmanager
    def hold(self, session_id: str, *, owner: str | None = None, wait_s: float = 0.0) -> Iterator[TurnClaim]:
        """Hold the session's turn for the ``with`` block.

        ``owner``: the session must belong to this user (checked in the same statement that claims).
        ``wait_s``: how long to wait for a turn in progress (End waits for a reply it cancelled).

        Raises:
            TurnBusyError: the turn stayed taken for ``wait_s``.
            SessionNotFoundError, SessionClosedError: see :meth:`SessionStore.claim_turn`.
        """
        holder = f"{HOST}/{os.getpid()}/{PROCESS}-{uuid.uuid4().hex[:8]}"
        with self._mutex:
            self._live_holders.add(holder)
        try:
            claim = self._claim(session_id, holder, owner, self._clock() + wait_s)
            with self._mutex:
                self._running[session_id] = claim
            try:
                yield claim
            finally:
                with self._mutex:
                    if self._running.get(session_id) is claim:
                        del self._running[session_id]
                self._store.finish_turn(session_id, claim.holder, claim.staged, turn_count=claim.staged_count)
        finally:
            with self._mutex:
                self._live_holders.discard(holder)

    def _claim(self, session_id: str, holder: str, owner: str | None, deadline: float) -> TurnClaim:
        while True:
            recovered = False
            try:
                record = self._store.claim_turn(session_id, holder, self._lease_s, owner=owner)
            except TurnBusyError as busy:
                if not busy.expired and not holder_is_dead(busy.holder) and not self._stale_here(busy.holder):
                    if self._clock() >= deadline:
                        raise
                    time.sleep(WAIT_POLL_S)
                    continue
                record = self._store.take_over_turn(session_id, holder, busy.holder or "", self._lease_s,
                                                    owner=owner)
                recovered = True
            return TurnClaim(record, holder, recovered, threading.Event(), self._store, self._lease_s,
                             self._clock, self._clock())

    def _stale_here(self, holder: str | None) -> bool:
        """A holder from this process that no request here holds any more: left by a run whose
        release failed (e.g. the database was unreachable at that moment)."""
        if not holder:
            return False
        host, _, token = [*holder.split("/"), "", ""][:3]
        if host != HOST or not token.startswith(PROCESS + "-"):
            return False
        with self._mutex:
            return holder not in self._live_holders
