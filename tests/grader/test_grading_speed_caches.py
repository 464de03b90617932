"""The batch grader's per-process caches change no grade: the content library is loaded once per process
(and again when a content file changes); a reply's readings and the line tests are worked out once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grading import cli, parse_transcript, signals, to_records
from grading.responses import Response
from grading.view import build_view
from simulator.config import Settings
from simulator.content.loader import builtin_dir


def test_the_library_is_loaded_once_per_process(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = cli.load_library
    monkeypatch.setattr(cli, "load_library", lambda extra: calls.append(extra) or real(extra))
    monkeypatch.setattr(cli, "_LIBRARIES", {})
    first = cli._library(settings)
    assert cli._library(settings) is first
    assert len(calls) == 1


def test_a_changed_content_file_loads_the_library_again(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = tmp_path / "content"
    (extra / "personas").mkdir(parents=True)
    (extra / "scenarios").mkdir()
    mine = settings.model_copy(update={"content_dir": extra})
    monkeypatch.setattr(cli, "_LIBRARIES", {})
    first = cli._library(mine)
    assert cli._library(mine) is first
    persona = next(iter(sorted(builtin_dir("personas").glob("*.yaml"))))
    text = persona.read_text(encoding="utf-8")
    (extra / "personas" / "copy.yaml").write_text(text.replace("id: ", "id: copy-", 1), encoding="utf-8")
    second = cli._library(mine)
    assert second is not first
    assert len(second.personas) == len(first.personas) + 1
    shutil.rmtree(extra / "personas")
    (extra / "personas").mkdir()
    assert len(cli._library(mine).personas) == len(first.personas)


def test_cached_readings_equal_fresh_ones() -> None:
    call = (
        "Alex: Hi Dana, can we book a demo on Tuesday at 10am?\nDana: Tuesday at 10am works, send the invite.\n"
        "Alex: We agreed on a pilot. Would you like to sign today?\nDana: We already agreed to a demo, not more.\n"
    )
    records = to_records(parse_transcript(call, rep="Alex"))
    view = build_view(records, scenario=None, persona=None, outcome=None)
    for pos in view.rep_pos:
        reply = view.response(pos)
        fresh = Response(reply.rep_pos, reply.buyer_pos, reply.text, reply.words, reply.move, dict(reply.acts))
        for name in ("agrees", "answered", "substantive", "negative", "claims_agreement"):
            assert getattr(reply, name) == getattr(fresh, name), name
            assert getattr(reply, name) == getattr(fresh, name), name  # the kept value
        assert reply.effect() == fresh.effect() == reply.effect()
        line = view.lows[pos]
        assert signals.asks_for_commitment(line) == signals.asks_for_commitment.__wrapped__(line)
        assert signals.time_question(view.text(pos)) == signals.time_question.__wrapped__(view.text(pos))
        assert view.sentences(pos) is view.sentences(pos)
