"""The director: explicit buyer state in, the buyer's next move out. Every rule is here, in code.

The LLM never decides what the buyer reveals, objects to or concedes; it only voices the gist
chosen here. Rules (documented for reps in docs/buyer-rules.md):

Trust (0..1)
  +0.05 first greeting or rapport line · +0.05 open question on a topic · +0.05 paraphrasing the
  buyer's words · +0.03 acknowledging an open objection · +0.05 resolving an objection ·
  -0.10 a pitch · -0.05 a monologue (≥ 80 words).
Patience (rep turns of poor value left; 0 ends the call)
  -2 a pitch · -1 a closed question right after another closed question · -1 a turn with no
  question, no listening and no proposal · -1 asking again about a fact already told ·
  -1 a response that misses the real concern of an objection.
Hidden facts
  Told only when the rep asks an open question that probes the fact's topics (or keywords) and
  trust ≥ the fact's min_trust (+ the difficulty's shift). A closed question on the topic gets
  the fact's hint; a pitch never unlocks anything. One fact per turn.
Objections (objection-handling drills raise the scenario's objections in order)
  Resolved only when the rep has acknowledged it, explored it (an open or exploring question,
  after which the buyer tells the real concern) and then responded with words that address the
  concern. A response before exploring gets a push-back.
Negotiation (prices as fractions of list from the persona's profile, shifted by difficulty)
  The buyer anchors at its opening when the rep first names a price. A concession the rep trades
  for something (an 'if you…' ask) moves the buyer one step up; a concession given for nothing
  moves the buyer nowhere; a firm hold backed by value moves a 'steady' buyer half a step,
  a 'generous' one a full step, a 'firm' one not at all. The buyer accepts when the rep's price is
  within one step of its offer and not above its walk-away, or when the rep accepts its offer.
  Holding above the walk-away after the buyer's final offer twice ends the call with no deal, and
  so does running out of patience (holding a price above the walk-away with nothing new costs 1).
Next steps
  A next step with a concrete time is agreed once the stage allows it (discovery: half the key
  facts told or trust ≥ 0.5; objection handling: every raised objection resolved; negotiation:
  a deal); without a time the buyer asks for one.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from simulator.content.models import DifficultyVariant, Persona, Scenario
from simulator.engine.state import KIND_STAGES, BuyerMove, BuyerState, MoveKind, ObjectionProgress
from simulator.engine.understand import RepAnalysis, content_words

TRUST_STEP = 0.05
_NUMBER = re.compile(r"\$?\d[\d,]*(?:\.\d+)?\s?(?:%|k\b)?")


@dataclass(frozen=True)
class DirectorContext:
    """Who the buyer is and what the drill is: fixed for a session."""

    persona: Persona
    scenario: Scenario
    variant: DifficultyVariant

    @property
    def kind(self) -> str:
        return self.scenario.kind


def format_price(value: float, currency: str = "USD") -> str:
    """'$45,000' style, rounded to whole units (what the buyer says and must say verbatim)."""
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, "")
    text = f"{round(value):,}"
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def initial_state(ctx: DirectorContext) -> BuyerState:
    """The buyer before the call: base trust/patience shifted by difficulty."""
    persona, scenario, variant = ctx.persona, ctx.scenario, ctx.variant
    list_price = scenario.product.list_price if scenario.kind == "negotiation" else None
    ceiling = None
    if list_price is not None and persona.negotiation is not None:
        ceiling = round(list_price * (persona.negotiation.walk_away + variant.walk_away_delta), 2)
    return BuyerState(
        trust=round(min(1.0, max(0.0, persona.base_trust + variant.trust_delta)), 2),
        patience=max(1, persona.base_patience + variant.patience_delta),
        stage=KIND_STAGES[scenario.kind][0],
        turn=0,
        rapport=False,
        facts_revealed=[],
        facts_hinted=[],
        objections_queue=list(scenario.objections),
        objection_active=None,
        objections_raised=[],
        objections_resolved=[],
        objection_progress={},
        list_price=list_price,
        rep_price=None,
        buyer_offer=None,
        buyer_ceiling=ceiling,
        concessions=[],
        pushes_past_walk_away=0,
        deal_price=None,
        next_step=None,
        closed_streak=0,
        ended=False,
        end_reason=None,
        lines_used={},
    )


class _Turn:
    """Accumulates one turn's state changes, reasons and line parts."""

    def __init__(self, ctx: DirectorContext, state: BuyerState) -> None:
        self.ctx = ctx
        self.s: BuyerState = copy.deepcopy(state)
        self.reasons: list[str] = []
        self.changes: list[str] = []
        self.parts: list[str] = []
        self.required: list[str] = []
        self.kind: MoveKind = "answer"
        self.fact_id: str | None = None
        self.objection_id: str | None = None
        self.price: float | None = None

    # --- state changes, each recorded in words ---
    def trust(self, delta: float, why: str) -> None:
        before = self.s["trust"]
        after = round(min(1.0, max(0.0, before + delta)), 2)
        if after != before:
            self.s["trust"] = after
            self.changes.append(f"trust {before:.2f} → {after:.2f} ({why})")

    def patience(self, delta: int, why: str) -> None:
        before = self.s["patience"]
        after = max(0, before + delta)
        if after != before:
            self.s["patience"] = after
            self.changes.append(f"patience {before} → {after} ({why})")

    def stage(self, stage: str, why: str) -> None:
        if self.s["stage"] != stage:
            self.changes.append(f"stage {self.s['stage']} → {stage} ({why})")
            self.s["stage"] = stage

    def end(self, reason: str, why: str) -> None:
        self.s["ended"] = True
        self.s["end_reason"] = reason  # type: ignore[typeddict-item]
        self.changes.append(f"call ends ({why})")

    # --- what the buyer says ---
    def line(self, key: str, **values: str) -> str:
        """Pick the next line of a kind from the persona, rotating deterministically."""
        options: list[str] = getattr(self.ctx.persona.lines, key)
        used = self.s["lines_used"].get(key, 0)
        self.s["lines_used"][key] = used + 1
        text = options[used % len(options)]
        for name, value in values.items():
            text = text.replace("{" + name + "}", value)
            self.required.append(value)
        return text

    def say(self, kind: MoveKind, text: str, reason: str) -> None:
        if not self.parts:
            self.kind = kind
        self.parts.append(text)
        self.reasons.append(reason)

    def move(self) -> BuyerMove:
        gist = " ".join(p.strip() for p in self.parts if p.strip())
        required = list(dict.fromkeys([*self.required, *_numbers_in(gist)]))
        return BuyerMove(kind=self.kind, gist=gist, required=required, fact_id=self.fact_id,
                         objection_id=self.objection_id, price=self.price, reasons=self.reasons,
                         state_changes=self.changes)


def _numbers_in(text: str) -> list[str]:
    return [m.group(0).strip() for m in _NUMBER.finditer(text) if any(c.isdigit() for c in m.group(0))]


def opening_move(ctx: DirectorContext, state: BuyerState) -> tuple[BuyerState, BuyerMove]:
    """The buyer picks up the call."""
    t = _Turn(ctx, state)
    t.say("greet", t.line("greeting"), "the call starts")
    return t.s, t.move()


def direct(ctx: DirectorContext, state: BuyerState, a: RepAnalysis, rep_text: str) -> tuple[BuyerState, BuyerMove]:
    """Apply the rules to one rep message and choose the buyer's move."""
    t = _Turn(ctx, state)
    t.s["turn"] += 1
    stages = KIND_STAGES[ctx.kind]
    if t.s["stage"] == stages[0] and not (a["greeting"] and a["words"] <= 12 and not a["questions"]):
        t.stage(stages[1], "the rep moved past small talk")

    _listening(t, a)
    handled = False
    if ctx.kind == "objection_handling":
        handled = _objections(t, a, rep_text)
    elif ctx.kind == "negotiation":
        handled = _negotiation(t, a, rep_text)
    if not handled and not t.s["ended"]:
        _conversation(t, a)

    if ctx.kind == "objection_handling" and not t.s["ended"]:
        _maybe_raise_next_objection(t, a)
    if not t.s["ended"] and a["next_step"] and t.kind not in ("agree_next_step", "walk_away", "accept"):
        _next_step(t, a)
    if a["thanks_or_goodbye"] and _is_goodbye(rep_text) and not t.s["ended"]:
        t.parts.clear()
        t.reasons.clear()
        t.say("thanks", t.line("thanks"), "the rep said goodbye")
        t.end("rep_goodbye", "the rep said goodbye")

    if not t.s["ended"]:
        if t.s["patience"] <= 0:
            t.parts.clear()
            profile = ctx.persona.negotiation
            if ctx.kind == "negotiation" and profile is not None and t.s["buyer_offer"] is not None:
                t.say("walk_away", profile.walk_away_say, "patience ran out during the negotiation")
                t.end("no_deal", "patience reached 0: no deal")
            else:
                t.say("end_call", t.line("end_call"), "patience ran out")
                t.end("patience", "patience reached 0")
        elif t.s["turn"] >= ctx.scenario.turn_cap:
            t.say("end_call", t.line("end_call"), f"turn cap of {ctx.scenario.turn_cap} reached")
            t.end("turn_cap", "turn cap reached")
        elif t.s["patience"] <= 2 and t.kind not in ("reveal_fact", "agree_next_step", "accept", "resolve_objection"):
            t.parts.insert(0, t.line("impatient"))
            t.reasons.append(f"patience is low ({t.s['patience']})")
    if not t.parts:
        t.say("answer", t.line("vague_answer"), "nothing in the message called for more")
    return t.s, t.move()


def _is_goodbye(text: str) -> bool:
    low = text.lower()
    return any(w in low for w in ("bye", "talk soon", "speak soon", "take care", "have a great", "have a good"))


def _listening(t: _Turn, a: RepAnalysis) -> None:
    """Trust and patience from how the rep converses, whatever the drill."""
    if a["greeting"] and not t.s["rapport"]:
        t.s["rapport"] = True
        t.trust(TRUST_STEP, "a friendly opening")
    if a["paraphrases"]:
        t.trust(TRUST_STEP, "the rep reflected the buyer's words")
    if a["is_pitch"]:
        t.trust(-2 * TRUST_STEP, "a pitch instead of a question")
        t.patience(-2, "a pitch")
    if a["is_monologue"]:
        t.trust(-TRUST_STEP, f"a {a['words']}-word monologue")
    if a["question_kind"] == "closed":
        t.s["closed_streak"] += 1
        if t.s["closed_streak"] >= 2:
            t.patience(-1, "closed question after closed question")
    elif a["question_kind"] == "open":
        t.s["closed_streak"] = 0
    adds_value = (a["questions"] or a["paraphrases"] or a["next_step"] or a["prices"] or a["concession"]
                  or a["greeting"] or a["acknowledges"] or a["thanks_or_goodbye"] or a["value_points"])
    if not adds_value and not a["is_pitch"]:
        t.patience(-1, "a turn with no question, listening or proposal")


def _conversation(t: _Turn, a: RepAnalysis) -> None:
    """Discovery behaviour, shared by every drill: facts for good questions, little for the rest."""
    persona, s = t.ctx.persona, t.s
    if a["is_pitch"]:
        t.say("deflect_pitch", t.line("deflect_pitch"), "the rep pitched: nothing is revealed for a pitch")
        return
    if a["greeting"] and not a["facts_probed_open"] and not a["facts_probed_closed"]:
        t.say("small_talk", t.line("small_talk"), "small talk")
        return
    if a["open_questions"]:
        t.trust(TRUST_STEP, "an open question")
        probed = [f for f in persona.hidden_facts if f.id in a["facts_probed_open"]]
        already = [f for f in probed if f.id in s["facts_revealed"]]
        locked = [f for f in probed if f.id not in s["facts_revealed"]]
        for fact in locked:
            needed = round(min(1.0, max(0.0, fact.min_trust + t.ctx.variant.fact_trust_delta)), 2)
            if s["trust"] >= needed:
                s["facts_revealed"].append(fact.id)
                t.fact_id = fact.id
                t.changes.append(f"fact '{fact.id}' revealed")
                t.say("reveal_fact", fact.say,
                      f"open question on {', '.join(fact.topics)} with trust {s['trust']:.2f} ≥ {needed:.2f}")
                _after_fact(t)
                return
            t.reasons.append(f"fact '{fact.id}' needs trust {needed:.2f}; trust is {s['trust']:.2f}")
        if already and not locked:
            t.patience(-1, "asked about something already told")
            t.say("answer", t.line("vague_answer"), "the buyer already told this")
            return
        t.say("answer", t.line("vague_answer"), "open question, but on no locked topic the buyer will open up on yet")
        return
    if a["closed_questions"]:
        probed_closed = [f for f in persona.hidden_facts
                         if f.id in a["facts_probed_closed"] and f.id not in s["facts_revealed"]]
        for fact in probed_closed:
            if fact.requires == "any" and s["trust"] >= fact.min_trust + t.ctx.variant.fact_trust_delta:
                s["facts_revealed"].append(fact.id)
                t.fact_id = fact.id
                t.changes.append(f"fact '{fact.id}' revealed")
                t.say("reveal_fact", fact.say, "a direct question on a fact the buyer shares freely")
                _after_fact(t)
                return
        if probed_closed:
            fact = probed_closed[0]
            if fact.id not in s["facts_hinted"]:
                s["facts_hinted"].append(fact.id)
            t.fact_id = fact.id
            t.say("hint", fact.hint, f"closed question on {', '.join(fact.topics)}: a short answer, no detail")
            return
        t.say("answer", t.line("closed_answer"), "a closed question gets a short answer")
        return
    if a["greeting"] or (a["thanks_or_goodbye"] and a["words"] <= 8):
        t.say("small_talk", t.line("small_talk"), "small talk")


def _after_fact(t: _Turn) -> None:
    """Discovery drills move to next steps once enough facts are told."""
    sc = t.ctx.scenario
    if sc.kind == "discovery" and sc.success.min_facts is not None and len(t.s["facts_revealed"]) >= sc.success.min_facts:
        t.stage("next_steps", f"{len(t.s['facts_revealed'])} facts uncovered")


def _next_step(t: _Turn, a: RepAnalysis) -> None:
    s, sc = t.s, t.ctx.scenario
    key_facts = [f for f in t.ctx.persona.hidden_facts if f.importance == "key"]
    if sc.kind == "discovery":
        told = len([f for f in key_facts if f.id in s["facts_revealed"]])
        ready = told * 2 >= len(key_facts) or s["trust"] >= 0.5
        why = f"{told} of {len(key_facts)} key facts told, trust {s['trust']:.2f}"
    elif sc.kind == "objection_handling":
        open_ones = [o for o in s["objections_raised"] if o not in s["objections_resolved"]]
        ready = not open_ones and not s["objections_queue"]
        why = "every objection resolved" if ready else f"objections still open: {', '.join(open_ones or s['objections_queue'])}"
    else:
        ready = s["deal_price"] is not None
        why = "a deal is agreed" if ready else "no deal yet"
    if t.kind in ("reveal_fact", "resolve_objection", "explain_concern"):
        prefix_kept = True
    else:
        prefix_kept = False
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


# ----------------------------------------------------------------------------- objections

def _progress(t: _Turn, oid: str) -> ObjectionProgress:
    return t.s["objection_progress"].setdefault(
        oid, ObjectionProgress(acknowledged=False, explored=False, responded=False))


def _objections(t: _Turn, a: RepAnalysis, rep_text: str) -> bool:
    """Handle the open objection, if any. Returns True when the buyer's line is decided."""
    s = t.s
    oid = s["objection_active"]
    if oid is None:
        return False
    objection = next(o for o in t.ctx.persona.objections if o.id == oid)
    prog = _progress(t, oid)
    if a["acknowledges"] and not prog["acknowledged"]:
        prog["acknowledged"] = True
        t.trust(0.03, f"acknowledged the {objection.type} objection")
    hits = response_hits(objection.response_keywords, rep_text)
    addresses = bool(hits)
    if hits:
        t.reasons.append(f"the rep's answer addresses {', '.join(hits[:3])}")
    if a["is_pitch"] and not addresses:
        t.say("deflect_pitch", objection.push_back, "a pitch does not answer the objection")
        return True
    if not prog["explored"] and a["explores"]:
        prog["explored"] = True
        t.objection_id = oid
        t.changes.append(f"objection '{oid}' explored")
        t.say("explain_concern", objection.concern, "the rep explored the objection: the real concern comes out")
        return True
    if addresses and not prog["explored"]:
        t.patience(-1, "answered before understanding the concern")
        t.objection_id = oid
        t.say("push_back", objection.push_back, "a response before exploring what is behind the objection")
        return True
    if addresses and prog["explored"]:
        prog["responded"] = True
    if prog["acknowledged"] and prog["explored"] and prog["responded"]:
        s["objections_resolved"].append(oid)
        s["objection_active"] = None
        t.objection_id = oid
        t.trust(TRUST_STEP, f"objection '{oid}' resolved")
        t.changes.append(f"objection '{oid}' resolved")
        t.say("resolve_objection", objection.resolved_say,
              "acknowledged, explored and answered the real concern")
        if not s["objections_queue"]:
            t.stage("next_steps", "every objection resolved")
        return True
    if prog["explored"] and not addresses and not a["questions"]:
        t.patience(-1, "the answer missed the real concern")
        t.objection_id = oid
        missing = "acknowledge it" if not prog["acknowledged"] else "address the real concern"
        t.say("push_back", objection.push_back, f"the objection is still open: the rep has yet to {missing}")
        return True
    if prog["explored"] and addresses and not prog["acknowledged"]:
        t.objection_id = oid
        t.say("push_back", objection.push_back, "the answer came without acknowledging the concern")
        return True
    return False


def _maybe_raise_next_objection(t: _Turn, a: RepAnalysis) -> None:
    s = t.s
    if s["objection_active"] is not None or not s["objections_queue"]:
        return
    if s["turn"] < 1 or (a["greeting"] and a["words"] <= 12 and not a["questions"] and not s["objections_raised"]):
        return
    if t.kind in ("reveal_fact", "explain_concern") and not s["objections_raised"]:
        return
    oid = s["objections_queue"].pop(0)
    objection = next(o for o in t.ctx.persona.objections if o.id == oid)
    s["objection_active"] = oid
    s["objections_raised"].append(oid)
    _progress(t, oid)
    t.objection_id = oid
    t.changes.append(f"objection '{oid}' raised")
    if t.kind in ("answer", "small_talk") and t.parts:
        t.parts.clear()
        t.reasons.clear()
    t.say("raise_objection", objection.say, f"the drill's next objection ({objection.type})")
    if t.kind != "raise_objection" and len(t.parts) == 1:
        t.kind = "raise_objection"


# ----------------------------------------------------------------------------- negotiation

def _negotiation(t: _Turn, a: RepAnalysis, rep_text: str) -> bool:
    """Prices, concessions and what was traded for them. True when the buyer's line is decided."""
    s, profile, cur = t.s, t.ctx.persona.negotiation, t.ctx.scenario.product.currency
    if profile is None or s["list_price"] is None or s["buyer_ceiling"] is None:
        return False
    list_price, ceiling = s["list_price"], s["buyer_ceiling"]
    step = profile.concession_step * list_price
    rep_accepts = _rep_accepts(rep_text) and s["buyer_offer"] is not None and not a["prices"]
    new_price = min(a["prices"]) if a["prices"] else None

    if rep_accepts:
        return _deal(t, s["buyer_offer"] or 0.0, "the rep accepted the buyer's offer")
    if new_price is None and not a["concession"]:
        return False
    if new_price is None:
        # A concession with no number (free onboarding, extra months): traded or given away.
        traded = a["asks_in_return"]
        s["concessions"].append({"turn": s["turn"], "from_price": s["rep_price"], "to_price": s["rep_price"],
                                 "traded": traded, "rep_line": rep_text})
        t.changes.append("concession recorded (" + ("traded" if traded else "given for nothing") + ")")
        if traded and s["buyer_offer"] is not None:
            return _buyer_moves(t, step, "a concession traded for something in return")
        return False

    previous = s["rep_price"]
    s["rep_price"] = new_price
    if s["buyer_offer"] is None:
        opening = round(list_price * profile.opening, -2)
        s["buyer_offer"] = opening
        t.price = opening
        t.changes.append(f"buyer anchors at {format_price(opening, cur)}")
        if new_price <= opening:
            return _deal(t, new_price, "the rep's first price is at or below the buyer's opening")
        t.say("anchor", profile.anchor_say.replace("{price}", format_price(opening, cur)),
              f"first price on the table ({format_price(new_price, cur)}): the buyer anchors low")
        t.required.append(format_price(opening, cur))
        return True

    if previous is not None and new_price < previous:
        traded = a["asks_in_return"]
        s["concessions"].append({"turn": s["turn"], "from_price": previous, "to_price": new_price,
                                 "traded": traded, "rep_line": rep_text})
        t.changes.append(f"rep conceded {format_price(previous - new_price, cur)} "
                         + ("in exchange for something" if traded else "for nothing"))
        if new_price <= (s["buyer_offer"] or 0) + step and new_price <= ceiling:
            return _deal(t, new_price, "the rep's price is within one step of the buyer's offer")
        if traded:
            return _buyer_moves(t, step, "a concession traded for something in return")
        t.say("hold", profile.hold_say, "a concession given for nothing: the buyer holds and asks for more")
        return True

    # The rep held (or raised) the price.
    offer = s["buyer_offer"] or 0.0
    if new_price <= offer + step and new_price <= ceiling:
        return _deal(t, new_price, "the rep's price is within one step of the buyer's offer")
    if offer >= ceiling - 1e-6 and new_price > ceiling:
        s["pushes_past_walk_away"] += 1
        t.changes.append(f"rep holds above the buyer's walk-away ({s['pushes_past_walk_away']}×)")
        if s["pushes_past_walk_away"] >= 2:
            t.say("walk_away", profile.walk_away_say, "pushed past the walk-away point twice")
            t.end("no_deal", "no deal")
            return True
        t.price = offer
        t.say("counter_offer", profile.counter_say.replace("{price}", format_price(offer, cur)),
              "the buyer is at its walk-away: this is its final offer")
        t.required.append(format_price(offer, cur))
        return True
    factor = {"firm": 0.0, "steady": 0.5, "generous": 1.0}[profile.style] if a["value_points"] or a["asks_in_return"] else 0.0
    if a["asks_in_return"]:
        factor = 1.0
    if factor == 0.0:
        t.price = offer
        if new_price > ceiling:
            t.patience(-1, "held a price above what the buyer can pay, with nothing new")
        t.say("hold", profile.hold_say, "the rep held the price without adding value or a trade")
        return True
    return _buyer_moves(t, step * factor, "the rep held the price and backed it with value")


def _buyer_moves(t: _Turn, step: float, why: str) -> bool:
    s, profile, cur = t.s, t.ctx.persona.negotiation, t.ctx.scenario.product.currency
    assert profile is not None and s["buyer_ceiling"] is not None
    offer = s["buyer_offer"] or 0.0
    new_offer = round(min(s["buyer_ceiling"], offer + step, s["rep_price"] or offer + step), -2)
    new_offer = min(new_offer, s["buyer_ceiling"])
    if s["rep_price"] is not None and new_offer >= s["rep_price"]:
        return _deal(t, s["rep_price"], why + "; the buyer's move meets the rep's price")
    s["buyer_offer"] = new_offer
    t.price = new_offer
    t.changes.append(f"buyer offer {format_price(offer, cur)} → {format_price(new_offer, cur)} ({why})")
    t.say("counter_offer", profile.counter_say.replace("{price}", format_price(new_offer, cur)), why)
    t.required.append(format_price(new_offer, cur))
    return True


def _deal(t: _Turn, price: float, why: str) -> bool:
    s, profile, cur = t.s, t.ctx.persona.negotiation, t.ctx.scenario.product.currency
    assert profile is not None
    s["deal_price"] = price
    s["buyer_offer"] = price
    t.price = price
    t.changes.append(f"deal at {format_price(price, cur)}")
    t.say("accept", profile.accept_say.replace("{price}", format_price(price, cur)), why)
    t.required.append(format_price(price, cur))
    t.stage("close", "a deal was agreed")
    t.end("deal", "deal agreed")
    return True


_ACCEPT = re.compile(r"\b(deal|agreed|we have a deal|you've got a deal|we can do that|we can accept|works for us|let's do it|i accept|we accept)\b")


def _rep_accepts(text: str) -> bool:
    low = text.lower()
    return bool(_ACCEPT.search(low)) and "no deal" not in low and "?" not in low


def response_hits(keywords: list[str], rep_text: str) -> list[str]:
    """Which of an objection's response keywords the rep's message contains."""
    words = content_words(rep_text)
    low = rep_text.lower()
    return [k for k in keywords if (k.lower() in low if " " in k else any(w.startswith(k.lower()) for w in words))]
