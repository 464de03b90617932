"""Did the call meet the scenario's success criteria? Each criterion is reported met or missed."""

from __future__ import annotations

from simulator.content.models import Persona, Scenario
from simulator.engine.director import format_price
from simulator.engine.state import BuyerState, Outcome


def evaluate_outcome(scenario: Scenario, persona: Persona, buyer: BuyerState) -> Outcome:
    """Check every success criterion of the scenario against the final buyer state."""
    crit = scenario.success
    met: list[str] = []
    missed: list[str] = []

    def check(ok: bool, text: str) -> None:
        (met if ok else missed).append(text)

    key_facts = [f.id for f in persona.hidden_facts if f.importance == "key"]
    told = [f for f in buyer["facts_revealed"] if f in key_facts]
    if crit.min_facts is not None:
        check(len(told) >= crit.min_facts,
              f"uncover at least {crit.min_facts} of {len(key_facts)} key facts ({len(told)} uncovered)")
    if crit.next_step_with_time:
        check(buyer["next_step"] is not None,
              "book a next step with a concrete time"
              + (f" (booked: {buyer['next_step']})" if buyer["next_step"] else " (none booked)"))
    if crit.min_objections_resolved is not None:
        n = len(buyer["objections_resolved"])
        check(n >= crit.min_objections_resolved,
              f"resolve at least {crit.min_objections_resolved} objection(s) ({n} resolved)")
    currency = scenario.product.currency
    if crit.deal_required:
        check(buyer["deal_price"] is not None,
              "reach a deal" + (f" (at {format_price(buyer['deal_price'], currency)})"
                                if buyer["deal_price"] is not None else " (no deal)"))
    if crit.min_price_fraction is not None:
        list_price = scenario.product.list_price
        floor = crit.min_price_fraction * list_price
        price = buyer["deal_price"]
        shown = (f"{format_price(price, currency)} = {price / list_price:.0%} of list"
                 if price is not None else "no deal")
        check(price is not None and price >= floor - 0.5,
              f"close at {crit.min_price_fraction:.0%} of list ({format_price(floor, currency)}) "
              f"or better ({shown})")
    if crit.all_concessions_traded:
        untraded = [c for c in buyer["concessions"] if not c["traded"]]
        check(not untraded,
              "trade every concession for something in return"
              + (f" ({len(untraded)} given for nothing)" if untraded
                 else f" ({len(buyer['concessions'])} traded)"))

    summary = {
        "facts_uncovered": list(buyer["facts_revealed"]),
        "key_facts_total": len(key_facts),
        "objections_raised": list(buyer["objections_raised"]),
        "objections_resolved": list(buyer["objections_resolved"]),
        "next_step": buyer["next_step"],
        "deal_price": buyer["deal_price"],
        "list_price": buyer["list_price"],
        "concessions": len(buyer["concessions"]),
        "untraded_concessions": len([c for c in buyer["concessions"] if not c["traded"]]),
        "end_reason": buyer["end_reason"],
        "final_trust": buyer["trust"],
        "final_patience": buyer["patience"],
    }
    return Outcome(success=not missed, met=met, missed=missed, summary=summary)
