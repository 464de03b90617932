"""Real sessions on the embedded model (marked ``embedded``): the model voices, the rules decide."""

from __future__ import annotations

import pytest

from simulator.config import Settings
from simulator.content.loader import load_library
from simulator.engine.audit import audit_transcript
from simulator.engine.replay import play
from simulator.llm.embedded import EmbeddedLLM

pytestmark = pytest.mark.embedded

PITCH = ("Our platform is the industry-leading solution for order exceptions. We help companies like yours "
         "save money with seamless integrations and robust analytics across every team, and we have helped "
         "hundreds of customers.")
GOOD = [
    "Hi Raj, thanks for taking the call. How's your week going?",
    "How are you handling order exceptions today?",
    "It sounds like chasing handoffs eats a lot of time. What does that mean for your delivery promise?",
    "Who else is involved when you decide on a tool like this?",
    "How are you thinking about budget for fixing this?",
]


def test_pitch_dump_uncovers_nothing_and_good_discovery_uncovers_most(embedded_model_settings: Settings) -> None:
    library = load_library()
    persona = library.persona("raj-ops")
    llm = EmbeddedLLM(embedded_model_settings)

    dump = play("saas-discovery-ops", ["Hi Raj.", PITCH, PITCH, "Do you have a budget?"], library=library, llm=llm)
    assert dump.buyer["facts_revealed"] == []
    dump_audit = audit_transcript(dump.transcript, persona)
    assert dump_audit.total_leaks == 0, dump_audit.leaks

    good = play("saas-discovery-ops", GOOD, library=library, llm=llm)
    key = [f.id for f in persona.hidden_facts if f.importance == "key"]
    assert len([f for f in good.buyer["facts_revealed"] if f in key]) >= 3
    good_audit = audit_transcript(good.transcript, persona)
    assert good_audit.total_leaks == 0, good_audit.leaks
    assert good_audit.llm_voiced >= 1  # the model really voiced lines, not only the gist
