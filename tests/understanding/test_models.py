"""The learned models and the embedding model: shipped, verified, measured on the held-out split."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from simulator.understanding import classifier, corpus
from simulator.understanding.definitions import BOOLEAN_LABELS
from simulator.understanding.embedding import Embedder, EmbeddingModelError, model_file
from simulator.understanding.evaluation import evaluate
from simulator.understanding.reader import read_rep


def test_a_tampered_embedding_model_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "model.onnx"
    shutil.copyfile(model_file(), copy)
    with copy.open("r+b") as f:
        f.seek(1000)
        f.write(b"\x00\x01\x02\x03")
    with pytest.raises(EmbeddingModelError, match="sha256"):
        Embedder(copy)


def test_missing_embedding_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelError, match="not found"):
        Embedder(tmp_path / "nope.onnx")


def test_embeddings_are_deterministic_and_normalised() -> None:
    embedder = Embedder()
    a = embedder.embed("what does your approval process look like")
    embedder._cache.clear()
    b = embedder.embed("what does your approval process look like")
    assert np.array_equal(a, b)
    assert abs(float(np.linalg.norm(a)) - 1.0) < 1e-5


def test_models_round_trip(tmp_path: Path) -> None:
    shipped = classifier.shipped("rep")
    assert shipped is not None, "the rep label models ship with the package"
    path = tmp_path / "copy.npz"
    classifier.save(path, shipped)
    again = classifier.load(path)
    assert set(again.binary) == set(shipped.binary)
    for name, model in shipped.binary.items():
        assert (
            np.allclose(again.binary[name].weights, model.weights) and again.binary[name].threshold == model.threshold
        )


def test_splits_are_fixed_and_disjoint() -> None:
    assert corpus.split_of("disc-0001") == corpus.split_of("disc-0001")
    items = corpus.utterances()
    ids = [u["id"] for u in items]
    assert len(ids) == len(set(ids)) >= 1_200
    shares = {s: sum(u["split"] == s for u in items) / len(items) for s in ("train", "dev", "test")}
    assert 0.5 < shares["train"] < 0.7 and 0.1 < shares["test"] < 0.3


def test_corpus_is_well_formed() -> None:
    for u in corpus.utterances():
        labels = u["labels"]
        assert labels["question_kind"] in ("open", "closed", "none"), u["id"]
        assert set(BOOLEAN_LABELS) <= set(labels), u["id"]
        assert not labels["asks_in_return"] or labels["concession"], u["id"]
        assert labels["next_step_time"] is None or labels["next_step"], u["id"]


# Floors a little under the figures measured on the held-out test split (docs/benchmarks.md): the
# test fails when a change makes the reader worse. They are not the targets; the bench reports those.
TEST_SPLIT_FLOORS = {
    "question_kind": 0.93, "price_owner": 0.70,
    "next_step": 0.82, "concession": 0.83, "asks_in_return": 0.84, "acknowledges": 0.86, "is_pitch": 0.79,
    "greeting": 0.95, "thanks_or_goodbye": 0.96, "ends_call": 0.92, "next_step_timed": 0.92,
}


def test_reader_holds_its_measured_quality_on_the_test_split() -> None:
    items = corpus.utterances("test")
    report = evaluate(items, lambda u: read_rep(
        u["text"], u["context"].get("list_price"), previous_buyer_line=u["context"].get("previous_buyer_line") or ""
    ).as_json())
    assert report.question_kind_accuracy >= TEST_SPLIT_FLOORS["question_kind"]
    assert report.price_owner_accuracy >= TEST_SPLIT_FLOORS["price_owner"]
    for name, _support, _p, _r, f1 in report.rows():
        assert f1 >= TEST_SPLIT_FLOORS[name], f"{name}: F1 {f1:.3f} < {TEST_SPLIT_FLOORS[name]}"


def test_learned_models_beat_the_rules_alone_on_the_test_split() -> None:
    items = corpus.utterances("test")

    def score(use_models: bool) -> float:
        report = evaluate(
            items, lambda u: read_rep(u["text"], u["context"].get("list_price"), use_models=use_models,
                                      previous_buyer_line=u["context"].get("previous_buyer_line") or "").as_json()
        )
        return sum(f1 for *_rest, f1 in report.rows()) / len(report.rows())

    assert score(True) > score(False) + 0.05
