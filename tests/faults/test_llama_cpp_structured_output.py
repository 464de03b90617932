"""The judge against llama.cpp's OpenAI-compatible server: one request per judgement once it has learnt how.

That server answers a ``json_schema`` response format with HTTP 500 and accepts ``json_object`` with a
``schema`` (it constrains the reply by a grammar); plain ``json_object`` leaves a small model free to miss
the schema. Before: each judgement sent json_schema (500), then plain json_object, whose reply missed the
schema, then retried, and succeeded only on the third try, if at all. Now: the first judgement falls back at
once to json_object with the schema, and the client remembers it, so every later judgement is one request.
"""

from __future__ import annotations

from typing import Any

from fake_openai_server import Behaviour, FakeOpenAIServer, llama_cpp_rule

from grading import grade_session
from grading.grader import GradeOptions
from grading.judge import JudgeSettings
from grading.transcript import parse_transcript, to_records
from simulator.llm.base import ChatRequest, GenerationOptions, LLMError, messages
from simulator.llm.openai_compat import OpenAICompatLLM

CALL = """\
Alex: Hi Dana, thanks for making the time today. How's your week going?
Dana: Busy, quarter end. What's this about?
Alex: I'd like to learn how you handle dispatch today. How do you plan routes right now?
Dana: Mostly spreadsheets. Two dispatchers re-key every order into the routing sheet each morning.
Alex: Our import removes that re-keying step. Shall we book a demo with your COO on Tuesday at 10am?
Dana: Tuesday works.
"""
ADJUSTABLE = ("value_articulation", "rapport_communication")
SCHEMA = {"type": "object", "properties": {"verdict": {"type": "string", "enum": ["open", "closed", "unsure"]}},
          "required": ["verdict"], "additionalProperties": False}


def _judged(llm: OpenAICompatLLM) -> Any:
    turns = to_records(parse_transcript(CALL, rep="Alex"))
    return grade_session(turns, scenario=None, persona=None, outcome=None, llm=llm,
                         options=GradeOptions(judge=JudgeSettings(mode="on", timeout_s=10.0)))


def _json(purpose: str = "judge") -> ChatRequest:
    return ChatRequest(messages=messages(("system", "Judge."), ("user", "The call.")),
                       options=GenerationOptions(timeout_s=10.0, temperature=0.0), json_schema=SCHEMA,
                       purpose=purpose)


def test_one_request_per_judgement_after_the_first(fake_openai: FakeOpenAIServer, fake_llm: OpenAICompatLLM) -> None:
    fake_openai.rule = llama_cpp_rule
    per_judgement = []
    for _ in range(3):
        before = len(fake_openai.json_requests())
        card = _judged(fake_llm)
        per_judgement.append(len(fake_openai.json_requests()) - before)
        assert card.settings.judge == "rules+llm" and not card.warnings, card.warnings
        assert {c.source for c in card.competencies if c.id in ADJUSTABLE} == {"rules+llm"}
    assert per_judgement == [2, 1, 1]
    first, second, *later = fake_openai.json_requests()
    assert first.response_format == "json_schema" and first.behaviour.kind == "error"
    assert second.body is not None and second.body["response_format"]["type"] == "json_object"
    assert second.response_schema == first.response_schema  # the judge's schema, now as json_object's
    assert all(r.response_format == "json_object" and r.response_schema == first.response_schema for r in later)
    assert fake_llm.structured_mode == "json_object_schema" and fake_llm.json_schema_supported is False


def test_a_server_that_refuses_the_schema_key_gets_plain_json_object(fake_openai: FakeOpenAIServer,
                                                                     fake_llm: OpenAICompatLLM) -> None:
    fake_openai.rule = lambda r: Behaviour.error(400) if r.response_schema is not None else None
    assert fake_llm.complete_json(_json()) == {"verdict": "closed"}  # read from the prompt's schema
    kinds = [(r.response_format, r.response_schema is not None) for r in fake_openai.requests]
    assert kinds == [("json_schema", True), ("json_object", True), ("json_object", False)]
    assert fake_llm.structured_mode == "json_object"
    assert fake_llm.complete_json(_json()) == {"verdict": "closed"}
    assert len(fake_openai.requests) == 4 and fake_openai.requests[3].response_schema is None


def test_a_500_to_json_object_with_a_schema_is_a_failure_not_a_refusal(fake_openai: FakeOpenAIServer,
                                                                         fake_llm: OpenAICompatLLM) -> None:
    fake_openai.behaviour = Behaviour.error(500)
    try:
        fake_llm.complete_json(_json())
    except LLMError as exc:
        assert "HTTP 500" in str(exc)
    else:
        raise AssertionError("a server answering 500 to everything is an LLMError")
    assert [r.response_format for r in fake_openai.requests] == ["json_schema", "json_object"]
    assert fake_llm.structured_mode is None
