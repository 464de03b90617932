"""Practice sessions and their transcripts: :class:`SessionStore`.

One :class:`SessionStore` per process, shared by all threads: it holds only the engine, and each
method runs in its own connection and transaction. Turns are keyed by ``(session_id, index)`` and
:meth:`SessionStore.append_turns` skips indexes already stored, so the service can re-sync the
whole transcript from the LangGraph checkpoint after a crash without duplicating lines.

Per message the service makes two calls here, each one statement on PostgreSQL (in autocommit: one
round trip each, no ``BEGIN``/``COMMIT``): :meth:`SessionStore.claim_turn` (compare-and-set, returns
the row) and :meth:`SessionStore.finish_turn` (the new turns, the turn count and the release, in one
``UPDATE`` with the ``INSERT`` as a data-modifying CTE). Every round trip to the server costs a
thread the GIL under load (docs/benchmarks.md, Store).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from sqlalchemy import (
    JSON,
    Engine,
    Float,
    Integer,
    Row,
    Text,
    bindparam,
    case,
    column,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from simulator.engine.state import Outcome, TurnRecord
from simulator.errors import SessionStateError
from simulator.store.db import read_transaction, single_statement, write_transaction
from simulator.store.schema import Json, sessions, turns

SessionStatus = Literal["active", "ended", "abandoned"]
"""``abandoned``: closed for idling (stored as ``ended`` with ``abandoned_at`` set; no grade)."""
_STATUSES: tuple[str, ...] = ("active", "ended", "abandoned")
_WRITABLE_STATUSES: tuple[str, ...] = ("active", "ended")
_MAX_LIMIT = 1000


class TurnBusyError(SessionStateError):
    """Another request (in this process or another) holds the session's turn."""

    def __init__(self, session_id: str, holder: str | None, until: float | None, *, expired: bool = False) -> None:
        self.session_id, self.holder, self.until = session_id, holder, until
        self.expired = expired
        """The holder's lease has run out: the turn may be taken over (see :meth:`SessionStore.take_over_turn`)."""
        super().__init__("the buyer is still answering your last message (maybe in another window); "
                         "wait for the reply, then send again")


class SessionClosedError(SessionStateError):
    """The session has ended (or was closed as abandoned): nothing more can be said in it."""

    def __init__(self, session_id: str, abandoned: bool) -> None:
        self.session_id = session_id
        what = "was closed after being left idle" if abandoned else "has ended"
        super().__init__(f"session {session_id} {what}; start a new one to practise again")


class SessionNotFoundError(SessionStateError):
    """No session with this id."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        super().__init__(f"no practice session with id {session_id!r}")


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One row of ``sessions``: who practised what, how it went, and the score once graded."""

    id: str
    user_id: str | None
    scenario_id: str
    persona_id: str
    difficulty: str
    status: SessionStatus
    created_at: float
    updated_at: float
    ended_at: float | None
    turn_count: int
    outcome: Outcome | None
    scorecard: dict[str, Any] | None
    overall_score: float | None
    llm: str | None
    """Which backend/model voiced the buyer, e.g. ``embedded:qwen2.5-coder-1.5b``."""
    abandoned_at: float | None = None
    """Set when the call was closed for idling (not graded, not an attempt, never compared)."""
    turn_holder: str | None = None
    """Who holds the turn now (``host/pid/token``), or None; see :meth:`SessionStore.claim_turn`."""
    turn_until: float | None = None
    """When the holder's lease on the turn runs out."""
    turn_seq: int | None = None
    """How many times the turn was claimed (None before the first claim); see :meth:`SessionStore.claim_turn`."""

    @property
    def abandoned(self) -> bool:
        return self.abandoned_at is not None

    @property
    def unfinished(self) -> bool:
        """Still open: the rep can continue it or end it."""
        return self.status == "active"


def _record(row: Row[Any]) -> SessionRecord:
    m = row._mapping
    return SessionRecord(
        id=m["id"], user_id=m["user_id"], scenario_id=m["scenario_id"], persona_id=m["persona_id"],
        difficulty=m["difficulty"], status="abandoned" if m["abandoned_at"] is not None else m["status"],
        created_at=m["created_at"],
        updated_at=m["updated_at"], ended_at=m["ended_at"], turn_count=m["turn_count"],
        outcome=m["outcome"], scorecard=m["scorecard"], overall_score=m["overall_score"], llm=m["llm"],
        abandoned_at=m["abandoned_at"], turn_holder=m["turn_holder"], turn_until=m["turn_until"],
        turn_seq=m["turn_seq"],
    )


def _turn_row(session_id: str, turn: TurnRecord) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "idx": turn["index"],
        "speaker": turn["speaker"],
        "text": turn["text"],
        "stage": turn["stage"],
        "analysis": turn.get("analysis"),
        "move": turn.get("move"),
        "state": turn.get("state"),
        "voiced_by": turn["voiced_by"],
        "rejected": turn.get("rejected"),
        "llm_line": turn.get("llm_line"),
        "at": turn["at"],
        "speech": _speech_of(turn),
    }


def _turn_rows(session_id: str, turns_: Sequence[TurnRecord]) -> dict[int, dict[str, Any]]:
    """Rows for ``turns_`` by index; the first turn with a given index wins."""
    rows: dict[int, dict[str, Any]] = {}
    for turn in turns_:
        rows.setdefault(int(turn["index"]), _turn_row(session_id, turn))
    return rows


VOICE_FIELDS = ("speech_s", "delivery", "unheard")
"""A turn's optional voice fields, stored together in ``turns.speech`` (``unheard``: a buyer line the
rep cut off, whose ``text`` then holds only the words heard)."""


def _speech_of(turn: TurnRecord) -> dict[str, Any] | None:
    """The optional voice fields of a turn, stored together in ``turns.speech``."""
    fields: dict[str, Any] = dict(turn)
    speech = {key: fields[key] for key in VOICE_FIELDS if key in fields}
    return speech or None


def _turn_record(row: Row[Any]) -> TurnRecord:
    m = row._mapping
    record = TurnRecord(
        index=m["idx"], speaker=m["speaker"], text=m["text"], stage=m["stage"], analysis=m["analysis"],
        move=m["move"], state=m["state"], voiced_by=m["voiced_by"], rejected=m["rejected"],
        llm_line=m["llm_line"], at=m["at"],
    )
    record.update(m["speech"] or {})  # type: ignore[typeddict-item]
    return record


_RELEASED = sessions.c.turn_holder == bindparam("holder", type_=sessions.c.turn_holder.type)
_FINISH_TURN = (
    update(sessions)
    .where(sessions.c.id == bindparam("sid", type_=sessions.c.id.type))
    .values(
        turn_count=func.coalesce(bindparam("turn_count", type_=Integer), sessions.c.turn_count),
        updated_at=bindparam("now", type_=Float),
        turn_holder=case((_RELEASED, None), else_=sessions.c.turn_holder),
        turn_until=case((_RELEASED, None), else_=sessions.c.turn_until),
    )
)
"""The session's side of :meth:`SessionStore.finish_turn`: count, time, and the release (if still held)."""


def _claim_statement(take_over: bool, owned: bool) -> Any:
    conditions = [sessions.c.id == bindparam("sid", type_=sessions.c.id.type), sessions.c.status == "active",
                  sessions.c.turn_holder == bindparam("previous", type_=Text) if take_over
                  else sessions.c.turn_holder.is_(None)]
    if owned:
        conditions.append(sessions.c.user_id == bindparam("owner", type_=sessions.c.user_id.type))
    return (update(sessions).where(*conditions)
            .values(turn_holder=bindparam("new_holder", type_=Text), turn_until=bindparam("until", type_=Float),
                    turn_cancel=None, turn_seq=func.coalesce(sessions.c.turn_seq, 0) + 1)
            .returning(*sessions.c))


_CLAIM = {(take_over, owned): _claim_statement(take_over, owned) for take_over in (False, True)
          for owned in (False, True)}
"""The turn's compare-and-set ``UPDATE … RETURNING``, by (taking over from ``previous``?, owner checked?):
built once, so a claim does not build and cache-key a new statement (one per message)."""


def _finish_turn_pg() -> Any:
    """:data:`_FINISH_TURN` with the turns' ``INSERT`` as a data-modifying CTE (PostgreSQL): one
    statement, the rows one JSON array (``json_to_recordset``), so the SQL text is the same for any
    number of turns (compiled once, prepared by psycopg). JSON ``null`` becomes SQL NULL."""
    types: dict[str, Any] = {"idx": Integer, "at": Float}
    columns = [c.name for c in turns.c if c.name != "session_id"]
    recordset = (
        func.json_to_recordset(bindparam("rows", type_=postgresql.JSON))
        .table_valued(*[column(name, Json if isinstance(turns.c[name].type, JSON) else types.get(name, Text))
                        for name in columns])
        .render_derived(with_types=True)
    )
    new_turns = (
        postgresql.insert(turns)
        .from_select(["session_id", *columns],
                     select(bindparam("sid", type_=sessions.c.id.type), *[recordset.c[name] for name in columns]))
        .on_conflict_do_nothing(index_elements=["session_id", "idx"])
        .cte("new_turns")
    )
    return _FINISH_TURN.add_cte(new_turns)


_FINISH_TURN_PG = _finish_turn_pg()


class SessionStore:
    """Typed access to ``sessions`` and ``turns``. Thread-safe: share one instance per engine."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        """Use ``engine`` (schema already created by :func:`~simulator.store.db.init_schema`).

        ``clock`` gives every stored timestamp (seconds since the epoch); inject one in tests.
        """
        self._engine = engine
        self._clock = clock
        dialect = engine.dialect.name
        if dialect == "sqlite":
            self._insert: Callable[[Any], Any] = sqlite.insert
        elif dialect == "postgresql":
            self._insert = postgresql.insert
        else:
            raise ValueError(f"SessionStore supports SQLite and PostgreSQL, not {dialect!r}")

    @property
    def engine(self) -> Engine:
        """The engine this store writes through."""
        return self._engine

    def create_session(
        self,
        *,
        scenario_id: str,
        persona_id: str,
        difficulty: str,
        user_id: str | None = None,
        session_id: str | None = None,
        llm: str | None = None,
    ) -> SessionRecord:
        """Insert a new active session (id: ``session_id`` or a fresh uuid hex) and return it.

        Raises:
            SessionStateError: a session with this id already exists.
        """
        now = self._clock()
        record = SessionRecord(
            id=session_id or uuid.uuid4().hex, user_id=user_id, scenario_id=scenario_id,
            persona_id=persona_id, difficulty=difficulty, status="active", created_at=now,
            updated_at=now, ended_at=None, turn_count=0, outcome=None, scorecard=None,
            overall_score=None, llm=llm,
        )
        try:
            with single_statement(self._engine) as conn:
                conn.execute(insert(sessions).values(
                    id=record.id, user_id=user_id, scenario_id=scenario_id, persona_id=persona_id,
                    difficulty=difficulty, status="active", created_at=now, updated_at=now,
                    ended_at=None, turn_count=0, outcome=None, scorecard=None, overall_score=None,
                    llm=llm,
                ))
        except IntegrityError as exc:
            raise SessionStateError(f"a practice session with id {record.id!r} already exists") from exc
        return record

    def get_session(self, session_id: str) -> SessionRecord | None:
        """The session with this id, or None."""
        with read_transaction(self._engine) as conn:
            row = conn.execute(select(sessions).where(sessions.c.id == session_id)).first()
        return _record(row) if row is not None else None

    def list_sessions(
        self,
        user_id: str | None = None,
        scenario_id: str | None = None,
        status: SessionStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[SessionRecord]:
        """Sessions matching every given filter, newest first (ties broken by id, descending)."""
        if not 0 <= limit <= _MAX_LIMIT:
            raise ValueError(f"limit must be between 0 and {_MAX_LIMIT}, not {limit}")
        if offset < 0:
            raise ValueError(f"offset must be >= 0, not {offset}")
        if status is not None and status not in _STATUSES:
            raise ValueError(f"status must be one of {_STATUSES}, not {status!r}")
        query = select(sessions)
        if user_id is not None:
            query = query.where(sessions.c.user_id == user_id)
        if scenario_id is not None:
            query = query.where(sessions.c.scenario_id == scenario_id)
        if status == "abandoned":
            query = query.where(sessions.c.abandoned_at.is_not(None))
        elif status == "ended":
            query = query.where(sessions.c.status == "ended", sessions.c.abandoned_at.is_(None))
        elif status is not None:
            query = query.where(sessions.c.status == status)
        query = query.order_by(sessions.c.created_at.desc(), sessions.c.id.desc()).limit(limit).offset(offset)
        with read_transaction(self._engine) as conn:
            return [_record(row) for row in conn.execute(query)]

    def append_turns(self, session_id: str, turns_: Sequence[TurnRecord]) -> int:
        """Store the turns whose index is not stored yet; return how many were new.

        Idempotent by ``(session_id, index)``: a turn already stored is left as it is (also when a
        concurrent call stores it first), so re-syncing a whole transcript is safe; only a turn
        stored without voice fields is re-recorded when a later record carries them (the buyer
        line's speaking time and, after a barge-in, its heard ``text`` and ``unheard`` rest). Within
        one call, the first turn with a given index wins.

        Raises:
            SessionNotFoundError: there is no session ``session_id``.
            KeyError: a turn lacks a required key (index, speaker, text, stage, voiced_by, at).
        """
        if not turns_:
            return 0
        rows = _turn_rows(session_id, turns_)
        try:
            with write_transaction(self._engine) as conn:
                stored = set(conn.execute(
                    select(turns.c.idx).where(turns.c.session_id == session_id, turns.c.idx.in_(list(rows)))
                ).scalars())
                new = [row for idx, row in rows.items() if idx not in stored]
                for idx, row in rows.items():
                    if idx in stored and row["speech"] is not None:  # re-recorded with its voice fields
                        conn.execute(update(turns).where(turns.c.session_id == session_id, turns.c.idx == idx,
                                                         turns.c.speech.is_(None))
                                     .values(speech=row["speech"], text=row["text"]))
                if new:  # a missing session fails the foreign key (no separate existence read)
                    conn.execute(self._insert(turns).on_conflict_do_nothing(index_elements=["session_id", "idx"]),
                                 new)
        except IntegrityError:
            self._raise_if_missing(session_id)
            raise
        return len(new)

    def finish_turn(
        self, session_id: str, holder: str, turns_: Sequence[TurnRecord] = (), *, turn_count: int | None = None
    ) -> None:
        """End a turn: store ``turns_`` (indexes not stored yet; stored ones are left as they are), set
        ``turn_count`` (when given) and ``updated_at``, and give the turn back if ``holder`` still
        holds it, all in one transaction. With no turns and no count this is :meth:`release_turn`.

        What the service does after every message. On PostgreSQL it is one prepared statement (the
        ``INSERT … ON CONFLICT DO NOTHING`` as a data-modifying CTE of the session's ``UPDATE``, the
        rows passed as one JSON array), so one round trip in autocommit; on SQLite one ``BEGIN
        IMMEDIATE`` transaction. The turns table is never seen with the turn released and its lines
        missing.

        Raises:
            SessionNotFoundError: there is no session ``session_id`` (nothing is stored).
        """
        if not turns_ and turn_count is None:
            self.release_turn(session_id, holder)
            return
        rows = list(_turn_rows(session_id, turns_).values())
        params = {"sid": session_id, "holder": holder, "turn_count": turn_count, "now": self._clock()}
        try:
            if self._engine.dialect.name == "postgresql":
                for row in rows:
                    del row["session_id"]
                with single_statement(self._engine) as conn:
                    updated = conn.execute(_FINISH_TURN_PG, {**params, "rows": rows}).rowcount
            else:
                with write_transaction(self._engine) as conn:
                    if rows:
                        conn.execute(self._insert(turns).on_conflict_do_nothing(index_elements=["session_id", "idx"]),
                                     rows)
                    updated = conn.execute(_FINISH_TURN, params).rowcount
        except IntegrityError:
            self._raise_if_missing(session_id)
            raise
        if updated == 0:
            raise SessionNotFoundError(session_id)

    def _raise_if_missing(self, session_id: str) -> None:
        if self.get_session(session_id) is None:
            raise SessionNotFoundError(session_id) from None

    def get_turns(self, session_id: str) -> list[TurnRecord]:
        """The session's stored turns in index order (empty for an unknown session)."""
        query = select(turns).where(turns.c.session_id == session_id).order_by(turns.c.idx)
        with read_transaction(self._engine) as conn:
            return [_turn_record(row) for row in conn.execute(query)]

    def update_session(
        self,
        session_id: str,
        *,
        status: SessionStatus | None = None,
        outcome: Outcome | None = None,
        turn_count: int | None = None,
        ended_at: float | None = None,
        scorecard: dict[str, Any] | None = None,
        overall_score: float | None = None,
    ) -> None:
        """Set the given fields (None = leave as is) and ``updated_at``.

        Ending a session (``status="ended"``) without ``ended_at`` stamps it with the clock.

        Raises:
            SessionNotFoundError: there is no session ``session_id``.
        """
        if status is not None and status not in _WRITABLE_STATUSES:
            raise ValueError(f"status must be one of {_WRITABLE_STATUSES}, not {status!r}")
        now = self._clock()
        values: dict[str, Any] = {"updated_at": now}
        if status is not None:
            values["status"] = status
            if status == "ended" and ended_at is None:
                ended_at = now
        for name, value in (("outcome", outcome), ("turn_count", turn_count), ("ended_at", ended_at),
                            ("scorecard", scorecard), ("overall_score", overall_score)):
            if value is not None:
                values[name] = value
        with single_statement(self._engine) as conn:
            result = conn.execute(update(sessions).where(sessions.c.id == session_id).values(**values))
            if result.rowcount == 0:
                raise SessionNotFoundError(session_id)

    # ------------------------------------------------------------------ the turn lease

    def claim_turn(self, session_id: str, holder: str, lease_s: float, *, owner: str | None = None) -> SessionRecord:
        """Take the session's turn for ``lease_s`` seconds, atomically, if nobody holds it.

        One compare-and-set ``UPDATE`` (the same on SQLite and PostgreSQL): it succeeds only while
        the session is active and nobody holds its turn, so of two processes sending at once exactly
        one gets the turn. Every claim adds one to ``turn_seq``: a process whose claim returns the
        number it released plus one knows nobody ran the session in between. Returns the session as
        claimed. A holder whose lease ran out is reported
        (``TurnBusyError.expired``): the caller takes over with :meth:`take_over_turn`, knowing the
        previous turn did not finish cleanly.

        Raises:
            SessionNotFoundError: no such session.
            SessionClosedError: the session has ended.
            TurnBusyError: someone else holds an unexpired lease.
        """
        return self._claim(session_id, holder, lease_s, None, owner)

    def take_over_turn(self, session_id: str, holder: str, previous: str, lease_s: float, *,
                       owner: str | None = None) -> SessionRecord:
        """Take the turn from ``previous`` (a holder known to be dead), only if it still holds it."""
        return self._claim(session_id, holder, lease_s, previous, owner)

    def _claim(self, session_id: str, holder: str, lease_s: float, previous: str | None,
               owner: str | None) -> SessionRecord:
        """Claim if nobody holds the turn (``previous`` None) or ``previous`` does."""
        now = self._clock()
        params = {"sid": session_id, "new_holder": holder, "until": now + lease_s, "previous": previous,
                  "owner": owner}
        with single_statement(self._engine) as conn:  # why it failed is read after, only on failure
            row = conn.execute(_CLAIM[previous is not None, owner is not None], params).first()
            if row is not None:
                return _record(row)
            current = conn.execute(select(sessions).where(sessions.c.id == session_id)).first()
        if current is None or (owner is not None and current._mapping["user_id"] != owner):
            raise SessionNotFoundError(session_id)
        record = _record(current)
        if record.status != "active":
            raise SessionClosedError(session_id, record.abandoned)
        until = record.turn_until
        raise TurnBusyError(session_id, record.turn_holder, until, expired=until is not None and until < now)

    def renew_turn(self, session_id: str, holder: str, lease_s: float) -> bool:
        """Extend ``holder``'s lease; False when it no longer holds the turn."""
        with single_statement(self._engine) as conn:
            result = conn.execute(update(sessions).where(sessions.c.id == session_id,
                                                         sessions.c.turn_holder == holder)
                                  .values(turn_until=self._clock() + lease_s))
            return cast(int, result.rowcount) > 0

    def request_cancel(self, session_id: str, *, owner: str | None = None) -> bool:
        """Ask the process running the session's turn, whichever it is, to stop its reply (End pressed).

        Marks the turn's current holder in ``turn_cancel``, so the request applies to that turn only
        (a holder's name is never reused); the holder's process looks for it about every
        :data:`~simulator.session.guard.CANCEL_CHECK_S` (:meth:`cancel_requested`). One ``UPDATE``;
        with ``owner`` only a session of that user is marked. True when a turn was held.
        """
        stmt = update(sessions).where(sessions.c.id == session_id, sessions.c.status == "active",
                                      sessions.c.turn_holder.is_not(None))
        if owner is not None:
            stmt = stmt.where(sessions.c.user_id == owner)
        with single_statement(self._engine) as conn:
            return cast(int, conn.execute(stmt.values(turn_cancel=sessions.c.turn_holder)).rowcount) > 0

    def cancel_requested(self, holders: Mapping[str, str]) -> set[str]:
        """Of these sessions (id → the holder running its turn), those whose holder was asked to stop
        (:meth:`request_cancel`). One ``SELECT`` for all of them."""
        if not holders:
            return set()
        query = select(sessions.c.id, sessions.c.turn_cancel).where(
            sessions.c.id.in_(list(holders)), sessions.c.turn_cancel.is_not(None))
        with read_transaction(self._engine) as conn:
            return {sid for sid, cancel in conn.execute(query) if holders.get(sid) == cancel}

    def release_turn(self, session_id: str, holder: str) -> None:
        """Give the turn back (a no-op when ``holder`` no longer holds it)."""
        with single_statement(self._engine) as conn:
            conn.execute(update(sessions).where(sessions.c.id == session_id, sessions.c.turn_holder == holder)
                         .values(turn_holder=None, turn_until=None))

    def abandon_idle(self, idle_s: float, user_id: str | None = None) -> int:
        """Close active calls with no activity for ``idle_s`` seconds (and no live turn) as abandoned.

        They get no outcome and no grade; attempts and comparisons leave them out. Returns how many.
        """
        now = self._clock()
        stmt = update(sessions).where(
            sessions.c.status == "active", sessions.c.updated_at < now - idle_s,
            sessions.c.turn_holder.is_(None) | (sessions.c.turn_until < now),
        )
        if user_id is not None:
            stmt = stmt.where(sessions.c.user_id == user_id)
        with single_statement(self._engine) as conn:
            result = conn.execute(stmt.values(status="ended", abandoned_at=now, ended_at=now, updated_at=now,
                                              turn_holder=None, turn_until=None))
            return cast(int, result.rowcount)

    def delete_session(self, session_id: str) -> bool:
        """Delete the session and its turns; False when it did not exist.

        Coaching notes that pointed at it keep their text (their ``session_id`` becomes NULL).
        """
        with write_transaction(self._engine) as conn:
            conn.execute(delete(turns).where(turns.c.session_id == session_id))
            result = conn.execute(delete(sessions).where(sessions.c.id == session_id))
            return cast(int, result.rowcount) > 0
