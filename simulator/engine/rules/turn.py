"""What every rule shares: the fixed director context and the one-turn accumulator of changes."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from simulator.content.models import DifficultyVariant, Persona, Scenario
from simulator.content.stock import stock_lines
from simulator.engine.rules.choose import FIT_BAND, PHRASINGS, choose_line, line_key
from simulator.engine.rules.wording import asked_thing, asked_topic, names_topic, opinion_ask
from simulator.engine.state import BuyerMove, BuyerState, MoveKind

TRUST_STEP = 0.05
SEED_ONLY = frozenset({"greeting", "small_talk", "thanks", "agree_next_step", "ask_for_time", "decline_next_step",
                       "end_call", "impatient"})
"""Line kinds that do not answer the rep's words (a goodbye, agreeing to a time): any option fits as
well as another, so the session seed alone chooses (fit would give every rep the same line)."""
NAMING_BAND = 0.15
"""Among lines that all name what the rep asked about, those within this much of the best fit fit
alike and the session seed chooses: the topic is already answered, so variety wins over nuance."""
LOOSE_KINDS = frozenset({"closed_answer"})
"""Line kinds chosen with ``NAMING_BAND`` whatever was asked (stock answers that fit alike)."""
PERSONAL_KEY = "personal"
"""Line kind (and topic) of answers to personal and off-topic questions."""
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

    def fact_threshold(self, min_trust: float) -> float:
        """The trust a fact needs at this difficulty."""
        return round(min(1.0, max(0.0, min_trust + self.variant.fact_trust_delta)), 2)


def format_price(value: float, currency: str = "USD") -> str:
    """'$45,000' style, rounded to whole units (what the buyer says and must say verbatim)."""
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, "")
    text = f"{round(value):,}"
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def numbers_in(text: str) -> list[str]:
    """The numbers and prices in a buyer line (values the voiced line must keep verbatim)."""
    return [m.group(0).strip() for m in _NUMBER.finditer(text) if any(c.isdigit() for c in m.group(0))]


class Turn:
    """Accumulates one turn's state changes, reasons and line parts."""

    def __init__(self, ctx: DirectorContext, state: BuyerState, rep_text: str = "") -> None:
        self.ctx = ctx
        self.s: BuyerState = copy.deepcopy(state)
        self.rep_text = rep_text
        """The rep's message this turn (lines are chosen to fit it); empty for the opening."""
        self.reasons: list[str] = []
        self.changes: list[str] = []
        self.parts: list[str] = []
        self.required: list[str] = []
        self.kind: MoveKind = "answer"
        self.fact_id: str | None = None
        self.objection_id: str | None = None
        self.price: float | None = None
        self.topics: list[str] = []
        """The lexicon's topics in the rep's questions this turn (set by the director)."""
        self.asks = False
        """The rep's message asks something (set by the director)."""
        self.probed: list[str] = []
        """Hidden facts the rep's questions probe this turn, open or closed (set by the director)."""
        self.personal = False
        """The rep's question is small talk or about the buyer as a person (set by the director)."""
        self._asked: tuple[str | None] | None = None

    @property
    def asked(self) -> str | None:
        """The topic the rep's question is about, for wording only (:mod:`~simulator.engine.rules.wording`)."""
        if self._asked is None:
            self._asked = (asked_topic(self.rep_text, self.topics) if self.asks else None,)
        return self._asked[0]

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
    def pick_line(self, key: str, candidates: Sequence[str], values: Mapping[str, str] | None = None, *,
                  phrasings: bool = False, fit_to: str | None = None, alike: bool = False) -> str:
        """Choose among ``candidates`` the line that best fits the rep's message and was not said yet
        this session (:mod:`simulator.engine.rules.choose`); ``{name}`` placeholders get ``values``,
        which the voiced line must then keep verbatim. ``fit_to``: the part of the rep's message the line
        answers (default: all of it). ``alike``: every candidate answers what was asked (a held-back fact's
        partial answers): those within ``NAMING_BAND`` of the best fit fit alike. The stock pool of the kind
        (:meth:`~simulator.content.stock.StockLines.pool`) joins the candidates. ``phrasings``: the
        candidates say the same thing (a fact, an objection, a counter-offer), so the session seed alone chooses.

        Otherwise, when the rep asked about a topic, the lines not said yet that name it come first:
        a reply names what was asked."""
        values = values or {}
        candidates = [*candidates, *(c for c in stock_lines().pool(key) if c not in candidates)]
        phrasings = phrasings or key in SEED_ONLY
        filled = []
        for option in candidates:
            for name, value in values.items():
                option = option.replace("{" + name + "}", value)
            filled.append(option)
        said = self.s.setdefault("lines_said", [])
        keys = [line_key(option) for option in candidates]
        band = PHRASINGS if phrasings else FIT_BAND
        pool = list(range(len(filled)))
        if alike:
            band = NAMING_BAND
        elif not phrasings and len(filled) > 1 and (topic := self.asked) is not None:
            naming = [i for i in pool if keys[i] not in said and names_topic(filled[i], topic)]
            if naming:
                pool, band = naming, NAMING_BAND
        if key in LOOSE_KINDS:
            band = max(band, NAMING_BAND)
        if key == PERSONAL_KEY:
            band = FIT_BAND  # the weekend, the game and the role all name 'personal': the one asked about wins
        chosen = pool[choose_line([filled[i] for i in pool], fit_to or self.rep_text, self.s.get("variety_seed", 0),
                                  said, [keys[i] for i in pool], band)]
        text = filled[chosen]
        said.append(keys[chosen])
        self.s["lines_used"][key] = self.s["lines_used"].get(key, 0) + 1
        self.required.extend(v for v in values.values() if v in text)
        return text

    def line(self, key: str, **values: str) -> str:
        """A line of a kind from the persona (or the stock lines when the persona has none)."""
        options: list[str] = list(getattr(self.ctx.persona.lines, key, None) or [])
        if not options:
            options = list(getattr(stock_lines(), key))
        return self.pick_line(key, options, values)

    def deflection(self, topic: str, partial: Sequence[str] = (), key: str | None = None, *,
                   partial_first: bool = False) -> str:
        """An in-character way of not answering a question on ``topic`` yet, naming it: ``partial`` (a
        held-back fact's partial answers on what was asked), the persona's deflections of the topic and
        the stock ones, best fit to the question first. ``partial_first``: the question is about that
        fact, and its middle depth says more than a deflection any buyer could give, so only ``partial``
        (when there is one). Asked about money once the buyer has named its price, it says that price
        again (nothing new: its offer stands)."""
        if topic == PERSONAL_KEY:
            own = list(self.ctx.persona.lines.personal)
            return self.pick_line(PERSONAL_KEY, [*own, *(c for c in stock_lines().personal if c not in own)])
        offer = self.s.get("buyer_offer")
        if topic == "budget" and offer is not None:
            price = format_price(offer, self.ctx.scenario.product.currency)
            return self.pick_line("restate_offer", stock_lines().restate_offer, {"price": price})
        if partial and partial_first:
            return self.pick_line(key or f"deflect:{topic}", list(partial), alike=True)
        options = [*partial, *self.ctx.persona.lines.deflect.get(topic, []), *stock_lines().deflect.get(topic, [])]
        if not options:
            return self.line("vague_answer")
        return self.pick_line(key or f"deflect:{topic}", options)

    def opinion(self, warm: bool) -> str:
        """Asked its opinion of the offer ('Would that help?', 'Worth a look?'): not yet (the persona's
        and the stock 'too early' lines together, so the one naming what was asked can win), or with
        ``warm`` trust, maybe. The line fits the ask itself ('would that help'), not the offer around it."""
        ask = opinion_ask(self.rep_text)
        thing = asked_thing(self.rep_text, opinion=True)
        if warm:
            pool = list(stock_lines().warmer_opinion)
            key = "warmer_opinion"
        else:
            own = list(self.ctx.persona.lines.too_early)
            pool, key = [*own, *(c for c in stock_lines().too_early if c not in own)], "too_early"
        if thing is None:
            return self.pick_line(key, pool, fit_to=ask)
        # what was asked about, in the rep's words, then the opinion ('A phased rollout? Too early to say.')
        pool = [line for line in pool if "?" not in line] or pool
        return f"{thing}? {self.pick_line(key, pool, fit_to=ask)}"

    def closed_answer(self) -> str:
        """A short answer to a closed question on no business topic: what was asked, in the rep's words,
        then the persona's non-committal answer ('The proposal? I'd need more detail to say.'); the
        bare answer when nothing safe to say back is found (:func:`~simulator.engine.rules.wording.asked_thing`)."""
        thing = asked_thing(self.rep_text)
        answer = self.line("closed_answer")
        return f"{thing}? {answer}" if thing is not None else answer

    def say(self, kind: MoveKind, text: str, reason: str) -> None:
        if not self.parts:
            self.kind = kind
        self.parts.append(text)
        self.reasons.append(reason)

    def clear(self) -> None:
        """Drop what was going to be said (a later rule replaces it)."""
        self.parts.clear()
        self.reasons.clear()
        self.required.clear()

    def move(self) -> BuyerMove:
        gist = " ".join(p.strip() for p in self.parts if p.strip())
        required = list(dict.fromkeys([*self.required, *numbers_in(gist)]))
        return BuyerMove(kind=self.kind, gist=gist, required=required, fact_id=self.fact_id,
                         objection_id=self.objection_id, price=self.price, reasons=self.reasons,
                         state_changes=self.changes)
