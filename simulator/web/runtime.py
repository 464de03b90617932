"""The web app's long-lived services: opened once on first use, closed at exit."""

from __future__ import annotations

import atexit
import contextlib
import threading

from simulator.config import Settings, load_settings
from simulator.services.app_services import AppServices
from simulator.session import PracticeService
from simulator.store.db import init_schema

_lock = threading.RLock()
_stack: contextlib.ExitStack | None = None
_service: PracticeService | None = None
_app: AppServices | None = None


def get_service(settings: Settings | None = None) -> PracticeService:
    """The process-wide practice service (store, checkpointer, lazily loaded LLM and grader)."""
    global _stack, _service
    with _lock:
        if _service is None:
            settings = settings or load_settings()
            stack = contextlib.ExitStack()
            hook = None
            with contextlib.suppress(ImportError):
                from grading.service import scorecard_hook

                hook = scorecard_hook(settings)
            try:
                _service = stack.enter_context(PracticeService.open(settings, on_session_end=hook))
                if _service.store.engine.dialect.name != "sqlite":  # PostgreSQL: its marker lives in data_dir
                    init_schema(_service.store.engine, marker_dir=settings.data_dir)
            except BaseException:
                stack.close()
                _service = None
                raise
            _stack = stack
            atexit.register(close_service)
        return _service


def get_app_services(settings: Settings | None = None) -> AppServices:
    """Accounts, teams, cohorts, assignments, dashboards and hints over the practice service."""
    global _app
    with _lock:
        if _app is None:
            _app = AppServices.build(get_service(settings))
        return _app


def set_service(service: PracticeService | None) -> None:
    """Use this practice service instead (tests); the app services are rebuilt over it."""
    global _service, _app
    with _lock:
        _service, _app = service, None


def set_app_services(services: AppServices | None) -> None:
    """Use these services instead (tests): also sets the practice service."""
    global _service, _app
    with _lock:
        _app = services
        _service = services.practice if services is not None else None


def close_service() -> None:
    """Close the store and checkpointer."""
    global _stack, _service, _app
    with _lock:
        if _stack is not None:
            _stack.close()
        _stack, _service, _app = None, None, None
