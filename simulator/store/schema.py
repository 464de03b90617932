"""The store's tables (SQLAlchemy Core), portable between SQLite and PostgreSQL.

Conventions: ids are text (uuid hex or the engine's session id); times are float seconds since
the epoch from the injected clock (as in :class:`~simulator.engine.state.TurnRecord`); calendar
days (cohort start, assignment due) are ``Date``. JSON columns use the portable
:class:`sqlalchemy.JSON` (``json`` on PostgreSQL, not ``jsonb``, so key order round-trips) with
Python ``None`` stored as SQL NULL.

``sessions.user_id`` has no foreign key on purpose: CLI sessions exist without accounts.
The account tables (users, teams, cohorts, assignments, coaching notes, login attempts) are
used by the web app's services (``simulator/services``). Two tables were added with the web app,
``user_security`` (one-time passwords that must be changed) and ``session_hints`` (hints a rep
asked for during a call): both are new tables, which ``init_schema``'s ``create_all`` adds to an
existing database idempotently, so they needed no version bump or migration step. The same holds
for the security tables added later (docs/security.md): ``auth_sessions`` (signed-in browsers, by
token hash), ``one_time_passwords`` (expiry), ``sign_in_attempts`` (with the client IP; it replaces
``login_attempts``, kept so older databases stay valid), ``exports`` and ``store_identity``.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

SCHEMA_VERSION = 5
"""Bump with every schema change, and add the step to :data:`simulator.store.db.MIGRATIONS`."""

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Json = JSON(none_as_null=True)
Id = String(64)

schema_version = Table(
    "schema_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("user_id", Id, nullable=True),
    Column("scenario_id", String(128), nullable=False),
    Column("persona_id", String(128), nullable=False),
    Column("difficulty", String(32), nullable=False),
    Column("status", String(16), nullable=False, default="active"),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("ended_at", Float, nullable=True),
    Column("turn_count", Integer, nullable=False, default=0),
    Column("outcome", Json, nullable=True),
    Column("scorecard", Json, nullable=True),
    Column("overall_score", Float, nullable=True),
    Column("llm", Text, nullable=True),
    # v3: the turn lease (one send per turn across processes) and calls closed as abandoned
    Column("turn_holder", String(160), nullable=True),
    Column("turn_until", Float, nullable=True),
    Column("abandoned_at", Float, nullable=True),
    # v4: the Drill studio version a session was played on (NULL: a library drill)
    Column("drill_version", Integer, nullable=True),
    # v5: End pressed in another process: the holder whose reply should stop (see TurnGuard); and
    # how many times the turn was claimed (a process that claims right after its own release knows
    # nobody ran the call in between, so its cached checkpoint is current)
    Column("turn_cancel", String(160), nullable=True),
    Column("turn_seq", Integer, nullable=True),
    CheckConstraint("status IN ('active', 'ended')", name="status"),
    Index(None, "user_id", "created_at"),
    Index(None, "scenario_id", "created_at"),
    Index(None, "created_at"),
)

turns = Table(
    "turns",
    metadata,
    Column("session_id", Id, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("speaker", String(8), nullable=False),
    Column("text", Text, nullable=False),
    Column("stage", String(64), nullable=False),
    Column("analysis", Json, nullable=True),
    Column("move", Json, nullable=True),
    Column("state", Json, nullable=True),
    Column("voiced_by", String(8), nullable=False),
    Column("rejected", Text, nullable=True),
    Column("llm_line", Text, nullable=True),
    Column("at", Float, nullable=False),
    Column("speech", Json, nullable=True),  # voice turns: {"speech_s", "delivery", "unheard"} (v2)
    PrimaryKeyConstraint("session_id", "idx"),
    CheckConstraint("speaker IN ('rep', 'buyer')", name="speaker"),
)

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True),
    Column("username", String(128), nullable=False, unique=True),
    Column("display_name", String(256), nullable=False, default=""),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False, default="rep"),
    Column("created_at", Float, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    CheckConstraint("role IN ('rep', 'manager', 'admin')", name="role"),
)

teams = Table(
    "teams",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
)

team_members = Table(
    "team_members",
    metadata,
    Column("team_id", Id, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(16), nullable=False, default="member"),
    PrimaryKeyConstraint("team_id", "user_id"),
    CheckConstraint("role IN ('member', 'manager')", name="role"),
    Index(None, "user_id"),
)

cohorts = Table(
    "cohorts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("start_date", Date, nullable=True),
    Column("curriculum", Json, nullable=True),
    Column("created_at", Float, nullable=False),
)

cohort_members = Table(
    "cohort_members",
    metadata,
    Column("cohort_id", Id, ForeignKey("cohorts.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    PrimaryKeyConstraint("cohort_id", "user_id"),
    Index(None, "user_id"),
)

assignments = Table(
    "assignments",
    metadata,
    Column("id", Id, primary_key=True),
    Column("scenario_id", String(128), nullable=False),
    Column("difficulty", String(32), nullable=False),
    Column("assignee_kind", String(16), nullable=False),
    Column("assignee_id", Id, nullable=False),
    Column("due_date", Date, nullable=True),
    Column("min_score", Float, nullable=True),
    Column("max_attempts", Integer, nullable=True),
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("note", Text, nullable=True),
    CheckConstraint("assignee_kind IN ('user', 'team', 'cohort')", name="assignee_kind"),
    Index(None, "assignee_kind", "assignee_id"),
)

coaching_notes = Table(
    "coaching_notes",
    metadata,
    Column("id", Id, primary_key=True),
    Column("session_id", Id, ForeignKey("sessions.id", ondelete="SET NULL"), nullable=True),
    Column("rep_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("manager_id", Id, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("coached", Text, nullable=False, default=""),
    Column("changed", Text, nullable=False, default=""),
    Column("action_plan", Text, nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Index(None, "rep_id", "created_at"),
    Index(None, "session_id"),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(128), nullable=False),
    Column("at", Float, nullable=False),
    Column("ok", Boolean, nullable=False),
    Index(None, "username", "at"),
)

user_security = Table(
    "user_security",
    metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("must_change_password", Boolean, nullable=False, default=False),
    Column("password_changed_at", Float, nullable=True),
)
"""Per-user password state: a one-time password (first admin, reset, ``sparring user add``) must be
changed at the first sign-in."""

session_hints = Table(
    "session_hints",
    metadata,
    Column("session_id", Id, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("user_id", Id, nullable=True),
    Column("rep_turn", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("at", Float, nullable=False),
    PrimaryKeyConstraint("session_id", "idx"),
)
"""Hints given during a practice session (limited per session; recorded for the rep and manager)."""

auth_sessions = Table(
    "auth_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # sha256 hex of the cookie's token, never the token
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_seen_at", Float, nullable=False),
    Column("ip", String(64), nullable=False, default=""),
    Column("user_agent", String(256), nullable=False, default=""),
    Index(None, "user_id"),
)
"""Signed-in browsers (web app). Revoked on password change, reset, disable and role change;
ended after an idle and an absolute limit (settings ``session_idle_s``, ``session_absolute_s``)."""

one_time_passwords = Table(
    "one_time_passwords",
    metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)
"""When each outstanding one-time password stops working (setting ``otp_ttl_s``). A user who must
change the password and has no row here has an expired one."""

sign_in_attempts = Table(
    "sign_in_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(128), nullable=False),
    Column("ip", String(64), nullable=False, default=""),
    Column("at", Float, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("checked", Boolean, nullable=False, default=True),
    Index(None, "username", "at"),
    Index(None, "ip", "at"),
)
"""Every sign-in attempt with the client IP (throttling per username and per IP). Replaces
``login_attempts`` (no IP), which is kept only so older databases stay valid."""

exports = Table(
    "exports",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("filename", String(256), nullable=False),
    Column("path", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)
"""CSV exports waiting to be downloaded by their creator (once, before ``expires_at``)."""

store_identity = Table(
    "store_identity",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("store_id", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)
"""A random id given to the store when it is created; a marker file outside the database records
it, so a start that finds the database missing refuses instead of silently starting empty."""

# Drill studio (simulator/store/drills.py, simulator/services/drills.py): a team's own drills.
drill_drafts = Table(
    "drill_drafts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("team_id", Id, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", Id, nullable=True),
    Column("persona", Json, nullable=False),
    Column("scenario", Json, nullable=False),
    Column("source", String(256), nullable=True),
    Column("checked_hash", String(64), nullable=True),
    Column("check_passed", Boolean, nullable=False, default=False),
    Column("check_report", Json, nullable=True),
    Column("checked_at", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index(None, "team_id"),
)
"""The working copy of a team's drill (a persona and a scenario, as validated JSON) and its last check."""

drill_versions = Table(
    "drill_versions",
    metadata,
    Column("drill_id", Id, ForeignKey("drill_drafts.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("team_id", Id, nullable=False),
    Column("author_id", Id, nullable=True),
    Column("persona", Json, nullable=False),
    Column("scenario", Json, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("published", Boolean, nullable=False, default=False),
    Column("source_version", Integer, nullable=True),
    Column("created_at", Float, nullable=False),
    PrimaryKeyConstraint("drill_id", "version"),
    Index(None, "team_id"),
)
"""Every published version of a drill, never changed; ``published`` marks the one reps get now
(a rollback republishes an older one as a new version, ``source_version`` naming it)."""

session_shares = Table(
    "session_shares",
    metadata,
    Column("id", Id, primary_key=True),
    Column("session_id", Id, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("team_id", Id, ForeignKey("teams.id", ondelete="CASCADE"), nullable=True),
    Column("shared_by", Id, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("shared_at", Float, nullable=False),
    CheckConstraint("(user_id IS NULL) <> (team_id IS NULL)", name="one_target"),
    UniqueConstraint("session_id", "user_id"),
    UniqueConstraint("session_id", "team_id"),
    Index(None, "user_id"),
    Index(None, "team_id"),
)
"""Peer review (docs/peer-review.md, ``simulator/store/reviews.py``): a finished session shared with
one teammate (``user_id``) or opened by a manager to a whole team (``team_id``). Deleting the row
revokes access."""

peer_reviews = Table(
    "peer_reviews",
    metadata,
    Column("id", Id, primary_key=True),
    Column("session_id", Id, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("reviewer_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("scores", Json, nullable=False),  # {competency id: {"level": 1-5|None, "turns": [idx], "comment": str}}
    Column("moments", Json, nullable=True),  # buyer turn indexes the reviewer points the rep to
    Column("comment", Text, nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("submitted_at", Float, nullable=True),  # None: a draft, editable; set: final
    UniqueConstraint("session_id", "reviewer_id"),
    Index(None, "reviewer_id", "submitted_at"),
)
"""One review per reviewer per session, on the session's rubric: a draft until submitted, then final."""
