"""Coaching from the scores: what went well, what to do differently (one skill at a time), a better
line, the next drill, and the change since the previous attempt.

All of it is derived deterministically from the scored checks; no model is involved.

- **Gaps first.** A competency's gap is its weight for this kind of call × the checks it failed
  (what it costs the overall score). The largest gap is the skill to work on: it leads the
  takeaways, drives "do differently", the better line and the next drill.
- **Keep only what carried weight.** "Went well" lists effects on the buyer (a fact uncovered, an
  objection resolved, a next step agreed, a deal held), never trivia such as a greeting, and a
  "Keep" takeaway only ever follows the gaps.
- **A better line is a real line.** It rewrites one rep line that did not do its job, with material
  from the call and the scenario only (the rep's own question or price, a clause the buyer said
  turned to the second person, the product's name, value and proof points). It is a complete
  sentence, has no empty slot, is not the buyer's words handed back as advice, and never replaces a
  line that worked (a close that booked a time, a question the buyer answered at length, an answer
  that resolved an objection, a price the buyer accepted). When no such line can be made, there is
  none.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from typing import Any

from grading import phrasebook, signals
from grading.metrics import CallNumbers
from grading.responses import SUBSTANTIVE_WORDS, Response
from grading.rubric import COMPETENCY_IDS, Rubric
from grading.scorecard import BetterLine, Comparison, CompetencyChange, CompetencyScore, NextDrill
from grading.view import CallView, statement_text
from simulator.content.loader import ContentLibrary
from simulator.understanding.text import content_words, normalise, sentences, words_of

MAX_TAKEAWAYS = 3
MIN_BETTER_WORDS = 6
"""A better line shorter than this is not a usable line."""
BUYER_SENTENCE_WORDS = 6
"""A better line may not contain a whole buyer sentence of this many words or more."""
MAX_CANDIDATES = 40
"""Rewrites tried per competency before moving on (keeps a 2,000-turn call fast)."""


def _order(c: CompetencyScore) -> int:
    return COMPETENCY_IDS.index(c.id)


# --- gaps -------------------------------------------------------------------------------------


def gap(c: CompetencyScore) -> float:
    """What a competency costs the overall score: its weight for this kind of call × checks failed."""
    return round(c.weight * sum(not ch.passed for ch in c.checks), 6)


def by_gap(scores: list[CompetencyScore]) -> list[CompetencyScore]:
    """Competencies with a failed check, largest gap first (ties: lower score, trained, rubric order)."""
    return sorted(
        (c for c in scores if gap(c) > 0), key=lambda c: (-gap(c), c.score, not c.trained, _order(c))
    )


def weakest(scores: list[CompetencyScore]) -> CompetencyScore | None:
    """The competency with the largest gap; with no failed check, the lowest score (ties: trained,
    heavier weight, rubric order)."""
    ranked = by_gap(scores)
    if ranked:
        return ranked[0]
    return min(scores, key=lambda c: (c.score, not c.trained, -c.weight, _order(c)), default=None)


def strongest(scores: list[CompetencyScore]) -> CompetencyScore | None:
    """Highest score; ties go to the heavier weight, then rubric order."""
    return min(scores, key=lambda c: (-c.score, -c.weight, _order(c)), default=None)


# --- went well, do differently, takeaways ------------------------------------------------------

KEEP_CHECKS: dict[str, tuple[str, ...]] = {
    "objection_handling": ("resolves_all", "resolves", "responds", "explores"),
    "negotiation": ("closes", "holds_price", "trades", "anchors"),
    "discovery_questioning": ("uncovers", "opens_up", "digs_deeper", "topic_breadth", "question_volume"),
    "closing_next_steps": ("agreed",),
    "value_articulation": ("tailored", "specific"),
    "active_listening": ("reflects", "follow_up"),
}
"""Checks that record an effect on the buyer or the deal, most telling first. Only these are worth
keeping: avoiding a mistake (no monologue, few fillers) or a greeting is not a strength to build on."""

_VACUOUS = re.compile(r"^0 of\b|\bno turn\b|\bnone\b")


def _keeps(scores: list[CompetencyScore]) -> list[tuple[CompetencyScore, str]]:
    found: list[tuple[CompetencyScore, str]] = []
    for c in scores:
        if c.weight <= 0:
            continue
        passed = {ch.id: ch.detail for ch in c.checks if ch.passed}
        for check_id in KEEP_CHECKS.get(c.id, ()):
            detail = passed.get(check_id)
            if detail is not None and not _VACUOUS.search(detail):
                found.append((c, detail))
                break
    found.sort(key=lambda item: (-item[0].weight, -item[0].score, _order(item[0])))
    return found


def went_well(scores: list[CompetencyScore]) -> list[str]:
    """Up to two strengths that carried weight (an effect on the buyer), each with what earned it."""
    out = [f"{c.name} ({c.score}/5): {detail}." for c, detail in _keeps(scores)[:2]]
    return out or [phrasebook.WELL_DEFAULT]


def do_differently(scores: list[CompetencyScore], rubric: Rubric) -> list[str]:
    """Up to two changes, both on the competency with the largest gap (one skill at a time)."""
    low = weakest(scores)
    if low is None:
        return []
    tips = {ch.id: ch.tip for ch in rubric.competency(low.id).checks}
    missed = [ch for ch in low.checks if not ch.passed]
    return [f"{low.name}: {tips.get(ch.id, ch.text)} (now: {ch.detail}.)" for ch in missed[:2]]


def takeaways(good: list[str], change: list[str], drill: NextDrill | None) -> list[str]:
    """At most three, the largest gap first: what to change, then (only if something carried weight)
    what to keep, else the next change; then the drill."""
    out = [f"Change: {change[0]}"] if change else []
    keep = [g for g in good if g != phrasebook.WELL_DEFAULT]
    if keep:
        out.append(f"Keep: {keep[0]}")
    elif len(change) > 1:
        out.append(f"Change: {change[1]}")
    if drill is not None:
        out.append(f"Practise next: {drill.title} ({drill.why})")
    return out[:MAX_TAKEAWAYS]


# --- checking a better line --------------------------------------------------------------------


def _flat(text: str) -> str:
    """Lower-case words only, for 'is this the buyer's text' comparisons."""
    return " ".join(re.findall(r"[a-z0-9$%']+", normalise(text)))


_QUOTE = re.compile(r"[“\"]([^”\"]*)[”\"]")
_SLOT_MARKS = ("{", "}", "[", "]", "“”", '""', "…", "It is”")


@lru_cache(maxsize=16)
def _buyer_index(buyer_lines: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The buyer's lines flattened, and their sentences of 6+ words (raw, ' flattened ')."""
    long_sentences = tuple(
        (sentence, f" {_flat(sentence)} ")
        for line in buyer_lines
        for sentence in sentences(line)
        if len(_flat(sentence).split()) >= BUYER_SENTENCE_WORDS
    )
    return tuple(_flat(line) for line in buyer_lines), long_sentences


def problems(text: str, buyer_lines: list[str], original: str = "") -> list[str]:
    """Why a suggested line is not usable (empty when it is): an unfilled or junk slot, not a
    complete sentence, the buyer's own words, or no change from the rep's line."""
    out: list[str] = []
    stripped = text.strip()
    if not stripped:
        return ["empty"]
    marks = [m for m in _SLOT_MARKS if m in stripped]
    if marks:
        out.append(f"unfilled slot marker {marks[0]!r}")
    if not stripped[0].isupper():
        out.append("does not start with a capital letter")
    if stripped[-1] not in ".?!":
        out.append("does not end a sentence")
    if len(stripped.split()) < MIN_BETTER_WORDS:
        out.append(f"fewer than {MIN_BETTER_WORDS} words")
    for quoted in _QUOTE.findall(stripped):
        if len(quoted.split()) <= 2 or not content_words(quoted):
            out.append(f"junk quote “{quoted}”")
    flat = _flat(stripped)
    lines, long_sentences = _buyer_index(tuple(buyer_lines))
    if flat and any(flat in line for line in lines):
        out.append("is the buyer's own words")
    padded = f" {flat} "
    out += [f"repeats the buyer's sentence “{raw}”" for raw, said in long_sentences if said in padded]
    if original and _flat(original) == _flat(stripped):
        out.append("same as the rep's line")
    return out


# --- material from the call ---------------------------------------------------------------------

_SECOND_PERSON = [
    (re.compile(r"\bI'm\b|\bI’m\b"), "you're"),
    (re.compile(r"\bI am\b"), "you are"),
    (re.compile(r"\bI was\b"), "you were"),
    (re.compile(r"\bI've\b|\bI’ve\b"), "you've"),
    (re.compile(r"\bI'd\b|\bI’d\b"), "you'd"),
    (re.compile(r"\bI'll\b|\bI’ll\b"), "you'll"),
    (re.compile(r"\bI\b"), "you"),
    (re.compile(r"\bme\b", re.I), "you"),
    (re.compile(r"\bmyself\b", re.I), "yourself"),
    (re.compile(r"\bmy\b", re.I), "your"),
    (re.compile(r"\bmine\b", re.I), "yours"),
    (re.compile(r"\bwe(?:'|’)re\b", re.I), "you're"),
    (re.compile(r"\bwe(?:'|’)ve\b", re.I), "you've"),
    (re.compile(r"\bwe(?:'|’)d\b", re.I), "you'd"),
    (re.compile(r"\bwe(?:'|’)ll\b", re.I), "you'll"),
    (re.compile(r"\bwe\b", re.I), "you"),
    (re.compile(r"\bus\b"), "you"),
    (re.compile(r"\bourselves\b", re.I), "yourselves"),
    (re.compile(r"\bours\b", re.I), "yours"),
    (re.compile(r"\bour\b", re.I), "your"),
]
_ADDRESSES_REP = re.compile(r"\byou(?:'|’)?(?:r|re|ve|d|ll|rs)?\b|\byourself\b", re.I)
_CLAUSE_SPLIT = re.compile(r",\s+(?:and|but|so|because|though|which)\s+|;\s*|\s+[—–-]\s+|:\s+|\s+but\s+")
_LEAD_WORDS = re.compile(
    r"^(?:(?:and|but|so|well|honestly|frankly|look|yes|yeah|no|ok|okay|sure|right|actually|basically|also|"
    r"then|because|plus|between us|to be honest|if you ask me|mostly|anyway|right now|now)\b[,]?\s*)+",
    re.I,
)
_VAGUE = frozenset({
    "mostly", "really", "works", "work", "thing", "things", "stuff", "lot", "bit", "fine", "good", "great",
    "well", "just", "still", "sure", "okay", "busy", "moment", "right", "now", "time", "depends", "maybe",
})
_FACT_MOVES = frozenset({"reveal_fact", "explain_concern"})
_IMPACT = frozenset({
    "lost", "lose", "losing", "cost", "costs", "late", "missed", "miss", "churn", "fees", "hours", "downtime",
    "delay", "delays", "complain", "penalty", "penalties", "risk", "waste", "overtime", "minutes", "errors",
})
"""Words of a stated cost or pain: the facts most worth playing back."""
_THIRD = re.compile(r"\b(he|she|they|him|her|them|his|their)\b", re.I)
_PRONOUNS = {
    "he": ("he", "him", "his"), "him": ("he", "him", "his"), "his": ("he", "him", "his"),
    "she": ("she", "her", "her"), "her": ("she", "her", "her"),
    "they": ("they", "them", "their"), "them": ("they", "them", "their"), "their": ("they", "them", "their"),
}
_CLOSED_OBJECT = re.compile(
    r"^(?:so,?\s+|and\s+)?(do|does|did)\s+(you|your team|he|she|they)\s+(?:still\s+|currently\s+|already\s+|ever\s+)?"
    r"(use|run|track|handle|manage|rely on|work with|keep|plan)\s+(.+?)\s*[?.!]*$",
    re.I,
)


def _second_person(clause: str) -> str:
    for pattern, repl in _SECOND_PERSON:
        clause = pattern.sub(repl, clause)
    return clause


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _sentence(text: str) -> str:
    """A clause as a sentence: capitalised, ending in a full stop."""
    text = text.strip().rstrip(",;:")
    return _upper_first(text) + ("" if text.endswith((".", "!", "?")) else ".")


@dataclass
class _Context:
    """The call, read once for the better line: the product, names, and the buyer's stated facts."""

    view: CallView
    n: CallNumbers
    names: set[str] = field(default_factory=set)
    """Words that are names (kept capitalised when a clause starts with one)."""
    buyer_lines: list[str] = field(default_factory=list)
    _parts: dict[int, list[tuple[str, frozenset[str], bool]]] = field(default_factory=dict)
    _fact: dict[int, bool] = field(default_factory=dict)
    _reply_to: dict[int, Response] = field(default_factory=dict)
    """Buyer position -> the reply record that position is (real calls: its read acts)."""

    def __post_init__(self) -> None:
        view = self.view
        self._reply_to = {r.buyer_pos: r for r in view.responses.values() if r.buyer_pos is not None}
        for pos, turn in enumerate(view.turns):
            if turn["speaker"] != "rep":
                self.buyer_lines.append(view.text(pos))
            for sentence in view.sentences(pos):
                for word in sentence.split()[1:]:
                    word = word.strip(".,;:!?\"'()“”‘’")
                    if word[:1].isupper():
                        self.names.add(word)
        extra: list[str] = []
        if view.persona is not None:
            extra += [view.persona.name, view.persona.company.name]
        if view.scenario is not None:
            extra.append(view.scenario.product.name)
        self.names |= {w.strip(".,") for name in extra for w in name.split()}

    # -- the product ------------------------------------------------------------------------

    @property
    def product(self) -> str | None:
        return self.view.scenario.product.name if self.view.scenario is not None else None

    def best_value(self, prefer: set[str]) -> str | None:
        """The product value point that shares most words with what the buyer said."""
        if self.view.scenario is None:
            return None
        points = self.view.scenario.product.value_points
        return max(points, key=lambda v: (len(content_words(v) & prefer), -points.index(v)), default=None)

    def best_proof(self, prefer: set[str]) -> str | None:
        if self.view.scenario is None:
            return None
        points = self.view.scenario.product.proof_points
        return max(points, key=lambda v: (len(content_words(v) & prefer), -points.index(v)), default=None)

    def value_clause(self, point: str) -> str:
        """'Flowdesk routes every order exception ...' or 'our team runs the rollout ...' (no full stop)."""
        point = point.strip().rstrip(".")
        if re.match(r"(?i)(our|we)\b", point):
            return _lower_first(point)
        return f"{self.product} {_lower_first(point)}"

    def it_clause(self, point: str) -> str:
        """'it covers all three plants ...' or 'our team runs the rollout ...' (after a comma)."""
        point = point.strip().rstrip(".")
        if re.match(r"(?i)(our|we)\b", point):
            return _lower_first(point)
        return f"it {_lower_first(point)}"

    def proof_sentence(self, proof: str) -> str:
        proof = proof.strip().rstrip(".")
        first = proof.split()[0] if proof.split() else ""
        if first.lower().endswith("ed") and ", it " not in proof:
            # 'Passed PCI DSS and SOC 2 audits' has no subject: the product passed them.
            proof = f"{self.product} has {_lower_first(proof)}"
        return _sentence(proof)

    def money(self, value: float) -> str:
        """An amount in the scenario's currency (a real call: the symbol the rep used, else $)."""
        amount = f"{value:,.0f}"
        if self.view.scenario is not None:
            currency = self.view.scenario.product.currency
            return f"${amount}" if currency == "USD" else f"{amount} {currency}"
        said = "".join(self.view.text(p) for p in self.view.rep_pos)
        symbol = next((c for c in "$€£" if c in said), "$")
        return f"{symbol}{amount}"

    @property
    def buyer_name(self) -> str:
        return self.view.persona.name.split()[0] if self.view.persona is not None else "there"

    # -- the buyer's words ------------------------------------------------------------------

    def fact_line(self, pos: int) -> bool:
        """A buyer line that told something: a fact or concern (session), or an engaged reply (real call)."""
        known = self._fact.get(pos)
        if known is None:
            known = self._fact[pos] = self._is_fact_line(pos)
        return known

    def _is_fact_line(self, pos: int) -> bool:
        view = self.view
        if view.turns[pos]["speaker"] == "rep":
            return False
        move = view.turns[pos].get("move")
        if view.session:
            return isinstance(move, dict) and move.get("kind") in _FACT_MOVES
        reply = self._reply_to.get(pos)
        if reply is not None and any(reply.acts.get(k) for k in ("refuses", "deflects", "objects")):
            return False  # a brush-off or an objection is not a fact to play back
        return len(words_of(view.lows[pos])) >= 5

    def clauses(self, pos: int | None, prefer: set[str] | None = None, *, need: int = 0) -> list[str]:
        """Clauses of one buyer line, in the second person, best first ('you lost a big grocery
        account last year'): 3 to 14 words, 2+ meaningful words, not a question, not about the rep,
        and at least ``need`` words shared with ``prefer``."""
        if pos is None or self.view.turns[pos]["speaker"] == "rep":
            return []
        prefer = prefer or set()
        scored: list[tuple[int, int, str]] = []
        for i, (tidy, meaningful, digit) in enumerate(self._clause_parts(pos)):
            if len(meaningful & prefer) < need:
                continue
            score = len(meaningful) + 3 * digit + 2 * len(meaningful & prefer)
            scored.append((-score, i, tidy))
        return [c for _, _, c in sorted(scored)]

    def _clause_parts(self, pos: int) -> list[tuple[str, frozenset[str], bool]]:
        """(clause in the second person, its meaningful words, has a number) for a buyer line, cached."""
        cached = self._parts.get(pos)
        if cached is not None:
            return cached
        out: list[tuple[str, frozenset[str], bool]] = []
        for sentence in self.view.sentences(pos):
            if sentence.rstrip().endswith("?"):
                continue
            for part in _CLAUSE_SPLIT.split(sentence):
                part = _LEAD_WORDS.sub("", part.strip().strip("\"“”")).strip().rstrip(".!,;:")
                part = re.sub(r",\s*(?:mostly|really|honestly|though|too)$", "", part, flags=re.I)
                words = part.split()
                if not 3 <= len(words) <= 14 or _ADDRESSES_REP.search(part):
                    continue
                meaningful = frozenset(content_words(part) - _VAGUE)
                if len(meaningful) < 2:
                    continue
                tidy = self._tidy(part)
                if len(words) >= BUYER_SENTENCE_WORDS and _flat(tidy) == _flat(sentence):
                    continue  # the buyer's whole sentence, word for word: not ours to hand back
                out.append((tidy, meaningful, bool(re.search(r"\d", part))))
        self._parts[pos] = out
        return out

    def _tidy(self, clause: str) -> str:
        clause = _second_person(clause)
        first = clause.split()[0]
        bare = first.strip(".,;:!?\"'")
        if bare in self.names or (bare.isupper() and len(bare) > 1) or any(ch.isdigit() for ch in bare):
            return clause
        return _lower_first(clause)

    def told(self, pos: int | None) -> list[str]:
        """Clauses of a buyer line that told something (see :meth:`fact_line`)."""
        return self.clauses(pos) if pos is not None and self.fact_line(pos) else []

    def fact_clauses(self, before: int | None = None, prefer: set[str] | None = None) -> list[str]:
        """The buyer's stated facts before a position (the whole call when None), best first."""
        end = len(self.view.turns) if before is None else before
        out: list[tuple[int, int, str]] = []
        prefer = prefer or set()
        for pos in range(end):
            if not self.fact_line(pos):
                continue
            for rank, clause in enumerate(self.clauses(pos, prefer)[:2]):
                words = content_words(clause)
                score = 2 * len(words & prefer) + bool(re.search(r"\d", clause)) + bool(words & _IMPACT) - rank
                out.append((-score, -pos, clause))
        return [c for _, _, c in sorted(out)]

    def heard(self, before: int) -> set[str]:
        """Content words the buyer said before a position."""
        words: set[str] = set()
        for pos in range(before):
            if self.view.turns[pos]["speaker"] != "rep":
                words |= self.view.content(pos)
        return words

    # -- what a rep line did ------------------------------------------------------------------

    def did_job(self, pos: int) -> bool:
        """The line worked: rewriting it would be bad advice."""
        view, n = self.view, self.n
        a = view.analyses[pos]
        reply = view.response(pos)
        held = self.held_price()
        if reply.move in {"agree_next_step", "resolve_objection", "reveal_fact", "explain_concern"}:
            return True
        if reply.move == "accept" and held:
            return True
        if reply.move is None and reply.agrees:
            # A 'yes' to a closed discovery question is not a job done; a yes to an ask, a price the
            # deal holds, a statement or an answer to an objection is.
            low = view.lows[pos]
            ask = a["next_step"] or signals.asks_for_meeting(low) or signals.asks_for_commitment(low)
            priced = bool(a["prices"] or a["concession"])
            if (priced and held) or (not priced and (ask or not a["questions"] or signals.confirms(low))):
                return True
        asked = bool(a["questions"])
        if asked and reply.answered and reply.words >= SUBSTANTIVE_WORDS and reply.move != "hint":
            return True
        ns = n.next_step
        if ns.agreed and ns.time:
            booked = {p for p in (ns.proposed, ns.timed) if p is not None}
            if ns.agreed_pos is not None:
                booked.add(max((p for p in view.rep_pos if p < ns.agreed_pos), default=-1))
            if pos in booked:
                return True
        neg = n.negotiation
        return neg.deal and bool(neg.rep_prices) and pos == neg.rep_prices[-1][0] and held

    def held_price(self) -> bool:
        """No deal, or a deal at the floor or above (a deal bought by caving did not do the job)."""
        neg = self.n.negotiation
        if not neg.deal:
            return True
        floor = (neg.min_fraction or 0.9) * (neg.list_price or 0)
        return (neg.deal_price or neg.final_price or 0) >= floor

    def ordinary(self) -> list[int]:
        """Rep lines that are neither a close, a price move, a check that an answer landed, nor a bare
        greeting or goodbye."""
        view, a = self.view, self.view.analyses
        out = []
        for p in view.rep_pos:
            low = view.lows[p]
            if a[p]["prices"] or a[p]["concession"] or a[p]["next_step"] or a[p]["next_step_time"]:
                continue
            if signals.asks_for_meeting(low) or signals.asks_for_commitment(low) or signals.confirms(low):
                continue  # a close, or checking that an answer to an objection landed
            if signals.time_question(view.text(p)) is not None:
                continue
            if (a[p]["thanks_or_goodbye"] or a[p]["ends_call"] or a[p]["greeting"]) and not a[p]["questions"]:
                continue
            out.append(p)
        return out

    def own_question(self, pos: int) -> str | None:
        """The rep's own question in a line (the last one of 4+ words), as written; a question typed
        without '?' (the analysis counts it) is its last sentence."""
        said = [s.strip() for s in self.view.sentences(pos)]
        found = [s for s in said if s.endswith("?") and len(s.split()) >= 4]
        if found:
            return _upper_first(found[-1])
        if said and self.view.analyses[pos]["questions"] and len(said[-1].split()) >= 4:
            return _upper_first(said[-1].rstrip(".!")) + "?"
        return None

    def echoes(self, clause: str, pos: int) -> bool:
        """The clause repeats 6+ words of a buyer line verbatim (the grader calls that parroting)."""
        said = words_of(self.view.lows[pos])
        runs = {" ".join(said[i:i + 6]) for i in range(len(said) - 5)}
        mine = words_of(normalise(clause))
        return any(" ".join(mine[i:i + 6]) in runs for i in range(len(mine) - 5))


Candidate = tuple[int, str, str]
"""(rep line position, the better line, the check it addresses)."""


def _pick(failed: list[str], *preferred: str) -> str:
    return next((c for c in preferred if c in failed), failed[0] if failed else preferred[0])


# --- discovery ----------------------------------------------------------------------------------


def _open_version(ctx: _Context, pos: int) -> str | None:
    """A closed question asked again as an open one, on the same subject."""
    a = ctx.view.analyses[pos]
    asked = [s.strip() for s in ctx.view.sentences(pos) if s.strip().endswith("?")]
    if not asked:
        return None
    question = asked[-1]
    lead = " ".join(s for s in sentences(statement_text(ctx.view.text(pos))) if len(s.split()) >= 3)
    match = _CLOSED_OBJECT.match(question)
    topic = next(iter(a["closed_topics"]), None)
    text: str | None = None
    if match and content_words(match.group(4)) and topic not in {"budget", "timeline", "decision_process"}:
        aux, subj, verb, obj = match.groups()
        aux = "does" if aux.lower() == "does" else "do"
        obj = re.sub(r"(?i)\s+(?:today|now|right now|currently|at the moment|these days)$", "", obj)
        text = phrasebook.OPEN_FROM_CLOSED.format(aux=aux, subj=subj.lower(), verb=verb.lower(), obj=obj)
    else:
        third = _THIRD.search(question)
        if third is not None:
            subj, obj, poss = _PRONOUNS[third.group(1).lower()]
            template = phrasebook.OPEN_BY_TOPIC_THIRD.get(topic or "", phrasebook.OPEN_DEFAULT_THIRD)
            text = template.format(subj=subj, obj=obj, poss=poss)
        elif topic in phrasebook.OPEN_BY_TOPIC:
            text = phrasebook.OPEN_BY_TOPIC[topic]
    if text is None:
        return None
    keep_lead = lead and not a["is_pitch"] and len(lead.split()) <= 20 and not _about_product(ctx, pos, lead)
    return f"{lead} {text}" if keep_lead else text


def _implication(ctx: _Context, pos: int) -> str | None:
    clauses = ctx.told(ctx.view.prev_buyer.get(pos))
    return phrasebook.IMPLICATION.format(clause=clauses[0]) if clauses else None


def _question_first(ctx: _Context, pos: int) -> str:
    """A pitch or statement turned into a question about the buyer, grounded in what they said."""
    question = _implication(ctx, pos) or phrasebook.OPEN_DEFAULT
    return phrasebook.QUESTION_FIRST.format(what=ctx.product or phrasebook.WHAT_PLAIN, question=question)


def _digs(ctx: _Context, pos: int) -> bool:
    """The line already asks an open question that builds on the buyer's last words."""
    prev = ctx.view.prev_buyer.get(pos)
    a = ctx.view.analyses[pos]
    return prev is not None and bool(a["open_questions"]) and bool(ctx.view.content(pos) & ctx.view.content(prev))


def _discovery(ctx: _Context, failed: list[str]) -> Iterator[Candidate]:
    a = ctx.view.analyses
    plain = ctx.ordinary()
    opening = _pick(failed, "open_share", "opens_up", "topic_breadth")
    deeper = _pick(failed, "uncovers", "opens_up", "digs_deeper", "topic_breadth", "question_volume")
    asking = _pick(failed, "question_volume", "digs_deeper", "opens_up", "open_share")

    def closed() -> Iterator[Candidate]:
        for p in plain:
            if a[p]["closed_questions"] and not a[p]["open_questions"] and (t := _open_version(ctx, p)):
                yield p, t, opening

    def follow_ups() -> Iterator[Candidate]:
        for p in plain:
            if a[p]["questions"] and not _digs(ctx, p) and (t := _implication(ctx, p)):
                yield p, t, deeper

    def told() -> Iterator[Candidate]:
        for p in plain:
            if (a[p]["is_pitch"] or not a[p]["questions"]) and _about_product(ctx, p):
                yield p, _question_first(ctx, p), asking

    def greeting() -> Iterator[Candidate]:
        # A call with almost no questions: the bare greeting could have asked the first one.
        first = ctx.view.rep_pos[0] if ctx.view.rep_pos else None
        if first is None or ctx.n.questions >= 2 or first in plain or a[first]["questions"] or not a[first]["greeting"]:
            return
        ask = phrasebook.OPEN_AFTER_GREETING.get(ctx.view.kind, phrasebook.OPEN_DEFAULT)
        yield first, f"{_sentence(ctx.view.text(first))} {ask.format(product=ctx.product or 'this')}", asking

    rounds = (closed, follow_ups) if "open_share" in failed else (follow_ups, closed)
    for make in (*rounds, told, greeting):
        yield from make()


# --- active listening ---------------------------------------------------------------------------


LONG_TURN_WORDS = 40
"""Only a turn longer than this is cut down to one point and a question."""


def _shorter(ctx: _Context, pos: int) -> str | None:
    """The rep's long turn cut to its first real sentence (6+ words) and one question."""
    if ctx.view.analyses[pos]["words"] <= LONG_TURN_WORDS:
        return None
    said = [s.strip() for s in ctx.view.sentences(pos) if len(s.split()) >= 6]
    if not said:
        return None
    first = said[0]
    if len(first.split()) > 30:
        return None
    question = ctx.own_question(pos)
    tail = question if question and question != first and len(question.split()) <= 25 else phrasebook.CONCISE_TAIL
    text = f"{first} {tail}" if not first.endswith("?") else first
    return text if len(text.split()) < 0.7 * len(ctx.view.text(pos).split()) else None


def _listening(ctx: _Context, failed: list[str]) -> Iterator[Candidate]:
    view = ctx.view
    if {"reflects", "follow_up", "digs_deeper"} & set(failed):
        check = _pick(failed, "reflects", "follow_up")
        for p in ctx.ordinary():
            prev = view.prev_buyer.get(p)
            if prev is None:
                continue
            shared = len(view.content(p) & view.content(prev))
            if 0 < shared < 3:
                continue  # already builds on the buyer's words without repeating them
            clauses = [c for c in ctx.told(prev) if len(c.split()) <= 10 and not ctx.echoes(c, prev)]
            if clauses:
                question = ctx.own_question(p) or phrasebook.REFLECT_QUESTION
                yield p, phrasebook.REFLECT.format(clause=clauses[0], question=question), check
    if {"talk_share", "no_monologue"} & set(failed):
        check = _pick(failed, "no_monologue", "talk_share")
        longest = sorted(ctx.ordinary(), key=lambda p: (-view.analyses[p]["words"], p))[:2]
        for p in longest:
            if (t := _shorter(ctx, p)) is not None:
                yield p, t, check


# --- value --------------------------------------------------------------------------------------


def _tailored(ctx: _Context, pos: int) -> str | None:
    if ctx.product is None:
        return None
    heard = ctx.heard(pos)
    point = ctx.best_value(heard)
    if point is None:
        return None
    proof = ctx.best_proof(heard | content_words(point))
    facts = ctx.fact_clauses(pos, content_words(point))
    value = ctx.value_clause(point)
    lead = phrasebook.VALUE_LEAD.format(clause=facts[0], value=value) if facts else value
    parts = [_sentence(lead)]
    if proof:
        parts.append(ctx.proof_sentence(proof))
    parts.append(phrasebook.VALUE_CHECK)
    return " ".join(parts)


def _tailored_plain(ctx: _Context, pos: int) -> str | None:
    """A real call (no product on file): the rep's own value sentences, tied to a cost the buyer
    stated, with the rep's own question."""
    said = [s.strip() for s in ctx.view.sentences(pos) if not s.strip().endswith("?")]
    claims = [_upper_first(s) for s in said if _about_product(ctx, pos, s)]
    if not claims:
        return None
    facts = [f for f in ctx.fact_clauses(pos) if not (content_words(f) & content_words(" ".join(claims)))]
    if not facts:
        return None
    question = ctx.own_question(pos) or phrasebook.VALUE_CHECK
    return " ".join([phrasebook.OBJECTION_RESPOND_LEAD.format(clause=facts[0]), *claims, question])


def _about_product(ctx: _Context, pos: int, text: str | None = None) -> bool:
    """A statement about the product: its name, one of its value points, or 'we / our'."""
    whole = text is None
    text = statement_text(ctx.view.text(pos)) if text is None else text
    named = ctx.product is not None and ctx.product.lower() in text.lower()
    points = whole and bool(ctx.view.analyses[pos]["value_points"])
    return named or points or bool(re.search(r"(?i)\b(we|our)\b", text))


def _value(ctx: _Context, failed: list[str]) -> Iterator[Candidate]:
    view, a = ctx.view, ctx.view.analyses
    plain = ctx.ordinary()
    pitches = [p for p in plain if a[p]["is_pitch"] and _about_product(ctx, p)]
    statements = [
        p for p in plain
        if _about_product(ctx, p) and len(words_of(normalise(statement_text(view.text(p))))) >= 8
    ]
    targets = list(dict.fromkeys(pitches + statements))
    asked_before = 0
    first_pitch = next((p for p in view.rep_pos if a[p]["is_pitch"]), None)
    if first_pitch is not None:
        asked_before = sum(a[q]["questions"] for q in view.rep_pos if q < first_pitch)
    for p in targets:
        if p == first_pitch and asked_before < 2 and "earned_pitch" in failed:
            yield p, _question_first(ctx, p), "earned_pitch"
        elif (t := _tailored(ctx, p) if ctx.product is not None else _tailored_plain(ctx, p)) is not None:
            yield p, t, _pick(failed, "tailored", "specific", "few_pitches")
        elif a[p]["is_pitch"]:
            yield p, _question_first(ctx, p), _pick(failed, "few_pitches", "earned_pitch", "tailored")


# --- objections ---------------------------------------------------------------------------------


def _objection_clauses(ctx: _Context, pos: int, say: str | None) -> list[str]:
    """The clauses of the buyer's line that raise the objection (not the rest of the line)."""
    if say is not None:
        return ctx.clauses(pos, content_words(say), need=1)
    return [c for c in ctx.clauses(pos) if signals.objection_type(normalise(c)) is not None]


def _objection(ctx: _Context, failed: list[str]) -> Iterator[Candidate]:
    view = ctx.view
    persona = view.persona
    for ep in ctx.n.episodes:
        if ep.resolved:
            continue
        replies = [p for p in ep.replies if p in view.analyses]
        if not replies:
            continue
        objection = persona.objection(ep.objection) if persona is not None else None
        kind = objection.type if objection is not None else ep.objection
        if ep.explored is None:
            clauses = _objection_clauses(ctx, ep.buyer_pos, objection.say if objection is not None else None)
            ack = phrasebook.OBJECTION_ACK_CLAUSE.format(clause=clauses[0]) if clauses else phrasebook.OBJECTION_ACK
            ask = phrasebook.OBJECTION_EXPLORE.get(kind, phrasebook.OBJECTION_EXPLORE_DEFAULT)
            for p in replies[:2]:
                yield p, f"{ack} {ask}", "explores"
            continue
        if ctx.product is None:
            continue
        after = [p for p in replies if ep.explored < 0 or p > ep.explored] or replies
        for p in after[:2]:
            concern = next((q for q in range(ep.buyer_pos, p) if ctx.fact_line(q)), ep.buyer_pos)
            prefer = view.content(concern) | view.content(ep.buyer_pos)
            if objection is not None:
                prefer |= {w for k in objection.response_keywords for w in content_words(k)}
            point = ctx.best_value(prefer)
            if point is None:
                continue
            proof = ctx.best_proof(prefer)
            clauses = ctx.clauses(concern, prefer)
            lead = (phrasebook.OBJECTION_RESPOND_LEAD.format(clause=clauses[0]) if clauses
                    else phrasebook.OBJECTION_RESPOND_ACK)
            parts = [lead, _sentence(ctx.value_clause(point))]
            if proof and _flat(proof) not in _flat(point):
                parts.append(ctx.proof_sentence(proof))
            parts.append(phrasebook.OBJECTION_CONFIRM)
            yield p, " ".join(parts), "responds" if ep.responded is None else _pick(failed, "resolves", "resolves_all")


# --- negotiation --------------------------------------------------------------------------------


def _round_up(value: float) -> float:
    step = 1000 if value >= 10_000 else 100
    return math.ceil(value / step) * step


def _negotiation(ctx: _Context, failed: list[str]) -> Iterator[Candidate]:
    view, neg = ctx.view, ctx.n.negotiation
    floor = _round_up((neg.min_fraction or 0.9) * neg.list_price) if neg.list_price else None
    heard = ctx.heard(len(view.turns))
    point = ctx.best_value(heard)
    if "trades" in failed:
        for p, traded in neg.concessions:
            if traded or p is None or p not in view.analyses:
                continue
            prices = view.analyses[p]["prices"]
            in_range = [x for x in prices if not neg.list_price or 0.3 * neg.list_price <= x <= 2 * neg.list_price]
            if in_range:
                before = [x for q, x in neg.rep_prices if q < p]
                offer = max(in_range[0], floor or 0)
                if before and offer >= before[-1]:
                    yield p, phrasebook.TRADE_HOLD.format(price=ctx.money(before[-1])), "trades"
                else:
                    yield p, phrasebook.TRADE.format(price=ctx.money(offer)), "trades"
            else:
                yield p, phrasebook.TRADE_NO_PRICE, "trades"
    if "anchors" in failed and neg.rep_prices:
        p = neg.rep_prices[0][0]
        if view.scenario is not None and point is not None and neg.list_price:
            product = view.scenario.product
            yield p, phrasebook.ANCHOR.format(
                product=product.name, price=ctx.money(neg.list_price), unit=product.price_unit,
                value=ctx.it_clause(point),
            ), "anchors"
        else:
            yield p, phrasebook.ANCHOR_PLAIN.format(price=ctx.money(neg.rep_prices[0][1])), "anchors"
    if neg.rep_prices and floor is not None:
        last, price = neg.rep_prices[-1]
        if "holds_price" in failed and point is not None and price < floor:
            yield last, phrasebook.HOLD.format(price=ctx.money(floor), value=ctx.value_clause(point)), "holds_price"
        if "closes" in failed and price >= floor:
            yield last, phrasebook.CLOSE_DEAL.format(price=ctx.money(price)), "closes"
        if "closes" in failed and price < floor and point is not None:
            yield last, phrasebook.HOLD.format(price=ctx.money(floor), value=ctx.value_clause(point)), "closes"


# --- closing ------------------------------------------------------------------------------------


def _close_line(ctx: _Context, pos: int) -> str | None:
    """A recap of what the buyer said, then a concrete step at a concrete time; None when that would
    add nothing to the rep's own proposal (a time was already offered and there is no fact to recap)."""
    ns, neg = ctx.n.next_step, ctx.n.negotiation
    time = ns.time if ns.time and not ns.agreed else phrasebook.CLOSE_TIME
    facts = ctx.fact_clauses(pos + 1)
    if neg.deal and neg.deal_price:
        purpose = phrasebook.CLOSE_PURPOSE_DEAL.format(price=ctx.money(neg.deal_price))
    elif ctx.product is not None:
        prefer = content_words(facts[0]) if facts else ctx.heard(pos + 1)
        point = ctx.best_value(prefer)
        purpose = (
            phrasebook.CLOSE_PURPOSE_PRODUCT.format(product=ctx.product, value=_lower_first(point.rstrip(".")))
            if point is not None and not re.match(r"(?i)(our|we)\b", point)
            else phrasebook.CLOSE_PURPOSE_PLAIN
        )
    else:
        purpose = phrasebook.CLOSE_PURPOSE_PLAIN
    if facts:
        return phrasebook.CLOSE_RECAP.format(clause=facts[0], time=time, purpose=purpose)
    a = ctx.view.analyses[pos]
    if ns.timed is not None or a["next_step_time"] or signals.time_question(ctx.view.text(pos)) is not None:
        return None
    return phrasebook.CLOSE.format(time=time, purpose=purpose)


def _closing(ctx: _Context, failed: list[str]) -> Iterator[Candidate]:
    view, ns = ctx.view, ctx.n.next_step
    if not view.rep_pos or (ns.agreed and ns.time):
        return  # the close booked a time: nothing to rewrite
    a = view.analyses
    targets = [p for p in (ns.proposed, ns.timed, *ns.asks) if p is not None]
    targets += view.rep_pos[::-1][:2]
    check = _pick(failed, "proposes", "with_time", "agreed", "recaps")
    for p in dict.fromkeys(targets):
        if a[p]["prices"] or a[p]["concession"] or (p == view.rep_pos[0] and a[p]["greeting"]):
            continue  # a price move or the opening is not the place for the close
        if (t := _close_line(ctx, p)) is not None:
            yield p, t, check


# --- rapport ------------------------------------------------------------------------------------


def _rapport(ctx: _Context, failed: list[str]) -> Iterator[Candidate]:
    view, a = ctx.view, ctx.view.analyses
    if not view.rep_pos:
        return
    if "warm_open" in failed:
        for p in view.rep_pos:
            if signals.rude(view.lows[p]):
                kept = [s for s in view.sentences(p) if not signals.rude(normalise(s))]
                if kept:
                    yield p, " ".join(kept), "warm_open"
        first = view.rep_pos[0]
        if not a[first]["greeting"]:
            what = ctx.product or phrasebook.WHAT_PLAIN
            yield first, phrasebook.OPENING.format(name=ctx.buyer_name, what=what), "warm_open"
    if "low_fillers" in failed:
        pattern = r"(?i)(?<![\w'])(?:" + "|".join(re.escape(f) for f in phrasebook.FILLERS) + r")(?![\w'])[,]?\s*"
        for p in sorted(view.rep_pos, key=lambda q: (-a[q]["fillers"], q)):
            if not a[p]["fillers"]:
                break
            cleaned = re.sub(r"\s+([,.?!])", r"\1", re.sub(r"\s{2,}", " ", re.sub(pattern, "", view.text(p)))).strip()
            yield p, _upper_first(cleaned.lstrip(", ")), "low_fillers"
    if "concise" in failed:
        for p in sorted(ctx.ordinary(), key=lambda q: (-a[q]["words"], q))[:2]:
            if (t := _shorter(ctx, p)) is not None:
                yield p, t, "concise"
    if "engaged" in failed:
        for p in ctx.ordinary():
            if view.response(p).negative and _about_product(ctx, p):
                yield p, _question_first(ctx, p), "engaged"  # the pitch that lost the buyer


_BUILDERS: dict[str, Callable[[_Context, list[str]], Iterator[Candidate]]] = {
    "discovery_questioning": _discovery,
    "active_listening": _listening,
    "value_articulation": _value,
    "objection_handling": _objection,
    "negotiation": _negotiation,
    "closing_next_steps": _closing,
    "rapport_communication": _rapport,
}


def better_line(
    scores: list[CompetencyScore], rubric: Rubric, view: CallView, n: CallNumbers
) -> BetterLine | None:
    """A rewrite of one rep line for the largest gap that can be shown with a real line (the next
    gap when no usable line can be made for it), with the reason; None when there is none."""
    if not view.rep_pos:
        return None
    ctx = _Context(view, n)
    for comp in by_gap(scores):
        failed = [ch.id for ch in comp.checks if not ch.passed]
        rule = rubric.competency(comp.id)
        tips = {ch.id: ch.tip for ch in rule.checks}
        for pos, text, check in islice(_BUILDERS[comp.id](ctx, failed), MAX_CANDIDATES):
            if pos not in view.analyses or ctx.did_job(pos):
                continue
            text = re.sub(r"\s+", " ", text).strip()
            if problems(text, ctx.buyer_lines, view.text(pos)):
                continue
            why = tips.get(check) or tips.get(failed[0]) or rule.levels[4]
            return BetterLine(
                competency=comp.id, turn=view.number(pos), original=view.text(pos), better=text, why=why
            )
    return None


def next_drill(
    scores: list[CompetencyScore], library: ContentLibrary | None, current: str | None
) -> NextDrill | None:
    """A shipped scenario that trains the largest gap (another drill when there is one)."""
    low = weakest(scores)
    if low is None or library is None:
        return None
    fits = [s for s in library.shared_scenarios() if low.id in s.competencies]  # not a team's own drill
    if not fits:
        return None
    fits.sort(key=lambda s: (s.id == current, s.competencies.index(low.id), s.id))
    pick = fits[0]
    what = "your largest gap" if gap(low) > 0 else "your lowest score"
    why = f"trains {low.name.lower()}, {what} ({low.score}/5)"
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
