"""The app's own styles: readable buttons (WCAG AA) and layouts that work on a phone.

Gradio 6 takes a page's CSS only from ``launch``/``mount_gradio_app`` (``simulator/web/server.py``),
so these rules travel inside the page as a ``<style>`` element in a hidden Markdown block
(:func:`style_block`; not ``gr.HTML``, whose templates need ``eval``). The Content-Security-Policy
allows inline styles, never inline scripts.

Colours: Gradio's default orange (#f97316) under white text is 2.8:1, below the 4.5:1 that WCAG AA
asks of normal text. Orange 700 (#c2410c) is 5.2:1 and orange 800 (#9a3412, on hover) 7.3:1; the
red of "stop" buttons goes from 3.8:1 (#ef4444) to 6.5:1 (#b91c1c). The selected tab's label is
orange text on white, so it takes orange 700 too.
"""

from __future__ import annotations

from typing import Any

PRIMARY = "#c2410c"
PRIMARY_HOVER = "#9a3412"
STOP = "#b91c1c"
STOP_HOVER = "#991b1b"

NARROW_PX = 700
"""Below this width (a phone) the practice page puts the call above the drill picker once a call is
on, and hides the brief then (the stage line above the chat keeps the goal in view); the chat is
at most 45% of the screen's height, so the message box stays in view under it."""

CSS = f"""
:root, .dark, gradio-app, .gradio-container {{
  --button-primary-background-fill: {PRIMARY};
  --button-primary-background-fill-hover: {PRIMARY_HOVER};
  --button-primary-border-color: {PRIMARY};
  --button-primary-border-color-hover: {PRIMARY_HOVER};
  --button-primary-text-color: #ffffff;
  --button-primary-text-color-hover: #ffffff;
  --button-cancel-background-fill: {STOP};
  --button-cancel-background-fill-hover: {STOP_HOVER};
  --button-cancel-border-color: {STOP};
  --button-cancel-border-color-hover: {STOP_HOVER};
  --button-cancel-text-color: #ffffff;
  --button-cancel-text-color-hover: #ffffff;
  --color-accent: {PRIMARY};
}}
button.primary {{ background: {PRIMARY}; color: #ffffff; border-color: {PRIMARY}; }}
button.primary:hover {{ background: {PRIMARY_HOVER}; color: #ffffff; border-color: {PRIMARY_HOVER}; }}
button.stop {{ background: {STOP}; color: #ffffff; border-color: {STOP}; }}
button.stop:hover {{ background: {STOP_HOVER}; color: #ffffff; border-color: {STOP_HOVER}; }}
button[role="tab"].selected {{ color: {PRIMARY}; }}
#home-next {{ font-size: 1.05em; }}
#scorecard-metrics table {{ width: 100%; word-break: normal; overflow-wrap: break-word; }}
@media (max-width: {NARROW_PX}px) {{
  #practice-setup.in-call {{ order: 2; }}
  #practice-setup.in-call #brief {{ display: none; }}
  #chat {{ height: min(420px, 45vh) !important; }}
  #scorecard-metrics table {{ table-layout: fixed; }}
  #scorecard-metrics td, #scorecard-metrics th {{ padding: 6px; }}
  #title p {{ display: none; }}
  #title h1 {{ font-size: 1.6em; margin-bottom: 0; }}
}}
"""


def style_block() -> Any:
    """A hidden Markdown block holding :data:`CSS` (put it once on the page, outside the tabs).

    Our own constant text, never a user's: the only place the page renders unsanitised HTML."""
    import gradio as gr

    return gr.Markdown(f"<style>{CSS}</style>", visible="hidden", elem_id="sparring-style", sanitize_html=False)
