"""Item 6: the data folder is 0700 and databases, secrets and exports 0600; exports reach only
their creator, through an authorized route, once, and are deleted after download or expiry."""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

import pytest
from security_support import SecApp, find_fn
from webtest_support import PASSWORD

from simulator.config import Settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_folder_databases_and_secrets_are_private(sec: SecApp) -> None:
    data = sec.settings.data_dir
    assert _mode(data) == 0o700
    files = {p.name: _mode(p) for p in data.iterdir() if p.is_file()}
    assert {"sparring.db", "first-admin-password.txt"} <= set(files)
    assert all(mode == 0o600 for mode in files.values()), files
    for suffix in ("-wal", "-shm"):
        companion = data / f"sparring.db{suffix}"
        if companion.exists():
            assert _mode(companion) == 0o600


def test_the_app_makes_an_old_world_readable_data_folder_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An install from before this change: folder 0755, database and password file 0644."""
    from simulator.store.db import create_db_engine, init_schema
    from simulator.web import runtime
    from simulator.web.app import prepare

    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    engine = create_db_engine(f"sqlite:///{data / 'sparring.db'}")
    init_schema(engine)
    engine.dispose()
    (data / "sparring.db").chmod(0o644)
    (data / "first-admin-password.txt").write_text("username: admin\n")
    (data / "first-admin-password.txt").chmod(0o644)
    (data / "exports").mkdir(mode=0o755)
    (data / "exports" / "left-over.csv").write_text("username,name\n")
    (data / "exports" / "left-over.csv").chmod(0o644)
    old_umask = os.umask(0o022)
    runtime.close_service()
    try:
        web = prepare(Settings(data_dir=data, cache_dir=tmp_path / "cache", llm="template"))
        web.pool.close()
        assert _mode(data) == 0o700 and _mode(data / "exports") == 0o700
        assert _mode(data / "exports" / "left-over.csv") == 0o600
        assert {p.name: _mode(p) for p in data.iterdir() if p.is_file()} == dict.fromkeys(
            [p.name for p in data.iterdir() if p.is_file()], 0o600)
    finally:
        runtime.close_service()
        os.umask(old_umask)


def test_a_new_database_is_private_even_without_the_app(tmp_path: Path) -> None:
    from simulator.store.db import create_db_engine, init_schema

    engine = create_db_engine(f"sqlite:///{tmp_path / 'd' / 'sparring.db'}")
    old_umask = os.umask(0o022)  # a process that did not tighten its umask
    try:
        init_schema(engine)
        for name in ("sparring.db", "sparring.db-wal", "sparring.db-shm"):
            path = tmp_path / "d" / name
            if path.exists():
                assert _mode(path) == 0o600, name
    finally:
        os.umask(old_umask)
        engine.dispose()


def _export(sec: SecApp, manager_browser: object) -> str:
    browser = manager_browser
    config = browser.config()  # type: ignore[attr-defined]
    page = uuid.uuid4().hex[:10]
    load, tab = find_fn(config, "team", "select", tab=True)
    assert browser.call(load, [], tab, page)[0] == 200  # type: ignore[attr-defined]  # fills the team list
    fn, trigger = find_fn(config, "team-export")
    status, output = browser.call(fn, [sec.org.team_id], trigger, page)  # type: ignore[attr-defined]
    assert status == 200, output
    link = str(output["data"][0])
    assert "/exports/" in link and "file=" not in link  # never Gradio's shared file cache
    return link.split("/exports/", 1)[1].split(")", 1)[0]


def test_an_export_goes_to_its_creator_once(sec: SecApp) -> None:
    mia = sec.client("198.51.100.101").signed_in("mia", PASSWORD)
    export_id = _export(sec, mia)
    stored = list((sec.settings.data_dir / "exports").iterdir())
    assert stored and all(_mode(p) == 0o600 for p in stored) and _mode(stored[0].parent) == 0o700
    # another team's rep, a rep of the same team, an admin and nobody at all: not theirs
    for intruder in ("olga", "rita", "boss"):
        other = sec.client("198.51.100.102").signed_in(intruder, PASSWORD)
        assert other.http.get(f"/exports/{export_id}").status_code == 404
    assert sec.client("198.51.100.103").http.get(f"/exports/{export_id}").status_code == 401
    # the creator, once
    got = mia.http.get(f"/exports/{export_id}")
    assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
    assert got.text.startswith("username,") and got.headers["cache-control"] == "no-store"
    assert mia.http.get(f"/exports/{export_id}").status_code == 404
    assert not any((sec.settings.data_dir / "exports").iterdir())


def test_an_export_not_downloaded_in_time_is_deleted(sec: SecApp) -> None:
    mia = sec.client("198.51.100.104").signed_in("mia", PASSWORD)
    export_id = _export(sec, mia)
    assert any((sec.settings.data_dir / "exports").iterdir())
    sec.clock.advance(sec.settings.export_ttl_s + 1)
    mia = sec.client("198.51.100.104").signed_in("mia", PASSWORD)  # the old session may have idled out
    assert mia.http.get(f"/exports/{export_id}").status_code == 404
    assert not any((sec.settings.data_dir / "exports").iterdir())
