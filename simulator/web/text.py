"""Showing user-provided text (names, messages, notes, quotes) as text, never as markup.

Everything a user typed goes through :func:`esc` before it reaches a Markdown, Chatbot or
Plotly label: HTML is entity-escaped and Markdown control characters are backslash-escaped, so
``<script>``, ``**bold**`` or ``[link](javascript:…)`` appear literally.
"""

from __future__ import annotations

import datetime as dt
import html

_MD_SPECIAL = "\\`*_[]#|~<>"
MAX_INLINE = 400


def esc(text: object, *, limit: int | None = None, keep_lines: bool = False) -> str:
    """``text`` made safe for Markdown/HTML display (whitespace collapsed unless ``keep_lines``)."""
    raw = "" if text is None else str(text)
    lines = raw.splitlines() if keep_lines else [raw]
    raw = "\n".join(" ".join(line.split()) for line in lines)
    if limit is not None and len(raw) > limit:
        raw = raw[: limit - 1] + "…"
    out = []
    for ch in raw:
        if ch in "&<>":
            out.append(html.escape(ch, quote=False))
        elif ch in _MD_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    escaped = "".join(out)
    return escaped.replace("\n", "  \n") if keep_lines else escaped


def short(text: object, limit: int = 60) -> str:
    """Plain one-line text, shortened: for dropdown labels and table cells (shown as text by Gradio)."""
    raw = " ".join(("" if text is None else str(text)).split())
    return raw if len(raw) <= limit else raw[: limit - 1] + "…"


def plot_text(text: object, limit: int = 40) -> str:
    """Text for Plotly labels, which understand a few HTML tags: entity-escaped."""
    return html.escape(short(text, limit), quote=False)


def when(ts: float | None) -> str:
    """A local date and time, e.g. ``2026-11-23 14:05``."""
    return "" if ts is None else dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def pretty_id(value: str | None) -> str:
    """``objection_handling`` → ``objection handling``."""
    return (value or "").replace("_", " ").replace("-", " ")
