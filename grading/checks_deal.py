"""Checks for what the rep achieves: objections handled, the negotiation, the next step.

Each check's text and thresholds live in rubric.yaml; see :mod:`grading.checks` for the contract.
"""

from __future__ import annotations

from grading import signals
from grading.checks import CheckOutcome, Params, register_check, too_short, turns_text
from grading.metrics import CallNumbers
from grading.view import CallView

# --- objection_handling ---------------------------------------------------------------------


def _any(view: CallView, n: CallNumbers, attr: str, verb: str) -> CheckOutcome:
    if not n.episodes:
        return CheckOutcome(False, "no objection was raised in this call")
    done = [getattr(e, attr) for e in n.episodes]
    missed = tuple(e.replies[0] for e, d in zip(n.episodes, done, strict=True) if d is None and e.replies)
    ok = sum(d is not None for d in done)
    return CheckOutcome(
        ok >= 1,
        f"{verb} {ok} of {len(done)} objection(s)",
        tuple(d for d in done if d is not None and d >= 0)[:2],
        missed[:2],
    )


@register_check("objection_handling", "explores")
def _explores(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    return _any(view, n, "explored", "the buyer told the real concern behind")


@register_check("objection_handling", "responds")
def _responds(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    return _any(view, n, "responded", "answered, without push-back, the concern of")


@register_check("objection_handling", "resolves")
def _resolves(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    if not n.episodes:
        return CheckOutcome(False, "no objection was raised in this call")
    resolved = tuple(e.responded if e.responded is not None and e.responded >= 0 else e.buyer_pos
                     for e in n.episodes if e.resolved)
    return CheckOutcome(bool(resolved), f"the buyer accepted the answer to {len(resolved)} of {len(n.episodes)}",
                        tuple(p for p in resolved if p in view.analyses)[:2])


@register_check("objection_handling", "resolves_all")
def _resolves_all(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    if not n.episodes:
        return CheckOutcome(False, "no objection was raised in this call")
    resolved = sum(e.resolved for e in n.episodes)
    target = len(n.episodes)
    if view.session and view.scenario and view.scenario.success.min_objections_resolved is not None:
        target = view.scenario.success.min_objections_resolved
    open_ones = tuple(e.replies[-1] for e in n.episodes if not e.resolved and e.replies)
    return CheckOutcome(
        resolved >= max(1, target),
        f"{resolved} of {len(n.episodes)} resolved (needs {max(1, target)})",
        (),
        open_ones[:2],
    )


# --- negotiation ----------------------------------------------------------------------------


@register_check("negotiation", "anchors")
def _anchors(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    neg = n.negotiation
    if not neg.rep_prices:
        return CheckOutcome(False, "the rep never named a price")
    pos, first = neg.rep_prices[0]
    if neg.list_basis == "first rep price":
        ok = not view.analyses[pos]["concession"]
        return CheckOutcome(
            ok,
            f"first price {first:,.0f}" + ("" if ok else " offered with a discount"),
            (pos,) if ok else (),
            () if ok else (pos,),
        )
    share = 100 * first / neg.list_price if neg.list_price else 0
    ok = share >= p["min"]
    return CheckOutcome(
        ok, f"first price {first:,.0f} = {share:.0f}% of list", (pos,) if ok else (), () if ok else (pos,)
    )


@register_check("negotiation", "trades")
def _trades(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    neg = n.negotiation
    if not neg.engaged:
        return CheckOutcome(False, "no price was discussed")
    short = too_short(n)
    if short:
        return short
    traded = tuple(q for q, t in neg.concessions if t and q is not None)
    free = tuple(q for q, t in neg.concessions if not t and q is not None)
    given = len(neg.concessions)
    ok = all(t for _, t in neg.concessions)
    return CheckOutcome(
        ok, f"{sum(t for _, t in neg.concessions)} of {given} concession(s) traded", traded[:2], free[:2]
    )


@register_check("negotiation", "holds_price")
def _holds_price(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    neg = n.negotiation
    if not neg.engaged or neg.final_price is None or not neg.list_price:
        return CheckOutcome(False, "no price was agreed or offered")
    short = too_short(n)
    if short:
        return short
    need = 100 * neg.min_fraction if neg.min_fraction else p["min"]
    share = 100 * neg.final_price / neg.list_price
    last = tuple(q for q, _ in neg.rep_prices[-1:])
    ok = share >= need
    return CheckOutcome(
        ok,
        f"final price {neg.final_price:,.0f} = {share:.0f}% of list (needs {need:g}%)",
        last if ok else (),
        () if ok else last,
    )


@register_check("negotiation", "closes")
def _closes(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    neg = n.negotiation
    if not neg.deal:
        return CheckOutcome(False, "no deal was agreed")
    last = tuple(q for q, _ in neg.rep_prices[-1:])
    if neg.deal_price and neg.list_price:
        need = 100 * neg.min_fraction if neg.min_fraction else p["min"]
        share = 100 * neg.deal_price / neg.list_price
        if share < need:
            return CheckOutcome(False, f"the buyer agreed, but at {neg.deal_price:,.0f} = {share:.0f}% of list: "
                                       f"a deal bought by caving (needs {need:g}%)", (), last)
    return CheckOutcome(True, f"deal agreed at {neg.deal_price:,.0f}" if neg.deal_price else "deal agreed", last)


# --- closing_next_steps ---------------------------------------------------------------------


@register_check("closing_next_steps", "proposes")
def _proposes(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    q = n.next_step.proposed
    return CheckOutcome(
        q is not None,
        f"next step proposed in {turns_text(view, [q] if q is not None else [])}",
        (q,) if q is not None else (),
    )


@register_check("closing_next_steps", "with_time")
def _with_time(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    q = n.next_step.timed
    ok = q is not None or (n.next_step.agreed and n.next_step.time is not None)
    if ok:
        return CheckOutcome(True, f"time: {n.next_step.time}", (q,) if q is not None else ())
    amount = n.next_step.committed_amount
    if not view.session and amount is not None:
        ask = max((r for r in view.rep_pos if r < amount), default=-1)
        return CheckOutcome(True, f"the buyer committed to a concrete amount (turn {view.number(amount)})",
                            (ask,) if ask >= 0 else ())
    return CheckOutcome(False, "no concrete time named, and no concrete amount committed")


@register_check("closing_next_steps", "agreed")
def _agreed(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    ns = n.next_step
    return CheckOutcome(
        ns.agreed,
        "the buyer agreed" + (f" (time: {ns.time})" if ns.time else "")
        if ns.agreed
        else "the buyer did not agree to a next step",
        (ns.proposed,) if ns.agreed and ns.proposed is not None else (),
    )


@register_check("closing_next_steps", "recaps")
def _recaps(view: CallView, n: CallNumbers, p: Params) -> CheckOutcome:
    found = tuple(
        q
        for q in view.rep_pos
        if view.third(q) == 2 and (view.analyses[q]["paraphrases"] or signals.recaps(view.lows[q]))
    )
    return CheckOutcome(bool(found), f"recap in the last third: {turns_text(view, found)}", found[:1])
