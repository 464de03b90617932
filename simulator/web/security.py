"""The HTTP front door: who is signed in, what they may call, CSRF checks and security headers.

:class:`SecurityMiddleware` wraps the whole web app (the sign-in routes and the mounted Gradio
UI and API) as plain ASGI, so nothing reaches a page, a Gradio handler, an upload or a file
without passing it:

- **Client IP and scheme**: the socket's peer; ``X-Forwarded-For`` / ``-Proto`` / ``-Host`` are
  believed only from a configured trusted proxy (setting ``trusted_proxies``) and stripped from
  every other request, so nothing downstream (Gradio included) can be fooled by them.
- **Session**: the session cookie is resolved against the store (idle and absolute expiry,
  disabled accounts) on every request. Only ``/login`` is open without one: other HTML requests
  are redirected to it, everything else gets 401.
- **Forced password change**: a user holding a one-time password can reach only
  ``/account/password`` and ``/logout``; every other route (pages, Gradio API, uploads, files)
  answers 403 (HTML requests are redirected to the change page).
- **CSRF**: every request that is not GET/HEAD/OPTIONS must come from the app's own origin
  (``Origin``, else ``Referer``, must match the Host or ``allowed_origins``); the forms add a token
  (``simulator.web.signin``); cookies are ``SameSite=Lax``.
- **Headers**: a Content-Security-Policy with a per-response nonce (added to every ``<script>`` of
  the HTML pages; no inline script runs without it, no ``eval``), ``frame-ancestors 'none'``,
  ``X-Frame-Options``, ``X-Content-Type-Options``, ``Referrer-Policy``, ``Permissions-Policy``,
  ``Cross-Origin-Opener-Policy``, ``Cache-Control: no-store`` on pages and API answers, and HSTS
  over HTTPS.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote, urlsplit

import anyio.to_thread

from simulator.services.app_services import AppServices
from simulator.services.web_sessions import WebSession

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "sparring_session"
SECURE_COOKIE = "__Host-sparring_session"
CSRF_COOKIE = "sparring_csrf"
SECURE_CSRF_COOKIE = "__Host-sparring_csrf"

PUBLIC_PATHS = frozenset({"/login", "/favicon.ico"})
"""Reachable without a session."""
FORCED_CHANGE_PATHS = frozenset({"/account/password", "/logout"})
"""All a user with a one-time password can reach."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

SCOPE_SESSION = "sparring.session"
SCOPE_TOKEN = "sparring.token"
SCOPE_IP = "sparring.ip"
SCOPE_HTTPS = "sparring.https"
SCOPE_NONCE = "sparring.nonce"

_SCRIPT_TAG = re.compile(rb"<script(?![^>]*\bnonce=)", re.IGNORECASE)


def content_security_policy(nonce: str) -> str:
    """The CSP every response carries. Scripts: this origin and nonce-tagged inline ones, no eval.

    Styles allow inline (Gradio's components set style attributes and theme ``<style>`` blocks at
    run time); nothing may be loaded from another origin, and no site may frame the app.
    """
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "media-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _networks(spec: str | Iterable[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


def _origins(spec: str | Iterable[str]) -> frozenset[str]:
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    return frozenset(item.strip().rstrip("/").lower() for item in items if item.strip())


@dataclass
class SecurityConfig:
    """What the front door needs from the settings (mutable, so tests can change it)."""

    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    allowed_origins: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_settings(cls, settings: object) -> SecurityConfig:
        return cls(
            trusted_proxies=_networks(str(getattr(settings, "trusted_proxies", "") or "")),
            allowed_origins=_origins(str(getattr(settings, "allowed_origins", "") or "")),
        )

    def is_trusted(self, ip: str) -> bool:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(addr in net for net in self.trusted_proxies)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def client_address(scope: Scope, config: SecurityConfig) -> tuple[str, bool, bool]:
    """(client IP, came through a trusted proxy, HTTPS as the browser sees it).

    ``X-Forwarded-For`` is read right to left, skipping trusted proxies: the first address that
    is not one is the client (a client cannot forge entries to the right of its own).
    """
    peer = (scope.get("client") or ("", 0))[0] or ""
    https = scope.get("scheme") in ("https", "wss")
    if not config.is_trusted(peer):
        return peer, False, https
    chain = [p.strip() for p in _header(scope, b"x-forwarded-for").split(",") if p.strip()]
    ip = peer
    for hop in reversed(chain):
        ip = hop
        if not config.is_trusted(hop):
            break
    proto = _header(scope, b"x-forwarded-proto").split(",")[0].strip().lower()
    return ip, True, https or proto == "https"


def read_cookie(scope: Scope, *names: str) -> str | None:
    """The first of the named cookies the request carries."""
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed Cookie header: treat as none
        return None
    for name in names:
        if name in jar:
            return jar[name].value
    return None


def _wants_html(scope: Scope) -> bool:
    """A GET of a page: the site's root, or a request a browser makes for a document."""
    accept = _header(scope, b"accept")
    return scope.get("method") == "GET" and (
        scope.get("path") in ("", "/") or "text/html" in accept or _header(scope, b"sec-fetch-dest") == "document"
    )


def _own_origins(scope: Scope, https: bool, trusted: bool) -> set[str]:
    host = (_header(scope, b"x-forwarded-host") if trusted else "") or _header(scope, b"host")
    host = host.split(",")[0].strip().lower()
    if not host:
        return set()
    schemes = ("https",) if https else ("http", "https")
    return {f"{s}://{host}" for s in schemes}


def same_origin(scope: Scope, config: SecurityConfig, https: bool, trusted: bool) -> bool:
    """True when a state-changing request comes from the app's own pages (Origin, else Referer)."""
    origin = _header(scope, b"origin").strip().rstrip("/").lower()
    if not origin or origin == "null":
        referer = _header(scope, b"referer")
        if not referer:
            return False
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
    allowed = _own_origins(scope, https, trusted) | set(config.allowed_origins)
    return origin in allowed


class SecurityMiddleware:
    """See the module docstring. ``services`` resolves sessions; ``config`` holds proxies/origins."""

    def __init__(self, app: ASGIApp, services: AppServices, config: SecurityConfig) -> None:
        self.app = app
        self.services = services
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        ip, trusted, https = client_address(scope, self.config)
        headers = list(scope.get("headers") or [])
        if not trusted:  # nobody downstream may believe forwarded headers from an untrusted peer
            headers = [(k, v) for k, v in headers if not bytes(k).lower().startswith(b"x-forwarded-")]
        path = scope.get("path") or "/"
        if scope["type"] == "http" and scope.get("method") == "GET" and _wants_html(scope):
            headers = [(k, v) for k, v in headers if bytes(k).lower() != b"accept-encoding"]  # we add a nonce
        scope = dict(scope)
        scope["headers"] = headers
        nonce = secrets.token_urlsafe(18)
        scope[SCOPE_IP], scope[SCOPE_HTTPS], scope[SCOPE_NONCE] = ip, https, nonce

        token = read_cookie(scope, SECURE_COOKIE, COOKIE)
        session: WebSession | None = None
        if token:
            session = await anyio.to_thread.run_sync(self.services.accounts.web_sessions.resolve, token)
        scope[SCOPE_SESSION], scope[SCOPE_TOKEN] = session, token if session else None

        if scope["type"] == "websocket":
            cross_site = not same_origin(scope, self.config, https, trusted)
            if session is None or cross_site or await self._must_change(session):
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return

        method = scope.get("method", "GET")
        wrapped = _with_headers(send, nonce, https)
        if method not in SAFE_METHODS and not same_origin(scope, self.config, https, trusted):
            log.info("refused a cross-site %s %s from %s", method, path, ip)
            await _json(wrapped, 403, "This request did not come from Sparring's own pages (cross-site: refused).")
            return
        if path not in PUBLIC_PATHS:
            if session is None:
                if _wants_html(scope):
                    target = "/login" if path == "/" else f"/login?next={quote(path, safe='/')}"
                    await _redirect(wrapped, target)
                else:
                    await _json(wrapped, 401, "Sign in first.")
                return
            if path not in FORCED_CHANGE_PATHS and await self._must_change(session):
                if _wants_html(scope):
                    await _redirect(wrapped, "/account/password")
                else:
                    await _json(wrapped, 403, "Choose your own password first (at /account/password).")
                return
        await self.app(scope, receive, wrapped)

    @staticmethod
    async def _must_change(session: WebSession) -> bool:
        return session.must_change_password  # read with the session, in the same query


def _security_headers(nonce: str, https: bool, html: bool) -> list[tuple[bytes, bytes]]:
    out = [
        (b"content-security-policy", content_security_policy(nonce).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"permissions-policy", b"microphone=(self), camera=(), geolocation=(), payment=(), usb=()"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"cross-origin-resource-policy", b"same-origin"),
    ]
    if https:
        out.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    if html:
        out.append((b"cache-control", b"no-store"))
    return out


_REPLACED = {
    b"content-security-policy",
    b"x-content-type-options",
    b"x-frame-options",
    b"referrer-policy",
    b"permissions-policy",
    b"cross-origin-opener-policy",
    b"cross-origin-resource-policy",
    b"strict-transport-security",
}


def _with_headers(send: Send, nonce: str, https: bool) -> Send:
    """Add the security headers to the response; tag every ``<script>`` of an HTML body with the nonce."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def wrapped(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            headers = [(bytes(k), bytes(v)) for k, v in message.get("headers") or []]
            ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
            encoded = any(k.lower() == b"content-encoding" for k, _ in headers)
            html = ctype.startswith(b"text/html")
            api = ctype.startswith(b"application/json") or ctype.startswith(b"text/event-stream")
            headers = [(k, v) for k, v in headers if k.lower() not in _REPLACED]
            if html or api:
                headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
            headers += _security_headers(nonce, https, html or api)
            message = {**message, "headers": headers}
            if html and not encoded:
                start = message  # hold it: the body changes length
                return
            await send(message)
            return
        if message["type"] == "http.response.body" and start is not None:
            chunks.append(bytes(message.get("body") or b""))
            if message.get("more_body"):
                return
            body = _SCRIPT_TAG.sub(b'<script nonce="' + nonce.encode() + b'"', b"".join(chunks))
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})
            start = None
            return
        await send(message)

    return wrapped


async def _json(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _redirect(send: Send, location: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [(b"location", location.encode()), (b"content-length", b"0"), (b"content-type", b"text/html")],
        }
    )
    await send({"type": "http.response.body", "body": b""})
