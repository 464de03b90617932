"""A scripted fake LLM for tests and benchmarks: enqueue replies, then inspect what was asked."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from simulator.llm.base import ChatRequest, LLMError

Reply = str | dict[str, Any] | Exception
Fallback = Callable[[ChatRequest], str | dict[str, Any]]


class ScriptedLLM:
    """Replies come from a queue (strings for chat, dicts for JSON, exceptions to raise).

    When the queue is empty, ``fallback`` answers if given; otherwise the call fails, so a test
    notices an unexpected model call. Every request is recorded in ``requests``.
    """

    generative = True

    def __init__(self, replies: list[Reply] | None = None, *, fallback: Fallback | None = None,
                 name: str = "scripted") -> None:
        self.name = name
        self._queue: deque[Reply] = deque(replies or [])
        self._fallback = fallback
        self._lock = threading.Lock()
        self.requests: list[ChatRequest] = []

    def enqueue(self, *replies: Reply) -> ScriptedLLM:
        """Add replies to the end of the queue."""
        with self._lock:
            self._queue.extend(replies)
        return self

    @property
    def pending(self) -> int:
        """How many enqueued replies have not been used yet."""
        return len(self._queue)

    def _next(self, request: ChatRequest) -> str | dict[str, Any]:
        with self._lock:
            self.requests.append(request)
            reply: Reply | None = self._queue.popleft() if self._queue else None
        if reply is None:
            if self._fallback is None:
                raise LLMError(f"ScriptedLLM: no reply enqueued for a {request.purpose!r} request")
            return self._fallback(request)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def stream_chat(self, request: ChatRequest) -> Iterator[str]:
        reply = self._next(request)
        text = reply if isinstance(reply, str) else json.dumps(reply)
        # Stream word by word, keeping the spaces, so consumers see several chunks.
        words = text.split(" ")
        for i, word in enumerate(words):
            yield word if i == len(words) - 1 else word + " "

    def complete_json(self, request: ChatRequest) -> dict[str, Any]:
        reply = self._next(request)
        if isinstance(reply, dict):
            return reply
        try:
            parsed = json.loads(reply)
        except json.JSONDecodeError as exc:
            raise LLMError(f"ScriptedLLM: malformed JSON reply: {exc}") from exc
        if not isinstance(parsed, dict):
            raise LLMError("ScriptedLLM: JSON reply is not an object")
        return parsed
