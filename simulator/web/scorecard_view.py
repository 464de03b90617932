"""The scorecard on the page: Markdown sections and a metrics table, built defensively.

The grader's JSON may gain or lose keys; anything missing or of an unexpected type is skipped.
Every quote and name is escaped (:func:`simulator.web.text.esc`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.web.text import SOURCES, esc, pretty_id, words_for

QUOTE = 220


def _d(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list):
        return " / ".join(f"{x:g}" if isinstance(x, int | float) else str(x) for x in v)
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    if isinstance(v, int):
        return f"{v:,}"
    return "—" if v is None else str(v)


def headline(card: Mapping[str, Any] | None) -> str:
    """Score, outcome and the comparison with the last attempt."""
    if not isinstance(card, Mapping):
        return "_No scorecard for this session (it ended before anything could be graded)._"
    out = []
    score = _num(card.get("overall"))
    if score is not None:
        out.append(f"## Score: {score:.0f}/100")
    outcome = _d(card.get("outcome"))
    if outcome:
        verdict = "✓ objective met" if outcome.get("success") else "✗ objective not met yet"
        out.append(f"**{verdict}**")
        out += [f"- ✓ {esc(m)}" for m in _l(outcome.get("met"))]
        out += [f"- ✗ {esc(m)}" for m in _l(outcome.get("missed"))]
    comp = _d(card.get("comparison"))
    if comp:
        prev, delta = _num(comp.get("previous_overall")), _num(comp.get("overall_delta"))
        if prev is not None and delta is not None:
            out.append(f"\n**Compared with your last attempt:** {prev:.0f} → {score or 0:.0f} ({delta:+.0f})")
        if comp.get("summary"):
            out.append(esc(comp["summary"]))
    else:
        out.append("\n_First graded attempt at this scenario: your next attempt will be compared with this one._")
    takeaways = [t for t in _l(card.get("takeaways")) if isinstance(t, str)][:3]
    if takeaways:
        out += ["\n### Takeaways", *[f"{i}. {esc(t)}" for i, t in enumerate(takeaways, 1)]]
    return "\n".join(out)


def competencies_markdown(card: Mapping[str, Any] | None) -> str:
    """Each competency: score, level, the rule behind it and the rep's own lines as evidence."""
    comps = [c for c in _l(_d(card).get("competencies")) if isinstance(c, Mapping)]
    if not comps:
        return ""
    out = ["### Competencies"]
    for c in comps:
        score = _num(c.get("score"))
        name = esc(c.get("name") or pretty_id(str(c.get("id", ""))))
        head = f"**{name} — {score:.0f}/5**" if score is not None else f"**{name}**"
        weight = _num(c.get("weight"))
        if weight is not None:
            head += f" · weight {weight:.0%}"
        out += ["", head + ("  " if c.get("level") else "")]
        if c.get("level"):
            out.append(f"_{esc(c['level'])}_")
        quotes = []
        for e in _l(c.get("evidence"))[:4]:
            e = _d(e)
            if e.get("quote"):
                mark = "" if e.get("supports", True) else " (shows it missing)"
                quotes.append(f"- Turn {esc(e.get('turn', '?'))}{mark}: “{esc(e['quote'], limit=QUOTE)}”")
                if e.get("response"):
                    quotes.append(f"  - Buyer, turn {esc(e.get('response_turn', '?'))}: "
                                  f"“{esc(e['response'], limit=QUOTE)}” — {esc(e.get('effect') or '')}")
        if quotes:
            out += ["", *quotes]
        rule = esc(c.get("rule") or "")
        source = f" ({esc(words_for(SOURCES, str(c['source'])))})" if c.get("source") else ""
        if rule or source:
            out += ["", f"<sub>{rule}{source}</sub>"]
    return "\n".join(out)


def metric_rows(card: Mapping[str, Any] | None) -> list[list[str]]:
    """Rows of (metric, your value, benchmark, source) for the applicable metrics."""
    metrics = _d(card).get("metrics")
    items = list(metrics.values()) if isinstance(metrics, Mapping) else _l(metrics)
    rows = []
    for m in items:
        m = _d(m)
        if not m or m.get("applicable") is False:
            continue
        value = f"{_value(m.get('value'))} {m.get('unit') or ''}".strip()
        if m.get("note"):
            value += f" ({m['note']})"
        rows.append(
            [
                str(m.get("name") or m.get("id") or ""),
                value,
                str(m.get("benchmark") or "—"),
                str(m.get("source") or m.get("benchmark_source") or ""),
            ]
        )
    return rows


def metrics_markdown(card: Mapping[str, Any] | None) -> str:
    """The applicable metrics as a Markdown table: your value beside the benchmark and its source."""
    rows = metric_rows(card)
    if not rows:
        return ""
    out = ["### Metrics beside benchmarks", "", "| Metric | You | Benchmark |", "|---|---|---|"]
    for name, value, bench, source in rows:
        cited = f"{esc(bench)} <sub>({esc(source)})</sub>" if source and bench != "—" else esc(bench)
        out.append(f"| {esc(name)} | {esc(value)} | {cited} |")
    return "\n".join(out)


def coaching_markdown(card: Mapping[str, Any] | None) -> str:
    """What went well, what to do differently, a better line and the next drill."""
    card = _d(card)
    out = []
    good = [t for t in _l(card.get("went_well")) if isinstance(t, str)]
    if good:
        out += ["### What went well", *[f"- {esc(t)}" for t in good]]
    change = [t for t in _l(card.get("do_differently")) if isinstance(t, str)]
    if change:
        out += ["", "### What to do differently", *[f"- {esc(t)}" for t in change]]
    better = _d(card.get("better_line"))
    if better.get("better"):
        out += [
            "",
            "### A better line",
            f"Turn {esc(better.get('turn', '?'))}, you said: “{esc(better.get('original', ''), limit=QUOTE)}”",
            f"Try: “{esc(better['better'], limit=QUOTE)}”",
        ]
        if better.get("why"):
            out.append(f"_{esc(better['why'])}_")
    drill = _d(card.get("next_drill"))
    if drill.get("scenario_id"):
        title = drill.get("title") or drill["scenario_id"]
        out += ["", f"### Next drill: {esc(title)}"]
        if drill.get("why"):
            out.append(esc(drill["why"]))
    return "\n".join(out)


def scorecard_markdown(card: Mapping[str, Any] | None) -> str:
    """The whole card as Markdown (headline, metrics, coaching, competencies with evidence)."""
    parts = [headline(card), metrics_markdown(card), coaching_markdown(card), competencies_markdown(card)]
    return "\n\n".join(p for p in parts if p)
