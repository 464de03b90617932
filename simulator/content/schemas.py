"""JSON Schema files for the YAML content, so editors validate and complete persona/scenario files."""

from __future__ import annotations

import json
from pathlib import Path

from simulator.content.loader import builtin_dir
from simulator.content.models import Persona, Scenario

SCHEMA_FILES: dict[str, tuple[str, type[Persona] | type[Scenario]]] = {
    "personas": ("persona.schema.json", Persona),
    "scenarios": ("scenario.schema.json", Scenario),
}


def schema_text(model: type[Persona] | type[Scenario]) -> str:
    """The model's JSON Schema, formatted stably."""
    return json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n"


def write_schemas(root: Path | None = None) -> list[Path]:
    """Write persona.schema.json and scenario.schema.json into personas/ and scenarios/ under root
    (default: the built-in content folders). Returns the written paths."""
    written = []
    for folder, (name, model) in SCHEMA_FILES.items():
        target_dir = (root / folder) if root else builtin_dir(folder)
        target_dir.mkdir(parents=True, exist_ok=True)
        path = target_dir / name
        path.write_text(schema_text(model), encoding="utf-8")
        written.append(path)
    return written
