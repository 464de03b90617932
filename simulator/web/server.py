"""Serving the web app: the sign-in routes and the Gradio UI behind one security middleware.

``python app.py`` / ``sparring serve`` call :func:`serve`; the tests and ``bench/bench_signin.py``
use :func:`start_background`. See docs/security.md for what protects what, and how to serve a
team (TLS at a reverse proxy, ``SPARRING_TRUSTED_PROXIES``, host and port).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import uvicorn
from fastapi import FastAPI, Request

from simulator.services.app_services import AppServices
from simulator.web.security import SCOPE_SESSION, SecurityConfig, SecurityMiddleware
from simulator.web.signin import HashingPool, add_signin_routes
from simulator.web.voice_ui import PLAYER_HEAD, add_voice_routes

CSS = """
#stage { min-height: 1.5em; }
#hint { background: #fffbeb; border-radius: 6px; }
footer { display: none !important; }
"""

THEME_FONTS = ["ui-sans-serif", "system-ui", "sans-serif"]
"""System fonts: the default theme would fetch Google Fonts, which the CSP (and offline use) forbid."""


def _username(request: Request) -> str | None:
    """Gradio's ``auth_dependency``: the user the middleware resolved for this request."""
    session = request.scope.get(SCOPE_SESSION)
    return getattr(getattr(session, "user", None), "username", None)


@dataclass
class WebApp:
    """The ASGI app to serve, and what must be closed with it."""

    asgi: SecurityMiddleware
    fastapi: FastAPI
    pool: HashingPool
    config: SecurityConfig
    services: AppServices

    @property
    def settings(self) -> Any:
        return self.services.practice.settings


def build_web_app(
    services: AppServices,
    demo: gr.Blocks,
    *,
    data_dir: Path | None = None,
    config: SecurityConfig | None = None,
    workers: int | None = None,
) -> WebApp:
    """The sign-in routes plus ``demo`` mounted at ``/``, wrapped in :class:`SecurityMiddleware`."""
    settings = services.practice.settings
    config = config or SecurityConfig.from_settings(settings)
    pool = HashingPool(workers or int(getattr(settings, "signin_workers", 0) or os.cpu_count() or 2))
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    add_signin_routes(app, services, pool, data_dir if data_dir is not None else settings.data_dir)
    add_voice_routes(app, services)
    services.exports.purge_expired()
    services.accounts.web_sessions.purge_expired()
    app = gr.mount_gradio_app(
        app,
        demo,
        path="/",
        auth_dependency=_username,
        css=CSS,
        head=PLAYER_HEAD,  # the hands-free voice player, /voice-player.js (simulator/web/voice_ui.py)
        theme=gr.themes.Default(font=THEME_FONTS, font_mono=["ui-monospace", "monospace"]),
        footer_links=[],
        run_history=False,
        show_error=True,
    )
    return WebApp(SecurityMiddleware(app, services, config), app, pool, config, services)


def secure_data_dir(data_dir: Path) -> None:
    """The data folder 0700 and every file in it 0600 (databases, secrets, exports); new files too."""
    os.umask(0o077)
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    for path in data_dir.rglob("*"):
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o700)
            elif path.is_file() and not path.is_symlink():
                path.chmod(0o600)


def serve(web: WebApp, host: str, port: int, **uvicorn_options: Any) -> None:
    """Serve ``web`` until interrupted (blocking)."""
    try:
        uvicorn.run(web.asgi, host=host, port=port, proxy_headers=False, server_header=False,
                    log_level=uvicorn_options.pop("log_level", "warning"), **uvicorn_options)
    finally:
        web.pool.close()


class BackgroundServer:
    """A server on a thread (tests, benchmarks): ``url``, then ``close()``."""

    def __init__(self, web: WebApp, host: str, port: int) -> None:
        self.web = web
        self.url = f"http://{host}:{port}"
        config = uvicorn.Config(web.asgi, host=host, port=port, log_level="warning", proxy_headers=False,
                                server_header=False, timeout_keep_alive=30)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="sparring-web", daemon=True)

    def start(self, timeout_s: float = 60.0) -> BackgroundServer:
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the web app did not start")
            time.sleep(0.05)
        return self

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.web.pool.close()


def start_background(web: WebApp, host: str = "127.0.0.1", port: int = 0) -> BackgroundServer:
    """Serve ``web`` on a thread; ``port=0`` picks a free one."""
    if port == 0:
        import socket

        with socket.socket() as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
    return BackgroundServer(web, host, port).start()
