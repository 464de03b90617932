"""Conversation metrics computed in code, each beside its published benchmark where one exists.

:func:`compute_numbers` is the fast part (plain numbers, used by the checks); :func:`metric_entries`
turns them into scorecard entries with units, benchmarks and sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grading import events
from grading.delivery import DeliveryNumbers, delivery_numbers
from grading.scorecard import Metric, MetricValue
from grading.view import WORDS_PER_MINUTE, CallView, speech_seconds
from simulator.content.facts import FactCount, count_facts, fact_label

GONG_TALK = "Gong Labs, 25,537 calls (2016; updated Mar 2025)"
GONG_QUESTIONS = "Gong Labs, 519,000 discovery calls"
GONG_MONOLOGUE = "Gong Labs, 121,828 meetings"
GONG_RATE = "secondary source citing Gong"
GONG_PAUSE = "secondary source citing Gong, 67,149 calls"
VOICE_ONLY = "voice practice only: needs the rep's spoken word timings"


@dataclass
class CallNumbers:
    """Plain numbers about the call (no formatting)."""

    rep_turns: int = 0
    rep_words: int = 0
    buyer_words: int = 0
    talk_ratio: float = 0.0
    talk_basis: str = "words"
    questions: int = 0
    open_questions: int = 0
    open_share: float = 0.0
    question_thirds: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    longest_pos: int | None = None
    longest_words: int = 0
    longest_seconds: float = 0.0
    seconds_measured: bool = False
    """Every rep line has measured speaking time (voice practice, or a transcript with seconds)."""
    buyer_seconds_estimated: int = 0
    """Buyer lines without measured time, counted at the words-a-minute estimate in the talk ratio."""
    speaking_rate: float | None = None
    avg_turn_words: float = 0.0
    fillers: int = 0
    filler_rate: float = 0.0
    reflect_pos: list[int] = field(default_factory=list)
    facts_total: int | None = None
    facts_revealed: list[str] | None = None
    facts: FactCount | None = None
    """The buyer's key facts uncovered (practice sessions): the count every page shows."""
    episodes: list[events.Episode] = field(default_factory=list)
    next_step: events.NextStep = field(default_factory=events.NextStep)
    negotiation: events.Negotiation = field(default_factory=events.Negotiation)
    delivery: DeliveryNumbers | None = None
    """Voice practice: the delivery report of the rep's spoken lines (None in text practice)."""


def _pct(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def compute_numbers(view: CallView, *, min_answer_words: int = 12) -> CallNumbers:
    """Every metric's raw value. Pure function of the view."""
    n = CallNumbers()
    a = view.analyses
    n.rep_turns = len(view.rep_pos)
    rep_set = set(view.rep_pos)
    n.rep_words = sum(a[p]["words"] for p in view.rep_pos)
    n.buyer_words = sum(w for p, w in enumerate(view.words) if p not in rep_set)
    timings = [speech_seconds(t) for t in view.turns]
    rep_timed = [timings[p] for p in view.rep_pos]
    if rep_timed and all(t is not None for t in rep_timed):
        # Seconds when every rep line was timed; a buyer line without audio is estimated from its words.
        rep_s = sum(t or 0.0 for t in rep_timed)
        buyer_s = 0.0
        for p, t in enumerate(timings):
            if p in rep_set:
                continue
            if t is None:
                n.buyer_seconds_estimated += 1
                t = view.words[p] * 60 / WORDS_PER_MINUTE
            buyer_s += t
        n.talk_ratio, n.talk_basis = _pct(rep_s, rep_s + buyer_s), "seconds"
        n.seconds_measured = True
        n.speaking_rate = round(n.rep_words / rep_s * 60, 1) if rep_s else None
    else:
        n.talk_ratio = _pct(n.rep_words, n.rep_words + n.buyer_words)
    n.questions = sum(a[p]["questions"] for p in view.rep_pos)
    n.open_questions = sum(a[p]["open_questions"] for p in view.rep_pos)
    n.open_share = _pct(n.open_questions, n.questions)
    thirds = [0, 0, 0]
    for p in view.rep_pos:
        thirds[view.third(p)] += a[p]["questions"]
    n.question_thirds = [_pct(t, n.questions) for t in thirds]
    if view.rep_pos:
        n.longest_pos = max(view.rep_pos, key=lambda p: (a[p]["words"], -p))
        n.longest_words = a[n.longest_pos]["words"]
        measured = max(t or 0.0 for t in rep_timed) if n.seconds_measured else None
        n.longest_seconds = round(
            measured if measured is not None else n.longest_words * 60 / WORDS_PER_MINUTE, 1
        )
        n.avg_turn_words = round(n.rep_words / n.rep_turns, 1)
    n.fillers = sum(a[p]["fillers"] for p in view.rep_pos)
    n.filler_rate = round(100.0 * n.fillers / n.rep_words, 2) if n.rep_words else 0.0
    n.reflect_pos = [p for p in view.rep_pos if a[p]["paraphrases"]]
    if view.session and view.persona is not None:
        n.facts_total = len(view.persona.hidden_facts)
        n.facts_revealed = list(view.final_state.get("facts_revealed", [])) if view.final_state else []
        n.facts = count_facts(view.persona, n.facts_revealed, view.scenario)
    n.episodes = events.objection_episodes(view, min_answer_words)
    n.next_step = events.next_step(view)
    n.negotiation = events.negotiation(view)
    n.delivery = delivery_numbers(view, [e.buyer_pos for e in n.episodes])
    if n.delivery is not None:
        report = n.delivery.report
        n.speaking_rate = report.metric("speaking_rate_wpm").value
        if n.seconds_measured:
            n.longest_seconds = round(report.metric("longest_monologue_s").value or n.longest_seconds, 1)
    return n


def _m(
    mid: str,
    name: str,
    value: MetricValue,
    unit: str,
    benchmark: str | None = None,
    source: str | None = None,
    applicable: bool = True,
    note: str = "",
) -> Metric:
    # Built from typed values in code: skip re-validation (this runs 1,000s of times a second).
    return Metric.model_construct(
        id=mid,
        name=name,
        value=value,
        unit=unit,
        benchmark=benchmark,
        source=source,
        applicable=applicable,
        note=note,
    )


def metric_entries(n: CallNumbers, view: CallView) -> dict[str, Metric]:
    """The metrics section of the scorecard."""
    session = view.session
    neg = n.negotiation
    list_price = neg.list_price
    priced = neg.engaged or view.kind == "negotiation"  # price metrics: negotiation drills, or a price named
    money = view.scenario.product.currency if view.scenario else "currency"
    out = [
        _m(
            "talk_ratio",
            "Rep talk share",
            n.talk_ratio,
            f"% of {n.talk_basis}",
            "43% (43:57) for top reps; over 65% converts less; average B2B rep 65–75%",
            GONG_TALK,
            note=_talk_note(n),
        ),
        _m(
            "questions",
            "Questions asked",
            n.questions,
            "questions",
            "11–14 in a full discovery call (a practice call is shorter)",
            GONG_QUESTIONS,
        ),
        _m(
            "open_question_share",
            "Open questions",
            n.open_share,
            "% of questions",
            note=f"{n.open_questions} open of {n.questions}",
        ),
        _m(
            "question_distribution",
            "Questions per third of the call",
            n.question_thirds,
            "% of questions in each third",
            "top reps spread questions across the call; average reps front-load them",
            "Gong Labs",
        ),
        _m(
            "longest_monologue_words",
            "Longest rep turn",
            n.longest_words,
            "words",
            note=f"turn {view.number(n.longest_pos)}" if n.longest_pos is not None else "",
        ),
        _m(
            "longest_monologue_seconds",
            "Longest rep turn (time)",
            n.longest_seconds,
            "seconds",
            "a company overview over 2 min (120 s) lowers win rates",
            GONG_MONOLOGUE,
            note="measured" if n.seconds_measured else f"estimated at {WORDS_PER_MINUTE} words a minute",
        ),
        _m(
            "speaking_rate",
            "Speaking rate",
            n.speaking_rate,
            "words a minute",
            "~173 wpm normally; ~188 wpm when an objection goes badly",
            GONG_RATE,
            applicable=n.speaking_rate is not None,
            note=_rate_note(n),
        ),
        _m("avg_turn_words", "Average rep turn", n.avg_turn_words, "words"),
        _m("filler_rate", "Filler words", n.filler_rate, "per 100 words", note=f"{n.fillers} fillers"),
        *_delivery_entries(n.delivery),
        _m("reflections", "Turns reflecting the buyer's words", len(n.reflect_pos), "turns"),
        _m(
            "hidden_facts",
            "Key facts uncovered",
            n.facts.found if n.facts is not None else 0,
            "facts",
            applicable=n.facts is not None,
            note=f"of {n.facts.total}: {', '.join(fact_label(f) for f in n.facts.found_ids) or 'none'}"
            if n.facts is not None
            else "practice sessions only",
        ),
        _m(
            "objections_raised",
            "Objections raised",
            len(n.episodes),
            "objections",
            note=", ".join(fact_label(e.objection) for e in n.episodes)
            + ("" if session else " (detected from the buyer's words)"),
        ),
        _m(
            "objections_resolved",
            "Objections resolved",
            sum(e.resolved for e in n.episodes),
            "objections",
            applicable=session,
            note="" if session else "practice sessions only",
        ),
        _m(
            "next_step",
            "Next step secured",
            n.next_step.agreed and n.next_step.time is not None,
            "",
            note=f"time: {n.next_step.time}" if n.next_step.time else "no time agreed",
        ),
        _m(
            "final_price",
            "Final price",
            neg.final_price,
            money,
            applicable=priced,
            note=("deal" if neg.deal else "no deal")
            + (f"; list {list_price:,.0f} ({neg.list_basis})" if list_price else ""),
        ),
        _m(
            "price_vs_list",
            "Final price vs list",
            _pct(neg.final_price, list_price) if neg.final_price and list_price else None,
            "% of list",
            f"success: at least {neg.min_fraction:.0%} of list" if neg.min_fraction else None,
            "scenario success criteria" if neg.min_fraction else None,
            applicable=priced and bool(neg.final_price and list_price),
        ),
        _m(
            "buyer_target",
            "Buyer's target price",
            neg.buyer_target,
            money,
            applicable=priced and neg.buyer_target is not None,
            note="" if session else "practice sessions only",
        ),
        _m(
            "buyer_walk_away",
            "Buyer's walk-away price",
            neg.buyer_walk_away,
            money,
            applicable=priced and neg.buyer_walk_away is not None,
            note="" if session else "practice sessions only",
        ),
        _m(
            "concessions",
            "Concessions given",
            len(neg.concessions),
            "concessions",
            note=f"{sum(t for _, t in neg.concessions)} traded for something in return",
        ),
    ]
    return {m.id: m for m in out}


def _talk_note(n: CallNumbers) -> str:
    if n.talk_basis != "seconds":
        return ""
    if n.buyer_seconds_estimated:
        return (
            f"measured; {n.buyer_seconds_estimated} buyer line(s) without audio estimated at "
            f"{WORDS_PER_MINUTE} words a minute"
        )
    return "measured"


def _rate_note(n: CallNumbers) -> str:
    d = n.delivery
    if d is None:
        return "" if n.speaking_rate is not None else "needs voice timings"
    note = d.report.metric("speaking_rate_wpm").note
    return f"{note}; {d.spoken_turns} of {d.rep_turns} rep lines spoken"


def _delivery_entries(d: DeliveryNumbers | None) -> list[Metric]:
    """Spoken filler words and the pause before answering an objection (voice practice only)."""
    if d is None:
        return [
            _m("spoken_filler_rate", "Filler words (spoken)", None, "per 100 words", applicable=False,
               note=VOICE_ONLY),
            _m("objection_pause", "Pause before answering an objection", None, "seconds", applicable=False,
               note=VOICE_ONLY),
        ]
    report = d.report
    fillers = report.fillers
    detail = ", ".join(f"{k} ×{v}" for k, v in fillers.counts.items())
    pause_ref = report.metric("pause_after_objection_s")
    pause = d.objection_pause
    pause_note = (
        f"{len(d.objection_pauses)} objection(s) answered aloud; {_pause_verdict(pause)}"
        if pause is not None
        else "no objection was answered aloud with a measured pause"
    )
    if d.unmeasured_pauses:
        pause_note += f"; {d.unmeasured_pauses} answer(s) without a measured pause left out"
    return [
        _m(
            "spoken_filler_rate",
            "Filler words (spoken)",
            fillers.per_100_words if fillers.words else None,
            "per 100 words",
            "no published benchmark; fewer is better",
            None,
            applicable=bool(fillers.words),
            note=f"{fillers.total} in {fillers.words} spoken words" + (f": {detail}" if detail else ""),
        ),
        _m(
            "objection_pause",
            "Pause before answering an objection",
            pause,
            "seconds",
            pause_ref.reference,
            GONG_PAUSE,
            applicable=pause is not None,
            note=pause_note,
        ),
    ]


def _pause_verdict(seconds: float) -> str:
    from simulator.voice.delivery import AVG_REP_OBJECTION_PAUSE_S, TOP_REP_OBJECTION_PAUSE_S

    if seconds >= TOP_REP_OBJECTION_PAUSE_S:
        return "pauses like top reps"
    if seconds <= AVG_REP_OBJECTION_PAUSE_S:
        return "answers as fast as average reps"
    return "between average and top reps"
