"""The injection suite's shared embedded-model service."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.config import Settings
from simulator.session import PracticeService


@pytest.fixture(scope="module")
def embedded_service(embedded_model_settings: Settings) -> Iterator[PracticeService]:
    """One practice service on the real embedded model for a whole module (the model itself is loaded once
    per process and shared). No background prefill: every attack starts a new session, so a prefilled next
    turn would only compete for the two cores."""
    from simulator.llm.embedded import EmbeddedLLM

    settings = embedded_model_settings.model_copy(update={"prefill": False})
    with PracticeService.open(settings, llm=EmbeddedLLM(settings)) as svc:
        yield svc
