"""The `sparring` command line: practise, list, resume, validate, self-play, grade, serve."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from simulator.config import Settings, load_settings
from simulator.errors import SparringError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Sparring: practise sales conversations against AI buyers, offline.")
console = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/] {message}")
    return typer.Exit(code)


def _service(settings: Settings) -> Any:
    from simulator.services.practice import PracticeService

    return PracticeService.open(settings, on_session_end=_grader_hook(settings))


def _grader_hook(settings: Settings) -> Any:
    try:
        from grading.service import scorecard_hook
    except ImportError:
        return None
    return scorecard_hook(settings)


def _read_rep_line() -> str:
    return console.input("[bold green]You:[/] ")


def _print_brief(service: Any, scenario_id: str, persona_id: str | None, difficulty: str) -> str:
    scenario = service.library.scenario(scenario_id)
    persona = service.library.persona(persona_id or scenario.persona)
    console.rule(f"[bold]{scenario.title}[/]")
    console.print(f"[bold]Buyer:[/] {persona.name}, {persona.role} at {persona.company.name}")
    console.print(f"[bold]Difficulty:[/] {difficulty} — {scenario.difficulties[difficulty].description}")  # type: ignore[index]
    console.print(f"[bold]Brief:[/] {scenario.brief}")
    console.print(f"[bold]Objective:[/] {scenario.objective}")
    console.print("[bold]Graded on:[/] " + ", ".join(scenario.competencies))
    console.print("[dim]Type your lines; /end ends the call.[/]")
    return persona.name


@app.command()
def practice(
    scenario: Annotated[str, typer.Option("--scenario", "-s", help="Scenario id (see `sparring scenarios`).")],
    persona: Annotated[str | None, typer.Option(help="Persona id (default: the scenario's).")] = None,
    difficulty: Annotated[str, typer.Option(help="easy | medium | hard")] = "medium",
    voice: Annotated[bool, typer.Option("--voice", help="Speak and listen (push-to-talk).")] = False,
) -> None:
    """Practise a conversation in the terminal, with the buyer's replies streamed."""
    from simulator.terminal import converse, print_outcome

    settings = load_settings()
    try:
        with _service(settings) as service:
            buyer_name = _print_brief(service, scenario, persona, difficulty)
            if voice:
                console.print("[yellow]Voice mode is not available in this build; using text.[/]")
            events = service.start(scenario, persona_id=persona, difficulty=difficulty)
            first = next(events)
            session_id = first["session_id"]
            console.print(f"[dim]session {session_id} — resume later with `sparring resume {session_id}`[/]")
            ended = converse(service, session_id, console, _read_rep_line, buyer_name=buyer_name,
                             first_events=events)
            if ended:
                print_outcome(console, ended)
                _print_scorecard(service, session_id)
    except SparringError as exc:
        raise _fail(str(exc)) from None


def _print_scorecard(service: Any, session_id: str) -> None:
    record = service.store.get_session(session_id)
    if record is None or not record.scorecard:
        return
    try:
        from grading.render import scorecard_markdown
    except ImportError:
        return
    from rich.markdown import Markdown

    console.print(Markdown(scorecard_markdown(record.scorecard)))


@app.command()
def resume(session_id: Annotated[str, typer.Argument(help="A session id from `sparring sessions`.")]) -> None:
    """Continue a session where it stopped (also after a crash)."""
    from simulator.terminal import converse, print_outcome, render_events

    settings = load_settings()
    try:
        with _service(settings) as service:
            view = service.get(session_id)
            persona = service.library.persona(view.record.persona_id)
            render_events(console, service.resume(session_id), persona.name)
            view = service.get(session_id)
            for turn in view.transcript:
                who = persona.name if turn["speaker"] == "buyer" else "You"
                console.print(f"[bold]{who}:[/] {turn['text']}")
            if not view.waiting_for_rep:
                console.print("[dim]This session has ended.[/]")
                if view.outcome:
                    print_outcome(console, {"outcome": view.outcome, "end_reason": view.buyer and view.buyer["end_reason"]})
                return
            ended = converse(service, session_id, console, _read_rep_line, buyer_name=persona.name)
            if ended:
                print_outcome(console, ended)
                _print_scorecard(service, session_id)
    except SparringError as exc:
        raise _fail(str(exc)) from None


@app.command()
def scenarios(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """List the scenarios, one per line, starting with the id."""
    from simulator.content.loader import load_library

    settings = load_settings()
    try:
        library = load_library([settings.content_dir] if settings.content_dir else [])
    except SparringError as exc:
        raise _fail(str(exc)) from None
    items = sorted(library.scenarios.values(), key=lambda s: (s.kind, s.id))
    if as_json:
        print(json.dumps([{"id": s.id, "title": s.title, "kind": s.kind, "industry": s.industry,
                           "persona": s.persona, "competencies": s.competencies} for s in items], indent=2))
        return
    for s in items:
        print(f"{s.id}\t{s.kind}\t{s.industry}\t{s.title}")


@app.command()
def sessions(limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20) -> None:
    """List practice sessions, newest first."""
    settings = load_settings()
    with _service(settings) as service:
        rows = service.list(limit=limit)
    if not rows:
        console.print("No sessions yet. Start one with `sparring practice --scenario ID`.")
        return
    table = Table("id", "scenario", "difficulty", "status", "turns", "result", "score")
    for r in rows:
        result = "" if not r.outcome else ("success" if r.outcome["success"] else "failure")
        score = "" if r.overall_score is None else f"{r.overall_score:.0f}"
        table.add_row(r.id, r.scenario_id, r.difficulty, r.status, str(r.turn_count), result, score)
    console.print(table)


@app.command()
def validate(path: Annotated[Path | None, typer.Argument(help="A content folder with personas/ and scenarios/.")] = None) -> None:
    """Check every persona and scenario file and every cross-reference."""
    from simulator.content.loader import load_library
    from simulator.content.validate import cross_reference_problems

    settings = load_settings()
    extra = [p for p in (path, settings.content_dir) if p is not None]
    try:
        library = load_library(extra)
    except SparringError as exc:
        raise _fail(str(exc), 1) from None
    problems = cross_reference_problems(library)
    if problems:
        raise _fail("\n".join(problems), 1)
    console.print(f"ok: {len(library.personas)} personas, {len(library.scenarios)} scenarios, all references valid")


@app.command()
def schemas(out: Annotated[Path | None, typer.Option(help="Folder to write into (default: the built-in content).")] = None) -> None:
    """Write the JSON Schema files that editors use to validate persona and scenario YAML."""
    from simulator.content.schemas import write_schemas

    for written in write_schemas(out):
        console.print(f"wrote {written}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 7860,
) -> None:
    """Start the web app."""
    from simulator.web.app import launch

    launch(host=host, port=port)


def main() -> None:
    """Console-script entry point: clear messages, never a traceback, for users' mistakes."""
    try:
        app()
    except SparringError as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(2)


if __name__ == "__main__":
    main()
