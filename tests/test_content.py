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
from simulator.content.schemas import SCHEMA_FILES, schema_text
from simulator.content.validate import DEFAULT_COMPETENCIES, cross_reference_problems
from simulator.engine.repview import SUBSTANTIVE_WORDS
from simulator.errors import ContentError

LIBRARY = load_library()
INSTRUCTION_WORDS = re.compile(r"\b(the rep|the buyer|the salesperson|instruction|in character)\b", re.I)
Edit = Callable[[dict[str, Any], dict[str, Any]], None]


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


@pytest.mark.parametrize("persona_id", sorted(LIBRARY.personas))
def test_buyer_lines_are_spoken_first_person_with_no_instructions(persona_id: str) -> None:
    persona = LIBRARY.persona(persona_id)
    lines = persona.lines
    spoken = [*(f.say for f in persona.hidden_facts), *(f.hint for f in persona.hidden_facts),
              *(text for o in persona.objections for text in (o.say, o.concern, o.resolved_say, o.push_back))]
    spoken += [line for key in type(lines).model_fields for line in getattr(lines, key)]
    for text in spoken:
        assert not INSTRUCTION_WORDS.search(text), text
        assert not re.search(r"[\[\]]|\{(?!when\}|price\})", text), text
    # Stock answers are short and carry no figures; facts are specific. A rep (and the self-play
    # policy) can tell a real answer from a brush-off.
    stock = [*lines.small_talk, *lines.closed_answer, *lines.vague_answer, *lines.impatient,
             *(f.hint for f in persona.hidden_facts)]
    for text in stock:
        assert len(text.split()) < SUBSTANTIVE_WORDS and not any(c.isdigit() for c in text), text
    for fact in persona.hidden_facts:
        assert len(fact.say.split()) >= SUBSTANTIVE_WORDS or any(c.isdigit() for c in fact.say), fact.id


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
    ("unwinnable negotiation",
     lambda p, s: (_neg_scenario(p, s), s["success"].update(min_price_fraction=0.97)),
     r"difficulties\.medium\.walk_away_delta: 'team-buyer' would pay at most 95% of list, below the "
     r"success floor of 97%: the drill cannot be won"),
]


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
