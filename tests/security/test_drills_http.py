"""The Drill studio over HTTP (issue 15, item 5): drafts and another team's published drills are
refused by the server, asked through the Gradio API exactly as the studio and Practice tabs ask.

The studio's handlers take the drill id from a hidden field the client sends, so whatever id is typed
in, only the service's permission check decides; a positive control (the team's own manager) shows the
same call succeeds for the right person."""

from __future__ import annotations

import io
import uuid
import zipfile
from typing import Any

from security_support import Browser, SecApp, find_fn, inputs_of
from webtest_support import PASSWORD

from simulator.store.drills import DraftRecord, library_id
from simulator.web.drill_form import FIELDS, to_form

REFUSED = "There is no drill"
NOT_MANAGER = "manager or admin role"


def _names(config: dict[str, Any]) -> dict[int, str]:
    return {c["id"]: c.get("props", {}).get("elem_id") or "" for c in config["components"]}


def _form_data(config: dict[str, Any], fn: int, drill_id: str, draft: DraftRecord) -> list[Any]:
    """The inputs of a Save/Check/Publish click: the drill id, the preview level and every field."""
    values = dict(zip((f.key for f in FIELDS), to_form(draft.persona, draft.scenario), strict=True))
    by_elem = {"studio-" + f.key.replace(".", "-").replace("_", "-"): f for f in FIELDS}
    data: list[Any] = []
    for cid in inputs_of(config, fn):
        name = _names(config)[cid]
        if name == "studio-drill-id":
            data.append(drill_id)
        elif name == "studio-preview-level":
            data.append("medium")
        else:
            f = by_elem[name]
            value = values[f.key]
            data.append({"headers": list(f.columns), "data": value, "metadata": None} if f.kind == "table" else value)
    return data


def _click(browser: Browser, elem: str, draft: DraftRecord, drill_id: str | None = None,
           version: str | None = None) -> str:
    config = browser.config()
    page = uuid.uuid4().hex[:10]
    fn, trigger = find_fn(config, elem)
    if elem in ("studio-export", "studio-rollback"):
        data: list[Any] = [drill_id or draft.id, version]
    else:
        data = _form_data(config, fn, drill_id or draft.id, draft)
    status, output = browser.call(fn, data, trigger, page)
    assert status == 200 and output is not None
    return str(output)


def _draft(sec: SecApp) -> DraftRecord:
    return sec.services.drills.clone(sec.org.manager, sec.org.team_id, "library:healthcare-discovery-it")


def test_a_teams_draft_is_refused_to_reps_and_other_teams_managers(sec: SecApp) -> None:
    draft = _draft(sec)
    rep = sec.client("198.51.100.121").signed_in("rita", PASSWORD)  # a rep of the same team
    otto = sec.client("198.51.100.122").signed_in("otto", PASSWORD)  # the other team's manager
    for browser, why in ((rep, NOT_MANAGER), (otto, REFUSED)):
        for elem in ("studio-export", "studio-rollback", "studio-check", "studio-publish", "studio-save"):
            out = _click(browser, elem, draft, version="1")
            assert why in out, (elem, out)
            assert "/exports/" not in out and "Published" not in out
    assert sec.services.drills.versions(sec.org.manager, draft.id) == []
    assert sec.services.drills.get(sec.org.manager, draft.id).checked_at is None  # no check ran for them
    # the same calls for the team's manager (positive control)
    mia = sec.client("198.51.100.123").signed_in("mia", PASSWORD)
    link = _click(mia, "studio-export", draft)
    export_id = link.split("/exports/", 1)[1].split(")", 1)[0]
    assert rep.http.get(f"/exports/{export_id}").status_code == 404  # the link is the manager's alone
    got = mia.http.get(f"/exports/{export_id}")
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(got.content)) as zf:
        assert sorted(zf.namelist()) == [f"personas/{draft.persona['id']}.yaml",
                                         f"scenarios/{draft.scenario['id']}.yaml"]
    assert "Check passed" in _click(mia, "studio-check", draft)
    assert "Published **version 1**" in _click(mia, "studio-publish", draft)


def test_the_studio_tab_does_not_load_for_a_rep(sec: SecApp) -> None:
    rep = sec.client("198.51.100.124").signed_in("rita", PASSWORD)
    config = rep.config()
    load, tab = find_fn(config, "studio", "select", tab=True)
    status, output = rep.call(load, [None], tab)
    assert status == 200 and NOT_MANAGER in str(output)


def test_another_teams_published_drill_cannot_be_started(sec: SecApp) -> None:
    services = sec.services
    draft = _draft(sec)
    assert services.drills.check(sec.org.manager, draft.id).passed
    drill = library_id(draft.id, services.drills.publish(sec.org.manager, draft.id).version)
    config = sec.client("198.51.100.125").signed_in("olga", PASSWORD).config()
    load = find_fn(config, "practice", "select", tab=True)
    start, trigger = find_fn(config, "start")

    def practise(browser: Browser, page: str) -> str:
        status, output = browser.call(start, [drill, None, "medium"], trigger, page)
        assert status == 200
        return str(output)

    # a rep of the other team: not in her list, and not startable
    olga = sec.client("198.51.100.125").signed_in("olga", PASSWORD)
    page = uuid.uuid4().hex[:10]
    assert olga.call(load[0], [None], load[1], page)[0] == 200  # her drill list: the library only
    before = len(services.practice.list(user_id=sec.org.outsider.id))
    assert "Your turn" not in practise(olga, page)
    assert len(services.practice.list(user_id=sec.org.outsider.id)) == before
    # a rep who left the team while her page still lists the drill: the server refuses the start
    leaver, password = sec.user()
    browser = sec.client("198.51.100.126").signed_in(leaver.username, password)
    page = uuid.uuid4().hex[:10]
    assert browser.call(load[0], [None], load[1], page)[0] == 200
    services.teams.remove_member(sec.org.admin, sec.org.team_id, leaver.id)
    out = practise(browser, page)
    assert f"unknown scenario id {drill!r}" in out and "Your turn" not in out, out
    assert services.practice.list(user_id=leaver.id) == []
    # a rep of the team can (positive control)
    rita = sec.client("198.51.100.127").signed_in("rita", PASSWORD)
    page = uuid.uuid4().hex[:10]
    assert rita.call(load[0], [None], load[1], page)[0] == 200
    assert "Your turn" in practise(rita, page)
