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


END_REASONS = {
    "rep_ended": "you ended it",
    "rep_goodbye": "you said goodbye",
    "patience": "the buyer ran out of patience",
    "turn_cap": "the call reached its length limit",
    "deal": "you agreed a deal",
    "no_deal": "no deal",
    "next_step": "the next step was booked",
    "abandoned": "left idle",
}
"""Why a call ended, in words (the engine's ``end_reason``)."""

SOURCES = {
    "rules": "checked by rules",
    "rules+llm": "checked by rules, adjusted by the AI judge",
    "llm": "judged by the AI judge",
}
"""Who scored a competency (the scorecard's ``source``), in words."""

STATUS_WORDS = {"active": "in progress", "ended": "ended", "abandoned": "closed unfinished"}
"""A session's status, in words."""


def words_for(table: dict[str, str], value: str | None) -> str:
    """``value`` in words from ``table``; an unknown value with its ``_``/``-`` turned to spaces."""
    raw = value or ""
    if raw in table:
        return table[raw]
    if raw.startswith("rules (") and raw.endswith(")"):  # e.g. 'rules (llm reply invalid, fell back)'
        return "checked by rules (the AI judge's answer could not be used)"
    return pretty_id(raw)
