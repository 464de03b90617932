"""Fakes for the buyer-voice tests: a chunked, optionally slow or failing, model stream."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from simulator.engine.state import BuyerMove
from simulator.llm.base import ChatRequest, LLMError

Step = str | Exception | float
"""A chunk of text, an exception to raise mid-stream, or seconds to sleep."""


class ChunkLLM:
    """Each call plays the next script: text chunks as given, a float sleeps, an exception is raised.

    Records every request and every chunk it yielded (with the time), so a test can compare what the
    model produced with what the actor showed.
    """

    generative = True

    def __init__(self, *scripts: Sequence[Step], name: str = "fake") -> None:
        self.name = name
        self._scripts = list(scripts)
        self.requests: list[ChatRequest] = []
        self.yielded: list[str] = []
        self.closed = threading.Event()

    def stream_chat(self, request: ChatRequest) -> Iterator[str]:
        self.requests.append(request)
        if not self._scripts:
            raise LLMError("ChunkLLM: no script left")
        script = self._scripts.pop(0)
        try:
            for step in script:
                if isinstance(step, Exception):
                    raise step
                if isinstance(step, float):
                    time.sleep(step)
                    continue
                self.yielded.append(step)
                yield step
        finally:
            self.closed.set()

    def complete_json(self, request: ChatRequest) -> dict[str, Any]:
        raise LLMError("not used")


def words(text: str) -> list[str]:
    """Split a reply into word chunks the way a model streams it (spaces kept)."""
    parts = text.split(" ")
    return [p if i == len(parts) - 1 else p + " " for i, p in enumerate(parts)]


def make_move(gist: str, required: Sequence[str] = (), kind: str = "answer") -> BuyerMove:
    return BuyerMove(kind=kind, gist=gist, required=list(required), fact_id=None,  # type: ignore[typeddict-item]
                     objection_id=None, price=None, reasons=[], state_changes=[])
