"""Hints coach from the buyer state without giving the answer away."""

from __future__ import annotations

import re

import pytest
from webtest_support import Org, start_session

from simulator.services.app_services import AppServices
from simulator.services.hints import choose_hint

LINES = [
    "Hi, thanks for taking my call.",
    "Our platform is the best on the market, it has every feature you could want, integrates with "
    "everything, and our customers love it, so I think you should buy it today because it will transform "
    "your business.",
    "Do you use spreadsheets?",
    "Is that slow?",
    "How are you handling this today?",
    "What does that cost you each month?",
    "I understand the price feels high. What is behind that concern?",
    "It sounds like budget timing matters. We can phase the rollout so you pay from next quarter.",
    "Our price is $40,000.",
    "I can do 10% off.",
    "If you sign a two-year term, then we can hold $36,000.",
    "Who else is involved in the decision?",
    "Can we meet Tuesday at 10am?",
]


def _windows(text: str, n: int = 5) -> set[str]:
    words = re.findall(r"[a-z0-9$%']+", text.lower())
    return {" ".join(words[i : i + n]) for i in range(max(0, len(words) - n + 1))}


@pytest.mark.parametrize(
    "scenario_id", ["saas-discovery-ops", "logistics-objection-price", "manufacturing-negotiation-renewal"]
)
def test_hints_never_reveal_hidden_facts_concerns_or_the_walk_away(
    services: AppServices, org: Org, scenario_id: str
) -> None:
    lib = services.practice.library
    scenario = lib.scenario(scenario_id)
    persona = lib.persona(scenario.persona)
    secrets = set()
    for fact in persona.hidden_facts:
        secrets |= _windows(fact.say)
    for objection in persona.objections:
        secrets |= _windows(objection.concern) | {
            k.lower() for k in objection.response_keywords if len(k) > 6
        }
    sid = start_session(services, org.rep, scenario_id)
    kinds = set()
    for line in LINES:
        view = services.sessions.view(org.rep, sid)
        if not view.waiting_for_rep:
            break
        kind, text = choose_hint(view.buyer, view.transcript, persona, scenario)  # type: ignore[arg-type]
        kinds.add(kind)
        rep_said = " ".join(t["text"] for t in view.transcript if t["speaker"] == "rep").lower()
        leaked = {s for s in secrets if s in text.lower() and s not in rep_said}
        assert not leaked, f"hint {text!r} leaks {leaked}"
        ceiling = view.buyer["buyer_ceiling"] if view.buyer else None
        if ceiling:
            for shown in (f"{ceiling:,.0f}", f"{ceiling:.0f}", f"{ceiling / 1000:.0f}k"):
                assert shown not in text
        list(services.sessions.send(org.rep, sid, line))
    assert len(kinds) >= 2, "the hint follows the state of the call"


def test_a_pitch_gets_a_hint_about_asking_instead(services: AppServices, org: Org) -> None:
    sid = start_session(services, org.rep, "saas-discovery-ops")
    list(services.sessions.send(org.rep, sid, LINES[1]))
    hint = services.hints.hint(org.rep, sid)
    assert hint.kind == "pitch" and "pitch" in hint.text


def test_an_unexplored_objection_gets_the_explore_hint(services: AppServices, org: Org) -> None:
    sid = start_session(services, org.rep, "logistics-objection-price")
    for line in (
        "Hi, thanks for your time today.",
        "How are things going with your current carrier?",
        "What would change for you if deliveries were on time?",
    ):
        view = services.sessions.view(org.rep, sid)
        if view.buyer and view.buyer.get("objection_active"):
            break
        list(services.sessions.send(org.rep, sid, line))
    view = services.sessions.view(org.rep, sid)
    assert view.buyer and view.buyer.get("objection_active"), "the objection drill raises its first objection early"
    hint = services.hints.hint(org.rep, sid)
    assert hint.kind == "explore" and "haven't explored" in hint.text
