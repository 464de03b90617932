"""The `sparring` command line: practise, list, resume, validate, self-play, grade, serve."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simulator.config import Settings, load_settings
from simulator.errors import SparringError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Sparring: practise sales conversations against AI buyers, offline.")
console = Console()
err = Console(stderr=True)


OutputFormat = Literal["text", "json"]
"""``--format``: text for people (the default), json for scripts (one JSON document on stdout)."""
FORMAT_HELP = "text (for people) or json (for scripts)."


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(code)


def _as_json(fmt: OutputFormat, as_json: bool) -> bool:
    """``--format json``, or the older ``--json`` flag (kept as an alias)."""
    return as_json or fmt == "json"


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _service(settings: Settings) -> Any:
    from simulator.session import PracticeService

    return PracticeService.open(settings, on_session_end=_grader_hook(settings))


def _grader_hook(settings: Settings) -> Any:
    try:
        from grading.service import scorecard_hook
    except ImportError:
        return None
    return scorecard_hook(settings)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console.print(f"sparring {version('sparring')}")
        raise typer.Exit()


@app.callback()
def _main_options(
    show_version: Annotated[bool | None, typer.Option("--version", callback=_version, is_eager=True,
                                                      help="Print the version and exit.")] = None,
) -> None:
    """Sparring: practise sales conversations against AI buyers, offline."""


def _check_difficulty(difficulty: str) -> str:
    from simulator.session import DIFFICULTIES

    if difficulty not in DIFFICULTIES:
        raise _fail(f"unknown difficulty {difficulty!r}; valid difficulties: {', '.join(DIFFICULTIES)}")
    return difficulty


def _read_rep_line() -> str:
    return console.input("[bold green]You:[/] ")


def _print_brief(service: Any, scenario_id: str, persona_id: str | None, difficulty: str) -> str:
    scenario = service.library.scenario(scenario_id)
    persona = service.library.persona(persona_id or scenario.persona)
    console.rule(f"[bold]{scenario.title}[/]")
    console.print(f"[bold]Buyer:[/] {persona.name}, {persona.role} at {persona.company.name}")
    console.print(f"[bold]Difficulty:[/] {difficulty} — {scenario.difficulties[difficulty].description}")
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
    """Practise a conversation in the terminal, with the buyer's replies streamed (spoken with --voice)."""
    from simulator.terminal import converse, print_outcome

    _check_difficulty(difficulty)
    settings = load_settings()
    try:
        with _service(settings) as service:
            buyer_name = _print_brief(service, scenario, persona, difficulty)
            events = service.start(scenario, persona_id=persona, difficulty=difficulty)
            first = next(events)
            session_id = first["session_id"]
            console.print(f"[dim]session {session_id} — resume later with `sparring resume {session_id}`[/]")
            if voice:
                from simulator.terminal_voice import converse_by_voice

                buyer = service.library.persona(persona or service.library.scenario(scenario).persona)
                ended = converse_by_voice(service, session_id, console, console.input, persona=buyer,
                                          first_events=events)
            else:
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
def resume(
    session_id: Annotated[str, typer.Argument(help="A session id from `sparring sessions`.")],
    voice: Annotated[bool, typer.Option("--voice", help="Speak and listen (push-to-talk).")] = False,
) -> None:
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
                    end_reason = view.buyer["end_reason"] if view.buyer else None
                    print_outcome(console, {"outcome": view.outcome, "end_reason": end_reason})
                return
            if voice:
                from simulator.terminal_voice import converse_by_voice

                ended = converse_by_voice(service, session_id, console, console.input, persona=persona)
            else:
                ended = converse(service, session_id, console, _read_rep_line, buyer_name=persona.name)
            if ended:
                print_outcome(console, ended)
                _print_scorecard(service, session_id)
    except SparringError as exc:
        raise _fail(str(exc)) from None


@app.command()
def transcribe(
    file: Annotated[Path, typer.Argument(help="A recording: WAV, MP3, OGG, WebM, M4A, … (stereo calls: left = you).")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the transcript here instead of stdout.")] = None,
    speaker: Annotated[str, typer.Option("--speaker", help="Label for a one-speaker recording.")] = "Rep",
) -> None:
    """Transcribe a recording offline into 'Speaker: text' lines that `sparring grade` accepts."""
    from simulator.voice import VoiceError, run_transcribe

    try:
        text = run_transcribe(file, out, speaker)
    except VoiceError as exc:
        raise _fail(str(exc)) from None
    if out is None:
        sys.stdout.write(text)
    else:
        err.print(f"wrote {out} ({len(text.splitlines())} lines)")


@app.command()
def scenarios(
    fmt: Annotated[OutputFormat, typer.Option("--format", help=FORMAT_HELP)] = "text",
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
) -> None:
    """List the scenarios, one per line, starting with the id."""
    from simulator.content.loader import load_library

    settings = load_settings()
    try:
        library = load_library([settings.content_dir] if settings.content_dir else [])
    except SparringError as exc:
        raise _fail(str(exc)) from None
    items = sorted(library.scenarios.values(), key=lambda s: (s.kind, s.id))
    if _as_json(fmt, as_json):
        _print_json([{"id": s.id, "title": s.title, "kind": s.kind, "industry": s.industry,
                      "persona": s.persona, "competencies": s.competencies} for s in items])
        return
    for s in items:
        print(f"{s.id}\t{s.kind}\t{s.industry}\t{s.title}")


@app.command()
def sessions(
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 20,
    fmt: Annotated[OutputFormat, typer.Option("--format", help=FORMAT_HELP)] = "text",
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
) -> None:
    """List practice sessions, newest first (status: active, ended or abandoned)."""
    settings = load_settings()
    with _service(settings) as service:
        rows = service.list(limit=limit)
    if _as_json(fmt, as_json):
        _print_json([{"id": r.id, "scenario_id": r.scenario_id, "persona_id": r.persona_id,
                      "difficulty": r.difficulty, "status": r.status, "turns": r.turn_count,
                      "success": None if not r.outcome else bool(r.outcome["success"]),
                      "score": r.overall_score, "created_at": r.created_at, "user_id": r.user_id}
                     for r in rows])
        return
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
def validate(
    path: Annotated[Path | None, typer.Argument(help="A content folder with personas/ and scenarios/.")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help=FORMAT_HELP)] = "text",
) -> None:
    """Check every persona and scenario file and every cross-reference (exit code 1 if any problem).

    With --format json: {"ok", "personas", "scenarios", "problems": [one string each]}."""
    from simulator.content.loader import load_library
    from simulator.content.validate import cross_reference_problems

    settings = load_settings()
    extra = [p for p in (path, settings.content_dir) if p is not None]
    try:
        library = load_library(extra)
        problems = cross_reference_problems(library)
        counts: dict[str, int | None] = {"personas": len(library.personas), "scenarios": len(library.scenarios)}
    except SparringError as exc:  # the library did not load: the counts are unknown
        problems = [line for line in str(exc).splitlines() if line.strip()]
        counts = {"personas": None, "scenarios": None}
    if fmt == "json":
        _print_json({"ok": not problems, **counts, "problems": problems})
        if problems:
            raise typer.Exit(1)
        return
    if problems:
        raise _fail("\n".join(problems), 1)
    console.print(f"ok: {counts['personas']} personas, {counts['scenarios']} scenarios, all references valid")


@app.command()
def selfplay(
    scenario: Annotated[str | None, typer.Option(
        "--scenario", "-s", help="Scenario id; omit it to check every scenario with both reps.")] = None,
    rep: Annotated[Literal["strong", "weak"] | None, typer.Option(help="strong | weak (default: strong)")] = None,
    difficulty: Annotated[str, typer.Option(help="easy | medium | hard")] = "medium",
    persona: Annotated[str | None, typer.Option(help="Persona id (default: the scenario's).")] = None,
    rep_script: Annotated[Path | None, typer.Option(
        "--rep-script", help="Play your own rep lines from this file (one message per line; "
                             "blank lines and # comments skipped) instead of a scripted rep.")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help=FORMAT_HELP)] = "text",
) -> None:
    """Play a whole call with a scripted rep or your own lines (no LLM) and print what happened and the outcome.

    With --rep-script the lines are said in order whatever the buyer answers; if they run out before
    the buyer ends the call, the call ends there and the outcome is judged as it stands."""
    from simulator.content.loader import load_library
    from simulator.engine.selfplay_report import (
        matrix,
        matrix_lines,
        read_rep_script,
        report_lines,
        run_rep_script,
        run_selfplay,
    )

    if rep_script is not None and rep is not None:
        raise _fail("use either --rep or --rep-script, not both")
    if rep_script is not None and scenario is None:
        raise _fail("--rep-script needs --scenario (see `sparring scenarios` for the ids)")
    _check_difficulty(difficulty)
    settings = load_settings()
    try:
        library = load_library([settings.content_dir] if settings.content_dir else [])
        if scenario is None:
            runs = matrix(library)
            lines = matrix_lines(runs)
            if fmt == "json":
                _print_json(_matrix_json(runs))
            else:
                print("\n".join(lines))
            if any(line.endswith("FAIL") for line in lines):
                raise typer.Exit(1)
            return
        if rep_script is not None:
            run = run_rep_script(scenario, read_rep_script(rep_script), difficulty, persona_id=persona,
                                 library=library, label=f"scripted ({rep_script.name})")
        else:
            run = run_selfplay(scenario, rep or "strong", difficulty, persona_id=persona,  # type: ignore[arg-type]
                               library=library)
    except SparringError as exc:
        raise _fail(str(exc)) from None
    if fmt == "json":
        _print_json(_selfplay_json(run))
        return
    print("\n".join(report_lines(run, library)))


def _selfplay_json(run: Any) -> dict[str, Any]:
    """One self-played call as a record: who played, the outcome, and the transcript."""
    return {"scenario_id": run.scenario_id, "persona_id": run.persona_id, "rep": run.rep,
            "difficulty": run.difficulty, "success": run.success, "rep_turns": run.rep_turns,
            "end_reason": run.result.buyer["end_reason"], "outcome": run.result.outcome,
            "transcript": [{"speaker": t["speaker"], "text": t["text"]} for t in run.result.transcript]}


def _matrix_json(runs: list[Any]) -> list[dict[str, Any]]:
    """Per scenario: each run's outcome, and ok when the strong rep wins and the weak rep loses at every level."""
    by_id: dict[str, list[Any]] = {}
    for run in runs:
        by_id.setdefault(run.scenario_id, []).append(run)
    return [{"scenario_id": sid, "ok": all(r.success == (r.rep == "strong") for r in group),
             "runs": [{"rep": r.rep, "difficulty": r.difficulty, "success": r.success, "rep_turns": r.rep_turns}
                      for r in group]}
            for sid, group in by_id.items()]


@app.command()
def schemas(
    out: Annotated[Path | None, typer.Option(help="Folder to write into (default: the built-in content).")] = None,
) -> None:
    """Write the JSON Schema files that editors use to validate persona and scenario YAML."""
    from simulator.content.schemas import write_schemas

    for written in write_schemas(out):
        console.print(f"wrote {written}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(
        help="Interface (default: $SPARRING_HOST, else $GRADIO_SERVER_NAME, else 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(
        min=1, max=65535, help="Port (default: $SPARRING_PORT, else $GRADIO_SERVER_PORT, else 7860).")] = None,
) -> None:
    """Start the web app (README: Serving a team; docs/security.md: behind a reverse proxy)."""
    load_settings()  # first: Gradio reads GRADIO_SERVER_PORT when imported and fails on a bad one
    from simulator.web.app import launch

    launch(host=host, port=port)


# ---------------------------------------------------------------------------- accounts (web app)

user_app = typer.Typer(no_args_is_help=True,
                       help="Accounts for the web app: add users, reset passwords, list them.")
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name: lower-case letters, digits, . _ -")],
    role: Annotated[Literal["rep", "manager", "admin"], typer.Option(help="rep | manager | admin")] = "rep",
    team: Annotated[str | None,
                    typer.Option(help="Team name (created if missing); managers manage it.")] = None,
    cohort: Annotated[str | None, typer.Option(help="Onboarding cohort name (created if missing).")] = None,
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
    password_stdin: Annotated[bool,
                              typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
) -> None:
    """Create a web-app account. Without --password-stdin a one-time password is printed."""
    from simulator.services.user_admin import add_user, open_admin

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        with open_admin(load_settings()) as admin:
            user, otp = add_user(admin, username, role=role, team=team, cohort=cohort, display_name=name,
                                 password=password)
    except SparringError as exc:
        raise _fail(str(exc)) from None
    where = "".join(f", {k} {v!r}" for k, v in (("team", team), ("cohort", cohort)) if v)
    console.print(f"created {user.username} ({user.role}{where})")
    if otp:
        console.print(f"one-time password: [bold]{otp}[/] (they choose their own at the first sign-in)")


@user_app.command("reset-password")
def user_reset_password(username: Annotated[str, typer.Argument(help="The account's username.")]) -> None:
    """Give an account a new one-time password (e.g. a forgotten admin password)."""
    from simulator.services.user_admin import open_admin

    try:
        with open_admin(load_settings()) as admin:
            otp = admin.accounts.reset_password(None, username)
    except SparringError as exc:
        raise _fail(str(exc)) from None
    console.print(f"one-time password for {username.strip().lower()}: [bold]{otp}[/]")


@user_app.command("list")
def user_list() -> None:
    """List the accounts: username, role, display name, state."""
    from simulator.services.user_admin import open_admin

    with open_admin(load_settings()) as admin:
        rows = admin.accounts.list_users(None)
    if not rows:
        console.print("No accounts yet. Start the web app (python app.py) or run `sparring user add NAME`.")
        return
    table = Table("username", "role", "name", "state")
    for u in rows:
        table.add_row(u.username, u.role, u.display_name, "disabled" if u.disabled else "active")
    console.print(table)
    if not any(u.role == "admin" for u in rows):
        console.print("[yellow]No admin account: create one with `sparring user add NAME --role admin`.[/]")


# ---------------------------------------------------------------------------- Drill studio (team drills)

drills_app = typer.Typer(no_args_is_help=True,
                         help="Team drills built in the web app's Drill studio: list, check, publish, "
                              "roll back, export and import as YAML (docs/authoring.md).")
app.add_typer(drills_app, name="drills")
TEAM_OPTION = typer.Option("--team", help="Team name.")


def _team_id(teams: Any, name: str | None) -> str | None:
    if name is None:
        return None
    team = teams.by_name(name)
    if team is None:
        raise _fail(f"no team named {name!r}")
    return str(team.id)


@drills_app.command("list")
def drills_list() -> None:
    """Every team's drills: id, team, scenario id, title, current version, last check."""
    from simulator.services.drills import CLI_ACTOR, open_drills

    with open_drills(load_settings()) as (service, _teams):
        rows = service.summaries(CLI_ACTOR)
    if not rows:
        console.print("No team drills yet. Build one on the web app's Drill studio tab, or `sparring drills import`.")
        return
    table = Table("drill", "team", "scenario id", "title", "published", "last check")
    for d in rows:
        check = ("passed" if d.draft.check_passed else "failed") if d.draft.check_is_current else "not checked"
        table.add_row(d.draft.id, d.team_name, str(d.draft.scenario.get("id")), d.title,
                      f"v{d.current_version}" if d.current_version else "no", check)
    console.print(table)


@drills_app.command("export")
def drills_export(
    drill: Annotated[str, typer.Argument(help="Drill id or scenario id.")],
    folder: Annotated[Path, typer.Argument(help="Folder to write personas/ and scenarios/ into.")],
    version: Annotated[int | None, typer.Option(help="A published version (default: the draft).")] = None,
    team: Annotated[str | None, TEAM_OPTION] = None,
) -> None:
    """Write a drill as YAML files that `sparring validate FOLDER` checks."""
    from simulator.services.drills import CLI_ACTOR, find_drill, open_drills

    try:
        with open_drills(load_settings()) as (service, teams):
            found = find_drill(service, drill, _team_id(teams, team))
            files = service.export_files(CLI_ACTOR, found.draft.id, version)
    except SparringError as exc:
        raise _fail(str(exc)) from None
    for name, text in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        console.print(f"wrote {target}")


@drills_app.command("import")
def drills_import(
    folder: Annotated[Path, typer.Argument(help="A folder with personas/ and scenarios/ (one scenario).")],
    team: Annotated[str, TEAM_OPTION],
) -> None:
    """Create a draft for a team from YAML files (check and publish it next)."""
    from simulator.services.drills import CLI_ACTOR, open_drills, read_folder

    try:
        with open_drills(load_settings()) as (service, teams):
            team_id = _team_id(teams, team)
            assert team_id is not None
            draft = service.import_files(CLI_ACTOR, team_id, read_folder(folder))
            problems = service.validate(draft.persona, draft.scenario, team_id=team_id, drill_id=draft.id).problems
    except SparringError as exc:
        raise _fail(str(exc)) from None
    console.print(f"imported drill {draft.id} ({draft.scenario.get('id')}) for team {team}")
    for problem in problems:
        console.print(f"  to fix: {problem}")


@drills_app.command("check")
def drills_check(
    drill: Annotated[str, typer.Argument(help="Drill id or scenario id.")],
    team: Annotated[str | None, TEAM_OPTION] = None,
) -> None:
    """Self-play the draft (strong rep must win, weak must lose, every difficulty); exit 1 if it fails."""
    from simulator.services.drills import CLI_ACTOR, find_drill, open_drills

    try:
        with open_drills(load_settings()) as (service, teams):
            report = service.check(CLI_ACTOR, find_drill(service, drill, _team_id(teams, team)).draft.id)
    except SparringError as exc:
        raise _fail(str(exc)) from None
    console.print("\n".join(report.lines()), markup=False)
    if not report.passed:
        raise typer.Exit(1)


@drills_app.command("publish")
def drills_publish(
    drill: Annotated[str, typer.Argument(help="Drill id or scenario id.")],
    team: Annotated[str | None, TEAM_OPTION] = None,
) -> None:
    """Publish the checked draft as the next version (refused unless its last check passed)."""
    from simulator.services.drills import CLI_ACTOR, find_drill, open_drills

    try:
        with open_drills(load_settings()) as (service, teams):
            version = service.publish(CLI_ACTOR, find_drill(service, drill, _team_id(teams, team)).draft.id)
    except SparringError as exc:
        raise _fail(str(exc)) from None
    console.print(f"published version {version.version}")


@drills_app.command("rollback")
def drills_rollback(
    drill: Annotated[str, typer.Argument(help="Drill id or scenario id.")],
    version: Annotated[int, typer.Argument(help="The version to make current again.")],
    team: Annotated[str | None, TEAM_OPTION] = None,
) -> None:
    """Republish an older version as the current one (as a new version number)."""
    from simulator.services.drills import CLI_ACTOR, find_drill, open_drills

    try:
        with open_drills(load_settings()) as (service, teams):
            new = service.rollback(CLI_ACTOR, find_drill(service, drill, _team_id(teams, team)).draft.id, version)
    except SparringError as exc:
        raise _fail(str(exc)) from None
    console.print(f"version {version} is current again, as version {new.version}")


def _mount_optional_commands() -> None:
    from grading.cli import grade
    from simulator.understanding.cli import understand

    app.command("grade", help="Grade a practice session id, a JSON transcript or a 'Speaker: text' file.")(grade)
    app.command("understand", help="How each rep message on stdin is read (one JSON object per line), and why.")(
        understand)


_mount_optional_commands()


def usage_error_line(exc: typer.TyperException) -> str:
    """A bad option value, a missing option or an unknown one as one line that names the option and
    what it accepts (click's message, less typer's 'Value error, ' and line breaks)."""
    message = exc.format_message().replace("Value error, ", "")
    return " ".join(message.split())


def main() -> None:
    """Console-script entry point: clear one-line messages, never a traceback, for users' mistakes.

    Exit codes: 0 done, 1 the command's own failure (validation problems, a failing self-play),
    2 a usage error (a bad option value, an unknown id, a bad setting)."""
    try:
        code = app(standalone_mode=False)
    except SparringError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        sys.exit(2)
    except typer.TyperException as exc:  # click's errors (typer vendors click): bad values, unknown options
        if type(exc).__name__ != "NoArgsIsHelpError":  # that one has printed the help already
            err.print(f"[red]error:[/] {escape(usage_error_line(exc))}", soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("Aborted.")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
