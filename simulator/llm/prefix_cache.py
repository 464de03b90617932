"""A RAM prefix cache for llama-cpp-python whose capacity bound counts the bytes an entry really holds.

llama-cpp-python saves a ``LlamaState`` after every completion and, on the next call, restores the
entry with the longest common token prefix, so only the new tokens are processed. The stock
``llama_cpp.LlamaRAMCache`` bounds its size by ``llama_state_size`` alone, but every state also
carries ``scores``: a copy of ``Llama.scores[:n_tokens]``, i.e. ``min(n_tokens, n_batch) × n_vocab``
float32 (≈78 MB at n_batch 128, ≈311 MB at 512 for Qwen's 151,936-token vocabulary). That is why RSS
grew without bound.

This class implements the same duck-typed interface ``Llama`` uses (``cache[tokens]`` raising
``KeyError``, ``tokens in cache``, ``cache[tokens] = state``, ``cache_size``, ``capacity_bytes``) with
the same semantics as ``LlamaRAMCache`` (longest-prefix lookup, least recently used evicted first),
but counts ``llama_state_size + scores.nbytes + input_ids.nbytes`` and keeps the total within
capacity. By default it also drops an entry as soon as a newer key extends it (a chat saves one entry
per turn, each extending the last; the older ones can never win a longest-prefix lookup), so a long
conversation holds one entry instead of one per turn. The class does not import llama_cpp, so it is
unit-testable with fake states (only :func:`compact_save_state` does, when called).

Trimming the saved scores (``trim_scores=True``, the default) keeps only their last row. That is
provably output-neutral for a ``Llama`` built with ``logits_all=False`` (llama-cpp-python 0.3.x):

* with ``logits_all=False`` ``Llama.eval`` never writes ``Llama.scores`` (sampling runs inside
  llama.cpp's sampler on the context's own logits), so the saved rows are uninitialised memory;
* ``Llama.load_state`` assigns ``scores[:n_tokens] = state.scores.copy()``, which numpy broadcasts
  from one row, and sets ``_requires_eval`` so ``generate`` re-decodes at least one token before
  sampling; the real logits live in ``llama_state`` (llama.cpp's own state blob), untouched here;
* the only readers of ``Llama.scores`` are logprobs (require ``logits_all=True``) and
  ``stopping_criteria``/``eval_logits`` (the chat template's stop criterion looks at tokens only).

Do not enable trimming for a ``Llama`` created with ``logits_all=True``.

Memory (issue 11). Every saved state holds the KV cells of its whole conversation (~28 KB a token
for Qwen2.5-1.5B, so ~30-40 MB for a finished practice call), and a call leaves an entry or two
behind when it ends. With a 768 MB bound the cache kept every ended session until it was full, and
RSS grew by ~33 MB a session, to 3.0 GB after 12 graded sessions (bench/bench_realism.py
``--part memory``). Three things keep it flat:

* the default capacity is 256 MB: the current conversations and the system-prompt prefixes of the
  drills in use (a new call of a drill reuses an ended call's prefix); older entries go first;
* :func:`tune_allocator` (called when a cache is built) gives every block of 8 MB or more its own
  ``mmap`` on glibc, so a state freed by an eviction or a transient copy goes back to the OS at
  once, and :func:`release_heap` (after each new entry) hands back freed heap pages. Without them
  glibc's sliding mmap threshold put the 30-40 MB states on the heap, and ~300 MB of freed heap
  stayed resident;
* :meth:`RealBytesRAMCache.attach` also replaces the model's ``save_state`` with
  :func:`compact_save_state`, which writes llama.cpp's state once into its final buffer and saves
  one row of scores, instead of ``Llama.save_state``'s three copies of the state plus a
  ``min(n_tokens, n_batch) × n_vocab`` score copy (~180 MB of transient peak per reply).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

DEFAULT_CAPACITY_BYTES = 256 * 1024 * 1024
"""Room for the live conversations and a few drills' prompt prefixes (see the module docstring)."""
MMAP_THRESHOLD_BYTES = 8 * 1024 * 1024
"""Blocks at least this large get their own mmap (and go back to the OS when freed)."""


class _StateLike(Protocol):
    """The parts of ``llama_cpp.llama.LlamaState`` the cache looks at."""

    scores: Any
    input_ids: Any
    llama_state_size: int


def state_nbytes(state: _StateLike) -> int:
    """Bytes one saved state holds: llama.cpp's state blob + saved scores + the token array."""
    input_ids = getattr(state, "input_ids", None)
    return (int(state.llama_state_size) + int(state.scores.nbytes)
            + (int(input_ids.nbytes) if input_ids is not None else 0))


def longest_token_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the common prefix of two token sequences."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class RealBytesRAMCache:
    """LRU prefix cache of llama states bounded by the real bytes its entries hold.

    Attach with ``llama.set_cache(RealBytesRAMCache(capacity_bytes))``. Not thread-safe by itself;
    the embedded backend only touches it while holding the model's generation lock.
    """

    def __init__(self, capacity_bytes: int = DEFAULT_CAPACITY_BYTES, *, trim_scores: bool = True,
                 drop_dominated: bool = True, release_freed_memory: bool = True) -> None:
        if capacity_bytes < 0:
            raise ValueError("capacity_bytes must be >= 0")
        self.release_freed_memory = release_freed_memory
        """Tune the allocator once and hand freed heap pages back to the OS after each new entry."""
        if release_freed_memory:
            tune_allocator()
        self.capacity_bytes = capacity_bytes
        self.trim_scores = trim_scores
        self.drop_dominated = drop_dominated
        """Drop entries whose key is a prefix of a new key: every lookup matches the new entry at
        least as far, so they can never win (a chat adds one such entry per turn)."""
        self.cache_state: OrderedDict[tuple[int, ...], Any] = OrderedDict()
        self._sizes: dict[tuple[int, ...], int] = {}
        self.hits = 0
        self.misses = 0
        self.evictions = 0
        self.rejected = 0
        """Entries not stored because one alone exceeds the capacity."""
        self.dropped = 0
        """Entries dropped because a newer entry's key extends theirs."""

    @property
    def cache_size(self) -> int:
        """Total real bytes held by all entries."""
        return sum(self._sizes.values())

    def __len__(self) -> int:
        return len(self.cache_state)

    def __bool__(self) -> bool:
        # Llama tests ``if self.cache:``; with __len__ defined an empty cache would be falsy and
        # never receive its first entry.
        return True

    def _find_longest_prefix_key(self, key: tuple[int, ...]) -> tuple[int, ...] | None:
        best_len = 0
        best_key: tuple[int, ...] | None = None
        for k in self.cache_state:
            prefix_len = longest_token_prefix(k, key)
            if prefix_len > best_len:
                best_len, best_key = prefix_len, k
        return best_key

    def __getitem__(self, key: Sequence[int]) -> Any:
        found = self._find_longest_prefix_key(tuple(key))
        if found is None:
            self.misses += 1
            raise KeyError("Key not found")
        self.hits += 1
        self.cache_state.move_to_end(found)
        return self.cache_state[found]

    def __contains__(self, key: Sequence[int]) -> bool:
        return self._find_longest_prefix_key(tuple(key)) is not None

    def __setitem__(self, key: Sequence[int], value: Any) -> None:
        k = tuple(key)
        if self.trim_scores:
            _trim_scores(value)
        size = state_nbytes(value)
        if k in self.cache_state:
            del self.cache_state[k]
            del self._sizes[k]
        if size > self.capacity_bytes:
            self.rejected += 1
            return
        if self.drop_dominated:
            for old in [o for o in self.cache_state if len(o) <= len(k) and k[: len(o)] == o]:
                del self.cache_state[old]
                del self._sizes[old]
                self.dropped += 1
        while self.cache_state and self.cache_size + size > self.capacity_bytes:
            old, _ = self.cache_state.popitem(last=False)
            del self._sizes[old]
            self.evictions += 1
        self.cache_state[k] = value
        self._sizes[k] = size
        if self.release_freed_memory:
            release_heap()  # once a reply: what the reply's transient copies freed goes back to the OS

    def clear(self) -> None:
        """Drop every entry."""
        self.cache_state.clear()
        self._sizes.clear()

    def attach(self, llama: Any) -> None:
        """Use this cache for ``llama`` (a ``llama_cpp.Llama``) and save its states compactly.

        Same as ``llama.set_cache(self)``, plus the instance's ``save_state`` becomes
        :func:`compact_save_state` when score trimming is on (the saved states are then what this
        cache would keep anyway, without the transient copies)."""
        llama.set_cache(self)
        if self.trim_scores:
            llama.save_state = lambda: compact_save_state(llama)


_allocator_lock = threading.Lock()
_allocator_tuned: bool | None = None


def tune_allocator(threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """glibc only: serve every allocation of ``threshold`` bytes or more with its own mmap.

    That fixes glibc's sliding mmap threshold (which otherwise rises to the size of the largest
    block freed, up to 32 MB, and puts later blocks of that size on the heap, where freed memory
    stays resident). Process-wide and idempotent; returns whether it took effect (False on other
    C libraries, where nothing is changed)."""
    global _allocator_tuned
    with _allocator_lock:
        if _allocator_tuned is None:
            libc = _glibc()
            m_mmap_threshold = -3  # glibc's malloc.h
            _allocator_tuned = libc is not None and bool(
                libc.mallopt(ctypes.c_int(m_mmap_threshold), ctypes.c_int(threshold)))
        return _allocator_tuned


_libc: Any = None


def _glibc() -> Any:
    """The C library when it is glibc (``mallopt`` and ``malloc_trim`` mean what we expect), else None."""
    global _libc
    if _libc is None:
        _libc = False
        name = ctypes.util.find_library("c")
        try:
            libc = ctypes.CDLL(name) if name else None
        except OSError:
            libc = None
        if libc is not None and all(hasattr(libc, f) for f in ("gnu_get_libc_version", "mallopt", "malloc_trim")):
            _libc = libc
    return _libc or None


def release_heap() -> None:
    """glibc only: return free heap pages to the OS (``malloc_trim(0)``, well under a millisecond here)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(ctypes.c_size_t(0))


def compact_save_state(llama: Any) -> Any:
    """``Llama.save_state`` (llama-cpp-python 0.3.x) writing llama.cpp's state once, into an anonymous mmap.

    Returns the same ``LlamaState`` fields, with ``llama_state`` an mmap (``Llama.load_state`` only
    reads it through the buffer protocol) and ``scores`` the last row only, as :func:`_trim_scores`
    would leave it (output-neutral with ``logits_all=False``, see the module docstring). The mmap
    is returned to the OS when the entry is dropped."""
    import llama_cpp
    from llama_cpp.llama import LlamaState

    ctx = llama._ctx.ctx
    size = int(llama_cpp.llama_state_get_size(ctx))
    buf = mmap.mmap(-1, max(size, 1))
    view = (ctypes.c_uint8 * size).from_buffer(buf)
    try:
        written = int(llama_cpp.llama_state_get_data(ctx, view, size))
    finally:
        del view  # release the export, so the mmap can be closed when the entry goes
    if written > size:
        raise RuntimeError("Failed to copy llama state data")
    scores = llama._scores
    return LlamaState(
        input_ids=llama.input_ids.copy(),
        scores=scores[-1:].copy() if scores.shape[0] else scores.copy(),
        n_tokens=llama.n_tokens,
        llama_state=buf,  # type: ignore[arg-type]
        llama_state_size=written,
        seed=llama._seed,
    )


def _trim_scores(state: Any) -> None:
    """Keep only the last row of a state's saved scores (see the module docstring for why it is safe)."""
    scores = getattr(state, "scores", None)
    if isinstance(scores, np.ndarray) and scores.ndim == 2 and scores.shape[0] > 1:
        # .copy() so the slice does not keep the full array alive through its base.
        state.scores = scores[-1:].copy()
