"""Test harness: no real model unless a test is marked ``embedded``; every data path in tmp."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.config import Settings
from simulator.llm import guard
from simulator.store.scratch import scratch_schema


@pytest.fixture(autouse=True)
def _isolated(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point every data path at a temporary directory and forbid real models (unless marked)."""
    monkeypatch.setenv("SPARRING_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", os.environ.get("HOME", str(tmp_path)))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SPARRING_DATABASE_URL", raising=False)
    monkeypatch.delenv("SPARRING_CONTENT_DIR", raising=False)
    if request.node.get_closest_marker("embedded") is None:
        monkeypatch.setenv("SPARRING_CACHE_DIR", str(tmp_path / "cache"))
        monkeypatch.setenv("SPARRING_LLM", "template")
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
        guard.allow_real_models(False)
    else:
        guard.allow_real_models(True)
    yield
    guard.allow_real_models(False)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with every path in tmp and the template backend."""
    return Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", llm="template")


@pytest.fixture(scope="session")
def embedded_model_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for tests marked ``embedded``: one model file per test run, never the user's data.

    Reuses the user's verified cached model read-only when present; otherwise assembles the parts
    once into a session temp dir (~5 s).
    """
    from simulator.llm.model_files import DEFAULT_MODEL_SHA256, default_model_target, is_verified

    cache = tmp_path_factory.mktemp("embedded-cache")
    user_model = default_model_target(Settings())
    model_path = user_model if is_verified(user_model, DEFAULT_MODEL_SHA256) else None
    return Settings(cache_dir=cache, data_dir=cache / "data", model_path=model_path, llm="embedded")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose connections use a fresh schema, dropped afterwards (marked ``postgres``)."""
    base = os.environ.get("SPARRING_TEST_DATABASE_URL")
    if not base:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(
                'CI is set but SPARRING_TEST_DATABASE_URL is not: run eval "$(.ci/postgres.sh)" first'
            )
        pytest.skip('SPARRING_TEST_DATABASE_URL not set (eval "$(.ci/postgres.sh)" to run PostgreSQL tests)')
    with scratch_schema(base, prefix="w") as url:
        yield url
