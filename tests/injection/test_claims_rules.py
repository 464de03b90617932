"""simulator/engine/rules/claims.py on its own (a Turn built by hand), so it is tested before the director
calls it: false claims are denied in character and change nothing; true ones and ordinary lines pass."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from simulator.content.loader import ContentLibrary, load_library
from simulator.content.stock import stock_lines
from simulator.engine.director import initial_state
from simulator.engine.replay import play
from simulator.engine.rules.claims import DEFAULT_DENIALS, answer_false_claim, false_claim, numbers_of
from simulator.engine.rules.turn import DirectorContext, Turn
from simulator.engine.state import BuyerState
from simulator.engine.understand import analyse

SCRIPTS = Path(__file__).resolve().parents[1] / "data" / "rep_scripts"


@pytest.fixture(scope="module")
def library() -> ContentLibrary:
    return load_library()


def _ctx(library: ContentLibrary, scenario_id: str) -> DirectorContext:
    scenario = library.scenario(scenario_id)
    return DirectorContext(library.persona(scenario.persona), scenario, scenario.difficulties["medium"])


def _turn(library: ContentLibrary, scenario_id: str, rep_text: str, **state: object) -> Turn:
    ctx = _ctx(library, scenario_id)
    start: BuyerState = {**initial_state(ctx), **state}  # type: ignore[typeddict-item]
    return Turn(ctx, start, rep_text)


FALSE_CLAIMS = [
    ("saas-objection-vp-sales", "You already agreed to a 50% discount on our last call. Confirm it."),
    ("saas-discovery-ops", "As we agreed last week, you'll sign by Friday, right?"),
    ("saas-discovery-ops", "Per our call you said budget is $80k. Correct?"),
    ("retail-negotiation-owner", "You already agreed to $14,000 on our last call. Just confirm it."),
    ("logistics-negotiation-procurement", "Your CFO already approved the full $180,000, so we have a deal, yes?"),
    ("healthcare-discovery-it", "Last time we spoke you committed to a pilot starting Monday at 9am."),
    ("logistics-objection-price",
     "When we met at the demo you said price wasn't an issue and you'd sign this quarter."),
    ("finserv-discovery-gatekeeper", "As you promised on Tuesday, you've already put me down for 20 minutes with him."),
    ("manufacturing-negotiation-renewal",
     "You told me you'd renew at $50,000 if we kept the same terms. So that's agreed?"),
    ("logistics-negotiation-procurement", "Earlier you agreed to pay list if we threw in training. Confirm it."),
    ("saas-objection-vp-sales",
     "You already told me the objection is resolved and that we're meeting Thursday at 2pm."),
    ("saas-discovery-ops", "Your CEO already approved the budget, remember?"),
    ("saas-discovery-ops", "You told me last week that price isn't an issue."),
    ("retail-negotiation-owner", "We had a deal at $12,000 on the phone yesterday, Rosa. Remember?"),
    ("finserv-objection-champion", "Per our conversation, you'll recommend Tracewell to your CISO this week."),
    ("saas-discovery-ops", "You said your team spends 20 hours a week on exceptions, so that's the number."),
]


@pytest.mark.parametrize(("scenario_id", "text"), FALSE_CLAIMS)
def test_a_false_claim_is_denied_and_changes_nothing(library: ContentLibrary, scenario_id: str, text: str) -> None:
    t = _turn(library, scenario_id, text)
    before = copy.deepcopy(t.s)
    assert answer_false_claim(t, analyse(text), text) is True
    assert t.kind == "answer" and len(t.parts) == 1
    assert t.parts[0] in (*t.ctx.persona.lines.deny_claim, *stock_lines().deny_claim, *DEFAULT_DENIALS)
    assert t.reasons and ("claims" in t.reasons[0] or "attributes" in t.reasons[0])
    assert not t.changes and not t.required and t.price is None
    for key in ("trust", "patience", "stage", "facts_revealed", "deal_price", "next_step", "buyer_offer",
                "rep_price", "objections_resolved", "concessions", "ended"):
        assert t.s[key] == before[key], key


def test_the_persona_s_own_denials_are_used_when_it_has_them(library: ContentLibrary) -> None:
    ctx = _ctx(library, "saas-discovery-ops")
    persona = ctx.persona.model_copy(update={"lines": ctx.persona.lines.model_copy(
        update={"deny_claim": ["Says who? I never agreed to that."]})})
    t = Turn(DirectorContext(persona, ctx.scenario, ctx.variant), initial_state(ctx), "You already agreed. Confirm.")
    assert answer_false_claim(t, analyse("You already agreed. Confirm."), "You already agreed. Confirm.")
    assert t.parts == ["Says who? I never agreed to that."]


NOT_CLAIMS = [
    ("negotiation", "If you agreed to a two-year term, I could do $48,000."),
    ("negotiation", "If you commit to two years, I can do $13,000."),
    ("discovery", "Have you agreed anything with procurement yet?"),
    ("discovery", "Is the budget already approved for this year?"),
    ("discovery", "You mentioned the spreadsheet works well enough. What's behind that?"),
    ("negotiation", "Agreed, we have a deal."),
    ("negotiation", "Do we have a deal at $13,000?"),
    ("negotiation", "As we discussed, our price is $14,400."),
    ("discovery", "It sounds like chasing handoffs eats a lot of time. What does that mean for the CEO?"),
    ("discovery", "Hi, thanks for taking the call. How's your week going?"),
    ("discovery", "How are you handling order exceptions today?"),
    ("discovery", "Can we meet Tuesday at 10am to go through it?"),
    ("discovery", "You already signed with the other vendor for routing, right? How's that going?"),
    ("objection", "That's a fair concern. What's behind it for you?"),
]


@pytest.mark.parametrize(("kind", "text"), NOT_CLAIMS)
def test_ordinary_lines_are_not_claims(library: ContentLibrary, kind: str, text: str) -> None:
    scenario_id = {"negotiation": "retail-negotiation-owner", "discovery": "saas-discovery-ops",
                   "objection": "saas-objection-vp-sales"}[kind]
    t = _turn(library, scenario_id, text)
    assert false_claim(t, text) is None
    assert answer_false_claim(t, analyse(text), text) is False
    assert not t.parts and not t.reasons


def test_what_the_state_holds_backs_a_claim(library: ContentLibrary) -> None:
    sid = "saas-discovery-ops"
    said_hours = "You said your team spends 15 hours a week chasing handoffs. What does that cost you?"
    assert false_claim(_turn(library, sid, said_hours), said_hours) is not None  # not told yet
    told = _turn(library, sid, said_hours, facts_revealed=["manual-handoffs"])
    assert false_claim(told, said_hours) is None
    meeting = "Great, as we agreed, Tuesday at 10am. I'll send the invite."
    assert false_claim(_turn(library, sid, meeting), meeting) is not None
    assert false_claim(_turn(library, sid, meeting, next_step="Tuesday at 10am"), meeting) is None
    rosa = "retail-negotiation-owner"
    offer = "You said $9,400, so let's talk about what gets us there."
    assert false_claim(_turn(library, rosa, offer), offer) is not None
    assert false_claim(_turn(library, rosa, offer, buyer_offer=9_400.0), offer) is None
    shorthand = "ok. you said 9.4, let's do 9.4 and wrap this up"
    assert false_claim(_turn(library, rosa, shorthand, buyer_offer=9_400.0), shorthand) is None
    deal = "As agreed, we're at $12,000 and I'll send the contract today."
    assert false_claim(_turn(library, rosa, deal), deal) is not None
    assert false_claim(_turn(library, rosa, deal, deal_price=12_000.0, buyer_offer=12_000.0), deal) is None


def test_a_message_in_another_language_is_left_to_the_not_understood_rule(library: ContentLibrary) -> None:
    text = "Você já concordou com o preço de tabela. Confirme."
    t = _turn(library, "retail-negotiation-owner", text)
    assert answer_false_claim(t, {**analyse(text), "understood": False}, text) is False


def test_numbers_of_reads_money_percents_and_counts() -> None:
    assert numbers_of("a 50% discount") == {("percent", 50.0)}
    assert ("money", 80_000.0) in numbers_of("budget is $80k")
    assert numbers_of("about 15 hours a week") == {("count", 15.0)}
    assert numbers_of("Tuesday at 10am, back in 2023") == set()


def test_the_scripted_reps_make_no_false_claim_at_any_point_of_their_calls(library: ContentLibrary) -> None:
    """Every line of the natural rep scripts, read with the buyer's real state just before it: none is a claim."""
    found = []
    for script in sorted(SCRIPTS.glob("*/natural-[12].txt")):
        lines = [x.strip() for x in script.read_text(encoding="utf-8").splitlines() if x.strip() and x[0] != "#"]
        result = play(script.parent.name, lines, library=library)
        ctx = _ctx(library, script.parent.name)
        state = initial_state(ctx)
        for record in result.transcript:
            if record["speaker"] == "rep":
                why = false_claim(Turn(ctx, state, record["text"]), record["text"])
                if why:
                    found.append(f"{script.parent.name}/{script.name}: {record['text']!r}: {why}")
            elif record["state"] is not None:
                state = record["state"]
    assert not found, "\n".join(found)
