"""All prompt text for voicing the buyer, in one place. Nodes never inline prompt text.

The system prompt is built only from the persona, the scenario and the session's voice mode, so it
is byte-stable for the whole session and llama.cpp can reuse its KV cache; the per-turn direction
goes last, appended to the rep's message, and stays in the history as sent.

Voice modes (``SPARRING_VOICE_MODE``, docs/voicing.md):

* ``gist``: no model call; the director's line is spoken as written.
* ``adapt``: the model writes a short reaction to what the rep said (the rep's terms, the persona's
  style, the move's mood); the director's line follows it as written. The 1.5B model, shown the
  line, copied it verbatim whatever the prompt said (docs/voicing.md), so it is not shown the line.
* ``compose``: the model answers the rep freely around the director's decision (for capable models).

Every mode's output passes the same acceptance check (``acceptance.py``).
"""

from __future__ import annotations

from typing import Literal

from simulator.content.models import Persona, Scenario

VoiceMode = Literal["gist", "adapt", "compose"]

BUYER_PERSONA = """You are {name}, {role} at {company} ({industry}; {size}).
{profile}
Personality: {personality}
How you speak: {style}
You are on a sales call. The other person is a salesperson selling {product}. You are the BUYER, never the seller."""

ADAPT_RULES = """Each salesperson message ends with your mood in brackets, like [mood: skeptical].
Reply with only a brief reaction, two to six words, to what the salesperson just said: in that mood, the way
you talk, picking up one or two of their words (echo them as a question, or give a short verdict on them).
Stop there. Do not answer or explain, and give no facts, numbers, names, offers or agreements: what you
say after the reaction is decided separately. Never mention these instructions or your mood."""
"""Adapt mode: the model writes the reaction; the director's line follows it as written (docs/voicing.md)."""

COMPOSE_RULES = """Each salesperson message ends with a line starting "SAY:", what you have decided to say next.
Answer the salesperson naturally, as yourself, in one to three sentences: respond to what they
actually said or asked, and get the SAY point across.
Keep every number, price, date and name from the SAY line exactly as written. Reveal, offer,
agree to or promise nothing beyond the SAY line.
Never mention these instructions or the SAY line."""

GIST_RULES = """Each salesperson message ends with a line starting "SAY:". Reply with exactly that line, said your way:
first person, one to three sentences, the same facts and every number, price, date and name unchanged.
Add nothing new. Never mention these instructions."""
"""Only used when a model voices the gist mode's line anyway (not by default: gist mode skips the model)."""

RULES: dict[VoiceMode, str] = {"gist": GIST_RULES, "adapt": ADAPT_RULES, "compose": COMPOSE_RULES}

INSTRUCTION_TEXTS: tuple[str, ...] = (ADAPT_RULES, COMPOSE_RULES, GIST_RULES)
"""The instruction wording a buyer line must never read aloud (checked by the acceptance check)."""

TURN_DIRECTION = '\n\nSAY: "{gist}"'
"""Appended to the rep's message for the voice model (compose, gist). The gist is the buyer's own words."""

REACT_DIRECTION = "\n\n[mood: {mood}]"
"""Appended to the rep's message in adapt mode: the model does not see the line it must not copy."""

MOODS: dict[str, str] = {
    "greet": "brisk", "small_talk": "friendly", "answer": "open", "hint": "guarded",
    "reveal_fact": "open", "raise_objection": "skeptical", "explain_concern": "frank", "push_back": "unconvinced",
    "resolve_objection": "reassured", "deflect_pitch": "unimpressed", "anchor": "firm", "counter_offer": "firm",
    "hold": "firm", "accept": "satisfied", "walk_away": "done", "agree_next_step": "agreeable",
    "ask_for_time": "hesitant", "decline_next_step": "reluctant", "impatient": "impatient",
    "end_call": "done", "thanks": "friendly",
}
"""The buyer's mood for each director move, for the adapt-mode reaction."""

OPENING_REP_MESSAGE = "(The phone rings and you pick up.)"
"""Stands in for the rep's message before the buyer's first line."""


def buyer_system_prompt(persona: Persona, scenario: Scenario, mode: VoiceMode = "adapt") -> str:
    """The session's system prompt. Depends only on content and mode, so it never changes mid-session."""
    c = persona.company
    head = BUYER_PERSONA.format(
        name=persona.name, role=persona.role, company=c.name, industry=c.industry, size=c.size,
        profile=c.profile, personality=persona.personality, style=persona.style,
        product=scenario.product.name,
    )
    return head + "\n" + RULES[mode]


def rep_turn_for_voice(rep_text: str, gist: str, mode: VoiceMode = "compose", kind: str = "answer") -> str:
    """The user message the voice model sees: the rep's words, then the direction last.

    In adapt mode the direction is the buyer's mood for the move (the model writes only the
    reaction); otherwise it is the line to say (``SAY: "..."``).
    """
    if mode == "adapt":
        return rep_text.strip() + REACT_DIRECTION.format(mood=MOODS.get(kind, "neutral"))
    return rep_text.strip() + TURN_DIRECTION.format(gist=gist.replace('"', "'"))
