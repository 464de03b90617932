"""The Gradio web app. Built by a function (never at import time); handlers call the service layer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from simulator.web import practice_page as page
from simulator.web.runtime import get_service


def build_demo() -> gr.Blocks:
    """Build the app's pages."""
    service = get_service()
    choices = page.scenario_choices(service)
    first = choices[0][1] if choices else None
    with gr.Blocks(title="Sparring — sales practice") as demo:
        gr.Markdown("# Sparring\nPractise a sales conversation with an AI buyer. Offline; nothing leaves this machine.")
        session_id = gr.State(None)
        with gr.Row():
            with gr.Column(scale=1):
                scenario = gr.Dropdown(choices=choices, value=first, label="Scenario", elem_id="scenario")
                difficulty = gr.Radio(["easy", "medium", "hard"], value="medium", label="Difficulty",
                                      elem_id="difficulty")
                brief = gr.Markdown(page.brief_markdown(service, first, "medium"), elem_id="brief")
                start = gr.Button("Start call", variant="primary", elem_id="start")
            with gr.Column(scale=2):
                chat = gr.Chatbot(label="Call", elem_id="chat", height=460)
                message = gr.Textbox(label="Your line", placeholder="Type what you would say…", elem_id="message",
                                     lines=2)
                with gr.Row():
                    send = gr.Button("Send", variant="primary", elem_id="send")
                    end = gr.Button("End call", variant="stop", elem_id="end")
                status = gr.Markdown("", elem_id="status")

        def _user(request: gr.Request | None) -> str | None:
            return getattr(request, "username", None) if request is not None else None

        def on_brief(sid: str, diff: str) -> str:
            return page.brief_markdown(service, sid, diff)

        def on_start(sid: str, diff: str, request: gr.Request) -> Iterator[tuple[Any, Any, Any]]:
            yield from page.start_session(service, sid, diff, _user(request))

        def on_send(sess: str | None, text: str, history: list[dict[str, Any]],
                    request: gr.Request) -> Iterator[tuple[Any, Any, Any]]:
            yield from page.send_message(service, sess, text, history or [], _user(request))

        def on_end(sess: str | None, history: list[dict[str, Any]], request: gr.Request) -> Iterator[tuple[Any, Any]]:
            yield from page.end_call(service, sess, history or [], _user(request))

        scenario.change(on_brief, [scenario, difficulty], brief)
        difficulty.change(on_brief, [scenario, difficulty], brief)
        start.click(on_start, [scenario, difficulty], [chat, session_id, status])
        send.click(on_send, [session_id, message, chat], [chat, message, status])
        message.submit(on_send, [session_id, message, chat], [chat, message, status])
        end.click(on_end, [session_id, chat], [chat, status])
    return demo


def launch(host: str = "127.0.0.1", port: int = 7860, **kwargs: Any) -> None:
    """Build and serve the app (blocking)."""
    demo = build_demo()
    demo.queue(default_concurrency_limit=8)
    demo.launch(server_name=host, server_port=port, **kwargs)
