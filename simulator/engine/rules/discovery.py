"""Listening and hidden facts: how the buyer responds to questions, in every kind of drill.

Trust rises with rapport, open questions and paraphrasing and falls with pitching; patience falls
with turns that give the buyer nothing. A hidden fact is told only for an open question on its
topics once trust is high enough and any fact it builds on (``after``) has been told: the pain's
cost comes out only after the pain itself, so depth takes follow-up questions.
"""

from __future__ import annotations

import re

from simulator.content.models import HiddenFact
from simulator.content.stock import stock_lines
from simulator.engine import lexicon
from simulator.engine.rules.choose import fit_scores, line_key, rank_by_fit
from simulator.engine.rules.turn import PERSONAL_KEY, TRUST_STEP, Turn, format_price
from simulator.engine.rules.wording import names_topic, opinion_ask, question_part
from simulator.engine.understand import RepAnalysis, content_words, normalise
from simulator.understanding import phrases
from simulator.understanding.rules import find_phrase

FACT_FIT_MARGIN = 0.15
"""How much worse than the best-fitting probed fact another may fit the question and still count as
asked (embedding cosine; fitting and unfitting facts differ by 0.2–0.4 on the shipped personas)."""
PARTIAL_FIT = 0.3
"""A question this close in meaning to a held-back fact is about it: its partial answers come first."""
RECAP_REASON = "asked to repeat"
"""How a recap's reason starts (the director leaves a recap's words alone: it is the answer)."""
WARM_TRUST = 0.6
"""Trust at which a buyer asked for its opinion of the offer says it might be interested."""


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
    t.say("reveal_fact", t.pick_line(f"fact:{fact.id}", [fact.say, *fact.say_also], phrasings=True), reason)
    sc = t.ctx.scenario
    told = len(t.s["facts_revealed"])
    if sc.kind == "discovery" and sc.success.min_facts is not None and told >= sc.success.min_facts:
        t.stage("next_steps", f"{told} facts uncovered")


def _by_fit(t: Turn, facts: list[HiddenFact]) -> list[HiddenFact]:
    """The probed facts the question is really about, closest first.

    Topic words can match several facts ('How much budget…' matches metrics through 'how much');
    a fact whose text fits the question much worse than the best one (by more than
    ``FACT_FIT_MARGIN``) is not what was asked, so it is neither told nor hinted."""
    if len(facts) < 2:
        return facts
    scores = fit_scores(t.rep_text, [" ".join([f.say, f.hint, *f.topics]) for f in facts])
    best = max(scores)
    ranked = sorted(range(len(facts)), key=lambda i: -scores[i])
    kept = [facts[i] for i in ranked if scores[i] >= best - FACT_FIT_MARGIN]
    dropped = [facts[i].id for i in ranked if scores[i] < best - FACT_FIT_MARGIN]
    if dropped:
        t.reasons.append(f"the question is about '{kept[0].id}', not {', '.join(repr(d) for d in dropped)}")
    return kept


def _recap(t: Turn, fact: HiddenFact) -> str:
    """'Like I said, …': the sentence of an already-told fact that best fits the question."""
    return _recap_text(t, fact.say, f"fact:{fact.id}")


_QUANTITY_ASK = re.compile(r"\b(?:how (?:many|much|long|often|big|far)|what (?:number|figure|percent|percentage|share"
                          r"|rate|amount|median|average|price)|which number)\b", re.IGNORECASE)
_QUANTITY = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty"
                       r"|forty|fifty|hundred|thousand|million|half|double|twice|dozens?)\b", re.IGNORECASE)


def _recap_text(t: Turn, text: str, what: str) -> str:
    """'Like I said, …' with the sentence of ``text`` that best fits the rep's question; asked how many
    or how long, a sentence with the number in it."""
    sentences = [p.strip() for p in re.split(r"(?<=[.!?])\s+", text) if p.strip()]
    if _QUANTITY_ASK.search(question_part(t.rep_text)):
        sentences = [p for p in sentences if _QUANTITY.search(p)] or sentences
    best = sentences[rank_by_fit(t.rep_text, sentences)[0]] if len(sentences) > 1 else sentences[0]
    said = best[0].lower() + best[1:] if best[:2] != "I " and not best[:2].isupper() else best
    return t.pick_line(f"recap:{what}", stock_lines().recap, {"said": said})


def _as_said(t: Turn, phrasings: list[str]) -> str:
    """The phrasing of a line the buyer actually said this session (the first one when none is recorded):
    a recap repeats the buyer's own words, not another phrasing of them."""
    said = set(t.s.get("lines_said", []))
    return next((p for p in phrasings if line_key(p) in said), phrasings[0])


def _asked_to_repeat(t: Turn) -> tuple[str, str] | None:
    """What the rep asks the buyer to repeat ('Sorry, how many hours did you say?'), as (what, text):
    a told fact, an objection's concern or the buyer's own offer — the one sharing most words with
    the question, else the last told. Only the question asks it: 'You mentioned the pagers. What
    happens when one goes unanswered?' builds on what was said and asks something new."""
    if not find_phrase(normalise(question_part(t.rep_text)), phrases.RECAP_ASK):
        return None
    persona, s = t.ctx.persona, t.s
    told: list[tuple[str, str, str]] = []
    for fid in s["facts_revealed"]:
        if (fact := persona.fact(fid)) is not None:
            told.append((f"fact '{fid}'", _as_said(t, [fact.say, *fact.say_also]),
                         " ".join([fact.say, *fact.say_also])))
    for oid, progress in s["objection_progress"].items():
        if (objection := persona.objection(oid)) is not None:
            told.append((f"objection '{oid}'", _as_said(t, [objection.say, *objection.say_also]), objection.say))
            if progress["explored"]:
                concern = [objection.concern, *objection.concern_also]
                told.append((f"the concern behind '{oid}'", _as_said(t, concern), " ".join(concern)))
    if s["buyer_offer"] is not None:
        offer = format_price(s["buyer_offer"], t.ctx.scenario.product.currency)
        told.append(("the buyer's offer", f"I'm at {offer}.", f"number price offer said {offer}"))
    if not told:
        return None
    asked = content_words(t.rep_text)
    overlaps = [len(asked & content_words(words)) for _, _, words in told]
    best = max(range(len(told)), key=lambda i: (overlaps[i], i))
    return told[best][0], told[best][1]


def answer_recap(t: Turn, a: RepAnalysis) -> bool:
    """Asked to repeat something the buyer told ('Sorry, how many engineers did you say?'): a recap of
    it, nothing new, whatever else is going on (an open objection, a price on the table). Repeating a
    number is not a response to an objection or a new offer. True when the buyer's line is decided."""
    if not a["questions"] or (repeat := _asked_to_repeat(t)) is None:
        return False
    what, said = repeat
    t.say("answer", _recap_text(t, said, what), f"{RECAP_REASON} {what}: a recap, nothing new")
    return True


INDIRECT_WORDS = 5
"""A remark without a question this long or longer may be an indirect question ('I imagine you get a lot of
vendor emails')."""


def indirect_answer(t: Turn) -> str | None:
    """Wording only, when the rules found nothing to say: a remark with no question that is close in meaning
    (≥ ``PARTIAL_FIT``) to a held-back fact is an indirect question about it ('I imagine you get a lot of
    vendor emails'); the buyer names it with one of the fact's partial answers and keeps it back. Nothing is
    told: a remark is not an open question."""
    if t.asks or len(t.rep_text.split()) < INDIRECT_WORDS:
        return None
    locked = [f for f in t.ctx.persona.hidden_facts if f.id not in t.s["facts_revealed"] and f.partial]
    if not locked:
        return None
    scores = fit_scores(t.rep_text, [" ".join([f.say, f.hint, *f.topics]) for f in locked])
    best = max(range(len(locked)), key=lambda i: scores[i])
    if scores[best] < PARTIAL_FIT:
        return None
    fact = locked[best]
    return t.pick_line(f"partial:{fact.id}", list(fact.partial), alike=True)


PERSONAL_PATIENCE_FREE = 2
"""Personal questions a buyer answers before more of them cost patience (small talk has its limits)."""
_STATEMENT_WORDS = 12
"""A personal question comes with at most this many words of statement around it (a hello, a thanks);
a message that also argues, answers or proposes is handled by the drill's rules."""


def answer_personal(t: Turn, a: RepAnalysis) -> bool:
    """A personal or off-topic question ('How long have you been in this role?', 'Did you catch the
    game?', set by the director as ``t.personal``): the buyer answers it in character, naming what was
    asked, and tells nothing about the business. Small talk is not discovery: no hidden fact, no hint,
    no open objection explored, no open-question trust; the first one counts as rapport when there was
    none, and from the third on each costs patience. True when the buyer's line is decided."""
    if not t.personal or not a["questions"] or a["is_pitch"] or a["prices"] or a["concession"] or a["next_step"] \
            or a["ends_call"]:
        return False
    statement = _QUESTION_SENTENCE.sub(" ", t.rep_text)
    if len(statement.split()) > _STATEMENT_WORDS:
        return False
    if not t.s["rapport"]:
        t.s["rapport"] = True
        t.trust(TRUST_STEP, "a friendly personal question")
    if t.s["lines_used"].get(PERSONAL_KEY, 0) >= PERSONAL_PATIENCE_FREE:
        t.patience(-1, "more small talk")
    t.say("small_talk", t.deflection(PERSONAL_KEY),
          "a personal or off-topic question: small talk, nothing about the business (no fact, no trust for an "
          "open question)")
    return True


_QUESTION_SENTENCE = re.compile(r"[^.!?]*\?")


def partial_answers(fact: HiddenFact, topic: str | None) -> list[str]:
    """A held-back fact's partial answers that fit a question on ``topic``: those naming it and those
    naming none of the fact's topics ('Paging is a mixed picture here.' answers how clinicians reach
    each other), never one naming only another of its topics (a fact on budget and timing asked about
    timing does not answer 'There's budget for the right tool.')."""
    if topic is None:
        return list(fact.partial)
    return [p for p in fact.partial
            if names_topic(p, topic) or not any(names_topic(p, other) for other in fact.topics)]


def _hold_back(t: Turn, fact: HiddenFact, topics: list[str], why: str) -> None:
    """The middle depth: name what was asked, keep the fact back. A partial answer of the fact that
    fits the topic asked about, else a deflection of that topic. When the question is really about
    the fact (fit ≥ ``PARTIAL_FIT``) its partial answers come first ('How do clinicians reach each
    other today?' → 'Paging is a mixed picture here.'); when it only shares a broad topic with it
    ('How many cafés would need tills?' and the margin fact share 'how many'), they compete with the
    topic's deflections on fit."""
    asked = t.asked
    named = [topic for topic in fact.topics if topic in topics] or topics or list(fact.topics)
    topic = asked or named[0]
    partial = partial_answers(fact, asked)
    fit = fit_scores(t.rep_text, [" ".join([fact.say, fact.hint, *fact.topics])])[0]
    about_it = bool(partial) and fit >= PARTIAL_FIT
    t.say("hold_back", t.deflection(topic, partial, key=f"partial:{fact.id}" if partial else None,
                                    partial_first=about_it), why)


def _name_the_deeper(t: Turn, probed: list[HiddenFact], told: HiddenFact) -> None:
    """Wording only: asked about a fact that builds on the one just told ('How close did you land to
    forecast?' before the forecast process is out), the buyer first names what was asked with a partial
    answer of the deeper fact, then tells the fact it builds on ('We've had a miss. Not getting into
    numbers yet. Forecasting today is a spreadsheet…')."""
    deeper = next((f for f in probed if told.id in f.after and f.id not in t.s["facts_revealed"]), None)
    if deeper is None:
        return
    options = partial_answers(deeper, t.asked) or list(deeper.partial)
    if not options:
        return
    t.parts.insert(0, t.pick_line(f"partial:{deeper.id}", options, alike=True))
    t.reasons.insert(0, f"the rep asked about '{deeper.id}', which builds on '{told.id}': named first, kept back")


def _naming_the_object(lines: list[str], t: Turn) -> list[str]:
    """The short answers that name what a closed question asks about ('Do you use a spreadsheet…?' →
    'A spreadsheet's part of it.'), else all of them. Most shared words first; among those, the line
    naming the question's earliest shared word (the object of 'use' before the 'to track exceptions' that
    says why)."""
    def stems(text: str) -> list[str]:  # 'spreadsheet's' and 'spreadsheets' name 'spreadsheet'
        words = re.findall(r"[a-z][a-z'-]*", normalise(text))
        kept = {w for w in content_words(text) if len(w) >= 4}
        return list(dict.fromkeys(re.sub(r"(?:'s|s)$", "", w) for w in words if w in kept))

    asked = stems(question_part(t.rep_text))

    def score(line: str) -> tuple[int, int]:
        shared = [i for i, w in enumerate(asked) if w in set(stems(line))]
        return (len(shared), -min(shared)) if shared else (0, 0)

    best = max(map(score, lines), default=(0, 0))
    return [line for line in lines if score(line) == best] if best[0] else lines


_NEXT_STEP_ASK = re.compile("|".join(f"(?:{c})" for c in lexicon.NEXT_STEP_ASK))


def _next_step_ask(t: Turn) -> bool:
    """Asked what the next step should be ('Where do we go from here?'), not offered one: a buyer not
    ready for one says so; a ready one asks for a day and a time. Nothing is booked (a next step needs
    the rep's proposal with a time). True when the buyer's line is decided."""
    from simulator.engine.rules.closing import ready_for_next_step

    if not _NEXT_STEP_ASK.search(normalise(question_part(t.rep_text))):
        return False
    ready, why = ready_for_next_step(t)
    if ready:
        t.say("answer", t.line("ask_for_time"), f"asked what the next step is, ready for one ({why}): when?")
    else:
        t.say("answer", t.line("decline_next_step"), f"asked what the next step is, not ready for one: {why}")
    return True


def _opinion(t: Turn) -> None:
    """Asked what it thinks of the offer: too early, or warmer once trust is high."""
    if t.s["trust"] >= WARM_TRUST:
        t.say("answer", t.opinion(warm=True),
              f"asked for an opinion; trust {t.s['trust']:.2f} ≥ {WARM_TRUST}: open to it, no commitment")
    else:
        t.say("answer", t.opinion(warm=False), "asked for an opinion or a commitment before the buyer is convinced")


def _no_topic(t: Turn, key: str) -> str:
    """An open question on no business topic: the persona's stock answers or its small talk,
    whichever fits the question ('How's the café been this week?' is small talk, not a vague
    answer). Closed questions never get small talk: 'Good, thanks.' does not answer one."""
    if t.asked is not None:
        return t.deflection(t.asked)
    lines = t.ctx.persona.lines
    # small talk answers 'How's the café been this week?', never 'Who runs the contact centre?'
    chat = list(lines.small_talk) if re.match(r"\W*how\b", normalise(question_part(t.rep_text))) else []
    return t.pick_line(key, [*getattr(lines, key), *chat])


def conversation(t: Turn, a: RepAnalysis) -> None:
    """Discovery behaviour, shared by every drill: facts for good questions, little for the rest.

    Whatever the rule decides, the words answer what was asked: a fact on the topic, a partial
    answer or in-character deflection naming the topic, a recap of what was already told.
    """
    persona, s = t.ctx.persona, t.s
    if a["is_pitch"]:
        t.say("deflect_pitch", t.line("deflect_pitch"), "the rep pitched: nothing is revealed for a pitch")
        return
    if a["greeting"] and not a["facts_probed_open"] and not a["facts_probed_closed"]:
        t.say("small_talk", t.line("small_talk"), "small talk")
        return
    if answer_recap(t, a):
        return
    if a["open_questions"]:
        t.trust(TRUST_STEP, "an open question")
        probed = _by_fit(t, [f for f in persona.hidden_facts if f.id in a["facts_probed_open"]])
        already = [f for f in probed if f.id in s["facts_revealed"]]
        locked = [f for f in probed if f.id not in s["facts_revealed"]]
        held: list[tuple[HiddenFact, str]] = []
        for fact in locked:
            waiting = _waiting_on(t, fact)
            if waiting:
                why = f"fact '{fact.id}' builds on {', '.join(repr(w) for w in waiting)}, not told yet"
                t.reasons.append(why)
                held.append((fact, why))
                continue
            needed = t.ctx.fact_threshold(fact.min_trust)
            if s["trust"] >= needed:
                _reveal(t, fact, f"open question on {', '.join(fact.topics)} with trust "
                                 f"{s['trust']:.2f} ≥ {needed:.2f}")
                _name_the_deeper(t, locked, fact)
                return
            why = f"fact '{fact.id}' needs trust {needed:.2f}; trust is {s['trust']:.2f}"
            t.reasons.append(why)
            held.append((fact, why))
        if already and not locked:
            t.patience(-1, "asked about something already told")
            t.say("answer", _recap(t, already[0]), "the buyer already told this: a recap, nothing new")
            return
        if held:
            fact, why = held[0]
            _hold_back(t, fact, a["open_topics"], f"open question on {', '.join(fact.topics)}, held back: {why}")
            return
        if a["open_topics"]:
            t.say("hold_back", t.deflection(t.asked or a["open_topics"][0]),
                  f"open question on {a['open_topics'][0]}, where this buyer has nothing to tell")
            return
        if opinion_ask(t.rep_text):
            _opinion(t)
            return
        if _next_step_ask(t):
            return
        t.say("answer", _no_topic(t, "vague_answer"), "open question on no topic the buyer will open up on yet")
        return
    if a["closed_questions"]:
        probed_closed = _by_fit(t, [f for f in persona.hidden_facts if f.id in a["facts_probed_closed"]])
        told = [f for f in probed_closed if f.id in s["facts_revealed"]]
        probed_closed = [f for f in probed_closed if f.id not in s["facts_revealed"]]
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
            t.say("hint", t.pick_line(f"hint:{fact.id}", _naming_the_object([fact.hint, *fact.hint_also], t)),
                  f"closed question on {', '.join(fact.topics)}: a short answer, no detail")
            return
        if told:
            t.say("answer", _recap(t, told[0]), "a closed question on something already told: a recap")
            return
        if opinion_ask(t.rep_text):
            _opinion(t)
            return
        if not a["closed_topics"] and _next_step_ask(t):  # 'Could you put me through to him?'
            return
        if a["closed_topics"]:
            t.say("hold_back", t.deflection(t.asked or a["closed_topics"][0]),
                  f"closed question on {a['closed_topics'][0]}, where this buyer has nothing to tell")
            return
        closed = t.deflection(t.asked) if t.asked is not None else t.closed_answer()
        t.say("answer", closed, "a closed question gets a short answer")
        return
    if a["greeting"] or (a["thanks_or_goodbye"] and a["words"] <= 8):
        t.say("small_talk", t.line("small_talk"), "small talk")
