"""Next steps, goodbyes, and what ends a call: patience running out or the turn cap.

A next step with a concrete time is agreed once the stage allows it (discovery: half the key facts
told or trust ≥ 0.5; objection handling: every raised objection resolved; negotiation: a deal);
without a time the buyer asks for one.
"""

from __future__ import annotations

from simulator.engine.rules.turn import Turn
from simulator.engine.state import KIND_STAGES
from simulator.engine.understand import RepAnalysis

NEXT_STEP_TRUST = 0.5
_GOOD_MOVES = ("reveal_fact", "agree_next_step", "accept", "resolve_objection")
"""Moves that are not prefixed with an impatient line even when patience is low."""


def _ready(t: Turn) -> tuple[bool, str]:
    s, sc = t.s, t.ctx.scenario
    if sc.kind == "discovery":
        key_facts = [f for f in t.ctx.persona.hidden_facts if f.importance == "key"]
        told = len([f for f in key_facts if f.id in s["facts_revealed"]])
        ready = told * 2 >= len(key_facts) or s["trust"] >= NEXT_STEP_TRUST
        return ready, f"{told} of {len(key_facts)} key facts told, trust {s['trust']:.2f}"
    if sc.kind == "objection_handling":
        open_ones = [o for o in s["objections_raised"] if o not in s["objections_resolved"]]
        ready = not open_ones and not s["objections_queue"]
        still = ", ".join(open_ones or s["objections_queue"])
        why = "every objection resolved" if ready else f"objections still open: {still}"
        return ready, why
    ready = s["deal_price"] is not None
    return ready, "a deal is agreed" if ready else "no deal yet"


def ready_for_next_step(t: Turn) -> tuple[bool, str]:
    """Whether the stage allows a next step, and why (the rule in the module docstring)."""
    return _ready(t)


def next_step(t: Turn, a: RepAnalysis) -> None:
    """The rep proposed a next step: agree (with a time), ask for a time, or decline."""
    s, sc = t.s, t.ctx.scenario
    ready, why = _ready(t)
    prefix_kept = t.kind in ("reveal_fact", "resolve_objection", "explain_concern")
    if not prefix_kept:
        t.parts.clear()
    if not ready:
        t.say("decline_next_step", t.line("decline_next_step"), f"not ready for a next step: {why}")
        return
    if not a["next_step_time"]:
        t.say("ask_for_time", t.line("ask_for_time"), "a next step was proposed without a concrete time")
        return
    s["next_step"] = a["next_step_time"]
    kind_before = t.kind
    t.say("agree_next_step", t.line("agree_next_step", when=a["next_step_time"]),
          f"next step agreed for {a['next_step_time']}: {why}")
    if not prefix_kept or kind_before == "answer":
        t.kind = "agree_next_step"
    t.changes.append(f"next step booked: {a['next_step_time']}")
    t.stage(KIND_STAGES[sc.kind][-1], "next step booked")


def end_of_turn(t: Turn) -> None:
    """Patience and the turn cap can end the call; low patience shows in the buyer's line."""
    if t.s["ended"]:
        return
    if t.s["patience"] <= 0:
        t.parts.clear()
        profile = t.ctx.persona.negotiation
        if t.ctx.kind == "negotiation" and profile is not None and t.s["buyer_offer"] is not None:
            t.say("walk_away", profile.walk_away_say, "patience ran out during the negotiation")
            t.end("no_deal", "patience reached 0: no deal")
        else:
            t.say("end_call", t.line("end_call"), "patience ran out")
            t.end("patience", "patience reached 0")
    elif t.s["turn"] >= t.ctx.scenario.turn_cap:
        t.say("end_call", t.line("end_call"), f"turn cap of {t.ctx.scenario.turn_cap} reached")
        t.end("turn_cap", "turn cap reached")
    elif t.s["patience"] <= 2 and t.kind not in _GOOD_MOVES:
        t.parts.insert(0, t.line("impatient"))
        t.reasons.append(f"patience is low ({t.s['patience']})")
