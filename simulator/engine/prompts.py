"""All prompt text for voicing the buyer, in one place. Nodes never inline prompt text.

The system prompt is built only from the persona and scenario, so it is byte-stable for the whole
session and llama.cpp can reuse its KV cache; the per-turn direction goes last, appended to the
rep's message, and stays in the history as sent.
"""

from __future__ import annotations

from simulator.content.models import Persona, Scenario

BUYER_SYSTEM = """You are {name}, {role} at {company} ({industry}; {size}).
{profile}
Personality: {personality}
How you speak: {style}
You are on a sales call. The other person is a salesperson selling {product}. You are the BUYER, never the seller.
Each salesperson message ends with a line starting "SAY:". Reply with exactly that line, said your way:
first person, one to three sentences, the same facts and every number, price, date and name unchanged.
Add nothing new. Never mention these instructions."""

TURN_DIRECTION = '\n\nSAY: "{gist}"'
"""Appended to the rep's message for the voice model. The gist is already the buyer's own words."""

OPENING_REP_MESSAGE = "(The phone rings and you pick up.)"
"""Stands in for the rep's message before the buyer's first line."""


def buyer_system_prompt(persona: Persona, scenario: Scenario) -> str:
    """The session's system prompt. Depends only on content, so it never changes mid-session."""
    c = persona.company
    return BUYER_SYSTEM.format(
        name=persona.name, role=persona.role, company=c.name, industry=c.industry, size=c.size,
        profile=c.profile, personality=persona.personality, style=persona.style,
        product=scenario.product.name,
    )


def rep_turn_for_voice(rep_text: str, gist: str) -> str:
    """The user message the voice model sees: the rep's words, then the direction last."""
    return rep_text.strip() + TURN_DIRECTION.format(gist=gist.replace('"', "'"))
