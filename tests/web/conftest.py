"""Fixtures for the web app: services over a temp store with the scripted fake LLM, users, a live app."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from webtest_support import (
    CHROMIUM,
    PASSWORD,
    XSS_NAME,
    Clock,
    LiveApp,
    Org,
    browser_missing,
    echo_gist,
    free_port,
    grader_hook,
    make_org,
)

from simulator.config import Settings
from simulator.llm.scripted import ScriptedLLM
from simulator.services.app_services import AppServices
from simulator.services.passwords import Passwords, fast_hasher
from simulator.session import PracticeService
from simulator.store import SessionStore, create_db_engine, init_schema, open_checkpointer


@pytest.fixture
def clock() -> Clock:
    return Clock(1_790_000_000.0)  # 2026-09-21


@pytest.fixture
def services(settings: Settings, clock: Clock) -> Iterator[AppServices]:
    """All app services over a temp SQLite store, the scripted LLM and the real grader (rules only).

    Every timestamp (sessions, turns, accounts) comes from the test's settable clock.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.resolved_database_url)
    init_schema(engine)
    try:
        with open_checkpointer(settings) as checkpointer:
            practice = PracticeService(
                settings,
                store=SessionStore(engine, clock=clock),
                checkpointer=checkpointer,
                llm=ScriptedLLM(fallback=echo_gist),
                clock=clock,
                on_session_end=grader_hook(settings),
            )
            yield AppServices.build(practice, passwords=Passwords(fast_hasher()), clock=clock)
    finally:
        engine.dispose()


@pytest.fixture
def org(services: AppServices) -> Org:
    return make_org(services)


# ---------------------------------------------------------------------------------------- browser


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests: skip locally with a reason when chromium/playwright is missing; in CI, fail."""
    reason = browser_missing()
    if reason is None or os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """Serve the app (scripted fake LLM, isolated data dir, real sign-in) for the whole session."""
    from simulator.llm import guard
    from simulator.web.app import build_demo
    from simulator.web.server import build_web_app, start_background

    guard.allow_real_models(False)
    root = tmp_path_factory.mktemp("live")
    settings = Settings(data_dir=root / "data", cache_dir=root / "cache", llm="template")
    with PracticeService.open(
        settings, llm=ScriptedLLM(fallback=echo_gist), on_session_end=grader_hook(settings)
    ) as practice:
        services = AppServices.build(practice, passwords=Passwords(fast_hasher()))
        first = services.accounts.ensure_first_admin(settings.data_dir)
        assert first is not None
        org = make_org(services)
        eve, _ = services.accounts.create_user("eve", password=PASSWORD, display_name=XSS_NAME)
        services.teams.add_member(org.admin, org.team_id, eve.id)
        cohort = services.cohorts.create_cohort(org.admin, "November starters")
        for member in (org.rep, org.rep2):
            services.cohorts.add_member(org.admin, cohort.id, member.id)
        demo = build_demo(services, data_dir=settings.data_dir)
        demo.queue(default_concurrency_limit=16)
        server = start_background(build_web_app(services, demo, data_dir=settings.data_dir), port=free_port())
        try:
            yield LiveApp(server.url, services, org, first.password)
        finally:
            server.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium, headless, never a downloaded browser."""
    return {
        **browser_type_launch_args,
        "executable_path": shutil.which("chromium") or CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def base_url(live_app: LiveApp) -> str:
    return live_app.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], base_url: str) -> dict[str, Any]:
    """This folder's app URL for every page: pytest-playwright caches its context arguments for the
    whole session, so without this the first folder's app URL would leak into the other's tests."""
    return {**browser_context_args, "base_url": base_url}
