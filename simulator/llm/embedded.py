"""The embedded backend: a GGUF chat model run in-process by llama-cpp-python.

One ``Llama`` per (model file, n_ctx) per process, created on first use and shared by every
:class:`EmbeddedLLM` (loading takes seconds and ~1.9 GB of RAM). A llama context is not thread-safe,
so every generation holds that model's lock from the first token to the last; callers that stop
reading a stream early should close it (``with contextlib.closing(...)`` or just drop it) so the lock
is released. The model's own chat template (from the GGUF metadata; ChatML for Qwen) formats prompts.

A :class:`~simulator.llm.prefix_cache.RealBytesRAMCache` bounded by ``settings.prefix_cache_bytes``
is attached, so a buyer turn that follows a judge call still reuses the conversation's processed
prefix. Keep the system prompt byte-stable across turns for that to pay off.

:meth:`EmbeddedLLM.prefill` evaluates the next turn's prompt prefix (the conversation up to the
rep's next message) in a background thread while the rep types. It holds the model's lock in short
steps and gives way as soon as any generation asks for the model; what it evaluated stays usable.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.config import Settings
from simulator.llm.base import ChatMessage, ChatRequest, LLMError, ModelUnavailableError
from simulator.llm.guard import ensure_real_models_allowed
from simulator.llm.model_files import DEFAULT_MODEL_FILENAME, resolve_model_path
from simulator.llm.openai_compat import parse_json_object
from simulator.llm.prefix_cache import RealBytesRAMCache, longest_token_prefix

log = logging.getLogger(__name__)

PREFILL_STEP_TOKENS = 32
"""Tokens evaluated per step of a background prefill; a generation waits at most one step (~0.3 s)."""
PREFILL_LOCK_WAIT_S = 5.0
_NEXT_USER_MARK = "\u2063PREFILL\u2063"


@dataclass(frozen=True)
class GenerationStats:
    """Measurements of one generation (for benchmarks and logs)."""

    purpose: str
    ttft_s: float
    """Seconds from the call to the first text chunk (prompt processing + first sample)."""
    total_s: float
    """Seconds from the call to the last chunk."""
    completion_tokens: int
    """Text chunks streamed; llama-cpp-python yields one per token except around multi-byte characters."""
    prompt_tokens_evaluated: int
    """Prompt tokens llama.cpp actually processed (small when the prefix was reused)."""
    decode_tokens: int
    """Single-token decodes llama.cpp ran (the generated tokens it fed back)."""
    finish_reason: str | None
    model_load_s: float | None = None
    """Set on the call that loaded the model; excluded from ttft_s."""

    @property
    def gen_tokens_per_s(self) -> float:
        """Generation speed after the first token: (tokens - 1) / (last chunk - first chunk)."""
        span = self.total_s - self.ttft_s
        return (self.completion_tokens - 1) / span if self.completion_tokens > 1 and span > 0 else 0.0


@dataclass
class _SharedModel:
    llama: Any  # llama_cpp.Llama; typed Any so importing this module does not import llama_cpp
    lock: threading.Lock
    cache: RealBytesRAMCache
    path: Path
    load_s: float
    epoch: int = 0
    """Bumped by every generation before it asks for the lock: a prefill started earlier gives way."""
    formatter: Any = field(default=None)
    """The chat template as a prompt formatter (for prefill), built on first use."""


_models: dict[tuple[str, int], _SharedModel] = {}
_models_lock = threading.Lock()


def _load(settings: Settings) -> tuple[_SharedModel, float | None]:
    """Return the shared model for these settings, loading it if needed (and how long that took)."""
    ensure_real_models_allowed("EmbeddedLLM (llama.cpp)")
    with _models_lock:
        path = resolve_model_path(settings)  # may assemble the default model once (~5 s)
        key = (str(path.resolve()), settings.n_ctx)
        shared = _models.get(key)
        if shared is not None:
            return shared, None
        try:
            import llama_cpp
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelUnavailableError(
                f"llama-cpp-python is not importable ({exc}): pip install 'llama-cpp-python>=0.3.36' "
                "(compiles for ~8 min), or set SPARRING_LLM=template / openai."
            ) from exc
        started = time.perf_counter()
        try:
            llama: Any = llama_cpp.Llama(
                model_path=str(path), n_ctx=settings.n_ctx, n_batch=settings.n_batch,
                n_threads=settings.n_threads, n_threads_batch=settings.n_threads_batch,
                logits_all=False,  # required by the cache's score trimming (see prefix_cache.py)
                use_mmap=False,  # a mapped file is counted in RSS beside the repacked weights (~590 MB more)
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelUnavailableError(
                f"llama.cpp could not load {path} ({exc}). Is it a GGUF chat model? Set "
                "SPARRING_MODEL_PATH to one, unset it to use the shipped model, or set SPARRING_LLM=template."
            ) from exc
        cache = RealBytesRAMCache(settings.prefix_cache_bytes, trim_scores=True)
        cache.attach(llama)
        load_s = time.perf_counter() - started
        shared = _SharedModel(llama=llama, lock=threading.Lock(), cache=cache, path=path, load_s=load_s)
        _models[key] = shared
        return shared, load_s


def unload_models() -> None:
    """Forget every loaded model (their memory is freed once no generation still uses them)."""
    with _models_lock:
        _models.clear()


class EmbeddedLLM:
    """The LLM protocol on llama-cpp-python, in-process. Cheap to construct; loads on first use."""

    generative = True

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        stem = Path(settings.model_path).stem if settings.model_path else Path(DEFAULT_MODEL_FILENAME).stem
        self.name = f"embedded:{stem}"
        self.last_stats: GenerationStats | None = None
        """Measurements of the most recent completed generation on this instance."""
        self.last_prefill_tokens: int | None = None
        """Tokens the most recent finished prefill evaluated (None before any)."""

    def load(self) -> float | None:
        """Load (or assemble and load) the model now; return the load seconds, None if already loaded."""
        return _load(self._settings)[1]

    @property
    def prefix_cache(self) -> RealBytesRAMCache:
        """The shared model's prefix cache (loads the model)."""
        return _load(self._settings)[0].cache

    def forget_prefixes(self) -> None:
        """Drop the shared model's reused prefixes (context and prefix cache).

        Outputs depend slightly on how the prompt was split into batches: llama.cpp picks kernels by
        batch size, so a reused prefix (1 new token) and a fresh prompt (one big batch) give logits
        that differ by up to ~0.5, which can change a sampled token. Same seed + same messages gives
        the same text when the evaluation path is the same too; call this before a run that must be
        bit-reproducible. Costs the next call a full prompt evaluation.
        """
        shared, _ = _load(self._settings)
        with shared.lock:
            shared.cache.clear()
            shared.llama.reset()

    def prefill(self, messages: Sequence[ChatMessage]) -> threading.Thread | None:
        """Evaluate, in the background, the prompt of a next turn that continues ``messages``.

        ``messages`` is the conversation so far (system prompt first, ending with the buyer's line);
        the prefix evaluated is everything the next request will start with, up to the rep's next
        message. Harmless when the rep answers first: the generation takes the model at the next
        step and reuses whatever was evaluated. Returns the thread (for tests), None when disabled.
        """
        if not self._settings.prefill:
            return None
        shared, _ = _load(self._settings)
        epoch = shared.epoch
        thread = threading.Thread(target=self._prefill, args=(shared, list(messages), epoch), daemon=True,
                                  name="sparring-prefill")
        thread.start()
        return thread

    def _prefill(self, shared: _SharedModel, messages: list[ChatMessage], epoch: int) -> None:
        try:
            tokens = _prefix_tokens(shared, messages)
            if not tokens or not shared.lock.acquire(timeout=PREFILL_LOCK_WAIT_S):
                return
            try:
                if shared.epoch == epoch:
                    self.last_prefill_tokens = _evaluate_prefix(shared, tokens, epoch)
            finally:
                shared.lock.release()
        except Exception:  # a background optimisation: never let it break anything
            log.exception("prefill failed")

    def stream_chat(self, request: ChatRequest) -> Iterator[str]:
        """Yield the reply token by token. Raises LLMError (ModelUnavailableError if unloadable)."""
        yield from self._generate(request, None, [])

    def complete_json(self, request: ChatRequest) -> dict[str, Any]:
        """Return a JSON object; grammar-constrained to ``request.json_schema`` when one is given."""
        response_format: dict[str, Any] = {"type": "json_object"}
        if request.json_schema is not None:
            response_format["schema"] = request.json_schema
        done: list[GenerationStats] = []
        text = "".join(self._generate(request, response_format, done))
        if done and done[0].finish_reason == "length":
            raise LLMError(f"{self.name}: the JSON reply was cut off at max_tokens="
                           f"{request.options.max_tokens}: {text[:200]!r}")
        return parse_json_object(text, self.name)

    def _generate(self, request: ChatRequest, response_format: dict[str, Any] | None,
                  done: list[GenerationStats]) -> Iterator[str]:
        """Stream one completion under the model lock; append its stats to ``done`` when complete."""
        shared, load_s = _load(self._settings)
        options = request.options
        shared.epoch += 1  # a background prefill stops at its next step and releases the lock
        if not shared.lock.acquire(timeout=options.timeout_s):
            raise LLMError(f"{self.name}: the model stayed busy for {options.timeout_s:.0f} s")
        try:
            import llama_cpp

            ctx = shared.llama._ctx.ctx
            llama_cpp.llama_perf_context_reset(ctx)
            started = time.perf_counter()
            kwargs: dict[str, Any] = {
                "messages": list(request.messages), "stream": True,
                "temperature": options.temperature, "max_tokens": options.max_tokens,
                "seed": options.seed, "stop": list(options.stop),
            }
            if response_format is not None:
                kwargs["response_format"] = response_format
            try:
                chunks = iter(shared.llama.create_chat_completion(**kwargs))
            except Exception as exc:
                raise LLMError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
            first: float | None = None
            last = started
            count = 0
            finish: str | None = None
            try:
                while True:
                    try:
                        chunk = next(chunks)
                    except StopIteration:
                        break
                    except Exception as exc:
                        raise LLMError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
                    choice = chunk["choices"][0]
                    finish = choice.get("finish_reason") or finish
                    text = choice["delta"].get("content")
                    if not text:
                        continue
                    last = time.perf_counter()
                    if first is None:
                        first = last
                    count += 1
                    if last - started > options.timeout_s:
                        raise LLMError(f"{self.name}: generation exceeded {options.timeout_s:.0f} s")
                    yield text
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
            perf = llama_cpp.llama_perf_context(ctx)
            stats = GenerationStats(
                purpose=request.purpose,
                ttft_s=(first if first is not None else last) - started,
                total_s=last - started,
                completion_tokens=count,
                prompt_tokens_evaluated=int(perf.n_p_eval),
                decode_tokens=int(perf.n_eval),
                finish_reason=finish,
                model_load_s=load_s,
            )
            self.last_stats = stats
            done.append(stats)
        finally:
            shared.lock.release()



def _prefix_tokens(shared: _SharedModel, messages: list[ChatMessage]) -> list[int] | None:
    """The tokens a request continuing ``messages`` with a user message starts with (None: unknown)."""
    llama = shared.llama
    if getattr(llama, "chat_format", None) != "chat_template.default":
        return None  # another prompt format: the prefix cannot be rendered the same way
    if shared.formatter is None:
        from llama_cpp import llama_chat_format

        eos_id, bos_id = llama.token_eos(), llama.token_bos()
        shared.formatter = llama_chat_format.Jinja2ChatFormatter(
            template=llama.metadata["tokenizer.chat_template"],
            eos_token=llama._model.token_get_text(eos_id) if eos_id != -1 else "",
            bos_token=llama._model.token_get_text(bos_id) if bos_id != -1 else "",
        )
    prompt = shared.formatter(messages=[*messages, {"role": "user", "content": _NEXT_USER_MARK}]).prompt
    cut = prompt.rfind(_NEXT_USER_MARK)
    if cut <= 0:
        return None
    tokens = llama.tokenize(prompt[:cut].encode("utf-8"), add_bos=False, special=True)
    return list(tokens[:-1])  # the last token may merge with the rep's first characters


def _evaluate_prefix(shared: _SharedModel, tokens: list[int], epoch: int) -> int:
    """Make the model's context hold ``tokens`` (reusing what it or the prefix cache has). Holds the lock.

    Evaluates in steps of PREFILL_STEP_TOKENS and stops as soon as a generation bumps the epoch.
    Returns how many tokens it evaluated.
    """
    llama = shared.llama
    n = longest_token_prefix(llama._input_ids.tolist(), tokens)
    try:
        item = shared.cache[tokens]
        if longest_token_prefix(item.input_ids.tolist(), tokens) > n:
            llama.load_state(item)
            n = longest_token_prefix(llama._input_ids.tolist(), tokens)
    except KeyError:
        pass
    if n >= len(tokens):
        return 0
    if n == 0:
        llama.reset()
    elif n < llama.n_tokens:
        llama._ctx.kv_cache_seq_rm(-1, n, -1)
        llama.n_tokens = n
    evaluated = 0
    for start in range(n, len(tokens), PREFILL_STEP_TOKENS):
        if shared.epoch != epoch:
            break
        batch = tokens[start:start + PREFILL_STEP_TOKENS]
        llama.eval(batch)
        evaluated += len(batch)
    import llama_cpp

    # llama.cpp counts decoded tokens at the next synchronisation: do it now, so this work is not
    # counted as the next generation's prompt processing (GenerationStats.prompt_tokens_evaluated).
    llama_cpp.llama_synchronize(llama._ctx.ctx)
    return evaluated
