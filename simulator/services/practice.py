"""The practice service: start, converse, end, resume and list sessions.

The one layer the CLI, the web app, self-play and the tests all use. It owns the compiled graph,
the checkpointer, the store and the (lazily created) LLM; handlers above it stay thin.
Every call streams :data:`Event` dicts: ``session``, ``token``, ``reset``, ``line``, ``turn``,
``retry``, ``warning``, ``ended``. ``token`` texts are checked sentences of the buyer's line; ``reset``
means "clear the buyer's bubble" (a retry or a replacement follows); ``line`` is the final text.
"""

from __future__ import annotations

import builtins
import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command

from simulator.config import Settings
from simulator.content.loader import ContentLibrary, load_library
from simulator.content.models import Difficulty, Scenario
from simulator.engine.actor import VoiceConfig
from simulator.engine.context import SessionContext
from simulator.engine.graph import build_graph
from simulator.engine.speech import normalise_speech
from simulator.engine.state import BuyerState, Outcome, TurnRecord
from simulator.errors import InvalidMessageError, SessionStateError, UnknownIdError
from simulator.llm.base import LLM, GenerationOptions, model_name_of
from simulator.store.checkpoints import open_checkpointer
from simulator.store.db import create_db_engine, init_schema
from simulator.store.sessions import SessionRecord, SessionStore

Event = dict[str, Any]
DIFFICULTIES: tuple[Difficulty, ...] = ("easy", "medium", "hard")
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
        self._graph = build_graph(checkpointer)
        self._locks: dict[str, threading.Lock] = {}
        self._ready: dict[str, bool] = {}
        self._locks_guard = threading.Lock()
        self.on_session_end = on_session_end
        self.durability: Any = "sync"
        """LangGraph durability: 'sync' writes each step's checkpoint before the next step runs."""

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
        user_id: str | None = None,
    ) -> Iterator[Event]:
        """Create a session and stream the buyer's opening line. The first event names the session."""
        scenario = self.library.scenario(scenario_id)
        persona_id = persona_id or scenario.persona
        self.library.persona(persona_id)
        if persona_id not in scenario.persona_ids():
            raise UnknownIdError(f"persona for scenario {scenario_id}", persona_id, scenario.persona_ids())
        if difficulty not in DIFFICULTIES:
            raise UnknownIdError("difficulty", difficulty, DIFFICULTIES)
        session_id = uuid.uuid4().hex[:12]
        record = self.store.create_session(
            scenario_id=scenario_id, persona_id=persona_id, difficulty=difficulty, user_id=user_id,
            session_id=session_id, llm=model_name_of(self.llm),
        )
        yield {"type": "session", "session_id": record.id}
        with self._session_lock(record.id):
            yield from self._run(record, {"session_id": record.id})

    def send(
        self, session_id: str, text: str, *, user_id: str | None = None, speech: dict[str, Any] | None = None
    ) -> Iterator[Event]:
        """Send the rep's message and stream the buyer's reply.

        ``speech`` (voice practice) carries the rep's word timings, recording length, the pause
        before speaking and how long the buyer's last line played; see :mod:`simulator.engine.speech`.
        It is stored on the rep's turn record (``speech_s``, ``delivery``) for the delivery metrics.
        """
        text = self.validate_message(text)
        checked = normalise_speech(speech)
        record = self._owned(session_id, user_id)
        resume: dict[str, Any] = {"text": text} if checked is None else {"text": text, "speech": checked}
        with self._session_lock(session_id):
            if not (yield from self._ready_for_rep(record)):
                raise SessionStateError(f"session {session_id} has ended; start a new one to practise again")
            yield from self._run(record, Command(resume=resume))

    def end(self, session_id: str, *, user_id: str | None = None) -> Iterator[Event]:
        """The rep ends the call: the outcome is judged and the session closed."""
        record = self._owned(session_id, user_id)
        with self._session_lock(session_id):
            if (yield from self._ready_for_rep(record)):
                yield from self._run(record, Command(resume={"end": True}))

    def resume(self, session_id: str, *, user_id: str | None = None) -> Iterator[Event]:
        """Finish whatever a crashed process left half-done (e.g. the buyer's line) and re-sync the store."""
        record = self._owned(session_id, user_id)
        with self._session_lock(session_id):
            yield from self._ready_for_rep(record)
            values = self._values(record.id)
            transcript: builtins.list[TurnRecord] = values.get("transcript", [])
            self.store.append_turns(record.id, transcript)
            if values.get("outcome") is not None:
                self._sync(record, [], {"type": "ended", "outcome": values["outcome"]})
            elif transcript:
                self.store.update_session(record.id, turn_count=len(transcript))

    def get(self, session_id: str, *, user_id: str | None = None) -> SessionView:
        """The session's transcript, buyer state and outcome."""
        record = self._owned(session_id, user_id)
        values = self._values(record.id)
        return SessionView(
            record=self.store.get_session(record.id) or record,
            transcript=list(values.get("transcript", [])) or self.store.get_turns(record.id),
            buyer=values.get("buyer"),
            outcome=values.get("outcome"),
            waiting_for_rep=self._waiting_for_rep(record),
        )

    def list(self, *, user_id: str | None = None, limit: int = 50) -> list[SessionRecord]:
        """Sessions, newest first (only this user's when a user is given)."""
        return self.store.list_sessions(user_id=user_id, limit=limit)

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

    def _owned(self, session_id: str, user_id: str | None) -> SessionRecord:
        record = self.store.get_session(session_id)
        if record is None or (user_id is not None and record.user_id not in (None, user_id)):
            raise SessionStateError(f"no practice session with id {session_id!r}")
        return record

    @contextlib.contextmanager
    def _session_lock(self, session_id: str) -> Iterator[None]:
        with self._locks_guard:
            lock = self._locks.setdefault(session_id, threading.Lock())
        if not lock.acquire(blocking=False):
            raise SessionStateError("the buyer is still answering your last message; wait for the reply")
        try:
            yield
        finally:
            lock.release()

    def _config(self, session_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": session_id}}

    def _context(self, record: SessionRecord) -> SessionContext:
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
            voice=VoiceConfig(mode=s.voice_mode, deadline_s=s.reply_deadline_s, prefill=s.prefill),
        )

    def _values(self, session_id: str) -> dict[str, Any]:
        return dict(self._graph.get_state(self._config(session_id)).values)  # type: ignore[arg-type]

    def _waiting_for_rep(self, record: SessionRecord) -> bool:
        snapshot = self._graph.get_state(self._config(record.id))  # type: ignore[arg-type]
        return tuple(snapshot.next) == ("rep_turn",)

    def _ready_for_rep(self, record: SessionRecord) -> Generator[Event, None, bool]:
        """Finish a buyer reply a crashed process left half-done; return whether the rep may speak.

        A generator that returns a value: use ``ready = yield from self._ready_for_rep(record)``.
        After a run in this process, the answer is remembered (the store's status guards against
        another process having ended the call), which saves reading the checkpoint on every turn.
        """
        if record.status != "active":
            return False
        if self._ready.get(record.id):
            return True
        snapshot = self._graph.get_state(self._config(record.id))  # type: ignore[arg-type]
        nxt = tuple(snapshot.next)
        if nxt and nxt != ("rep_turn",):
            yield {"type": "warning", "text": "Finishing the buyer's last reply, which was interrupted."}
            return (yield from self._run(record, None))
        return nxt == ("rep_turn",)

    def _run(self, record: SessionRecord, graph_input: Any) -> Generator[Event, None, bool]:
        """Stream one graph run and store the turns it produced. Returns whether the rep may speak next."""
        config = self._config(record.id)
        ctx = self._context(record)
        new_turns: builtins.list[TurnRecord] = []
        ended: Event | None = None
        self._ready.pop(record.id, None)
        completed = False
        try:
            stream = self._graph.stream(graph_input, config, context=ctx,  # type: ignore[call-overload]
                                        stream_mode="custom", durability=self.durability)
            for chunk in stream:
                if chunk["type"] == "turn":
                    new_turns.append(chunk["record"])
                elif chunk["type"] == "ended":
                    ended = chunk
                yield chunk
            completed = True
        finally:
            self._sync(record, new_turns, ended)
        ready = completed and ended is None
        if ready:
            self._ready[record.id] = True
        return ready

    def _sync(self, record: SessionRecord, new_turns: builtins.list[TurnRecord], ended: Event | None) -> None:
        """Store new turns and, once the call is over, the outcome (and the grader's scorecard)."""
        if new_turns:
            self.store.append_turns(record.id, new_turns)
        if ended is None:
            if new_turns:
                self.store.update_session(record.id, turn_count=new_turns[-1]["index"] + 1)
            return
        self._ready.pop(record.id, None)
        transcript: builtins.list[TurnRecord] = self._values(record.id).get("transcript", [])
        self.store.append_turns(record.id, transcript)
        current = self.store.get_session(record.id)
        if current is None or current.status == "ended":
            return
        self.store.update_session(record.id, status="ended", outcome=ended["outcome"], turn_count=len(transcript))
        if self.on_session_end is not None:
            card = self.on_session_end(self.store.get_session(record.id) or current, transcript)
            if card is not None:
                self.store.update_session(record.id, scorecard=card, overall_score=float(card.get("overall", 0.0)))
