"""The one small interface every LLM backend implements.

Two capabilities: chat with token streaming (the buyer's voice) and structured output against a
JSON schema (the grader's judgements). Backends never decide what the buyer does; they only phrase
what the director decided, so a backend may also be non-generative (the template backend).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from typing_extensions import TypedDict  # pydantic needs it on Python 3.11 (LangGraph API schemas)


class ChatMessage(TypedDict):
    """One chat message in OpenAI form."""

    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class GenerationOptions:
    """Sampling options shared by every backend."""

    max_tokens: int = 120
    temperature: float = 0.3
    seed: int | None = 7
    stop: tuple[str, ...] = ()
    timeout_s: float = 60.0


@dataclass(frozen=True)
class ChatRequest:
    """What a caller asks of a backend; recorded as-is by the scripted fake."""

    messages: tuple[ChatMessage, ...]
    options: GenerationOptions = field(default_factory=GenerationOptions)
    json_schema: dict[str, Any] | None = None
    purpose: str = "chat"
    """A label for logs and fakes: 'buyer-line', 'judge', ..."""


class LLMError(RuntimeError):
    """A backend failed (timeout, connection, malformed reply). Callers retry, then report."""


class ModelUnavailableError(LLMError):
    """The model cannot be used at all (missing or corrupt file, no server). Not worth retrying."""


@runtime_checkable
class LLM(Protocol):
    """A chat model. Implementations: embedded (llama.cpp), openai-compatible, template, scripted fake."""

    name: str
    """Short human-readable description, e.g. 'embedded:qwen2.5-coder-1.5b-instruct-q4_k_m'."""

    generative: bool
    """False for the template backend: callers then speak the director's gist as the line."""

    def stream_chat(self, request: ChatRequest) -> Iterator[str]:
        """Yield the reply's text in chunks (tokens) as they are produced. Raises LLMError."""
        ...

    def complete_json(self, request: ChatRequest) -> dict[str, Any]:
        """Return a JSON object that satisfies ``request.json_schema``. Raises LLMError."""
        ...


def chat_text(llm: LLM, request: ChatRequest) -> str:
    """Convenience: the whole streamed reply as one string."""
    return "".join(llm.stream_chat(request))


def messages(*pairs: tuple[str, str]) -> tuple[ChatMessage, ...]:
    """Build a message tuple from (role, content) pairs."""
    out: list[ChatMessage] = []
    for role, content in pairs:
        if role not in ("system", "user", "assistant"):
            raise ValueError(f"unknown chat role {role!r}")
        out.append(ChatMessage(role=role, content=content))  # type: ignore[typeddict-item]
    return tuple(out)


def model_name_of(llm: LLM) -> str:
    """The backend's name, for recording which model voiced or judged something."""
    return getattr(llm, "name", type(llm).__name__)


Chunks = Sequence[str]
