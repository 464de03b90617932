"""`sparring understand [--scenario ID] [--jsonl]`: how Sparring reads each rep message, and why.

Reads rep messages on stdin (one a line, or JSON objects with a `text` field with --jsonl) and
prints one JSON object per input line, in order. For authors and reps asking "why did the buyer
treat my question as closed?".
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from simulator.errors import SparringError


def _context(scenario_id: str | None) -> Any:
    from simulator.engine.understand import AnalysisContext

    if not scenario_id:
        return AnalysisContext()
    from simulator.config import load_settings
    from simulator.content.loader import load_library
    from simulator.engine.context import analysis_context_for

    settings = load_settings()
    library = load_library([settings.content_dir] if settings.content_dir else [])
    scenario = library.scenario(scenario_id)
    return analysis_context_for(library.persona(scenario.persona), scenario)


def _record(text: str, ctx: Any) -> dict[str, Any]:
    from simulator.engine.understand import analyse

    analysis = analyse(text, ctx)
    record: dict[str, Any] = {"text": text}
    for key in ("question_kind", "next_step", "next_step_time", "concession", "asks_in_return", "acknowledges",
                "is_pitch", "greeting", "thanks_or_goodbye", "ends_call"):
        record[key] = analysis[key]
    record["prices"] = analysis["price_mentions"]
    record["understood"] = analysis["understood"]
    record["facts_probed_open"] = analysis["facts_probed_open"]
    record["facts_probed_closed"] = analysis["facts_probed_closed"]
    record["reasons"] = analysis["reasons"]
    return record


def understand(
    scenario: Annotated[str | None, typer.Option(help="Read in this drill's context (its list price, its hidden "
                                                      "facts' topics).")] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Input lines are JSON objects with a 'text' field.")] = False,
) -> None:
    """Label rep messages from stdin: one JSON object per input line, with the reasons."""
    try:
        ctx = _context(scenario)
    except SparringError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for number, line in enumerate(sys.stdin, 1):
        line = line.rstrip("\n")
        text = line
        if jsonl:
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                text = obj["text"]
                if not isinstance(text, str):
                    raise TypeError
            except (json.JSONDecodeError, KeyError, TypeError):
                typer.echo(f"error: line {number}: expected a JSON object with a string 'text' field", err=True)
                raise typer.Exit(2) from None
        typer.echo(json.dumps(_record(text, ctx), ensure_ascii=False))
