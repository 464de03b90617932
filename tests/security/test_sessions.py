"""Item 4: sessions end on password change, admin reset, disable and role change; idle and absolute
expiry; sign out (everywhere). Tokens are stored hashed."""

from __future__ import annotations

from security_support import Browser, SecApp
from sqlalchemy import select
from webtest_support import PASSWORD

from simulator.services.access import User
from simulator.store.schema import auth_sessions
from simulator.web.security import COOKIE


def _two_browsers(sec: SecApp, role: str = "rep") -> tuple[User, Browser, Browser]:
    user, _ = sec.user(role)
    first = sec.client("198.51.100.41").signed_in(user.username, PASSWORD)
    second = sec.client("198.51.100.42").signed_in(user.username, PASSWORD)
    assert first.is_signed_in() and second.is_signed_in()
    return user, first, second


def test_a_password_change_ends_every_other_session(sec: SecApp) -> None:
    user, first, second = _two_browsers(sec)
    assert first.change_password(PASSWORD, "orange whistle granite pond").status_code == 303
    assert not second.is_signed_in()
    assert first.is_signed_in()  # this browser got a fresh session
    assert sec.services.accounts.web_sessions.count(user.id) == 1


def test_an_admin_reset_ends_every_session(sec: SecApp) -> None:
    user, first, second = _two_browsers(sec)
    sec.services.accounts.reset_password(sec.org.admin, user.username)
    for browser in (first, second):  # not even the password page (open to one-time passwords) is theirs
        response = browser.http.get("/account/password", headers={"accept": "text/html"})
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert sec.services.accounts.web_sessions.count(user.id) == 0


def test_disable_ends_every_session_and_re_enabling_does_not_revive_them(sec: SecApp) -> None:
    user, first, second = _two_browsers(sec)
    sec.services.accounts.set_disabled(sec.org.admin, user.id, True)
    sec.services.accounts.set_disabled(sec.org.admin, user.id, False)
    assert not first.is_signed_in() and not second.is_signed_in()


def test_a_role_change_ends_every_session(sec: SecApp) -> None:
    user, first, _ = _two_browsers(sec, "manager")
    sec.services.accounts.set_role(sec.org.admin, user.id, "rep")
    assert not first.is_signed_in()


def test_idle_sessions_end(sec: SecApp) -> None:
    idle = sec.services.accounts.web_sessions.idle_s
    assert idle == sec.settings.session_idle_s
    _, first, second = _two_browsers(sec)
    for _ in range(3):  # activity keeps a session alive past the idle limit in total
        sec.clock.advance(idle * 0.6)
        assert first.is_signed_in()
    assert not second.is_signed_in()


def test_sessions_end_at_the_absolute_limit_however_active(sec: SecApp) -> None:
    absolute, idle = sec.services.accounts.web_sessions.absolute_s, sec.services.accounts.web_sessions.idle_s
    _, first, _ = _two_browsers(sec)
    elapsed = 0.0
    while elapsed + idle * 0.5 < absolute:
        sec.clock.advance(idle * 0.5)
        elapsed += idle * 0.5
        assert first.is_signed_in()
    sec.clock.advance(absolute - elapsed + 1)
    assert not first.is_signed_in()


def test_sign_out_and_sign_out_everywhere(sec: SecApp) -> None:
    user, first, second = _two_browsers(sec)
    third = sec.client("198.51.100.44").signed_in(user.username, PASSWORD)
    # this browser only
    token = first.form_token("/logout")
    assert first.http.post("/logout", data={"csrf": token}).status_code == 303
    assert not first.is_signed_in() and second.is_signed_in()
    # everywhere
    token = second.form_token("/logout?everywhere=1")
    response = second.http.post("/logout", data={"csrf": token, "everywhere": "1"})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert not second.is_signed_in() and not third.is_signed_in()


def test_sign_out_needs_the_form_token(sec: SecApp) -> None:
    _, first, _ = _two_browsers(sec)
    assert first.http.post("/logout", data={"csrf": "forged", "everywhere": "1"}).status_code == 403
    assert first.is_signed_in()


def test_the_store_keeps_only_a_hash_of_each_token(sec: SecApp) -> None:
    user, first, _ = _two_browsers(sec)
    token = first.http.cookies.get(COOKIE)
    assert token
    with sec.services.practice.store.engine.connect() as conn:
        ids = list(conn.execute(select(auth_sessions.c.id).where(auth_sessions.c.user_id == user.id)).scalars())
    assert len(ids) == 2 and token not in ids and all(len(i) == 64 for i in ids)
