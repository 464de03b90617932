"""The rubric file: complete, validated, readable before practice, backed by code for every check."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from grading.rubric import COMPETENCY_IDS, load_rubric, rubric_for_scenario, rubric_path
from grading.scoring import validate_rubric
from simulator.content.loader import ContentLibrary
from simulator.errors import ContentError


def test_rubric_has_exactly_the_fixed_competencies_with_five_levels_and_four_checks() -> None:
    rubric = load_rubric()
    assert [c.id for c in rubric.competencies] == list(COMPETENCY_IDS)
    for comp in rubric.competencies:
        assert len(comp.levels) == 5 and all(level.strip() for level in comp.levels)
        assert len(comp.checks) == 4
        for check in comp.checks:
            assert "{" not in check.describe(), "every placeholder is filled from params"


def test_every_check_has_code_behind_it() -> None:
    validate_rubric(load_rubric())


@pytest.mark.parametrize("kind", ["discovery", "objection_handling", "negotiation", "transcript"])
def test_weights_per_kind_add_up_to_one(kind: str) -> None:
    rubric = load_rubric()
    assert sum(c.weights.for_kind(kind) for c in rubric.competencies) == pytest.approx(1.0)  # type: ignore[arg-type]


def test_rubric_for_each_shipped_scenario_lists_trained_competencies(library: ContentLibrary) -> None:
    for scenario in library.scenarios.values():
        entries = rubric_for_scenario(scenario)
        assert entries, scenario.id
        assert sum(e.weight for e in entries) == pytest.approx(1.0)
        assert [e.weight for e in entries] == sorted((e.weight for e in entries), reverse=True)
        trained = {e.id for e in entries if e.trained}
        assert trained == set(scenario.competencies) & {e.id for e in entries}
        assert all(len(e.checks) == 4 for e in entries)


def test_rubric_for_a_plain_transcript_covers_all_seven() -> None:
    entries = rubric_for_scenario(None)
    assert {e.id for e in entries} == set(COMPETENCY_IDS)
    assert not any(e.trained for e in entries)


def _write_variant(tmp_path: Path, mutate: object) -> Path:
    data = yaml.safe_load(rubric_path().read_text(encoding="utf-8"))
    mutate(data)  # type: ignore[operator]
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_unknown_field_error_names_file_and_field(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, lambda d: d["competencies"][0].update(colour="red"))
    with pytest.raises(ContentError) as err:
        load_rubric(path)
    assert str(path) in str(err.value) and "competencies.0.colour" in str(err.value)


def test_weights_that_do_not_add_up_are_rejected(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, lambda d: d["competencies"][0]["weights"].update(discovery=0.9))
    with pytest.raises(ContentError, match="weights for discovery add up to"):
        load_rubric(path)


def test_a_check_text_naming_a_missing_param_is_rejected(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, lambda d: d["competencies"][0]["checks"][0].update(params={}))
    with pytest.raises(ContentError, match="names a param that is not set"):
        load_rubric(path)


def test_a_check_without_code_is_rejected(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, lambda d: d["competencies"][0]["checks"][0].update(id="mind_reading"))
    with pytest.raises(ContentError, match=r"discovery_questioning\.mind_reading"):
        validate_rubric(load_rubric(path))
