"""Cross-reference checks over the whole library: ids that point nowhere, stages, topics."""

from __future__ import annotations

from collections.abc import Iterable

from simulator.content.loader import ContentLibrary
from simulator.engine.lexicon import TOPICS
from simulator.engine.state import KIND_STAGES

DEFAULT_COMPETENCIES = (
    "discovery_questioning", "active_listening", "value_articulation", "objection_handling",
    "negotiation", "closing_next_steps", "rapport_communication",
)


def known_competencies() -> tuple[str, ...]:
    """Competency ids from the grader's rubric (falls back to the fixed list if it cannot load)."""
    try:
        from grading.rubric import load_rubric

        return tuple(c.id for c in load_rubric().competencies)
    except ImportError:
        return DEFAULT_COMPETENCIES


def cross_reference_problems(library: ContentLibrary, competencies: Iterable[str] | None = None) -> list[str]:
    """Every broken reference, as 'file: field: reason' lines (empty when all is well)."""
    comps = set(competencies if competencies is not None else known_competencies())
    problems: list[str] = []
    for pid, persona in library.personas.items():
        src = library.sources.get(f"persona:{pid}")
        for i, fact in enumerate(persona.hidden_facts):
            for topic in fact.topics:
                if topic not in TOPICS:
                    problems.append(f"{src}: hidden_facts.{i}.topics: unknown topic {topic!r}; "
                                    f"valid topics: {', '.join(sorted(TOPICS))}")
    for sid, scenario in library.scenarios.items():
        src = library.sources.get(f"scenario:{sid}")
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
        for pid in scenario.persona_ids():
            persona = library.personas.get(pid)
            if persona is None:
                continue
            objection_ids = {o.id for o in persona.objections}
            for i, oid in enumerate(scenario.objections):
                if oid not in objection_ids:
                    problems.append(f"{src}: objections.{i}: persona {pid!r} has no objection {oid!r}; "
                                    f"its objections: {', '.join(sorted(objection_ids)) or '(none)'}")
            if scenario.kind == "negotiation" and persona.negotiation is None:
                problems.append(f"{src}: persona: negotiation drills need a persona with a negotiation "
                                f"profile; {pid!r} has none")
            if scenario.success.min_facts is not None:
                key = [f for f in persona.hidden_facts if f.importance == "key"]
                if scenario.success.min_facts > len(key):
                    problems.append(f"{src}: success.min_facts: {scenario.success.min_facts} is more than "
                                    f"persona {pid!r}'s {len(key)} key facts")
    return problems
