"""How many of a buyer's facts a rep uncovered: one count for every page.

A scenario's objective speaks of the buyer's *key* facts ("at least 3 of Raj's 4 key facts"), and
so does the call's outcome. Supporting facts (``importance: supporting``) add colour but are not
counted. The hint, the scorecard's metric and its competency rule use :func:`count_facts` too, so
the rep reads the same numbers everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from simulator.content.models import Persona, Scenario


@dataclass(frozen=True, slots=True)
class FactCount:
    """Key facts uncovered, out of the buyer's key facts, and the scenario's target (if any)."""

    found: int
    total: int
    needed: int | None
    found_ids: tuple[str, ...] = ()

    @property
    def enough(self) -> bool:
        return self.needed is None or self.found >= self.needed

    def __str__(self) -> str:
        """'2 of 4 key facts' (and '(needs 3)' when the scenario sets a target)."""
        need = f" (needs {self.needed})" if self.needed is not None else ""
        return f"{self.found} of {self.total} key fact{'s' * (self.total != 1)}{need}"


def key_fact_ids(persona: Persona) -> list[str]:
    """The ids of the buyer's key facts, in the persona's order."""
    return [f.id for f in persona.hidden_facts if f.importance == "key"]


def count_facts(persona: Persona, revealed: Iterable[str], scenario: Scenario | None = None) -> FactCount:
    """Key facts among ``revealed`` (the buyer state's ``facts_revealed``), out of all key facts."""
    key = key_fact_ids(persona)
    told = set(revealed)
    found = tuple(f for f in key if f in told)
    needed = scenario.success.min_facts if scenario is not None else None
    return FactCount(len(found), len(key), needed, found)


def fact_label(fact_id: str) -> str:
    """A fact id in words, for people: ``sla-misses`` → ``sla misses``."""
    return fact_id.replace("-", " ").replace("_", " ")
