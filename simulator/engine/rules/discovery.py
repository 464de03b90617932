"""Listening and hidden facts: how the buyer responds to questions, in every kind of drill.

Trust rises with rapport, open questions and paraphrasing and falls with pitching; patience falls
with turns that give the buyer nothing. A hidden fact is told only for an open question on its
topics once trust is high enough and any fact it builds on (``after``) has been told: the pain's
cost comes out only after the pain itself, so depth takes follow-up questions.
"""

from __future__ import annotations

from simulator.content.models import HiddenFact
from simulator.engine.rules.turn import TRUST_STEP, Turn
from simulator.engine.understand import RepAnalysis


def listening(t: Turn, a: RepAnalysis) -> None:
    """Trust and patience from how the rep converses, whatever the drill."""
    if a["greeting"] and not t.s["rapport"]:
        t.s["rapport"] = True
        t.trust(TRUST_STEP, "a friendly opening")
    if a["paraphrases"]:
        t.trust(TRUST_STEP, "the rep reflected the buyer's words")
    if a["is_pitch"]:
        t.trust(-2 * TRUST_STEP, "a pitch instead of a question")
        t.patience(-2, "a pitch")
    if a.get("rude"):
        t.trust(-2 * TRUST_STEP, "a rude or dismissive remark")
        t.patience(-1, "a rude or dismissive remark")
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


def _waiting_on(t: Turn, fact: HiddenFact) -> list[str]:
    """The facts this one builds on that the buyer has not told yet."""
    return [f for f in fact.after if f not in t.s["facts_revealed"]]


def _reveal(t: Turn, fact: HiddenFact, reason: str) -> None:
    t.s["facts_revealed"].append(fact.id)
    t.fact_id = fact.id
    t.changes.append(f"fact '{fact.id}' revealed")
    t.say("reveal_fact", fact.say, reason)
    sc = t.ctx.scenario
    told = len(t.s["facts_revealed"])
    if sc.kind == "discovery" and sc.success.min_facts is not None and told >= sc.success.min_facts:
        t.stage("next_steps", f"{told} facts uncovered")


def conversation(t: Turn, a: RepAnalysis) -> None:
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
            waiting = _waiting_on(t, fact)
            if waiting:
                t.reasons.append(f"fact '{fact.id}' builds on {', '.join(repr(w) for w in waiting)}, "
                                 "not told yet")
                continue
            needed = t.ctx.fact_threshold(fact.min_trust)
            if s["trust"] >= needed:
                _reveal(t, fact, f"open question on {', '.join(fact.topics)} with trust "
                                 f"{s['trust']:.2f} ≥ {needed:.2f}")
                return
            t.reasons.append(f"fact '{fact.id}' needs trust {needed:.2f}; trust is {s['trust']:.2f}")
        if already and not locked:
            t.patience(-1, "asked about something already told")
            t.say("answer", t.line("vague_answer"), "the buyer already told this")
            return
        t.say("answer", t.line("vague_answer"),
              "open question, but on no locked topic the buyer will open up on yet")
        return
    if a["closed_questions"]:
        probed_closed = [f for f in persona.hidden_facts
                         if f.id in a["facts_probed_closed"] and f.id not in s["facts_revealed"]]
        for fact in probed_closed:
            if (fact.requires == "any" and not _waiting_on(t, fact)
                    and s["trust"] >= t.ctx.fact_threshold(fact.min_trust)):
                _reveal(t, fact, "a direct question on a fact the buyer shares freely")
                return
        if probed_closed:
            fact = probed_closed[0]
            if fact.id not in s["facts_hinted"]:
                s["facts_hinted"].append(fact.id)
            t.fact_id = fact.id
            t.say("hint", fact.hint,
                  f"closed question on {', '.join(fact.topics)}: a short answer, no detail")
            return
        t.say("answer", t.line("closed_answer"), "a closed question gets a short answer")
        return
    if a["greeting"] or (a["thanks_or_goodbye"] and a["words"] <= 8):
        t.say("small_talk", t.line("small_talk"), "small talk")
