"""Checks for how the rep talks and listens: discovery, listening, value, rapport.

Each check's text and thresholds live in rubric.yaml; see :mod:`grading.checks` for the contract.
"""

from __future__ import annotations

from grading import signals
from grading.checks import CheckOutcome, Params, register_check, too_short, turns_text
from grading.metrics import CallNumbers
from grading.view import CallView, statement_text
from simulator.engine.understand import content_words, words_of

# --- discovery_questioning ------------------------------------------------------------------


@register_check("discovery_questioning", "digs_deeper")
def _digs_deeper(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    """SPIN's implication questions: follow-ups that build on what the buyer just said, answered."""
    asked = [q for q in view.rep_pos if view.analyses[q]["questions"]]
    deeper = tuple(
        q for q in asked
        if q in view.prev_buyer
        and view.content(q) & view.content(view.prev_buyer[q])
        and not parrots(view, q)
        and view.response(q).answered
    )
    hopping = tuple(q for q in asked if q not in deeper and view.response(q).answered)
    return CheckOutcome(
        len(deeper) >= p["min"],
        f"{len(deeper)} answered question turn(s) build on the buyer's previous answer "
        f"({turns_text(view, deeper)}); {len(hopping)} move on to a new topic instead",
        deeper[:2],
        hopping[:2] if len(deeper) < p["min"] else (),
    )


@register_check("discovery_questioning", "opens_up")
def _opens_up(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    """The first rung: an open question that gets the buyer to tell something real."""
    told = tuple(q for q in view.rep_pos if view.analyses[q]["questions"] and view.response(q).substantive)
    what = "a hidden fact or concern" if view.session else "12+ words"
    return CheckOutcome(
        bool(told),
        f"the buyer told {what} in reply to {len(told)} question turn(s) ({turns_text(view, told)})",
        told[:2],
    )


@register_check("discovery_questioning", "open_share")
def _open_share(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    a = view.analyses
    opened = tuple(q for q in view.rep_pos if a[q]["open_questions"])
    closed = tuple(q for q in view.rep_pos if a[q]["closed_questions"] and not a[q]["open_questions"])
    ok = n.questions > 0 and n.open_share >= p["min"]
    return CheckOutcome(
        ok, f"{n.open_questions} of {n.questions} questions open ({n.open_share:g}%)", opened[:2], closed[:2]
    )


@register_check("discovery_questioning", "uncovers")
def _uncovers(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    if n.facts is not None:  # the key facts, counted as on every other page (simulator/content/facts.py)
        need = n.facts.needed if n.facts.needed else p["min"]
        reveals = [pos for pos, m in view.moves if m["kind"] == "reveal_fact"]
        before = tuple(max((r for r in view.rep_pos if r < pos), default=-1) for pos in reveals)
        return CheckOutcome(
            n.facts.found >= need,
            f"uncovered {n.facts.found} of {n.facts.total} key facts (needs {need:g})",
            tuple(b for b in before if b >= 0)[:2],
        )
    deep = tuple(
        q for q in view.rep_pos
        if view.analyses[q]["open_questions"] and view.response(q).substantive
        and {"impact", "goals", "pain", "metrics"} & set(view.analyses[q]["open_topics"])
    )
    told = tuple(q for q in view.rep_pos if view.analyses[q]["open_questions"] and view.response(q).substantive)
    ok = bool(deep) or len(told) >= p["min"]
    return CheckOutcome(
        ok,
        f"the buyer opened up (12+ words) on {len(told)} open question(s), {len(deep)} on pain, impact or goals",
        (deep or told)[:2],
    )


# --- active_listening -----------------------------------------------------------------------


PARROT_RUN = 6
"""A run of this many of the buyer's words, verbatim, is repeating, not reflecting."""


def parrots(view: CallView, q: int) -> bool:
    """The rep's line repeats the buyer's last line: a verbatim run of 6+ of their words, or their
    content words with almost nothing of the rep's own. Worked out once per line (several checks ask)."""
    found = view.parroting.get(q)
    if found is None:
        found = view.parroting[q] = _parrots(view, q)
    return found


def _parrots(view: CallView, q: int) -> bool:
    prev = view.prev_buyer.get(q)
    if prev is None:
        return False
    mine, theirs = view.content(q), view.content(prev)
    if len(mine & theirs) >= 3 and len(mine - theirs) < 3:
        return True
    said = words_of(view.lows[prev])
    runs = {" ".join(said[i:i + PARROT_RUN]) for i in range(len(said) - PARROT_RUN + 1)}
    rep = words_of(view.lows[q])
    return any(" ".join(rep[i:i + PARROT_RUN]) in runs for i in range(len(rep) - PARROT_RUN + 1))


@register_check("active_listening", "reflects")
def _reflects(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    found = tuple(q for q in n.reflect_pos if not parrots(view, q) and not view.response(q).negative)
    parroted = tuple(q for q in view.rep_pos if parrots(view, q))
    detail = f"reflected the buyer's words in {turns_text(view, found)}, and the buyer went on"
    if parroted:
        detail += (f"; parroted the buyer's line back in {turns_text(view, parroted)}"
                   " (more parroting than reflecting fails)")
    return CheckOutcome(len(found) >= p["min"] and len(parroted) <= len(found), detail, found[:2], parroted[:2])


@register_check("active_listening", "talk_share")
def _talk_share(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    short = too_short(n)
    if short:
        return short
    against = (n.longest_pos,) if n.longest_pos is not None and n.talk_ratio > p["max"] else ()
    return CheckOutcome(
        n.talk_ratio <= p["max"], f"rep spoke {n.talk_ratio:g}% of the {n.talk_basis}", (), against
    )


@register_check("active_listening", "no_monologue")
def _no_monologue(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    short = too_short(n)
    if short:
        return short
    long_turns = tuple(q for q in view.rep_pos if view.analyses[q]["words"] > p["max"])
    detail = f"longest rep turn {n.longest_words} words (~{n.longest_seconds:g} s)"
    return CheckOutcome(not long_turns, detail, (), long_turns[:2])


@register_check("active_listening", "follow_up")
def _follow_up(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    found = tuple(
        q
        for q in view.rep_pos
        if view.analyses[q]["questions"]
        and q in view.prev_buyer
        and view.content(q) & view.content(view.prev_buyer[q])
        and not parrots(view, q)
        and view.response(q).answered
    )
    return CheckOutcome(
        len(found) >= p["min"],
        f"{len(found)} question turn(s) build on the buyer's last words and get an answer ({turns_text(view, found)})",
        found[:2],
    )


# --- value_articulation ---------------------------------------------------------------------


@register_check("value_articulation", "tailored")
def _tailored(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    heard: set[str] = set()
    product = view.scenario.product.name if view.scenario else None
    fact_seen = False
    found: list[int] = []
    moves = dict(view.moves)
    for pos, turn in enumerate(view.turns):
        if turn["speaker"] != "rep":
            heard |= view.content(pos)
            fact_seen = fact_seen or (pos in moves and moves[pos]["kind"] == "reveal_fact")
            continue
        statement = statement_text(turn["text"])
        if len(words_of(statement.lower())) < 8 or not signals.has_value_cue(statement, product):
            continue
        if view.response(pos).negative:
            continue
        if len(content_words(statement) & heard) >= 2 or (fact_seen and view.analyses[pos]["value_points"]):
            found.append(pos)
    return CheckOutcome(
        bool(found), f"value tied to the buyer's situation in {turns_text(view, found)}", tuple(found[:2])
    )


@register_check("value_articulation", "specific")
def _specific(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    proofs = [content_words(pp) for pp in view.scenario.product.proof_points] if view.scenario else []
    found: list[int] = []
    heard = ""
    for q, turn in enumerate(view.turns):
        if turn["speaker"] != "rep":
            heard += " " + turn["text"]
            continue
        statement = statement_text(turn["text"])
        if len(words_of(statement.lower())) < 8 or view.response(q).negative:
            continue
        discounts = " ".join(f"{d:g}" for d in view.analyses[q]["discount_pcts"])
        if signals.has_proof(statement, f"{heard} {discounts}") or any(
            len(pw & content_words(statement)) >= 3 for pw in proofs
        ):
            found.append(q)
    return CheckOutcome(
        bool(found), f"concrete numbers or proof in {turns_text(view, found)}", tuple(found[:2])
    )


@register_check("value_articulation", "earned_pitch")
def _earned_pitch(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    short = too_short(n)
    if short:
        return short
    pitches = [q for q in view.rep_pos if view.analyses[q]["is_pitch"]]
    if not pitches:
        return CheckOutcome(True, "no pitch turn")
    asked = sum(view.analyses[q]["questions"] for q in view.rep_pos if q < pitches[0])
    return CheckOutcome(
        asked >= p["min"],
        f"first pitch at turn {view.number(pitches[0])} after {asked} question(s)",
        (),
        (pitches[0],),
    )


@register_check("value_articulation", "few_pitches")
def _few_pitches(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    short = too_short(n)
    if short:
        return short
    pitches = tuple(q for q in view.rep_pos if view.analyses[q]["is_pitch"])
    return CheckOutcome(
        len(pitches) <= p["max"],
        f"{len(pitches)} pitch turn(s) ({turns_text(view, pitches)})",
        (),
        pitches[:2] if len(pitches) > p["max"] else (),
    )


# --- rapport_communication ------------------------------------------------------------------


@register_check("rapport_communication", "warm_open")
def _warm_open(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    first = view.rep_pos[0] if view.rep_pos else None
    rude = tuple(q for q in view.rep_pos if signals.rude(view.lows[q]))
    greeted = first is not None and view.analyses[first]["greeting"]
    ok = greeted and not rude
    detail = ("greeting in the first turn" if greeted else "no greeting in the first turn") + (
        f"; rude or dismissive in {turns_text(view, rude)}" if rude else ", respectful throughout")
    return CheckOutcome(
        ok,
        detail,
        (first,) if ok and first is not None else (),
        rude[:2] or (() if greeted or first is None else (first,)),
    )


@register_check("rapport_communication", "low_fillers")
def _low_fillers(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    short = too_short(n)
    if short:
        return short
    heavy = tuple(q for q in view.rep_pos if view.analyses[q]["fillers"] >= 2)
    return CheckOutcome(
        n.filler_rate <= p["max"], f"{n.fillers} filler(s), {n.filler_rate:g} per 100 words", (), heavy[:2]
    )


@register_check("rapport_communication", "concise")
def _concise(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    short = too_short(n)
    if short:
        return short
    ok = n.avg_turn_words <= p["max"]
    return CheckOutcome(
        ok,
        f"average rep turn {n.avg_turn_words:g} words",
        (),
        () if ok or n.longest_pos is None else (n.longest_pos,),
    )


@register_check("rapport_communication", "engaged")
def _engaged(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    short = too_short(n)
    if short:
        return short
    if view.session:
        impatient = [pos for pos, m in view.moves if m["kind"] == "impatient"]
        hung_up = bool(view.final_state and view.final_state.get("end_reason") == "patience")
        before = tuple(max((r for r in view.rep_pos if r < pos), default=-1) for pos in impatient)
        ok = not impatient and not hung_up
        detail = (
            "the buyer stayed patient"
            if ok
            else f"the buyer grew impatient {len(impatient)} time(s)" + (" and hung up" if hung_up else "")
        )
        return CheckOutcome(ok, detail, (), tuple(b for b in before if b >= 0)[:2])
    # Real call: the buyer stays in the conversation. Objections are engagement (a buyer who argues is
    # still talking); refusing more than once, ending on a refusal or mostly not answering is not.
    replies = [view.response(q) for q in view.rep_pos if view.response(q).exists]
    refused = tuple(r.rep_pos for r in replies if r.acts.get("refuses"))
    answered = sum(r.answered for r in replies)
    last = replies[-1] if replies else None
    last_refuses = last is not None and bool(last.acts.get("refuses"))
    ok = bool(replies) and len(refused) <= 1 and not last_refuses and 2 * answered >= len(replies)
    detail = (f"the buyer answered {answered} of {len(replies)} rep turn(s) and refused {len(refused)} time(s)"
              + ("; the buyer's last word was a refusal" if last_refuses else ""))
    return CheckOutcome(ok, detail, () if not ok else (view.rep_pos[-1],), refused[:2])
