"""Run a self-play conversation through the real session graph and report what happened.

Used by ``sparring selfplay`` and tests/test_selfplay.py: the template backend voices the buyer
(no LLM), so the same rep policy always gets the same conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from simulator.content.loader import ContentLibrary, load_library
from simulator.content.models import Difficulty
from simulator.engine.director import format_price
from simulator.engine.replay import PlayResult, play
from simulator.engine.repview import PublicBrief, RepView
from simulator.engine.selfplay import RepStrength, make_policy
from simulator.engine.state import BuyerState, TurnRecord

DIFFICULTIES: tuple[Difficulty, ...] = ("easy", "medium", "hard")


@dataclass(frozen=True)
class SelfPlay:
    """One self-played call: who played it and what came of it."""

    scenario_id: str
    persona_id: str
    rep: RepStrength
    difficulty: Difficulty
    result: PlayResult

    @property
    def success(self) -> bool:
        return bool(self.result.outcome["success"])

    @property
    def rep_turns(self) -> int:
        return sum(1 for t in self.result.transcript if t["speaker"] == "rep")


def run_selfplay(scenario_id: str, rep: RepStrength, difficulty: Difficulty = "medium", *,
                 persona_id: str | None = None, library: ContentLibrary | None = None) -> SelfPlay:
    """Play one whole call with a scripted rep against the template-voiced buyer."""
    library = library or load_library()
    scenario = library.scenario(scenario_id)
    persona = library.persona(persona_id or scenario.persona)
    brief = PublicBrief.of(scenario, persona)
    policy = make_policy(scenario.kind, rep)

    def step(transcript: list[TurnRecord], _buyer: BuyerState) -> str | None:
        # The buyer state is deliberately ignored: a rep only sees the brief and the words said.
        return policy.next_line(RepView.of(brief, transcript))

    result = play(scenario_id, step, difficulty=difficulty, persona_id=persona.id, library=library)
    return SelfPlay(scenario_id, persona.id, rep, difficulty, result)


def report_lines(run: SelfPlay, library: ContentLibrary, *, transcript: bool = True) -> list[str]:
    """The conversation and its outcome, ending with 'outcome: …' and the criteria met and missed."""
    scenario = library.scenario(run.scenario_id)
    persona = library.persona(run.persona_id)
    buyer, outcome = run.result.buyer, run.result.outcome
    out = [f"self-play: {scenario.id} ({scenario.kind}) · {run.rep} rep · {run.difficulty} · "
           f"buyer {persona.name}, {persona.role}"]
    if transcript:
        for turn in run.result.transcript:
            who = "rep" if turn["speaker"] == "rep" else persona.name.split()[0]
            out.append(f"  {who:>8}: {turn['text']}")
    out.append(f"turns: {run.rep_turns} rep turns (cap {scenario.turn_cap}); ended: {buyer['end_reason']}")
    key = [f.id for f in persona.hidden_facts if f.importance == "key"]
    facts = ", ".join(f + ("" if f in key else " (supporting)") for f in buyer["facts_revealed"])
    out.append(f"facts uncovered: {len(buyer['facts_revealed'])} ({facts or 'none'})")
    if buyer["objections_raised"]:
        resolved = ", ".join(buyer["objections_resolved"]) or "none"
        out.append(f"objections resolved: {len(buyer['objections_resolved'])} of "
                   f"{len(buyer['objections_raised'])} raised ({resolved})")
    if scenario.kind == "negotiation":
        cur = scenario.product.currency
        price = buyer["deal_price"]
        shown = (f"{format_price(price, cur)} ({price / scenario.product.list_price:.0%} of list)"
                 if price is not None else "no deal")
        traded = sum(1 for c in buyer["concessions"] if c["traded"])
        out.append(f"final price: {shown}; concessions: {len(buyer['concessions'])} ({traded} traded)")
    out.append(f"next step: {buyer['next_step'] or 'none'}")
    out.append(f"outcome: {'success' if outcome['success'] else 'failure'}")
    out += [f"  met: {m}" for m in outcome["met"]]
    out += [f"  missed: {m}" for m in outcome["missed"]]
    return out


def matrix(library: ContentLibrary, scenario_ids: Sequence[str] | None = None) -> list[SelfPlay]:
    """Both reps at every difficulty on every (or the given) scenario."""
    ids = list(scenario_ids) if scenario_ids else sorted(library.scenarios)
    return [run_selfplay(sid, rep, d, library=library)
            for sid in ids for rep in ("strong", "weak") for d in DIFFICULTIES]


def matrix_lines(runs: Sequence[SelfPlay]) -> list[str]:
    """One line per scenario: strong and weak outcome and turns at each difficulty, and whether it passes.

    A drill passes when the strong rep succeeds and the weak rep fails at every difficulty."""
    out = ["scenario\tstrong easy/medium/hard\tweak easy/medium/hard\tcheck"]
    by_id: dict[str, list[SelfPlay]] = {}
    for run in runs:
        by_id.setdefault(run.scenario_id, []).append(run)
    for sid, group in by_id.items():
        cells = {}
        for rep in ("strong", "weak"):
            cells[rep] = " ".join(f"{'✓' if r.success else '✗'}{r.rep_turns}"
                                  for r in group if r.rep == rep)
        ok = all(r.success == (r.rep == "strong") for r in group)
        out.append(f"{sid}\t{cells['strong']}\t{cells['weak']}\t{'ok' if ok else 'FAIL'}")
    return out
