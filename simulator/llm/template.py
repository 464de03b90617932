"""The template backend: no language model at all.

The director already writes every buyer line as a first-person gist from the persona's content, so
this backend only tells callers to speak that gist as written (``generative = False``). It is instant
and deterministic; self-play, checks and CI use it, and users whose machine is too small may too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from simulator.llm.base import ChatRequest, LLMError


class TemplateLLM:
    """A non-generative backend: the buyer's line is the director's gist; the grader is rule-based."""

    name = "template"
    generative = False

    def stream_chat(self, request: ChatRequest) -> Iterator[str]:
        raise LLMError("the template backend does not generate text; speak the director's gist")

    def complete_json(self, request: ChatRequest) -> dict[str, Any]:
        raise LLMError("the template backend has no model; use the rule-based result")
