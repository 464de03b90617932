"""Item 7: a store created before must be there; a missing one is refused, never silently replaced
by an empty store with a new first admin."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.config import Settings
from simulator.session import PracticeService
from simulator.store.db import create_db_engine, init_schema
from simulator.store.marker import StoreMissingError


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", llm="template")


def _create(settings: Settings) -> None:
    with PracticeService.open(settings):
        pass


def _delete_db(data: Path) -> None:
    for name in ("sparring.db", "sparring.db-wal", "sparring.db-shm"):
        (data / name).unlink(missing_ok=True)


def test_a_deleted_database_is_refused_with_the_path_and_the_way_out(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    _create(settings)
    markers = [settings.data_dir / ".sparring.db.store-marker", *(tmp_path / ".sparring-stores").iterdir()]
    assert all(m.exists() for m in markers) and len(markers) == 2
    _delete_db(settings.data_dir)
    with pytest.raises(StoreMissingError) as info:
        _create(settings)
    message = str(info.value)
    assert str(settings.data_dir / "sparring.db") in message and "rm '" in message and "backup" in message
    assert not (settings.data_dir / "sparring.db").exists() or (settings.data_dir / "sparring.db").stat().st_size == 0


def test_a_deleted_data_folder_is_refused_too(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    _create(settings)
    shutil.rmtree(settings.data_dir)
    with pytest.raises(StoreMissingError, match="missing"):
        _create(settings)


def test_the_web_app_does_not_start_and_creates_no_admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator.cli import app
    from simulator.web import runtime

    settings = _settings(tmp_path)
    _create(settings)
    _delete_db(settings.data_dir)
    monkeypatch.setenv("SPARRING_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SPARRING_CACHE_DIR", str(settings.cache_dir))
    monkeypatch.setenv("SPARRING_LLM", "template")
    runtime.close_service()
    result = CliRunner().invoke(app, ["serve", "--port", "1"])
    runtime.close_service()
    assert result.exit_code != 0 and isinstance(result.exception, StoreMissingError)
    assert not (settings.data_dir / "first-admin-password.txt").exists()
    listing = CliRunner().invoke(app, ["user", "list"])
    assert listing.exit_code != 0


def test_starting_afresh_on_purpose_works_once_the_markers_are_gone(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    _create(settings)
    _delete_db(settings.data_dir)
    with pytest.raises(StoreMissingError) as info:
        _create(settings)
    for quoted in str(info.value).split("rm ", 1)[1].split():
        Path(quoted.strip("'")).unlink()
    _create(settings)  # a deliberate fresh start


def test_another_store_in_its_place_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    _create(settings)
    other = tmp_path / "other"
    _create(Settings(data_dir=other, cache_dir=tmp_path / "cache", llm="template"))
    _delete_db(settings.data_dir)
    shutil.copy(other / "sparring.db", settings.data_dir / "sparring.db")
    with pytest.raises(StoreMissingError, match="replaced"):
        _create(settings)


def test_restoring_the_same_store_from_a_backup_is_accepted(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    _create(settings)
    backup = tmp_path / "backup.db"
    with sqlite3.connect(settings.data_dir / "sparring.db") as src, sqlite3.connect(backup) as dst:
        src.backup(dst)
    _delete_db(settings.data_dir)
    shutil.copy(backup, settings.data_dir / "sparring.db")
    _create(settings)


def test_in_memory_stores_need_no_marker() -> None:
    engine = create_db_engine("sqlite://")
    assert init_schema(engine) >= 1
    engine.dispose()
