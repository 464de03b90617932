"""Peer review over HTTP (issue 15, item 5): a shared call opens, and can be scored, only for the
people it was shared with — asked through the Gradio API exactly as the Peer review tab asks, with
the session id typed in (the picker accepts any id, so the service alone decides)."""

from __future__ import annotations

import uuid
from typing import Any

from peer_support import finished_call
from security_support import Browser, SecApp, find_fn, inputs_of
from webtest_support import PASSWORD

from simulator.services.access import User

REFUSED = "There is no practice session"


def _by_id(config: dict[str, Any]) -> dict[int, str]:
    return {c["id"]: c.get("props", {}).get("elem_id") or "" for c in config["components"]}


def _open(browser: Browser, sid: str, page: str) -> str:
    config = browser.config()
    fn, trigger = find_fn(config, "pr-pick", "input")
    status, output = browser.call(fn, [sid], trigger, page)
    assert status == 200 and output is not None
    return str(output.get("data", output) if isinstance(output, dict) else output)


def _submit(browser: Browser, sid: str, page: str, *, level: int | None, line: int | None) -> str:
    """Submit a review of ``sid`` (every slot at ``level``, citing ``line``); returns what came back."""
    config = browser.config()
    fn, trigger = find_fn(config, "pr-submit")
    names = _by_id(config)
    data: list[Any] = []
    for cid in inputs_of(config, fn):
        name = names[cid]
        if name == "pr-pick":
            data.append(sid)
        elif name == "pr-overall":
            data.append("Keep asking open questions; close on a date.")
        elif name.startswith("pr-level-"):
            data.append(level if name == "pr-level-0" else None)
        elif name.startswith("pr-cited-"):
            data.append([line] if line is not None and name == "pr-cited-0" else [])
        elif name.startswith("pr-note-"):
            data.append("because" if name == "pr-note-0" else "")
        else:
            data.append([])  # buyer moments
    status, output = browser.call(fn, data, trigger, page)
    assert status == 200 and output is not None
    return str(output.get("data", output) if isinstance(output, dict) else output)


def _team_call(sec: SecApp) -> tuple[User, User, User, str]:
    """A rep with a finished call, and two teammates (fresh accounts on team East)."""
    owner, _ = sec.user()
    mate, _ = sec.user()
    other, _ = sec.user()
    return owner, mate, other, finished_call(sec.services, owner)


def _rep_line(sec: SecApp, sid: str) -> int:
    return next(t["index"] for t in sec.services.practice.store.get_turns(sid) if t["speaker"] == "rep")


def test_a_shared_call_opens_for_the_teammate_it_was_shared_with_only(sec: SecApp) -> None:
    owner, mate, other, sid = _team_call(sec)
    sec.services.peer_review.share_with(owner, sid, mate.id)
    # the teammate it was shared with opens it
    shared = sec.client("198.51.100.161").signed_in(mate.username, PASSWORD)
    assert REFUSED not in _open(shared, sid, uuid.uuid4().hex[:10])
    # a teammate it was not shared with gets the 'no such call' answer, for reading and for scoring
    stranger = sec.client("198.51.100.162").signed_in(other.username, PASSWORD)
    page = uuid.uuid4().hex[:10]
    opened = _open(stranger, sid, page)
    assert REFUSED in opened and "turn 1" not in opened
    assert REFUSED in _submit(stranger, sid, page, level=None, line=None)
    assert sec.services.peer_review.shared_with_me(other) == []
    assert all(r.reviewer_id != other.id for r in sec.services.peer_review._store.reviews_of(sid, submitted_only=False))


def test_another_teams_manager_cannot_open_a_shared_call(sec: SecApp) -> None:
    owner, mate, _, sid = _team_call(sec)
    sec.services.peer_review.share_with(owner, sid, mate.id)
    sec.services.peer_review.open_to_team(sec.org.manager, sid, sec.org.team_id)
    otto = sec.client("198.51.100.163").signed_in("otto", PASSWORD)  # manages West
    page = uuid.uuid4().hex[:10]
    assert REFUSED in _open(otto, sid, page)
    assert REFUSED in _submit(otto, sid, page, level=None, line=None)
    # while the rep's own manager may open it
    mia = sec.client("198.51.100.164").signed_in("mia", PASSWORD)
    assert REFUSED not in _open(mia, sid, uuid.uuid4().hex[:10])


def test_unsharing_revokes_access_even_for_an_open_page(sec: SecApp) -> None:
    owner, mate, _, sid = _team_call(sec)
    share = sec.services.peer_review.share_with(owner, sid, mate.id)
    browser = sec.client("198.51.100.165").signed_in(mate.username, PASSWORD)
    page = uuid.uuid4().hex[:10]
    assert REFUSED not in _open(browser, sid, page)  # the page now offers the levels and lines
    sec.services.peer_review.unshare(owner, share.id)
    # the same page, with the form still filled in: refused by the service
    assert REFUSED in _submit(browser, sid, page, level=4, line=_rep_line(sec, sid))
    assert sec.services.peer_review._store.get_review(sid, mate.id) is None
    assert REFUSED in _open(browser, sid, uuid.uuid4().hex[:10])


def test_the_harness_works_a_shared_teammate_submits_over_http(sec: SecApp) -> None:
    owner, mate, _, sid = _team_call(sec)
    sec.services.peer_review.share_with(owner, sid, mate.id)
    browser = sec.client("198.51.100.166").signed_in(mate.username, PASSWORD)
    page = uuid.uuid4().hex[:10]
    _open(browser, sid, page)
    answer = _submit(browser, sid, page, level=4, line=_rep_line(sec, sid))
    assert "Before submitting" in answer  # one competency scored of several: told what is missing
    review = sec.services.peer_review._store.get_review(sid, mate.id)
    assert review is None  # nothing stored by a refused submit
