"""Coaching a rep can use, over many transcripts.

Every calibration case (tests/grader/calibration, replayed or parsed the way grading.calibration
grades it) and every natural rep script (tests/data/rep_scripts/*/natural-*.txt, replayed with
simulator.engine.selfplay_report.run_rep_script) is graded, and its coaching is checked:

- a better line is a complete sentence (capital letter, ends with . ? or !, 6+ words) with no
  unfilled or junk slot ({ }, [ ], an empty quote, "It is”", a quote of 1-2 words, "…");
- a better line is not the buyer's words: not a piece of a buyer line, and no buyer sentence of
  6+ words inside it;
- a better line never rewrites a line that did its job: the close of a call that booked a next step
  with a time, a question the buyer answered at length, a line the buyer answered by revealing a
  fact, explaining a concern, resolving an objection or agreeing to the next step;
- the takeaways lead with the largest gap (weight for this kind of call × checks failed); a weak
  call never leads with a "Keep", and a "Keep" only follows the gaps and is never trivia.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import pytest

from grading import coaching, grade_session
from grading.calibration import Case, load_set
from grading.grader import GradeOptions
from grading.metrics import CallNumbers, compute_numbers
from grading.scorecard import CompetencyScore, Scorecard
from grading.transcript import parse_transcript, to_records
from grading.view import CallView, build_view
from simulator.content.loader import ContentLibrary, load_library
from simulator.engine.replay import play_rep_lines
from simulator.engine.selfplay_report import read_rep_script, run_rep_script
from simulator.engine.state import TurnRecord

CALIBRATION = Path(__file__).parent / "calibration"
SCRIPTS = Path(__file__).parents[1] / "data" / "rep_scripts"
CASES, _EXPECTED = load_set(CALIBRATION)
NATURAL = sorted(f"{p.parent.name}/{p.stem}" for p in SCRIPTS.glob("*/natural-*.txt"))
ALL = [f"calibration:{name}" for name in CASES] + [f"script:{name}" for name in NATURAL]
WEAK = [f"calibration:{name}" for name, case in CASES.items() if case.tier in ("weak", "one_line")]
WEAK_OR_MIXED = [f"calibration:{name}" for name, case in CASES.items() if case.tier in ("weak", "mixed")]

SLOT_MARKERS = ("{", "}", "[", "]", "“”", '""', "It is”", "…")
QUOTE = re.compile(r"“([^”]*)”|\"([^\"]*)\"")
MIN_WORDS = 6
BUYER_SENTENCE_WORDS = 6
WORKED = {"agree_next_step", "resolve_objection", "reveal_fact", "explain_concern"}
"""The buyer's moves that mean the rep's line did its job."""


@dataclass(frozen=True)
class Graded:
    name: str
    tier: str | None
    turns: list[TurnRecord]
    card: Scorecard
    view: CallView
    numbers: CallNumbers

    def rep_pos(self, turn: int) -> int:
        return next(p for p, t in enumerate(self.turns) if int(t.get("index", p)) == turn)

    @property
    def buyer_lines(self) -> list[str]:
        return [t["text"] for t in self.turns if t["speaker"] != "rep"]


@lru_cache(maxsize=1)
def _library() -> ContentLibrary:
    return load_library()


def _case_turns(case: Case, library: ContentLibrary) -> tuple[list[TurnRecord], Scorecard]:
    """The same replay / parse and grade as grading.calibration.grade_case, keeping the transcript."""
    if case.scenario is not None:
        result = play_rep_lines(case.scenario, list(case.rep_lines or []), difficulty=case.difficulty, library=library)
        scenario = library.scenario(case.scenario)
        card = grade_session(result.transcript, scenario=scenario, persona=library.persona(scenario.persona),
                             outcome=result.outcome, llm=None, library=library,
                             options=GradeOptions(difficulty=case.difficulty))
        return result.transcript, card
    parsed = parse_transcript(case.transcript or "", rep=case.rep)
    turns = to_records(parsed)
    card = grade_session(turns, scenario=None, persona=None, outcome=None, llm=None, library=library,
                         options=GradeOptions(rep_speaker=parsed.rep))
    return turns, card


@cache
def graded(key: str) -> Graded:
    library = _library()
    source, name = key.split(":", 1)
    if source == "calibration":
        case = CASES[name]
        turns, card = _case_turns(case, library)
        scenario_id, tier = case.scenario, case.tier
    else:
        scenario_id, stem = name.split("/")
        run = run_rep_script(scenario_id, read_rep_script(SCRIPTS / scenario_id / f"{stem}.txt"), "medium",
                             library=library)
        scenario = library.scenario(scenario_id)
        turns = run.result.transcript
        card = grade_session(turns, scenario=scenario, persona=library.persona(scenario.persona),
                             outcome=run.result.outcome, llm=None, library=library)
        tier = None
    drill = library.scenario(scenario_id) if scenario_id else None
    persona = library.persona(drill.persona) if drill else None
    view = build_view([dict(t) for t in turns], scenario=drill, persona=persona, outcome=None)  # type: ignore[misc]
    return Graded(key, tier, turns, card, view, compute_numbers(view))


def _flat(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").lower()
    return " ".join(re.findall(r"[a-z0-9$%']+", text))


def _shown(g: Graded) -> str:
    b = g.card.better_line
    assert b is not None
    return (f"{g.name}: better line for turn {b.turn} ({b.competency})\n"
            f"  original: {b.original!r}\n  better:   {b.better!r}")


def _slot_problems(better: str) -> list[str]:
    out = [f"unfilled slot marker {m!r}" for m in SLOT_MARKERS if m in better]
    for pair in QUOTE.findall(better):
        quoted = pair[0] or pair[1]
        if len(quoted.split()) <= 2:
            out.append(f"a quote of {len(quoted.split())} word(s): “{quoted}”")
    return out


def _sentence_problems(better: str) -> list[str]:
    out = []
    if not better[:1].isupper():
        out.append("does not start with a capital letter")
    if not better.rstrip().endswith((".", "?", "!")):
        out.append("does not end with . ? or !")
    if len(better.split()) < MIN_WORDS:
        out.append(f"only {len(better.split())} words (needs {MIN_WORDS}+)")
    return out


def _buyer_problems(better: str, buyer_lines: list[str]) -> list[str]:
    out = []
    flat = f" {_flat(better)} "
    for line in buyer_lines:
        if _flat(better) and _flat(better) in _flat(line):
            out.append(f"is a piece of the buyer's line {line!r}")
        for sentence in re.split(r"(?<=[.!?])\s+", line):
            said = _flat(sentence)
            if len(said.split()) >= BUYER_SENTENCE_WORDS and f" {said} " in flat:
                out.append(f"contains the buyer's sentence {sentence!r}")
    return out


# --- better lines ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ALL)
def test_better_line_is_a_complete_sentence_without_empty_slots(key: str) -> None:
    g = graded(key)
    b = g.card.better_line
    if b is None:
        return
    problems = _slot_problems(b.better) + _sentence_problems(b.better)
    assert not problems, _shown(g) + "\n  problems: " + "; ".join(problems)
    assert b.original == g.turns[g.rep_pos(b.turn)]["text"], _shown(g) + "\n  original is not the rep's line verbatim"
    assert g.turns[g.rep_pos(b.turn)]["speaker"] == "rep", _shown(g) + "\n  the cited turn is not the rep's"
    assert _flat(b.better) != _flat(b.original), _shown(g) + "\n  the better line is the rep's own line"


@pytest.mark.parametrize("key", ALL)
def test_better_line_is_not_the_buyers_words(key: str) -> None:
    g = graded(key)
    b = g.card.better_line
    if b is None:
        return
    problems = _buyer_problems(b.better, g.buyer_lines)
    assert not problems, _shown(g) + "\n  problems: " + "; ".join(problems)


@pytest.mark.parametrize("key", ALL)
def test_better_line_never_rewrites_a_line_that_worked(key: str) -> None:
    g = graded(key)
    b = g.card.better_line
    if b is None:
        return
    pos = g.rep_pos(b.turn)
    reply = g.view.response(pos)
    assert reply.move not in WORKED, _shown(g) + f"\n  the buyer's reply was {reply.move!r}: the line did its job"
    if g.view.analyses[pos]["questions"] and reply.answered and reply.move != "hint":
        assert reply.words < 12, _shown(g) + f"\n  the buyer answered this question at length ({reply.words} words)"
    ns = g.numbers.next_step
    if ns.agreed and ns.time:
        close = {p for p in (ns.proposed, ns.timed) if p is not None}
        if ns.agreed_pos is not None:
            close.add(max(p for p in g.view.rep_pos if p < ns.agreed_pos))
        assert pos not in close, (
            _shown(g) + f"\n  this call booked a next step ({ns.time}); turn {b.turn} is its close"
        )


@pytest.mark.parametrize("key", WEAK_OR_MIXED)
def test_weak_and_mixed_calls_get_a_better_line(key: str) -> None:
    g = graded(key)
    failed = [c.name for c in g.card.competencies if any(not ch.passed for ch in c.checks)]
    assert g.card.better_line is not None, f"{g.name}: no better line although {', '.join(failed)} failed checks"


def test_better_lines_are_made_for_most_calls_with_gaps() -> None:
    """Omitting a bad line is right, but a good share of calls with gaps must still get a usable one
    (today about half of them: the strong natural scripts often leave nothing worth rewriting)."""
    with_gaps = [graded(k) for k in ALL if any(not ch.passed for c in graded(k).card.competencies for ch in c.checks)]
    made = [g for g in with_gaps if g.card.better_line is not None]
    assert 3 * len(made) >= len(with_gaps), (
        f"only {len(made)} of {len(with_gaps)} calls with gaps got a better line; none for: "
        + ", ".join(g.name for g in with_gaps if g.card.better_line is None)
    )


# --- takeaways ------------------------------------------------------------------------------------


def _gap(c: CompetencyScore) -> float:
    return round(c.weight * sum(not ch.passed for ch in c.checks), 6)


@pytest.mark.parametrize("key", WEAK)
def test_weak_call_leads_with_its_largest_gap(key: str) -> None:
    g = graded(key)
    shown = f"{g.name}: takeaways {g.card.takeaways}"
    assert g.card.takeaways, shown
    first = g.card.takeaways[0]
    assert first.startswith("Change:"), shown + "\n  the first takeaway of a weak call must be a gap, not a keep"
    biggest = max(_gap(c) for c in g.card.competencies)
    leaders = [c.name for c in g.card.competencies if _gap(c) == biggest]
    assert any(first.startswith(f"Change: {name}") for name in leaders), (
        shown + f"\n  the largest gap (weight × checks failed = {biggest:g}) is {' or '.join(leaders)}"
    )
    assert "greeting" not in first.lower(), shown


@pytest.mark.parametrize("key", ALL)
def test_keeps_follow_the_gaps_and_carry_weight(key: str) -> None:
    g = graded(key)
    takeaways = g.card.takeaways
    shown = f"{g.name}: takeaways {takeaways}"
    assert 1 <= len(takeaways) <= 3, shown
    kinds = [t.split(":", 1)[0] for t in takeaways]
    assert kinds in (
        ["Change", "Change", "Practise next"], ["Change", "Keep", "Practise next"], ["Change", "Practise next"],
        ["Keep", "Practise next"], ["Change", "Change"], ["Change", "Keep"], ["Change"], ["Keep"],
        ["Practise next"],
    ), shown + "\n  expected the gaps first, then a keep, then the drill"
    if any(not ch.passed for c in g.card.competencies for ch in c.checks):
        assert kinds[0] == "Change", shown + "\n  a call with a failed check leads with a gap"
    for keep in [t for t in takeaways if t.startswith("Keep:")] + g.card.went_well:
        if keep == coaching.phrasebook.WELL_DEFAULT:
            continue
        assert not re.search(r"(?i)greeting|filler|respectful|monologue|rep spoke|average rep turn|no pitch", keep), (
            shown + f"\n  went well / keep is trivia: {keep!r}"
        )
        assert "Rapport" not in keep, shown + f"\n  rapport is not a strength that carried weight: {keep!r}"


# --- the pieces, on hand-made lines ----------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "You mentioned “It is”… — what does that mean for you day to day?",
        "Based on what you said about “budget”, the part that matters is [the capability].",
        "Based on what we covered — you said “” — shall we book a time?",
        "Shall we book {time} with your team?",
        "book a call",
        "Shall we book 30 minutes with your team on Tuesday",
    ],
)
def test_problems_rejects_slots_fragments_and_incomplete_lines(line: str) -> None:
    assert coaching.problems(line, []), line


def test_problems_rejects_the_buyers_own_words() -> None:
    buyer = ["If it pays for itself within the year on detention fees alone, I can take that to the board."]
    assert coaching.problems("If it pays for itself within the year on detention fees alone, I can take that.", buyer)
    assert coaching.problems(
        "Great. If it pays for itself within the year on detention fees alone, I can take that to the board. Deal?",
        buyer,
    )
    assert not coaching.problems("You mentioned the board needs a payback within the year. What would it show?", buyer)


def test_close_that_booked_a_time_is_not_rewritten(records: Callable[..., list[TurnRecord]]) -> None:
    turns = records(
        ("rep", "Hi Dana, thanks for the time. How do you plan routes today?"),
        ("buyer", "Spreadsheets. Two dispatchers re-key every order into the routing sheet each morning."),
        ("rep", "Shall we book a demo on Tuesday at 10am?"),
        ("buyer", "Tuesday at 10am works. Send the invite."),
        ("rep", "Great, talk then."),
    )
    card = grade_session(turns, scenario=None, persona=None, outcome=None, llm=None, library=_library())
    closing = card.competency("closing_next_steps")
    assert closing is not None and any(ch.id == "agreed" and ch.passed for ch in closing.checks)
    assert card.better_line is None or card.better_line.turn != 2, card.better_line


def test_closed_question_answered_yes_is_still_rewritten_open(records: Callable[..., list[TurnRecord]]) -> None:
    turns = records(
        ("rep", "Hi Raj, thanks for your time today."),
        ("buyer", "Sure."),
        ("rep", "Do you use spreadsheets to track exceptions?"),
        ("buyer", "Yes."),
        ("rep", "Is the CEO involved?"),
        ("buyer", "Yes."),
        ("rep", "Thanks, bye."),
    )
    card = grade_session(turns, scenario=None, persona=None, outcome=None, llm=None, library=_library())
    assert card.better_line is not None and card.better_line.competency == "discovery_questioning", card.better_line
    assert card.better_line.better == (
        "How do you use spreadsheets to track exceptions today, and where does that fall short?"
    )


def test_weak_call_keep_is_never_the_greeting() -> None:
    card = graded("calibration:discovery_weak").card
    assert not any(t.startswith("Keep:") and "greeting" in t for t in card.takeaways), card.takeaways
    assert card.takeaways[0].startswith("Change: Discovery & questioning"), card.takeaways
