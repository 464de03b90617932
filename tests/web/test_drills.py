"""The Drill studio's service (issue 15, items 1-3): drafts validated like the YAML library, a check
that must pass for exactly the content published, versions and rollback, team-only practice, and
export/import as files ``sparring validate`` accepts."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from webtest_support import Org, echo_gist

from simulator.content.loader import load_library
from simulator.content.models import Persona, Scenario
from simulator.content.validate import cross_reference_problems
from simulator.errors import PermissionDeniedError, UnknownIdError
from simulator.llm.scripted import ScriptedLLM
from simulator.services.app_services import AppServices
from simulator.services.drills import DrillError, DrillService, dump
from simulator.session.events import Reply, fold
from simulator.store.drills import content_hash, library_id
from simulator.web.drill_form import FIELDS, from_form, to_form

SOURCE = "library:healthcare-discovery-it"


def _start(services: AppServices, actor: Any, scenario_id: str) -> tuple[str, Reply]:
    reply, sid = Reply(), ""
    for event in services.sessions.start(actor, scenario_id):
        reply = fold(reply, event)
        if event["type"] == "session":
            sid = event["session_id"]
    return sid, reply


def test_a_clone_is_a_valid_draft_with_its_own_ids(services: AppServices, org: Org) -> None:
    draft = services.drills.clone(org.manager, org.team_id, SOURCE)
    library = services.practice.library
    assert draft.scenario["id"] == "healthcare-discovery-it-copy"
    assert draft.persona["id"] == "nadia-it-director-copy" and draft.scenario["persona"] == draft.persona["id"]
    assert draft.scenario["title"].endswith("(copy)")
    assert draft.persona["id"] not in library.personas and draft.scenario["id"] not in library.scenarios
    found = services.drills.validate(draft.persona, draft.scenario, team_id=org.team_id, drill_id=draft.id)
    assert found.ok, found.problems
    # a second clone gets fresh ids again
    again = services.drills.clone(org.manager, org.team_id, SOURCE)
    assert again.scenario["id"] == "healthcare-discovery-it-copy-2"


def test_problems_name_the_part_the_field_and_the_problem(services: AppServices, org: Org) -> None:
    draft = services.drills.clone(org.manager, org.team_id, SOURCE)
    persona, scenario = copy.deepcopy(draft.persona), copy.deepcopy(draft.scenario)
    del persona["hidden_facts"][1]["say"]
    scenario["turn_cap"] = 500
    found = services.drills.validate(persona, scenario)
    shown = [str(p) for p in found.problems]
    assert "persona: hidden_facts.1.say: Field required" in shown
    assert any(s.startswith("scenario: turn_cap: ") and "80" in s for s in shown)
    # cross-reference rules of `sparring validate`, on a draft that parses
    persona, scenario = copy.deepcopy(draft.persona), copy.deepcopy(draft.scenario)
    scenario["success"]["min_facts"] = 9
    scenario["competencies"] = [*scenario["competencies"], "charisma"]
    persona["hidden_facts"][0]["topics"] = ["weather"]
    shown = [str(p) for p in services.drills.validate(persona, scenario).problems]
    assert any(s.startswith("scenario: success.min_facts: 9 is more than persona") for s in shown), shown
    assert any(s.startswith("scenario: competencies.") and "'charisma'" in s for s in shown), shown
    assert any(s.startswith("persona: hidden_facts.0.topics: unknown topic 'weather'") for s in shown), shown
    # the studio's own: a library id, and the scenario's buyer
    persona, scenario = copy.deepcopy(draft.persona), copy.deepcopy(draft.scenario)
    persona["id"], scenario["persona"] = "nadia-it-director", "someone-else"
    shown = [str(p) for p in services.drills.validate(persona, scenario).problems]
    assert "persona: id: 'nadia-it-director' is a library buyer's id; choose another" in shown
    assert "scenario: persona: must be this drill's buyer 'nadia-it-director'" in shown
    # content that does not parse is not saved
    broken = copy.deepcopy(draft.scenario)
    broken["kind"] = "cold_call"
    with pytest.raises(DrillError, match=r"scenario: kind: "):
        services.drills.save(org.manager, draft.id, draft.persona, broken)
    assert services.drills.get(org.manager, draft.id).scenario["kind"] == "discovery"


def test_publishing_needs_a_passing_check_of_exactly_this_content(services: AppServices, org: Org) -> None:
    drills = services.drills
    draft = drills.clone(org.manager, org.team_id, SOURCE)
    with pytest.raises(DrillError, match="has not been checked"):
        drills.publish(org.manager, draft.id)
    # a drill the strong rep cannot win fails the check and cannot be published
    short = {**draft.scenario, "turn_cap": 3}
    assert drills.save(org.manager, draft.id, draft.persona, short).ok
    report = drills.check(org.manager, draft.id)
    assert not report.passed and any("the strong rep lost" in p for p in report.problems), report.problems
    with pytest.raises(DrillError, match="last check of this content failed"):
        drills.publish(org.manager, draft.id)
    # fixed and checked: it passes, strong wins and weak loses at every level
    drills.save(org.manager, draft.id, draft.persona, draft.scenario)
    report = drills.check(org.manager, draft.id)
    assert report.passed, report.lines()
    assert {(r.rep, r.difficulty) for r in report.runs} == {
        (rep, d) for rep in ("strong", "weak") for d in ("easy", "medium", "hard")}
    assert all(r.success == (r.rep == "strong") for r in report.runs)
    assert report.sample is None and report.sample_note.startswith("skipped")
    # any change after the check, even one word of the brief, needs a new check
    edited = {**draft.scenario, "brief": draft.scenario["brief"] + " Be quick."}
    drills.save(org.manager, draft.id, draft.persona, edited)
    with pytest.raises(DrillError, match="has not been checked"):
        drills.publish(org.manager, draft.id)
    # a passing check recorded for other content does not count either
    drills.store.record_check(draft.id, content_hash(draft.persona, draft.scenario), True, {})
    with pytest.raises(DrillError, match="has not been checked"):
        drills.publish(org.manager, draft.id)
    assert drills.versions(org.manager, draft.id) == []
    assert drills.check(org.manager, draft.id).passed
    assert drills.publish(org.manager, draft.id).version == 1
    with pytest.raises(DrillError, match="nothing changed since version 1"):
        drills.publish(org.manager, draft.id)


def _published(services: AppServices, org: Org) -> Any:
    drills = services.drills
    draft = drills.clone(org.manager, org.team_id, SOURCE)
    assert drills.check(org.manager, draft.id).passed
    drills.publish(org.manager, draft.id)
    return draft


def test_versions_rollback_and_the_version_a_session_was_played_on(services: AppServices, org: Org) -> None:
    drills = services.drills
    draft = _published(services, org)
    v1 = library_id(draft.id, 1)
    sid1, reply = _start(services, org.rep, v1)
    assert reply.line and drills.store.session_version(sid1) == 1
    # version 2: a new title; reps now get v2 only
    drills.save(org.manager, draft.id, draft.persona, {**draft.scenario, "title": "Pagers, take two"})
    assert drills.check(org.manager, draft.id).passed
    assert drills.publish(org.manager, draft.id).version == 2
    v2 = library_id(draft.id, 2)
    mine = [s.id for s in drills.playable(org.rep)]
    assert v2 in mine and v1 not in mine
    assert services.practice.library.scenario(v2).title == "Pagers, take two · v2"
    assert drills.may_play(org.rep, v1)  # an assignment or Retry keeps the version it names
    assert not drills.may_play(org.outsider, v1) and not drills.may_play(org.outsider, v2)
    # the session on v1 still resolves its own version (replay, scorecard)
    list(services.sessions.send(org.rep, sid1, "Hi Nadia, how do clinicians get paged today?"))
    list(services.sessions.end(org.rep, sid1))
    record = services.sessions.record(org.rep, sid1)
    assert record.status == "ended" and record.scenario_id == v1
    assert record.scorecard is not None, "the grader knows the team's drills"
    sid2, _ = _start(services, org.rep, v2)
    assert drills.store.session_version(sid2) == 2
    # roll back to 1: published again as version 3, with version 1's content
    back = drills.rollback(org.manager, draft.id, 1)
    assert back.version == 3 and back.source_version == 1
    v3 = library_id(draft.id, 3)
    assert [s.id for s in drills.playable(org.rep) if s.id.startswith("team-")] == [v3]
    assert services.practice.library.scenario(v3).title.startswith("Discovery call")
    current = [v.version for v in drills.versions(org.manager, draft.id) if v.published]
    assert current == [3]
    with pytest.raises(DrillError, match="no version 9"):
        drills.rollback(org.manager, draft.id, 9)


def test_only_the_team_sees_and_plays_its_drills(services: AppServices, org: Org) -> None:
    drills = services.drills
    draft = _published(services, org)
    v1 = library_id(draft.id, 1)
    library_ids = {s.id for s in services.practice.library.shared_scenarios()}
    assert v1 in {s.id for s in drills.playable(org.rep)} and v1 in {s.id for s in drills.playable(org.admin)}
    assert {s.id for s in drills.playable(org.outsider)} == library_ids
    assert {s.id for s in drills.playable(None)} == library_ids  # built at start: the library only
    with pytest.raises(UnknownIdError):
        services.sessions.start(org.outsider, v1)
    # the studio itself: managers of the team and admins only; another team's draft reads as missing
    with pytest.raises(PermissionDeniedError, match="manager or admin role"):
        drills.summaries(org.rep)
    with pytest.raises(PermissionDeniedError, match="manager or admin role"):
        drills.get(org.rep, draft.id)
    for call in (lambda: drills.get(org.other_manager, draft.id), lambda: drills.check(org.other_manager, draft.id),
                 lambda: drills.publish(org.other_manager, draft.id),
                 lambda: drills.rollback(org.other_manager, draft.id, 1),
                 lambda: drills.export_files(org.other_manager, draft.id),
                 lambda: drills.clone(org.other_manager, org.other_team_id, f"drill:{draft.id}"),
                 lambda: drills.get(org.other_manager, "no-such-drill")):
        with pytest.raises(PermissionDeniedError, match="There is no drill"):
            call()
    with pytest.raises(PermissionDeniedError):
        drills.clone(org.other_manager, org.team_id, SOURCE)  # not their team
    assert drills.summaries(org.other_manager) == []
    assert [d.draft.id for d in drills.summaries(org.admin)] == [draft.id]
    # the library lists, dashboards and the grader's next drill never suggest a team's drill
    assert v1 not in {s.id for s in services.practice.library.shared_scenarios()}


def test_export_is_what_sparring_validate_accepts_and_imports_back(
    services: AppServices, org: Org, tmp_path: Path
) -> None:
    drills = services.drills
    draft = _published(services, org)
    files = drills.export_files(org.manager, draft.id, 1)
    assert sorted(files) == ["personas/nadia-it-director-copy.yaml", "scenarios/healthcare-discovery-it-copy.yaml"]
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    library = load_library([tmp_path])  # what `sparring validate FOLDER` loads and checks
    assert cross_reference_problems(library) == []
    assert dump(library.scenario("healthcare-discovery-it-copy")) == draft.scenario
    assert drills.export_zip(org.manager, draft.id)[:2] == b"PK"
    imported = drills.import_files(org.other_manager, org.other_team_id, files)
    assert imported.team_id == org.other_team_id and imported.scenario == draft.scenario
    assert imported.persona == draft.persona and imported.source == "import"
    # a scenario file alone, on a library buyer: the buyer is copied in under a new id
    scenario_only = {k: v for k, v in files.items() if k.startswith("scenarios/")}
    scenario_only = {k: v.replace("persona: nadia-it-director-copy", "persona: nadia-it-director")
                     for k, v in scenario_only.items()}
    alone = drills.import_files(org.manager, org.team_id, scenario_only)
    assert alone.persona["id"] == "nadia-it-director-copy" and alone.scenario["persona"] == alone.persona["id"]
    with pytest.raises(DrillError, match="found 0 scenario files"):
        drills.import_files(org.manager, org.team_id, {"personas/x.yaml": files[next(iter(files))]})
    with pytest.raises(DrillError, match="invalid YAML"):
        drills.import_files(org.manager, org.team_id, {"scenarios/x.yaml": "id: [unclosed"})


def test_the_check_plays_a_sample_conversation_when_a_model_is_there(services: AppServices, org: Org) -> None:
    drills = services.drills
    draft = drills.clone(org.manager, org.team_id, SOURCE)
    with_model = DrillService(drills.store, services.practice.library, services.teams,
                              sample_llm=lambda: (ScriptedLLM(fallback=echo_gist), "embedded model"))
    report = with_model.check(org.manager, draft.id)
    assert report.passed and report.sample
    assert sum(1 for t in report.sample if t["speaker"] == "rep") == 3
    assert report.sample_note == "3 rep turns with the embedded model"
    stored = drills.last_check(org.manager, draft.id)
    assert stored is not None and stored.sample == report.sample


def test_the_form_round_trips_every_library_drill() -> None:
    library = load_library()
    for scenario in library.scenarios.values():
        persona, data = dump(library.persona(scenario.persona)), dump(scenario)
        values = to_form(persona, data)
        assert len(values) == len(FIELDS)
        back_persona, back_scenario = from_form(persona, data, values)
        assert dump(Persona.model_validate(back_persona)) == persona, scenario.id
        assert dump(Scenario.model_validate(back_scenario)) == data, scenario.id
    # an edit in a table keeps what the form does not show (other phrasings of a fact)
    scenario = library.scenario("healthcare-discovery-it")
    persona, data = dump(library.persona(scenario.persona)), dump(scenario)
    values = to_form(persona, data)
    facts = FIELDS.index(next(f for f in FIELDS if f.key == "p.hidden_facts"))
    values[facts][0][6] = "We run 1,400 pagers."
    new_persona, _ = from_form(persona, data, values)
    assert new_persona["hidden_facts"][0]["say"] == "We run 1,400 pagers."
    assert new_persona["hidden_facts"][0].get("say_also") == persona["hidden_facts"][0].get("say_also")
