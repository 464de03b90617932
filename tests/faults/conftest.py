"""Fixtures for the fault tests: a real local OpenAI-compatible server that misbehaves on request.

``fake_openai`` is a started :class:`fake_openai_server.FakeOpenAIServer`; ``fake_llm`` is an
``OpenAICompatLLM`` pointed at it; ``fake_settings`` are openai-backend settings pointed at it with every
data path in tmp. The backend checks the real-model guard before each request, and the fake server is
reached over real HTTP, so these fixtures allow it for the test (``allow_fake_model``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAIServer, running_fake_openai, settings_for

from simulator.config import Settings
from simulator.llm import guard
from simulator.llm.openai_compat import OpenAICompatLLM


@pytest.fixture
def allow_fake_model() -> Iterator[None]:
    """Let the openai backend send requests (to the fake server only: no key, no other base URL)."""
    before = guard.real_models_allowed()
    guard.allow_real_models(True)
    yield
    guard.allow_real_models(before)


@pytest.fixture
def fake_openai(allow_fake_model: None) -> Iterator[FakeOpenAIServer]:
    """A running fake server (normal behaviour until a test switches it)."""
    with running_fake_openai() as server:
        yield server


@pytest.fixture
def fake_settings(fake_openai: FakeOpenAIServer, tmp_path: Path) -> Settings:
    """Settings for the openai backend at the fake server; every data path in tmp."""
    return settings_for(fake_openai, tmp_path)


@pytest.fixture
def fake_llm(fake_settings: Settings) -> OpenAICompatLLM:
    """The real openai backend, talking to the fake server (client built: the import is not timed)."""
    llm = OpenAICompatLLM(fake_settings)
    llm._prepare()
    return llm
