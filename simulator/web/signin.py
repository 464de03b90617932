"""Sign-in, sign-out, password change and private downloads: plain HTML forms, no JavaScript.

Routes (added to the FastAPI app in front of the Gradio UI, see :mod:`simulator.web.server`):

- ``GET/POST /login``: the sign-in form. CSRF: a random token in a cookie and in the form must
  match, and the POST must come from this origin (:mod:`simulator.web.security`). The password is
  checked off the event loop in a pool of ``signin_workers`` threads (argon2 is CPU-bound; at
  most that many run at once and the rest wait their turn). A success starts a session: a random
  token in an HttpOnly, SameSite=Lax cookie (``__Host-`` prefixed and Secure over HTTPS).
- ``GET/POST /logout``: sign out of this browser, or everywhere (every session of the account).
- ``GET/POST /account/password``: choose a new password. Users with a one-time password can
  reach nothing else. A change ends every session of the account and starts a new one here.
- ``GET /exports/{id}``: a CSV export (or a drill's YAML zip), to its creator only, once (then it is deleted).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import logging
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simulator.errors import SparringError
from simulator.services.accounts import SignInResult
from simulator.services.app_services import AppServices
from simulator.services.passwords import MIN_LENGTH
from simulator.services.web_sessions import WebSession
from simulator.web.security import (
    COOKIE,
    CSRF_COOKIE,
    SCOPE_HTTPS,
    SCOPE_IP,
    SCOPE_SESSION,
    SCOPE_TOKEN,
    SECURE_COOKIE,
    SECURE_CSRF_COOKIE,
    read_cookie,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_WAITING = 512
"""Sign-ins queued for a hashing thread beyond this are answered 503 at once (retry shortly)."""


class HashingPool:
    """Runs password checks off the event loop, at most ``workers`` at a time, the rest queued."""

    def __init__(self, workers: int, max_waiting: int = MAX_WAITING) -> None:
        self.workers = max(1, workers)
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="sparring-signin")
        self._waiting = 0
        self.max_waiting = max_waiting

    @property
    def full(self) -> bool:
        return self._waiting >= self.max_waiting

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        self._waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, lambda: fn(*args))
        finally:
            self._waiting -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


# ----------------------------------------------------------------------------------- helpers


def session_csrf(token: str) -> str:
    """The form token of a signed-in browser: derived from its secret session token."""
    return hmac.new(token.encode(), b"sparring-csrf", hashlib.sha256).hexdigest()


def _https(request: Request) -> bool:
    return bool(request.scope.get(SCOPE_HTTPS))


def _ip(request: Request) -> str:
    return str(request.scope.get(SCOPE_IP) or "")


def _session(request: Request) -> WebSession | None:
    session = request.scope.get(SCOPE_SESSION)
    return session if isinstance(session, WebSession) else None


def set_session_cookie(response: Response, request: Request, token: str, max_age: float) -> None:
    """HttpOnly, SameSite=Lax, Path=/; Secure with the ``__Host-`` prefix over HTTPS."""
    https = _https(request)
    response.set_cookie(
        SECURE_COOKIE if https else COOKIE,
        token,
        max_age=int(max_age),
        path="/",
        httponly=True,
        samesite="lax",
        secure=https,
    )


def clear_session_cookie(response: Response) -> None:
    for name in (COOKIE, SECURE_COOKIE):
        response.delete_cookie(name, path="/", secure=name.startswith("__Host-"), httponly=True, samesite="lax")


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never //other.host or a scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Sparring</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #f6f7f9; color: #1f2937; margin: 0; }}
main {{ max-width: 26rem; margin: 8vh auto; background: #fff; padding: 2rem; border-radius: 12px;
        box-shadow: 0 1px 4px rgba(0,0,0,.08); }}
h1 {{ font-size: 1.4rem; margin-top: 0; }}
label {{ display: block; margin: 1rem 0 .3rem; font-weight: 600; }}
input[type=text], input[type=password] {{ width: 100%; box-sizing: border-box; padding: .6rem; font-size: 1rem;
        border: 1px solid #cbd5e1; border-radius: 6px; }}
button {{ margin-top: 1.2rem; padding: .6rem 1.2rem; font-size: 1rem; border: 0; border-radius: 6px;
        background: #ea580c; color: #fff; cursor: pointer; }}
button.secondary {{ background: #e2e8f0; color: #1f2937; }}
.error {{ background: #fef2f2; color: #991b1b; padding: .7rem; border-radius: 6px; }}
.note {{ background: #fffbeb; padding: .7rem; border-radius: 6px; }}
.ok {{ background: #f0fdf4; color: #166534; padding: .7rem; border-radius: 6px; }}
small {{ color: #64748b; }}
</style></head>
<body><main><h1>{title}</h1>{body}</main></body></html>"""


def page(title: str, body: str, *, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=html.escape(title), body=body), status_code=status, headers=headers)


def _message(kind: str, text: str) -> str:
    return f'<p class="{kind}" role="{"alert" if kind == "error" else "status"}" id="{kind}">{html.escape(text)}</p>'


def login_form(csrf: str, *, next_path: str = "/", error: str = "", note: str = "", username: str = "") -> str:
    return (
        (_message("error", error) if error else "")
        + (_message("note", note) if note else "")
        + f"""<form method="post" action="/login?next={quote(next_path, safe='/')}">
<input type="hidden" name="csrf" value="{html.escape(csrf)}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" required
 value="{html.escape(username)}" autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" id="sign-in">Sign in</button>
</form>
<p><small>First start? The one-time admin password is printed in the console and saved in the data folder
(docs/web.md). Forgot your password? Ask an admin to reset it.</small></p>"""
    )


def password_form(csrf: str, *, forced: bool, error: str = "") -> str:
    intro = (
        _message("note", "You signed in with a one-time password. Choose your own password to continue.")
        if forced
        else ""
    )
    return (
        intro
        + (_message("error", error) if error else "")
        + f"""<form method="post" action="/account/password">
<input type="hidden" name="csrf" value="{html.escape(csrf)}">
<label for="current">Current password</label>
<input type="password" id="current" name="current" autocomplete="current-password" required>
<label for="new">New password</label>
<input type="password" id="new" name="new" autocomplete="new-password" required minlength="{MIN_LENGTH}">
<label for="confirm">New password again</label>
<input type="password" id="confirm" name="confirm" autocomplete="new-password" required>
<p><small>At least {MIN_LENGTH} characters, not a common password and not containing your username. A passphrase
of three or four unrelated words is strong and easy to remember. Changing it signs you out everywhere else.</small></p>
<button type="submit" id="change">Change password</button>
</form>
<form method="post" action="/logout"><input type="hidden" name="csrf" value="{html.escape(csrf)}">
<button type="submit" class="secondary" id="sign-out">Sign out</button></form>"""
    )


def logout_form(csrf: str, sessions: int) -> str:
    return f"""<p>You are signed in on {sessions} browser{'s' if sessions != 1 else ''}.</p>
<form method="post" action="/logout"><input type="hidden" name="csrf" value="{html.escape(csrf)}">
<button type="submit" id="sign-out">Sign out of this browser</button></form>
<form method="post" action="/logout"><input type="hidden" name="csrf" value="{html.escape(csrf)}">
<input type="hidden" name="everywhere" value="1">
<button type="submit" class="secondary" id="sign-out-everywhere">Sign out everywhere</button></form>
<p><a href="/">Back to Sparring</a></p>"""


# ------------------------------------------------------------------------------------ routes


def add_signin_routes(app: FastAPI, services: AppServices, pool: HashingPool, data_dir: Path | None) -> None:
    """Add the sign-in, sign-out, password and export routes to ``app``."""
    accounts = services.accounts

    def login_page(request: Request, *, status: int = 200, error: str = "", note: str = "", username: str = "",
                   headers: dict[str, str] | None = None) -> HTMLResponse:
        csrf = read_cookie(request.scope, SECURE_CSRF_COOKIE, CSRF_COOKIE) or secrets.token_urlsafe(24)
        next_path = _safe_next(request.query_params.get("next"))
        response = page("Sign in to Sparring", login_form(csrf, next_path=next_path, error=error, note=note,
                                                          username=username), status=status, headers=headers)
        https = _https(request)
        response.set_cookie(SECURE_CSRF_COOKIE if https else CSRF_COOKIE, csrf, max_age=3600, path="/",
                            httponly=True, samesite="lax", secure=https)
        return response

    @app.get("/login", include_in_schema=False)
    async def get_login(request: Request) -> Response:
        if _session(request) is not None:
            return RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
        return login_page(request)

    @app.post("/login", include_in_schema=False)
    async def post_login(request: Request) -> Response:
        form = await request.form()
        username = str(form.get("username") or "")[:128]
        password = str(form.get("password") or "")
        cookie = read_cookie(request.scope, SECURE_CSRF_COOKIE, CSRF_COOKIE) or ""
        if not cookie or not hmac.compare_digest(cookie, str(form.get("csrf") or "")):
            return login_page(request, status=403, username=username,
                              error="The sign-in form expired or did not come from this page. Please try again.")
        if pool.full:
            return login_page(request, status=503, username=username, headers={"Retry-After": "2"},
                              error="Many people are signing in right now; please try again in a moment.")
        ip = _ip(request)
        result: SignInResult = await pool.run(lambda: accounts.check_credentials(username, password, ip=ip))
        if result.status == "throttled":
            wait = max(1, int(result.throttle.wait_s + 0.999))
            return login_page(request, status=429, username=username, headers={"Retry-After": str(wait)},
                              error=f"Too many wrong passwords. Wait {wait} s, then try again.")
        if result.status == "expired":
            return login_page(request, status=403, username=username,
                              error="This one-time password has expired. Ask an admin for a new one "
                              "(`sparring user reset-password NAME`).")
        if not result.ok or result.user is None:
            await asyncio.sleep(accounts.guard.pause(result.throttle.failures))
            log.info("sign-in refused for %r from %s", username[:64], ip)
            return login_page(request, status=401, username=username, error="Incorrect username or password.")
        token = await asyncio.to_thread(
            accounts.web_sessions.create, result.user.id, ip=ip, user_agent=request.headers.get("user-agent", "")
        )
        target = "/account/password" if result.must_change_password else _safe_next(request.query_params.get("next"))
        response = RedirectResponse(target, status_code=303)
        set_session_cookie(response, request, token, accounts.web_sessions.absolute_s)
        for name in (CSRF_COOKIE, SECURE_CSRF_COOKIE):
            response.delete_cookie(name, path="/")
        return response

    @app.get("/logout", include_in_schema=False)
    async def get_logout(request: Request) -> Response:
        session, token = _session(request), request.scope.get(SCOPE_TOKEN)
        if session is None or not token:
            return RedirectResponse("/login", status_code=303)
        fetch_site = request.headers.get("sec-fetch-site", "")
        if fetch_site in ("same-origin", "none") and not request.query_params.get("everywhere"):
            await asyncio.to_thread(accounts.web_sessions.revoke, token)  # a click on Sparring's own button
            response: Response = RedirectResponse("/login", status_code=303)
            clear_session_cookie(response)
            return response
        count = await asyncio.to_thread(accounts.web_sessions.count, session.user.id)
        return page("Sign out", logout_form(session_csrf(token), count))

    @app.post("/logout", include_in_schema=False)
    async def post_logout(request: Request) -> Response:
        session, token = _session(request), request.scope.get(SCOPE_TOKEN)
        if session is None or not token:
            return RedirectResponse("/login", status_code=303)
        form = await request.form()
        if not hmac.compare_digest(session_csrf(token), str(form.get("csrf") or "")):
            return page("Sign out", _message("error", "The form expired; please try again."), status=403)
        if form.get("everywhere"):
            await asyncio.to_thread(accounts.web_sessions.revoke_user, session.user.id)
        else:
            await asyncio.to_thread(accounts.web_sessions.revoke, token)
        response = RedirectResponse("/login", status_code=303)
        clear_session_cookie(response)
        return response

    @app.get("/account/password", include_in_schema=False)
    async def get_password(request: Request) -> Response:
        session, token = _session(request), request.scope.get(SCOPE_TOKEN)
        assert session is not None and token  # the middleware let only signed-in users through
        forced = await asyncio.to_thread(accounts.must_change_password, session.user.id)
        return page("Choose your password" if forced else "Change your password",
                    password_form(session_csrf(token), forced=forced))

    @app.post("/account/password", include_in_schema=False)
    async def post_password(request: Request) -> Response:
        session, token = _session(request), request.scope.get(SCOPE_TOKEN)
        assert session is not None and token
        form = await request.form()
        forced = await asyncio.to_thread(accounts.must_change_password, session.user.id)

        def again(error: str, status: int) -> Response:
            return page("Choose your password" if forced else "Change your password",
                        password_form(session_csrf(token), forced=forced, error=error), status=status)

        if not hmac.compare_digest(session_csrf(token), str(form.get("csrf") or "")):
            return again("The form expired; please try again.", 403)
        current, new, confirm = (str(form.get(k) or "") for k in ("current", "new", "confirm"))
        if new != confirm:
            return again("The new password and its confirmation differ.", 400)
        try:
            await pool.run(lambda: accounts.change_password(session.user, current, new, data_dir=data_dir))
        except SparringError as exc:
            return again(str(exc), 400)
        new_token = await asyncio.to_thread(
            accounts.web_sessions.create, session.user.id, ip=_ip(request),
            user_agent=request.headers.get("user-agent", ""),
        )
        response = RedirectResponse("/", status_code=303)
        set_session_cookie(response, request, new_token, accounts.web_sessions.absolute_s)
        return response

    @app.get("/exports/{export_id}", include_in_schema=False)
    async def get_export(export_id: str, request: Request) -> Response:
        session = _session(request)
        assert session is not None
        download = await asyncio.to_thread(services.exports.take, session.user, export_id)
        if download is None:
            return page("Export not found", _message(
                "error", "This export does not exist, was already downloaded, has expired, or is not yours. "
                "Export it again from the Team tab."), status=404)
        return Response(
            download.content,
            media_type="application/zip" if download.filename.endswith(".zip") else "text/csv; charset=utf-8",
            headers={  # a zip: a drill exported from the Drill studio
                "Content-Disposition": f'attachment; filename="{download.filename}"',
                "Cache-Control": "no-store",
            },
        )
