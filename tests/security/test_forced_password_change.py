"""Item 1: a user holding a one-time password can call nothing but the password change, on any
route; one-time passwords expire."""

from __future__ import annotations

import re

import pytest
from security_support import SecApp, find_fn, inputs_of
from starlette.routing import Mount, Route

from simulator.errors import PermissionDeniedError
from simulator.web.auth import current_user

ALLOWED = {"/account/password", "/logout", "/login", "/favicon.ico"}


def _every_route(sec: SecApp) -> list[tuple[str, str]]:
    """(method, path) of every route of the served app, Gradio's included, path parameters filled."""
    out: list[tuple[str, str]] = []

    def walk(routes: list, prefix: str) -> None:
        for route in routes:
            if isinstance(route, Mount):
                walk(list(route.routes), prefix + route.path)
            elif hasattr(route, "original_router"):  # FastAPI's included router (Gradio's /gradio_api)
                walk(list(route.original_router.routes), prefix)
            elif isinstance(route, Route) or hasattr(route, "methods"):
                path = prefix + re.sub(r"\{[^}]+\}", "x", route.path)
                for method in sorted(getattr(route, "methods", None) or {"GET"}):
                    if method != "HEAD":
                        out.append((method, path or "/"))

    walk(list(sec.web.fastapi.routes), "")
    return out


def test_a_one_time_password_opens_only_the_password_page_on_every_route(sec: SecApp) -> None:
    user, otp = sec.user("admin", password=None)
    browser = sec.client("198.51.100.21")
    signed = browser.sign_in(user.username, otp)
    assert signed.status_code == 303 and signed.headers["location"] == "/account/password"
    routes = _every_route(sec)
    assert len(routes) > 30 and ("POST", "/gradio_api/queue/join") in routes
    opened = []
    for method, path in routes:
        if path in ALLOWED:
            continue
        request = browser.http.build_request(method, path, json={"data": [], "fn_index": 0, "session_hash": "x"})
        response = browser.http.send(request, stream=True)  # status only: some routes stream forever
        response.close()
        if response.status_code < 400 and not (response.status_code == 303 and
                                               response.headers.get("location") == "/account/password"):
            opened.append((method, path, response.status_code))
    assert opened == []
    page = browser.http.get("/", headers={"accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"] == "/account/password"
    assert browser.http.get("/account/password").status_code == 200


def test_an_admin_on_a_one_time_password_cannot_create_an_admin_through_the_api(sec: SecApp) -> None:
    real_admin = sec.client("198.51.100.22").signed_in("boss", "correct horse battery")
    config = real_admin.config()
    fn, trigger = find_fn(config, "new-user")
    assert len(inputs_of(config, fn)) == 6
    # the harness works: a real admin creates a user through the same call
    status, output = real_admin.call(fn, ["made-by-boss", "", "admin", None, False, None], trigger)
    assert status == 200 and output and "Created" in str(output["data"][0])
    assert sec.services.accounts.by_username("made-by-boss") is not None

    user, otp = sec.user("admin", password=None)
    browser = sec.client("198.51.100.23").signed_in(user.username, otp)
    status, _ = browser.call(fn, ["made-by-otp", "", "admin", None, False, None], trigger)
    assert status == 403
    assert sec.services.accounts.by_username("made-by-otp") is None


def test_a_rep_on_a_one_time_password_cannot_practise(sec: SecApp) -> None:
    user, otp = sec.user("rep", password=None)
    browser = sec.client("198.51.100.24").signed_in(user.username, otp)
    status, _ = browser.call(0, [], None)
    assert status == 403
    assert browser.http.post("/gradio_api/upload", files={"files": ("a.wav", b"RIFF")}).status_code == 403
    assert sec.services.practice.list(user_id=user.id) == []


def test_after_the_change_everything_opens_and_the_one_time_password_is_dead(sec: SecApp) -> None:
    user, otp = sec.user("rep", password=None)
    browser = sec.client("198.51.100.25").signed_in(user.username, otp)
    changed = browser.change_password(otp, "plum orbit canyon lantern")
    assert changed.status_code == 303 and changed.headers["location"] == "/"
    assert browser.is_signed_in()
    assert sec.client("198.51.100.25").sign_in(user.username, otp).status_code == 401


def test_one_time_passwords_expire(sec: SecApp) -> None:
    ttl = sec.services.accounts.policy.otp_ttl_s
    assert ttl == sec.settings.otp_ttl_s == 24 * 3600
    user, otp = sec.user("rep", password=None)
    sec.clock.advance(ttl - 60)
    assert sec.client("198.51.100.26").sign_in(user.username, otp).status_code == 303  # still valid
    late, _ = sec.user("rep", password=None)
    reset_otp = sec.services.accounts.reset_password(None, late.username)
    sec.clock.advance(ttl + 1)
    refused = sec.client("198.51.100.27").sign_in(late.username, reset_otp)
    assert refused.status_code == 403 and "expired" in refused.text
    # an admin's reset issues a fresh one
    fresh = sec.services.accounts.reset_password(None, late.username)
    assert sec.client("198.51.100.27").sign_in(late.username, fresh).status_code == 303


def test_handlers_refuse_a_one_time_password_too(sec: SecApp) -> None:
    """Defence in depth: even a request that got past the front door is refused by the handler."""
    user, _ = sec.user("admin", password=None)

    class Request:
        username = user.username

    with pytest.raises(PermissionDeniedError, match="password"):
        current_user(sec.services, Request())
