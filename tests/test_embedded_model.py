"""The embedded backend against the real Qwen2.5-Coder-1.5B GGUF (slow: marked ``embedded``).

Model file: the session fixture ``embedded_model_settings`` in conftest.py (the user's verified
cached model read-only, or the parts assembled once per run into a temp dir); every embedded test
shares one loaded ``Llama``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.config import Settings
from simulator.llm import guard
from simulator.llm.base import ChatRequest, GenerationOptions, chat_text, messages
from simulator.llm.embedded import EmbeddedLLM
from simulator.llm.model_files import default_model_target

pytestmark = pytest.mark.embedded

BUYER = (
    "You are Dana Whitfield, head of operations at Northline Freight, a regional carrier with 400 trucks, "
    "620 drivers and three terminals in Ohio, Indiana and Kentucky. You are on a 30-minute discovery call "
    "with a sales rep from a routing-software vendor. You are busy, polite and skeptical: you have sat "
    "through many vendor demos that promised savings and delivered spreadsheets. Your dispatchers plan "
    "routes by hand every evening in a shared spreadsheet; it takes two people about three hours. Late "
    "deliveries rose last quarter, and your largest customer, a grocery chain, has complained twice. "
    "You report to the COO, who signs anything over $50,000 a year. You do not volunteer these facts: "
    "share one only when the rep asks a good open question about it. Answer in one or two short "
    "sentences, in the first person, as Dana. Never speak as the rep and never describe the product."
)


@pytest.fixture(scope="session")
def embedded_settings(embedded_model_settings: Settings) -> Settings:
    """The shared settings from conftest.py (one model file and one load per test run)."""
    return embedded_model_settings


@pytest.fixture
def llm(embedded_settings: Settings) -> Iterator[EmbeddedLLM]:
    before = guard.real_models_allowed()
    guard.allow_real_models(True)
    yield EmbeddedLLM(embedded_settings)
    guard.allow_real_models(before)


def _chat(*turns: tuple[str, str], system: str = BUYER, temperature: float = 0.3,
          seed: int = 7) -> ChatRequest:
    return ChatRequest(messages=messages(("system", system), *turns),
                       options=GenerationOptions(max_tokens=24, temperature=temperature, seed=seed),
                       purpose="buyer-line")


def test_loads_and_streams_a_short_reply(llm: EmbeddedLLM) -> None:
    llm.load()
    chunks = list(llm.stream_chat(_chat(("user", "Hi Dana, thanks for making time today."))))
    assert len(chunks) >= 2 and "".join(chunks).strip()
    stats = llm.last_stats
    assert stats is not None and stats.completion_tokens == len(chunks) <= 24
    assert 0 < stats.ttft_s <= stats.total_s and stats.gen_tokens_per_s > 0
    assert llm.name == "embedded:" + Path(default_model_target(Settings()).name).stem


def test_json_follows_a_small_enum_schema(llm: EmbeddedLLM) -> None:
    schema = {"type": "object", "properties": {"kind": {"type": "string", "enum": ["open", "closed"]},
                                               "score": {"type": "integer", "enum": [1, 2, 3, 4, 5]}},
              "required": ["kind", "score"]}
    request = ChatRequest(
        messages=messages(("system", "Classify the sales rep's question. Reply in JSON."),
                          ("user", 'Question: "Walk me through how you plan routes today?"')),
        options=GenerationOptions(max_tokens=40, temperature=0.0, seed=1),
        json_schema=schema, purpose="judge")
    result = llm.complete_json(request)
    assert result["kind"] in ("open", "closed") and result["score"] in range(1, 6)


def test_same_seed_gives_the_same_output(llm: EmbeddedLLM) -> None:
    # Same seed and messages from the same starting state. (Reusing a cached prefix changes llama.cpp's
    # batch split and hence the logits slightly: see EmbeddedLLM.forget_prefixes.)
    request = _chat(("user", "What does a bad week look like for your dispatchers?"),
                    system="You are Dana, a skeptical operations manager.", temperature=0.8, seed=42)
    llm.forget_prefixes()
    first = chat_text(llm, request)
    llm.forget_prefixes()
    assert chat_text(llm, request) == first


def test_prefix_reuse_survives_an_interleaved_judge_call(llm: EmbeddedLLM) -> None:
    system = f"[session {uuid.uuid4()}] " + BUYER  # nothing cached yet for this conversation
    turn1 = _chat(("user", "How do you plan routes today?"), system=system)
    reply = chat_text(llm, turn1)
    first = llm.last_stats
    judge = ChatRequest(messages=messages(("system", "Rate the rep. Reply in JSON."), ("user", "Rep: hello")),
                        options=GenerationOptions(max_tokens=12, temperature=0.0),
                        json_schema={"type": "object", "properties": {"ok": {"type": "boolean"}},
                                     "required": ["ok"]}, purpose="judge")
    llm.complete_json(judge)  # replaces the conversation in the llama context
    turn2 = _chat(("user", "How do you plan routes today?"), ("assistant", reply),
                  ("user", "What happens when a driver calls in sick?"), system=system)
    chat_text(llm, turn2)
    second = llm.last_stats
    assert first is not None and second is not None
    assert second.prompt_tokens_evaluated < first.prompt_tokens_evaluated  # only the new turn
    assert second.ttft_s < first.ttft_s
    assert llm.prefix_cache.hits > 0
