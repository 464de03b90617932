"""Reading stored scorecards defensively (the grader's format may grow; missing keys are skipped)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from simulator.content.models import Scenario
from simulator.store.sessions import SessionRecord


def competency_scores(card: Mapping[str, Any] | None) -> dict[str, float]:
    """``{competency id: score 1..5}`` from a scorecard; bad entries are skipped."""
    out: dict[str, float] = {}
    if not isinstance(card, Mapping):
        return out
    comps = card.get("competencies")
    if not isinstance(comps, list):
        return out
    for comp in comps:
        if not isinstance(comp, Mapping):
            continue
        cid, score = comp.get("id"), comp.get("score")
        if isinstance(cid, str) and isinstance(score, int | float) and not isinstance(score, bool):
            out[cid] = float(score)
    return out


def competency_names(cards: Iterable[Mapping[str, Any] | None]) -> dict[str, str]:
    """``{competency id: name}`` as the scorecards name them (id prettified when unnamed)."""
    names: dict[str, str] = {}
    for card in cards:
        if not isinstance(card, Mapping) or not isinstance(card.get("competencies"), list):
            continue
        for comp in card["competencies"]:
            if isinstance(comp, Mapping) and isinstance(comp.get("id"), str):
                name = comp.get("name")
                names.setdefault(comp["id"], name if isinstance(name, str) and name else pretty(comp["id"]))
    return names


def pretty(competency_id: str) -> str:
    """``discovery_questioning`` → ``Discovery questioning``."""
    return competency_id.replace("_", " ").capitalize()


def overall(record: SessionRecord) -> float | None:
    """The session's overall score, from the column or the card."""
    if record.overall_score is not None:
        return float(record.overall_score)
    card = record.scorecard
    value = card.get("overall") if isinstance(card, Mapping) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def average_scores(records: Iterable[SessionRecord]) -> dict[str, float]:
    """Mean score per competency over the sessions that scored it."""
    sums: dict[str, list[float]] = {}
    for record in records:
        for cid, score in competency_scores(record.scorecard).items():
            sums.setdefault(cid, []).append(score)
    return {cid: sum(v) / len(v) for cid, v in sums.items()}


def weakest(averages: Mapping[str, float]) -> str | None:
    """The competency with the lowest average (ties: alphabetical), or None."""
    if not averages:
        return None
    return min(sorted(averages), key=lambda cid: averages[cid])


def drill_for(competency_id: str | None, scenarios: Iterable[Scenario]) -> Scenario | None:
    """The first scenario that trains this competency (kind then id order), or None."""
    if competency_id is None:
        return None
    order = {"discovery": 0, "objection_handling": 1, "negotiation": 2}
    ranked = sorted(scenarios, key=lambda s: (order.get(s.kind, 9), s.id))
    trains = [s for s in ranked if competency_id in s.competencies]
    return trains[0] if trains else None


def next_drill_id(card: Mapping[str, Any] | None) -> str | None:
    """The scenario id the scorecard suggests next, if any."""
    drill = card.get("next_drill") if isinstance(card, Mapping) else None
    value = drill.get("scenario_id") if isinstance(drill, Mapping) else None
    return value if isinstance(value, str) and value else None
