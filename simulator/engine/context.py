"""Run-scoped dependencies of a session graph (LangGraph ``context_schema``), never kept in state."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from simulator.content.models import Difficulty, Persona, Scenario
from simulator.engine.actor import VoiceConfig, resolve_mode
from simulator.engine.director import DirectorContext
from simulator.engine.prompts import buyer_system_prompt
from simulator.engine.understand import AnalysisContext, FactProbe
from simulator.llm.base import LLM, GenerationOptions


@dataclass(frozen=True)
class SessionContext:
    """What the graph's nodes need besides state: content, the voice model, options, a clock."""

    persona: Persona
    scenario: Scenario
    difficulty: Difficulty
    llm: LLM
    options: GenerationOptions = field(default_factory=GenerationOptions)
    retries: int = 2
    clock: Callable[[], float] = time.time
    voice: VoiceConfig = field(default_factory=VoiceConfig)
    """Voice mode, whole-reply deadline and prefill (docs/voicing.md)."""

    @property
    def director(self) -> DirectorContext:
        return DirectorContext(self.persona, self.scenario, self.scenario.difficulties[self.difficulty])

    @property
    def system_prompt(self) -> str:
        return buyer_system_prompt(self.persona, self.scenario, resolve_mode(self.voice.mode, self.llm))

    def analysis_context(self, previous_buyer_line: str) -> AnalysisContext:
        """What the message analysis may look at: this buyer's facts and this product."""
        return analysis_context_for(self.persona, self.scenario, previous_buyer_line)


def analysis_context_for(persona: Persona, scenario: Scenario | None, previous_buyer_line: str = "") -> AnalysisContext:
    """Build the analysis context for a persona (and scenario, when there is one)."""
    facts = tuple(FactProbe(f.id, tuple(f.topics), tuple(f.keywords)) for f in persona.hidden_facts)
    if scenario is None:
        return AnalysisContext(facts=facts, previous_buyer_line=previous_buyer_line)
    return AnalysisContext(
        facts=facts,
        value_points=tuple(scenario.product.value_points),
        list_price=scenario.product.list_price,
        previous_buyer_line=previous_buyer_line,
    )
