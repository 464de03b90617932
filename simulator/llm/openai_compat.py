"""The OpenAI-compatible backend: OpenAI itself, or any local server speaking its chat API.

Uses the official ``openai`` client (3.x, on httpx2). The client is built on first use, never at
import or construction time. The client's own retries are off (``max_retries=0``): callers retry
:class:`LLMError` themselves (``settings.llm_retries``), so failures are not retried twice.

Structured output first asks for ``response_format={"type": "json_schema", ...}``. A server that rejects
it (llama.cpp's server answers HTTP 500; others 400/422/501) is asked at once for
``{"type": "json_object", "schema": ...}``, which llama.cpp's server turns into a grammar that constrains the
reply to the schema; a server that also refuses that (400/422/501) gets a plain ``{"type": "json_object"}``.
In the json_object forms the schema is also spelled out at the end of the last message. The form that
worked is remembered (:attr:`OpenAICompatLLM.structured_mode`), so later calls on this instance go straight
to it: one request per call.

Every call has one whole-call deadline, ``request.options.timeout_s`` of wall time (``SPARRING_LLM_TIMEOUT_S``
for the buyer's voice): the first request, a json_object retry and every read of the body share it.
httpx's timeouts are per phase and per read, so a server trickling a token every few seconds would never
trip them; here a watchdog timer cuts the connection (shuts its socket down, which wakes a blocked read)
when the deadline passes, and the elapsed time is also checked after every chunk. Past the deadline the
call raises :class:`ReplyDeadlineError` (an :class:`LLMError`). Every other failure (HTTP errors, dropped
connections, bodies or chunks that are not the JSON they should be) is an :class:`LLMError` too, never a
``ValueError``/``KeyError``/``AttributeError``: callers fall back on LLMError. See docs/failures.md.

The iterator :meth:`OpenAICompatLLM.stream_chat` returns can be closed from any thread: ``close()`` cuts the
connection at once, so a worker blocked waiting for the next token returns promptly (the stream just ends).
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypedDict, cast

from simulator.config import Settings
from simulator.llm.base import ChatMessage, ChatRequest, LLMError, ModelUnavailableError
from simulator.llm.guard import ensure_real_models_allowed

if TYPE_CHECKING:
    import httpx2
    import openai

LOCAL_SERVER_API_KEY = "not-needed"
"""Sent when a base URL is set but no key: the client insists on some key, local servers ignore it."""

_FALLBACK_STATUSES = frozenset({400, 422, 500, 501})
"""HTTP statuses on which a json_schema request is retried at once as json_object with the schema."""
_REFUSED_STATUSES = frozenset({400, 422, 501})
"""HTTP statuses on which a json_object request with a ``schema`` is retried without it (a 500 there is
the server failing, not refusing the request's form)."""

StructuredMode = Literal["json_schema", "json_object_schema", "json_object"]
"""How a schema-constrained reply is asked for: ``response_format`` json_schema; json_object with a
``schema`` key (llama.cpp's server); or plain json_object (the schema in the prompt only)."""
STRUCTURED_MODES: tuple[StructuredMode, ...] = ("json_schema", "json_object_schema", "json_object")


class ReplyDeadlineError(LLMError):
    """The call's whole-call deadline (``options.timeout_s``) passed before the reply was complete."""


class _Sampling(TypedDict):
    model: str
    temperature: float
    max_tokens: int
    timeout: httpx2.Timeout
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
        self.structured_mode: StructuredMode | None = None
        """The response format that last gave a reply to a request with a schema; None until one did.
        Later calls start from it (llama.cpp's server: json_object_schema, one request per call)."""

    @property
    def json_schema_supported(self) -> bool | None:
        """None until known; False once the server rejected json_schema and another form worked."""
        return None if self.structured_mode is None else self.structured_mode == "json_schema"

    # --- public API -------------------------------------------------------------------------

    def stream_chat(self, request: ChatRequest) -> Iterator[str]:
        """Yield the reply's text as the server streams it. Raises LLMError (ReplyDeadlineError past
        ``options.timeout_s``). The iterator's ``close()`` may be called from any thread."""
        deadline = _Deadline(request.options.timeout_s)
        return _ReplyStream(self._stream(request, deadline), deadline)

    def complete_json(self, request: ChatRequest) -> dict[str, Any]:
        """Return one JSON object, constrained by ``request.json_schema`` where the server can.

        Raises LLMError for every failure, a reply that is not a JSON object included; the whole call
        (the json_schema attempt and the json_object retry) ends by ``options.timeout_s``. The object is
        not validated against the schema here: callers check what they use (grading/judge.py does).
        """
        client = self._prepare()
        deadline = _Deadline(request.options.timeout_s)
        try:
            schema = request.json_schema
            if schema is None:
                msgs = with_json_instruction(list(request.messages), None)
                content = self._complete(client, msgs, {"type": "json_object"}, request, deadline)
                assert content is not None
                return parse_json_object(content, self.name)
            modes = STRUCTURED_MODES[STRUCTURED_MODES.index(self.structured_mode or "json_schema"):]
            for i, mode in enumerate(modes):
                last = i == len(modes) - 1
                # json_schema: any fallback status may mean "unsupported" (llama.cpp answers 500);
                # json_object with a schema: only a refusal of the request's form (a 500 is a failure).
                rejects = frozenset() if last else _FALLBACK_STATUSES if mode == "json_schema" else _REFUSED_STATUSES
                msgs = list(request.messages) if mode == "json_schema" else with_json_instruction(
                    list(request.messages), schema)
                content = self._complete(client, msgs, _response_format(mode, schema, request.purpose), request,
                                         deadline, reject_statuses=rejects)
                if content is not None:
                    result = parse_json_object(content, self.name)
                    self.structured_mode = mode
                    return result
            raise AssertionError("unreachable: the last form never returns None")
        finally:
            deadline.stop()

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

    def _sampling_kwargs(self, request: ChatRequest, deadline: _Deadline) -> _Sampling:
        import httpx2

        o = request.options
        # Every phase (connect, send, wait for headers, each read) bounded by what is left of the call;
        # the watchdog and the per-chunk check bound the sum.
        kwargs = _Sampling(model=self.model, temperature=o.temperature, max_tokens=o.max_tokens,
                           timeout=httpx2.Timeout(max(deadline.remaining(), 0.001)))
        if o.seed is not None:
            kwargs["seed"] = o.seed
        if o.stop:
            kwargs["stop"] = list(o.stop)
        return kwargs

    def _stream(self, request: ChatRequest, deadline: _Deadline) -> Generator[str, None, None]:
        """The chunks of one streamed reply (run by :class:`_ReplyStream`)."""
        client = self._prepare()
        deadline.restart()
        try:
            try:
                stream = client.chat.completions.create(
                    messages=cast(Any, list(request.messages)), stream=True,
                    **self._sampling_kwargs(request, deadline),
                )
            except Exception as exc:
                if deadline.cancelled:
                    return
                raise self._failure(exc, deadline) from exc
            try:
                deadline.watch(stream.response)
                chunks = iter(stream)
                while True:
                    if deadline.cancelled:
                        return
                    try:
                        chunk = next(chunks)
                    except StopIteration:
                        return
                    except Exception as exc:  # openai/httpx errors, a chunk that is not JSON, the cut socket
                        if deadline.cancelled:
                            return
                        raise self._failure(exc, deadline) from exc
                    if deadline.remaining() <= 0:
                        raise self._deadline_error(deadline)
                    text = chunk_text(chunk, self.name)
                    if text:
                        yield text
            finally:
                stream.close()
        finally:
            deadline.stop()

    def _complete(self, client: openai.OpenAI, msgs: list[ChatMessage], response_format: dict[str, Any],
                  request: ChatRequest, deadline: _Deadline, *,
                  reject_statuses: frozenset[int] = frozenset()) -> str | None:
        """The message content of one non-streamed completion. Raises LLMError.

        None when the server answered one of ``reject_statuses`` (it rejects this response format) and
        time is left to try another form.
        """
        import openai

        if deadline.remaining() <= 0:
            raise self._deadline_error(deadline)
        try:
            # The streaming-response form returns once the headers are in, so the watchdog can cut a
            # body that trickles in; the plain form would read the whole body first.
            with client.chat.completions.with_streaming_response.create(
                messages=cast(Any, msgs), response_format=cast(Any, response_format), stream=False,
                **self._sampling_kwargs(request, deadline),
            ) as raw:
                deadline.watch(raw.http_response)
                body = raw.read()
        except openai.APIStatusError as exc:
            if exc.status_code in reject_statuses and deadline.remaining() > 0:
                return None
            raise self._failure(exc, deadline) from exc
        except Exception as exc:  # openai/httpx errors, the socket cut at the deadline
            raise self._failure(exc, deadline) from exc
        return completion_content(body, self.name, request.options.max_tokens)

    def _deadline_error(self, deadline: _Deadline) -> ReplyDeadlineError:
        where = self.base_url or "api.openai.com"
        return ReplyDeadlineError(
            f"{self.name}: request to {where} timed out: no complete reply within {deadline.seconds:g} s"
        )

    def _failure(self, exc: Exception, deadline: _Deadline) -> LLMError:
        """The LLMError for ``exc``: the deadline's when it has passed (or a timeout fired), else mapped."""
        import httpx2
        import openai

        if isinstance(exc, LLMError):
            return exc
        timed_out = isinstance(exc, openai.APITimeoutError | httpx2.TimeoutException)
        if deadline.expired or timed_out or deadline.remaining() <= 0:
            return self._deadline_error(deadline)
        return self._map_error(exc)

    def _map_error(self, exc: Exception) -> LLMError:
        import httpx2
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
            if isinstance(exc.__cause__, httpx2.ConnectError):
                return LLMError(f"{self.name}: cannot reach {where}: {exc.__cause__}")
            return LLMError(f"{self.name}: connection to {where} failed: {exc.__cause__ or exc}")
        if isinstance(exc, openai.APIStatusError):
            return LLMError(f"{self.name}: {where} answered HTTP {exc.status_code}: {exc.message}")
        if isinstance(exc, httpx2.HTTPError | OSError):
            return LLMError(f"{self.name}: connection to {where} failed: {type(exc).__name__}: {exc}")
        if isinstance(exc, ValueError):  # json.JSONDecodeError and friends: a chunk that is not JSON
            return LLMError(f"{self.name}: malformed reply from {where}: {type(exc).__name__}: {exc}")
        return LLMError(f"{self.name}: {type(exc).__name__}: {exc}")


class _Deadline:
    """One call's wall-clock budget, and the watchdog that enforces it on the responses being read.

    :meth:`watch` registers a response (once its headers are in) and arms a timer for the rest of the
    budget; when it fires, or when :meth:`cancel` is called from any thread, the responses' sockets are
    shut down, which wakes a read blocked in another thread (closing alone does not, on Linux). Responses
    without a socket (a mock transport) are left to the per-chunk check.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.expired = False
        self.cancelled = False
        self._lock = threading.Lock()
        self._responses: list[httpx2.Response] = []
        self._timer: threading.Timer | None = None
        self._stopped = False

    def restart(self) -> None:
        """Start the clock now (after the one-off client set-up, which is not the server's time)."""
        self.end = time.monotonic() + self.seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def watch(self, response: httpx2.Response) -> None:
        with self._lock:
            self._responses.append(response)
            if self.expired or self.cancelled:
                _shut_down(response)
            elif self._timer is None and not self._stopped:
                self._timer = threading.Timer(max(0.0, self.remaining()), self._expire)
                self._timer.name = "sparring-llm-deadline"
                self._timer.daemon = True
                self._timer.start()

    def cancel(self) -> None:
        """The consumer let go: cut whatever is being read, from any thread."""
        with self._lock:
            self.cancelled = True
            for response in self._responses:
                _shut_down(response)

    def stop(self) -> None:
        """The call is over: disarm the timer and forget the responses."""
        with self._lock:
            self._stopped = True
            if self._timer is not None:
                self._timer.cancel()
            self._responses.clear()

    def _expire(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self.expired = True
            for response in self._responses:
                _shut_down(response)


def _shut_down(response: httpx2.Response) -> None:
    """Shut the response's socket down (both ways) so a blocked read returns at once."""
    stream = response.extensions.get("network_stream")
    if stream is None:
        return
    try:
        sock = stream.get_extra_info("socket")
    except Exception:  # not every transport's stream knows its socket
        return
    if isinstance(sock, socket.socket):
        # socket.socket's own shutdown, also for an SSLSocket: a plain TCP shutdown under TLS, so the
        # reader gets an EOF error rather than a half-torn-down SSL object.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _ReplyStream(Iterator[str]):
    """The chunks of a streamed reply, closable from any thread.

    ``close()`` from the consuming thread closes the generator (and the response) at once; from another
    thread, while the consumer is blocked waiting for a chunk, it cuts the connection so that wait ends
    promptly and the stream finishes (no error) in the consumer's thread.
    """

    closable_from_any_thread = True
    """The actor closes a stream it gave up on (deadline, End) from its own thread."""

    def __init__(self, chunks: Generator[str, None, None], deadline: _Deadline) -> None:
        self._chunks = chunks
        self._deadline = deadline
        self._lock = threading.Lock()

    def __iter__(self) -> _ReplyStream:
        return self

    def __next__(self) -> str:
        with self._lock:
            return next(self._chunks)

    def close(self) -> None:
        self._deadline.cancel()
        if self._lock.acquire(blocking=False):  # else another thread is inside __next__: it ends itself
            try:
                self._chunks.close()
            finally:
                self._lock.release()


def chunk_text(chunk: Any, source: str) -> str:
    """The text a streamed chunk adds ('' for role-only and final chunks). Raises LLMError if malformed."""
    try:
        choices = chunk.choices
        if not choices:
            return ""
        text = choices[0].delta.content
    except (AttributeError, IndexError, KeyError, TypeError) as exc:
        raise LLMError(f"{source}: malformed stream chunk ({type(exc).__name__}: {exc})") from exc
    if text is None:
        return ""
    if not isinstance(text, str):
        raise LLMError(f"{source}: malformed stream chunk (content is {type(text).__name__}, not text)")
    return text


def completion_content(body: bytes, source: str, max_tokens: int) -> str:
    """The message content of a non-streamed chat completion body. Raises LLMError if malformed."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise LLMError(f"{source}: the reply is not JSON ({exc}): {body[:200]!r}") from exc
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or not choices:
        error = data.get("error") if isinstance(data, dict) else None
        detail = f": {error}" if error else ""
        raise LLMError(f"{source}: the reply has no choices{detail}"[:400])
    choice = choices[0]
    if not isinstance(choice, dict):
        raise LLMError(f"{source}: malformed reply (a choice is {type(choice).__name__})")
    if choice.get("finish_reason") == "length":
        raise LLMError(f"{source}: the JSON reply was cut off at max_tokens={max_tokens}")
    message = choice.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if content is None:
        if not isinstance(message, dict):
            raise LLMError(f"{source}: malformed reply (no message in the choice)")
        return ""
    if not isinstance(content, str):
        raise LLMError(f"{source}: malformed reply (content is {type(content).__name__}, not text)")
    return content


def _response_format(mode: StructuredMode, schema: dict[str, Any], purpose: str) -> dict[str, Any]:
    """The ``response_format`` of a request in ``mode``."""
    if mode == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": _schema_name(purpose), "schema": schema,
                                                       "strict": is_strict_compatible(schema)}}
    if mode == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_object"}


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
