"""The web app's long-lived service: opened once on first use, closed at exit."""

from __future__ import annotations

import atexit
import contextlib
import threading

from simulator.config import Settings, load_settings
from simulator.services.practice import PracticeService

_lock = threading.Lock()
_stack: contextlib.ExitStack | None = None
_service: PracticeService | None = None


def get_service(settings: Settings | None = None) -> PracticeService:
    """The process-wide practice service (store, checkpointer, lazily loaded LLM)."""
    global _stack, _service
    with _lock:
        if _service is None:
            settings = settings or load_settings()
            stack = contextlib.ExitStack()
            hook = None
            with contextlib.suppress(ImportError):
                from grading.service import scorecard_hook

                hook = scorecard_hook(settings)
            _service = stack.enter_context(PracticeService.open(settings, on_session_end=hook))
            _stack = stack
            atexit.register(close_service)
        return _service


def set_service(service: PracticeService | None) -> None:
    """Use this service instead (tests)."""
    global _service
    with _lock:
        _service = service


def close_service() -> None:
    """Close the store and checkpointer."""
    global _stack, _service
    with _lock:
        if _stack is not None:
            _stack.close()
        _stack, _service = None, None
