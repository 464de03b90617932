"""A live app over real HTTP for the security suite: temp store, scripted LLM, a settable clock.

One server for the session (building the Gradio UI takes seconds); each test makes its own users
(:func:`SecApp.user`) so that password changes, disabled accounts and throttles do not leak between
tests, and the attempt log is emptied before each test. 127.0.0.1 is a trusted proxy, so a test
picks its client IP with ``X-Forwarded-For`` (tests of untrusted peers switch that off).
"""

from __future__ import annotations

import itertools
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))

from security_support import SecApp
from webtest_support import CHROMIUM, PASSWORD, Clock, echo_gist, grader_hook, make_org

from simulator.config import Settings
from simulator.llm.scripted import ScriptedLLM
from simulator.services.app_services import AppServices
from simulator.services.passwords import Passwords, fast_hasher
from simulator.session import PracticeService
from simulator.store.schema import sign_in_attempts
from simulator.web.security import SecurityConfig

TRUSTED = SecurityConfig.from_settings(Settings(trusted_proxies="127.0.0.1/32")).trusted_proxies


@pytest.fixture(scope="session")
def sec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecApp]:
    from simulator.llm import guard
    from simulator.web.app import build_demo
    from simulator.web.server import build_web_app, secure_data_dir, start_background

    guard.allow_real_models(False)
    root = tmp_path_factory.mktemp("security")
    settings = Settings(data_dir=root / "data", cache_dir=root / "cache", llm="template")
    clock = Clock(1_790_000_000.0)
    secure_data_dir(settings.data_dir)
    with PracticeService.open(
        settings, llm=ScriptedLLM(fallback=echo_gist), on_session_end=grader_hook(settings), clock=clock
    ) as practice:
        services = AppServices.build(practice, passwords=Passwords(fast_hasher()), clock=clock)
        first = services.accounts.ensure_first_admin(settings.data_dir)
        assert first is not None
        org = make_org(services)
        demo = build_demo(services)
        demo.queue(default_concurrency_limit=16)
        web = build_web_app(
            services, demo, data_dir=settings.data_dir, config=SecurityConfig(trusted_proxies=TRUSTED)
        )
        server = start_background(web)
        try:
            yield SecApp(server.url, services, org, clock, web, settings, first.password, itertools.count(1))
        finally:
            server.close()


@pytest.fixture(autouse=True)
def _fresh_attempts(request: pytest.FixtureRequest) -> None:
    """An empty attempt log and no sign-in pause (the pause has its own test)."""
    if "sec" not in request.fixturenames:
        return
    app: SecApp = request.getfixturevalue("sec")
    with app.services.practice.store.engine.begin() as conn:
        conn.execute(delete(sign_in_attempts))
    app.web.config.trusted_proxies = TRUSTED


@pytest.fixture
def no_pause(sec: SecApp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sec.services.accounts.guard, "pause", lambda failures: 0.0)


# ---------------------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium, headless, never a downloaded browser."""
    return {
        **browser_type_launch_args,
        "executable_path": shutil.which("chromium") or CHROMIUM,
        "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
    }


@pytest.fixture(scope="session")
def base_url(sec: SecApp) -> str:
    return sec.url


__all__ = ["PASSWORD"]


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], base_url: str) -> dict[str, Any]:
    """This folder's app URL for every page: pytest-playwright caches its context arguments for the
    whole session, so without this the first folder's app URL would leak into the other's tests."""
    return {**browser_context_args, "base_url": base_url}
