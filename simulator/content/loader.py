"""Load personas and scenarios from YAML, with errors that name the file and every bad field."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from simulator.content.models import Persona, Scenario
from simulator.errors import ContentError, UnknownIdError

M = TypeVar("M", bound=BaseModel)

MAX_CONTENT_BYTES = 512 * 1024


def _format_validation_error(path: Path, exc: ValidationError) -> str:
    lines = [f"{path}: {exc.error_count()} problem(s)"]
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"]) or "(top level)"
        lines.append(f"  - {loc}: {err['msg']}")
    return "\n".join(lines)


_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it (several times faster), else the Python one."""


def load_model(path: Path, model: type[M]) -> M:
    """Parse one YAML file into ``model``; raise ContentError naming the file and each bad field."""
    try:
        if path.stat().st_size > MAX_CONTENT_BYTES:
            raise ContentError(f"{path}: file is larger than {MAX_CONTENT_BYTES // 1024} KiB")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise ContentError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContentError(f"{path}: invalid YAML{where}: {problem}") from exc
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected a mapping of fields at the top level")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ContentError(_format_validation_error(path, exc)) from exc


def builtin_dir(package: str) -> Path:
    """The folder of a built-in content package ('personas' or 'scenarios')."""
    return Path(str(resources.files(package)))


def _yaml_files(folder: Path) -> list[Path]:
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []


@dataclass
class ContentLibrary:
    """All personas and scenarios, with where each came from."""

    personas: dict[str, Persona] = field(default_factory=dict)
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)
    """'persona:<id>' / 'scenario:<id>' -> file path."""
    owners: dict[str, str] = field(default_factory=dict)
    """Scenario id -> the team that owns it: drills published in the Drill studio
    (simulator/services/drills.py), which only that team's people may practise."""

    def shared_scenarios(self) -> list[Scenario]:
        """The scenarios everyone may practise (the library, not a team's own drills)."""
        owned = self.owners
        return [s for sid, s in self.scenarios.items() if sid not in owned]

    def persona(self, persona_id: str) -> Persona:
        """The persona with this id, or UnknownIdError listing the valid ids."""
        try:
            return self.personas[persona_id]
        except KeyError:
            raise UnknownIdError("persona", persona_id, sorted(self.personas)) from None

    def scenario(self, scenario_id: str) -> Scenario:
        """The scenario with this id, or UnknownIdError listing the valid ids."""
        try:
            return self.scenarios[scenario_id]
        except KeyError:
            raise UnknownIdError("scenario", scenario_id, sorted(self.scenarios)) from None


P = TypeVar("P", Persona, Scenario)


def _load_into(target: dict[str, P], kind: str, dirs: list[Path], model: type[P], sources: dict[str, Path],
               problems: list[str]) -> None:
    """Load every YAML file of the folders into ``target``; collect problems instead of stopping."""
    for folder in dirs:
        for path in _yaml_files(folder):
            try:
                item = load_model(path, model)
            except ContentError as exc:
                problems.append(str(exc))
                continue
            key = f"{kind}:{item.id}"
            if key in sources:
                problems.append(f"{path}: id: {kind} id {item.id!r} is already defined in {sources[key]}")
                continue
            target[item.id] = item
            sources[key] = path


def load_library(extra_dirs: Iterable[Path] = (), *, include_builtin: bool = True) -> ContentLibrary:
    """Load the built-in library and any extra content folders (each with personas/ and scenarios/).

    Collects every problem before raising, so one run of ``sparring validate`` shows them all.
    """
    persona_dirs: list[Path] = [builtin_dir("personas")] if include_builtin else []
    scenario_dirs: list[Path] = [builtin_dir("scenarios")] if include_builtin else []
    for extra in extra_dirs:
        if not extra.is_dir():
            raise ContentError(f"{extra}: content folder does not exist")
        persona_dirs.append(extra / "personas")
        scenario_dirs.append(extra / "scenarios")

    library = ContentLibrary()
    problems: list[str] = []
    _load_into(library.personas, "persona", persona_dirs, Persona, library.sources, problems)
    _load_into(library.scenarios, "scenario", scenario_dirs, Scenario, library.sources, problems)
    if problems:
        raise ContentError("\n".join(problems))
    return library
