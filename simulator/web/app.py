"""The Gradio web app. Built by a function (never at import time); handlers call the service layer.

``python app.py`` (or ``sparring serve``) opens the store, creates the first admin on an empty
store (printing a one-time password), and serves the sign-in page. Models load on first use.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, cast

import gradio as gr

from simulator.services.app_services import AppServices
from simulator.web.account_page import build_account_tab, page_state
from simulator.web.admin_page import build_admin_tab
from simulator.web.assignments_page import build_assignments_tab
from simulator.web.auth import ensure_first_admin, make_auth
from simulator.web.cohort_page import build_cohort_tab
from simulator.web.history_page import build_history_tabs
from simulator.web.practice_ui import build_practice_tab
from simulator.web.runtime import get_app_services
from simulator.web.team_page import build_team_tab
from simulator.web.ui_common import TAB_IDS, PageContext

CSS = """
#stage { min-height: 1.5em; }
#hint { background: #fffbeb; border-radius: 6px; }
footer { display: none !important; }
"""


def build_demo(services: AppServices | None = None, *, data_dir: Path | None = None) -> gr.Blocks:
    """Build the app's pages for ``services`` (default: the process-wide ones)."""
    services = services or get_app_services()
    data_dir = data_dir or services.practice.settings.data_dir
    ctx = PageContext(services)
    with gr.Blocks(title="Sparring — sales practice") as demo:
        with gr.Row():
            gr.Markdown(
                "# Sparring\nPractise sales conversations with AI buyers. Offline; nothing leaves this machine.",
                elem_id="title",
            )
            with gr.Column(scale=0, min_width=200):
                header = gr.Markdown(elem_id="whoami")
                gr.Button("Sign out", link="/logout", size="sm", elem_id="logout")
        with gr.Tabs() as tabs:
            ctx.tabs = tabs
            build_practice_tab(ctx)
            build_history_tabs(ctx)
            build_assignments_tab(ctx)
            build_cohort_tab(ctx)
            build_team_tab(ctx)
            build_admin_tab(ctx)
            account = build_account_tab(ctx, data_dir)
        tab_components = [ctx.refs[t]["tab"] for t in TAB_IDS]
        state_outputs = [header, *tab_components, tabs]

        def on_load(request: gr.Request) -> tuple[Any, ...]:
            return page_state(ctx, request)

        demo.load(on_load, None, state_outputs)
        account["save"].click(
            account["on_save"], account["inputs"], [account["status"], *account["inputs"], *state_outputs]
        )
    return demo


def launch_options(services: AppServices) -> dict[str, Any]:
    """The ``demo.launch`` keywords every serving of the app uses: sign-in, message, styling."""
    return {
        "auth": cast(Any, make_auth(services)),  # Gradio awaits async auth callables; its hint says sync
        "auth_message": "Sign in to Sparring. First start? The one-time admin password is printed in the "
        "console and saved in the data folder (see docs/web.md).",
        "css": CSS,
        "footer_links": [],
    }


def launch(host: str = "127.0.0.1", port: int | None = None, **kwargs: Any) -> None:
    """Build and serve the app with sign-in (blocking). Port: ``port``, else $SPARRING_PORT, else 7860."""
    services = get_app_services()
    settings = services.practice.settings
    banner = ensure_first_admin(services, settings.data_dir)
    if banner:
        print(banner, file=sys.stderr, flush=True)
    demo = build_demo(services)
    demo.queue(default_concurrency_limit=16)
    port = port or int(os.environ.get("SPARRING_PORT", "7860"))
    demo.launch(server_name=host, server_port=port, **{**launch_options(services), **kwargs})
