"""Cross-reference checks over the whole library: ids that point nowhere, stages, topics, and
drills that cannot be won as written. Every problem reads 'file: field: reason'."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from simulator.content.competencies import COMPETENCY_IDS
from simulator.content.loader import ContentLibrary
from simulator.content.models import BuyerLines, HiddenFact, Persona, Scenario
from simulator.content.stock import names_topic
from simulator.engine.lexicon import TOPICS
from simulator.engine.repview import SUBSTANTIVE_WORDS
from simulator.engine.rules.objections import response_hits
from simulator.engine.state import KIND_STAGES
from simulator.understanding.text import content_words, normalise

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


# ------------------------------------------------------------------ responsive content (variants, depths)

LOCKED_OVERLAP = 0.4
"""A held-back line sharing this share of a fact's content words tells the fact (as in
simulator/engine/acceptance.py's locked-fact check)."""

_NUMBER_WORDS: dict[str, str] = {
    w: str(v) for v, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"])
    if v >= 2
} | {w: str(v) for w, v in (("twenty", 20), ("thirty", 30), ("forty", 40), ("fifty", 50), ("sixty", 60),
                            ("seventy", 70), ("eighty", 80), ("ninety", 90), ("hundred", 100),
                            ("thousand", 1000), ("million", 10**6), ("billion", 10**9))}
"""Spelled-out numbers count as numbers ('fourteen minutes' is the fact's figure). 'one' does not:
it is mostly a pronoun ('one of them')."""
_DIGITS = re.compile(r"\d[\d,.]*\d|\d")
_WORD = re.compile(r"[A-Za-z][A-Za-z'&]*")
_CALENDAR = frozenset(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_PRICE_FIELDS = ("anchor_say", "anchor_also", "counter_say", "counter_also", "accept_say", "accept_also")


def numbers_of(text: str) -> set[str]:
    """The numbers in a line, digits or words ('$310,000' → '310000', 'fourteen' → '14')."""
    found = {n.rstrip(".,").replace(",", "") for n in _DIGITS.findall(text)}
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _NUMBER_WORDS:
            found.add(_NUMBER_WORDS[word])
    return found


def names_of(text: str) -> set[str]:
    """Names and dates in a line: capitalised words inside a sentence ('Lina Chow', 'CISO'), month and
    weekday names and acronyms anywhere. 'I' and sentence-initial words do not count."""
    found: set[str] = set()
    for sentence in re.split(r"(?<!\bMr\.)(?<!\bMs\.)(?<!\bDr\.)(?<=[.!?])\s+", text.strip()):
        for i, m in enumerate(_WORD.finditer(sentence)):
            word = m.group(0).split("'")[0]
            if not word or word == "I":
                continue
            acronym = len(word) >= 2 and word.isupper()
            if (i > 0 and word[0].isupper()) or acronym or word.lower() in _CALENDAR:
                found.add(word)
    return found


def _words(text: str) -> set[str]:
    return {w.split("'")[0].lower() for w in _WORD.findall(text)}


def _public_words(persona: Persona) -> set[str]:
    """Words of what the buyer is openly known by (its profile): names there are not secrets."""
    c = persona.company
    return _words(" ".join([persona.name, persona.role, c.name, c.industry, c.size, c.profile,
                            persona.personality, persona.style, *persona.priorities, *persona.pains]))


def _key(line: str) -> str:
    return normalise(line).rstrip(" .!?")


def _duplicates(src: Path | None, field: str, lines: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    problems = []
    for i, line in enumerate(lines):
        key = _key(line)
        if key in seen:
            problems.append(f"{src}: {field}: line {i} repeats line {seen[key]} ({line!r}); "
                            "each phrasing in a list must be different")
        else:
            seen[key] = i
    return problems


def _fact_lists(fact: HiddenFact) -> list[tuple[str, list[str]]]:
    return [("say/say_also", [fact.say, *fact.say_also]), ("hint/hint_also", [fact.hint, *fact.hint_also]),
            ("partial", list(fact.partial))]


def _leak(line: str, persona: Persona, public: set[str]) -> str | None:
    """What of a hidden fact this held-back line gives away, or None. A number the buyer's public
    profile gives with the same thing counted ('three plants' in the company's size) is no secret, even
    when a fact repeats it; the same number counting something else is."""
    line_words = content_words(line)
    line_numbers = numbers_of(line) - _public_numbers(persona, line_words)
    line_names = set(_WORD.findall(line))
    for fact in persona.hidden_facts:
        for told in (fact.say, *fact.say_also):
            shared = sorted(numbers_of(told) & line_numbers)
            if shared:
                return f"gives away {shared[0]}, a number from hidden fact {fact.id!r}"
            names = sorted(n for n in names_of(told) if n.lower() not in public and n in line_names)
            if names:
                return f"gives away {names[0]!r}, a name or date from hidden fact {fact.id!r}"
            distinctive = content_words(told)
            common = distinctive & line_words
            if len(distinctive) >= 3 and len(common) / len(distinctive) >= LOCKED_OVERLAP:
                return (f"shares {len(common)} of the {len(distinctive)} content words of hidden fact {fact.id!r} "
                        f"({', '.join(sorted(common)[:5])}): that tells the fact")
    return None


def _public_numbers(persona: Persona, line_words: set[str]) -> set[str]:
    """The numbers of the company's size and profile whose clause counts something the line names."""
    c = persona.company
    found: set[str] = set()
    for clause in re.split(r"[,;.]\s+", " ".join([c.size, c.profile])):
        counted = {w for w in content_words(clause) if not numbers_of(w)}
        if counted & line_words:
            found |= numbers_of(clause)
    return found


def _held_back_lines(persona: Persona) -> list[tuple[str, str]]:
    """(field, line) for every line said while facts are locked."""
    out: list[tuple[str, str]] = []
    for i, fact in enumerate(persona.hidden_facts):
        out.append((f"hidden_facts.{i}.hint", fact.hint))
        out += [(f"hidden_facts.{i}.hint_also.{j}", line) for j, line in enumerate(fact.hint_also)]
        out += [(f"hidden_facts.{i}.partial.{j}", line) for j, line in enumerate(fact.partial)]
    lines = persona.lines
    for topic, options in lines.deflect.items():
        out += [(f"lines.deflect.{topic}.{j}", line) for j, line in enumerate(options)]
    for name in ("reflect", "deny_claim", "too_early", "personal"):
        out += [(f"lines.{name}.{j}", line) for j, line in enumerate(getattr(lines, name))]
    return out


def _placeholder_problems(src: Path | None, persona: Persona) -> list[str]:
    """'{when}' only in agree_next_step, '{price}' only in anchor/counter/accept lines: anywhere else the
    braces would be read aloud. (That those lines do contain them, the models check on loading.)"""
    problems: list[str] = []
    spoken: list[tuple[str, str, set[str]]] = []
    for name in BuyerLines.model_fields:
        value = getattr(persona.lines, name)
        allowed = {"{when}"} if name == "agree_next_step" else set()
        if isinstance(value, dict):
            spoken += [(f"lines.{name}.{t}.{j}", line, allowed) for t, opts in value.items()
                       for j, line in enumerate(opts)]
        else:
            spoken += [(f"lines.{name}.{j}", line, allowed) for j, line in enumerate(value)]
    for i, fact in enumerate(persona.hidden_facts):
        for name in ("say", "say_also", "hint", "hint_also", "partial"):
            value = getattr(fact, name)
            for j, line in enumerate([value] if isinstance(value, str) else value):
                spoken.append((f"hidden_facts.{i}.{name}" + ("" if isinstance(value, str) else f".{j}"), line, set()))
    for i, objection in enumerate(persona.objections):
        for name in ("say", "say_also", "concern", "concern_also", "resolved_say", "resolved_also", "push_back",
                     "push_back_also"):
            value = getattr(objection, name)
            for j, line in enumerate([value] if isinstance(value, str) else value):
                spoken.append((f"objections.{i}.{name}" + ("" if isinstance(value, str) else f".{j}"), line, set()))
    if persona.negotiation:
        for name in ("anchor_say", "anchor_also", "counter_say", "counter_also", "accept_say", "accept_also",
                     "hold_say", "hold_also", "walk_away_say"):
            value = getattr(persona.negotiation, name)
            allowed = {"{price}"} if name in _PRICE_FIELDS else set()
            for j, line in enumerate([value] if isinstance(value, str) else value):
                spoken.append((f"negotiation.{name}" + ("" if isinstance(value, str) else f".{j}"), line, allowed))
    for field, line, allowed in spoken:
        for placeholder in _PLACEHOLDER.findall(line):
            if placeholder not in allowed:
                where = ("only agree_next_step fills in {when} and only anchor, counter and accept lines "
                         "fill in {price}")
                problems.append(f"{src}: {field}: {placeholder!r} would be read aloud here ({where})")
    return problems


def _responsive_problems(src: Path | None, persona: Persona) -> list[str]:
    """The responsive content: every phrasing of a fact tells the same fact, held-back lines give
    nothing away, deflections name known topics, no list repeats a line, some responsive content exists."""
    problems: list[str] = []
    public = _public_words(persona)
    for i, fact in enumerate(persona.hidden_facts):
        keep_numbers, keep_names = numbers_of(fact.say), names_of(fact.say)
        for j, line in enumerate(fact.say_also):
            field = f"hidden_facts.{i}.say_also.{j}"
            missing = sorted(keep_numbers - numbers_of(line))
            if missing:
                problems.append(f"{src}: {field}: drops {', '.join(missing)} from say; every phrasing of a fact "
                                "keeps every number of say")
            added = sorted(numbers_of(line) - keep_numbers)
            if added:
                problems.append(f"{src}: {field}: adds {', '.join(added)}, a number say does not have; every "
                                "phrasing tells the same fact")
            lost = sorted(n for n in keep_names if n.lower() not in _words(line))
            if lost:
                problems.append(f"{src}: {field}: drops {', '.join(lost)} from say; every phrasing of a fact "
                                "keeps every name and date of say")
        for label, options in _fact_lists(fact):
            problems += _duplicates(src, f"hidden_facts.{i}.{label}", options)
        for topic in fact.topics if fact.partial else ():
            if topic in TOPICS and not any(names_topic(line, topic) for line in fact.partial):
                problems.append(f"{src}: hidden_facts.{i}.partial: no partial names {topic}, one of the fact's "
                                f"topics: a rep asking about {topic} would hear a deflection instead; add a "
                                "partial with a word from the topic's names in simulator/content/topic_cues.yaml")
    for field, line in _held_back_lines(persona):
        leak = _leak(line, persona, public)
        if leak:
            problems.append(f"{src}: {field}: said while facts are locked, but it {leak}")
        if not field.endswith(".hint") and len(line.split()) >= SUBSTANTIVE_WORDS:
            problems.append(f"{src}: {field}: {len(line.split())} words; a held-back line stays under "
                            f"{SUBSTANTIVE_WORDS} so a rep can tell it from a real answer")
    for i, objection in enumerate(persona.objections):
        for label, options in (("say/say_also", [objection.say, *objection.say_also]),
                               ("concern/concern_also", [objection.concern, *objection.concern_also]),
                               ("resolved_say/resolved_also", [objection.resolved_say, *objection.resolved_also]),
                               ("push_back/push_back_also", [objection.push_back, *objection.push_back_also])):
            problems += _duplicates(src, f"objections.{i}.{label}", options)
    if persona.negotiation:
        n = persona.negotiation
        for label, options in (("anchor_say/anchor_also", [n.anchor_say, *n.anchor_also]),
                               ("counter_say/counter_also", [n.counter_say, *n.counter_also]),
                               ("accept_say/accept_also", [n.accept_say, *n.accept_also]),
                               ("hold_say/hold_also", [n.hold_say, *n.hold_also])):
            problems += _duplicates(src, f"negotiation.{label}", options)
    lines = persona.lines
    for name in BuyerLines.model_fields:
        value = getattr(lines, name)
        if isinstance(value, dict):
            for topic, options in value.items():
                problems += _duplicates(src, f"lines.{name}.{topic}", options)
        else:
            problems += _duplicates(src, f"lines.{name}", value)
    for topic, options in lines.deflect.items():
        if topic not in TOPICS:
            problems.append(f"{src}: lines.deflect.{topic}: unknown topic {topic!r}; valid topics: "
                            f"{', '.join(sorted(TOPICS))}")
            continue
        for j, line in enumerate(options):
            if not names_topic(line, topic):
                problems.append(f"{src}: lines.deflect.{topic}.{j}: {line!r} does not name {topic}: a deflection "
                                "says what was asked ('Budget? Not yet.'); use a word from the topic's names in "
                                "simulator/content/topic_cues.yaml")
    for j, line in enumerate(lines.personal):
        if not names_topic(line, "personal"):
            problems.append(f"{src}: lines.personal.{j}: {line!r} names nothing a personal question asks about: "
                            "an answer to small talk says what it answers ('The weekend? Quiet.'); use a word from "
                            "the names of 'personal' in simulator/content/topic_cues.yaml")
    if not any(lines.deflect.values()) and not any(f.partial for f in persona.hidden_facts):
        problems.append(f"{src}: lines.deflect: no deflections and no partial answers: every question asked "
                        "before trust is earned gets a stock line; add lines.deflect per topic or a "
                        "partial per hidden fact (docs/authoring.md)")
    problems += _placeholder_problems(src, persona)
    return problems


def cross_reference_problems(library: ContentLibrary, competencies: Iterable[str] | None = None) -> list[str]:
    """Every broken reference or unwinnable drill, as 'file: field: reason' lines (empty when all is well)."""
    comps = set(competencies if competencies is not None else known_competencies())
    problems: list[str] = []
    for pid, persona in library.personas.items():
        problems += _persona_problems(library.sources.get(f"persona:{pid}"), persona)
        problems += _responsive_problems(library.sources.get(f"persona:{pid}"), persona)
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
