"""The strong rep's moves reworded the way real reps talk must still win; formula words must not.

tests/data/rep_scripts/<scenario-id>/natural-N.txt say what the strong scripted rep says at medium
difficulty (same moves, same substance, same order) in natural words: indirect questions, questions
typed without "?", trades like "commit to two years and I can do $X", acknowledgements without
formula words, a competitor's price in passing, courtesies, titles, next steps such as "could I have
twenty minutes with Kwame on Tuesday at 10am?". formula.txt strings formula words together with no
substance. Each is played with ``sparring selfplay --rep-script`` machinery: the template backend
voices the buyer (no LLM), and the call ends when the script runs out.

When a natural script loses, the failure message names the first rep turn after which the buyer's
state or move differs from the strong rep's call, with the analysis reasons and the buyer's reasons.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.content.loader import load_library
from simulator.content.models import Difficulty
from simulator.engine.selfplay_report import SelfPlay, read_rep_script, run_rep_script, run_selfplay
from simulator.engine.state import TurnRecord

SCRIPTS = Path(__file__).parent / "data" / "rep_scripts"
LIBRARY = load_library()
SCENARIOS = sorted(LIBRARY.scenarios)
NATURAL = [f"natural-{n}" for n in range(1, 6)]
DIFFICULTY: Difficulty = "medium"

_COMPARED = ("trust", "patience", "stage", "facts_revealed", "objections_raised", "objections_resolved",
             "objection_progress", "rep_price", "buyer_offer", "concessions", "next_step", "deal_price",
             "ended", "end_reason")
"""Buyer-state fields compared turn by turn with the strong rep's call (not which stock line was used)."""


def _script(scenario_id: str, name: str) -> Path:
    return SCRIPTS / scenario_id / f"{name}.txt"


def _play(scenario_id: str, name: str) -> SelfPlay:
    lines = read_rep_script(_script(scenario_id, name))
    return run_rep_script(scenario_id, lines, DIFFICULTY, library=LIBRARY, label=f"scripted ({name})")


def _turns(run: SelfPlay) -> list[tuple[TurnRecord, TurnRecord | None]]:
    """(rep record, the buyer record that answered it) per rep turn."""
    transcript = run.result.transcript
    out: list[tuple[TurnRecord, TurnRecord | None]] = []
    for i, record in enumerate(transcript):
        if record["speaker"] == "rep":
            reply = transcript[i + 1] if i + 1 < len(transcript) else None
            out.append((record, reply if reply and reply["speaker"] == "buyer" else None))
    return out


def _comparable(state: object) -> dict[str, object]:
    if not isinstance(state, dict):
        return {}
    concessions = [(c["to_price"], c["traded"]) for c in state.get("concessions", [])]
    return {k: (concessions if k == "concessions" else state.get(k)) for k in _COMPARED}


def first_misread(scripted: SelfPlay, strong: SelfPlay) -> str:
    """The first rep turn after which the buyer did something other than in the strong rep's call."""
    ours, theirs = _turns(scripted), _turns(strong)
    for n, (rep, reply) in enumerate(ours, start=1):
        if n > len(theirs):
            return f"turn {n}: the strong rep's call had already ended; the script said {rep['text']!r}"
        ref_reply = theirs[n - 1][1]
        mine = _comparable(reply["state"] if reply else scripted.result.buyer)
        ref = _comparable(ref_reply["state"] if ref_reply else strong.result.buyer)
        kind = reply["move"]["kind"] if reply and reply["move"] else "(call ended)"
        ref_kind = ref_reply["move"]["kind"] if ref_reply and ref_reply["move"] else "(call ended)"
        diff = [f"{k}: {mine.get(k)!r} (strong: {ref.get(k)!r})" for k in _COMPARED if mine.get(k) != ref.get(k)]
        if diff or kind != ref_kind:
            analysis = rep["analysis"]["reasons"] if rep["analysis"] else []
            move_reasons = reply["move"]["reasons"] if reply and reply["move"] else []
            return (f"turn {n}: rep said {rep['text']!r}\n  analysis: {analysis}\n"
                    f"  buyer move: {kind} {move_reasons} (strong: {ref_kind})\n  state: {'; '.join(diff)}")
    if len(theirs) > len(ours):
        return f"the script ran out after {len(ours)} turns; the strong rep's call had {len(theirs)}"
    return "no difference in the buyer's state or moves"


_STRONG: dict[str, SelfPlay] = {}


def _strong(scenario_id: str) -> SelfPlay:
    if scenario_id not in _STRONG:
        _STRONG[scenario_id] = run_selfplay(scenario_id, "strong", DIFFICULTY, library=LIBRARY)
    return _STRONG[scenario_id]


def test_every_drill_has_five_natural_scripts_and_a_formula_script() -> None:
    for sid in SCENARIOS:
        for name in [*NATURAL, "formula"]:
            assert len(read_rep_script(_script(sid, name))) >= 5, (sid, name)


@pytest.mark.parametrize(("scenario_id", "name"),
                         [pytest.param(sid, name, id=f"{sid}/{name}") for sid in SCENARIOS for name in NATURAL])
def test_natural_rewording_of_the_strong_rep_wins(scenario_id: str, name: str) -> None:
    run = _play(scenario_id, name)
    assert run.success, (f"{scenario_id}/{name} lost: missed {run.result.outcome['missed']}\n"
                         f"first misread: {first_misread(run, _strong(scenario_id))}")


@pytest.mark.parametrize("scenario_id", [pytest.param(sid, id=f"{sid}/formula") for sid in SCENARIOS])
def test_formula_words_without_substance_lose(scenario_id: str) -> None:
    run = _play(scenario_id, "formula")
    assert not run.success, [t["text"] for t in run.result.transcript]


def test_the_call_ends_where_the_script_runs_out() -> None:
    sid = "saas-discovery-ops"
    run = run_rep_script(sid, ["Hi Raj, thanks for taking the time today."], library=LIBRARY)
    assert [t["speaker"] for t in run.result.transcript] == ["buyer", "rep", "buyer"]
    assert run.result.buyer["end_reason"] == "rep_ended" and not run.success
    assert run.result.outcome["missed"]


def _strong_lines(scenario_id: str) -> list[str]:
    return [t["text"] for t in _strong(scenario_id).result.transcript if t["speaker"] == "rep"]


def test_selfplay_command_plays_a_rep_script_like_the_scripted_reps(tmp_path: Path) -> None:
    sid = "logistics-objection-price"
    script = tmp_path / "rep.txt"
    script.write_text("# the strong rep's own lines\n\n" + "\n\n".join(_strong_lines(sid)) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["selfplay", "--scenario", sid, "--rep-script", str(script)])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert "outcome: success" in lines
    assert lines[0].startswith(f"self-play: {sid} (objection_handling) · scripted (rep.txt) rep · medium")
    strong = CliRunner().invoke(app, ["selfplay", "--scenario", sid, "--rep", "strong"])
    assert strong.output.strip().splitlines()[1:] == lines[1:]  # same transcript and report


def test_selfplay_rep_script_errors_are_clear(tmp_path: Path) -> None:
    script = tmp_path / "rep.txt"
    script.write_text("Hi there.\n", encoding="utf-8")
    unknown = CliRunner().invoke(app, ["selfplay", "--scenario", "nope", "--rep-script", str(script)])
    assert unknown.exit_code == 2
    assert "valid scenario ids" in unknown.output and all(sid in unknown.output for sid in SCENARIOS)
    assert "Traceback" not in unknown.output
    bad_level = CliRunner().invoke(app, ["selfplay", "-s", SCENARIOS[0], "--difficulty", "brutal",
                                         "--rep-script", str(script)])
    assert bad_level.exit_code == 2 and "valid difficulties: easy, medium, hard" in bad_level.output
    missing = CliRunner().invoke(app, ["selfplay", "-s", SCENARIOS[0], "--rep-script", str(tmp_path / "no.txt")])
    assert missing.exit_code == 2 and "cannot read the rep script" in missing.output
    empty = tmp_path / "empty.txt"
    empty.write_text("# only a comment\n\n", encoding="utf-8")
    nothing = CliRunner().invoke(app, ["selfplay", "-s", SCENARIOS[0], "--rep-script", str(empty)])
    assert nothing.exit_code == 2 and "no lines" in nothing.output
    both = CliRunner().invoke(app, ["selfplay", "-s", SCENARIOS[0], "--rep", "weak", "--rep-script", str(script)])
    assert both.exit_code == 2 and "either --rep or --rep-script" in both.output
