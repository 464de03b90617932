"""The director: explicit buyer state in, the buyer's next move out. Every rule is in code.

The LLM never decides what the buyer reveals, objects to or concedes; it only voices the gist
chosen here. The rules live in :mod:`simulator.engine.rules` (one module per concern) and are
documented for reps in docs/buyer-rules.md:

Trust (0..1)
  +0.05 first greeting or rapport line · +0.05 open question · +0.05 paraphrasing the buyer's
  words · +0.03 acknowledging an open objection · +0.05 resolving an objection ·
  -0.10 a pitch · -0.05 a monologue (≥ 80 words).
Patience (rep turns of poor value left; 0 ends the call)
  -2 a pitch · -1 a closed question right after another closed question · -1 a turn with no
  question, no listening and no proposal · -1 asking again about a fact already told ·
  -1 a response that misses the real concern of an objection, or comes before exploring it.
Small talk (rules/discovery.py ``answer_personal``)
  A personal or off-topic question (a lexicon cue and, by meaning, the ``personal`` topic) is answered
  in character and steered back: rapport once if none yet, no open-question trust, no fact, no
  objection explored; from the third one, -1 patience each.
Hidden facts (rules/discovery.py)
  Told only when the rep asks an open question that probes the fact's topics (or keywords), trust
  ≥ the fact's min_trust (+ the difficulty's shift), and every fact it builds on (``after``) has
  been told: pain first, then its cost. A closed question on the topic gets the fact's hint; a
  pitch never unlocks anything. One fact per turn.
Objections (rules/objections.py; objection-handling drills raise the scenario's objections in
  order, plus the difficulty's extra ones)
  Resolved only when the rep has acknowledged it, explored it (an open or exploring question,
  after which the buyer tells the real concern) and then responded with at least the difficulty's
  number of words that address the concern. A response before exploring gets a push-back.
Negotiation (rules/negotiation.py; prices as fractions of list from the persona's profile,
  opening and walk-away shifted by difficulty)
  The buyer anchors at its opening when the rep first names a price. A concession the rep trades
  for something (an 'if you…' ask) moves the buyer one step up; a concession given for nothing
  moves the buyer nowhere; a firm hold backed by value moves a 'steady' buyer half a step,
  a 'generous' one a full step, a 'firm' one not at all. The buyer accepts when the rep's price is
  within one step of its offer and not above its walk-away, or when the rep accepts its offer.
  Holding above the walk-away after the buyer's final offer twice ends the call with no deal, and
  so does running out of patience (holding a price above the walk-away with nothing new costs 1).
Next steps (rules/closing.py)
  A next step with a concrete time is agreed once the stage allows it (discovery: half the key
  facts told or trust ≥ 0.5; objection handling: every raised objection resolved; negotiation:
  a deal); without a time the buyer asks for one.
"""

from __future__ import annotations

import hashlib
import re

from simulator.content.stock import stock_lines
from simulator.engine import lexicon
from simulator.engine.rules.claims import answer_false_claim
from simulator.engine.rules.closing import end_of_turn, next_step
from simulator.engine.rules.discovery import (
    RECAP_REASON,
    WARM_TRUST,
    answer_personal,
    answer_recap,
    conversation,
    indirect_answer,
    listening,
)
from simulator.engine.rules.negotiation import negotiate, opening_fraction
from simulator.engine.rules.objections import (
    answers_explored_concern,
    handle_objection,
    raise_next_objection,
    response_hits,
    statements,
)
from simulator.engine.rules.turn import TRUST_STEP, DirectorContext, Turn, format_price
from simulator.engine.rules.wording import names_topic, opinion_ask, personal_question, question_part
from simulator.engine.state import KIND_STAGES, BuyerMove, BuyerState
from simulator.engine.understand import RepAnalysis, normalise
from simulator.understanding.rules import find_phrase

__all__ = ["TRUST_STEP", "DirectorContext", "direct", "format_price", "initial_state", "opening_move",
           "response_hits"]


def initial_state(ctx: DirectorContext, seed: int = 0) -> BuyerState:
    """The buyer before the call: base trust/patience shifted by difficulty. ``seed`` (from the
    session id) varies the choice among equally fitting lines between sessions."""
    persona, scenario, variant = ctx.persona, ctx.scenario, ctx.variant
    list_price = scenario.product.list_price if scenario.kind == "negotiation" else None
    ceiling = None
    if list_price is not None and persona.negotiation is not None:
        ceiling = round(list_price * (persona.negotiation.walk_away + variant.walk_away_delta), 2)
    queue = list(scenario.objections)
    queue += [o for o in variant.extra_objections if o not in queue]
    return BuyerState(
        trust=round(min(1.0, max(0.0, persona.base_trust + variant.trust_delta)), 2),
        patience=max(1, persona.base_patience + variant.patience_delta),
        stage=KIND_STAGES[scenario.kind][0],
        turn=0,
        rapport=False,
        facts_revealed=[],
        facts_hinted=[],
        objections_queue=queue,
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
        lines_said=[],
        variety_seed=seed,
    )


def opening_move(ctx: DirectorContext, state: BuyerState) -> tuple[BuyerState, BuyerMove]:
    """The buyer picks up the call."""
    t = Turn(ctx, state)
    t.say("greet", t.line("greeting"), "the call starts")
    return t.s, t.move()


def direct(
    ctx: DirectorContext, state: BuyerState, a: RepAnalysis, rep_text: str
) -> tuple[BuyerState, BuyerMove]:
    """Apply the rules to one rep message and choose the buyer's move."""
    t = Turn(ctx, state, rep_text)
    t.topics = [*a.get("open_topics", []), *a.get("closed_topics", [])]
    t.asks = bool(a.get("questions"))
    t.probed = [*a.get("facts_probed_open", []), *a.get("facts_probed_closed", [])]
    t.personal = t.asks and personal_question(rep_text, t.topics, t.asked, t.probed)
    if t.personal and a["ends_call"] and not statements(rep_text).strip():
        # 'Did you have a good weekend?' asks; it says no goodbye ('Have a good weekend!' does)
        a = {**a, "ends_call": False, "thanks_or_goodbye": False}
        t.reasons.append("a question about the buyer's weekend or day, not a goodbye")
    t.s["turn"] += 1
    if not a.get("understood", True):
        t.say("answer", t.line("not_understood"), "the message has no readable English words: no rule applies")
        end_of_turn(t)
        return t.s, t.move()
    stages = KIND_STAGES[ctx.kind]
    if t.s["stage"] == stages[0] and not (a["greeting"] and a["words"] <= 12 and not a["questions"]):
        t.stage(stages[1], "the rep moved past small talk")

    if a["is_pitch"] and ctx.kind == "objection_handling" and answers_explored_concern(t, rep_text):
        a = {**a, "is_pitch": False}
        t.reasons.append("product facts answering the concern the buyer explained: a response, not a pitch")
    listening(t, a)
    if answer_false_claim(t, a, rep_text):
        end_of_turn(t)
        return t.s, t.move()
    handled = answer_recap(t, a)  # a recap is nothing new: not a response, not an offer
    if not handled:
        handled = answer_personal(t, a)  # small talk: not discovery, not a response, not an offer
    if not handled and ctx.kind == "objection_handling":
        handled = handle_objection(t, a, rep_text)
    elif not handled and ctx.kind == "negotiation":
        handled = negotiate(t, a, rep_text)
    if not handled and not t.s["ended"]:
        conversation(t, a)

    if ctx.kind == "objection_handling" and not t.s["ended"]:
        raise_next_objection(t, a)
    if not t.s["ended"] and a["next_step"] and t.kind not in ("agree_next_step", "walk_away", "accept"):
        next_step(t, a)
    if a["ends_call"] and not t.s["ended"]:
        t.clear()
        t.say("thanks", t.line("thanks"), "the rep said goodbye")
        t.end("rep_goodbye", "the rep said goodbye")

    end_of_turn(t)
    if not t.parts and (indirect := indirect_answer(t)) is not None:
        t.say("hold_back", indirect, "a remark close to a held-back fact, with no question: the buyer names it and "
                                     "keeps it back")
    if not t.parts:
        t.say("answer", t.line("vague_answer"), "nothing in the message called for more")
    restate_position(t)
    address_question(t)
    if not a["paraphrases"]:
        react(t)
    recap = any(r.startswith(RECAP_REASON) for r in t.reasons)  # 'Correct.' before a recap would confirm the claim
    if a["paraphrases"] and not t.s["ended"] and t.kind in ("reveal_fact", "explain_concern", "answer", "hint") \
            and not recap:
        t.parts.insert(0, t.line("reflect"))
        t.reasons.append("the rep reflected the buyer's words: the buyer confirms before going on")
    if t.personal and t.kind == "small_talk" and len(t.parts) == 1 and not t.s["ended"]:
        t.parts.append(t.pick_line("steer_back", stock_lines().steer_back, phrasings=True))
    return t.s, t.move()


DEAL_ASK = re.compile(
    r"\b(?:price|pricing|number|figure|offer|budget|pay|paying|costs?|discount|terms?|gap|deal|no-brainer"
    r"|payment|cheaper|lower|afford|what would it take|what would make|make (?:this|it|that) work)\b")
"""A question about the deal itself, in a negotiation: what the buyer will pay and why."""
REASON_ASK = re.compile(r"\b(?:why|how (?:did|do|does|come)|where (?:did|does|do)|based on|come up with|arrive"
                        r"|get to)\b")
"""Asks how the buyer got to its number."""
STOCK_ANSWERS = frozenset({"answer", "hold_back"})


def restate_position(t: Turn) -> None:
    """Wording only, in a negotiation once the buyer has named its number: a question about the deal
    ('What number were you hoping for?', 'How did you arrive at that figure?', 'Would a longer payment
    term help?') that the rules answer with a stock line gets the buyer's position instead, its offer
    in its own words (its anchor's reasoning while it still stands at the anchor); asked its opinion,
    it gives one and then its number. Nothing moves: no new price, no concession."""
    s, profile = t.s, t.ctx.persona.negotiation
    offer = s.get("buyer_offer")
    if (t.ctx.kind != "negotiation" or profile is None or offer is None or s["deal_price"] is not None
            or s["ended"] or t.kind not in STOCK_ANSWERS or not t.asks or t.fact_id is not None
            or any(r.startswith(RECAP_REASON) for r in t.reasons)):
        return  # a recap of what the buyer told answers a 'what was that number again?' already
    question = normalise(question_part(t.rep_text))
    opinion = bool(opinion_ask(t.rep_text)) or any("opinion" in r for r in t.reasons)
    if not (opinion or t.asked == "budget" or DEAL_ASK.search(question)):
        return
    price = format_price(offer, t.ctx.scenario.product.currency)
    opening = min(round(s["list_price"] * opening_fraction(t), -2), s["buyer_ceiling"] or offer) \
        if s["list_price"] is not None else None
    own = ([profile.anchor_say, *profile.anchor_also] if opening == offer
           else [profile.counter_say, *profile.counter_also])
    # asked how it got there, the buyer gives its reasons: its own lines, not the bare stock restatements
    pool = own if REASON_ASK.search(question) else [*stock_lines().restate_offer, *own]
    line = t.pick_line("restate_offer", pool, {"price": price})
    why = "a question about the deal in a negotiation: the buyer's offer stands"
    if opinion:
        t.parts.append(line)
        t.reasons.append(why)
    else:
        t.clear()
        t.say(t.kind, line, why)
    t.required.append(price)


ADDRESSED_KINDS = frozenset({"answer", "hint", "explain_concern", "push_back", "raise_objection"})
"""Moves whose line may be about something other than the rep's question; the others answer it
(a fact, a held-back line on the topic, a price) or do not follow a question (greeting, goodbye)."""


def address_question(t: Turn) -> None:
    """Wording only: when the rep asked about a topic and the line the rules chose says something
    else (an objection's concern, a hint on another fact, a stock answer), the buyer first deflects
    the question, naming it ('Who signs off? Let's not get into that yet.'), then carries its move
    (the reason goes first, as the words do). Asked for its opinion of the offer ('Would that help?'),
    it first gives one ('Too early to say.'), as the discovery rule does when nothing else is said."""
    if t.s["ended"] or t.kind not in ADDRESSED_KINDS or not t.parts:
        return
    if any(r.startswith(RECAP_REASON) for r in t.reasons):
        return  # asked to repeat: the recap is the answer
    if opinion_ask(t.rep_text) and not any("opinion" in r for r in t.reasons):
        warm = t.s["trust"] >= WARM_TRUST
        t.parts.insert(0, t.opinion(warm))
        t.reasons.insert(0, "the rep asked for an opinion of the offer: the buyer gives one before going on")
        return
    topic = t.asked
    if topic is None:
        return
    if names_topic(" ".join(t.parts), topic):
        return
    fact = t.ctx.persona.fact(t.fact_id) if t.fact_id else None
    if fact is not None and topic in fact.topics:
        return
    if t.kind == "explain_concern" and find_phrase(normalise(t.rep_text), lexicon.EXPLORE_PHRASES):
        return  # 'What's behind that?': the concern is the answer
    # a fact the question probed and the buyer keeps back this turn: its partial answers naming the topic
    # join the deflections ('How we track freight now isn't something I'll unpack yet.')
    partial = [p for f in (t.ctx.persona.fact(i) for i in t.probed)
               if f is not None and f.id not in t.s["facts_revealed"] and f.id != t.fact_id
               for p in f.partial if names_topic(p, topic)]
    t.parts.insert(0, t.deflection(topic, partial))
    t.reasons.insert(0, f"the rep asked about {topic}: the buyer says so before going on")


REACT_SHARE = 2
"""One reaction every REACT_SHARE eligible moves on average (drawn from the session seed and turn)."""


def react(t: Turn) -> None:
    """Wording only: a short reaction to what the rep just did before some moves ('Fair question.'
    before a fact), about every other time, chosen by the session seed and the turn, so two reps who
    earn the same fact do not hear the same line."""
    options = stock_lines().react.get(t.kind, [])
    addressed = any(r.startswith("the rep asked") for r in t.reasons)
    if not options or not t.parts or t.s["ended"] or addressed:
        return
    draw = int(hashlib.sha1(f"{t.s.get('variety_seed', 0)}:{t.s['turn']}".encode()).hexdigest()[:8], 16)
    if draw % REACT_SHARE:
        return
    t.parts.insert(0, t.pick_line(f"react:{t.kind}", options, phrasings=True))
