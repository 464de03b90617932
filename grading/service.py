"""Grade every practice session when it ends (the practice service's ``on_session_end`` hook)."""

from __future__ import annotations

import logging
from typing import Any

from grading.grader import GradeOptions, grade_session
from grading.judge import judge_settings
from grading.sources import SessionSource, previous_scorecard
from simulator.config import Settings
from simulator.content.loader import ContentLibrary, load_library
from simulator.engine.state import TurnRecord
from simulator.llm.base import LLM

log = logging.getLogger(__name__)


class ScorecardHook:
    """Callable ``(session_record, transcript) -> scorecard dict``; builds nothing until first used."""

    def __init__(
        self,
        settings: Settings,
        *,
        llm: LLM | None = None,
        library: ContentLibrary | None = None,
        store: SessionSource | None = None,
    ) -> None:
        self._settings = settings
        self._llm = llm
        self._library = library
        self._store = store

    def use_library(self, library: ContentLibrary) -> None:
        """Grade against this library (the practice service's, which also holds the teams' drills)."""
        self._library = library

    def use_store(self, store: SessionSource) -> None:
        """Find previous attempts in this store (the practice service's), instead of opening a second
        database engine with its own connection pool in the same process."""
        self._store = store

    def _lib(self) -> ContentLibrary:
        if self._library is None:
            extra = [self._settings.content_dir] if self._settings.content_dir else []
            self._library = load_library(extra)
        return self._library

    def _model(self) -> LLM:
        if self._llm is None:
            from simulator.llm.factory import create_llm

            self._llm = create_llm(self._settings)
        return self._llm

    def _previous(self, record: Any) -> dict[str, Any] | None:
        if self._store is None:
            try:
                from simulator.store.db import create_db_engine
                from simulator.store.sessions import SessionStore

                self._store = SessionStore(create_db_engine(self._settings.resolved_database_url))
            except Exception:
                log.warning("grader: cannot open the store to find the previous attempt", exc_info=True)
                return None
        return previous_scorecard(self._store, record)

    def __call__(self, record: Any, transcript: list[TurnRecord]) -> dict[str, Any] | None:
        try:
            library = self._lib()
            card = grade_session(
                transcript,
                scenario=library.scenario(record.scenario_id),
                persona=library.persona(record.persona_id),
                outcome=record.outcome,
                llm=self._model(),
                previous=self._previous(record),
                library=library,
                options=GradeOptions(
                    judge=judge_settings(self._settings), difficulty=record.difficulty, rep_speaker="rep"
                ),
            )
        except Exception:
            # A grading failure must not break the end of a practice session; it is logged loudly.
            log.exception("grader: could not grade session %s", getattr(record, "id", "?"))
            return None
        return card.model_dump(mode="json")


def scorecard_hook(settings: Settings, **kwargs: Any) -> ScorecardHook:
    """The hook ``PracticeService.open(settings, on_session_end=...)`` takes."""
    return ScorecardHook(settings, **kwargs)
