"""The actor: the LLM voices the director's gist, streamed; the acceptance check keeps or replaces it."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from simulator.engine.acceptance import clean_line, rejection_reason
from simulator.engine.prompts import rep_turn_for_voice
from simulator.engine.state import BuyerMove
from simulator.llm.base import LLM, ChatMessage, ChatRequest, GenerationOptions, LLMError

Emit = Callable[[dict[str, Any]], None]
VOICE_MAX_TOKENS = 110


@dataclass(frozen=True)
class VoicedLine:
    """The line the buyer speaks and how it was produced."""

    text: str
    voiced_by: Literal["llm", "gist"]
    rejected: str | None
    llm_line: str | None
    user_message: str
    """The exact user message sent to the model (kept in the history for prefix reuse)."""
    llm_error: str | None = None


def _stream_gist(gist: str, emit: Emit) -> None:
    words = gist.split(" ")
    for i, word in enumerate(words):
        emit({"type": "token", "text": word if i == len(words) - 1 else word + " "})


def voice_line(
    llm: LLM,
    *,
    system_prompt: str,
    history: Sequence[ChatMessage],
    rep_text: str,
    move: BuyerMove,
    locked_facts: Sequence[str],
    options: GenerationOptions,
    retries: int,
    emit: Emit,
) -> VoicedLine:
    """Voice ``move.gist`` in the persona's style. Never raises for LLM failures: falls back to the gist.

    Emits ``{"type": "token"}`` events while the model streams, then ``{"type": "line"}`` with the
    final text (which replaces the streamed text when the acceptance check rejected it).
    """
    gist = move["gist"]
    user_message = rep_turn_for_voice(rep_text, gist)
    if not llm.generative:
        _stream_gist(gist, emit)
        emit({"type": "line", "text": gist, "voiced_by": "gist", "replaced": False})
        return VoicedLine(gist, "gist", None, None, user_message)

    messages = (ChatMessage(role="system", content=system_prompt), *history,
                ChatMessage(role="user", content=user_message))
    request = ChatRequest(messages=messages, options=options, purpose="buyer-line")
    error: str | None = None
    raw = ""
    for attempt in range(retries + 1):
        raw = ""
        try:
            for chunk in llm.stream_chat(request):
                raw += chunk
                emit({"type": "token", "text": chunk})
            error = None
            break
        except LLMError as exc:
            error = str(exc)
            emit({"type": "retry", "attempt": attempt + 1, "error": error})
            if attempt < retries:
                time.sleep(min(0.5 * (attempt + 1), 2.0))
    if error is not None:
        emit({"type": "warning", "text": f"The buyer's voice model failed ({error}); the scripted line was used."})
        emit({"type": "line", "text": gist, "voiced_by": "gist", "replaced": True})
        return VoicedLine(gist, "gist", f"llm error: {error}", raw or None, user_message, llm_error=error)

    line = clean_line(raw)
    reason = rejection_reason(line, gist=gist, required=move["required"], rep_text=rep_text,
                              locked_facts=locked_facts)
    if reason is None:
        emit({"type": "line", "text": line, "voiced_by": "llm", "replaced": line != raw})
        return VoicedLine(line, "llm", None, None, user_message)
    emit({"type": "line", "text": gist, "voiced_by": "gist", "replaced": True})
    return VoicedLine(gist, "gist", reason, raw, user_message)
