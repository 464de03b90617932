"""Plotly figures for the scorecard, progress and team dashboard (plotly is imported on first use).

Names in labels are entity-escaped (:func:`simulator.web.text.plot_text`): Plotly renders a few
HTML tags in text, so a user's name must never reach it raw.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from simulator.services.dashboards import ProgressPoint, TeamDashboard
from simulator.services.scorecards import competency_names, competency_scores, pretty
from simulator.web.text import plot_text

_LAYOUT: dict[str, Any] = {
    "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
    "height": 320,
    "template": "plotly_white",
}


def _go() -> Any:
    import plotly.graph_objects as go

    return go


def competency_chart(card: Mapping[str, Any] | None) -> Any:
    """Horizontal bars: this attempt's score per competency (1-5), the last attempt as markers."""
    go = _go()
    scores = competency_scores(card)
    names = competency_names([card])
    ids = list(scores)
    labels = [plot_text(names.get(c, pretty(c))) for c in ids]
    fig = go.Figure(
        go.Bar(
            x=[scores[c] for c in ids],
            y=labels,
            orientation="h",
            name="this attempt",
            marker_color="#2563eb",
            text=[f"{scores[c]:.0f}/5" for c in ids],
            textposition="inside",
        )
    )
    comparison = card.get("comparison") if isinstance(card, Mapping) else None
    changes = comparison.get("competencies") if isinstance(comparison, Mapping) else None
    if isinstance(changes, Mapping):
        prev = [
            (labels[i], changes[c].get("previous"))
            for i, c in enumerate(ids)
            if isinstance(changes.get(c), Mapping) and isinstance(changes[c].get("previous"), int | float)
        ]
        if prev:
            fig.add_trace(
                go.Scatter(
                    x=[p[1] for p in prev],
                    y=[p[0] for p in prev],
                    mode="markers",
                    name="last attempt",
                    marker={"symbol": "line-ns-open", "size": 22, "color": "#111827", "line": {"width": 3}},
                )
            )
    fig.update_layout(
        title="Competencies (1–5)",
        xaxis={"range": [0, 5.2], "dtick": 1},
        yaxis={"autorange": "reversed"},
        legend={"orientation": "h", "y": -0.15},
        **_LAYOUT,
    )
    return fig


def _attempt_labels(points: Sequence[ProgressPoint]) -> list[str]:
    return [f"#{i} · {dt.datetime.fromtimestamp(p.at):%b %d}" for i, p in enumerate(points, 1)]


def progress_chart(points: Sequence[ProgressPoint]) -> Any:
    """One line per competency over the user's graded sessions (x: attempt number and date)."""
    go = _go()
    fig = go.Figure()
    labels = _attempt_labels(points)
    ids = sorted({c for p in points for c in p.scores})
    for cid in ids:
        xs = [labels[i] for i, p in enumerate(points) if cid in p.scores]
        ys = [p.scores[cid] for p in points if cid in p.scores]
        name = next((p.names[cid] for p in reversed(points) if cid in p.names), pretty(cid))
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=plot_text(name)))
    fig.update_layout(
        title="Competency scores over time (1–5)",
        yaxis={"range": [0.5, 5.5], "dtick": 1},
        xaxis={"type": "category", "title": "graded session"},
        legend={"orientation": "h", "y": -0.3},
        **{**_LAYOUT, "height": 400},
    )
    return fig


def overall_chart(points: Sequence[ProgressPoint], titles: Mapping[str, str] | None = None) -> Any:
    """Overall score (0-100) per graded session; hovering shows the drill's title (``titles``: id → title)."""
    go = _go()
    labels = _attempt_labels(points)
    scored = [(labels[i], p) for i, p in enumerate(points) if p.overall is not None]
    fig = go.Figure(
        go.Scatter(
            x=[x for x, _ in scored],
            y=[p.overall for _, p in scored],
            mode="lines+markers",
            name="overall",
            text=[plot_text((titles or {}).get(p.scenario_id) or pretty(p.scenario_id)) for _, p in scored],
        )
    )
    fig.update_layout(title="Overall score (0–100)", yaxis={"range": [0, 100]}, xaxis={"type": "category"}, **_LAYOUT)
    return fig


def heatmap(board: TeamDashboard) -> Any:
    """Reps × competencies, mean score 1-5 (blank where never scored)."""
    go = _go()
    fig = go.Figure(
        go.Heatmap(
            z=board.matrix,
            x=[plot_text(board.names[c], 24) for c in board.competencies],
            y=[plot_text(r.label, 30) for r in board.reps],
            zmin=1,
            zmax=5,
            colorscale="RdYlGn",
            text=[[("" if v is None else f"{v:.1f}") for v in row] for row in board.matrix],
            texttemplate="%{text}",
            hoverongaps=False,
            colorbar={"title": {"text": "score"}, "len": 1.0, "thickness": 14, "tickvals": [1, 2, 3, 4, 5]},
        )
    )
    fig.update_layout(
        title="Reps × competencies (mean score, 1–5)",
        yaxis={"autorange": "reversed"},
        xaxis={"tickangle": -30},
        **{**_LAYOUT, "height": max(380, 220 + 45 * len(board.reps))},
    )
    return fig


def activity_chart(board: TeamDashboard) -> Any:
    """Sessions started per week, last 8 weeks."""
    go = _go()
    fig = go.Figure(
        go.Bar(x=[f"wk of {w[5:]}" for w in board.weeks], y=board.sessions_per_week, marker_color="#0d9488")
    )
    fig.update_layout(
        title="Practice sessions per week",
        yaxis={"rangemode": "tozero", "dtick": 1 if max(board.sessions_per_week, default=0) <= 10 else None},
        **{**_LAYOUT, "height": 380},
    )
    return fig
