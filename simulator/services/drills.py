"""The Drill studio: managers build their team's own drills (a buyer and a scenario) in the app.

One service for the web tab (``simulator/web/studio_page.py``) and the CLI (``sparring drills``):

* **drafts**: create (from YAML files or dicts), clone a library drill or one of the team's, edit.
  Content is checked with the same pydantic models and cross-reference rules as the YAML library
  (:mod:`simulator.content.models`, :mod:`simulator.content.validate`); every problem names the part,
  the field and the problem (``scenario: success.min_facts: 5 is more than persona 'x''s 4 key facts``).
* **check**: self-play — the strong scripted rep must win and the weak one lose, at every difficulty
  — plus a short sample conversation with the embedded model when it is available (skipped otherwise,
  with a note). The result is kept with the hash of the content it checked.
* **publish**: only a draft whose last check, of exactly its current content, passed; each publish is
  version N+1. **Roll back** republishes an older version's content as the newest version.
* **practice**: reps see the library plus the current version of their own teams' drills; a session
  records the version it was played on (every version stays in the content library under its own id,
  :func:`simulator.store.drills.library_id`, so replays and scorecards keep resolving it).
* **export/import** as the YAML files ``sparring validate`` checks.

Managers may work on the teams they manage, admins on every team; anyone else is refused, and a
draft of another team reads the same as one that does not exist.
"""

from __future__ import annotations

import contextlib
import io
import logging
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import ValidationError

from simulator.content.loader import ContentLibrary
from simulator.content.models import Difficulty, Persona, Scenario
from simulator.content.validate import cross_reference_problems
from simulator.errors import ContentError, PermissionDeniedError, SparringError
from simulator.llm.base import LLM
from simulator.services.access import User, require_manager
from simulator.services.teams import TeamService
from simulator.store.drills import (
    DraftRecord,
    DrillStore,
    PublishRefusedError,
    VersionRecord,
    content_hash,
    parse_library_id,
)

log = logging.getLogger(__name__)

DIFFICULTIES: tuple[Difficulty, ...] = ("easy", "medium", "hard")
NOT_YOURS = "There is no drill {id!r} that you can open."
SAMPLE_REP_TURNS = 3
"""Rep turns in the embedded sample conversation of a check."""
MAX_IMPORT_BYTES = 512 * 1024


class DrillError(SparringError):
    """A drill action that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Problem:
    """One validation problem: which part (persona or scenario), which field, what is wrong."""

    part: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.part}: {self.field}: {self.message}"


@dataclass(frozen=True)
class Validation:
    """The drill's models (when they parse) and every problem found."""

    persona: Persona | None
    scenario: Scenario | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems and self.persona is not None and self.scenario is not None


@dataclass(frozen=True)
class SelfPlayRun:
    rep: str
    difficulty: str
    success: bool
    rep_turns: int
    missed: list[str]

    @property
    def as_expected(self) -> bool:
        return self.success == (self.rep == "strong")


@dataclass(frozen=True)
class CheckReport:
    """What a check found, stored with the draft (as a dict) and shown on the studio tab."""

    passed: bool
    content_hash: str
    problems: list[str]
    runs: list[SelfPlayRun]
    sample: list[dict[str, str]] | None
    sample_note: str
    at: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed, "content_hash": self.content_hash, "problems": self.problems,
            "runs": [r.__dict__ for r in self.runs], "sample": self.sample, "sample_note": self.sample_note,
            "at": self.at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckReport:
        return cls(
            passed=bool(data.get("passed")), content_hash=str(data.get("content_hash", "")),
            problems=list(data.get("problems", [])),
            runs=[SelfPlayRun(**r) for r in data.get("runs", [])], sample=data.get("sample"),
            sample_note=str(data.get("sample_note", "")), at=float(data.get("at", 0.0)),
        )

    def lines(self) -> list[str]:
        """The report as plain lines (CLI; the web page renders its own)."""
        out = [f"check: {'passed' if self.passed else 'FAILED'}"]
        out += [f"  problem: {p}" for p in self.problems]
        for r in self.runs:
            verdict = "ok" if r.as_expected else "WRONG"
            out.append(f"  {r.rep:>6} rep · {r.difficulty:<6} · {'won' if r.success else 'lost'} in "
                       f"{r.rep_turns} turns · {verdict}")
        out.append(f"  sample conversation: {self.sample_note}")
        return out


@dataclass(frozen=True)
class DrillSummary:
    """A draft as the studio lists it."""

    draft: DraftRecord
    team_name: str
    current_version: int | None
    versions: int

    @property
    def title(self) -> str:
        return str(self.draft.scenario.get("title") or self.draft.scenario.get("id") or self.draft.id)


def _problems_of(part: str, exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        msg = str(err["msg"]).removeprefix("Value error, ")
        out.append(Problem(part, loc, msg))
    return out


def _split_problem(line: str) -> Problem:
    """A 'part: field: reason' line from the cross-reference checks."""
    part, _, rest = line.partition(": ")
    fld, _, reason = rest.partition(": ")
    return Problem(part, fld, reason) if reason else Problem(part, "(drill)", rest)


def dump(model: Persona | Scenario) -> dict[str, Any]:
    """A model as the JSON stored and exported (defaults left out, like a hand-written file)."""
    return model.model_dump(mode="json", exclude_defaults=True)


def embedded_sample_llm(practice: Any) -> Callable[[], tuple[LLM | None, str]]:
    """The sample conversation's model: the practice service's embedded model, if it can run here."""

    def pick() -> tuple[LLM | None, str]:
        settings = practice.settings
        if settings.llm != "embedded":
            return None, (f"skipped: the sample conversation uses the embedded model, and this server's "
                          f"voice model is {settings.llm!r} (SPARRING_LLM)")
        try:
            from simulator.llm.guard import real_models_allowed
            from simulator.llm.model_files import resolve_model_path

            if not real_models_allowed():
                return None, "skipped: real models are switched off here (tests)"
            resolve_model_path(settings)
            import llama_cpp  # noqa: F401
        except Exception as exc:  # the model file or llama.cpp is missing
            return None, f"skipped: the embedded model is not available on this server ({type(exc).__name__})"
        return practice.llm, "embedded model"

    return pick


class DrillService:
    """Drafts, checks, versions and the team-aware drill list (see the module docstring)."""

    def __init__(
        self,
        store: DrillStore,
        library: ContentLibrary,
        teams: TeamService,
        *,
        sample_llm: Callable[[], tuple[LLM | None, str]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.library = library
        self.teams = teams
        self._sample_llm = sample_llm or (lambda: (None, "skipped: no model configured"))
        self._clock = clock
        self._lock = threading.Lock()
        self._checked: dict[str, list[Problem]] = {}
        self.sync()

    # ------------------------------------------------------------------ who may do what

    def _managed(self, actor: User) -> set[str]:
        require_manager(actor)
        return self.teams.managed_team_ids(actor)

    def manageable_teams(self, actor: User) -> list[tuple[str, str]]:
        """(name, id) of the teams the actor may build drills for."""
        ids = self._managed(actor)
        return [(t.name, t.id) for t in self.teams.list_teams(actor) if t.id in ids]

    def _draft_for(self, actor: User, drill_id: str) -> DraftRecord:
        managed = self._managed(actor)
        draft = self.store.get_draft(str(drill_id or "")[:64])
        if draft is None or draft.team_id not in managed:
            raise PermissionDeniedError(NOT_YOURS.format(id=str(drill_id)[:40]))
        return draft

    def get(self, actor: User, drill_id: str) -> DraftRecord:
        """A draft of a team the actor manages (else the same refusal as a missing one)."""
        return self._draft_for(actor, drill_id)

    def summaries(self, actor: User) -> list[DrillSummary]:
        """The drafts of every team the actor manages, newest change first."""
        managed = self._managed(actor)
        names = {t.id: t.name for t in self.teams.list_teams(actor)}
        current = {v.drill_id: v.version for v in self.store.all_versions(current_only=True, team_ids=managed)}
        counts: dict[str, int] = {}
        for v in self.store.all_versions(team_ids=managed):
            counts[v.drill_id] = counts.get(v.drill_id, 0) + 1
        return [DrillSummary(d, names.get(d.team_id, "?"), current.get(d.id), counts.get(d.id, 0))
                for d in self.store.list_drafts(managed)]

    # ------------------------------------------------------------------ validation

    def builtin_personas(self) -> dict[str, Persona]:
        return {pid: p for pid, p in self.library.personas.items() if parse_library_id(pid) is None}

    def validate(self, persona: Mapping[str, Any], scenario: Mapping[str, Any], *, team_id: str | None = None,
                 drill_id: str | None = None) -> Validation:
        """Every problem of a drill, as the YAML library's checks find them, plus the studio's own:
        ids that clash with the library or another of the team's drills, and the scenario's buyer."""
        problems: list[Problem] = []
        p_model: Persona | None = None
        s_model: Scenario | None = None
        try:
            p_model = Persona.model_validate(dict(persona))
        except ValidationError as exc:
            problems += _problems_of("persona", exc)
        try:
            s_model = Scenario.model_validate(dict(scenario))
        except ValidationError as exc:
            problems += _problems_of("scenario", exc)
        builtin = self.builtin_personas()
        if p_model is not None:
            if p_model.id in builtin:
                problems.append(Problem("persona", "id", f"{p_model.id!r} is a library buyer's id; choose another"))
            if parse_library_id(p_model.id):
                problems.append(Problem("persona", "id", "ids of the form team-…-vN are reserved; choose another"))
        if s_model is not None:
            if s_model.id in self.library.scenarios:
                problems.append(Problem("scenario", "id", f"{s_model.id!r} is already a drill's id; choose another"))
            if team_id is not None:
                for other in self.store.list_drafts([team_id]):
                    if other.id != drill_id and other.scenario.get("id") == s_model.id:
                        problems.append(Problem("scenario", "id", f"{s_model.id!r} is used by another of this "
                                                "team's drills; choose another"))
                        break
            if p_model is not None and s_model.persona != p_model.id:
                problems.append(Problem("scenario", "persona", f"must be this drill's buyer {p_model.id!r}"))
        if p_model is not None and s_model is not None and not problems:
            problems += self._cross_reference(p_model, s_model)
        return Validation(p_model, s_model, problems)

    def _cross_reference(self, persona: Persona, scenario: Scenario) -> list[Problem]:
        """``sparring validate``'s checks on the drill (~0.4 s for a full persona, so the results of
        recent content are kept: live validation re-checks the same content on every field left)."""
        key = content_hash(dump(persona), dump(scenario))
        with self._lock:
            cached = self._checked.pop(key, None)
            if cached is not None:
                self._checked[key] = cached
                return list(cached)
        found = [_split_problem(line) for line in cross_reference_problems(self._draft_library(persona, scenario))]
        with self._lock:
            self._checked[key] = found
            while len(self._checked) > 64:
                self._checked.pop(next(iter(self._checked)))
        return list(found)

    def _draft_library(self, persona: Persona, scenario: Scenario) -> ContentLibrary:
        """A library holding just this drill (and any library buyers it also allows)."""
        builtin = self.builtin_personas()
        personas = {pid: builtin[pid] for pid in scenario.allowed_personas if pid in builtin}
        personas[persona.id] = persona
        sources = {f"persona:{pid}": Path("persona") for pid in personas}
        sources[f"scenario:{scenario.id}"] = Path("scenario")
        return ContentLibrary(personas=personas, scenarios={scenario.id: scenario}, sources=sources)

    def _models(self, persona: Mapping[str, Any], scenario: Mapping[str, Any]) -> tuple[Persona, Scenario]:
        """Both models, or a DrillError listing what does not parse (the draft is not saved)."""
        problems: list[Problem] = []
        try:
            p = Persona.model_validate(dict(persona))
        except ValidationError as exc:
            problems += _problems_of("persona", exc)
        try:
            s = Scenario.model_validate(dict(scenario))
        except ValidationError as exc:
            problems += _problems_of("scenario", exc)
        if problems:
            raise DrillError("Not saved; fix these first:\n" + "\n".join(f"- {p}" for p in problems))
        return p, s

    # ------------------------------------------------------------------ drafts

    def create(self, actor: User, team_id: str, persona: Mapping[str, Any], scenario: Mapping[str, Any], *,
               source: str | None = None) -> DraftRecord:
        """A new draft for a team the actor manages (the content must parse; other problems are
        reported by :meth:`validate` and block the check)."""
        if team_id not in self._managed(actor):
            raise PermissionDeniedError("You can build drills only for the teams you manage.")
        p, s = self._models(persona, scenario)
        return self.store.create_draft(team_id=team_id, author_id=actor.id, persona=dump(p), scenario=dump(s),
                                       source=source)

    def clone_sources(self, actor: User) -> list[tuple[str, str]]:
        """(label, source) of what the actor may clone: library drills and their teams' drills."""
        out = [(f"Library: {s.title}", f"library:{s.id}")
               for s in sorted(self.library.shared_scenarios(), key=lambda s: (s.kind, s.id))]
        out += [(f"Team {d.team_name}: {d.title}", f"drill:{d.draft.id}") for d in self.summaries(actor)]
        return out

    def clone(self, actor: User, team_id: str, source: str) -> DraftRecord:
        """Copy a library drill (``library:<scenario id>``) or a team drill (``drill:<id>``) into a new
        draft of ``team_id``, with new ids and '(copy)' in the title."""
        kind, _, ref = str(source or "").partition(":")
        if kind == "library" and ref in self.library.scenarios and ref not in self.library.owners:
            scen = self.library.scenario(ref)
            persona = dump(self.library.persona(scen.persona))
            scenario = dump(scen)
            scenario.pop("allowed_personas", None)
        elif kind == "drill":
            draft = self._draft_for(actor, ref)
            persona, scenario = dict(draft.persona), dict(draft.scenario)
        else:
            raise DrillError(f"Nothing to clone from {str(source)[:60]!r}: pick a library drill or one of your "
                             "team's drills.")
        taken_s = set(self.library.scenarios) | {str(d.scenario.get("id")) for d in self.store.list_drafts([team_id])}
        taken_p = set(self.builtin_personas()) | {str(d.persona.get("id")) for d in self.store.list_drafts([team_id])}
        new_pid = _fresh(str(persona["id"]), taken_p)
        persona["id"] = new_pid
        scenario["id"] = _fresh(str(scenario["id"]), taken_s)
        scenario["persona"] = new_pid
        scenario["title"] = f"{scenario.get('title', '')} (copy)"
        return self.create(actor, team_id, persona, scenario, source=source)

    def save(self, actor: User, drill_id: str, persona: Mapping[str, Any], scenario: Mapping[str, Any]) -> Validation:
        """Replace a draft's content (it must parse); returns every problem still to fix."""
        draft = self._draft_for(actor, drill_id)
        p, s = self._models(persona, scenario)
        saved = self.store.save_draft(draft.id, dump(p), dump(s))
        return self.validate(saved.persona, saved.scenario, team_id=saved.team_id, drill_id=saved.id)

    def last_check(self, actor: User, drill_id: str) -> CheckReport | None:
        draft = self._draft_for(actor, drill_id)
        return CheckReport.from_dict(draft.check_report) if draft.check_report else None

    # ------------------------------------------------------------------ check and publish

    def check(self, actor: User, drill_id: str) -> CheckReport:
        """Validate, then self-play the strong and the weak rep at every difficulty (the strong one
        must win, the weak one lose), then a short sample conversation with the embedded model when
        it is available. Kept with the hash of exactly this content."""
        draft = self._draft_for(actor, drill_id)
        digest = draft.content_hash
        found = self.validate(draft.persona, draft.scenario, team_id=draft.team_id, drill_id=draft.id)
        problems = [str(p) for p in found.problems]
        runs: list[SelfPlayRun] = []
        sample: list[dict[str, str]] | None = None
        note = "skipped: fix the problems above first"
        if found.ok:
            assert found.persona is not None and found.scenario is not None
            library = self._draft_library(found.persona, found.scenario)
            runs, crash = _selfplay(found.scenario.id, library)
            if crash:
                problems.append(crash)
            for r in runs:
                if not r.as_expected:
                    if r.rep == "strong":
                        problems.append(f"self-play: the strong rep lost at {r.difficulty} "
                                        f"(missed: {'; '.join(r.missed) or '?'}): the drill cannot be won as written")
                    else:
                        problems.append(f"self-play: the weak rep won at {r.difficulty}: the drill is too easy "
                                        "(raise the targets, trust thresholds or the price floor)")
            sample, note = self._sample(found.scenario.id, library)
        passed = found.ok and bool(runs) and not problems
        report = CheckReport(passed, digest, problems, runs, sample, note, self._clock())
        self.store.record_check(draft.id, digest, passed, report.to_dict())
        return report

    def _sample(self, scenario_id: str, library: ContentLibrary) -> tuple[list[dict[str, str]] | None, str]:
        llm, note = self._sample_llm()
        if llm is None:
            return None, note
        try:
            from simulator.engine.replay import play
            from simulator.engine.repview import PublicBrief, RepView
            from simulator.engine.selfplay import make_policy

            scenario = library.scenario(scenario_id)
            persona = library.persona(scenario.persona)
            policy = make_policy(scenario.kind, "strong")
            brief = PublicBrief.of(scenario, persona)

            def step(transcript: Any, _buyer: Any) -> str | None:
                if sum(1 for t in transcript if t["speaker"] == "rep") >= SAMPLE_REP_TURNS:
                    return None
                return policy.next_line(RepView.of(brief, transcript))

            result = play(scenario_id, step, library=library, llm=llm, clock=self._clock)
        except Exception as exc:  # the model failed: reported, not a reason to refuse the drill
            log.warning("drill check: sample conversation failed", exc_info=True)
            return None, f"failed: {type(exc).__name__}: {exc}"[:300]
        return ([{"speaker": t["speaker"], "text": t["text"]} for t in result.transcript],
                f"{SAMPLE_REP_TURNS} rep turns with the {note}")

    def publish(self, actor: User, drill_id: str) -> VersionRecord:
        """Publish the draft as version N+1, only if its last check, of exactly this content, passed."""
        draft = self._draft_for(actor, drill_id)
        try:
            version = self.store.publish(draft.id, author_id=actor.id, expected_hash=draft.content_hash)
        except PublishRefusedError as exc:
            raise DrillError(f"Not published: {exc}.") from None
        self._install(version)
        return version

    def rollback(self, actor: User, drill_id: str, version: int) -> VersionRecord:
        """Make an older version current again (published as a new version with its content)."""
        draft = self._draft_for(actor, drill_id)
        try:
            new = self.store.republish(draft.id, int(version), author_id=actor.id)
        except (PublishRefusedError, ValueError) as exc:
            raise DrillError(f"Not rolled back: {exc}.") from None
        self._install(new)
        return new

    def versions(self, actor: User, drill_id: str) -> list[VersionRecord]:
        draft = self._draft_for(actor, drill_id)
        return self.store.versions(draft.id)

    # ------------------------------------------------------------------ the library and practice

    def _install(self, version: VersionRecord) -> None:
        """Put a published version into the content library under its own ids."""
        lid = version.library_id
        if lid in self.library.scenarios:
            return
        persona = Persona.model_validate({**version.persona, "id": lid})
        scenario = Scenario.model_validate({
            **version.scenario, "id": lid, "persona": lid,
            "title": f"{version.scenario.get('title', '')} · v{version.version}",
        })
        with self._lock:  # new dicts, swapped in whole: readers iterating the old ones are not disturbed
            lib = self.library
            lib.personas = {**lib.personas, lid: persona}
            lib.owners = {**lib.owners, lid: version.team_id}
            lib.scenarios = {**lib.scenarios, lid: scenario}

    def sync(self) -> None:
        """Load every published version this process has not loaded yet (another process may have
        published it)."""
        for version in self.store.all_versions():
            if version.library_id not in self.library.scenarios:
                try:
                    self._install(version)
                except ValidationError:
                    log.exception("drill %s v%s no longer loads", version.drill_id, version.version)

    def playable(self, actor: User | None) -> list[Scenario]:
        """What the actor may practise: the library, then the current version of each drill of their
        teams (every team's for an admin). Without an actor: the library only."""
        order = {"discovery": 0, "objection_handling": 1, "negotiation": 2}
        shared = sorted(self.library.shared_scenarios(), key=lambda s: (order[s.kind], s.id))
        if actor is None or actor.disabled:
            return shared
        self.sync()
        team_ids = None if actor.is_admin else self.teams.team_ids_of(actor.id)
        if team_ids == set():
            return shared
        own = [self.library.scenarios[v.library_id]
               for v in self.store.all_versions(current_only=True, team_ids=team_ids)
               if v.library_id in self.library.scenarios]
        return shared + sorted(own, key=lambda s: (order[s.kind], s.title))

    def may_play(self, actor: User | None, scenario_id: str) -> bool:
        """A library drill: anyone. A team drill: its team's people (admins: every team's). The picker
        offers only the current version; an older one can still be started from an assignment or
        'Retry this drill', which keep the version they name."""
        parsed = parse_library_id(scenario_id)
        if parsed is None or actor is None:  # None: the terminal operator
            return True
        if actor.disabled:
            return False
        self.sync()
        owner = self.library.owners.get(scenario_id)
        if owner is None:
            return False
        return actor.is_admin or owner in self.teams.team_ids_of(actor.id)

    def note_session(self, session_id: str, scenario_id: str) -> None:
        """Record the drill version on a new session (a library drill records none)."""
        parsed = parse_library_id(scenario_id)
        if parsed is not None:
            self.store.note_session(session_id, parsed[1])

    # ------------------------------------------------------------------ export and import

    def export_files(self, actor: User, drill_id: str, version: int | None = None) -> dict[str, str]:
        """The drill (the draft, or a published version) as YAML files that ``sparring validate`` checks:
        ``personas/<id>.yaml`` and ``scenarios/<id>.yaml``."""
        draft = self._draft_for(actor, drill_id)
        persona, scenario = draft.persona, draft.scenario
        if version is not None:
            found = self.store.get_version(draft.id, int(version))
            if found is None:
                raise DrillError(f"This drill has no version {version}.")
            persona, scenario = found.persona, found.scenario
        return {
            f"personas/{persona['id']}.yaml": _yaml(persona),
            f"scenarios/{scenario['id']}.yaml": _yaml(scenario),
        }

    def export_zip(self, actor: User, drill_id: str, version: int | None = None) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in self.export_files(actor, drill_id, version).items():
                zf.writestr(name, text)
        return buf.getvalue()

    def import_files(self, actor: User, team_id: str, files: Mapping[str, str]) -> DraftRecord:
        """A new draft from YAML files (an export, or a team's content folder holding one scenario):
        the scenario and its buyer (a library buyer is copied in under a new id)."""
        personas: dict[str, dict[str, Any]] = {}
        scenarios: list[dict[str, Any]] = []
        for name, text in files.items():
            if len(text.encode("utf-8")) > MAX_IMPORT_BYTES:
                raise DrillError(f"{name}: larger than {MAX_IMPORT_BYTES // 1024} KiB")
            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                raise DrillError(f"{name}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
            if not isinstance(data, dict):
                raise DrillError(f"{name}: expected a mapping of fields at the top level")
            if "scenarios" in Path(name).parts or ("kind" in data and "product" in data):
                scenarios.append(data)
            else:
                personas[str(data.get("id"))] = data
        if len(scenarios) != 1:
            raise DrillError(f"A drill is one scenario and its buyer; found {len(scenarios)} scenario files.")
        scenario = scenarios[0]
        pid = str(scenario.get("persona"))
        if pid in personas:
            persona = personas[pid]
        elif pid in self.builtin_personas():
            persona = dump(self.builtin_personas()[pid])
            persona["id"] = _fresh(pid, set(self.builtin_personas()))
            scenario["persona"] = persona["id"]
        else:
            raise DrillError(f"scenario: persona: no file for buyer {pid!r} and no library buyer has that id")
        return self.create(actor, team_id, persona, scenario, source="import")


def _fresh(base: str, taken: set[str]) -> str:
    stem = base[:60]
    candidate = f"{stem}-copy"
    n = 2
    while candidate in taken or parse_library_id(candidate):
        candidate = f"{stem}-copy-{n}"
        n += 1
    return candidate


def _yaml(data: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=100)


def _selfplay(scenario_id: str, library: ContentLibrary) -> tuple[list[SelfPlayRun], str | None]:
    from simulator.engine.selfplay_report import run_selfplay

    runs: list[SelfPlayRun] = []
    for rep in ("strong", "weak"):
        for difficulty in DIFFICULTIES:
            try:
                played = run_selfplay(scenario_id, cast(Any, rep), difficulty, library=library)
            except Exception as exc:  # odd content the engine cannot play is a failed check, not a crash
                log.warning("drill check: self-play crashed", exc_info=True)
                return runs, f"self-play: the {rep} rep's call at {difficulty} broke: {type(exc).__name__}: {exc}"
            runs.append(SelfPlayRun(rep, difficulty, played.success, played.rep_turns,
                                    list(played.result.outcome.get("missed", []))))
    return runs, None


def read_folder(folder: Path) -> dict[str, str]:
    """The YAML files of an exported drill folder (personas/, scenarios/), for :meth:`DrillService.import_files`."""
    if not folder.is_dir():
        raise ContentError(f"{folder}: not a folder")
    out = {}
    for path in sorted([*folder.glob("*/*.yaml"), *folder.glob("*/*.yml")]):
        out[str(path.relative_to(folder))] = path.read_text(encoding="utf-8")
    return out




def build_drills(
    practice: Any, teams: TeamService, access: Any, *, clock: Callable[[], float] = time.time
) -> DrillService:
    """The studio over the practice service's store and library; the practice gate (``access``) and
    the grader then know the team drills too."""
    service = DrillService(DrillStore(practice.store.engine, clock=clock), practice.library, teams,
                           sample_llm=embedded_sample_llm(practice), clock=clock)
    access.drills = service
    hook = getattr(practice, "on_session_end", None)
    if hook is not None and hasattr(hook, "use_library"):
        hook.use_library(practice.library)  # the grader resolves every published version too
    return service


CLI_ACTOR = User(id="cli", username="cli", display_name="command line", role="admin")
"""The command line acts as the machine's owner (like ``sparring user``): every team."""


class _CliPractice:
    """What :func:`embedded_sample_llm` needs: the settings and a lazily made voice model."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self._llm: LLM | None = None

    @property
    def llm(self) -> LLM:
        if self._llm is None:
            from simulator.llm.factory import create_llm

            self._llm = create_llm(self.settings)
        return self._llm


@contextlib.contextmanager
def open_drills(settings: Any) -> Iterator[tuple[DrillService, TeamService]]:
    """The studio over the configured store, for ``sparring drills`` (no graph, no web app)."""
    from simulator.services.user_admin import open_store

    with open_store(settings) as (engine, library, teams):
        yield (DrillService(DrillStore(engine), library, teams,
                            sample_llm=embedded_sample_llm(_CliPractice(settings))), teams)


def find_drill(service: DrillService, ref: str, team_id: str | None = None) -> DrillSummary:
    """A drill by its id or its scenario id (``--team`` picks one when several teams use the id)."""
    found = [d for d in service.summaries(CLI_ACTOR)
             if (d.draft.id == ref or d.draft.scenario.get("id") == ref) and team_id in (None, d.draft.team_id)]
    if not found:
        raise DrillError(f"no drill {ref!r}; `sparring drills list` shows them")
    if len(found) > 1:
        raise DrillError(f"several teams have a drill {ref!r}: give --team, or the drill id "
                         f"({', '.join(d.draft.id for d in found)})")
    return found[0]
