"""A switch that forbids real model calls (embedded weights or a network LLM server).

Tests turn it off for everything not marked ``embedded``; backends call
:func:`ensure_real_models_allowed` before loading weights or sending a request, so an accidental
real-model call in a unit test fails loudly instead of silently taking minutes or using the network.
"""

from __future__ import annotations

_allowed = True


class RealModelCallForbidden(RuntimeError):
    """Raised when code tries to reach a real model while the guard forbids it."""


def allow_real_models(allowed: bool) -> None:
    """Turn real model calls on or off for this process."""
    global _allowed
    _allowed = allowed


def real_models_allowed() -> bool:
    """Whether real model calls are currently allowed."""
    return _allowed


def ensure_real_models_allowed(what: str) -> None:
    """Raise :class:`RealModelCallForbidden` when real model calls are forbidden."""
    if not _allowed:
        raise RealModelCallForbidden(
            f"{what}: real model calls are forbidden here (tests use ScriptedLLM or the template "
            "backend; mark a test @pytest.mark.embedded to use the embedded model)"
        )
