"""Peer review's rows: sessions shared with a teammate or a team, and reviews on the rubric.

Plain data access over ``session_shares`` and ``peer_reviews`` (``simulator/store/schema.py``);
every rule about who may share, open or review is in :mod:`simulator.services.peer_review`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Row, delete, insert, or_, select, update

from simulator.store.db import read_transaction, write_transaction
from simulator.store.schema import peer_reviews, session_shares, team_members, teams, users


@dataclass(frozen=True, slots=True)
class Share:
    """A session shared with one user (``user_id``) or opened to a team (``team_id``)."""

    id: str
    session_id: str
    user_id: str | None
    team_id: str | None
    shared_by: str | None
    shared_at: float


@dataclass(frozen=True, slots=True)
class ReviewRow:
    """A stored review: ``scores`` is ``{competency id: {"level", "turns", "comment"}}``."""

    id: str
    session_id: str
    reviewer_id: str
    scores: dict[str, Any]
    moments: list[int]
    """Buyer turns the reviewer points the rep to."""
    comment: str
    created_at: float
    updated_at: float
    submitted_at: float | None

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None


def _share(row: Row[Any]) -> Share:
    m = row._mapping
    return Share(m["id"], m["session_id"], m["user_id"], m["team_id"], m["shared_by"], float(m["shared_at"]))


def _review(row: Row[Any]) -> ReviewRow:
    m = row._mapping
    scores = m["scores"] if isinstance(m["scores"], dict) else {}
    moments = [int(t) for t in m["moments"] or [] if isinstance(t, int)]
    return ReviewRow(
        m["id"], m["session_id"], m["reviewer_id"], scores, moments, m["comment"] or "",
        float(m["created_at"]), float(m["updated_at"]),
        None if m["submitted_at"] is None else float(m["submitted_at"]),
    )


class ReviewStore:
    """Shares and reviews over one engine (each method in its own transaction)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # ------------------------------------------------------------------ shares

    def add_share(
        self, session_id: str, *, user_id: str | None = None, team_id: str | None = None, by: str | None, at: float
    ) -> tuple[Share, bool]:
        """Share with a user or a team; returns (the share, True when new). Sharing twice keeps the first."""
        if (user_id is None) == (team_id is None):
            raise ValueError("share with exactly one of user_id or team_id")
        where = session_shares.c.user_id == user_id if user_id else session_shares.c.team_id == team_id
        with write_transaction(self._engine) as conn:
            row = conn.execute(select(session_shares).where(session_shares.c.session_id == session_id, where)).first()
            if row is not None:
                return _share(row), False
            share = Share(uuid.uuid4().hex, session_id, user_id, team_id, by, at)
            conn.execute(
                insert(session_shares).values(
                    id=share.id, session_id=session_id, user_id=user_id, team_id=team_id, shared_by=by, shared_at=at
                )
            )
        return share, True

    def get_share(self, share_id: str) -> Share | None:
        with read_transaction(self._engine) as conn:
            row = conn.execute(select(session_shares).where(session_shares.c.id == share_id)).first()
        return _share(row) if row is not None else None

    def remove_share(self, share_id: str) -> bool:
        """Delete a share (access ends at once); True when it existed."""
        with write_transaction(self._engine) as conn:
            return bool(conn.execute(delete(session_shares).where(session_shares.c.id == share_id)).rowcount)

    def shares_of(self, session_id: str) -> list[Share]:
        """Every share of one session, oldest first."""
        query = (
            select(session_shares)
            .where(session_shares.c.session_id == session_id)
            .order_by(session_shares.c.shared_at, session_shares.c.id)
        )
        with read_transaction(self._engine) as conn:
            return [_share(r) for r in conn.execute(query)]

    def shares_to(self, user_id: str, team_ids: Iterable[str]) -> list[Share]:
        """Shares naming this user, or one of these teams, newest first."""
        teams = list(team_ids)
        cond = session_shares.c.user_id == user_id
        if teams:
            cond = or_(cond, session_shares.c.team_id.in_(teams))
        query = select(session_shares).where(cond).order_by(session_shares.c.shared_at.desc()).limit(500)
        with read_transaction(self._engine) as conn:
            return [_share(r) for r in conn.execute(query)]

    def shares_for_sessions(self, session_ids: Iterable[str]) -> list[Share]:
        ids = list(session_ids)
        if not ids:
            return []
        with read_transaction(self._engine) as conn:
            return [_share(r) for r in conn.execute(select(session_shares).where(session_shares.c.session_id.in_(ids)))]

    # ------------------------------------------------------------------ people

    def teammate_ids(self, user_id: str) -> list[str]:
        """Every other user on one of this user's teams (any role, disabled ones included)."""
        their_teams = select(team_members.c.team_id).where(team_members.c.user_id == user_id)
        query = (
            select(users.c.id)
            .where(
                users.c.id != user_id,
                users.c.id.in_(select(team_members.c.user_id).where(team_members.c.team_id.in_(their_teams))),
            )
            .order_by(users.c.username)
        )
        with read_transaction(self._engine) as conn:
            return list(conn.execute(query).scalars())

    def team_names(self, team_ids: Iterable[str | None]) -> dict[str, str]:
        ids = [t for t in team_ids if t]
        if not ids:
            return {}
        with read_transaction(self._engine) as conn:
            return {r.id: r.name for r in conn.execute(select(teams.c.id, teams.c.name).where(teams.c.id.in_(ids)))}

    # ------------------------------------------------------------------ reviews

    def get_review(self, session_id: str, reviewer_id: str) -> ReviewRow | None:
        query = select(peer_reviews).where(
            peer_reviews.c.session_id == session_id, peer_reviews.c.reviewer_id == reviewer_id
        )
        with read_transaction(self._engine) as conn:
            row = conn.execute(query).first()
        return _review(row) if row is not None else None

    def save_review(
        self,
        session_id: str,
        reviewer_id: str,
        scores: dict[str, Any],
        comment: str,
        *,
        moments: list[int],
        at: float,
        submit: bool,
    ) -> ReviewRow | None:
        """Create or update the reviewer's draft (and submit it when ``submit``).

        Returns the stored row, or None when a submitted review exists already (it is final): the
        check and the write are one transaction, so two tabs cannot both submit.
        """
        where = (peer_reviews.c.session_id == session_id) & (peer_reviews.c.reviewer_id == reviewer_id)
        submitted_at = at if submit else None
        with write_transaction(self._engine) as conn:
            row = conn.execute(select(peer_reviews).where(where)).first()
            if row is None:
                review_id = uuid.uuid4().hex
                conn.execute(
                    insert(peer_reviews).values(
                        id=review_id, session_id=session_id, reviewer_id=reviewer_id, scores=scores,
                        moments=moments, comment=comment, created_at=at, updated_at=at, submitted_at=submitted_at,
                    )
                )
            elif row._mapping["submitted_at"] is not None:
                return None
            else:
                conn.execute(
                    update(peer_reviews).where(where).values(
                        scores=scores, moments=moments, comment=comment, updated_at=at, submitted_at=submitted_at
                    )
                )
            stored = conn.execute(select(peer_reviews).where(where)).first()
        return _review(stored) if stored is not None else None

    def reviews_of(self, session_id: str, *, submitted_only: bool = True) -> list[ReviewRow]:
        """Reviews of one session, oldest submission first."""
        query = select(peer_reviews).where(peer_reviews.c.session_id == session_id)
        if submitted_only:
            query = query.where(peer_reviews.c.submitted_at.is_not(None))
        query = query.order_by(peer_reviews.c.submitted_at, peer_reviews.c.created_at)
        with read_transaction(self._engine) as conn:
            return [_review(r) for r in conn.execute(query)]

    def reviews_by(self, reviewer_id: str) -> list[ReviewRow]:
        """Every review (drafts too) written by one user, newest first."""
        query = (
            select(peer_reviews)
            .where(peer_reviews.c.reviewer_id == reviewer_id)
            .order_by(peer_reviews.c.updated_at.desc())
            .limit(500)
        )
        with read_transaction(self._engine) as conn:
            return [_review(r) for r in conn.execute(query)]

    def reviews_for_sessions(self, session_ids: Iterable[str]) -> list[ReviewRow]:
        ids = list(session_ids)
        if not ids:
            return []
        with read_transaction(self._engine) as conn:
            return [_review(r) for r in conn.execute(select(peer_reviews).where(peer_reviews.c.session_id.in_(ids)))]

    def submitted_since(self, reviewer_ids: Iterable[str], since: float) -> list[ReviewRow]:
        """Submitted reviews by these reviewers since ``since``."""
        ids = list(reviewer_ids)
        if not ids:
            return []
        query = select(peer_reviews).where(
            peer_reviews.c.reviewer_id.in_(ids), peer_reviews.c.submitted_at >= since
        )
        with read_transaction(self._engine) as conn:
            return [_review(r) for r in conn.execute(query)]
