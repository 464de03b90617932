"""Scripted rep policies (no LLM) that prove a drill is winnable and not trivially so.

For every scenario kind there is a strong rep and a weak rep. They are generic: each reads only a
:class:`~simulator.engine.repview.RepView` (the scenario sheet, the buyer's name, role and company,
the lines said so far and the visible stage) and never the buyer's hidden facts, objection
concerns, keywords, trust, patience or walk-away.

Strong discovery rep
  Greets, then asks one open question per turn, working through question families in a natural
  order (situation → implication → decision → money and time → context). A family is done once
  the buyer answered it with something specific (a figure, or a full answer never heard before);
  families that got a stock answer are asked again from another angle later, as trust grows. After
  a specific answer it reflects it back ("It sounds like you…") before the next question. Once it
  has heard one more specific answer than the drill's fact target (or the call nears its turn
  cap) it proposes a next meeting at a concrete time, then says goodbye.
Weak discovery rep
  Pitches the value points, asks closed questions, and asks for a demo with a time.
Strong objection rep
  Acknowledges and explores each objection ("What's behind that for you?"), then answers the
  concern the buyer explained with the two value or proof points whose words best match it, and
  checks back. If the buyer is not satisfied it tries the next-best points. When the visible stage
  moves to next steps it books a meeting at a concrete time.
Weak objection rep
  Answers every objection at once with the product's points, or pitches; never explores.
Strong negotiator
  Restates value and anchors at list, then trades every concession ("If you …, I can do $X") in
  steps of 2% of list, never below the drill's floor; at the floor it trades non-price concessions
  for commitments; it accepts a counter-offer at or above the price it would offer next.
Weak negotiator
  Names list, then gives discounts for nothing until the buyer agrees.
Scripted rep (``sparring selfplay --rep-script FILE``)
  Says fixed lines in order, whatever the buyer answers; when they run out the rep ends the call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from simulator.engine.director import format_price
from simulator.engine.repview import (
    PublicBrief,
    RepView,
    best_points,
    money_in,
    reflect,
    sentence,
)

RepStrength = Literal["strong", "weak"]

QUESTION_FAMILIES: tuple[tuple[str, ...], ...] = (
    ("current_solution", "pain"),
    ("impact", "metrics", "goals"),
    ("decision_process",),
    ("budget", "timeline"),
    ("team", "technical", "competition", "risk", "compliance"),
)
"""Lexicon topics grouped into the question families a discovery call works through, in order."""

TOPIC_QUESTIONS: dict[str, tuple[str, ...]] = {
    "current_solution": ("How are you handling this today?",
                         "Walk me through the way it works at the moment?"),
    "pain": ("What's the biggest challenge with the way it works?", "Where does it get frustrating for you?"),
    "impact": ("What impact does that have on the business?", "What happens if nothing changes?"),
    "metrics": ("Which numbers do you track most closely here?", "How do you measure how well it's going?"),
    "goals": ("What are you trying to achieve this year?", "What would success look like for you?"),
    "decision_process": ("How do decisions like this get made, and who else is involved?",
                         "Who else would need to sign off on a change like this?"),
    "budget": ("How are you thinking about budget for this?", "How is something like this usually funded?"),
    "timeline": ("What timeline are you working to?", "What's driving the timing on this?"),
    "team": ("Who on your team deals with this day to day?",),
    "technical": ("Which systems would this need to work with?",),
    "competition": ("What alternatives have you considered so far?",),
    "risk": ("What risks do you see in changing how this works?",),
    "compliance": ("What compliance requirements shape this for you?",),
}
"""One open question per topic, each probing exactly that topic (tests/test_selfplay.py checks)."""

MEETING_TIME = "Tuesday at 10am"
EXPLORES = ("That's a fair point, and I appreciate you raising it. What's behind that for you?",
            "I hear you, and that makes sense. Help me understand what's driving that?",
            "I understand. When you say that, what specifically is the concern?")
TRADES = ("commit to a two-year term", "sign by the end of this month", "agree to be a reference customer",
          "let us publish a case study with you", "pay annually in advance",
          "introduce us to your other sites")
GIVES = ("onboarding", "an extra month of service", "premium support", "training for your team")


class Policy:
    """A scripted rep. ``next_line`` returns the rep's next message, or None to end the call."""

    def next_line(self, view: RepView) -> str | None:  # pragma: no cover - interface
        raise NotImplementedError


def _goodbye(view: RepView) -> str:
    return f"Thanks {view.brief.first_name}, I'll send the invite for {MEETING_TIME}. Talk soon."


def _booked(view: RepView) -> bool:
    return MEETING_TIME.split()[0].lower() in view.last_buyer.lower()


def _propose(recap: str | None = None) -> str:
    ask = f"Could we book 30 minutes on {MEETING_TIME} to go through what this could look like for you?"
    return f"{recap} {ask}" if recap else ask


@dataclass
class StrongDiscovery(Policy):
    asked: dict[str, int] = field(default_factory=dict)
    done: set[int] = field(default_factory=set)
    specific: int = 0
    last_family: int | None = None
    proposed: bool = False

    def next_line(self, view: RepView) -> str | None:
        if view.rep_turns == 0:
            return f"Hi {view.brief.first_name}, thanks for taking the time today."
        if self.proposed and _booked(view):
            return _goodbye(view)
        recap = None
        if self.last_family is not None and view.last_is_substantive():
            self.done.add(self.last_family)
            self.specific += 1
            recap = reflect(view.last_buyer)
        target = (view.brief.min_facts or 0) + 1
        all_done = len(self.done) == len(QUESTION_FAMILIES)
        if self.specific >= target or all_done or (view.turns_left <= 2 and self.specific):
            self.proposed, self.last_family = True, None
            return _propose(recap)
        family, topic = self._next_topic()
        self.last_family = family
        count = self.asked.get(topic, 0)
        self.asked[topic] = count + 1
        options = TOPIC_QUESTIONS[topic]
        question = options[count % len(options)]
        return f"{recap} {question}" if recap else question

    def _next_topic(self) -> tuple[int, str]:
        """The least-asked topic of the first family not yet answered, after the last one asked."""
        order = list(range(len(QUESTION_FAMILIES)))
        if self.last_family is not None:
            start = (self.last_family + 1) % len(order)
            order = order[start:] + order[:start]
        open_families = [f for f in order if f not in self.done] or order
        family = open_families[0]
        topics = QUESTION_FAMILIES[family]
        topic = min(topics, key=lambda t: (self.asked.get(t, 0), topics.index(t)))
        return family, topic


@dataclass
class WeakDiscovery(Policy):
    def next_line(self, view: RepView) -> str | None:
        product, turn = view.brief.product, view.rep_turns
        script = [
            f"Hi {view.brief.first_name}, I'm calling about {product.name}.",
            "Our product is the market leader. "
            f"{' '.join(sentence(v, product.name) for v in product.value_points)} "
            "We help companies like yours every day and our customers love it.",
            "Do you have a budget for this?",
            "Are you the decision maker?",
            f"Can we book a demo on {MEETING_TIME}?",
            f"Let me tell you more. {sentence(product.summary)} Our platform is best-in-class and seamless.",
            "Is that something you'd buy?",
        ]
        return script[turn] if turn < len(script) else None


@dataclass
class StrongObjections(Policy):
    last: str = ""
    concern: str = ""
    attempt: int = 0
    explored: int = 0

    def next_line(self, view: RepView) -> str | None:
        if view.rep_turns == 0:
            return f"Hi {view.brief.first_name}, thanks for making the time today."
        if self.last == "propose":
            return _goodbye(view) if _booked(view) else _propose()
        if view.stage == "next_steps" and self.last == "respond":
            self.last = "propose"
            return _propose()
        if view.rep_turns == 1:
            self.last = "agenda"
            return "Where would you like to start?"
        if self.last == "explore":
            if view.last_is_substantive():
                self.concern, self.attempt = view.last_buyer, 0
            else:
                self.attempt += 1
            return self._respond(view)
        self.last = "explore"
        self.explored += 1
        return EXPLORES[(self.explored - 1) % len(EXPLORES)]

    def _respond(self, view: RepView) -> str:
        self.last = "respond"
        points = best_points(view.brief.product, self.concern, n=2, skip=self.attempt)
        name = view.brief.product.name
        return "That makes sense. " + " ".join(sentence(p, name) for p in points) + " Would that address it?"


@dataclass
class WeakObjections(Policy):
    def next_line(self, view: RepView) -> str | None:
        product, turn = view.brief.product, view.rep_turns
        if turn == 0:
            return f"Hi {view.brief.first_name}."
        if turn >= view.brief.turn_cap or turn > 8:
            return None
        if turn == 6:
            return f"Can we book a demo on {MEETING_TIME}?"
        points = [*product.value_points, *product.proof_points]
        first, second = points[turn % len(points)], points[(turn + 1) % len(points)]
        return f"{sentence(first, product.name)} {sentence(second, product.name)}"


@dataclass
class StrongNegotiator(Policy):
    price: float = 0.0
    trades: int = 0

    def next_line(self, view: RepView) -> str | None:
        brief = view.brief
        product, cur = brief.product, brief.product.currency
        list_price = product.list_price
        floor = list_price * (brief.min_price_fraction or 0.9)
        if view.rep_turns == 0:
            return f"Hi {brief.first_name}, thanks for making the time today."
        if not self.price:
            self.price = list_price
            return (f"{sentence(product.value_points[0], product.name)} "
                    f"The price is {format_price(list_price, cur)} {product.price_unit}.")
        counters = [m for m in money_in(view.last_buyer) if 0.3 * list_price <= m <= 2 * list_price]
        offer = max(counters) if counters else None
        step = round(0.02 * list_price, -2) or 0.02 * list_price
        next_price = max(floor, self.price - step)
        if offer is not None and offer >= next_price - 1e-6:
            return "Agreed, we have a deal. Thank you."
        ask = TRADES[self.trades % len(TRADES)]
        self.trades += 1
        if next_price < self.price - 1e-6:
            self.price = next_price
            return f"I understand. If you {ask}, I can do {format_price(next_price, cur)}."
        give = GIVES[(self.trades - 1) % len(GIVES)]
        return f"I hear you. If you {ask}, I can include {give} at no extra cost."


@dataclass
class WeakNegotiator(Policy):
    def next_line(self, view: RepView) -> str | None:
        product, cur = view.brief.product, view.brief.product.currency
        turn = view.rep_turns
        if turn == 0:
            return f"Hi {view.brief.first_name}."
        if turn == 1:
            return f"Our price is {format_price(product.list_price, cur)} {product.price_unit}."
        if turn > 8:
            return None
        discount = min(0.6, 0.06 * turn)
        return f"OK, I can do {format_price(round(product.list_price * (1 - discount), -2), cur)}."


REP_SCRIPT_COMMENT = "#"


def parse_rep_script(text: str) -> list[str]:
    """The rep's messages in a script: one per line; blank lines and lines starting with '#' skipped."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith(REP_SCRIPT_COMMENT)]


@dataclass
class ScriptedRep(Policy):
    """Fixed rep lines said in order, whatever the buyer answers; None (the call ends) once they run out."""

    lines: list[str]
    said: int = 0

    def next_line(self, view: RepView) -> str | None:
        if self.said >= len(self.lines):
            return None
        self.said += 1
        return self.lines[self.said - 1]


_POLICIES: dict[tuple[str, RepStrength], Callable[[], Policy]] = {
    ("discovery", "strong"): StrongDiscovery,
    ("discovery", "weak"): WeakDiscovery,
    ("objection_handling", "strong"): StrongObjections,
    ("objection_handling", "weak"): WeakObjections,
    ("negotiation", "strong"): StrongNegotiator,
    ("negotiation", "weak"): WeakNegotiator,
}


def make_policy(kind: str, rep: RepStrength) -> Policy:
    """A fresh policy (policies keep per-call memory) for a scenario kind."""
    return _POLICIES[(kind, rep)]()


__all__ = ["QUESTION_FAMILIES", "TOPIC_QUESTIONS", "Policy", "PublicBrief", "RepStrength", "ScriptedRep",
           "make_policy", "parse_rep_script"]
