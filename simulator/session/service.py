"""The conversation service: start, converse, end, resume and list practice sessions.

The one layer every way a message arrives goes through (the web text page, the web voice panel,
the terminal, the CLI, self-play and the tests). Per message it validates once, checks permission
and claims the turn in one database statement (:mod:`simulator.session.guard`), runs the graph
through :class:`~simulator.session.runner.ConversationRunner`, and stores the new turns.
Every call streams :data:`~simulator.session.events.Event` dicts; fold them with
:func:`~simulator.session.events.fold`.
"""

from __future__ import annotations

import builtins
import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any, cast

from langgraph.checkpoint.base import BaseCheckpointSaver

from simulator.config import Settings
from simulator.content.loader import ContentLibrary, load_library
from simulator.content.models import Difficulty, Scenario
from simulator.engine.actor import VoiceConfig
from simulator.engine.context import SessionContext
from simulator.engine.speech import normalise_speech, rerecords_buyer
from simulator.engine.state import BuyerState, Outcome, TurnRecord
from simulator.errors import InvalidMessageError, UnknownIdError
from simulator.llm.base import LLM, GenerationOptions, model_name_of
from simulator.session.events import EndedEvent, Event
from simulator.session.guard import TurnClaim, TurnGuard, TurnListener
from simulator.session.permissions import Actor, may_read, refused, talking_owner
from simulator.session.runner import ConversationRunner, RunResult, end_call, rep_message
from simulator.store.checkpoints import open_checkpointer
from simulator.store.db import create_db_engine, init_schema
from simulator.store.sessions import SessionClosedError, SessionNotFoundError, SessionRecord, SessionStore

log = logging.getLogger(__name__)

DIFFICULTIES: tuple[Difficulty, ...] = ("easy", "medium", "hard")
END_WAIT_S = 3.0
"""How long End waits for a reply it cancelled to finish (the actor stops within 0.1 s)."""
SessionEndHook = Callable[[SessionRecord, list[TurnRecord]], dict[str, Any] | None]
"""Called when a session ends (e.g. the grader); its result is stored as the scorecard."""


@dataclass(frozen=True)
class SessionView:
    """A session as the rep sees it."""

    record: SessionRecord
    transcript: list[TurnRecord]
    buyer: BuyerState | None
    outcome: Outcome | None
    waiting_for_rep: bool
    """True when the session is ready for the rep's next message."""

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def stage(self) -> str | None:
        return self.buyer["stage"] if self.buyer else None


class PracticeService:
    """Sessions over the LangGraph engine, persisted in the store and the checkpointer."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: SessionStore,
        checkpointer: BaseCheckpointSaver[Any],
        library: ContentLibrary | None = None,
        llm: LLM | None = None,
        llm_factory: Callable[[Settings], LLM] | None = None,
        clock: Callable[[], float] = time.time,
        on_session_end: SessionEndHook | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.library = library or load_library([settings.content_dir] if settings.content_dir else [])
        self._llm = llm
        self._llm_factory = llm_factory
        self._llm_lock = threading.Lock()
        self._clock = clock
        self.runner = ConversationRunner(checkpointer)
        listener = checkpointer if hasattr(checkpointer, "turn_started") else None
        self.guard = TurnGuard(store, settings.turn_lease_s, listener=cast(TurnListener | None, listener))
        self._ready: dict[str, bool] = {}
        self.on_session_end = on_session_end
        if on_session_end is not None and hasattr(on_session_end, "use_store"):
            on_session_end.use_store(store)  # the grader reads previous attempts through this store

    # ------------------------------------------------------------------ setup

    @classmethod
    @contextlib.contextmanager
    def open(cls, settings: Settings, **kwargs: Any) -> Iterator[PracticeService]:
        """Open the store and the checkpointer from settings; close them on exit."""
        if not settings.database_url:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_db_engine(settings.resolved_database_url)
        init_schema(engine)
        try:
            with open_checkpointer(settings) as checkpointer:
                yield cls(settings, store=SessionStore(engine), checkpointer=checkpointer, **kwargs)
        finally:
            engine.dispose()

    @property
    def llm(self) -> LLM:
        """The voice model, created on first use (loading the embedded model takes seconds)."""
        with self._llm_lock:
            if self._llm is None:
                if self._llm_factory is None:
                    from simulator.llm.factory import create_llm

                    self._llm = create_llm(self.settings)
                else:
                    self._llm = self._llm_factory(self.settings)
            return self._llm

    # ------------------------------------------------------------------ catalogue

    def scenarios(self) -> list[Scenario]:
        """Every scenario, sorted by kind then id."""
        order = {"discovery": 0, "objection_handling": 1, "negotiation": 2}
        return sorted(self.library.scenarios.values(), key=lambda s: (order[s.kind], s.id))

    # ------------------------------------------------------------------ sessions

    def start(
        self,
        scenario_id: str,
        *,
        persona_id: str | None = None,
        difficulty: str = "medium",
        actor: Actor | None = None,
    ) -> Iterator[Event]:
        """Create a session and stream the buyer's opening line. The first event names the session."""
        owner = talking_owner(actor)
        scenario = self.library.scenario(scenario_id)
        persona_id = persona_id or scenario.persona
        self.library.persona(persona_id)
        if persona_id not in scenario.persona_ids():
            raise UnknownIdError(f"persona for scenario {scenario_id}", persona_id, scenario.persona_ids())
        if difficulty not in DIFFICULTIES:
            raise UnknownIdError("difficulty", difficulty, DIFFICULTIES)
        self.close_idle_calls(owner)
        record = self.store.create_session(
            scenario_id=scenario_id, persona_id=persona_id, difficulty=difficulty, user_id=owner,
            session_id=uuid.uuid4().hex[:12], llm=model_name_of(self.llm),
        )
        yield {"type": "session", "session_id": record.id}
        with self.guard.hold(record.id, owner=owner) as claim:
            yield from self._run(claim, {"session_id": record.id})

    def send(
        self, session_id: str, text: str, *, actor: Actor | None = None, speech: dict[str, Any] | None = None
    ) -> Iterator[Event]:
        """Send the rep's message and stream the buyer's reply.

        The first event, ``accepted``, carries the message as stored: it passed validation and
        permission, and this request holds the session's turn. ``speech`` (voice practice) carries
        the rep's word timings, recording length, the pause before speaking and how long the buyer's
        last line played; see :mod:`simulator.engine.speech`.
        """
        text = self.validate_message(text)
        checked = normalise_speech(speech)
        with self._hold(session_id, actor) as claim:
            yield {"type": "accepted", "text": text}
            if not (yield from self._ready_for_rep(claim)):
                raise SessionClosedError(session_id, False)
            yield from self._run(claim, rep_message(text, checked), buyer_rerecorded=rerecords_buyer(checked))

    def end(self, session_id: str, *, actor: Actor | None = None) -> Iterator[Event]:
        """The rep ends the call: a reply in progress here is cut short, the outcome judged, the
        session closed and graded. Ending a call that is already over does nothing.

        A reply running on another process (several app processes, no sticky sessions) is asked to
        stop through the database; that process notices within about a second and releases the turn."""
        if not self.guard.cancel(session_id):
            self.store.request_cancel(str(session_id)[:64], owner=talking_owner(actor))
        try:
            with self._hold(session_id, actor, wait_s=END_WAIT_S) as claim:
                if (yield from self._ready_for_rep(claim)):
                    yield from self._run(claim, end_call())
        except SessionClosedError:
            return

    def resume(self, session_id: str, *, actor: Actor | None = None) -> Iterator[Event]:
        """Finish whatever a crashed process left half-done (e.g. the buyer's line) and re-sync the store."""
        try:
            with self._hold(session_id, actor) as claim:
                yield from self._ready_for_rep(claim)
                self._resync(claim.record)
        except SessionClosedError:
            record = self.store.get_session(session_id)
            if record is not None:
                self._resync(record)

    def get(self, session_id: str, *, actor: Actor | None = None) -> SessionView:
        """The session's transcript, buyer state and outcome (the actor's own, or any for None)."""
        record = self.store.get_session(str(session_id)[:64])
        if record is None or not may_read(actor, record.user_id):
            raise refused(str(session_id))
        values = self.runner.values(record.id)
        return SessionView(
            record=record,
            transcript=list(values.get("transcript", [])) or self.store.get_turns(record.id),
            buyer=values.get("buyer"),
            outcome=values.get("outcome"),
            waiting_for_rep=record.status == "active" and self.runner.next_nodes(record.id) == ("rep_turn",),
        )

    def list(self, *, user_id: str | None = None, limit: int = 50) -> list[SessionRecord]:
        """Sessions, newest first (only this user's when a user is given)."""
        return self.store.list_sessions(user_id=user_id, limit=limit)

    def unfinished(self, actor: Actor | None = None, *, limit: int = 20) -> builtins.list[SessionRecord]:
        """The actor's calls still open (newest first), after closing those idle too long."""
        owner = talking_owner(actor)
        self.close_idle_calls(owner)
        return self.store.list_sessions(user_id=owner, status="active", limit=limit)

    def close_idle_calls(self, user_id: str | None = None) -> int:
        """Close calls idle past ``SPARRING_CALL_IDLE_S`` as abandoned (no grade, not an attempt)."""
        return self.store.abandon_idle(self.settings.call_idle_s, user_id=user_id)

    # ------------------------------------------------------------------ helpers

    def validate_message(self, text: str) -> str:
        """Reject empty and over-long messages with a clear reason (nothing is sent or lost)."""
        if not isinstance(text, str) or not text.strip():
            raise InvalidMessageError("Your message is empty. Type what you would say to the buyer.")
        text = text.strip()
        limit = self.settings.max_message_chars
        if len(text) > limit:
            raise InvalidMessageError(
                f"Your message is {len(text):,} characters; the limit is {limit:,}. Nothing was sent: "
                "shorten it (a buyer stops listening long before that)."
            )
        return text

    @contextlib.contextmanager
    def _hold(self, session_id: str, actor: Actor | None, *, wait_s: float = 0.0) -> Iterator[TurnClaim]:
        """Permission and the turn in one step; a missing and a foreign session read the same."""
        owner = talking_owner(actor)
        try:
            with self.guard.hold(str(session_id)[:64], owner=owner, wait_s=wait_s) as claim:
                yield claim
        except SessionNotFoundError:
            if actor is None:
                raise
            raise refused(str(session_id)) from None

    def _context(self, record: SessionRecord, cancel: threading.Event | None = None) -> SessionContext:
        s = self.settings
        return SessionContext(
            persona=self.library.persona(record.persona_id),
            scenario=self.library.scenario(record.scenario_id),
            difficulty=record.difficulty,  # type: ignore[arg-type]
            llm=self.llm,
            options=GenerationOptions(max_tokens=110, temperature=s.temperature, seed=s.seed,
                                      timeout_s=s.llm_timeout_s),
            retries=s.llm_retries,
            clock=self._clock,
            voice=VoiceConfig(mode=s.voice_mode, deadline_s=s.reply_deadline_s, prefill=s.prefill, cancel=cancel),
        )

    def _ready_for_rep(self, claim: TurnClaim) -> Generator[Event, None, bool]:
        """Finish a buyer reply a crashed process left half-done; return whether the rep may speak.

        A generator that returns a value: use ``ready = yield from self._ready_for_rep(claim)``.
        After a clean run in this process the answer is remembered, which saves reading the
        checkpoint on every turn; it is used only when nobody held the turn since (``continuous``:
        not after a turn taken over from a dead holder, nor after any turn run by another process).
        """
        record = claim.record
        if self._ready.get(record.id) and claim.continuous:
            return True
        nxt = self.runner.next_nodes(record.id)
        if nxt and nxt != ("rep_turn",):
            yield {"type": "warning", "text": "Finishing the buyer's last reply, which was interrupted."}
            ready = yield from self._run(claim, None)
            self._resync(record)  # turns the interrupted run recorded in the checkpoint but never stored
            return ready
        if not nxt:
            values = self.runner.values(record.id)
            if not values:  # the start was interrupted before the buyer's opening: open now
                return (yield from self._run(claim, {"session_id": record.id}))
            if values.get("outcome") is not None:  # finished, but the process died before the store heard
                ended: EndedEvent = {"type": "ended", "outcome": values["outcome"],
                                     "end_reason": (values.get("buyer") or {}).get("end_reason")}
                warning = self._close(record, ended)
                yield ended
                if warning:
                    yield {"type": "warning", "text": warning}
            return False
        self._resync(record)
        return True

    def _run(
        self, claim: TurnClaim, graph_input: Any, *, buyer_rerecorded: bool = False
    ) -> Generator[Event, None, bool]:
        """Stream one graph run and store the turns it produced. Returns whether the rep may speak next.

        ``buyer_rerecorded``: the rep's speech data re-records the buyer line before their message
        (its speaking time, the words heard after a barge-in); that line is stored again too.
        """
        record = claim.record
        self._ready.pop(record.id, None)
        result = RunResult()
        try:
            result = yield from self.runner.stream(record.id, self._context(record, claim.cancel), graph_input,
                                                   on_event=lambda _event: claim.renew_if_due())
        finally:
            if buyer_rerecorded:
                self._store_rerecorded_buyer(record, result)
            warning = self._sync(claim, result)
        if warning:
            yield {"type": "warning", "text": warning}
        if claim.cancel.is_set() and result.ended is None:
            yield {"type": "warning", "text": "The reply was cut short: the call is ending."}
        if result.ready_for_rep:
            self._ready[record.id] = True
        return result.ready_for_rep

    def _store_rerecorded_buyer(self, record: SessionRecord, result: RunResult) -> None:
        """Store the buyer line the rep's message re-recorded (the graph replaces it in the checkpoint
        by index, with no event): the turns table would otherwise keep the whole line untimed."""
        rep = next((t for t in result.new_turns if t["speaker"] == "rep"), None)
        if rep is None or rep["index"] == 0:
            return
        transcript: builtins.list[TurnRecord] = self.runner.values(record.id).get("transcript", [])
        before = next((t for t in transcript if t["index"] == rep["index"] - 1), None)
        if before is not None and before["speaker"] == "buyer":
            self.store.append_turns(record.id, [before])

    def _resync(self, record: SessionRecord) -> None:
        """Make the turns table hold every turn of the checkpoint (after a crash, nothing is missing)."""
        transcript: builtins.list[TurnRecord] = self.runner.values(record.id).get("transcript", [])
        if transcript and (self.store.append_turns(record.id, transcript) or record.turn_count != len(transcript)):
            self.store.update_session(record.id, turn_count=len(transcript))

    def _sync(self, claim: TurnClaim, result: RunResult) -> str | None:
        """Store new turns and, once the call is over, the outcome and the grader's scorecard.

        While the call goes on, the new turns and the turn count are stored with the turn's release
        (:meth:`TurnClaim.stage_turns`: one statement per message on PostgreSQL). Returns a warning
        for the rep when grading failed (the call is stored and can be graded later).
        """
        record, new_turns = claim.record, result.new_turns
        if result.ended is None:
            if new_turns:
                claim.stage_turns(new_turns, new_turns[-1]["index"] + 1)
            return None
        if new_turns:
            self.store.append_turns(record.id, new_turns)
        claim.discard_staged()  # _close stores the whole transcript and its length
        return self._close(record, result.ended)

    def _close(self, record: SessionRecord, ended: EndedEvent) -> str | None:
        self._ready.pop(record.id, None)
        transcript: builtins.list[TurnRecord] = self.runner.values(record.id).get("transcript", [])
        self.store.append_turns(record.id, transcript)
        self.store.update_session(record.id, status="ended", outcome=ended["outcome"], turn_count=len(transcript))
        if self.on_session_end is None:
            return None
        current = self.store.get_session(record.id) or record
        try:
            card = self.on_session_end(current, transcript)
        except Exception as exc:  # a grader failure must not lose the call or hide the outcome
            log.exception("grading session %s failed", record.id)
            return f"The call is saved, but grading it failed ({type(exc).__name__}); run `sparring grade {record.id}`."
        if card is not None:
            self.store.update_session(record.id, scorecard=card, overall_score=float(card.get("overall", 0.0)))
        return None
