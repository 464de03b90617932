"""The OpenAI-compatible backend: OpenAI itself, or any local server speaking its chat API.

Uses the official ``openai`` client (3.x, on httpx2). The client is built on first use, never at
import or construction time. The client's own retries are off (``max_retries=0``): callers retry
:class:`LLMError` themselves (``settings.llm_retries``), so failures are not retried twice.

Structured output first asks for ``response_format={"type": "json_schema", ...}``; servers that reject
it (llama.cpp's server answers HTTP 500; others 400/422/501) get ``{"type": "json_object"}`` with the
schema spelled out at the end of the last message instead, and this instance remembers to skip the failing
attempt from then on.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict, cast

from simulator.config import Settings
from simulator.llm.base import ChatMessage, ChatRequest, LLMError, ModelUnavailableError
from simulator.llm.guard import ensure_real_models_allowed

if TYPE_CHECKING:
    import httpx2
    import openai

LOCAL_SERVER_API_KEY = "not-needed"
"""Sent when a base URL is set but no key: the client insists on some key, local servers ignore it."""

_FALLBACK_STATUSES = frozenset({400, 422, 500, 501})
"""HTTP statuses on which a json_schema request is retried as json_object + schema in the prompt."""


class _Sampling(TypedDict):
    model: str
    temperature: float
    max_tokens: int
    timeout: float
    seed: NotRequired[int]
    stop: NotRequired[list[str]]


class OpenAICompatLLM:
    """Chat and structured output through an OpenAI-compatible ``/v1/chat/completions`` endpoint."""

    generative = True

    def __init__(self, settings: Settings, *, http_client: httpx2.Client | None = None) -> None:
        self._settings = settings
        self._http_client = http_client
        self._client: openai.OpenAI | None = None
        self._client_lock = threading.Lock()
        self.model = settings.openai_model
        self.base_url = settings.openai_base_url
        self.name = f"openai:{self.model}"
        self.json_schema_supported: bool | None = None
        """None until known; False after the server rejected a json_schema response format."""

    # --- public API -------------------------------------------------------------------------

    def stream_chat(self, request: ChatRequest) -> Iterator[str]:
        """Yield the reply's text as the server streams it. Raises LLMError."""
        import httpx2
        import openai

        client = self._prepare()
        try:
            stream = client.chat.completions.create(
                messages=cast(Any, list(request.messages)), stream=True, **self._sampling_kwargs(request)
            )
        except openai.OpenAIError as exc:
            raise self._map_error(exc) from exc
        try:
            chunks = iter(stream)
            while True:
                try:
                    chunk = next(chunks)
                except StopIteration:
                    return
                except (openai.OpenAIError, httpx2.HTTPError) as exc:
                    raise self._map_error(exc) from exc
                if not chunk.choices:
                    continue
                text = chunk.choices[0].delta.content
                if text:
                    yield text
        finally:
            stream.close()

    def complete_json(self, request: ChatRequest) -> dict[str, Any]:
        """Return one JSON object, constrained by ``request.json_schema`` where the server can."""
        import openai

        client = self._prepare()
        schema = request.json_schema
        if schema is not None and self.json_schema_supported is not False:
            response_format: dict[str, Any] = {
                "type": "json_schema",
                "json_schema": {"name": _schema_name(request.purpose), "schema": schema,
                                "strict": is_strict_compatible(schema)},
            }
            try:
                content = self._complete(client, list(request.messages), response_format, request)
            except openai.APIStatusError as exc:
                if exc.status_code not in _FALLBACK_STATUSES:
                    raise self._map_error(exc) from exc
            except openai.OpenAIError as exc:
                raise self._map_error(exc) from exc
            else:
                self.json_schema_supported = True
                return parse_json_object(content, self.name)
        msgs = with_json_instruction(list(request.messages), schema)
        try:
            content = self._complete(client, msgs, {"type": "json_object"}, request)
        except openai.OpenAIError as exc:
            raise self._map_error(exc) from exc
        result = parse_json_object(content, self.name)
        if schema is not None:
            self.json_schema_supported = False
        return result

    # --- internals ----------------------------------------------------------------------------

    def _prepare(self) -> openai.OpenAI:
        ensure_real_models_allowed(f"{self.name} at {self.base_url or 'api.openai.com'}")
        with self._client_lock:
            if self._client is None:
                self._client = self._build_client()
            return self._client

    def _build_client(self) -> openai.OpenAI:
        import openai

        key = self._settings.openai_api_key
        if not key and self.base_url:
            key = LOCAL_SERVER_API_KEY
        if not key:
            raise ModelUnavailableError(
                "The openai backend needs an API key: set OPENAI_API_KEY (or SPARRING_OPENAI_API_KEY), "
                "or set SPARRING_OPENAI_BASE_URL to a local OpenAI-compatible server "
                "(e.g. http://127.0.0.1:8000/v1). Or use SPARRING_LLM=embedded / template."
            )
        return openai.OpenAI(api_key=key, base_url=self.base_url, http_client=self._http_client,
                             max_retries=0, timeout=self._settings.llm_timeout_s)

    def _sampling_kwargs(self, request: ChatRequest) -> _Sampling:
        o = request.options
        kwargs = _Sampling(model=self.model, temperature=o.temperature, max_tokens=o.max_tokens,
                           timeout=o.timeout_s)
        if o.seed is not None:
            kwargs["seed"] = o.seed
        if o.stop:
            kwargs["stop"] = list(o.stop)
        return kwargs

    def _complete(self, client: openai.OpenAI, msgs: list[ChatMessage], response_format: dict[str, Any],
                  request: ChatRequest) -> str:
        response = client.chat.completions.create(
            messages=cast(Any, msgs), response_format=cast(Any, response_format), stream=False,
            **self._sampling_kwargs(request),
        )
        if not response.choices:
            raise LLMError(f"{self.name}: the reply has no choices")
        choice = response.choices[0]
        if choice.finish_reason == "length":
            raise LLMError(f"{self.name}: the JSON reply was cut off at max_tokens="
                           f"{request.options.max_tokens}")
        return choice.message.content or ""

    def _map_error(self, exc: Exception) -> LLMError:
        import openai

        where = self.base_url or "api.openai.com"
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return ModelUnavailableError(
                f"{where} rejected the API key (HTTP {exc.status_code}). Set a valid OPENAI_API_KEY "
                "(or SPARRING_OPENAI_API_KEY), or use SPARRING_LLM=embedded / template."
            )
        if isinstance(exc, openai.NotFoundError):
            return ModelUnavailableError(
                f"{where} answered 404 for model {self.model!r}: set SPARRING_OPENAI_MODEL (or "
                "OPENAI_MODEL) to a model the server serves, and check that SPARRING_OPENAI_BASE_URL "
                "ends with /v1."
            )
        if isinstance(exc, openai.APITimeoutError):
            return LLMError(f"{self.name}: request to {where} timed out")
        if isinstance(exc, openai.APIConnectionError):
            return LLMError(f"{self.name}: cannot reach {where}: {exc.__cause__ or exc}")
        if isinstance(exc, openai.APIStatusError):
            return LLMError(f"{self.name}: {where} answered HTTP {exc.status_code}: {exc.message}")
        return LLMError(f"{self.name}: {type(exc).__name__}: {exc}")


def _schema_name(purpose: str) -> str:
    """A json_schema name OpenAI accepts (letters, digits, _ and -, at most 64)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", purpose)[:64] or "reply"


def is_strict_compatible(schema: Any) -> bool:
    """True if every object in ``schema`` forbids extra keys and requires all its properties.

    OpenAI's ``strict: true`` rejects other schemas, so they are sent with ``strict: false``.
    """
    if isinstance(schema, list):
        return all(is_strict_compatible(item) for item in schema)
    if not isinstance(schema, dict):
        return True
    props = schema.get("properties")
    if isinstance(props, dict) and (schema.get("additionalProperties") is not False
                                    or set(schema.get("required", ())) != set(props)):
        return False
    return all(is_strict_compatible(v) for v in schema.values())


def with_json_instruction(msgs: list[ChatMessage], schema: dict[str, Any] | None) -> list[ChatMessage]:
    """Return ``msgs`` with a 'reply with JSON (matching this schema)' instruction at the very end.

    Appended to the last message, not the system prompt, so the prompt's prefix stays byte-stable
    and a server-side prefix cache (llama.cpp server, vLLM) can reuse it across calls.
    """
    text = "Reply with a single JSON object only, no prose and no code fences."
    if schema is not None:
        text += " It must validate against this JSON schema:\n" + json.dumps(schema, separators=(",", ":"))
    if msgs and msgs[-1]["role"] == "user":
        last = ChatMessage(role="user", content=msgs[-1]["content"].rstrip() + "\n\n" + text)
        return [*msgs[:-1], last]
    return [*msgs, ChatMessage(role="user", content=text)]


def parse_json_object(content: str, source: str) -> dict[str, Any]:
    """Parse a reply that should be one JSON object (tolerating a ```json fence). Raises LLMError."""
    text = content.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, flags=re.DOTALL)
    if fenced:
        text = fenced.group(1)
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LLMError(f"{source}: malformed JSON reply ({exc}): {content[:200]!r}") from exc
    if not isinstance(parsed, dict):
        raise LLMError(f"{source}: JSON reply is not an object: {content[:200]!r}")
    return parsed
