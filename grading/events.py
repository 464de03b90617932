"""What happened in the call: objections and how each was handled, the next step, the negotiation.

In a practice session these come from the buyer's recorded moves and final state (the director's
decisions). In a real call they come from phrases in the buyer's lines (:mod:`grading.signals`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from grading import signals
from grading.responses import buyer_acts
from grading.view import CallView, statement_text
from simulator.engine.understand import words_of
from simulator.understanding.buyer import read_context


@dataclass
class Episode:
    """One objection and the rep's replies until the next objection."""

    buyer_pos: int
    objection: str
    """The objection id (session) or detected type (real call)."""
    replies: list[int] = field(default_factory=list)
    acknowledged: int | None = None
    """Position of the rep line that acknowledged it (or -1 when only the director's flag says so)."""
    explored: int | None = None
    responded: int | None = None
    confirmed: int | None = None
    resolved: bool = False


@dataclass
class NextStep:
    proposed: int | None = None
    timed: int | None = None
    time: str | None = None
    agreed: bool = False
    agreed_pos: int | None = None
    asks: list[int] = field(default_factory=list)
    """Real call: rep turns that ask for a next step or for the commitment itself."""
    stance: int = 0
    """Real call: buyer replies from the first ask on that agree minus those that refuse."""
    committed_amount: int | None = None
    """Real call: the buyer's agreeing reply that names a concrete amount or quantity (None once refused after)."""


@dataclass
class Negotiation:
    list_price: float | None = None
    list_basis: str = "none"
    """'scenario' (the product's list price) or 'first rep price' (a real call)."""
    rep_prices: list[tuple[int, float]] = field(default_factory=list)
    final_price: float | None = None
    deal: bool = False
    deal_price: float | None = None
    buyer_target: float | None = None
    buyer_walk_away: float | None = None
    concessions: list[tuple[int | None, bool]] = field(default_factory=list)
    """(rep position or None, traded) for every concession given."""
    min_fraction: float | None = None

    @property
    def engaged(self) -> bool:
        """The rep named a price, or conceded or traded something, or (practice session) closed."""
        return bool(self.rep_prices or self.concessions or (self.list_basis == "scenario" and self.deal))


def _first(positions: list[int], test: Callable[[int], bool]) -> int | None:
    for pos in positions:
        if test(pos):
            return pos
    return None


def _answers(view: CallView, pos: int, min_words: int) -> bool:
    return len(words_of(statement_text(view.text(pos)))) >= min_words


def objection_episodes(view: CallView, min_words: int = 12) -> list[Episode]:
    """Every objection the buyer raised, with the rep's handling of it."""
    episodes: list[Episode] = []
    if view.session:
        # A buyer line can resolve one objection and raise the next: read raises from the state.
        raised: list[str] = []
        for pos, turn in enumerate(view.turns):
            state, move = turn.get("state"), turn.get("move")
            now = list(state.get("objections_raised", [])) if state else []
            if not state and move and move["kind"] == "raise_objection":
                now = [*raised, move.get("objection_id") or "objection"]
            for oid in now:
                if oid not in raised:
                    raised.append(oid)
                    episodes.append(Episode(pos, oid))
    else:
        acts = buyer_acts(view.turns, view.responses)  # type: ignore[arg-type]
        for pos, turn in enumerate(view.turns):
            if turn["speaker"] != "rep":
                asked = pos - 1 if pos > 0 and view.turns[pos - 1]["speaker"] == "rep" else None
                if episodes and not episodes[-1].resolved and asked is not None and view.analyses[asked]["explores"]:
                    continue  # the buyer explaining the open objection's real concern, not a new objection
                kind = signals.objection_type(view.lows[pos])
                if kind is None and acts[pos]["objects"]:
                    kind = "concern"
                if kind and not (episodes and episodes[-1].objection == kind and not episodes[-1].resolved):
                    episodes.append(Episode(pos, kind))
    starts = [e.buyer_pos for e in episodes] + [len(view.turns)]
    state = view.final_state
    a = view.analyses
    for ep, end in zip(episodes, starts[1:], strict=True):
        ep.replies = [p for p in view.rep_pos if ep.buyer_pos < p < end]
        ep.acknowledged = _first(
            ep.replies, lambda p: a[p]["acknowledges"] or signals.acknowledges(view.lows[p])
        )
        # Real calls: exploring counts when the buyer then says more; an answer counts when the buyer
        # does not push back on it (practice sessions overwrite both from the director's progress below).
        ep.explored = _first(ep.replies, lambda p: a[p]["explores"] and (view.session or view.response(p).answered))
        explored_at = ep.explored
        ep.responded = (
            None
            if explored_at is None
            else _first([p for p in ep.replies if p > explored_at],
                        lambda p: _answers(view, p, min_words) and (view.session or not view.response(p).negative))
        )
        ep.confirmed = _first(ep.replies, lambda p: signals.confirms(view.lows[p]))
        if state is not None:
            progress = state.get("objection_progress", {}).get(ep.objection)
            if progress is not None:
                ep.acknowledged = ep.acknowledged if progress["acknowledged"] else None
                ep.explored = ep.explored if progress["explored"] else None
                ep.responded = _resolving_reply(view, ep) if progress["responded"] else None
                if progress["acknowledged"] and ep.acknowledged is None:
                    ep.acknowledged = -1
                if progress["explored"] and ep.explored is None:
                    ep.explored = -1
            ep.resolved = ep.objection in state.get("objections_resolved", [])
        else:
            # Resolved only when the buyer says so: the last reply in the episode agrees, with no
            # refusal or new objection in it. Asking "does that address it?" earns nothing by itself.
            answered = ep.responded
            after = [view.response(p) for p in ep.replies if answered is not None and p >= answered]
            after = [r for r in after if r.exists]
            ep.resolved = bool(after) and any(r.agrees for r in after) and not after[-1].negative
            if ep.confirmed is not None and not view.response(ep.confirmed).agrees:
                ep.confirmed = None
    return episodes


def _resolving_reply(view: CallView, ep: Episode) -> int:
    """The rep line just before the buyer's 'resolved' move, else the last reply, else -1."""
    for pos, move in view.moves:
        if move["kind"] == "resolve_objection" and move.get("objection_id") == ep.objection:
            before = [p for p in ep.replies if p < pos]
            if before:
                return before[-1]
    return ep.replies[-1] if ep.replies else -1


def next_step(view: CallView) -> NextStep:
    """Whether a next step was proposed, with a time, and agreed."""
    a = view.analyses
    out = NextStep()
    out.proposed = _first(view.rep_pos, lambda p: a[p]["next_step"] or signals.asks_for_meeting(view.lows[p]))
    out.timed = _first(view.rep_pos, lambda p: bool(a[p]["next_step_time"]))
    out.time = a[out.timed]["next_step_time"] if out.timed is not None else None
    if out.timed is None and out.proposed is not None:
        # 'Would a demo help?' then 'Would Thursday at 3pm work?': the time can follow in a later turn.
        later = [p for p in view.rep_pos if p >= out.proposed][:3]
        out.timed = _first(later, lambda p: signals.time_question(view.text(p)) is not None)
        out.time = signals.time_question(view.text(out.timed)) if out.timed is not None else None
    if view.session:
        agreed = [pos for pos, move in view.moves if move["kind"] == "agree_next_step"]
        state_time = view.final_state.get("next_step") if view.final_state else None
        if agreed or state_time:
            out.agreed = True
            out.agreed_pos = agreed[0] if agreed else None
            out.time = state_time or out.time
        return out
    # A real call's close is an ask for a next step or for the commitment itself ("Would you like to
    # donate $1?"), judged by what the buyer said from the first ask on: the buyer's last decisive
    # reply (a yes or a no) must be a yes. A yes given a turn later ("Let me think. … Ok, $1 then.")
    # counts; a yes taken back by a later refusal does not; a refusal, a re-ask and then a yes counts.
    # A statement of the commitment or next step that the buyer accepts is a proposal too ("You can give
    # part of your payment." / "I'll donate $1."; "Next step would be a demo." / "Sure, Thursday works.").
    out.asks = [p for p in view.rep_pos
                if a[p]["next_step"] or signals.asks_for_meeting(view.lows[p])
                or signals.asks_for_commitment(view.lows[p])
                or (signals.mentions_commitment(view.lows[p]) and view.response(p).agrees)]
    if out.proposed is None and out.asks:
        out.proposed = out.asks[0]
    if not out.asks:
        return out
    asked = set(out.asks)
    last_verdict: bool | None = None
    for pos in [p for p in view.rep_pos if p >= out.asks[0]]:
        reply = view.response(pos)
        if reply.buyer_pos is None:
            continue
        said = view.lows[reply.buyer_pos]
        # (the cheap test of the reply first: reading the rep's line again is the costly part)
        if pos not in asked and not signals.mentions_commitment(said) and read_context(view.text(pos)).information:
            # A yes or no to a later question for information ("Do you use Salesforce?" / "Sure.") answers
            # that question: it neither accepts nor takes back the ask.
            continue
        refused = bool(reply.acts.get("refuses")) or signals.names_nothing(said)
        # An amount answers an ask ("50 cents."); elsewhere it may be anything ("I give $20 a month to…").
        amount = pos in asked and signals.names_amount(said) and not reply.acts.get("deflects")
        says_yes = not refused and (reply.agrees or amount)
        if says_yes:
            out.stance += 1
            last_verdict = True
            out.agreed_pos = reply.buyer_pos
            out.committed_amount = reply.buyer_pos if signals.names_amount(said) else out.committed_amount
        elif refused:
            out.stance -= 1
            last_verdict = False
            out.committed_amount = None
    out.agreed = bool(last_verdict)
    if not out.agreed:
        out.agreed_pos = None
    return out


def negotiation(view: CallView) -> Negotiation:
    """Prices, concessions and the deal."""
    out = Negotiation()
    a = view.analyses
    state = view.final_state
    scenario = view.scenario
    if scenario is not None:
        out.list_price, out.list_basis = scenario.product.list_price, "scenario"
        out.min_fraction = scenario.success.min_price_fraction
    # With a list price, amounts far from it ('$400,000 of downtime avoided') are not offers.
    low, high = (0.3 * out.list_price, 2 * out.list_price) if out.list_price else (0.0, float("inf"))
    out.rep_prices = [
        (p, price) for p in view.rep_pos for price in [x for x in a[p]["prices"] if low <= x <= high and x > 0][:1]
    ]
    if view.session and state is not None:
        out.list_price = state.get("list_price") or out.list_price
        out.deal_price = state.get("deal_price")
        out.deal = out.deal_price is not None
        out.final_price = out.deal_price or state.get("rep_price")
        out.buyer_walk_away = state.get("buyer_ceiling")
        by_text = {view.text(p): p for p in reversed(view.rep_pos)}
        out.concessions = [
            (by_text.get(c["rep_line"]), bool(c["traded"])) for c in state.get("concessions", [])
        ]
        profile = view.persona.negotiation if view.persona is not None else None
        if profile is not None and out.list_price:
            out.buyer_target = round(profile.target * out.list_price, 2)
            if out.buyer_walk_away is None:
                out.buyer_walk_away = round(profile.walk_away * out.list_price, 2)
        return out
    if out.list_price is None and out.rep_prices:
        out.list_price, out.list_basis = out.rep_prices[0][1], "first rep price"
    start = next((p for p in range(len(view.turns)) if signals.price_talk(view.lows[p])), len(view.turns))
    lowered: set[int] = set()  # a real call has no list price: a lower price than before is a concession
    for (_, before), (pos, price) in zip(out.rep_prices, out.rep_prices[1:], strict=False):
        if price < before:
            lowered.add(pos)
    out.concessions = [(p, a[p]["asks_in_return"]) for p in view.rep_pos
                       if p >= start and (a[p]["concession"] or p in lowered)]
    if out.rep_prices:
        last_pos, out.final_price = out.rep_prices[-1]
        if view.response(last_pos).agrees:
            out.deal, out.deal_price = True, out.final_price
    elif out.concessions:
        # Trades of items or terms with no price ("I'll take the books if you give me the hat").
        conceded_at = out.concessions[-1][0]
        if conceded_at is not None and view.response(conceded_at).agrees:
            out.deal = True
    return out
