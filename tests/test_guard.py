"""The guard really stops real model calls in unit tests."""

from __future__ import annotations

import pytest

from simulator.config import Settings
from simulator.llm import guard


def test_guard_forbids_real_models_in_unit_tests() -> None:
    assert not guard.real_models_allowed()
    with pytest.raises(guard.RealModelCallForbidden):
        guard.ensure_real_models_allowed("test")


def test_embedded_backend_refuses_to_load_in_unit_tests(settings: Settings) -> None:
    from simulator.llm.base import ChatRequest, messages
    from simulator.llm.factory import create_llm

    llm = create_llm(settings.model_copy(update={"llm": "embedded"}))
    with pytest.raises(guard.RealModelCallForbidden):
        list(llm.stream_chat(ChatRequest(messages=messages(("user", "hi")))))
