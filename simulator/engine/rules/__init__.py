"""The buyer's rules, one module per concern. :mod:`simulator.engine.director` runs them in order.

- :mod:`.turn` — the director context and the per-turn accumulator every rule writes to.
- :mod:`.discovery` — listening (trust, patience) and hidden facts, shared by every drill.
- :mod:`.objections` — the objection queue: acknowledge, explore, respond.
- :mod:`.negotiation` — anchors, concessions and what was traded for them, walk-away, deal.
- :mod:`.closing` — next steps, goodbyes, patience and the turn cap.
"""
