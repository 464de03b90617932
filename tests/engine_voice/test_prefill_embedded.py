"""Background prefill on the real embedded model (marked ``embedded``): it saves prompt work, and gives way."""

from __future__ import annotations

import time

import pytest

from simulator.config import Settings
from simulator.content.loader import load_library
from simulator.engine.prompts import buyer_system_prompt, rep_turn_for_voice
from simulator.llm.base import ChatMessage, ChatRequest, GenerationOptions
from simulator.llm.embedded import EmbeddedLLM, _load, _prefix_tokens

pytestmark = pytest.mark.embedded

OPTIONS = GenerationOptions(max_tokens=12, temperature=0.0, seed=1, timeout_s=120)
SPOKEN = "Honestly, most of our order exceptions still go through email and a shared spreadsheet."
"""What the buyer said (e.g. the gist after a rejected model line): not what the model generated."""


def _conversation(turns: int = 1) -> list[ChatMessage]:
    library = load_library()
    scenario = library.scenario("saas-discovery-ops")
    system = buyer_system_prompt(library.persona(scenario.persona), scenario, "adapt")
    out = [ChatMessage(role="system", content=system)]
    for i in range(turns):
        out.append(ChatMessage(role="user", content=rep_turn_for_voice(f"Question {i}: how do you handle it?", SPOKEN)))
        out.append(ChatMessage(role="assistant", content=SPOKEN))
    return out


def _next_turn_tokens_evaluated(llm: EmbeddedLLM, prefill: bool) -> int:
    llm.forget_prefixes()
    convo = _conversation()
    "".join(llm.stream_chat(ChatRequest(messages=tuple(convo[:2]), options=OPTIONS)))  # turn 1, as generated
    if prefill:
        thread = llm.prefill(convo)
        assert thread is not None
        thread.join(120)
        assert llm.last_prefill_tokens and llm.last_prefill_tokens > 10  # the spoken line, not just the turn end
    nxt = ChatMessage(role="user", content=rep_turn_for_voice("What does that cost you?", "A lot of time."))
    "".join(llm.stream_chat(ChatRequest(messages=(*convo, nxt), options=OPTIONS)))
    assert llm.last_stats is not None
    return llm.last_stats.prompt_tokens_evaluated


def test_prefill_leaves_only_the_reps_message_to_evaluate(embedded_model_settings: Settings) -> None:
    llm = EmbeddedLLM(embedded_model_settings)
    without = _next_turn_tokens_evaluated(llm, prefill=False)
    with_prefill = _next_turn_tokens_evaluated(llm, prefill=True)
    assert with_prefill < without - 10, (with_prefill, without)
    assert with_prefill <= 40  # the rep's message, the direction and the chat markers


def test_a_generation_takes_the_model_from_a_running_prefill(embedded_model_settings: Settings) -> None:
    llm = EmbeddedLLM(embedded_model_settings)
    llm.forget_prefixes()
    convo = _conversation(turns=8)  # a long prefix: seconds of prompt processing
    llm.last_prefill_tokens = None
    thread = llm.prefill(convo)
    assert thread is not None
    time.sleep(0.3)
    short = (convo[0], ChatMessage(role="user", content=rep_turn_for_voice("Hi Raj.", "Raj speaking.")))
    text = "".join(llm.stream_chat(ChatRequest(messages=short, options=OPTIONS)))
    thread.join(120)
    assert text.strip()
    shared, _ = _load(embedded_model_settings)
    prefix = _prefix_tokens(shared, convo)
    assert prefix is not None and len(prefix) > 400
    assert llm.last_prefill_tokens is not None
    assert llm.last_prefill_tokens < len(prefix)  # it gave way at its next step instead of finishing
