"""Self-play: every shipped drill is winnable by the strong rep and not by the weak one, at every level."""

from __future__ import annotations

import dataclasses
import json

import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.content.loader import ContentLibrary, load_library
from simulator.content.models import Difficulty
from simulator.engine.lexicon import TOPICS
from simulator.engine.replay import play
from simulator.engine.repview import PublicBrief, RepView, reflect
from simulator.engine.selfplay import QUESTION_FAMILIES, TOPIC_QUESTIONS
from simulator.engine.selfplay_report import DIFFICULTIES, SelfPlay, run_selfplay
from simulator.engine.understand import analyse

LIBRARY = load_library()
SCENARIOS = sorted(LIBRARY.scenarios)
RUNS: dict[tuple[str, str, str], SelfPlay] = {}


def _run(sid: str, rep: str, difficulty: Difficulty) -> SelfPlay:
    key = (sid, rep, difficulty)
    if key not in RUNS:
        RUNS[key] = run_selfplay(sid, rep, difficulty, library=LIBRARY)  # type: ignore[arg-type]
    return RUNS[key]


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
@pytest.mark.parametrize("scenario_id", SCENARIOS)
def test_strong_rep_wins_and_weak_rep_loses(scenario_id: str, difficulty: Difficulty) -> None:
    strong, weak = _run(scenario_id, "strong", difficulty), _run(scenario_id, "weak", difficulty)
    assert strong.success, (strong.result.outcome, [t["text"] for t in strong.result.transcript])
    assert not weak.success, (weak.result.outcome, [t["text"] for t in weak.result.transcript])
    assert strong.result.buyer["end_reason"] in ("rep_goodbye", "deal")


@pytest.mark.parametrize("scenario_id", SCENARIOS)
def test_difficulty_is_felt_by_the_strong_rep(scenario_id: str) -> None:
    turns = {d: _run(scenario_id, "strong", d).rep_turns for d in DIFFICULTIES}
    assert turns["easy"] <= turns["medium"] <= turns["hard"], turns
    kind = LIBRARY.scenario(scenario_id).kind
    if kind in ("discovery", "objection_handling"):
        assert turns["hard"] >= turns["easy"] + 2, f"hard should demand more good turns than easy: {turns}"
    if kind == "negotiation":
        prices = {d: _run(scenario_id, "strong", d).result.buyer["deal_price"] for d in DIFFICULTIES}
        assert prices["hard"] <= prices["easy"], prices  # type: ignore[operator]


def test_every_topic_question_is_open_and_probes_exactly_its_topic() -> None:
    assert {t for family in QUESTION_FAMILIES for t in family} == set(TOPICS)
    for topic, questions in TOPIC_QUESTIONS.items():
        for q in questions:
            a = analyse(q)
            assert a["question_kind"] == "open" and a["open_topics"] == [topic], (q, a["open_topics"])
            assert not a["next_step"] and not a["is_pitch"]


def test_reflection_is_a_paraphrase_in_the_reps_words() -> None:
    line = "Between us, member hold times keep Mr. Osei up at night. The average hit fourteen minutes."
    assert reflect(line) == "It sounds like member hold times keep Mr. Osei up at night."
    assert reflect("We missed our promise on 8% of orders, and the CEO asks weekly.") == (
        "It sounds like you missed your promise on 8% of orders.")
    assert reflect("Yes.") is None


def _hidden_texts(library: ContentLibrary, scenario_id: str) -> list[str]:
    scenario = library.scenario(scenario_id)
    persona = library.persona(scenario.persona)
    texts = [f.say for f in persona.hidden_facts] + [f.hint for f in persona.hidden_facts]
    # Response keywords are left out: the product sheet must contain them to answer an objection.
    texts += [o.concern for o in persona.objections] + [o.resolved_say for o in persona.objections]
    if persona.negotiation:
        texts += [str(persona.negotiation.walk_away), persona.negotiation.walk_away_say]
    return texts


@pytest.mark.parametrize("scenario_id", SCENARIOS)
def test_policies_see_only_the_public_brief(scenario_id: str) -> None:
    scenario = LIBRARY.scenario(scenario_id)
    brief = PublicBrief.of(scenario, LIBRARY.persona(scenario.persona))
    exposed = json.dumps(dataclasses.asdict(brief), default=lambda o: o.model_dump())
    leaks = [t for t in _hidden_texts(LIBRARY, scenario_id) if len(t) > 12 and t in exposed]
    assert not leaks
    assert {f.name for f in dataclasses.fields(RepView)} == {"brief", "said", "stage"}


def test_a_rep_holding_list_makes_every_negotiation_buyer_walk_away() -> None:
    for sid in SCENARIOS:
        scenario = LIBRARY.scenario(sid)
        if scenario.kind != "negotiation":
            continue
        product = scenario.product
        hold = f"It stays at ${product.list_price:,.0f}: {product.value_points[0].lower()}."
        r = play(sid, ["Hi there.", f"The price is ${product.list_price:,.0f} per year.", *[hold] * 18],
                 library=LIBRARY, difficulty="hard")
        assert r.buyer["end_reason"] == "no_deal" and r.buyer["deal_price"] is None, sid
        last = r.transcript[-1]["move"]
        assert last is not None and last["kind"] == "walk_away"


def test_selfplay_command_prints_the_call_and_ends_with_the_outcome() -> None:
    result = CliRunner().invoke(app, ["selfplay", "--scenario", "logistics-negotiation-procurement",
                                      "--rep", "strong", "--difficulty", "hard"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    at = lines.index("outcome: success")
    assert all(line.startswith(("  met: ", "  missed: ")) for line in lines[at + 1:])
    assert any(line.startswith("final price: $") and "of list" in line for line in lines)
    weak = CliRunner().invoke(app, ["selfplay", "-s", "healthcare-discovery-it", "--rep", "weak"])
    assert "outcome: failure" in weak.output and "  missed: uncover at least 3" in weak.output
    assert "facts uncovered: 0" in weak.output


def test_selfplay_command_rejects_bad_options_and_unknown_ids() -> None:
    bad = CliRunner().invoke(app, ["selfplay", "--scenario", "saas-discovery-ops", "--rep", "average"])
    said = " ".join(bad.output.replace("│", " ").split())
    assert bad.exit_code == 2 and "'average' is not one of 'strong', 'weak'" in said
    unknown = CliRunner().invoke(app, ["selfplay", "--scenario", "nope"])
    assert unknown.exit_code == 2 and "valid scenario ids" in unknown.output


def test_selfplay_matrix_over_the_library() -> None:
    result = CliRunner().invoke(app, ["selfplay"])
    assert result.exit_code == 0, result.output
    rows = result.output.strip().splitlines()[1:]
    assert len(rows) == len(SCENARIOS) and all(row.endswith("\tok") for row in rows)
