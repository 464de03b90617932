"""A real local OpenAI-compatible chat server that misbehaves on request, for fault tests.

A stdlib ``ThreadingHTTPServer`` on 127.0.0.1 (a free port), serving ``POST /v1/chat/completions`` over
HTTP/1.1 the way OpenAI, llama.cpp's server and vLLM do: server-sent events in chunked transfer encoding
for ``stream: true``, one JSON body with a Content-Length otherwise. Point ``OpenAICompatLLM`` at
:attr:`FakeOpenAIServer.url` (see :func:`settings_for`).

What it does per request is a :class:`Behaviour`, chosen in this order: the first queued one
(:meth:`FakeOpenAIServer.queue`), else ``server.rule(request)`` when set and not None, else
``server.behaviour`` (global, default :meth:`Behaviour.normal`)::

    with running_fake_openai() as server:
        server.behaviour = Behaviour.trickle(interval_s=0.5)      # every request from now on
        server.queue(Behaviour.error(500), Behaviour.normal())    # the next two requests
        server.rule = lambda r: Behaviour.hang() if r.json_mode else None   # judge calls hang
        server.rule = llama_cpp_rule                              # structured output as llama.cpp's server

Behaviours: ``normal`` (the reply, or JSON for ``response_format`` requests: ``json_reply`` or an instance
built from the request's schema), ``trickle`` (one token, or one piece of the JSON body, every
``interval_s``), ``hang`` (accepts and never answers; ``after_tokens`` > 0 sends headers and that many
tokens first), ``malformed`` (``content``: non-JSON content / a non-JSON SSE event; ``schema``: valid JSON
that violates the schema / a chunk of the wrong shape; ``body``: a body that is not JSON at all;
``fields``: a JSON envelope without choices or message), ``disconnect`` (the connection is cut after
``after_tokens`` tokens, or half the JSON body), ``error`` (HTTP ``status`` with an OpenAI error body),
``slow_first_byte`` (nothing for ``delay_s``, then normal; ``delay_s`` delays any behaviour).

Every request is recorded (:attr:`FakeOpenAIServer.requests`) with its body, the behaviour used, when it
ended and whether the client went away before the server finished (``client_gone``): the server notices a
closed connection within ~50 ms while it trickles or hangs, so tests can assert the client let go.
"""

from __future__ import annotations

import contextlib
import json
import re
import select
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

from simulator.config import Settings

BehaviourKind = Literal["normal", "trickle", "hang", "malformed", "disconnect", "error", "slow_first_byte"]
MalformedKind = Literal["content", "schema", "body", "fields"]

DEFAULT_REPLY = "Fine. Tell me more about how that would work for us."
SCHEMA_MARKER = "It must validate against this JSON schema:\n"
"""What OpenAICompatLLM appends to the last message in json_object mode (schema in the prompt)."""

_POLL_S = 0.05


@dataclass(frozen=True)
class Behaviour:
    """What the server does with one request. Build with the classmethods."""

    kind: BehaviourKind = "normal"
    reply: str | None = None
    """The chat reply (None: the server's ``reply``)."""
    json_reply: dict[str, Any] | None = None
    """The JSON reply for response_format requests (None: the server's, else built from the schema)."""
    interval_s: float = 0.05
    delay_s: float = 0.0
    """Nothing at all for this long first (any kind; the point of ``slow_first_byte``)."""
    status: int = 500
    after_tokens: int = 0
    malformed: MalformedKind = "content"
    piece_bytes: int = 1
    """trickle, non-streamed: bytes of the JSON body per interval."""

    @classmethod
    def normal(cls, reply: str | None = None, json_reply: dict[str, Any] | None = None) -> Behaviour:
        return cls("normal", reply=reply, json_reply=json_reply)

    @classmethod
    def trickle(cls, interval_s: float = 1.0, reply: str | None = None, piece_bytes: int = 1) -> Behaviour:
        return cls("trickle", reply=reply, interval_s=interval_s, piece_bytes=piece_bytes)

    @classmethod
    def hang(cls, after_tokens: int = 0) -> Behaviour:
        return cls("hang", after_tokens=after_tokens)

    @classmethod
    def malformed_reply(cls, malformed: MalformedKind = "content") -> Behaviour:
        return cls("malformed", malformed=malformed)

    @classmethod
    def disconnect(cls, after_tokens: int = 1) -> Behaviour:
        return cls("disconnect", after_tokens=after_tokens)

    @classmethod
    def error(cls, status: int = 500, delay_s: float = 0.0) -> Behaviour:
        return cls("error", status=status, delay_s=delay_s)

    @classmethod
    def slow_first_byte(cls, delay_s: float = 1.0, reply: str | None = None) -> Behaviour:
        return cls("slow_first_byte", delay_s=delay_s, reply=reply)


@dataclass
class RecordedRequest:
    """One request the server got, and what became of it."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    behaviour: Behaviour = field(default_factory=Behaviour)
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    """When the server was done with it (answered, cut, or saw the client leave)."""
    client_gone: bool = False
    """The client closed the connection before the server finished answering."""

    @property
    def stream(self) -> bool:
        return bool(self.body and self.body.get("stream"))

    @property
    def response_format(self) -> str | None:
        fmt = (self.body or {}).get("response_format")
        return fmt.get("type") if isinstance(fmt, dict) else None

    @property
    def json_mode(self) -> bool:
        """A structured-output request (json_schema or json_object)."""
        return self.response_format is not None

    @property
    def response_schema(self) -> dict[str, Any] | None:
        """The JSON schema in ``response_format``: json_schema's, or json_object's ``schema`` (llama.cpp)."""
        fmt = (self.body or {}).get("response_format") or {}
        schema = fmt.get("json_schema", {}).get("schema") if fmt.get("type") == "json_schema" else fmt.get("schema")
        return schema if isinstance(schema, dict) else None

    @property
    def schema(self) -> dict[str, Any] | None:
        """The JSON schema asked for: from response_format, else from the prompt (json_object mode)."""
        if self.response_schema is not None:
            return self.response_schema
        messages = (self.body or {}).get("messages") or []
        last = messages[-1].get("content", "") if messages else ""
        if isinstance(last, str) and SCHEMA_MARKER in last:
            with contextlib.suppress(ValueError):
                schema = json.loads(last.split(SCHEMA_MARKER, 1)[1])
                return schema if isinstance(schema, dict) else None
        return None


def example_of(schema: Any) -> Any:
    """A small instance of a JSON schema (enums: the middle value), enough for the judge's schema."""
    if not isinstance(schema, dict):
        return None
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        values = schema["enum"]
        return values[len(values) // 2]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {key: example_of(sub) for key, sub in props.items()}
    if kind == "array":
        return [example_of(schema.get("items", {}))] * int(schema.get("minItems", 1))
    if kind == "string":
        return "ok" + "k" * max(0, int(schema.get("minLength", 0)) - 2)
    if kind == "integer":
        return int(schema.get("minimum", 0))
    if kind == "number":
        return float(schema.get("minimum", 0))
    if kind == "boolean":
        return False
    return None


def llama_cpp_rule(request: RecordedRequest) -> Behaviour | None:
    """Structured output as llama.cpp's OpenAI-compatible server answers it: ``json_schema`` is refused
    with HTTP 500; ``json_object`` with a ``schema`` is constrained by a grammar, so the reply fits the
    schema; ``json_object`` without one leaves the model free, and a small model's JSON then misses the
    schema (valid JSON, wrong shape). Use as ``server.rule = llama_cpp_rule``."""
    if request.response_format == "json_schema":
        return Behaviour.error(500)
    if request.response_format == "json_object" and request.response_schema is None:
        return Behaviour.malformed_reply("schema")
    return None


def tokens_of(text: str) -> list[str]:
    """Word tokens that join back to ``text`` (each keeps its trailing space)."""
    return re.findall(r"\S+\s*|\s+", text) or [""]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # each SSE event goes out at once, as from a real server
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # --- plumbing -------------------------------------------------------------------------------

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, add=True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.fake._track(self.connection, add=False)

    def _client_gone(self) -> bool:
        """True if the client closed its end (readable with nothing to read)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def _wait(self, seconds: float | None, rec: RecordedRequest) -> bool:
        """Wait ``seconds`` (None: until the client leaves or the server stops). False if it should stop."""
        end = None if seconds is None else time.monotonic() + seconds
        while end is None or time.monotonic() < end:
            if self.server.fake._stopping.is_set():
                return False
            if self._client_gone():
                rec.client_gone = True
                return False
            step = _POLL_S if end is None else min(_POLL_S, max(0.0, end - time.monotonic()))
            time.sleep(step)
        return True

    def _send(self, data: bytes, rec: RecordedRequest) -> bool:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            rec.client_gone = True
            return False
        return True

    def _chunk(self, data: bytes, rec: RecordedRequest) -> bool:
        return self._send(f"{len(data):x}\r\n".encode() + data + b"\r\n", rec)

    def _cut(self) -> None:
        """Drop the connection without finishing the response."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _headers(self, status: int, content_type: str, length: int | None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Cache-Control", "no-cache")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    # --- requests -------------------------------------------------------------------------------

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            body = json.dumps({"object": "list", "data": [{"id": self.server.fake.model, "object": "model"}]})
            self._plain(200, body.encode())
        else:
            self._plain(404, b'{"error": {"message": "not found"}}')

    def _plain(self, status: int, body: bytes) -> None:
        self._headers(status, "application/json", len(body))
        with contextlib.suppress(OSError):
            self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        rec = RecordedRequest("POST", self.path, dict(self.headers.items()),
                              body if isinstance(body, dict) else None)
        fake = self.server.fake
        rec.behaviour = fake._choose(rec)
        fake._record(rec)
        try:
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._plain(404, b'{"error": {"message": "unknown path", "type": "invalid_request_error"}}')
            else:
                self._answer(rec)
        finally:
            rec.ended = time.monotonic()
            fake._done(rec)

    def _answer(self, rec: RecordedRequest) -> None:
        b = rec.behaviour
        if b.delay_s > 0 and not self._wait(b.delay_s, rec):
            return
        if b.kind == "hang" and b.after_tokens == 0:
            self._wait(None, rec)
            self._cut()
            return
        if b.kind == "disconnect" and b.after_tokens == 0:
            self._cut()
            return
        if b.kind == "error":
            message = {"error": {"message": f"fake server error {b.status}", "type": "server_error"}}
            self._plain(b.status, json.dumps(message).encode())
            return
        if rec.stream:
            self._stream(rec)
        else:
            self._complete(rec)

    def _chunk_event(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
                 "model": self.server.fake.model,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return f"data: {json.dumps(chunk)}\n\n".encode()

    def _stream(self, rec: RecordedRequest) -> None:
        b = rec.behaviour
        fake = self.server.fake
        text = b.reply if b.reply is not None else fake.reply
        if rec.json_mode:
            text = json.dumps(self._json_reply(rec))
        self._headers(200, "text/event-stream", None)
        if not self._chunk(self._chunk_event({"role": "assistant", "content": ""}), rec):
            return
        if b.kind == "malformed":
            bad = {"content": b"data: {this is not json\n\n",
                   "schema": b'data: {"choices": [{"index": 0, "delta": 5}]}\n\n',
                   "body": b"data: <html><body>502 Bad Gateway</body></html>\n\n",
                   "fields": b'data: {"object": "chat.completion.chunk"}\n\n'}[b.malformed]
            if self._chunk(bad, rec) and self._chunk(b"data: [DONE]\n\n", rec):
                self._send(b"0\r\n\r\n", rec)
            return
        for i, token in enumerate(tokens_of(text)):
            if b.kind in ("hang", "disconnect") and i >= b.after_tokens:
                if b.kind == "hang":
                    self._wait(None, rec)
                self._cut()
                return
            if b.kind == "trickle" and not self._wait(b.interval_s, rec):
                return
            if not self._chunk(self._chunk_event({"content": token}), rec):
                return
        if self._chunk(self._chunk_event({}, "stop"), rec) and self._chunk(b"data: [DONE]\n\n", rec):
            self._send(b"0\r\n\r\n", rec)

    def _json_reply(self, rec: RecordedRequest) -> Any:
        b = rec.behaviour
        if b.json_reply is not None:
            return b.json_reply
        if self.server.fake.json_reply is not None:
            return self.server.fake.json_reply
        return example_of(rec.schema) if rec.schema is not None else {"ok": True}

    def _complete(self, rec: RecordedRequest) -> None:
        b = rec.behaviour
        fake = self.server.fake
        content: Any = b.reply if b.reply is not None else fake.reply
        if rec.json_mode:
            content = json.dumps(self._json_reply(rec))
        message: dict[str, Any] = {"role": "assistant", "content": content}
        choices: Any = [{"index": 0, "message": message, "finish_reason": "stop"}]
        envelope: dict[str, Any] = {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
                                    "model": fake.model, "choices": choices}
        if b.kind == "malformed":
            if b.malformed == "content":
                message["content"] = "Sure! Here is the JSON you asked for: {adjust: up, turn: three"
            elif b.malformed == "schema":
                message["content"] = json.dumps({"unexpected": "field", "adjust": "a lot"})
            elif b.malformed == "fields":
                envelope["choices"] = [{"index": 0, "message": None, "finish_reason": None}]
        data = json.dumps(envelope).encode()
        if b.kind == "malformed" and b.malformed == "body":
            data = b"<html><body>502 Bad Gateway</body></html>"
        self._headers(200, "application/json", len(data))
        if b.kind in ("hang", "disconnect"):
            self._send(data[: len(data) // 2], rec)
            if b.kind == "hang":
                self._wait(None, rec)
            self._cut()
            return
        if b.kind == "trickle":
            step = max(1, b.piece_bytes)
            for start in range(0, len(data), step):
                if not self._wait(b.interval_s, rec) or not self._send(data[start:start + step], rec):
                    return
            return
        self._send(data, rec)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeOpenAIServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that cut the connection are what these tests are about: not worth a traceback."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class FakeOpenAIServer:
    """The server, its switchable behaviour and what it received. Start with :meth:`start` or ``with``."""

    def __init__(self, reply: str = DEFAULT_REPLY, *, model: str = "fake-model",
                 behaviour: Behaviour | None = None, json_reply: dict[str, Any] | None = None) -> None:
        self.reply = reply
        self.model = model
        self.behaviour = behaviour or Behaviour.normal()
        """Used for every request that no queued behaviour or rule claims."""
        self.json_reply = json_reply
        """JSON for response_format requests in normal mode (None: an instance of the request's schema)."""
        self.rule: Callable[[RecordedRequest], Behaviour | None] | None = None
        """Per-request choice (e.g. by ``request.json_mode``); None falls through to ``behaviour``."""
        self.requests: list[RecordedRequest] = []
        self._queue: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._active = 0
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeOpenAIServer:
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.fake = self
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-openai-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release hanging handlers, drop open connections, stop serving."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            with self._lock:
                conns = list(self._connections)
            for conn in conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._httpd = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "the server is not running"
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base URL to configure (``SPARRING_OPENAI_BASE_URL``), ending in /v1."""
        return f"http://127.0.0.1:{self.port}/v1"

    # --- behaviour and records ------------------------------------------------------------------

    def queue(self, *behaviours: Behaviour) -> None:
        """Use these for the next requests, in order (before ``rule`` and ``behaviour``)."""
        with self._lock:
            self._queue.extend(behaviours)

    @property
    def active(self) -> int:
        """Requests the server is still answering (or hanging on)."""
        with self._lock:
            return self._active

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no request is in progress; False if some still is after ``timeout``."""
        end = time.monotonic() + timeout
        with self._idle:
            while self._active:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def json_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.json_mode]

    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if not r.json_mode]

    def _choose(self, rec: RecordedRequest) -> Behaviour:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.rule is not None:
            chosen = self.rule(rec)
            if chosen is not None:
                return chosen
        return self.behaviour

    def _record(self, rec: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(rec)
            self._active += 1

    def _done(self, rec: RecordedRequest) -> None:
        with self._idle:
            self._active -= 1
            self._idle.notify_all()

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)


@contextlib.contextmanager
def running_fake_openai(reply: str = DEFAULT_REPLY, **kwargs: Any) -> Iterator[FakeOpenAIServer]:
    """A started :class:`FakeOpenAIServer`, stopped on exit."""
    server = FakeOpenAIServer(reply, **kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def settings_for(server: FakeOpenAIServer, tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for the openai backend pointed at ``server``, every data path under ``tmp_path``.

    The backend also checks the real-model guard: tests must allow it (the ``allow_fake_model``
    fixture in tests/faults/conftest.py), since the fake server is reached over real HTTP.
    """
    values: dict[str, Any] = {
        "llm": "openai", "data_dir": tmp_path / "data", "cache_dir": tmp_path / "cache",
        "openai_base_url": server.url, "openai_model": server.model, "openai_api_key": "sk-fake",
        **overrides,
    }
    return Settings(**values)
