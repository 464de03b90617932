"""The grader hook reads previous attempts through the practice service's store: no second engine."""

from __future__ import annotations

from typing import Any

import pytest

import simulator.store.db as store_db
from grading.service import scorecard_hook
from simulator.config import Settings
from simulator.llm.scripted import ScriptedLLM
from simulator.session import PracticeService


def _play_and_end(service: PracticeService) -> dict[str, Any]:
    sid = list(service.start("saas-discovery-ops"))[0]["session_id"]
    list(service.send(sid, "How does your team handle order exceptions today?"))
    list(service.end(sid))
    record = service.store.get_session(sid)
    assert record is not None and record.scorecard is not None
    return dict(record.scorecard)


def test_previous_attempt_is_found_without_opening_another_engine(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    times = iter(float(t) for t in range(1_000, 10_000, 10))
    hook = scorecard_hook(settings, llm=ScriptedLLM(fallback=lambda _r: "Fine."))
    with PracticeService.open(settings, llm=ScriptedLLM(fallback=lambda _r: "Fine."),
                              clock=lambda: next(times), on_session_end=hook) as service:
        opened: list[str] = []

        def refuse(url: str, *args: Any, **kwargs: Any) -> Any:
            opened.append(url)
            raise AssertionError("the grader opened a second database engine")

        monkeypatch.setattr(store_db, "create_db_engine", refuse)
        first = _play_and_end(service)
        second = _play_and_end(service)
    assert opened == []
    assert first.get("comparison") is None
    assert second["comparison"]["previous_overall"] == first["overall"]
