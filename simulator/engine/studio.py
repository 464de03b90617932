"""The buyer graph for the LangGraph API and LangGraph Studio (``langgraph dev``; see langgraph.json).

The app hands each run a :class:`~simulator.engine.context.SessionContext` of Python objects (the
persona, the scenario, the model). A run started through the LangGraph API can only carry JSON, so
this graph's context is :class:`StudioContext`, four plain strings, resolved inside each node into
the :class:`SessionContext` the nodes read. Same nodes, same edges as the app's graph.

    {"scenario_id": "saas-discovery-ops", "persona_id": null, "difficulty": "medium", "llm": "template"}

A run may give these in ``context`` (what Studio's assistant settings send) or, for older clients,
in ``config.configurable``; whatever is missing takes the defaults above. Give the same context to
every run of a thread: it is not stored in the checkpoint. The rep's turn is an ``interrupt()``:
resume it with ``Command(resume={"text": "..."})`` (``{"end": true}`` ends the call). The buyer's
lines stream in the ``custom`` stream mode, the state holds the transcript.

``llm`` is one of template (the default: the director's lines as written, no model), embedded or
openai (as ``SPARRING_LLM``; their settings come from the environment, as in the app).
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, get_args

from langgraph.config import get_config
from langgraph.graph.state import CompiledStateGraph

from simulator.config import load_settings
from simulator.content.loader import ContentLibrary, load_library
from simulator.engine.actor import VoiceConfig
from simulator.engine.context import SessionContext
from simulator.engine.graph import build_graph
from simulator.errors import SparringError
from simulator.llm.base import LLM, GenerationOptions

StudioDifficulty = Literal["easy", "medium", "hard"]
StudioBackend = Literal["template", "embedded", "openai"]


@dataclass(frozen=True)
class StudioContext:
    """A run's context through the LangGraph API: plain strings only."""

    scenario_id: str = "saas-discovery-ops"
    """A scenario id (``sparring scenarios``)."""
    persona_id: str | None = None
    """A persona id; empty: the scenario's own buyer."""
    difficulty: StudioDifficulty = "medium"
    llm: StudioBackend = "template"
    """Who voices the buyer: template (no model), embedded or openai."""


class StudioContextError(SparringError, ValueError):
    """A run's context names something that does not exist; the message lists the valid values."""


def plain_context(value: Any) -> StudioContext:
    """The run's :class:`StudioContext` from what LangGraph hands the node (a StudioContext, a dict
    or None), filling gaps from ``config.configurable``, then the defaults."""
    given: dict[str, Any] = {}
    try:
        configurable = get_config().get("configurable", {})
    except RuntimeError:  # outside a run
        configurable = {}
    names = [f.name for f in fields(StudioContext)]
    given.update({k: configurable[k] for k in names if configurable.get(k) not in (None, "")})
    if isinstance(value, StudioContext):
        given.update({k: v for k, v in asdict(value).items() if v not in (None, "")})
    elif isinstance(value, dict):
        given.update({k: value[k] for k in names if value.get(k) not in (None, "")})
    plain = {k: str(v) for k, v in given.items()}
    for name, valid in (("difficulty", get_args(StudioDifficulty)), ("llm", get_args(StudioBackend))):
        if name in plain and plain[name] not in valid:
            raise StudioContextError(f"context {name}={plain[name]!r}: valid values are {', '.join(valid)}")
    return StudioContext(**plain)  # type: ignore[arg-type]  # the Literal fields were checked above


@functools.lru_cache(maxsize=1)
def _library() -> ContentLibrary:
    settings = load_settings()
    return load_library([settings.content_dir] if settings.content_dir else [])


@functools.lru_cache(maxsize=4)
def _llm(backend: str) -> LLM:
    from simulator.llm.factory import create_llm

    return create_llm(load_settings(llm=backend))


@functools.lru_cache(maxsize=32)
def session_context(ctx: StudioContext) -> SessionContext:
    """The :class:`SessionContext` for a plain context, with the app's generation settings."""
    library = _library()
    scenario = library.scenario(ctx.scenario_id)
    persona = library.persona(ctx.persona_id or scenario.persona)
    settings = load_settings(llm=ctx.llm)
    return SessionContext(
        persona=persona, scenario=scenario, difficulty=ctx.difficulty, llm=_llm(ctx.llm),
        options=GenerationOptions(max_tokens=110, temperature=settings.temperature, seed=settings.seed,
                                  timeout_s=settings.llm_timeout_s),
        retries=settings.llm_retries,
        voice=VoiceConfig(mode=settings.voice_mode, deadline_s=settings.reply_deadline_s, prefill=False),
    )


def resolve(value: Any) -> SessionContext:
    """What the nodes get: the app's :class:`SessionContext` as it is, anything else resolved."""
    if isinstance(value, SessionContext):
        return value
    return session_context(plain_context(value))


def make_graph() -> CompiledStateGraph[Any, Any, Any, Any]:
    """The graph factory langgraph.json names. No checkpointer: the LangGraph server brings its own."""
    return build_graph(None, context_schema=StudioContext, resolve_context=resolve)
