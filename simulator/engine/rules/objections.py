"""Objection handling: the buyer raises the drill's objections in order, one at a time.

An objection is resolved only when the rep has acknowledged it, explored it (an open or exploring
question, after which the buyer tells the real concern) and then answered with words that address
that concern: at least ``min_response_keywords`` of the objection's response keywords (the
difficulty sets how many). An answer before exploring gets a push-back and costs patience.
"""

from __future__ import annotations

import re

from simulator.content.models import Objection
from simulator.engine import lexicon
from simulator.engine.rules.choose import fit_scores
from simulator.engine.rules.turn import TRUST_STEP, Turn
from simulator.engine.state import ObjectionProgress
from simulator.engine.understand import RepAnalysis, content_words, normalise
from simulator.understanding.rules import find_phrase

ACK_TRUST = 0.03
RELATED_TOPICS: dict[str, frozenset[str]] = {
    "price": frozenset({"budget", "impact", "metrics"}),
    "timing": frozenset({"timeline", "team"}),
    "authority": frozenset({"decision_process"}),
    "need": frozenset({"pain", "current_solution", "goals", "impact"}),
    "trust": frozenset({"risk", "competition"}),
    "competitor": frozenset({"competition", "current_solution", "budget"}),
    "status_quo": frozenset({"current_solution", "pain", "risk", "team"}),
}
"""Question topics that bear on an objection of each type."""
RELATED_FIT = 0.35
"""A question this close in meaning (embedding cosine) to the objection or its concern explores it."""


def explores(t: Turn, a: RepAnalysis, objection: Objection) -> bool:
    """Does the rep's message explore this objection? An exploring phrase ('what's behind that?')
    does; so does an open question on no particular topic ('Why?', 'How so?'), or on a topic that
    bears on the objection, or close in meaning to it. An open question about something else
    ('How close did you land to forecast?' against an adoption worry) is answered as a question
    and leaves the objection open."""
    if not a["explores"]:
        return False
    if find_phrase(normalise(t.rep_text), lexicon.EXPLORE_PHRASES) or not a["open_topics"]:
        return True
    if set(a["open_topics"]) & RELATED_TOPICS.get(objection.type, frozenset()):
        return True
    fit = fit_scores(t.rep_text, [" ".join([objection.say, objection.concern])])[0]
    return fit >= RELATED_FIT


def _fact_fits_better(t: Turn, a: RepAnalysis, texts: list[str]) -> str | None:
    """The hidden fact an open question is about, when it fits the question better (embedding cosine)
    than any of ``texts`` (what the buyer said of the objection): 'How close did you land to forecast
    last quarter?' against an overlap objection asks about the forecast, and is answered as a question."""
    probed = [f for f in t.ctx.persona.hidden_facts if f.id in a["facts_probed_open"]]
    if not probed or not a["open_questions"]:
        return None
    scores = fit_scores(t.rep_text, [*texts, *(" ".join([f.say, f.hint, *f.topics]) for f in probed)])
    best = max(range(len(probed)), key=lambda i: scores[len(texts) + i])
    return probed[best].id if scores[len(texts) + best] > max(scores[: len(texts)]) else None


_QUESTION_SENTENCE = re.compile(r"[^.!?]*\?")


def statements(rep_text: str) -> str:
    """The message without its question sentences (those ending in '?')."""
    return _QUESTION_SENTENCE.sub(" ", rep_text)


def response_hits(keywords: list[str], rep_text: str) -> list[str]:
    """Which of an objection's response keywords the rep's message contains."""
    words = content_words(rep_text)
    low = rep_text.lower()
    return [k for k in keywords
            if (k.lower() in low if " " in k else any(w.startswith(k.lower()) for w in words))]


def _progress(t: Turn, oid: str) -> ObjectionProgress:
    return t.s["objection_progress"].setdefault(
        oid, ObjectionProgress(acknowledged=False, explored=False, responded=False))


def _objection(t: Turn, oid: str) -> Objection:
    objection = t.ctx.persona.objection(oid)
    assert objection is not None, f"validated content has objection {oid!r}"
    return objection


def answers_explored_concern(t: Turn, rep_text: str) -> bool:
    """The rep's message answers the real concern of the open objection, once it was explored.

    Product facts aimed at the concern the buyer just told are the 'respond' step of handling an
    objection, not a pitch, even when they run long (docs/buyer-rules.md)."""
    oid = t.s["objection_active"]
    if oid is None or not _progress(t, oid)["explored"]:
        return False
    hits = response_hits(_objection(t, oid).response_keywords, rep_text)
    return len(hits) >= t.ctx.variant.min_response_keywords


def _said(t: Turn, objection: Objection, part: str) -> str:
    """One phrasing of an objection's line (``say``, ``concern``, ``push_back`` or ``resolved``)."""
    first = {"say": objection.say, "concern": objection.concern, "push_back": objection.push_back,
             "resolved": objection.resolved_say}[part]
    also: list[str] = getattr(objection, f"{part}_also")
    return t.pick_line(f"objection:{objection.id}:{part}", [first, *also], phrasings=True)


def handle_objection(t: Turn, a: RepAnalysis, rep_text: str) -> bool:
    """Handle the open objection, if any. Returns True when the buyer's line is decided."""
    s = t.s
    oid = s["objection_active"]
    if oid is None:
        return False
    objection = _objection(t, oid)
    prog = _progress(t, oid)
    if a["acknowledges"] and not prog["acknowledged"]:
        prog["acknowledged"] = True
        t.trust(ACK_TRUST, f"acknowledged the {objection.type} objection")
    hits = response_hits(objection.response_keywords, rep_text)
    needed = t.ctx.variant.min_response_keywords
    touches, addresses = bool(hits), len(hits) >= needed
    names_it = touches  # the message uses the objection's own terms: it is about the objection
    if touches and not prog["explored"] and not response_hits(objection.response_keywords, statements(rep_text)):
        # 'What would worry you about a managed service?' asks; it answers nothing yet
        t.reasons.append(f"the rep asks about {', '.join(hits[:3])}: a question, not a response")
        hits, touches, addresses = [], False, False
    if hits:
        t.reasons.append(f"the rep's answer addresses {', '.join(hits[:3])}")
    if a["is_pitch"] and not touches:
        t.say("deflect_pitch", _said(t, objection, "push_back"), "a pitch does not answer the objection")
        return True
    exploring_phrase = bool(find_phrase(normalise(rep_text), lexicon.EXPLORE_PHRASES))
    told = [" ".join([objection.say, objection.concern]), objection.say, *objection.say_also]
    if prog["explored"]:
        told += [objection.concern, *objection.concern_also]
    if not names_it and not exploring_phrase and (fact_id := _fact_fits_better(t, a, told)) is not None:
        t.reasons.append(f"the question is about '{fact_id}', not the {objection.type} objection: answered as a "
                         "question, the objection stays open")
        return False
    if (not prog["explored"] and not touches and a["closed_questions"] and not a["open_questions"]
            and names_it):
        t.objection_id = oid
        t.say("answer", _said(t, objection, "say"),
              "a closed question about the open objection: the buyer restates it, nothing new")
        return True
    if not prog["explored"] and (explores(t, a, objection) or (names_it and a["open_questions"] > 0)):
        prog["explored"] = True
        t.objection_id = oid
        t.changes.append(f"objection '{oid}' explored")
        t.say("explain_concern", _said(t, objection, "concern"),
              "the rep explored the objection: the real concern comes out")
        return True
    if touches and not prog["explored"]:
        t.patience(-1, "answered before understanding the concern")
        t.objection_id = oid
        t.say("push_back", _said(t, objection, "push_back"), "a response before exploring what is behind the objection")
        return True
    if addresses and prog["explored"]:
        prog["responded"] = True
    if prog["acknowledged"] and prog["explored"] and prog["responded"]:
        s["objections_resolved"].append(oid)
        s["objection_active"] = None
        t.objection_id = oid
        t.trust(TRUST_STEP, f"objection '{oid}' resolved")
        t.changes.append(f"objection '{oid}' resolved")
        t.say("resolve_objection", _said(t, objection, "resolved"),
              "acknowledged, explored and answered the real concern")
        if not s["objections_queue"]:
            t.stage("next_steps", "every objection resolved")
        return True
    if prog["explored"] and touches and not addresses:
        t.objection_id = oid
        t.say("push_back", _said(t, objection, "push_back"),
              f"the answer covers {len(hits)} of the {needed} points this buyer needs to hear")
        return True
    if prog["explored"] and not touches and not a["questions"]:
        t.patience(-1, "the answer missed the real concern")
        t.objection_id = oid
        missing = "acknowledge it" if not prog["acknowledged"] else "address the real concern"
        t.say("push_back", _said(t, objection, "push_back"),
              f"the objection is still open: the rep has yet to {missing}")
        return True
    if prog["explored"] and addresses and not prog["acknowledged"]:
        t.objection_id = oid
        t.say("push_back", _said(t, objection, "push_back"), "the answer came without acknowledging the concern")
        return True
    if prog["explored"] and not touches and a["open_questions"] and asks_about_concern(t, a, objection):
        t.objection_id = oid
        t.say("explain_concern", _said(t, objection, "concern"),
              "asked again about the concern it explained: the buyer says it again in other words, nothing new")
        return True
    return False


def asks_about_concern(t: Turn, a: RepAnalysis, objection: Objection) -> bool:
    """After the concern is out, an open question that explores the objection ('So who exactly do you
    defend it to?') or is close in meaning to the concern ('What did your reps say about the tools?')."""
    concern = [objection.concern, *objection.concern_also]
    if _fact_fits_better(t, a, concern) is not None:
        return False
    return explores(t, a, objection) or max(fit_scores(t.rep_text, concern)) >= RELATED_FIT


def raise_next_objection(t: Turn, a: RepAnalysis) -> None:
    """Raise the next queued objection once none is open and the call is under way."""
    s = t.s
    if s["objection_active"] is not None or not s["objections_queue"]:
        return
    just_hello = a["greeting"] and a["words"] <= 12 and not a["questions"]
    if s["turn"] < 1 or (just_hello and not s["objections_raised"]):
        return
    if t.kind in ("reveal_fact", "explain_concern") and not s["objections_raised"]:
        return
    oid = s["objections_queue"].pop(0)
    objection = _objection(t, oid)
    s["objection_active"] = oid
    s["objections_raised"].append(oid)
    _progress(t, oid)
    t.objection_id = oid
    t.changes.append(f"objection '{oid}' raised")
    personal = t.personal and t.kind == "small_talk"  # the answer to a personal question stays, then the objection
    if t.kind in ("answer", "small_talk") and t.parts and not personal:
        t.clear()
    t.say("raise_objection", _said(t, objection, "say"), f"the drill's next objection ({objection.type})")
    if t.kind != "raise_objection" and (len(t.parts) == 1 or personal):
        t.kind = "raise_objection"
