"""Batched embeddings: the same bits as one text at a time, so batching never changes a label or a grade."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulator.understanding import buyer, embedding, reader
from simulator.understanding.embedding import Embedder, pooled
from simulator.understanding.text import normalise

DATA = Path(__file__).parents[1] / "data"


def _rows(folder: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in sorted((DATA / folder).glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


@pytest.fixture(scope="module")
def model() -> Embedder:
    return Embedder()


def test_a_text_gets_the_same_bits_alone_and_in_any_padded_batch(model: Embedder) -> None:
    texts = list(dict.fromkeys(normalise(r["text"]) for r in _rows("utterances") if r["text"].strip()))
    rng = random.Random(7)
    sample = [*rng.sample(texts, 120), "ok", "fine.", " ".join(["budget"] * 300)]  # 3 tokens .. the 128 cap
    alone = {}
    for text in sample:
        model._cache.clear()
        alone[text] = model.embed(text)
    for size in (2, 7, 40):  # unsorted: short texts padded beside long ones
        rng.shuffle(sample)
        for i in range(0, len(sample), size):
            chunk = sample[i : i + size]
            ids = [model._ids(t) for t in chunk]
            hidden = model._run(ids)
            for row, text in enumerate(chunk):
                assert np.array_equal(pooled(hidden[row, : len(ids[row])]), alone[text]), text
    model._cache.clear()
    assert all(np.array_equal(v, alone[t]) for t, v in zip(sample, model.embed_many(sample), strict=True))


def test_embed_many_sorts_by_length_and_bounds_each_run(model: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    widths: list[tuple[int, int]] = []
    real = model._run

    def spy(seqs: list[np.ndarray]) -> np.ndarray:
        widths.append((len(seqs), max(len(s) for s in seqs)))
        return real(seqs)

    monkeypatch.setattr(model, "_run", spy)
    model._cache.clear()
    texts = [f"line {i} " + "word " * (i % 23) for i in range(60)]
    vectors = model.embed_many([*texts, texts[0]])  # a repeat is embedded once
    assert len(vectors) == 61 and np.array_equal(vectors[0], vectors[-1])
    assert sum(rows for rows, _ in widths) == 60
    assert all(rows == 1 or rows * width <= embedding.RUN_TOKENS for rows, width in widths)
    assert [w for _, w in widths] == sorted(w for _, w in widths)
    runs = len(widths)
    model.embed_many(texts)  # all cached now: no run
    assert len(widths) == runs


def test_the_cache_drops_its_oldest_vectors_first(model: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedding, "CACHE_SIZE", 3)
    model._cache.clear()
    model.embed_many(["a one", "a two", "a three", "a four"])
    assert list(model._cache) == ["a two", "a three", "a four"]


def test_rep_and_buyer_labels_are_the_same_with_batched_embeddings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole utterance corpus and the buyer-line set, read with every text embedded alone and again
    after embedding all of them in batched runs first: identical readings, probabilities included."""
    reps = _rows("utterances")
    buyers = _rows("buyer_lines")

    def readings() -> list[str]:
        out = []
        for r in reps:
            reading = reader.read_rep(r["text"], r["context"].get("list_price"))
            out.append(json.dumps([reading.as_json(), reading.probabilities], sort_keys=True))
        for b in buyers:
            got = buyer.read_buyer(b["text"])
            out.append(json.dumps([got.labels, got.probabilities, got.reasons], sort_keys=True))
        return out

    alone = Embedder()
    monkeypatch.setattr(embedding, "_shared", lambda: alone)
    one_by_one = readings()
    assert alone.runs >= len({normalise(r["text"]) for r in reps if r["text"].strip()}) // 2  # really one by one

    batched = Embedder()
    monkeypatch.setattr(embedding, "_shared", lambda: batched)
    texts = [t for r in reps for t in reader.embedded_texts(r["text"])]
    texts += [t for b in buyers if (t := buyer.embedded_text(b["text"])) is not None]
    batched.embed_many(texts)
    runs = batched.runs
    assert runs < len(texts) // 4
    assert readings() == one_by_one
    assert batched.runs == runs  # every vector the readers needed was already there
