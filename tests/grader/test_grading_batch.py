"""`sparring grade FILE [FILE ...] --format jsonl`: one JSON object per target, errors in line."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer
from grader_fakes import CALL, FakeRecord, FakeStore
from typer.testing import CliRunner

from grading import cli
from simulator.config import Settings
from simulator.content.competencies import COMPETENCY_IDS
from simulator.content.loader import ContentLibrary
from simulator.llm.template import TemplateLLM

FIXTURES = Path(__file__).parent / "fixtures"


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("grade")(cli.grade)
    app.command("noop")(lambda: None)
    return app


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Good and bad transcripts, all with the rep called Alex."""
    out = {
        "plain": tmp_path / "plain.txt",
        "srt": tmp_path / "meeting.srt",
        "utf16": tmp_path / "windows.txt",
        "latin1": tmp_path / "latin1.txt",
        "wrong_rep": tmp_path / "wrong-rep.txt",
        "missing": tmp_path / "missing.txt",
    }
    out["plain"].write_text(CALL, encoding="utf-8")
    shutil.copy(FIXTURES / "meeting.srt", out["srt"])
    shutil.copy(FIXTURES / "windows_utf16le_bom.txt", out["utf16"])
    out["latin1"].write_bytes("Alex: Ça va?\nDana: Très bien.".encode("cp1252"))
    out["wrong_rep"].write_text("Sam: Hi.\nDana: Hello.\n", encoding="utf-8")
    return out


def test_batch_prints_one_object_per_file_in_order_and_goes_on_after_errors(files: dict[str, Path]) -> None:
    order = ["plain", "latin1", "srt", "missing", "utf16", "wrong_rep"]
    args = ["grade", *(str(files[k]) for k in order), "--rep", "Alex", "--format", "jsonl"]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 2, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(files[k]) for k in order]
    good = {k: line for k, line in zip(order, lines, strict=True) if "error" not in line}
    assert sorted(good) == ["plain", "srt", "utf16"]
    for line in good.values():
        assert 0 <= line["overall"] <= 100 and isinstance(line["warnings"], list)
        assert list(line["competencies"]) == list(COMPETENCY_IDS)
        assert all(v is None or 1 <= v <= 5 for v in line["competencies"].values())
        assert line["rep_speaker"] == "Alex" and line["judge"] == "rules"
    assert good["plain"]["competencies"]["negotiation"] is None  # not scored: no price discussed
    assert good["srt"]["format"] == "srt" and good["utf16"]["format"] == "lines"
    errors = dict(zip(order, lines, strict=True))
    assert "not UTF-8" in errors["latin1"]["error"] and "UTF-16" in errors["latin1"]["error"]
    assert "no such transcript file" in errors["missing"]["error"]
    assert "speakers: Sam, Dana" in errors["wrong_rep"]["error"]
    assert set(errors["latin1"]) == {"file", "error"}
    assert "3 of 6 target(s) could not be graded" in result.stderr


def test_batch_of_good_files_exits_0_with_no_progress_bar_off_a_terminal(files: dict[str, Path]) -> None:
    result = CliRunner().invoke(_app(), ["grade", str(files["plain"]), str(files["srt"]), "--rep", "alex"])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 2 and result.stderr == ""  # jsonl is the default for several


def test_several_targets_need_jsonl(files: dict[str, Path]) -> None:
    result = CliRunner().invoke(
        _app(), ["grade", str(files["plain"]), str(files["srt"]), "--rep", "Alex", "--format", "md"]
    )
    assert result.exit_code == 2 and "use --format jsonl" in result.stderr


def test_one_file_keeps_the_full_scorecard_and_jsonl_gives_the_summary(files: dict[str, Path]) -> None:
    runner = CliRunner()
    full = runner.invoke(_app(), ["grade", str(files["plain"]), "--rep", "Alex"])
    assert full.exit_code == 0 and "metrics" in json.loads(full.stdout)
    line = runner.invoke(_app(), ["grade", str(files["plain"]), "--rep", "Alex", "--format", "jsonl"])
    summary = json.loads(line.stdout)
    assert line.exit_code == 0 and summary["overall"] == json.loads(full.stdout)["overall"]


def test_batch_output_file(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "grades.jsonl"
    result = CliRunner().invoke(
        _app(), ["grade", str(files["plain"]), str(files["utf16"]), "--rep", "Alex", "-o", str(out)]
    )
    assert result.exit_code == 0 and result.stdout == ""
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2


def test_batch_grades_session_ids_with_the_store(library: ContentLibrary, settings: Settings, played: Any) -> None:
    result = played("discovery_strong")
    store = FakeStore(
        {"s1": FakeRecord("s1", "saas-discovery-ops", "raj-ops", outcome=result.outcome)},
        {"s1": result.transcript},
    )
    lines = list(
        cli.run_batch(["s1", "s2"], settings=settings, library=library, llm=TemplateLLM(), store=store)
    )
    assert lines[0]["file"] == "s1" and lines[0]["kind"] == "discovery" and lines[0]["format"] == "session"
    assert lines[1] == {"file": "s2", "error": "s2: no such transcript file or practice session id "
                        "(see `sparring sessions`)"}


def test_each_file_is_read_once(files: dict[str, Path], settings: Settings, library: ContentLibrary,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    import grading.sources as sources

    reads: list[Path] = []
    real = sources.read_file

    def counting(path: Path) -> str:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(sources, "read_file", counting)
    out = list(cli.run_batch([str(files["plain"]), str(files["srt"])], rep="Alex", settings=settings,
                             library=library, llm=TemplateLLM()))
    assert reads == [files["plain"], files["srt"]] and all("error" not in o for o in out)


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.progress import Progress

    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert not isinstance(cli._progress(10), Progress)
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    assert isinstance(cli._progress(10), Progress)
    assert not isinstance(cli._progress(1), Progress)  # one file: nothing to show


def test_worker_processes_give_the_same_lines(files: dict[str, Path], settings: Settings) -> None:
    targets = [str(files["plain"]), str(files["latin1"]), str(files["srt"])]
    one = list(cli.run_batch(targets, rep="Alex", settings=settings))
    two = list(cli.run_batch(targets, rep="Alex", settings=settings, jobs=2))
    assert one == two and "error" in one[1]


OTHER_CALL = (
    "Alex: Hi Dana, thanks for your time. How do you plan routes today?\n"  # shares lines with CALL
    "Dana: Spreadsheets. It's slow and we miss delivery windows.\n"
    "Alex: I understand. Shall we book a demo on Tuesday at 10am?\n"
    "Dana: No. Please stop calling me, okay?\n"
)


def test_a_file_gets_the_same_line_alone_unbatched_and_after_other_files(
    files: dict[str, Path], tmp_path: Path, settings: Settings, library: ContentLibrary,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Batched embeddings and the embedding cache change speed only: a file graded first in a fresh
    process, after other files sharing its lines, or with every text embedded alone prints the same line."""
    import grading.grader
    from simulator.understanding.embedding import shared_embedder

    other = tmp_path / "other.txt"
    other.write_text(OTHER_CALL, encoding="utf-8")
    plain, srt = str(files["plain"]), str(files["srt"])

    def grade(targets: list[str]) -> list[dict[str, Any]]:
        return list(cli.run_batch(targets, rep="Alex", settings=settings, library=library, llm=TemplateLLM()))

    shared_embedder()._cache.clear()
    alone = grade([plain])[0]
    after = grade([str(other), srt, plain])[2]
    shared_embedder()._cache.clear()
    monkeypatch.setattr(grading.grader, "_prefetch_embeddings", lambda transcript: None)
    unbatched = grade([plain])[0]
    assert alone == after == unbatched and "error" not in alone


def test_the_prefetch_embeds_every_text_the_readers_read(settings: Settings, library: ContentLibrary,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """If the rep or buyer reader starts embedding other texts, grading still works but slowly: this
    catches it (reader.embedded_texts and buyer.embedded_text must follow what the readers embed)."""
    import grading.grader
    from grading.transcript import parse_transcript, to_records
    from simulator.understanding.embedding import shared_embedder
    from simulator.understanding.reader import models_enabled

    if not models_enabled():
        pytest.skip("SPARRING_UNDERSTANDING=rules: nothing is embedded")
    embedder = shared_embedder()
    runs: list[int] = []
    real = grading.grader._prefetch_embeddings

    def prefetch(transcript: Any) -> None:
        real(transcript)
        runs.append(embedder.runs)

    monkeypatch.setattr(grading.grader, "_prefetch_embeddings", prefetch)
    for text in (CALL, OTHER_CALL + "Alex: Fair enough. Thanks for your time, Dana. Bye.\n"):
        embedder._cache.clear()
        records = to_records(parse_transcript(text, rep="Alex"))
        grading.grader.grade_session(records, scenario=None, persona=None, outcome=None, llm=None, library=library)
        assert embedder.runs == runs[-1], "a reader embedded a text the prefetch did not"


def test_jobs_auto_uses_one_process_for_a_few_files_and_the_cores_for_many(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "usable_cores", lambda: 2)
    assert cli.default_jobs(1) == 1 and cli.default_jobs(cli.FILES_PER_WORKER) == 1
    assert cli.default_jobs(2 * cli.FILES_PER_WORKER) == 2 and cli.default_jobs(10_000) == 2
    monkeypatch.setattr(cli, "usable_cores", lambda: 1)
    assert cli.default_jobs(10_000) == 1
