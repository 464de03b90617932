"""The `sparring` command's conventions: --version, clear one-line errors, JSON output, commands."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from unittest.mock import ANY

import pytest
from rich.console import Console
from typer.testing import CliRunner

from simulator.cli import app
from simulator.config import Settings
from simulator.session import PracticeService
from simulator.terminal import converse

runner = CliRunner()


def _sparring(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed console script in a real process (what a user runs)."""
    return subprocess.run([sys.executable, "-c", "from simulator.cli import main; main()", *args],
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120)


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("sparring ")


def test_a_bad_setting_is_one_clear_line_not_a_validation_dump() -> None:
    done = _sparring("sessions", env={"SPARRING_LLM": "bogus"})
    assert done.returncode == 2
    assert "SPARRING_LLM='bogus'" in done.stderr and "'embedded'" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) <= 3


def test_an_unknown_difficulty_lists_the_valid_ones() -> None:
    done = _sparring("practice", "--scenario", "saas-discovery-ops", "--difficulty", "extreme")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "unknown difficulty 'extreme'" in done.stderr and "easy, medium, hard" in done.stderr


def test_sessions_as_json(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", llm="template")
    with PracticeService.open(settings) as service:
        sid = list(service.start("saas-discovery-ops"))[0]["session_id"]
    result = runner.invoke(app, ["sessions", "--json"], env={"SPARRING_DATA_DIR": str(settings.data_dir)})
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["id"], r["status"], r["turns"]) for r in rows] == [(sid, "active", 1)]


def test_a_mistyped_command_is_not_sent_to_the_buyer(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", llm="template")
    lines = iter(["/endd", "/end"])
    out = io.StringIO()
    with PracticeService.open(settings) as service:
        sid = list(service.start("saas-discovery-ops"))[0]["session_id"]
        ended = converse(service, sid, Console(file=out, width=200), lambda: next(lines), buyer_name="Raj")
        transcript = service.get(sid).transcript
    assert ended is not None and "Unknown command '/endd': nothing was sent." in out.getvalue()
    assert [t["speaker"] for t in transcript] == ["buyer"]


BAD_VALUES = [
    (("selfplay", "--scenario", "saas-discovery-ops", "--rep", "medium"),
     "Invalid value for '--rep': 'medium' is not one of 'strong', 'weak'."),
    (("selfplay", "--format", "xml"), "Invalid value for '--format': 'xml' is not one of 'text', 'json'."),
    (("sessions", "--format", "xml"), "Invalid value for '--format': 'xml' is not one of 'text', 'json'."),
    (("validate", "--format", "yaml"), "Invalid value for '--format': 'yaml' is not one of 'text', 'json'."),
    (("scenarios", "--format", "csv"), "Invalid value for '--format': 'csv' is not one of 'text', 'json'."),
    (("sessions", "--limit", "ten"), "Invalid value for '--limit': Input should be a valid integer"),
    (("sessions", "--limit", "0"), "Invalid value for '--limit': Input should be greater than or equal to 1"),
    (("serve", "--port", "70000"), "Invalid value for '--port': Input should be less than or equal to 65535"),
    (("selfplay", "--scenario", "saas-discovery-ops", "--difficulty", "extreme"),
     "unknown difficulty 'extreme'; valid difficulties: easy, medium, hard"),
    (("user", "add", "bob", "--role", "boss"),
     "Invalid value for '--role': 'boss' is not one of 'rep', 'manager', 'admin'."),
    (("sessions", "--fromat", "json"), "No such option: --fromat (Possible options: --format)"),
]


def test_every_bad_option_value_is_one_line_naming_the_valid_values_and_exit_code_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the console script's main() (in this process: one subprocess each would take 15 s)."""
    from simulator.cli import main

    for args, expected in BAD_VALUES:
        monkeypatch.setattr(sys, "argv", ["sparring", *args])
        with pytest.raises(SystemExit) as stopped:
            main()
        out, errors = capsys.readouterr()
        assert stopped.value.code == 2, (args, errors)
        assert errors.count("\n") == 1 and errors.startswith(f"error: {expected}"), (args, errors)
        assert out == "", (args, out)
    done = _sparring(*BAD_VALUES[0][0])  # and once in a real process
    assert done.returncode == 2 and done.stderr == f"error: {BAD_VALUES[0][1]}\n"


def test_sessions_format_json_and_the_json_alias(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", llm="template")
    with PracticeService.open(settings) as service:
        sid = list(service.start("saas-discovery-ops"))[0]["session_id"]
    env = {"SPARRING_DATA_DIR": str(settings.data_dir)}
    by_format = runner.invoke(app, ["sessions", "--format", "json"], env=env)
    by_alias = runner.invoke(app, ["sessions", "--json"], env=env)
    assert by_format.exit_code == 0 and json.loads(by_format.stdout) == json.loads(by_alias.stdout)
    assert json.loads(by_format.stdout)[0]["id"] == sid
    text = runner.invoke(app, ["sessions", "--format", "text"], env=env)
    assert text.exit_code == 0 and sid in text.stdout


def test_scenarios_format_json_matches_the_json_alias() -> None:
    by_format = runner.invoke(app, ["scenarios", "--format", "json"])
    by_alias = runner.invoke(app, ["scenarios", "--json"])
    assert by_format.exit_code == 0 and json.loads(by_format.stdout) == json.loads(by_alias.stdout)
    assert "saas-discovery-ops" in {s["id"] for s in json.loads(by_format.stdout)}


def test_selfplay_format_json_is_one_record() -> None:
    result = runner.invoke(app, ["selfplay", "--scenario", "saas-discovery-ops", "--rep", "weak", "--format", "json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert (record["scenario_id"], record["persona_id"], record["rep"], record["difficulty"]) == (
        "saas-discovery-ops", "raj-ops", "weak", "medium")
    assert record["success"] is False and record["outcome"]["missed"]
    assert record["transcript"][0]["speaker"] == "buyer"
    assert record["rep_turns"] == sum(1 for t in record["transcript"] if t["speaker"] == "rep")


def test_selfplay_matrix_format_json(monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator.engine import selfplay_report

    monkeypatch.setattr(selfplay_report, "matrix", lambda library: [
        selfplay_report.run_selfplay("saas-discovery-ops", rep, "easy", library=library) for rep in ("strong", "weak")])
    result = runner.invoke(app, ["selfplay", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"scenario_id": "saas-discovery-ops", "ok": True, "runs": [
        {"rep": "strong", "difficulty": "easy", "success": True, "rep_turns": ANY},
        {"rep": "weak", "difficulty": "easy", "success": False, "rep_turns": ANY}]}]


def test_validate_format_json(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["validate", "--format", "json"])
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.stdout)
    assert report["ok"] is True and report["problems"] == [] and report["scenarios"] >= 9
    broken = tmp_path / "content"
    (broken / "scenarios").mkdir(parents=True)
    (broken / "personas").mkdir()
    (broken / "scenarios" / "bad.yaml").write_text("id: bad\ntitle: [unclosed\n")
    bad = runner.invoke(app, ["validate", str(broken), "--format", "json"])
    assert bad.exit_code == 1
    report = json.loads(bad.stdout)
    assert report["ok"] is False and report["problems"] and any("bad.yaml" in p for p in report["problems"])
