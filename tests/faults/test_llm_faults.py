"""Every way an OpenAI-compatible server can fail ends in an LLMError within the whole-call deadline.

Against a real local HTTP server (fake_openai_server.py): errors, hangs, trickling tokens, slow first
bytes, malformed JSON and dropped connections. The time bounds are generous correctness bounds (deadline
1 s: an error within 3 s), not benchmarks. Before the whole-call deadline, a trickling server kept a call
going for as long as it kept sending (httpx's timeout is per read).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from fake_openai_server import Behaviour, FakeOpenAIServer, MalformedKind

from simulator.llm.base import ChatRequest, GenerationOptions, LLMError, messages
from simulator.llm.openai_compat import OpenAICompatLLM, ReplyDeadlineError

DEADLINE_S = 1.0
BOUND_S = 3.0
"""An error must come within this (deadline 1 s); the old per-read timeout never ended a trickle."""
LONG_S = 10.0
FAST_S = 2.0
"""Failures that need no waiting (an error status, a dropped connection, garbage) come this fast, with
a 10 s deadline: nothing waits for a timeout."""
LONG_REPLY = " ".join(f"word{i}" for i in range(200))
SCHEMA = {
    "type": "object",
    "properties": {"verdict": {"type": "string", "enum": ["open", "closed", "unsure"]}},
    "required": ["verdict"],
    "additionalProperties": False,
}


def _chat(timeout_s: float = DEADLINE_S) -> ChatRequest:
    return ChatRequest(messages=messages(("system", "You are a buyer."), ("user", "Hi there")),
                       options=GenerationOptions(timeout_s=timeout_s), purpose="buyer-line")


def _json(timeout_s: float = DEADLINE_S) -> ChatRequest:
    return ChatRequest(messages=messages(("system", "Judge."), ("user", "The call.")),
                       options=GenerationOptions(timeout_s=timeout_s, temperature=0.0),
                       json_schema=SCHEMA, purpose="judge")


def _timed(call: Callable[[], Any]) -> tuple[Any, BaseException | None, float]:
    """(result, exception, seconds) of ``call``."""
    started = time.monotonic()
    try:
        return call(), None, time.monotonic() - started
    except BaseException as exc:
        return None, exc, time.monotonic() - started


def _stream_all(llm: OpenAICompatLLM, request: ChatRequest, got: list[str] | None = None) -> str:
    got = [] if got is None else got
    for chunk in llm.stream_chat(request):
        got.append(chunk)
    return "".join(got)


def _deadline_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "sparring-llm-deadline" and t.is_alive()]


def _no_deadline_threads_left(timeout: float = 1.0) -> bool:
    end = time.monotonic() + timeout
    while _deadline_threads():
        if time.monotonic() > end:
            return False
        time.sleep(0.02)
    return True


# --------------------------------------------------------------------------------------------
# the normal path still works
# --------------------------------------------------------------------------------------------

def test_normal_reply_streams_and_json_follows_the_schema(fake_openai: FakeOpenAIServer,
                                                          fake_llm: OpenAICompatLLM) -> None:
    chunks = list(fake_llm.stream_chat(_chat(LONG_S)))
    assert len(chunks) > 3 and "".join(chunks) == fake_openai.reply
    assert fake_llm.complete_json(_json(LONG_S)) == {"verdict": "closed"}  # the enum's middle value
    first, second = fake_openai.requests
    assert first.stream and first.path == "/v1/chat/completions"
    assert second.response_format == "json_schema" and second.schema == SCHEMA
    assert fake_llm.json_schema_supported is True
    assert _no_deadline_threads_left()


def test_a_slow_first_byte_within_the_deadline_is_fine(fake_openai: FakeOpenAIServer,
                                                       fake_llm: OpenAICompatLLM) -> None:
    fake_openai.behaviour = Behaviour.slow_first_byte(0.3)
    assert "".join(fake_llm.stream_chat(_chat(2.0))) == fake_openai.reply
    assert fake_llm.complete_json(_json(2.0)) == {"verdict": "closed"}


# --------------------------------------------------------------------------------------------
# the whole-call deadline
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("behaviour", [
    pytest.param(Behaviour.trickle(0.25, reply=LONG_REPLY), id="trickle"),
    pytest.param(Behaviour.hang(), id="hang"),
    pytest.param(Behaviour.hang(after_tokens=2), id="hang-mid-stream"),
    pytest.param(Behaviour.slow_first_byte(10.0), id="slow-first-byte"),
])
def test_stream_ends_by_the_deadline(fake_openai: FakeOpenAIServer, fake_llm: OpenAICompatLLM,
                                     behaviour: Behaviour) -> None:
    fake_openai.behaviour = behaviour
    got: list[str] = []
    _, error, took = _timed(lambda: _stream_all(fake_llm, _chat(), got))
    assert isinstance(error, ReplyDeadlineError), error
    assert "timed out" in str(error) and "within 1 s" in str(error)
    assert DEADLINE_S - 0.1 <= took < BOUND_S, took
    if behaviour.kind == "trickle":
        assert 1 <= len(got) < 10  # some tokens came, then the deadline, not the whole reply
    # The connection is cut: the server sees the client leave (no lingering request), no watchdog left.
    assert fake_openai.wait_idle(1.0)
    assert fake_openai.requests[-1].client_gone
    assert _no_deadline_threads_left()


@pytest.mark.parametrize("behaviour", [
    pytest.param(Behaviour.trickle(0.1, piece_bytes=2), id="trickle"),
    pytest.param(Behaviour.hang(), id="hang"),
    pytest.param(Behaviour.hang(after_tokens=1), id="hang-mid-body"),
    pytest.param(Behaviour.slow_first_byte(10.0), id="slow-first-byte"),
])
def test_json_ends_by_the_deadline(fake_openai: FakeOpenAIServer, fake_llm: OpenAICompatLLM,
                                   behaviour: Behaviour) -> None:
    fake_openai.behaviour = behaviour
    _, error, took = _timed(lambda: fake_llm.complete_json(_json()))
    assert isinstance(error, ReplyDeadlineError), error
    assert DEADLINE_S - 0.1 <= took < BOUND_S, took
    assert len(fake_openai.requests) == 1  # a timeout is not a reason to retry as json_object
    assert fake_openai.wait_idle(1.0) and fake_openai.requests[0].client_gone
    assert _no_deadline_threads_left()


def test_the_json_object_retry_shares_the_one_deadline(fake_openai: FakeOpenAIServer,
                                                       fake_llm: OpenAICompatLLM) -> None:
    # json_schema: rejected after 0.7 s (llama.cpp's 500); json_object: trickles. One deadline of 1 s.
    fake_openai.queue(Behaviour.error(500, delay_s=0.7), Behaviour.trickle(0.1, piece_bytes=2))
    _, error, took = _timed(lambda: fake_llm.complete_json(_json()))
    assert isinstance(error, ReplyDeadlineError), error
    assert took < DEADLINE_S + 0.6, took  # not 0.7 s + a fresh 1 s
    assert [r.response_format for r in fake_openai.requests] == ["json_schema", "json_object"]


def test_no_retry_once_the_deadline_has_passed(fake_openai: FakeOpenAIServer, fake_llm: OpenAICompatLLM) -> None:
    fake_openai.queue(Behaviour.error(500, delay_s=1.2))
    _, error, took = _timed(lambda: fake_llm.complete_json(_json()))
    assert isinstance(error, ReplyDeadlineError), error
    assert took < BOUND_S
    assert len(fake_openai.requests) == 1


def test_each_call_gets_its_own_deadline(fake_openai: FakeOpenAIServer, fake_llm: OpenAICompatLLM) -> None:
    """The budget is per call: a call after a timed-out one starts afresh (and the connection pool is fine)."""
    fake_openai.queue(Behaviour.hang())
    with pytest.raises(ReplyDeadlineError):
        list(fake_llm.stream_chat(_chat()))
    assert "".join(fake_llm.stream_chat(_chat(LONG_S))) == fake_openai.reply
    assert fake_llm.complete_json(_json(LONG_S)) == {"verdict": "closed"}


# --------------------------------------------------------------------------------------------
# the consumer lets go
# --------------------------------------------------------------------------------------------

def test_closing_the_stream_closes_the_connection(fake_openai: FakeOpenAIServer, fake_llm: OpenAICompatLLM) -> None:
    fake_openai.behaviour = Behaviour.trickle(0.1, reply=LONG_REPLY)
    stream = fake_llm.stream_chat(_chat(30.0))
    assert next(stream).startswith("word0")
    stream.close()  # type: ignore[attr-defined]
    assert fake_openai.wait_idle(1.0)  # the server noticed the client left (it polls every 50 ms)
    assert fake_openai.requests[0].client_gone
    assert _no_deadline_threads_left()
    assert list(stream) == []


def test_a_generator_left_behind_in_a_for_loop_closes_too(fake_openai: FakeOpenAIServer,
                                                          fake_llm: OpenAICompatLLM) -> None:
    fake_openai.behaviour = Behaviour.trickle(0.1, reply=LONG_REPLY)
    for _chunk in fake_llm.stream_chat(_chat(30.0)):
        break  # the iterator is dropped: garbage collection closes it
    assert fake_openai.wait_idle(1.0) and fake_openai.requests[0].client_gone


def test_close_from_another_thread_wakes_a_blocked_reader(fake_openai: FakeOpenAIServer,
                                                          fake_llm: OpenAICompatLLM) -> None:
    """A worker waiting for the next token (the actor's voice thread) returns at once on close()."""
    fake_openai.behaviour = Behaviour.hang(after_tokens=1)
    stream = fake_llm.stream_chat(_chat(30.0))
    got: list[str] = []
    outcome: dict[str, Any] = {}

    def read() -> None:
        try:
            for chunk in stream:
                got.append(chunk)
            outcome["ended"] = time.monotonic()
        except BaseException as exc:
            outcome["error"] = exc

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    while not got:
        time.sleep(0.01)
    time.sleep(0.2)  # the reader is now blocked on the socket
    closed_at = time.monotonic()
    stream.close()  # type: ignore[attr-defined]
    reader.join(2.0)
    assert not reader.is_alive()
    assert "error" not in outcome, outcome  # the consumer asked for it: the stream just ends
    assert outcome["ended"] - closed_at < 0.5
    assert fake_openai.wait_idle(1.0) and fake_openai.requests[0].client_gone
    assert _no_deadline_threads_left()


# --------------------------------------------------------------------------------------------
# errors, disconnects, malformed replies: always LLMError, quickly
# --------------------------------------------------------------------------------------------

def test_http_500(fake_openai: FakeOpenAIServer, fake_llm: OpenAICompatLLM) -> None:
    fake_openai.behaviour = Behaviour.error(500)
    _, error, took = _timed(lambda: list(fake_llm.stream_chat(_chat(LONG_S))))
    assert type(error) is LLMError and "HTTP 500" in str(error) and took < FAST_S
    _, error, took = _timed(lambda: fake_llm.complete_json(_json(LONG_S)))
    assert type(error) is LLMError and "HTTP 500" in str(error) and took < FAST_S
    # json_schema got 500 (maybe unsupported), so json_object was tried: also 500. Nothing remembered.
    assert [r.response_format for r in fake_openai.json_requests()] == ["json_schema", "json_object"]
    assert fake_llm.json_schema_supported is None


@pytest.mark.parametrize("after", [0, 3])
def test_disconnect(fake_openai: FakeOpenAIServer, fake_llm: OpenAICompatLLM, after: int) -> None:
    fake_openai.behaviour = Behaviour.disconnect(after_tokens=after)
    got: list[str] = []
    _, error, took = _timed(lambda: _stream_all(fake_llm, _chat(LONG_S), got))
    assert isinstance(error, LLMError) and not isinstance(error, ReplyDeadlineError), error
    assert took < FAST_S and len(got) == after
    _, error, took = _timed(lambda: fake_llm.complete_json(_json(LONG_S)))
    assert isinstance(error, LLMError) and not isinstance(error, ReplyDeadlineError), error
    assert took < FAST_S


@pytest.mark.parametrize("kind", ["content", "schema", "body", "fields"])
def test_malformed_stream_is_llm_error_or_empty(fake_openai: FakeOpenAIServer, fake_llm: OpenAICompatLLM,
                                                kind: MalformedKind) -> None:
    fake_openai.behaviour = Behaviour.malformed_reply(kind)
    result, error, took = _timed(lambda: "".join(fake_llm.stream_chat(_chat(LONG_S))))
    assert took < FAST_S
    if kind == "fields":  # a chunk without choices carries no text: an empty reply, not a crash
        assert error is None and result == ""
    else:
        assert type(error) is LLMError and "malformed" in str(error), error


@pytest.mark.parametrize("kind", ["content", "body", "fields"])
def test_malformed_json_is_llm_error(fake_openai: FakeOpenAIServer, fake_llm: OpenAICompatLLM,
                                     kind: MalformedKind) -> None:
    fake_openai.behaviour = Behaviour.malformed_reply(kind)
    _, error, took = _timed(lambda: fake_llm.complete_json(_json(LONG_S)))
    assert type(error) is LLMError, error  # never ValueError, KeyError, AttributeError, JSONDecodeError
    assert took < FAST_S


def test_schema_violating_json_is_returned_for_the_caller_to_check(fake_openai: FakeOpenAIServer,
                                                                   fake_llm: OpenAICompatLLM) -> None:
    """Valid JSON that ignores the schema comes back as is: the judge validates it (and falls back)."""
    fake_openai.behaviour = Behaviour.malformed_reply("schema")
    assert fake_llm.complete_json(_json(LONG_S)) == {"unexpected": "field", "adjust": "a lot"}


def test_json_object_fallback_reply_is_parsed_from_the_prompt_schema(fake_openai: FakeOpenAIServer,
                                                                     fake_llm: OpenAICompatLLM) -> None:
    """The fake server reads the schema from the prompt in json_object mode (as a real model would)."""
    fake_openai.queue(Behaviour.error(400))
    assert fake_llm.complete_json(_json(LONG_S)) == {"verdict": "closed"}
    assert fake_llm.json_schema_supported is False
    assert fake_openai.requests[1].schema == SCHEMA
