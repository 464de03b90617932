"""The Drill studio's tables: a team's drill drafts and their published versions.

A drill is one persona and one scenario, stored as the JSON of the validated pydantic models
(:mod:`simulator.content.models`), so what is stored is exactly what ``sparring validate`` checks.
A draft is the working copy; its last check (self-play) is kept with the hash of the content it
checked, so publishing can insist that *this exact content* passed. Publishing copies the draft into
``drill_versions`` as version N+1 and marks it the one reps get; versions are never changed.

Every published version is loaded into the content library under its own ids
(:func:`library_id`: ``team-<drill id>-v<version>``), so a session, its scorecard and its replay
always resolve the version it was played on, whatever was published since.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from simulator.store.db import read_transaction, write_transaction
from simulator.store.schema import drill_drafts, drill_versions, sessions

_LIBRARY_ID = re.compile(r"^team-([0-9a-f]{10})-v([0-9]+)$")


def library_id(drill_id: str, version: int) -> str:
    """The id a published version has in the content library (scenario and persona alike)."""
    return f"team-{drill_id}-v{version}"


def parse_library_id(scenario_id: str) -> tuple[str, int] | None:
    """(drill id, version) of a library id made by :func:`library_id`, else None (a library drill)."""
    m = _LIBRARY_ID.match(scenario_id or "")
    return (m.group(1), int(m.group(2))) if m else None


def content_hash(persona: dict[str, Any], scenario: dict[str, Any]) -> str:
    """A stable hash of a drill's content (key order does not matter)."""
    text = json.dumps({"persona": persona, "scenario": scenario}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class DraftRecord:
    """One row of ``drill_drafts``."""

    id: str
    team_id: str
    author_id: str | None
    persona: dict[str, Any]
    scenario: dict[str, Any]
    source: str | None
    checked_hash: str | None
    check_passed: bool
    check_report: dict[str, Any] | None
    checked_at: float | None
    created_at: float
    updated_at: float

    @property
    def content_hash(self) -> str:
        return content_hash(self.persona, self.scenario)

    @property
    def check_is_current(self) -> bool:
        """The last check was of exactly this content."""
        return self.checked_hash == self.content_hash


@dataclass(frozen=True)
class VersionRecord:
    """One row of ``drill_versions``."""

    drill_id: str
    version: int
    team_id: str
    author_id: str | None
    persona: dict[str, Any]
    scenario: dict[str, Any]
    content_hash: str
    published: bool
    source_version: int | None
    created_at: float

    @property
    def library_id(self) -> str:
        return library_id(self.drill_id, self.version)


class PublishRefusedError(Exception):
    """The draft changed since its last passing check (or it never passed)."""


def _draft(row: Any) -> DraftRecord:
    m = row._mapping
    return DraftRecord(
        id=m["id"], team_id=m["team_id"], author_id=m["author_id"], persona=m["persona"], scenario=m["scenario"],
        source=m["source"], checked_hash=m["checked_hash"], check_passed=bool(m["check_passed"]),
        check_report=m["check_report"], checked_at=m["checked_at"], created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def _version(row: Any) -> VersionRecord:
    m = row._mapping
    return VersionRecord(
        drill_id=m["drill_id"], version=int(m["version"]), team_id=m["team_id"], author_id=m["author_id"],
        persona=m["persona"], scenario=m["scenario"], content_hash=m["content_hash"],
        published=bool(m["published"]), source_version=m["source_version"], created_at=m["created_at"],
    )


class DrillStore:
    """Drafts and versions of team drills (no permission checks: see simulator/services/drills.py)."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._clock = clock

    # ------------------------------------------------------------------ drafts

    def create_draft(self, *, team_id: str, author_id: str | None, persona: dict[str, Any],
                     scenario: dict[str, Any], source: str | None = None) -> DraftRecord:
        now = self._clock()
        drill_id = uuid.uuid4().hex[:10]
        with write_transaction(self._engine) as conn:
            conn.execute(insert(drill_drafts).values(
                id=drill_id, team_id=team_id, author_id=author_id, persona=persona, scenario=scenario,
                source=(source or "")[:256] or None, checked_hash=None, check_passed=False, check_report=None,
                checked_at=None, created_at=now, updated_at=now,
            ))
        draft = self.get_draft(drill_id)
        assert draft is not None
        return draft

    def get_draft(self, drill_id: str) -> DraftRecord | None:
        with read_transaction(self._engine) as conn:
            row = conn.execute(select(drill_drafts).where(drill_drafts.c.id == str(drill_id or "")[:64])).first()
        return _draft(row) if row is not None else None

    def list_drafts(self, team_ids: Iterable[str] | None = None) -> list[DraftRecord]:
        """Drafts of these teams (every team for None), newest change first."""
        query = select(drill_drafts).order_by(drill_drafts.c.updated_at.desc(), drill_drafts.c.id)
        if team_ids is not None:
            query = query.where(drill_drafts.c.team_id.in_(list(team_ids)))
        with read_transaction(self._engine) as conn:
            return [_draft(r) for r in conn.execute(query)]

    def save_draft(self, drill_id: str, persona: dict[str, Any], scenario: dict[str, Any]) -> DraftRecord:
        """Replace the draft's content (its last check stays, and counts only if the content is unchanged)."""
        with write_transaction(self._engine) as conn:
            conn.execute(update(drill_drafts).where(drill_drafts.c.id == drill_id).values(
                persona=persona, scenario=scenario, updated_at=self._clock()))
        draft = self.get_draft(drill_id)
        assert draft is not None
        return draft

    def record_check(self, drill_id: str, checked_hash: str, passed: bool, report: dict[str, Any]) -> None:
        with write_transaction(self._engine) as conn:
            conn.execute(update(drill_drafts).where(drill_drafts.c.id == drill_id).values(
                checked_hash=checked_hash, check_passed=passed, check_report=report, checked_at=self._clock()))

    # ------------------------------------------------------------------ versions

    def publish(self, drill_id: str, *, author_id: str | None, expected_hash: str) -> VersionRecord:
        """Copy the draft into version N+1 and make it current, in one transaction, only if the draft
        still has ``expected_hash`` and its last check, of that content, passed.

        Raises:
            PublishRefusedError: the content changed, was never checked, or its check failed.
        """
        with write_transaction(self._engine) as conn:
            row = conn.execute(select(drill_drafts).where(drill_drafts.c.id == drill_id)).first()
            if row is None:
                raise PublishRefusedError("no such draft")
            draft = _draft(row)
            digest = draft.content_hash
            if digest != expected_hash:
                raise PublishRefusedError("the draft changed while it was being published; check it again")
            if draft.checked_hash != digest:
                raise PublishRefusedError(
                    "this content has not been checked: run the check first (Check, or `sparring drills check`)")
            if not draft.check_passed:
                raise PublishRefusedError("the last check of this content failed: fix the drill and check again")
            current = conn.execute(select(drill_versions.c.version, drill_versions.c.content_hash).where(
                drill_versions.c.drill_id == drill_id, drill_versions.c.published.is_(True))).first()
            if current is not None and current.content_hash == digest:
                raise PublishRefusedError(f"nothing changed since version {current.version}, which reps already get")
            return self._add_version(conn, draft.id, draft.team_id, author_id, draft.persona, draft.scenario, None)

    def republish(self, drill_id: str, version: int, *, author_id: str | None) -> VersionRecord:
        """Roll back: publish an older version's content again, as version N+1."""
        with write_transaction(self._engine) as conn:
            row = conn.execute(select(drill_versions).where(
                drill_versions.c.drill_id == drill_id, drill_versions.c.version == version)).first()
            if row is None:
                raise PublishRefusedError(f"this drill has no version {version}")
            old = _version(row)
            return self._add_version(conn, drill_id, old.team_id, author_id, old.persona, old.scenario, version)

    def _add_version(self, conn: Any, drill_id: str, team_id: str, author_id: str | None, persona: dict[str, Any],
                     scenario: dict[str, Any], source_version: int | None) -> VersionRecord:
        latest = conn.execute(select(func.max(drill_versions.c.version))
                              .where(drill_versions.c.drill_id == drill_id)).scalar()
        number = int(latest or 0) + 1
        conn.execute(update(drill_versions).where(drill_versions.c.drill_id == drill_id).values(published=False))
        values = dict(drill_id=drill_id, version=number, team_id=team_id, author_id=author_id, persona=persona,
                      scenario=scenario, content_hash=content_hash(persona, scenario), published=True,
                      source_version=source_version, created_at=self._clock())
        conn.execute(insert(drill_versions).values(**values))
        return VersionRecord(**values)  # type: ignore[arg-type]

    def versions(self, drill_id: str) -> list[VersionRecord]:
        """Every version of a drill, newest first."""
        with read_transaction(self._engine) as conn:
            rows = conn.execute(select(drill_versions).where(drill_versions.c.drill_id == drill_id)
                                .order_by(drill_versions.c.version.desc()))
            return [_version(r) for r in rows]

    def get_version(self, drill_id: str, version: int) -> VersionRecord | None:
        with read_transaction(self._engine) as conn:
            row = conn.execute(select(drill_versions).where(
                drill_versions.c.drill_id == drill_id, drill_versions.c.version == version)).first()
        return _version(row) if row is not None else None

    def all_versions(self, *, current_only: bool = False, team_ids: Iterable[str] | None = None,
                     newer_than: float | None = None) -> list[VersionRecord]:
        """Published versions (only the current one of each drill with ``current_only``)."""
        query = select(drill_versions).order_by(drill_versions.c.drill_id, drill_versions.c.version)
        if current_only:
            query = query.where(drill_versions.c.published.is_(True))
        if team_ids is not None:
            query = query.where(drill_versions.c.team_id.in_(list(team_ids)))
        if newer_than is not None:
            query = query.where(drill_versions.c.created_at >= newer_than)
        with read_transaction(self._engine) as conn:
            return [_version(r) for r in conn.execute(query)]

    # ------------------------------------------------------------------ sessions

    def note_session(self, session_id: str, version: int) -> None:
        """Record on the session row the drill version it is played on."""
        with write_transaction(self._engine) as conn:
            conn.execute(update(sessions).where(sessions.c.id == session_id).values(drill_version=version))

    def session_version(self, session_id: str) -> int | None:
        with read_transaction(self._engine) as conn:
            value = conn.execute(select(sessions.c.drill_version).where(sessions.c.id == session_id)).scalar()
        return int(value) if value is not None else None
