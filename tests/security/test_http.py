"""Item 5: security headers (a CSP with per-response nonces), CSRF on sign-in and every
state-changing route, cookie attributes."""

from __future__ import annotations

import re

from security_support import SecApp, find_fn
from webtest_support import PASSWORD

from simulator.web.security import COOKIE, SECURE_COOKIE

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}


def _check_headers(response: object) -> str:
    headers = response.headers  # type: ignore[attr-defined]
    for name, value in HEADERS.items():
        assert headers.get(name) == value, name
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "object-src 'none'" in csp
    assert "'unsafe-eval'" not in csp and "script-src 'self' 'nonce-" in csp
    assert "microphone=(self)" in headers["permissions-policy"]
    return str(csp)


def test_every_kind_of_response_carries_the_security_headers(sec: SecApp) -> None:
    anonymous = sec.client("198.51.100.90")
    for response in (anonymous.http.get("/login"), anonymous.http.get("/config"),
                     anonymous.http.get("/", headers={"accept": "text/html"})):
        _check_headers(response)
    browser = sec.client("198.51.100.91").signed_in("rita", PASSWORD)
    for path in ("/config", "/gradio_api/info", "/account/password"):
        _check_headers(browser.http.get(path))
    assert "strict-transport-security" not in browser.http.get("/config").headers  # plain HTTP here


def test_every_script_of_the_app_page_carries_this_responses_nonce(sec: SecApp) -> None:
    browser = sec.client("198.51.100.92").signed_in("rita", PASSWORD)
    page = browser.http.get("/", headers={"accept": "text/html"})
    assert page.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", _check_headers(page))
    assert nonce
    scripts = re.findall(r"<script\b[^>]*>", page.text)
    assert len(scripts) >= 4 and all(f'nonce="{nonce.group(1)}"' in s for s in scripts)
    again = browser.http.get("/", headers={"accept": "text/html"})
    assert re.search(r"'nonce-([^']+)'", again.headers["content-security-policy"]).group(1) != nonce.group(1)


def test_sign_in_refuses_a_request_without_the_form_token(sec: SecApp) -> None:
    user, _ = sec.user()
    browser = sec.client("198.51.100.93")
    browser.login_form()
    forged = browser.http.post("/login", data={"username": user.username, "password": PASSWORD, "csrf": "guess"})
    assert forged.status_code == 403 and COOKIE not in forged.cookies
    fresh = sec.client("198.51.100.93")  # no form visited: no token cookie at all
    response = fresh.http.post("/login", data={"username": user.username, "password": PASSWORD, "csrf": ""})
    assert response.status_code == 403


def test_sign_in_from_another_site_is_refused(sec: SecApp) -> None:
    user, _ = sec.user()
    evil = sec.client("198.51.100.94", origin="https://evil.example")
    token = evil.login_form()
    response = evil.http.post("/login", data={"username": user.username, "password": PASSWORD, "csrf": token})
    assert response.status_code == 403 and COOKIE not in response.cookies
    no_origin = sec.client("198.51.100.94", origin=None)  # neither Origin nor Referer: refused too
    token = no_origin.login_form()
    assert no_origin.http.post(
        "/login", data={"username": user.username, "password": PASSWORD, "csrf": token}
    ).status_code == 403


def test_state_changing_api_calls_from_another_site_are_refused(sec: SecApp) -> None:
    admin = sec.client("198.51.100.95").signed_in("boss", PASSWORD)
    fn, trigger = find_fn(admin.config(), "create-team")
    admin.http.headers["origin"] = "https://evil.example"
    status, _ = admin.call(fn, ["Evil team"], trigger)
    assert status == 403
    assert "Evil team" not in {t.name for t in sec.services.teams.list_teams(sec.org.admin)}
    admin.http.headers["origin"] = sec.url
    status, _ = admin.call(fn, ["Good team"], trigger)
    assert status == 200
    assert "Good team" in {t.name for t in sec.services.teams.list_teams(sec.org.admin)}


def test_password_change_needs_the_form_token(sec: SecApp) -> None:
    user, _ = sec.user()
    browser = sec.client("198.51.100.96").signed_in(user.username, PASSWORD)
    new = "granite velvet harbour"
    forged = browser.http.post("/account/password", data={"csrf": "x", "current": PASSWORD, "new": new, "confirm": new})
    assert forged.status_code == 403
    assert sec.services.accounts.authenticate(user.username, PASSWORD) is not None


def test_session_cookies_are_httponly_lax_and_secure_over_https(sec: SecApp) -> None:
    user, _ = sec.user()
    plain = sec.client("198.51.100.97")
    response = plain.sign_in(user.username, PASSWORD)
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith(COOKIE + "="))
    attrs = cookie.lower()
    assert "httponly" in attrs and "samesite=lax" in attrs and "path=/" in attrs and "secure" not in attrs
    # behind a TLS-terminating trusted proxy: Secure, and the __Host- prefix
    https = sec.client("198.51.100.98")
    https.http.headers["x-forwarded-proto"] = "https"
    https.http.headers["origin"] = sec.url.replace("http://", "https://")
    token = https.login_form()
    https.http.cookies.set("__Host-sparring_csrf", token)  # the test talks plain HTTP to the app itself
    response = https.http.post("/login", data={"username": user.username, "password": PASSWORD, "csrf": token})
    assert response.status_code == 303
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith(SECURE_COOKIE))
    attrs = cookie.lower()
    assert "secure" in attrs and "httponly" in attrs and "samesite=lax" in attrs
    assert "max-age=31536000" in response.headers["strict-transport-security"]
    # an untrusted peer cannot claim HTTPS
    sec.web.config.trusted_proxies = ()
    spoof = sec.client(None)
    spoof.http.headers["x-forwarded-proto"] = "https"
    assert "strict-transport-security" not in spoof.http.get("/login").headers
