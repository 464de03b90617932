"""Peer review: reps score each other's finished calls on the same rubric as the grader.

* **Sharing.** A rep shares a finished (graded, not abandoned) call of theirs with a teammate — a
  user who is on one of the rep's teams; the rep's manager may share it too, or open it to a whole
  team they manage. The owner, their managers and admins can stop any share ("unshare"): access
  ends at once.
* **Opening.** A shared call opens for the people it was shared with (a team share: the team's
  members) *while they are still on a team with the rep*, for the rep, the rep's managers and
  admins. Anyone else — and anyone at all while their account is disabled — gets the same answer
  as for a call that does not exist, so ids cannot be probed.
* **Reviewing.** Anyone who may open a call, except its owner, may review it: for each competency
  of the drill's rubric a level 1–5 (or "not shown in this call"), the rep lines that show it
  (turn indexes checked to be the rep's lines) and a comment; buyer moments (checked to be the
  buyer's lines) and an overall comment. One review per reviewer per call: a **draft** is saved and
  edited as often as needed; **submitting** makes it final (the rep sees only submitted reviews).
  Submitting needs every competency answered, each level backed by a cited line or a comment, and
  an overall comment.
* **Comparing.** The rep (and their managers) see, per competency, the automatic score beside each
  peer's level and the peers' mean, with every comment and cited line.
* **Activity.** A manager's dashboard counts, per team member over the last 30 days, their calls
  shared, reviews given and received, and reviews still waiting for them.

Every method takes the signed-in user and checks these rules itself; errors are
:class:`~simulator.errors.SparringError` messages that say what to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from grading.rubric import CALL_KINDS, CallKind, RubricEntry, load_rubric, rubric_for_scenario
from simulator.content.competencies import COMPETENCY_IDS
from simulator.content.loader import ContentLibrary
from simulator.engine.state import TurnRecord
from simulator.errors import PermissionDeniedError, SparringError
from simulator.services.access import User
from simulator.services.accounts import AccountService
from simulator.services.scorecards import competency_scores
from simulator.services.teams import TeamService
from simulator.session.permissions import refused
from simulator.store.reviews import ReviewRow, ReviewStore, Share
from simulator.store.sessions import SessionRecord, SessionStore

MAX_COMMENT = 2000
MAX_OVERALL = 4000
MAX_CITED = 20
ACTIVITY_DAYS = 30


class PeerReviewError(SparringError):
    """A share or review that cannot be made; the message says how to fix it."""


@dataclass(frozen=True)
class CompetencyReview:
    """One competency as a reviewer scored it. ``level`` None: not shown in this call."""

    level: int | None
    turns: list[int]
    comment: str


@dataclass(frozen=True)
class Review:
    """A review as the services hand it out (with the reviewer's name)."""

    id: str
    session_id: str
    reviewer: User | None
    reviewer_name: str
    competencies: dict[str, CompetencyReview]
    moments: list[int]
    comment: str
    updated_at: float
    submitted_at: float | None

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None


@dataclass(frozen=True)
class ShareInfo:
    """A share as its owner sees it: with whom, by whom, when."""

    share: Share
    target: str
    """'Rob (rob)' or 'team East'."""
    by: str


@dataclass(frozen=True)
class SharedCall:
    """A call someone shared with the actor (the 'Shared with me' list)."""

    record: SessionRecord
    owner: User
    shared_at: float
    via: str
    """'you' or 'team East'."""
    status: str
    """'not started', 'draft' or 'submitted'."""


@dataclass(frozen=True)
class ReviewSheet:
    """Everything a reviewer needs to score one call."""

    record: SessionRecord
    owner: User
    transcript: list[TurnRecord]
    rubric: list[RubricEntry]
    review: Review | None
    can_review: bool
    why_not: str = ""


@dataclass(frozen=True)
class ComparisonRow:
    competency_id: str
    name: str
    automatic: float | None
    """The grader's score 1–5, None when not scored in this call."""
    peers: list[int | None]
    """Each submitted review's level, in the order of :attr:`Comparison.reviews` (None: not shown)."""

    @property
    def peer_mean(self) -> float | None:
        levels = [p for p in self.peers if p is not None]
        return sum(levels) / len(levels) if levels else None

    @property
    def gap(self) -> float | None:
        """Peers' mean minus the automatic score (None when either is missing)."""
        mean = self.peer_mean
        return None if mean is None or self.automatic is None else mean - self.automatic


@dataclass(frozen=True)
class Comparison:
    """The automatic scorecard and every submitted peer review of one call, per competency."""

    record: SessionRecord
    rows: list[ComparisonRow]
    reviews: list[Review]
    transcript: dict[int, TurnRecord] = field(default_factory=dict)


@dataclass(frozen=True)
class ReviewActivity:
    """One team member's review activity over the last :data:`ACTIVITY_DAYS` days."""

    user: User
    calls_shared: int
    """Their calls newly shared (with a person or a team)."""
    reviews_given: int
    reviews_received: int
    waiting: int
    """Calls shared with them (in person) that they have not submitted a review of yet."""


def _kind(record: SessionRecord, library: ContentLibrary) -> CallKind:
    card = record.scorecard if isinstance(record.scorecard, Mapping) else {}
    kind = card.get("kind")
    for known in CALL_KINDS:
        if kind == known:
            return known
    scenario = library.scenarios.get(record.scenario_id)
    return scenario.kind if scenario is not None else "transcript"


class PeerReviewService:
    """Shares, reviews and their comparison with the automatic score, authorized per call."""

    def __init__(
        self,
        store: ReviewStore,
        sessions: SessionStore,
        library: ContentLibrary,
        teams: TeamService,
        accounts: AccountService,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._sessions = sessions
        self._library = library
        self._teams = teams
        self._accounts = accounts
        self._clock = clock

    # ------------------------------------------------------------------ rules

    @staticmethod
    def _active(actor: User) -> None:
        if actor.disabled:
            raise PermissionDeniedError("This account is disabled.")

    def _record(self, session_id: str | None) -> SessionRecord | None:
        sid = str(session_id or "")[:64]
        return self._sessions.get_session(sid) if sid else None

    def _manages_owner(self, actor: User, record: SessionRecord) -> bool:
        """The actor is the owner's manager, or an admin (owners excluded)."""
        return record.user_id != actor.id and actor.is_manager and self._teams.can_view_user(actor, record.user_id)

    def _share_valid_for(self, actor: User, share: Share, owner_id: str | None) -> bool:
        """Does this share still open the call to the actor? (Both still on a team together.)"""
        if owner_id is None or owner_id == actor.id:
            return False
        actor_teams = self._teams.team_ids_of(actor.id)
        owner_teams = self._teams.team_ids_of(owner_id)
        if share.user_id is not None:
            return share.user_id == actor.id and bool(actor_teams & owner_teams)
        return share.team_id is not None and share.team_id in actor_teams and share.team_id in owner_teams

    def _via_share(self, actor: User, record: SessionRecord) -> Share | None:
        for share in self._store.shares_of(record.id):
            if self._share_valid_for(actor, share, record.user_id):
                return share
        return None

    def _open(self, actor: User, session_id: str | None) -> SessionRecord:
        """The call, if the actor may open it: owner, the owner's manager, admin, or shared with them."""
        self._active(actor)
        record = self._record(session_id)
        if record is None or record.user_id is None:
            raise refused(str(session_id or ""))
        if record.user_id == actor.id or actor.is_admin or self._manages_owner(actor, record):
            return record
        if self._via_share(actor, record) is None:
            raise refused(str(session_id or ""))
        return record

    def _owned_or_managed(self, actor: User, session_id: str | None) -> SessionRecord:
        """The call, if the actor owns it or manages its owner (sharing and comparing)."""
        self._active(actor)
        record = self._record(session_id)
        if record is None or record.user_id is None:
            raise refused(str(session_id or ""))
        if record.user_id != actor.id and not self._manages_owner(actor, record) and not actor.is_admin:
            raise refused(str(session_id or ""))
        return record

    @staticmethod
    def _finished(record: SessionRecord) -> None:
        if record.status == "active":
            raise PeerReviewError("This call is still in progress: share it once it has ended and been scored.")
        if record.status == "abandoned":
            raise PeerReviewError("This call was closed unfinished (left idle): only finished calls can be shared.")

    def _user(self, user_id: str | None) -> User | None:
        return self._accounts.get(user_id) if user_id else None

    def _name(self, user_id: str | None) -> str:
        user = self._user(user_id)
        return f"{user.label} ({user.username})" if user else "a former user"

    # ------------------------------------------------------------------ sharing

    def teammates(self, actor: User, session_id: str) -> list[User]:
        """Who the call may be shared with: enabled users on one of the owner's teams, not the owner."""
        record = self._owned_or_managed(actor, session_id)
        return self._teammates_of(record.user_id or "")

    def _teammates_of(self, owner_id: str) -> list[User]:
        users = [u for u in map(self._accounts.get, self._store.teammate_ids(owner_id)) if u and not u.disabled]
        return sorted(users, key=lambda u: (u.label.lower(), u.username))

    def share_with(self, actor: User, session_id: str, user_id: str | None) -> Share:
        """Share a finished call with one teammate (the owner, or the owner's manager)."""
        record = self._owned_or_managed(actor, session_id)
        self._finished(record)
        if not user_id:
            raise PeerReviewError("Choose the teammate to share this call with.")
        if user_id == record.user_id:
            raise PeerReviewError("This is the rep's own call: share it with a teammate.")
        target = self._user(user_id)
        owner_teams = self._teams.team_ids_of(record.user_id or "")
        if target is None or not (self._teams.team_ids_of(target.id) & owner_teams):
            raise PeerReviewError("You can share a call only with someone on the rep's team.")
        if target.disabled:
            raise PeerReviewError(f"{target.label}'s account is disabled: share with someone else.")
        share, _ = self._store.add_share(record.id, user_id=target.id, by=actor.id, at=self._clock())
        return share

    def open_to_team(self, actor: User, session_id: str, team_id: str | None) -> Share:
        """Open a finished call to every member of a team (managers of that team, admins)."""
        self._active(actor)
        if not actor.is_manager:
            raise PeerReviewError("Only a manager can open a call to a whole team; share it with a teammate instead.")
        record = self._owned_or_managed(actor, session_id)
        self._finished(record)
        if not team_id:
            raise PeerReviewError("Choose the team to open this call to.")
        if team_id not in self._teams.managed_team_ids(actor):
            raise PermissionDeniedError("You can open calls only to the teams you manage.")
        if team_id not in self._teams.team_ids_of(record.user_id or ""):
            raise PeerReviewError("The rep is not on that team: open the call to one of the rep's teams.")
        share, _ = self._store.add_share(record.id, team_id=team_id, by=actor.id, at=self._clock())
        return share

    def unshare(self, actor: User, share_id: str | None) -> None:
        """Stop a share (the call's owner, their managers, admins). The people it named lose access at once."""
        self._active(actor)
        share = self._store.get_share(str(share_id or "")[:64]) if share_id else None
        if share is None:
            raise PeerReviewError("That share does not exist any more (it may have been stopped already).")
        try:
            self._owned_or_managed(actor, share.session_id)
        except PermissionDeniedError:
            raise PeerReviewError("That share does not exist any more (it may have been stopped already).") from None
        self._store.remove_share(share.id)

    def shares(self, actor: User, session_id: str) -> list[ShareInfo]:
        """Who a call is shared with (for its owner, their managers and admins)."""
        record = self._owned_or_managed(actor, session_id)
        team_names = self._store.team_names(s.team_id for s in self._store.shares_of(record.id) if s.team_id)
        out = []
        for share in self._store.shares_of(record.id):
            if share.user_id:
                target = self._name(share.user_id)
            else:
                target = f"team {team_names.get(share.team_id or '', '(deleted team)')}"
            out.append(ShareInfo(share, target, self._name(share.shared_by)))
        return out

    def _team_name(self, team_id: str | None) -> str:
        return self._store.team_names([team_id]).get(team_id, "(deleted team)") if team_id else "(deleted team)"

    def shared_with_me(self, actor: User) -> list[SharedCall]:
        """Calls shared with the actor (in person or with a team of theirs), newest share first."""
        self._active(actor)
        reviews = {r.session_id: r for r in self._store.reviews_by(actor.id)}
        out: dict[str, SharedCall] = {}
        for share in self._store.shares_to(actor.id, self._teams.team_ids_of(actor.id)):
            if share.session_id in out:
                continue
            record = self._sessions.get_session(share.session_id)
            if record is None or not self._share_valid_for(actor, share, record.user_id):
                continue
            owner = self._user(record.user_id)
            if owner is None:
                continue
            review = reviews.get(record.id)
            status = "not started" if review is None else "submitted" if review.submitted else "draft"
            via = "you" if share.user_id else f"team {self._team_name(share.team_id)}"
            out[record.id] = SharedCall(record, owner, share.shared_at, via, status)
        return list(out.values())

    # ------------------------------------------------------------------ reviewing

    def rubric(self, record: SessionRecord) -> list[RubricEntry]:
        """The competencies that count in this call (the drill's rubric), heaviest first."""
        scenario = self._library.scenarios.get(record.scenario_id)
        if scenario is not None:
            return rubric_for_scenario(scenario)
        kind = _kind(record, self._library)
        order = {cid: i for i, cid in enumerate(COMPETENCY_IDS)}
        entries = [
            RubricEntry(
                id=c.id, name=c.name, description=c.description, weight=c.weights.for_kind(kind), trained=False,
                levels=list(c.levels), checks=[ch.describe() for ch in c.checks],
            )
            for c in load_rubric().competencies
            if c.weights.for_kind(kind) > 0
        ]
        return sorted(entries, key=lambda e: (-e.weight, order[e.id]))

    def _review(self, row: ReviewRow) -> Review:
        reviewer = self._user(row.reviewer_id)
        comps = {}
        for cid, value in row.scores.items():
            if not isinstance(value, Mapping):
                continue
            level = value.get("level")
            comps[cid] = CompetencyReview(
                level if isinstance(level, int) and not isinstance(level, bool) else None,
                [int(t) for t in value.get("turns") or [] if isinstance(t, int)],
                str(value.get("comment") or ""),
            )
        return Review(
            row.id, row.session_id, reviewer, reviewer.label if reviewer else "a former user", comps, row.moments,
            row.comment, row.updated_at, row.submitted_at,
        )

    def sheet(self, actor: User, session_id: str | None) -> ReviewSheet:
        """A call to review: transcript, rubric and the actor's own review (draft or submitted)."""
        record = self._open(actor, session_id)
        owner = self._user(record.user_id)
        if owner is None:
            raise refused(str(session_id or ""))
        row = self._store.get_review(record.id, actor.id)
        why = ""
        if record.user_id == actor.id:
            why = "This is your own call: your teammates review it; you see their scores beside the automatic ones."
        elif record.status != "ended":
            why = "This call is not finished: it can be reviewed once it has ended."
        return ReviewSheet(
            record,
            owner,
            self._sessions.get_turns(record.id),
            self.rubric(record),
            self._review(row) if row else None,
            can_review=not why and not (row is not None and row.submitted),
            why_not=why or ("You submitted your review of this call; it is final." if row and row.submitted else ""),
        )

    def save(
        self,
        actor: User,
        session_id: str | None,
        competencies: Mapping[str, CompetencyReview | Mapping[str, Any]],
        comment: str = "",
        *,
        moments: Sequence[int] = (),
        submit: bool = False,
    ) -> Review:
        """Save the actor's review of a call as a draft, or submit it (then it is final).

        ``competencies`` maps competency ids to a :class:`CompetencyReview` (or a dict with
        ``level``, ``turns``, ``comment``); a competency left out is unanswered (allowed in a draft).
        """
        record = self._open(actor, session_id)
        if record.user_id == actor.id:
            raise PeerReviewError("You cannot review your own call: share it with a teammate instead.")
        if record.status != "ended":
            raise PeerReviewError("This call is not finished: it can be reviewed once it has ended.")
        transcript = {t["index"]: t for t in self._sessions.get_turns(record.id)}
        rubric = {e.id: e for e in self.rubric(record)}
        scores: dict[str, Any] = {}
        for cid, raw in competencies.items():
            if cid not in rubric:
                raise PeerReviewError(f"'{cid}' is not a competency of this drill's rubric.")
            entry = rubric[cid]
            item = raw if isinstance(raw, CompetencyReview) else _from_mapping(raw, entry.name)
            level = item.level
            if level is not None and (isinstance(level, bool) or level not in (1, 2, 3, 4, 5)):
                raise PeerReviewError(f"{entry.name}: choose a level from 1 to 5 (or 'not shown in this call').")
            turns = _cited(item.turns, transcript, "rep", entry.name)
            text = (item.comment or "").strip()
            if len(text) > MAX_COMMENT:
                raise PeerReviewError(f"{entry.name}: the comment is {len(text):,} characters; keep it under "
                                      f"{MAX_COMMENT:,}.")
            scores[cid] = {"level": level, "turns": turns, "comment": text}
        buyer = _cited(moments, transcript, "buyer", "Buyer moments")
        overall = (comment or "").strip()
        if len(overall) > MAX_OVERALL:
            raise PeerReviewError(f"The overall comment is {len(overall):,} characters; keep it under {MAX_OVERALL:,}.")
        if submit:
            missing = [rubric[c].name for c in rubric if c not in scores]
            if missing:
                raise PeerReviewError(
                    "Before submitting, choose a level (or 'not shown in this call') for: " + ", ".join(missing) + "."
                )
            bare = [rubric[c].name for c, v in scores.items() if v["level"] is not None and not v["turns"]
                    and not v["comment"]]
            if bare:
                raise PeerReviewError(
                    "Back each level with evidence: tick the rep's line(s) that show it, or say why in a comment — "
                    "missing for: " + ", ".join(bare) + "."
                )
            if not any(v["level"] is not None for v in scores.values()):
                raise PeerReviewError("Score at least one competency before submitting.")
            if not overall:
                raise PeerReviewError("Before submitting, write an overall comment: one thing to keep doing and one "
                                      "to change.")
        row = self._store.save_review(
            record.id, actor.id, scores, overall, moments=buyer, at=self._clock(), submit=submit
        )
        if row is None:
            raise PeerReviewError("You submitted your review of this call already; a submitted review is final.")
        return self._review(row)

    # ------------------------------------------------------------------ comparing

    def comparison(self, actor: User, session_id: str | None) -> Comparison:
        """The automatic scores beside every submitted peer review (owner, their managers, admins)."""
        record = self._owned_or_managed(actor, session_id)
        reviews = [self._review(r) for r in self._store.reviews_of(record.id)]
        auto = competency_scores(record.scorecard)
        rows = [
            ComparisonRow(
                e.id,
                e.name,
                auto.get(e.id),
                [r.competencies[e.id].level if e.id in r.competencies else None for r in reviews],
            )
            for e in self.rubric(record)
        ]
        turns = {t["index"]: t for t in self._sessions.get_turns(record.id)} if reviews else {}
        return Comparison(record, rows, reviews, turns)

    # ------------------------------------------------------------------ the manager's dashboard

    def team_activity(self, actor: User, team_id: str, *, days: int = ACTIVITY_DAYS) -> list[ReviewActivity]:
        """Per team member: calls shared, reviews given and received, reviews waiting (last ``days`` days)."""
        self._active(actor)
        members = self._teams.members(actor, team_id)  # refuses teams the actor does not manage
        since = self._clock() - days * 86400
        own = {m.id: [s.id for s in self._sessions.list_sessions(user_id=m.id, limit=500)] for m in members}
        owner_of = {sid: uid for uid, sids in own.items() for sid in sids}
        all_ids = list(owner_of)
        shares = self._store.shares_for_sessions(all_ids)
        received = [r for r in self._store.reviews_for_sessions(all_ids) if (r.submitted_at or 0) >= since]
        given = self._store.submitted_since([m.id for m in members], since)
        out = []
        for member in members:
            mine = set(own[member.id])
            shared_calls = {s.session_id for s in shares if s.session_id in mine and s.shared_at >= since}
            to_me = self._store.shares_to(member.id, [])
            done = {r.session_id for r in self._store.reviews_by(member.id) if r.submitted}
            waiting = {s.session_id for s in to_me if s.session_id not in done}
            out.append(
                ReviewActivity(
                    member,
                    len(shared_calls),
                    sum(1 for r in given if r.reviewer_id == member.id),
                    sum(1 for r in received if owner_of.get(r.session_id) == member.id),
                    len(waiting),
                )
            )
        return out


def _from_mapping(raw: Mapping[str, Any], name: str) -> CompetencyReview:
    if not isinstance(raw, Mapping):
        raise PeerReviewError(f"{name}: give a level, the cited turns and a comment.")
    level = raw.get("level")
    if isinstance(level, str) and level.strip().isdigit():
        level = int(level.strip())
    turns = raw.get("turns") or []
    if not isinstance(turns, list | tuple):
        raise PeerReviewError(f"{name}: cite turns as a list of turn numbers.")
    return CompetencyReview(level, list(turns), str(raw.get("comment") or ""))


def _cited(turns: Sequence[Any], transcript: Mapping[int, TurnRecord], speaker: str, what: str) -> list[int]:
    """Turn indexes checked to exist and to be ``speaker``'s lines; sorted, without repeats."""
    out: set[int] = set()
    for raw in turns:
        try:
            index = int(raw)
        except (TypeError, ValueError):
            raise PeerReviewError(f"{what}: {str(raw)[:20]!r} is not a turn number.") from None
        if isinstance(raw, bool) or index not in transcript:
            raise PeerReviewError(f"{what}: there is no turn {index} in this call.")
        if transcript[index]["speaker"] != speaker:
            whose = "the buyer's" if speaker == "rep" else "the rep's"
            want = "the rep's lines" if speaker == "rep" else "the buyer's lines"
            raise PeerReviewError(f"{what}: turn {index} is {whose} line; cite {want} here.")
        out.add(index)
    if len(out) > MAX_CITED:
        raise PeerReviewError(f"{what}: cite at most {MAX_CITED} lines (the clearest ones).")
    return sorted(out)
