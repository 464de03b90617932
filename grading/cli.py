"""`sparring grade FILE_OR_SESSION [--rep SPEAKER] [--format json|md]`.

The lead mounts :func:`grade` on the main Typer app (``app.command("grade")(grade)``). Exit codes:
0 graded, 2 bad input (unreadable or invalid transcript, unknown speaker/session/scenario).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Literal

import click
import typer

from grading.grader import GradeOptions, grade_session
from grading.render import render_markdown
from grading.sources import AskRep, GradeInput, SessionSource, from_file, from_session
from simulator.config import Settings, load_settings
from simulator.content.loader import ContentLibrary, load_library
from simulator.errors import SparringError
from simulator.llm.base import LLM

OutputFormat = Literal["json", "md"]
BAD_INPUT = 2


def _ask_rep(speakers: list[str]) -> str:
    """Ask which speaker is the rep (only called when stdin is a terminal)."""
    return str(typer.prompt("Which speaker is the rep?", type=click.Choice(speakers, case_sensitive=False)))


def _open_store(settings: Settings) -> SessionSource:
    from simulator.store.db import create_db_engine, init_schema
    from simulator.store.sessions import SessionStore

    engine = create_db_engine(settings.resolved_database_url)
    init_schema(engine)
    return SessionStore(engine)


def _library(settings: Settings) -> ContentLibrary:
    extra = [settings.content_dir] if settings.content_dir else []
    return load_library(extra)


def load_input(
    target: str,
    *,
    rep: str | None,
    scenario_id: str | None,
    settings: Settings,
    library: ContentLibrary,
    ask: AskRep | None,
    store: SessionSource | None = None,
) -> GradeInput:
    """A file path, else a practice session id. Raises SparringError with a clear message."""
    path = Path(target)
    if path.is_file():
        return from_file(path, rep=rep, ask=ask, library=library, scenario_id=scenario_id)
    if path.exists():
        raise SparringError(f"{target}: not a file")
    found = from_session(target, store or _open_store(settings), library)
    if found is None:
        raise SparringError(
            f"{target}: no such transcript file or practice session id (see `sparring sessions`)"
        )
    return found


def run_grade(
    target: str,
    *,
    rep: str | None = None,
    fmt: OutputFormat = "json",
    scenario_id: str | None = None,
    settings: Settings | None = None,
    llm: LLM | None = None,
    library: ContentLibrary | None = None,
    store: SessionSource | None = None,
    ask: AskRep | None = None,
) -> str:
    """Grade and return the rendered scorecard. Raises SparringError on bad input."""
    settings = settings or load_settings()
    library = library or _library(settings)
    data = load_input(
        target, rep=rep, scenario_id=scenario_id, settings=settings, library=library, ask=ask, store=store
    )
    if llm is None:
        from simulator.llm.factory import create_llm

        llm = create_llm(settings)
    card = grade_session(
        data.transcript,
        scenario=data.scenario,
        persona=data.persona,
        outcome=data.outcome,
        llm=llm,
        previous=data.previous,
        library=library,
        options=GradeOptions(difficulty=data.difficulty, rep_speaker=data.rep_speaker),
    )
    if fmt == "md":
        return render_markdown(card)
    return json.dumps(card.model_dump(mode="json"), indent=2, ensure_ascii=False)


def grade(
    target: Annotated[
        str,
        typer.Argument(help="A transcript file ('Speaker: text' lines, or JSON) or a practice session id."),
    ],
    rep: Annotated[
        str | None, typer.Option("--rep", help="The rep's speaker name in the transcript.")
    ] = None,
    format: Annotated[OutputFormat, typer.Option("--format", help="json (default) or md.")] = "json",
    scenario: Annotated[
        str | None,
        typer.Option("--scenario", help="Grade a transcript with this scenario's weights and facts."),
    ] = None,
    llm: Annotated[
        str | None,
        typer.Option(
            "--llm", help="embedded | openai | template (default: SPARRING_LLM); template = rules only."
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Grade a call transcript or a practice session: a transparent scorecard, every number explained."""
    try:
        settings = load_settings(llm=llm) if llm else load_settings()
        ask = _ask_rep if sys.stdin.isatty() else None
        text = run_grade(target, rep=rep, fmt=format, scenario_id=scenario, settings=settings, ask=ask)
    except SparringError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(BAD_INPUT) from None
    except ValueError as exc:  # e.g. an invalid SPARRING_LLM value
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(BAD_INPUT) from None
    if output is not None:
        output.write_text(text + "\n", encoding="utf-8")
    else:
        typer.echo(text)


def main() -> None:
    """Run `grade` as a standalone command (``python -m grading.cli``)."""
    typer.run(grade)


if __name__ == "__main__":
    main()
