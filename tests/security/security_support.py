"""Helpers for the security suite: the live app, a cookie-keeping HTTP client, Gradio API calls."""

from __future__ import annotations

import itertools
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from webtest_support import PASSWORD, Clock, Org

from simulator.config import Settings
from simulator.services.access import User
from simulator.services.app_services import AppServices
from simulator.web.server import WebApp

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class SecApp:
    url: str
    services: AppServices
    org: Org
    clock: Clock
    web: WebApp
    settings: Settings
    first_admin_password: str
    counter: itertools.count[int]

    def user(self, role: str = "rep", *, password: str | None = PASSWORD, team: bool = True) -> tuple[User, str]:
        """A fresh account (unique name); returns it and its password (a one-time one if None)."""
        name = f"u{next(self.counter)}-{uuid.uuid4().hex[:6]}"
        user, otp = self.services.accounts.create_user(name, role=role, password=password)
        if team:
            self.services.teams.add_member(self.org.admin, self.org.team_id, user.id, manager=role != "rep")
        return user, password or str(otp)

    def client(self, ip: str | None = None, *, origin: str | None = "self") -> Browser:
        return Browser(self, ip=ip, origin=origin)


class Browser:
    """An HTTP client that behaves like the app's own pages: same Origin, cookies kept."""

    def __init__(self, app: SecApp, *, ip: str | None, origin: str | None) -> None:
        headers = {"user-agent": "security-suite"}
        if origin == "self":
            headers["origin"] = app.url
        elif origin:
            headers["origin"] = origin
        if ip:
            headers["x-forwarded-for"] = ip
        self.app = app
        self.http = httpx.Client(base_url=app.url, headers=headers, follow_redirects=False, timeout=60)

    def close(self) -> None:
        self.http.close()

    def login_form(self) -> str:
        response = self.http.get("/login")
        assert response.status_code == 200, response.text
        match = CSRF.search(response.text)
        assert match
        return match.group(1)

    def sign_in(self, username: str, password: str) -> httpx.Response:
        csrf = self.login_form()
        return self.http.post("/login", data={"username": username, "password": password, "csrf": csrf})

    def signed_in(self, username: str, password: str) -> Browser:
        response = self.sign_in(username, password)
        assert response.status_code == 303, response.text
        return self

    def form_token(self, path: str = "/account/password") -> str:
        match = CSRF.search(self.http.get(path).text)
        assert match, path
        return match.group(1)

    def change_password(self, current: str, new: str) -> httpx.Response:
        token = self.form_token()
        return self.http.post(
            "/account/password", data={"csrf": token, "current": current, "new": new, "confirm": new}
        )

    def is_signed_in(self) -> bool:
        response = self.http.get("/config")
        assert response.status_code in (200, 401, 403), response.status_code
        return response.status_code == 200

    # ------------------------------------------------------------------ the Gradio API, as its UI calls it

    def config(self) -> dict[str, Any]:
        response = self.http.get("/config")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def call(
        self, fn_index: int, data: list[Any], trigger_id: int | None = None, session_hash: str | None = None
    ) -> tuple[int, Any]:
        """Join the queue for ``fn_index`` and read its result: (HTTP status of the join, output or None).

        Calls sharing a ``session_hash`` share a page's state (e.g. dropdown choices a tab filled).
        """
        session_hash = session_hash or uuid.uuid4().hex[:10]
        body = {"data": data, "fn_index": fn_index, "trigger_id": trigger_id, "session_hash": session_hash,
                "event_data": None}
        joined = self.http.post("/gradio_api/queue/join", json=body)
        if joined.status_code != 200:
            return joined.status_code, None
        output: Any = None
        with self.http.stream("GET", f"/gradio_api/queue/data?session_hash={session_hash}") as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    output = message.get("output")
                    break
        return joined.status_code, output


def find_fn(config: dict[str, Any], elem_id: str, trigger: str = "click", *, tab: bool = False) -> tuple[int, int]:
    """(fn_index, trigger component id) of the event ``trigger`` on the component with ``elem_id``
    (with ``tab``: on the tab whose id is ``elem_id``)."""
    key = "id" if tab else "elem_id"
    ids = {c["id"] for c in config["components"] if c.get("props", {}).get(key) == elem_id}
    for index, dep in enumerate(config["dependencies"]):
        for target, event in dep.get("targets", []):
            if target in ids and event == trigger:
                return int(dep.get("id", index)), int(target)
    raise AssertionError(f"no {trigger} event on #{elem_id}")


def inputs_of(config: dict[str, Any], fn_index: int) -> list[int]:
    dep = next(d for i, d in enumerate(config["dependencies"]) if d.get("id", i) == fn_index)
    return list(dep["inputs"])
