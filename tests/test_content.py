"""The content library: coverage, validation with file/field/reason errors, team folders, schemas."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from simulator.cli import app
from simulator.content.loader import builtin_dir, load_library
from simulator.content.models import BuyerLines, Persona
from simulator.content.schemas import SCHEMA_FILES, schema_text
from simulator.content.validate import DEFAULT_COMPETENCIES, cross_reference_problems
from simulator.engine.repview import SUBSTANTIVE_WORDS, best_points
from simulator.engine.rules.objections import response_hits
from simulator.errors import ContentError

LIBRARY = load_library()
INSTRUCTION_WORDS = re.compile(r"\b(the rep|the buyer|the salesperson|instruction|in character)\b", re.I)
Edit = Callable[[dict[str, Any], dict[str, Any]], object]


def test_library_covers_kinds_industries_roles_and_objection_types() -> None:
    assert len(LIBRARY.personas) >= 8 and len(LIBRARY.scenarios) >= 9
    kinds = [s.kind for s in LIBRARY.scenarios.values()]
    assert all(kinds.count(k) >= 3 for k in ("discovery", "objection_handling", "negotiation"))
    assert len({s.industry for s in LIBRARY.scenarios.values()}) >= 4
    assert len({p.role for p in LIBRARY.personas.values()}) == len(LIBRARY.personas)
    assert len({p.temperament for p in LIBRARY.personas.values()}) >= 4
    types = {o.type for p in LIBRARY.personas.values() for o in p.objections}
    assert types == {"price", "timing", "authority", "need", "trust", "competitor", "status_quo"}
    assert all(len(p.objections) >= 3 for p in LIBRARY.personas.values())
    used = {s.persona for s in LIBRARY.scenarios.values()}
    assert used == set(LIBRARY.personas), "every persona is the buyer in at least one drill"


def test_shipped_content_passes_every_cross_reference_check() -> None:
    assert cross_reference_problems(LIBRARY) == []
    for scenario in LIBRARY.scenarios.values():
        assert set(scenario.competencies) <= set(DEFAULT_COMPETENCIES)
        assert set(scenario.difficulties) == {"easy", "medium", "hard"}
        assert all(v.description.strip() for v in scenario.difficulties.values())


def _spoken(persona: Persona) -> list[str]:
    """Every line the buyer may say, from every field (variants, depths, deflections included)."""
    out: list[str] = []
    for fact in persona.hidden_facts:
        out += [fact.say, *fact.say_also, fact.hint, *fact.hint_also, *fact.partial]
    for o in persona.objections:
        out += [o.say, *o.say_also, o.concern, *o.concern_also, o.resolved_say, *o.resolved_also,
                o.push_back, *o.push_back_also]
    if persona.negotiation:
        n = persona.negotiation
        out += [n.anchor_say, *n.anchor_also, n.counter_say, *n.counter_also, n.accept_say, *n.accept_also,
                n.hold_say, *n.hold_also, n.walk_away_say]
    for key in BuyerLines.model_fields:
        value = getattr(persona.lines, key)
        out += [line for options in value.values() for line in options] if isinstance(value, dict) else value
    return out


@pytest.mark.parametrize("persona_id", sorted(LIBRARY.personas))
def test_buyer_lines_are_spoken_first_person_with_no_instructions(persona_id: str) -> None:
    persona = LIBRARY.persona(persona_id)
    lines = persona.lines
    for text in _spoken(persona):
        assert not INSTRUCTION_WORDS.search(text), text
        assert not re.search(r"[\[\]]|\{(?!when\}|price\})", text), text
    # Stock answers and held-back answers are short and carry no figures; facts are specific. A rep (and
    # the self-play policy) can tell a real answer from a brush-off.
    stock = [*lines.small_talk, *lines.closed_answer, *lines.vague_answer, *lines.impatient, *lines.reflect,
             *lines.deny_claim, *lines.too_early, *(line for opts in lines.deflect.values() for line in opts)]
    for fact in persona.hidden_facts:
        stock += [fact.hint, *fact.hint_also, *fact.partial]
    for text in stock:
        assert len(text.split()) < SUBSTANTIVE_WORDS and not any(c.isdigit() for c in text), text
    for fact in persona.hidden_facts:
        for told in (fact.say, *fact.say_also):
            assert len(told.split()) >= SUBSTANTIVE_WORDS or any(c.isdigit() for c in told), (fact.id, told)
    for o in persona.objections:  # the real concern is heard as a real answer, in every phrasing
        for told in (o.concern, *o.concern_also):
            assert len(told.split()) >= SUBSTANTIVE_WORDS or any(c.isdigit() for c in told), (o.id, told)


_COMMITTAL = re.compile(r"^(?:yes|yeah|yep|yup|no|nope|nah|sure|definitely|absolutely|of course|not really"
                        r"|not that i know|i suppose so|i think so|i believe so|correct|exactly)\b(?! and no)", re.I)


@pytest.mark.parametrize("persona_id", sorted(LIBRARY.personas))
def test_every_persona_has_responsive_varied_content(persona_id: str) -> None:
    """Per fact three depths with variants, per objection and negotiation move several phrasings,
    deflections for the topics a rep asks about, and closed answers that answer no question falsely."""
    persona = LIBRARY.persona(persona_id)
    for fact in persona.hidden_facts:
        assert min(len(fact.say_also), len(fact.hint_also), len(fact.partial)) >= 2, fact.id
    for o in persona.objections:
        assert min(len(o.say_also), len(o.concern_also), len(o.push_back_also), len(o.resolved_also)) >= 2, o.id
    if persona.negotiation:
        n = persona.negotiation
        assert min(len(n.anchor_also), len(n.counter_also), len(n.accept_also), len(n.hold_also)) >= 2
    lines = persona.lines
    assert len(lines.deflect) >= 8 and all(len(opts) >= 2 for opts in lines.deflect.values()), lines.deflect
    assert min(len(lines.reflect), len(lines.deny_claim), len(lines.too_early)) >= 2
    for key in ("small_talk", "closed_answer", "vague_answer", "deflect_pitch", "impatient"):
        assert len(getattr(lines, key)) >= 5, key
    for key in ("greeting", "end_call", "agree_next_step", "decline_next_step", "ask_for_time", "thanks"):
        assert len(getattr(lines, key)) >= 3, key
    for text in lines.closed_answer:
        assert not _COMMITTAL.search(text), f"a closed answer must not say yes or no to any question: {text!r}"


@pytest.mark.parametrize("scenario_id", sorted(s.id for s in LIBRARY.scenarios.values()
                                                if s.kind == "objection_handling"))
def test_every_phrasing_of_a_concern_leads_to_the_points_that_answer_it(scenario_id: str) -> None:
    """A rep who answers the concern as the buyer worded it, with the product's best-matching points,
    covers as many response keywords as for the original wording (write variants in the same words)."""
    scenario = LIBRARY.scenario(scenario_id)
    persona = LIBRARY.persona(scenario.persona)
    needed = max(v.min_response_keywords for v in scenario.difficulties.values())
    raised = {*scenario.objections, *(o for v in scenario.difficulties.values() for o in v.extra_objections)}
    for oid in sorted(raised):
        objection = persona.objection(oid)
        assert objection is not None
        for concern in (objection.concern, *objection.concern_also):
            points = " ".join(best_points(scenario.product, concern, n=2))
            assert len(response_hits(objection.response_keywords, points)) >= needed, (oid, concern)


def test_schema_files_are_in_sync_with_the_models() -> None:
    for folder, (name, model) in SCHEMA_FILES.items():
        on_disk = (builtin_dir(folder) / name).read_text(encoding="utf-8")
        assert on_disk == schema_text(model), f"run `sparring schemas`: {folder}/{name} is stale"


# ----------------------------------------------------------------------------- team content folders

def _yaml(folder: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((builtin_dir(folder) / name).read_text(encoding="utf-8"))
    return data


def _team_folder(tmp_path: Path, edit: Edit | None = None) -> Path:
    """A team content folder with one persona and one scenario copied from the library, edited."""
    persona, scenario = _yaml("personas", "raj-ops.yaml"), _yaml("scenarios", "saas-discovery-ops.yaml")
    persona["id"], scenario["id"], scenario["persona"] = "team-buyer", "team-drill", "team-buyer"
    if edit:
        edit(persona, scenario)
    for sub, data in (("personas", persona), ("scenarios", scenario)):
        (tmp_path / sub).mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(data, sort_keys=False)
        (tmp_path / sub / f"team-{sub}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_team_folder_loads_beside_the_builtin_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = _team_folder(tmp_path)
    library = load_library([folder])
    assert "team-drill" in library.scenarios and "saas-discovery-ops" in library.scenarios
    assert library.sources["scenario:team-drill"] == folder / "scenarios" / "team-scenarios.yaml"
    monkeypatch.setenv("SPARRING_CONTENT_DIR", str(folder))
    listed = CliRunner().invoke(app, ["scenarios"])
    assert any(line.startswith("team-drill\t") for line in listed.output.splitlines())
    checked = CliRunner().invoke(app, ["selfplay", "--scenario", "team-drill", "--rep", "strong"])
    assert "outcome: success" in checked.output


def test_broken_fixture_names_its_file_and_field(tmp_path: Path) -> None:
    def broken(persona: dict[str, Any], scenario: dict[str, Any]) -> None:
        del persona["hidden_facts"][1]["say"]
        persona["hidden_facts"][0]["colour"] = "red"
        scenario["turn_cap"] = "many"

    folder = _team_folder(tmp_path, broken)
    with pytest.raises(ContentError) as err:
        load_library([folder])
    text = str(err.value)
    assert str(folder / "personas" / "team-personas.yaml") in text
    assert "hidden_facts.1.say: Field required" in text and "hidden_facts.0.colour: Extra inputs" in text
    assert str(folder / "scenarios" / "team-scenarios.yaml") in text and "turn_cap:" in text
    result = CliRunner().invoke(app, ["validate", str(folder)])
    assert result.exit_code == 1 and "hidden_facts.1.say" in result.output


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    folder = _team_folder(tmp_path)
    (folder / "personas" / "bad.yaml").write_text("id: x\nname: [unclosed\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"bad\.yaml: invalid YAML at line \d+"):
        load_library([folder])


def test_duplicate_id_in_a_team_folder_is_refused(tmp_path: Path) -> None:
    folder = _team_folder(tmp_path, lambda p, s: s.update(id="saas-discovery-ops"))
    with pytest.raises(ContentError, match="id: scenario id 'saas-discovery-ops' is already defined in"):
        load_library([folder])


def _neg_scenario(persona: dict[str, Any], scenario: dict[str, Any]) -> None:
    scenario.clear()
    scenario.update(_yaml("scenarios", "manufacturing-negotiation-renewal.yaml"), id="team-drill",
                    persona="team-buyer")
    persona["negotiation"] = _yaml("personas", "dana-cfo.yaml")["negotiation"]


def _unwinnable_negotiation(persona: dict[str, Any], scenario: dict[str, Any]) -> None:
    _neg_scenario(persona, scenario)
    scenario["success"].update(min_price_fraction=0.97)


def _price_in_hold(persona: dict[str, Any], scenario: dict[str, Any]) -> None:
    _neg_scenario(persona, scenario)
    persona["negotiation"]["hold_also"].append("Make it {price}.")


CROSS_REFERENCE_CASES: list[tuple[str, Edit, str]] = [
    ("unknown persona", lambda p, s: s.update(persona="nobody"),
     r"team-scenarios\.yaml: persona: unknown persona id 'nobody'; valid persona ids: "),
    ("unknown competency", lambda p, s: s["competencies"].append("charisma"),
     r"team-scenarios\.yaml: competencies\.4: unknown competency id 'charisma'"),
    ("unknown stage", lambda p, s: s["stages"][1].update(id="chat"),
     r"team-scenarios\.yaml: stages: a discovery scenario has the stages opening, discovery, next_steps"),
    ("unknown topic", lambda p, s: p["hidden_facts"][0]["topics"].append("weather"),
     r"team-personas\.yaml: hidden_facts\.0\.topics: unknown topic 'weather'"),
    ("unknown fact in after", lambda p, s: p["hidden_facts"][1].update(after=["ghost"]),
     r"team-personas\.yaml: hidden_facts\.1\.after\.0: unknown fact id 'ghost'"),
    ("circular after", lambda p, s: (p["hidden_facts"][0].update(after=["sla-misses"]),
                                     p["hidden_facts"][1].update(after=["manual-handoffs"])),
     r"hidden_facts\.0\.after: facts wait on each other in a circle"),
    ("too many facts", lambda p, s: s["success"].update(min_facts=9),
     r"success\.min_facts: 9 is more than persona 'team-buyer''s 4 key facts"),
    ("extra objection on a discovery drill", lambda p, s: s["difficulties"]["hard"].update(
        extra_objections=["need-status-quo"]),
     r"difficulties\.hard\.extra_objections: only objection_handling drills raise objections"),
    ("deflection not naming its topic", lambda p, s: p["lines"].setdefault("deflect", {}).update(
        budget=["Let's not go there."]),
     r"team-personas\.yaml: lines\.deflect\.budget\.0: .*does not name budget"),
    ("partial not naming a topic of its fact", lambda p, s: _fact(p, "budget-q3").update(
        partial=["The number stays with me."]),
     r"team-personas\.yaml: hidden_facts\.3\.partial: no partial names timeline"),
    ("personal line naming nothing", lambda p, s: p["lines"].update(personal=["Good, thanks."]),
     r"team-personas\.yaml: lines\.personal\.0: 'Good, thanks\.' names nothing a personal question asks about"),
    ("personal line telling a fact", lambda p, s: p["lines"].update(
        personal=["Since I joined: " + _fact(p, "sla-misses")["say"]]),
     r"team-personas\.yaml: lines\.personal\.0: said while facts are locked"),
    ("unwinnable negotiation", _unwinnable_negotiation,
     r"difficulties\.medium\.walk_away_delta: 'team-buyer' would pay at most 95% of list, below the "
     r"success floor of 97%: the drill cannot be won"),
]


def _fact(persona: dict[str, Any], fact_id: str) -> dict[str, Any]:
    fact: dict[str, Any] = next(f for f in persona["hidden_facts"] if f["id"] == fact_id)
    return fact


def _named_ceo(persona: dict[str, Any], scenario: dict[str, Any]) -> None:
    fact = _fact(persona, "ceo-sign-off")
    fact["say"] = "I pick the tools, but our CEO, Priya Shah, signs anything over $25,000."
    fact["say_also"] = ["Our CEO, Priya Shah, signs anything over $25,000. I pick the tools."]
    persona["lines"]["too_early"].append("Ask Priya, not me.")


def _no_responsive_content(persona: dict[str, Any], scenario: dict[str, Any]) -> None:
    persona["lines"]["deflect"] = {}
    for fact in persona["hidden_facts"]:
        fact.pop("partial", None)


RESPONSIVE_CASES: list[tuple[str, Edit, str]] = [
    ("say_also drops a number",
     lambda p, s: _fact(p, "manual-handoffs")["say_also"].__setitem__(
         0, "Exceptions still go through email and a shared spreadsheet. My team loses hours chasing handoffs."),
     r"team-personas\.yaml: hidden_facts\.0\.say_also\.0: drops 15 from say"),
    ("say_also adds a number",
     lambda p, s: _fact(p, "manual-handoffs")["say_also"].append(
         "Exceptions go through email and a shared spreadsheet: 15 hours a week and 40 emails a day."),
     r"hidden_facts\.0\.say_also\.2: adds 40, a number say does not have"),
    ("say_also drops a name", lambda p, s: _fact(p, "sla-misses")["say_also"].__setitem__(
        0, "We missed our two-day promise on about 8% of orders last quarter, and my boss asks about it weekly."),
     r"hidden_facts\.1\.say_also\.0: drops CEO from say"),
    ("partial gives away a number", lambda p, s: _fact(p, "budget-q3")["partial"].__setitem__(
        0, "There's about $60,000 somewhere. Ask me later."),
     r"hidden_facts\.3\.partial\.0: said while facts are locked, but it gives away 60000, a number from hidden "
     r"fact 'budget-q3'"),
    ("hint_also gives away a spelled-out number", lambda p, s: _fact(p, "failed-rollout")["hint_also"].append(
        "We tried something two years back."),
     r"hidden_facts\.4\.hint_also\.2: said while facts are locked, but it gives away 2"),
    ("too_early gives away a name", _named_ceo,
     r"lines\.too_early\.3: said while facts are locked, but it gives away 'Priya', a name or date from hidden "
     r"fact 'ceo-sign-off'"),
    ("deflection tells the fact", lambda p, s: p["lines"]["deflect"].__setitem__(
        "pain", ["Order exceptions go through email and a shared spreadsheet, chasing handoffs."]),
     r"lines\.deflect\.pain\.0: said while facts are locked, but it shares \d+ of the \d+ content words of "
     r"hidden fact 'manual-handoffs'"),
    ("held-back line too long", lambda p, s: _fact(p, "sla-misses")["partial"].append(
        "Delivery is where it shows, and I could talk about it for a long while, but not with you yet."),
     r"hidden_facts\.1\.partial\.4: 20 words; a held-back line stays under 15"),
    ("deflection for an unknown topic", lambda p, s: p["lines"]["deflect"].__setitem__(
        "weather", ["I'd rather not talk about the weather."]),
     r"lines\.deflect\.weather: unknown topic 'weather'; valid topics: "),
    ("duplicate line in a list", lambda p, s: p["lines"]["small_talk"].append(p["lines"]["small_talk"][0] + "  "),
     r"lines\.small_talk: line 5 repeats line 0"),
    ("say repeated in say_also", lambda p, s: _fact(p, "manual-handoffs")["say_also"].append(
        _fact(p, "manual-handoffs")["say"].upper()),
     r"hidden_facts\.0\.say/say_also: line 3 repeats line 0"),
    ("duplicate deflection", lambda p, s: p["lines"]["deflect"]["budget"].append(
        p["lines"]["deflect"]["budget"][1]),
     r"lines\.deflect\.budget: line 2 repeats line 1"),
    ("placeholder read aloud", lambda p, s: p["lines"]["thanks"].append("See you {when}."),
     r"lines\.thanks\.3: '\{when\}' would be read aloud here"),
    ("price placeholder in a hold line", _price_in_hold,
     r"negotiation\.hold_also\.2: '\{price\}' would be read aloud here"),
    ("no deflections and no partial answers", _no_responsive_content,
     r"team-personas\.yaml: lines\.deflect: no deflections and no partial answers"),
]


@pytest.mark.parametrize(("case", "edit", "expected"), RESPONSIVE_CASES, ids=[c[0] for c in RESPONSIVE_CASES])
def test_responsive_content_problems_name_file_field_and_reason(
    tmp_path: Path, case: str, edit: Edit, expected: str,
) -> None:
    """Each check of the responsive content reports its own problem (the unedited copy has none: see
    test_shipped_content_passes_every_cross_reference_check)."""
    folder = _team_folder(tmp_path, edit)
    problems = cross_reference_problems(load_library([folder]))
    assert any(re.search(expected, p) for p in problems), problems
    result = CliRunner().invoke(app, ["validate", str(folder)])
    assert result.exit_code == 1


def test_a_price_variant_without_its_price_is_refused(tmp_path: Path) -> None:
    """The models refuse anchor/counter/accept variants without '{price}' when the file is loaded."""
    def no_price(persona: dict[str, Any], scenario: dict[str, Any]) -> None:
        _neg_scenario(persona, scenario)
        persona["negotiation"]["counter_also"].append("I can stretch a little further.")

    folder = _team_folder(tmp_path, no_price)
    with pytest.raises(ContentError, match=r"team-personas\.yaml.*\n.*negotiation: Value error, counter_also\.\d+ "
                                           r"must contain '\{price\}'"):
        load_library([folder])
    result = CliRunner().invoke(app, ["validate", str(folder)])
    assert result.exit_code == 1 and "counter_also" in result.output


@pytest.mark.parametrize(("case", "edit", "expected"), CROSS_REFERENCE_CASES,
                         ids=[c[0] for c in CROSS_REFERENCE_CASES])
def test_cross_reference_problems_name_file_field_and_reason(
    tmp_path: Path, case: str, edit: Edit, expected: str,
) -> None:
    folder = _team_folder(tmp_path, edit)
    problems = cross_reference_problems(load_library([folder]))
    assert any(re.search(expected, p) for p in problems), problems
    result = CliRunner().invoke(app, ["validate", str(folder)])
    assert result.exit_code == 1 and "team-" in result.output


def test_an_objection_the_product_cannot_answer_is_reported(tmp_path: Path) -> None:
    def objection_drill(persona: dict[str, Any], scenario: dict[str, Any]) -> None:
        scenario.update(kind="objection_handling", objections=["need-status-quo"],
                        success={"min_objections_resolved": 1, "next_step_with_time": True})
        scenario["stages"][1]["id"] = "objections"
        scenario["product"]["value_points"] = ["Colourful dashboards for every team"]
        scenario["product"]["proof_points"] = []

    problems = cross_reference_problems(load_library([_team_folder(tmp_path, objection_drill)]))
    expected = "product: no winning answer to 'team-buyer''s objection 'need-status-quo'"
    assert any(expected in p for p in problems), problems


def test_topic_cues_cover_every_lexicon_topic_and_every_stock_deflection_names_its_topic() -> None:
    from simulator.content.stock import names_topic, stock_lines, topic_cues
    from simulator.engine.lexicon import TOPICS

    assert set(topic_cues()) == set(TOPICS) | {"personal"}  # small talk: a wording topic, never a lexicon one
    for topic, lines in stock_lines().deflect.items():
        assert all(names_topic(line, topic) for line in lines), (topic, lines)
    for line in stock_lines().restate_offer:
        assert "{price}" in line
    assert stock_lines().personal and all(names_topic(line, "personal") for line in stock_lines().personal)
    assert stock_lines().steer_back


def test_every_shipped_persona_answers_personal_questions_naming_what_was_asked() -> None:
    from simulator.content.stock import names_topic

    library = load_library()
    for persona in library.personas.values():
        assert persona.lines.personal, persona.id
        assert all(names_topic(line, "personal") for line in persona.lines.personal), persona.id
