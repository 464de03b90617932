"""Coaching from the scores: what went well, what to do differently (one skill at a time), a better
line for the weakest competency, the next drill, and the change since the previous attempt.

All of it is derived deterministically from the scored checks; no model is involved.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from grading import phrasebook
from grading.metrics import CallNumbers
from grading.rubric import COMPETENCY_IDS, Rubric
from grading.scorecard import BetterLine, Comparison, CompetencyChange, CompetencyScore, NextDrill
from grading.view import CallView
from simulator.content.loader import ContentLibrary

MAX_TAKEAWAYS = 3


def _order(c: CompetencyScore) -> int:
    return COMPETENCY_IDS.index(c.id)


def weakest(scores: list[CompetencyScore]) -> CompetencyScore | None:
    """Lowest score; ties go to a competency the drill trains, then the heavier weight, then rubric order."""
    return min(scores, key=lambda c: (c.score, not c.trained, -c.weight, _order(c)), default=None)


def strongest(scores: list[CompetencyScore]) -> CompetencyScore | None:
    """Highest score; ties go to the heavier weight, then rubric order."""
    return min(scores, key=lambda c: (-c.score, -c.weight, _order(c)), default=None)


def went_well(scores: list[CompetencyScore]) -> list[str]:
    """Up to two strengths, each with the check that earned it."""
    ranked = sorted(scores, key=lambda c: (-c.score, -c.weight, _order(c)))
    out: list[str] = []
    for c in ranked:
        passed = [ch for ch in c.checks if ch.passed]
        if passed and len(out) < 2:
            out.append(f"{c.name} ({c.score}/5): {passed[0].detail}.")
    return out or ["You completed the call. Every check below says exactly what earns the next point."]


def do_differently(scores: list[CompetencyScore], rubric: Rubric) -> list[str]:
    """Up to two changes, both on the weakest competency (one skill at a time)."""
    low = weakest(scores)
    if low is None:
        return []
    comp = rubric.competency(low.id)
    tips = {ch.id: ch.tip for ch in comp.checks}
    missed = [ch for ch in low.checks if not ch.passed]
    return [f"{low.name}: {tips[ch.id]} (now: {ch.detail}.)" for ch in missed[:2]]


def takeaways(good: list[str], change: list[str], drill: NextDrill | None) -> list[str]:
    """At most three: one thing to keep, one to change, one drill."""
    out = [f"Keep: {good[0]}"] if good else []
    if change:
        out.append(f"Change: {change[0]}")
    if drill is not None:
        out.append(f"Practise next: {drill.title} ({drill.why})")
    return out[:MAX_TAKEAWAYS]


def _phrase(text: str, max_words: int = 8) -> str:
    first = re.split(r"(?<=[.!?;])\s", text.strip())[0]
    words = first.rstrip(".!?;,").split()
    return " ".join(words[:max_words]) + ("…" if len(words) > max_words else "")


def _price(value: float) -> str:
    return f"${value:,.0f}"


def _line_discovery(view: CallView, n: CallNumbers) -> tuple[int, str] | None:
    a = view.analyses
    for pos in view.rep_pos:
        if a[pos]["closed_questions"] and not a[pos]["open_questions"]:
            topic = next(iter(a[pos]["closed_topics"]), None)
            return pos, phrasebook.OPEN_BY_TOPIC.get(topic or "", phrasebook.OPEN_DEFAULT)
    for pos in view.rep_pos:
        if a[pos]["is_pitch"] or not a[pos]["questions"]:
            return pos, phrasebook.OPEN_BY_TOPIC["impact" if n.open_questions else "pain"]
    return None


def _line_listening(view: CallView, n: CallNumbers) -> tuple[int, str] | None:
    for pos in view.rep_pos:
        prev = view.prev_buyer.get(pos)
        if (
            prev is not None
            and not (view.content(pos) & view.content(prev))
            and len(view.text(prev).split()) >= 5
        ):
            return pos, phrasebook.REFLECT.format(phrase=_phrase(view.text(prev)))
    return (n.longest_pos, phrasebook.REFLECT_DEFAULT) if n.longest_pos is not None else None


def _line_value(view: CallView, n: CallNumbers) -> tuple[int, str] | None:
    a = view.analyses
    target = next((p for p in view.rep_pos if a[p]["is_pitch"]), n.longest_pos)
    if target is None:
        return None
    prev = view.prev_buyer.get(target)
    phrase = _phrase(view.text(prev)) if prev is not None else "[their problem]"
    if view.scenario is not None:
        product = view.scenario.product
        proof = f"{product.proof_points[0].rstrip('.')}. " if product.proof_points else ""
        value = product.value_points[0].rstrip(".")
        return target, phrasebook.VALUE_SCENARIO.format(
            phrase=phrase, value=value[0].lower() + value[1:], proof=proof
        )
    return target, phrasebook.VALUE_PLAIN.format(phrase=phrase)


def _line_objection(view: CallView, n: CallNumbers) -> tuple[int, str] | None:
    types = {o.id: o.type for o in view.persona.objections} if view.persona is not None else {}
    for ep in n.episodes:
        if ep.replies and (ep.acknowledged is None or ep.explored is None or ep.responded is None):
            kind = types.get(ep.objection, ep.objection)
            return ep.replies[0], phrasebook.OBJECTION_BY_TYPE.get(kind, phrasebook.OBJECTION_DEFAULT)
    first = next((ep.replies[0] for ep in n.episodes if ep.replies), None)
    return (first, phrasebook.OBJECTION_DEFAULT) if first is not None else None


def _line_negotiation(view: CallView, n: CallNumbers) -> tuple[int, str] | None:
    neg = n.negotiation
    free = next((p for p, traded in neg.concessions if not traded and p is not None), None)
    if free is not None:
        prices = view.analyses[free]["prices"]
        text = phrasebook.TRADE.format(price=_price(prices[0])) if prices else phrasebook.TRADE_NO_PRICE
        return free, text
    last = neg.rep_prices[-1][0] if neg.rep_prices else (view.rep_pos[-1] if view.rep_pos else None)
    return (last, phrasebook.HOLD) if last is not None else None


def _line_closing(view: CallView, n: CallNumbers) -> tuple[int, str] | None:
    if not view.rep_pos:
        return None
    buyer = [
        p
        for p in range(len(view.turns))
        if view.turns[p]["speaker"] != "rep" and len(view.text(p).split()) >= 6
    ]
    recap = f"you said “{_phrase(view.text(buyer[-1]))}”" if buyer else phrasebook.CLOSE_RECAP_DEFAULT
    return view.rep_pos[-1], phrasebook.CLOSE.format(recap=recap)


def _line_rapport(view: CallView, n: CallNumbers) -> tuple[int, str] | None:
    if not view.rep_pos:
        return None
    first = view.rep_pos[0]
    if not view.analyses[first]["greeting"]:
        name = view.persona.name.split()[0] if view.persona is not None else "there"
        return first, phrasebook.OPENING.format(name=name)
    heavy = max(view.rep_pos, key=lambda p: (view.analyses[p]["fillers"], -p))
    if view.analyses[heavy]["fillers"]:
        pattern = (
            r"(?i)(?<![\w'])(?:" + "|".join(re.escape(f) for f in phrasebook.FILLERS) + r")(?![\w'])[,]?\s*"
        )
        cleaned = re.sub(r"\s{2,}", " ", re.sub(pattern, "", view.text(heavy))).strip()
        return heavy, cleaned[:1].upper() + cleaned[1:]
    pos = n.longest_pos if n.longest_pos is not None else first
    sentences = re.split(r"(?<=[.!?])\s+", view.text(pos).strip())
    return pos, " ".join(sentences[:2]) + " " + phrasebook.CONCISE_TAIL


_BUILDERS: dict[str, Callable[[CallView, CallNumbers], tuple[int, str] | None]] = {
    "discovery_questioning": _line_discovery,
    "active_listening": _line_listening,
    "value_articulation": _line_value,
    "objection_handling": _line_objection,
    "negotiation": _line_negotiation,
    "closing_next_steps": _line_closing,
    "rapport_communication": _line_rapport,
}


def better_line(
    scores: list[CompetencyScore], rubric: Rubric, view: CallView, n: CallNumbers
) -> BetterLine | None:
    """A rewrite of one rep line for the weakest competency, with the reason."""
    low = weakest(scores)
    if low is None:
        return None
    found = _BUILDERS[low.id](view, n)
    if found is None:
        return None
    pos, better = found
    missed = next((ch for ch in low.checks if not ch.passed), None)
    tips = {ch.id: ch.tip for ch in rubric.competency(low.id).checks}
    why = tips[missed.id] if missed else rubric.competency(low.id).levels[4]
    return BetterLine(
        competency=low.id, turn=view.number(pos), original=view.text(pos), better=better, why=why
    )


def next_drill(
    scores: list[CompetencyScore], library: ContentLibrary | None, current: str | None
) -> NextDrill | None:
    """A shipped scenario that trains the weakest competency (another drill when there is one)."""
    low = weakest(scores)
    if low is None or library is None:
        return None
    fits = [s for s in library.scenarios.values() if low.id in s.competencies]
    if not fits:
        return None
    fits.sort(key=lambda s: (s.id == current, s.competencies.index(low.id), s.id))
    pick = fits[0]
    why = f"trains {low.name.lower()}, your lowest score ({low.score}/5)"
    return NextDrill(scenario_id=pick.id, title=pick.title, competency=low.id, why=why)


def comparison(scores: list[CompetencyScore], overall: int, previous: dict[str, Any]) -> Comparison:
    """Change since the previous scorecard (a dict as returned by ``model_dump(mode='json')``)."""
    before = {c.get("id"): c.get("score") for c in previous.get("competencies", []) if isinstance(c, dict)}
    prev_overall = previous.get("overall") if isinstance(previous.get("overall"), int) else None
    changes: dict[str, CompetencyChange] = {}
    for c in scores:
        old = before.get(c.id)
        old = old if isinstance(old, int) else None
        changes[c.id] = CompetencyChange(
            previous=old, now=c.score, delta=None if old is None else c.score - old
        )
    delta = None if prev_overall is None else overall - prev_overall
    up = [f"{c.name} ({changes[c.id].delta:+d})" for c in scores if (changes[c.id].delta or 0) > 0]
    down = [f"{c.name} ({changes[c.id].delta:+d})" for c in scores if (changes[c.id].delta or 0) < 0]
    summary = f"overall {prev_overall} → {overall}" + (f" ({delta:+d})" if delta is not None else "")
    summary += f"; improved: {', '.join(up) or 'none'}; slipped: {', '.join(down) or 'none'}"
    return Comparison(
        previous_overall=prev_overall, overall_delta=delta, competencies=changes, summary=summary
    )
