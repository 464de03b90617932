"""Shared fixtures for the buyer-voice tests (fakes live in voice_fakes.py)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def events() -> list[dict[str, Any]]:
    """The events a voice_line call emitted, in order."""
    return []
