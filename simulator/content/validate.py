"""Cross-reference checks over the whole library: ids that point nowhere, stages, topics, and
drills that cannot be won as written. Every problem reads 'file: field: reason'."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from simulator.content.competencies import COMPETENCY_IDS
from simulator.content.loader import ContentLibrary
from simulator.content.models import Persona, Scenario
from simulator.engine.lexicon import TOPICS
from simulator.engine.rules.objections import response_hits
from simulator.engine.state import KIND_STAGES

DEFAULT_COMPETENCIES = COMPETENCY_IDS


def known_competencies() -> tuple[str, ...]:
    """Competency ids from the grader's rubric (falls back to the fixed list if it cannot load, e.g.
    when the grader is not installed or its package data cannot be read)."""
    try:
        from grading.rubric import load_rubric

        return tuple(c.id for c in load_rubric().competencies)
    except (ImportError, OSError):
        return DEFAULT_COMPETENCIES


def _waits_on_itself(persona: Persona, fact_id: str) -> bool:
    """Does following ``after`` from this fact lead back to it?"""
    start = persona.fact(fact_id)
    seen: set[str] = set()
    todo = list(start.after) if start else []
    while todo:
        dep = todo.pop()
        if dep == fact_id:
            return True
        if dep not in seen and (other := persona.fact(dep)) is not None:
            seen.add(dep)
            todo.extend(other.after)
    return False


def _persona_problems(src: Path | None, persona: Persona) -> list[str]:
    problems: list[str] = []
    fact_ids = [f.id for f in persona.hidden_facts]
    for i, fact in enumerate(persona.hidden_facts):
        for topic in fact.topics:
            if topic not in TOPICS:
                problems.append(f"{src}: hidden_facts.{i}.topics: unknown topic {topic!r}; "
                                f"valid topics: {', '.join(sorted(TOPICS))}")
        for j, dep in enumerate(fact.after):
            if dep == fact.id:
                problems.append(f"{src}: hidden_facts.{i}.after.{j}: a fact cannot come after itself")
            elif dep not in fact_ids:
                problems.append(f"{src}: hidden_facts.{i}.after.{j}: unknown fact id {dep!r}; "
                                f"this persona's facts: {', '.join(fact_ids)}")
    for i, fact in enumerate(persona.hidden_facts):
        if fact.id not in fact.after and _waits_on_itself(persona, fact.id):
            problems.append(f"{src}: hidden_facts.{i}.after: facts wait on each other in a circle, "
                            "so none of them can ever be told")
    return problems


def _scenario_refs(src: Path | None, scenario: Scenario, library: ContentLibrary,
                   comps: set[str]) -> list[str]:
    problems: list[str] = []
    for field, pid in [("persona", scenario.persona),
                       *((f"allowed_personas.{i}", p) for i, p in enumerate(scenario.allowed_personas))]:
        if pid not in library.personas:
            problems.append(f"{src}: {field}: unknown persona id {pid!r}; valid persona ids: "
                            f"{', '.join(sorted(library.personas))}")
    expected = KIND_STAGES[scenario.kind]
    got = tuple(s.id for s in scenario.stages)
    if got != expected:
        problems.append(f"{src}: stages: a {scenario.kind} scenario has the stages "
                        f"{', '.join(expected)} in that order (got {', '.join(got)})")
    for i, comp in enumerate(scenario.competencies):
        if comp not in comps:
            problems.append(f"{src}: competencies.{i}: unknown competency id {comp!r}; valid ids: "
                            f"{', '.join(sorted(comps))}")
    crit = scenario.success
    needed = crit.min_objections_resolved
    if needed is not None and needed > len(scenario.objections):
        problems.append(f"{src}: success.min_objections_resolved: {needed} is more than "
                        f"the {len(scenario.objections)} objection(s) the drill raises")
    for level, variant in scenario.difficulties.items():
        if variant.extra_objections and scenario.kind != "objection_handling":
            problems.append(f"{src}: difficulties.{level}.extra_objections: only objection_handling drills "
                            "raise objections")
    return problems


def _objection_problems(src: Path | None, scenario: Scenario, persona: Persona) -> list[str]:
    """Every objection the drill raises must exist and be answerable from the product sheet."""
    problems: list[str] = []
    objection_ids = {o.id for o in persona.objections}
    listing = ", ".join(sorted(objection_ids)) or "(none)"
    points = " ".join([*scenario.product.value_points, *scenario.product.proof_points])
    raised: dict[str, int] = {}
    for i, oid in enumerate(scenario.objections):
        if oid not in objection_ids:
            problems.append(f"{src}: objections.{i}: persona {persona.id!r} has no objection {oid!r}; "
                            f"its objections: {listing}")
    for level, variant in scenario.difficulties.items():
        for i, oid in enumerate(variant.extra_objections):
            if oid not in objection_ids:
                problems.append(f"{src}: difficulties.{level}.extra_objections.{i}: persona {persona.id!r} "
                                f"has no objection {oid!r}; its objections: {listing}")
        for oid in [*scenario.objections, *variant.extra_objections]:
            raised[oid] = max(raised.get(oid, 0), variant.min_response_keywords)
    if scenario.kind != "objection_handling":
        return problems
    for oid, needed in raised.items():
        objection = persona.objection(oid)
        if objection is None:
            continue
        hits = response_hits(objection.response_keywords, points)
        if len(hits) < needed:
            problems.append(
                f"{src}: product: no winning answer to {persona.id!r}'s objection {oid!r}: the value and "
                f"proof points cover {len(hits)} of its response_keywords ({', '.join(hits) or 'none'}) and "
                f"a difficulty needs {needed}; add a point that answers: {objection.concern}")
    return problems


def _negotiation_problems(src: Path | None, scenario: Scenario, persona: Persona) -> list[str]:
    profile = persona.negotiation
    if scenario.kind != "negotiation":
        return []
    if profile is None:
        return [f"{src}: persona: negotiation drills need a persona with a negotiation profile; "
                f"{persona.id!r} has none"]
    problems: list[str] = []
    floor = scenario.success.min_price_fraction
    for level, variant in scenario.difficulties.items():
        walk_away = profile.walk_away + variant.walk_away_delta
        opening = profile.opening + variant.opening_delta
        if floor is not None and walk_away < floor:
            problems.append(f"{src}: difficulties.{level}.walk_away_delta: {persona.id!r} would pay at most "
                            f"{walk_away:.0%} of list, below the success floor of {floor:.0%}: the drill "
                            "cannot be won")
        if opening > walk_away or opening <= 0:
            problems.append(f"{src}: difficulties.{level}.opening_delta: the buyer would open at "
                            f"{opening:.0%} of list, which must be above 0 and at most its walk-away "
                            f"({walk_away:.0%})")
    return problems


def cross_reference_problems(library: ContentLibrary, competencies: Iterable[str] | None = None) -> list[str]:
    """Every broken reference or unwinnable drill, as 'file: field: reason' lines (empty when all is well)."""
    comps = set(competencies if competencies is not None else known_competencies())
    problems: list[str] = []
    for pid, persona in library.personas.items():
        problems += _persona_problems(library.sources.get(f"persona:{pid}"), persona)
    for sid, scenario in library.scenarios.items():
        src = library.sources.get(f"scenario:{sid}")
        problems += _scenario_refs(src, scenario, library, comps)
        for pid in scenario.persona_ids():
            cast = library.personas.get(pid)
            if cast is None:
                continue
            problems += _objection_problems(src, scenario, cast)
            problems += _negotiation_problems(src, scenario, cast)
            if scenario.success.min_facts is not None:
                key = [f for f in cast.hidden_facts if f.importance == "key"]
                if scenario.success.min_facts > len(key):
                    problems.append(f"{src}: success.min_facts: {scenario.success.min_facts} is more than "
                                    f"persona {pid!r}'s {len(key)} key facts")
    return problems
