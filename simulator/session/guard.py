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

Every claim adds one to the session's ``turn_seq``. When this process claims a turn whose number is
the one it last released plus one, nobody ran the session in between, and the checkpointer may
serve the session's checkpoint from what this process wrote (:class:`TurnListener`).

A reply running in this process can be cancelled (:meth:`TurnGuard.cancel`): the rep pressed End.
End pressed on another process (no sticky sessions) asks through the database instead
(:meth:`SessionStore.request_cancel` marks the turn's holder): while turns run here, one watcher
thread per guard looks for such requests every :data:`CANCEL_CHECK_S` (one ``SELECT`` for all the
turns running longer than that) and sets the turn's cancel flag, which the reply polls every 0.1 s.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

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


log = logging.getLogger(__name__)
HOST = _machine()
PROCESS = uuid.uuid4().hex[:8]
"""This process's token in holder names (a pid can be reused; a token is not)."""
WAIT_POLL_S = 0.05
CANCEL_CHECK_S = 0.5
"""How often a process running turns looks in the database for End pressed on another process (a turn
is first looked at once it has run this long, so quick replies cost no query)."""


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
    started: float = field(default_factory=time.monotonic)
    """When the turn was claimed (``time.monotonic``; for the cross-process cancel watcher)."""
    staged: list[TurnRecord] = field(default_factory=list)
    """Turns to store when the turn is released (see :meth:`stage_turns`)."""
    staged_count: int | None = None
    continuous: bool = False
    """Nobody held the turn since this process released it (``turn_seq`` is the one released plus one):
    what this process remembers of the session (its checkpoint, whether it waits for the rep) is current."""

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


class TurnListener(Protocol):
    """Told when this process starts and ends a session's turn (the PostgreSQL checkpointer's cache)."""

    def turn_started(self, thread_id: str, continuous: bool) -> None:
        """The turn is held; ``continuous``: nobody held it since this process released it."""

    def turn_ended(self, thread_id: str) -> None:
        """The turn is given back (or lost): other processes may run the session from now on."""


_MAX_RELEASED = 4096


class TurnGuard:
    """Hands out turns; one instance per service (per process)."""

    def __init__(self, store: SessionStore, lease_s: float, *, clock: Callable[[], float] = time.monotonic,
                 listener: TurnListener | None = None) -> None:
        self._store = store
        self._lease_s = lease_s
        self._clock = clock
        self._listener = listener
        self._released: dict[str, int] = {}
        """Per session, the ``turn_seq`` of the last turn this process released cleanly."""
        self._running: dict[str, TurnClaim] = {}
        self._live_holders: set[str] = set()
        """Holders this process made and has not released (registered before the claim is tried)."""
        self._mutex = threading.Lock()
        self._watcher: threading.Thread | None = None
        """Looks for cross-process cancel requests while turns run here (see :meth:`_watch`)."""

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
            seq = claim.record.turn_seq
            with self._mutex:
                self._running[session_id] = claim
                released = self._released.pop(session_id, None)
                if self._watcher is None:
                    self._watcher = threading.Thread(target=self._watch, name="sparring-cancel-watch", daemon=True)
                    self._watcher.start()
            continuous = claim.continuous = not claim.recovered and seq is not None and released == seq - 1
            clean = False
            try:
                if self._listener is not None:
                    self._listener.turn_started(session_id, continuous)
                yield claim
            finally:
                with self._mutex:
                    if self._running.get(session_id) is claim:
                        del self._running[session_id]
                if self._listener is not None:
                    try:
                        self._listener.turn_ended(session_id)
                    except Exception:  # the release matters more
                        log.warning("turn end of %s not handled", session_id, exc_info=True)
                try:
                    self._store.finish_turn(session_id, claim.holder, claim.staged, turn_count=claim.staged_count)
                    clean = True
                finally:
                    if clean and seq is not None:
                        with self._mutex:
                            self._released[session_id] = seq
                            if len(self._released) > _MAX_RELEASED:
                                del self._released[next(iter(self._released))]
        finally:
            with self._mutex:
                self._live_holders.discard(holder)

    def _watch(self) -> None:
        """While turns run here: every :data:`CANCEL_CHECK_S`, ask the database whether End was pressed
        on another process for any turn running that long, and cut those replies short. Ends when no
        turn runs (the next claim starts a new watcher)."""
        while True:
            time.sleep(CANCEL_CHECK_S)
            now = time.monotonic()
            with self._mutex:
                if not self._running:
                    self._watcher = None
                    return
                due = {sid: claim for sid, claim in self._running.items()
                       if now - claim.started >= CANCEL_CHECK_S and not claim.cancel.is_set()}
            if not due:
                continue
            try:
                asked = self._store.cancel_requested({sid: claim.holder for sid, claim in due.items()})
            except Exception:  # the database is unreachable for a moment: look again next time
                log.warning("could not look for End pressed on another process", exc_info=True)
                continue
            for sid in asked:
                due[sid].cancel.set()

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
