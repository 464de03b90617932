"""The scorecard as Markdown, for people. Transcript text is escaped: markup in a line stays text."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from grading.scorecard import Metric, Scorecard

QUOTE_CHARS = 220


def _esc(text: str) -> str:
    """Neutralise HTML tags and Markdown control characters in transcript text."""
    text = " ".join(text.split()).replace("<", "&lt;").replace(">", "&gt;")
    for ch in "\\`*_[]#|":
        text = text.replace(ch, "\\" + ch)
    return text


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return _esc(flat if len(flat) <= QUOTE_CHARS else flat[: QUOTE_CHARS - 1] + "…")


def _value(m: Metric) -> str:
    v = m.value
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list):
        return " / ".join(f"{x:g}" for x in v)
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return "—" if v is None else f"{v:,}" if isinstance(v, int) else str(v)


def render_markdown(card: Scorecard) -> str:
    """A readable report: overall, competencies with checks and evidence, metrics, coaching."""
    out: list[str] = []
    title = card.scenario_id or "call transcript"
    out.append(f"# Scorecard — {_esc(title)}")
    out.append("")
    out.append(f"**Overall: {card.overall}/100** ({card.kind.replace('_', ' ')})  ")
    out.append(f"_{_esc(card.overall_rule)}_")
    if card.outcome:
        met = ", ".join(card.outcome.get("met", [])) or "none"
        missed = ", ".join(card.outcome.get("missed", [])) or "none"
        verdict = "success" if card.outcome.get("success") else "not yet"
        out += ["", f"**Outcome:** {verdict} — met: {_esc(met)}; missed: {_esc(missed)}"]
    if card.takeaways:
        out += ["", "## Takeaways", *[f"- {_esc(t)}" for t in card.takeaways]]
    out += ["", "## Competencies", "", "| competency | score | weight | source |", "|---|---|---|---|"]
    for c in card.competencies:
        trained = " (trained)" if c.trained else ""
        out.append(f"| {_esc(c.name)}{trained} | {c.score}/5 | {c.weight:g} | {c.source} |")
    for c in card.competencies:
        out += ["", f"### {_esc(c.name)} — {c.score}/5", f"_{_esc(c.level)}_", ""]
        for ch in c.checks:
            out.append(f"- {'✔' if ch.passed else '✘'} {_esc(ch.text)} — {_esc(ch.detail)}")
        if c.llm is not None:
            out.append(f"- LLM judgement {c.llm.delta:+d} (turn {c.llm.turn}): {_esc(c.llm.reason)}")
        for e in c.evidence:
            mark = "shows it" if e.supports else "missing"
            out.append(f"  > turn {e.turn} ({mark}): “{_quote(e.quote)}”")
            if e.response is not None:
                out.append(f"  >   buyer, turn {e.response_turn}: “{_quote(e.response)}” — {_esc(e.effect or '')}")
    if card.not_scored:
        out += ["", "Not scored: " + "; ".join(f"{_esc(n.name)} ({_esc(n.reason)})" for n in card.not_scored)]
    out += ["", "## Metrics", "", "| metric | value | benchmark |", "|---|---|---|"]
    for m in card.metrics.values():
        if not m.applicable:
            continue
        bench = f"{_esc(m.benchmark)} ({_esc(m.source or '')})" if m.benchmark else ""
        note = f" ({_esc(m.note)})" if m.note else ""
        value = f"{_value(m)} {_esc(m.unit)}".strip()
        out.append(f"| {_esc(m.name)} | {value}{note} | {bench} |")
    if card.went_well:
        out += ["", "## What went well", *[f"- {_esc(t)}" for t in card.went_well]]
    if card.do_differently:
        out += ["", "## What to do differently", *[f"- {_esc(t)}" for t in card.do_differently]]
    if card.better_line:
        b = card.better_line
        out += [
            "",
            f"## A better line (turn {b.turn})",
            f"- You said: “{_quote(b.original)}”",
            f"- Try: “{_esc(b.better)}”",
            f"- Why: {_esc(b.why)}",
        ]
    if card.next_drill:
        d = card.next_drill
        out += ["", f"## Next drill: {_esc(d.title)} (`{d.scenario_id}`)", f"{_esc(d.why)}"]
    if card.comparison:
        out += ["", "## Since last time", _esc(card.comparison.summary)]
    if card.warnings:
        out += ["", "## Notes", *[f"- {_esc(w)}" for w in card.warnings]]
    s = card.settings
    out += [
        "",
        f"<sub>grader {s.grader_version}, rubric v{s.rubric_version} ({s.rubric_sha256}), "
        f"judge: {s.judge}{', ' + _esc(s.llm) if s.llm else ''}</sub>",
        "",
    ]
    return "\n".join(out)


def scorecard_markdown(card: Scorecard | dict[str, Any]) -> str:
    """Markdown for a scorecard or its stored JSON (``model_dump(mode="json")``)."""
    if isinstance(card, dict):
        try:
            return render_markdown(Scorecard.model_validate(card))
        except ValidationError:
            overall = card.get("overall", "?")
            note = "stored by an older grader; re-grade for details"
            return f"# Scorecard\n\n**Overall: {overall}/100** ({note})\n"
    return render_markdown(card)
