"""Run a self-play conversation through the real session graph and report what happened.

Used by ``sparring selfplay`` and tests/test_selfplay.py: the template backend voices the buyer
(no LLM), so the same rep policy always gets the same conversation. ``run_rep_script`` plays a
rep script (fixed lines, see :func:`~simulator.engine.selfplay.parse_rep_script`) the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from simulator.content.loader import ContentLibrary, load_library
from simulator.content.models import Difficulty
from simulator.engine.director import format_price
from simulator.engine.replay import PlayResult, play
from simulator.engine.repview import PublicBrief, RepView
from simulator.engine.selfplay import Policy, RepStrength, ScriptedRep, make_policy, parse_rep_script
from simulator.engine.state import BuyerState, TurnRecord
from simulator.errors import SparringError

DIFFICULTIES: tuple[Difficulty, ...] = ("easy", "medium", "hard")


@dataclass(frozen=True)
class SelfPlay:
    """One self-played call: who played it and what came of it."""

    scenario_id: str
    persona_id: str
    rep: str
    """'strong', 'weak', or 'scripted (FILE)' for a rep script."""
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
    kind = library.scenario(scenario_id).kind
    return _play_policy(scenario_id, make_policy(kind, rep), rep, difficulty, persona_id, library)


def run_rep_script(scenario_id: str, lines: Sequence[str], difficulty: str = "medium", *,
                   persona_id: str | None = None, library: ContentLibrary | None = None,
                   label: str = "scripted") -> SelfPlay:
    """Play fixed rep lines against the template-voiced buyer, exactly like the scripted reps.

    The rep says the lines in order whatever the buyer answers. If they run out before the buyer
    ends the call, the rep ends it there and the outcome is judged then. Raises SparringError
    (listing the valid values) for an unknown scenario, persona or difficulty, or no lines."""
    library = library or load_library()
    scenario = library.scenario(scenario_id)
    if difficulty not in scenario.difficulties:
        raise SparringError(f"unknown difficulty {difficulty!r}; valid difficulties: "
                            + ", ".join(d for d in DIFFICULTIES if d in scenario.difficulties))
    if not lines:
        raise SparringError("the rep script has no lines (blank lines and lines starting with # are skipped)")
    return _play_policy(scenario_id, ScriptedRep(list(lines)), label, cast(Difficulty, difficulty),
                        persona_id, library)


def read_rep_script(path: Path) -> list[str]:
    """The rep lines of a script file, or SparringError saying why it cannot be used."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SparringError(f"cannot read the rep script {path}: {exc}") from None
    return parse_rep_script(text)


def _play_policy(scenario_id: str, policy: Policy, label: str, difficulty: Difficulty,
                 persona_id: str | None, library: ContentLibrary) -> SelfPlay:
    scenario = library.scenario(scenario_id)
    persona = library.persona(persona_id or scenario.persona)
    brief = PublicBrief.of(scenario, persona)

    def step(transcript: list[TurnRecord], _buyer: BuyerState) -> str | None:
        # The buyer state is deliberately ignored: a rep only sees the brief and the words said.
        return policy.next_line(RepView.of(brief, transcript))

    result = play(scenario_id, step, difficulty=difficulty, persona_id=persona.id, library=library)
    return SelfPlay(scenario_id, persona.id, label, difficulty, result)


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
