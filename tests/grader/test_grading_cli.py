"""`sparring grade`: files, session ids, speakers, formats and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from grader_fakes import FakeRecord, FakeStore
from typer.testing import CliRunner

from grading import cli
from grading.errors import RepSpeakerError
from grading.service import scorecard_hook
from simulator.config import Settings
from simulator.content.loader import ContentLibrary
from simulator.errors import SparringError
from simulator.llm.template import TemplateLLM

CALL_TEXT = (
    "Alex: Hi Dana, how are you?\nDana: Fine. What's this about?\nAlex: Routing. How do you plan routes?\n"
)


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("grade")(cli.grade)
    app.command("noop")(lambda: None)  # two commands, so 'grade' is a subcommand as in the real CLI
    return app


@pytest.fixture
def call_file(tmp_path: Path) -> Path:
    path = tmp_path / "call.txt"
    path.write_text(CALL_TEXT, encoding="utf-8")
    return path


def test_grade_a_file_as_json_and_markdown(call_file: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(_app(), ["grade", str(call_file), "--rep", "Alex"])
    assert result.exit_code == 0, result.output
    card = json.loads(result.stdout)
    assert card["rep_speaker"] == "Alex" and 0 <= card["overall"] <= 100
    md = runner.invoke(_app(), ["grade", str(call_file), "--rep", "alex", "--format", "md"])
    assert md.exit_code == 0 and md.stdout.startswith("# Scorecard")


def test_output_file(call_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "card.json"
    result = CliRunner().invoke(_app(), ["grade", str(call_file), "--rep", "Alex", "-o", str(out)])
    assert result.exit_code == 0 and json.loads(out.read_text(encoding="utf-8"))["kind"] == "transcript"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rep", "Bob"], "speakers: Alex, Dana"),
        ([], "pass --rep with one of: Alex, Dana"),
    ],
)
def test_speaker_errors_exit_2_naming_the_speakers(call_file: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(_app(), ["grade", str(call_file), *args])
    assert result.exit_code == 2 and message in result.stderr


def test_bad_files_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    (tmp_path / "bin.txt").write_bytes(b"Alex: caf\xe9\nDana: ok\n")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "big.txt").write_text("Alex: " + "x" * (1_048_576 + 1), encoding="utf-8")
    for name, message in (("bin.txt", "not UTF-8"), ("empty.txt", "empty transcript"), ("big.txt", "limit")):
        result = runner.invoke(_app(), ["grade", str(tmp_path / name), "--rep", "Alex"])
        assert result.exit_code == 2 and message in result.stderr, name
    result = runner.invoke(_app(), ["grade", "no-such-session-or-file"])
    assert result.exit_code == 2 and "no such transcript file or practice session" in result.stderr


def test_interactive_choice_of_rep(call_file: Path, library: ContentLibrary, settings: Settings) -> None:
    asked: list[list[str]] = []

    def ask(speakers: list[str]) -> str:
        asked.append(speakers)
        return "Alex"

    text = cli.run_grade(str(call_file), settings=settings, library=library, llm=TemplateLLM(), ask=ask)
    assert asked == [["Alex", "Dana"]] and json.loads(text)["rep_speaker"] == "Alex"
    with pytest.raises(RepSpeakerError):
        cli.run_grade(str(call_file), settings=settings, library=library, llm=TemplateLLM(), ask=None)


def test_grade_a_practice_session_by_id_with_the_previous_attempt(
    library: ContentLibrary, settings: Settings, played: Any
) -> None:
    weak, strong = played("discovery_mixed"), played("discovery_strong")
    store = FakeStore()
    old = FakeRecord("s1", "saas-discovery-ops", "raj-ops", created_at=1.0, outcome=weak.outcome)
    old.scorecard = json.loads(
        cli.run_grade(
            "s1",
            settings=settings,
            library=library,
            llm=TemplateLLM(),
            store=FakeStore({"s1": old}, {"s1": weak.transcript}),
        )
    )
    store.sessions = {
        "s1": old,
        "s2": FakeRecord("s2", "saas-discovery-ops", "raj-ops", created_at=2.0, outcome=strong.outcome),
    }
    store.turns = {"s1": weak.transcript, "s2": strong.transcript}
    card = json.loads(cli.run_grade("s2", settings=settings, library=library, llm=TemplateLLM(), store=store))
    assert card["scenario_id"] == "saas-discovery-ops" and card["outcome"]["success"] is True
    assert card["comparison"]["previous_overall"] == old.scorecard["overall"]
    with pytest.raises(SparringError, match="no such transcript file or practice session"):
        cli.run_grade("s9", settings=settings, library=library, llm=TemplateLLM(), store=store)


def test_session_end_hook_returns_the_scorecard_and_never_raises(
    library: ContentLibrary, settings: Settings, played: Any
) -> None:
    result = played("objection_strong")
    hook = scorecard_hook(settings, llm=TemplateLLM(), library=library, store=FakeStore())
    record = FakeRecord("s3", "logistics-objection-price", "dana-cfo", outcome=result.outcome)
    card = hook(record, result.transcript)
    assert card is not None and card["kind"] == "objection_handling" and card["overall"] >= 80
    assert hook(FakeRecord("s4", "no-such-scenario", "dana-cfo"), result.transcript) is None
