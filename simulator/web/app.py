"""The Gradio web app. Built by a function (never at import time); handlers call the service layer.

``python app.py`` (or ``sparring serve``) opens the store, creates the first admin on an empty
store (printing a one-time password), and serves the sign-in page and the UI behind the security
middleware (``simulator/web/server.py``, docs/security.md). Models load on first use.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import gradio as gr

from simulator.config import Settings, load_settings
from simulator.services.app_services import AppServices
from simulator.web.account_page import build_account_tab, page_state
from simulator.web.admin_page import build_admin_tab
from simulator.web.assignments_page import build_assignments_tab
from simulator.web.auth import ensure_first_admin
from simulator.web.cohort_page import build_cohort_tab
from simulator.web.history_page import build_history_tabs
from simulator.web.home_page import build_home_tab, wire_home_tab
from simulator.web.peer_review_page import build_peer_review_tab
from simulator.web.practice_ui import build_practice_tab
from simulator.web.runtime import get_app_services
from simulator.web.server import WebApp, build_web_app, secure_data_dir, serve
from simulator.web.studio_page import build_studio_tab
from simulator.web.style import style_block
from simulator.web.team_page import build_team_tab
from simulator.web.ui_common import TAB_IDS, PageContext


def build_demo(services: AppServices | None = None, *, data_dir: Path | None = None) -> gr.Blocks:
    """Build the app's pages for ``services`` (default: the process-wide ones).

    ``data_dir`` is accepted for older callers; the password page (``simulator/web/signin.py``)
    now handles the first-admin password file.
    """
    services = services or get_app_services()
    del data_dir
    ctx = PageContext(services)
    with gr.Blocks(title="Sparring — sales practice") as demo:
        style_block()  # readable buttons, phone layouts (simulator/web/style.py)
        ctx.time_zone()  # the user's zone, kept in the browser: made here, outside the tabs
        with gr.Row():
            with gr.Column(scale=3, min_width=240):
                gr.Markdown(
                    "# Sparring\nPractise sales conversations with AI buyers. Offline; nothing leaves this machine.",
                    elem_id="title",
                )
            with gr.Column(scale=0, min_width=200):
                header = gr.Markdown(elem_id="whoami")
                gr.Button("Sign out", link="/logout", size="sm", elem_id="logout")
        with gr.Tabs() as tabs:
            ctx.tabs = tabs
            build_home_tab(ctx)
            build_practice_tab(ctx)
            build_history_tabs(ctx)
            build_peer_review_tab(ctx)  # peer review (docs/peer-review.md)
            build_assignments_tab(ctx)
            build_cohort_tab(ctx)
            build_team_tab(ctx)
            build_studio_tab(ctx)  # managers' own drills (docs/authoring.md)
            build_admin_tab(ctx)
            build_account_tab(ctx)
        tab_components = [ctx.refs[t]["tab"] for t in TAB_IDS]
        state_outputs = [header, *tab_components, tabs]

        def on_load(request: gr.Request) -> tuple[Any, ...]:
            return page_state(ctx, request)

        demo.load(on_load, None, state_outputs)
        refresh_unfinished, inputs, outputs = ctx.refs["practice"]["unfinished"]
        demo.load(refresh_unfinished, inputs, outputs)
        demo.load(*wire_home_tab(ctx))
        demo.load(*ctx.refs["practice"]["drills"])  # the user's teams' published drills too
        demo.load(*ctx.refs["account"]["zone"])
    return demo


def prepare(settings: Settings | None = None) -> WebApp:
    """Everything ``launch`` does before serving: a private data folder (0700, files 0600, umask
    077), the store (refused if a store created before is missing), the first admin, the UI."""
    settings = settings or load_settings()
    if not settings.database_url:
        secure_data_dir(settings.data_dir)  # before the store is opened
    services = get_app_services(settings)
    settings = services.practice.settings
    banner = ensure_first_admin(services, settings.data_dir)
    if banner:
        print(banner, file=sys.stderr, flush=True)
    if not settings.database_url:
        secure_data_dir(settings.data_dir)
    demo = build_demo(services)
    demo.queue(default_concurrency_limit=16)
    return build_web_app(services, demo, data_dir=settings.data_dir)


def launch(host: str | None = None, port: int | None = None, **uvicorn_options: Any) -> None:
    """Build and serve the app with sign-in (blocking). Host/port: the arguments, else the settings
    (``SPARRING_HOST``, default 127.0.0.1; ``SPARRING_PORT``, default 7860)."""
    web = prepare()
    settings = web.settings
    host, port = host or settings.host, port or settings.port
    print(f"Sparring is serving on http://{host}:{port} (docs/security.md: serving a team)", file=sys.stderr,
          flush=True)
    serve(web, host, port, **uvicorn_options)
