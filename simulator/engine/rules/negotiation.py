"""Negotiation: prices as fractions of list from the persona's profile, shifted by difficulty.

The buyer anchors at its opening when the rep first names a price. A concession the rep trades
for something (an 'if you…' ask) moves the buyer one step up; one given for nothing moves it
nowhere; a firm hold backed by value moves a 'steady' buyer half a step, a 'generous' one a full
step, a 'firm' one not at all. The buyer accepts a price within one step of its offer and not above
its walk-away, or when the rep accepts its offer. Holding above the walk-away after the buyer's
final offer twice ends the call with no deal.
"""

from __future__ import annotations

import re

from simulator.engine.rules.turn import Turn, format_price
from simulator.engine.understand import RepAnalysis

HOLD_FACTOR = {"firm": 0.0, "steady": 0.5, "generous": 1.0}
_ACCEPT = re.compile(r"\b(deal|(?<!you )(?<!we )(?<!they )(?<!already )(?<!had )(?<!have )agreed|we have a deal"
                     r"|you've got a deal|we can do that|we can accept|works for us|let's do it|i accept|we accept)\b")
"""The rep accepting the buyer's offer. 'Agreed.' is; 'you agreed…' / 'we agreed…' claims a past
agreement (simulator/engine/rules/claims.py) and is not."""


def rep_accepts(text: str) -> bool:
    """Does the rep accept the buyer's offer (and not merely mention a deal)?"""
    low = text.lower()
    return bool(_ACCEPT.search(low)) and "no deal" not in low and "?" not in low


def top_offer(ceiling: float) -> float:
    """The highest offer the buyer actually makes: offers are whole hundreds, never above the walk-away."""
    return min(round(ceiling, -2), ceiling)


def opening_fraction(t: Turn) -> float:
    """The buyer's opening counter as a fraction of list, after the difficulty shift."""
    profile = t.ctx.persona.negotiation
    assert profile is not None
    return profile.opening + t.ctx.variant.opening_delta


def negotiate(t: Turn, a: RepAnalysis, rep_text: str) -> bool:
    """Prices, concessions and what was traded for them. True when the buyer's line is decided."""
    s, profile, cur = t.s, t.ctx.persona.negotiation, t.ctx.scenario.product.currency
    if profile is None or s["list_price"] is None or s["buyer_ceiling"] is None:
        return False
    list_price, ceiling = s["list_price"], s["buyer_ceiling"]
    step = profile.concession_step * list_price
    accepts = rep_accepts(rep_text) and s["buyer_offer"] is not None and not a["prices"]
    new_price = min(a["prices"]) if a["prices"] else None

    if accepts:
        return deal(t, s["buyer_offer"] or 0.0, "the rep accepted the buyer's offer")
    if new_price is None and not a["concession"]:
        return False
    if new_price is None:
        # A concession with no number (free onboarding, extra months): traded or given away.
        traded = a["asks_in_return"]
        s["concessions"].append({"turn": s["turn"], "from_price": s["rep_price"], "to_price": s["rep_price"],
                                 "traded": traded, "rep_line": rep_text})
        t.changes.append("concession recorded (" + ("traded" if traded else "given for nothing") + ")")
        if traded and s["buyer_offer"] is not None:
            return buyer_moves(t, step, "a concession traded for something in return")
        return False

    previous = s["rep_price"]
    s["rep_price"] = new_price
    if s["buyer_offer"] is None:
        opening = min(round(list_price * opening_fraction(t), -2), ceiling)
        s["buyer_offer"] = opening
        t.price = opening
        t.changes.append(f"buyer anchors at {format_price(opening, cur)}")
        if new_price <= opening:
            return deal(t, new_price, "the rep's first price is at or below the buyer's opening")
        t.say("anchor", t.pick_line("anchor", [profile.anchor_say, *profile.anchor_also], phrasings=True,
                                     values={"price": format_price(opening, cur)}),
              f"first price on the table ({format_price(new_price, cur)}): the buyer anchors low")
        t.required.append(format_price(opening, cur))
        return True

    offer = s["buyer_offer"] or 0.0
    if previous is not None and new_price < previous:
        traded = a["asks_in_return"]
        s["concessions"].append({"turn": s["turn"], "from_price": previous, "to_price": new_price,
                                 "traded": traded, "rep_line": rep_text})
        t.changes.append(f"rep conceded {format_price(previous - new_price, cur)} "
                         + ("in exchange for something" if traded else "for nothing"))
        if new_price <= offer + step and new_price <= ceiling:
            return deal(t, new_price, "the rep's price is within one step of the buyer's offer")
        if traded:
            return buyer_moves(t, step, "a concession traded for something in return")
        t.say("hold", t.pick_line("hold", [profile.hold_say, *profile.hold_also], phrasings=True),
              "a concession given for nothing: the buyer holds and asks for more")
        return True

    # The rep held (or raised) the price.
    if new_price <= offer + step and new_price <= ceiling:
        return deal(t, new_price, "the rep's price is within one step of the buyer's offer")
    if offer >= top_offer(ceiling) - 1e-6 and new_price > ceiling:
        s["pushes_past_walk_away"] += 1
        t.changes.append(f"rep holds above the buyer's walk-away ({s['pushes_past_walk_away']}×)")
        if s["pushes_past_walk_away"] >= 2:
            t.say("walk_away", profile.walk_away_say, "pushed past the walk-away point twice")
            t.end("no_deal", "no deal")
            return True
        t.price = offer
        t.say("counter_offer", t.pick_line("counter", [profile.counter_say, *profile.counter_also], phrasings=True,
                                            values={"price": format_price(offer, cur)}),
              "the buyer is at its walk-away: this is its final offer")
        t.required.append(format_price(offer, cur))
        return True
    factor = HOLD_FACTOR[profile.style] if a["value_points"] else 0.0
    if a["asks_in_return"]:
        factor = 1.0
    if factor == 0.0:
        t.price = offer
        if new_price > ceiling:
            t.patience(-1, "held a price above what the buyer can pay, with nothing new")
        t.say("hold", t.pick_line("hold", [profile.hold_say, *profile.hold_also], phrasings=True),
              "the rep held the price without adding value or a trade")
        return True
    return buyer_moves(t, step * factor, "the rep held the price and backed it with value")


def buyer_moves(t: Turn, step: float, why: str) -> bool:
    """The buyer raises its offer by ``step`` (never past its walk-away or the rep's price)."""
    s, profile, cur = t.s, t.ctx.persona.negotiation, t.ctx.scenario.product.currency
    assert profile is not None and s["buyer_ceiling"] is not None
    offer = s["buyer_offer"] or 0.0
    new_offer = round(min(s["buyer_ceiling"], offer + step, s["rep_price"] or offer + step), -2)
    new_offer = min(new_offer, s["buyer_ceiling"])
    if s["rep_price"] is not None and new_offer >= s["rep_price"]:
        return deal(t, s["rep_price"], why + "; the buyer's move meets the rep's price")
    s["buyer_offer"] = new_offer
    t.price = new_offer
    t.changes.append(f"buyer offer {format_price(offer, cur)} → {format_price(new_offer, cur)} ({why})")
    t.say("counter_offer", t.pick_line("counter", [profile.counter_say, *profile.counter_also], phrasings=True,
                                        values={"price": format_price(new_offer, cur)}), why)
    t.required.append(format_price(new_offer, cur))
    return True


def deal(t: Turn, price: float, why: str) -> bool:
    """Agree a deal at ``price``: the call ends."""
    s, profile, cur = t.s, t.ctx.persona.negotiation, t.ctx.scenario.product.currency
    assert profile is not None
    s["deal_price"] = price
    s["buyer_offer"] = price
    t.price = price
    t.changes.append(f"deal at {format_price(price, cur)}")
    t.say("accept", t.pick_line("accept", [profile.accept_say, *profile.accept_also], phrasings=True,
                                 values={"price": format_price(price, cur)}), why)
    t.required.append(format_price(price, cur))
    t.stage("close", "a deal was agreed")
    t.end("deal", "deal agreed")
    return True
