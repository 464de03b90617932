"""The fixed competency ids of the rubric, in display order. Scenarios refer to them by id."""

from __future__ import annotations

COMPETENCY_IDS: tuple[str, ...] = (
    "discovery_questioning",
    "active_listening",
    "value_articulation",
    "objection_handling",
    "negotiation",
    "closing_next_steps",
    "rapport_communication",
)
