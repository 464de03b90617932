"""`sparring grade FILE_OR_SESSION [FILE_OR_SESSION ...] [--rep SPEAKER] [--format json|md|jsonl]`.

The lead mounts :func:`grade` on the main Typer app (``app.command("grade")(grade)``).

One target prints one scorecard (json, the default, or md). Several targets (or ``--format jsonl``)
grade in one process and print one JSON object per target, in the order given: ``file``,
``overall``, ``competencies`` (id -> score, null when not scored), ``warnings`` and a few more; a
target that cannot be read or graded prints ``file`` and ``error`` and the run goes on.

Exit codes: 0 graded, 2 bad input (unreadable or invalid transcript, unknown speaker/session/scenario;
in a batch, any target that failed).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack, nullcontext
from multiprocessing import get_context
from pathlib import Path
from typing import Annotated, Any, Literal, TextIO

import click
import typer

from grading.grader import GradeOptions, grade_session
from grading.judge import JudgeMode, judge_settings
from grading.render import render_markdown
from grading.scorecard import Scorecard
from grading.sources import AskRep, GradeInput, SessionSource, from_file, from_session
from simulator.config import Settings, load_settings
from simulator.content.competencies import COMPETENCY_IDS
from simulator.content.loader import ContentLibrary, builtin_dir, load_library
from simulator.errors import SparringError
from simulator.llm.base import LLM

OutputFormat = Literal["json", "md", "jsonl"]
BAD_INPUT = 2
FILES_PER_WORKER = 24
"""With ``--jobs`` left to auto, one more worker process per this many targets, up to the cores: a
worker spends a few seconds loading the library and models before it grades (measured ~2-4 s)."""


def _ask_rep(speakers: list[str]) -> str:
    """Ask which speaker is the rep (only called when stdin is a terminal)."""
    return str(typer.prompt("Which speaker is the rep?", type=click.Choice(speakers, case_sensitive=False)))


def _open_store(settings: Settings) -> SessionSource:
    from simulator.store.db import create_db_engine, init_schema
    from simulator.store.sessions import SessionStore

    engine = create_db_engine(settings.resolved_database_url)
    init_schema(engine)
    return SessionStore(engine)


class _LazyStore:
    """The session store, opened on the first session id of a batch (files never need it)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._store: SessionSource | None = None

    def _get(self) -> SessionSource:
        if self._store is None:
            self._store = _open_store(self._settings)
        return self._store

    def get_session(self, session_id: str) -> Any:
        return self._get().get_session(session_id)

    def get_turns(self, session_id: str) -> Any:
        return self._get().get_turns(session_id)

    def list_sessions(self, *args: Any, **kwargs: Any) -> list[Any]:
        return self._get().list_sessions(*args, **kwargs)


_LIBRARIES: dict[tuple[str, ...], tuple[tuple[tuple[str, int, int], ...], ContentLibrary]] = {}
"""Content folders -> (their YAML files' signature, the library loaded from them): one load per process."""


def _content_signature(extra: list[Path]) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime_ns, size) of every persona and scenario file the library reads: a changed, added or
    removed file changes it (a few stat calls, against ~150 ms of YAML parsing per load)."""
    folders = [builtin_dir("personas"), builtin_dir("scenarios")]
    folders += [d / sub for d in extra for sub in ("personas", "scenarios")]
    out: list[tuple[str, int, int]] = []
    for folder in folders:
        if not folder.is_dir():
            out.append((str(folder), -1, -1))
            continue
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            st = path.stat()
            out.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(out)


def _library(settings: Settings) -> ContentLibrary:
    """The content library for ``settings``, loaded once per process and again only when a file changed
    (every ``run_batch``/``run_grade`` call used to parse all the YAML again)."""
    extra = [settings.content_dir] if settings.content_dir else []
    key = tuple(str(d) for d in extra)
    try:
        signature = _content_signature(extra)
    except OSError:
        return load_library(extra)
    cached = _LIBRARIES.get(key)
    if cached is not None and cached[0] == signature:
        return cached[1]
    library = load_library(extra)
    _LIBRARIES[key] = (signature, library)
    return library


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


def grade_input(data: GradeInput, *, settings: Settings, llm: LLM | None, library: ContentLibrary) -> Scorecard:
    """Grade what :func:`load_input` read, with the judge settings from ``settings``."""
    return grade_session(
        data.transcript,
        scenario=data.scenario,
        persona=data.persona,
        outcome=data.outcome,
        llm=llm,
        previous=data.previous,
        library=library,
        options=GradeOptions(
            judge=judge_settings(settings), difficulty=data.difficulty, rep_speaker=data.rep_speaker
        ),
    )


def summary_line(target: str, card: Scorecard, data: GradeInput) -> dict[str, Any]:
    """The JSON Lines object for one graded target."""
    scored = {c.id: c.score for c in card.competencies}
    return {
        "file": target,
        "overall": card.overall,
        "kind": card.kind,
        "format": data.source_format,
        "rep_speaker": card.rep_speaker,
        "turns": len(data.transcript),
        "competencies": {cid: scored.get(cid) for cid in COMPETENCY_IDS},
        "not_scored": {n.id: n.reason for n in card.not_scored},
        "warnings": list(card.warnings),
        "judge": card.settings.judge,
    }


def _create_llm(settings: Settings) -> LLM:
    from simulator.llm.factory import create_llm

    return create_llm(settings)


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
    card = grade_input(data, settings=settings, llm=llm or _create_llm(settings), library=library)
    if fmt == "md":
        return render_markdown(card)
    if fmt == "jsonl":
        return json.dumps(summary_line(target, card, data), ensure_ascii=False)
    return json.dumps(card.model_dump(mode="json"), indent=2, ensure_ascii=False)


class BatchGrader:
    """Grades target after target in one process: the library, the rubric, the LLM backend and the
    understanding models are loaded once; each file is read and parsed once."""

    def __init__(
        self,
        *,
        rep: str | None,
        scenario_id: str | None,
        settings: Settings,
        llm: LLM | None = None,
        library: ContentLibrary | None = None,
        store: SessionSource | None = None,
    ) -> None:
        self.rep = rep
        self.scenario_id = scenario_id
        self.settings = settings
        self.library = library or _library(settings)
        self.llm = llm or _create_llm(settings)
        self.store: SessionSource = store or _LazyStore(settings)

    def __call__(self, target: str) -> dict[str, Any]:
        """The summary object, or ``{"file", "error"}``; never raises for a bad target."""
        try:
            data = load_input(
                target,
                rep=self.rep,
                scenario_id=self.scenario_id,
                settings=self.settings,
                library=self.library,
                ask=None,
                store=self.store,
            )
            card = grade_input(data, settings=self.settings, llm=self.llm, library=self.library)
        except (SparringError, ValueError) as exc:
            return {"file": target, "error": str(exc)}
        except Exception as exc:  # one broken file must not stop a batch of thousands
            return {"file": target, "error": f"internal error: {type(exc).__name__}: {exc}"}
        return summary_line(target, card, data)


_worker: BatchGrader | None = None


def usable_cores() -> int:
    """CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def default_jobs(targets: int) -> int:
    """Worker processes for ``--jobs`` auto: one per core, but only as many as there are
    FILES_PER_WORKER targets to share (a small batch is graded in this process: no start-up)."""
    return max(1, min(usable_cores(), targets // FILES_PER_WORKER))


def _init_worker(rep: str | None, scenario_id: str | None, settings: Settings) -> None:
    global _worker
    _worker = BatchGrader(rep=rep, scenario_id=scenario_id, settings=settings)


def _grade_in_worker(target: str) -> dict[str, Any]:
    assert _worker is not None
    return _worker(target)


def run_batch(
    targets: Sequence[str],
    *,
    rep: str | None = None,
    scenario_id: str | None = None,
    settings: Settings | None = None,
    llm: LLM | None = None,
    library: ContentLibrary | None = None,
    store: SessionSource | None = None,
    jobs: int = 1,
) -> Iterator[dict[str, Any]]:
    """One summary (or error) object per target, in the order given, each as soon as it is ready.

    ``jobs`` > 1 grades in that many worker processes (each loads its own models; ``llm``, ``library``
    and ``store`` are then built in the workers from ``settings``); 0 picks :func:`default_jobs`.
    A target's line is the same whichever process grades it and whatever was graded before it.
    """
    settings = settings or load_settings()
    if jobs <= 0:
        jobs = default_jobs(len(targets))
    if jobs <= 1 or len(targets) <= 1:
        grader = BatchGrader(
            rep=rep, scenario_id=scenario_id, settings=settings, llm=llm, library=library, store=store
        )
        for target in targets:
            yield grader(target)
        return
    pool: Executor = ProcessPoolExecutor(
        max_workers=min(jobs, len(targets)),
        mp_context=get_context("spawn"),
        initializer=_init_worker,
        initargs=(rep, scenario_id, settings),
    )
    with pool:
        yield from pool.map(_grade_in_worker, targets, chunksize=4)


def _progress(total: int) -> Any:
    """A rich progress bar on stderr, or a no-op when stderr is not a terminal."""
    if total < 2 or not sys.stderr.isatty():
        return nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("grading"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def write_batch(results: Iterable[dict[str, Any]], out: TextIO, total: int) -> int:
    """Print each object as one JSON line (flushed); return how many targets failed."""
    failed = 0
    with _progress(total) as bar:
        task = bar.add_task("grading", total=total) if bar is not None else None
        for item in results:
            failed += "error" in item
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
            out.flush()
            if bar is not None:
                bar.advance(task)
    return failed


def grade(
    targets: Annotated[
        list[str],
        typer.Argument(
            help="Transcript files ('Speaker: text' lines, WebVTT/SRT captions, or JSON) or practice session ids."
        ),
    ],
    rep: Annotated[
        str | None, typer.Option("--rep", help="The rep's speaker name in the transcript(s).")
    ] = None,
    format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format", help="json (default for one target), md, or jsonl (one line per target; default for several)."
        ),
    ] = None,
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
    judge: Annotated[
        JudgeMode | None,
        typer.Option(
            "--judge",
            help="LLM judge: auto (on for openai, off for the embedded model), on or off (default: SPARRING_JUDGE).",
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs", "-j", min=0,
            help=f"Worker processes for a batch (default 0: auto, one per core once there are "
            f"{FILES_PER_WORKER} files per worker; 1: this process only).",
        ),
    ] = 0,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Grade call transcripts or practice sessions: transparent scorecards, every number explained."""
    fmt: OutputFormat = format or ("json" if len(targets) == 1 else "jsonl")
    if len(targets) > 1 and fmt != "jsonl":
        typer.echo(f"error: {len(targets)} targets print one JSON line each: use --format jsonl", err=True)
        raise typer.Exit(BAD_INPUT)
    try:
        overrides: dict[str, object] = {}
        if llm:
            overrides["llm"] = llm
        if judge:
            overrides["judge"] = judge
        settings = load_settings(**overrides)
    except ValueError as exc:  # e.g. an invalid SPARRING_LLM value
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(BAD_INPUT) from None
    if fmt == "jsonl":
        with ExitStack() as stack:
            out: TextIO = (
                stack.enter_context(output.open("w", encoding="utf-8")) if output is not None else sys.stdout
            )
            try:
                results = run_batch(targets, rep=rep, scenario_id=scenario, settings=settings, jobs=jobs)
                failed = write_batch(results, out, len(targets))
            except (SparringError, ValueError) as exc:  # the library or the backend could not be set up
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(BAD_INPUT) from None
        if failed:
            typer.echo(f"{failed} of {len(targets)} target(s) could not be graded (see their \"error\")", err=True)
            raise typer.Exit(BAD_INPUT)
        return
    try:
        ask = _ask_rep if sys.stdin.isatty() else None
        text = run_grade(targets[0], rep=rep, fmt=fmt, scenario_id=scenario, settings=settings, ask=ask)
    except (SparringError, ValueError) as exc:
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
