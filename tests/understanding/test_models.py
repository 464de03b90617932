"""The learned models and the embedding model: shipped, verified, and still reading the dev split well."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from simulator.understanding import classifier, corpus
from simulator.understanding.definitions import BOOLEAN_LABELS
from simulator.understanding.embedding import Embedder, EmbeddingModelError, model_file
from simulator.understanding.evaluation import Report, evaluate
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


# Floors a little under the cross-validated figures over train + dev (scripts/train_understanding.py,
# docs/benchmarks.md), or under the dev figure where that is lower (greeting: rules alone, 0.94 on dev).
# The shipped models are fitted on train + dev, so the dev split is not held out here: these catch a
# reader that got broken (rules changed without retraining, a feature layout that no longer matches the
# model file), not how well it generalises. The test split is read only by the bench, once.
DEV_SPLIT_FLOORS = {
    "question_kind": 0.95, "price_owner": 0.88,
    "next_step": 0.87, "concession": 0.86, "asks_in_return": 0.86, "acknowledges": 0.84, "is_pitch": 0.87,
    "greeting": 0.92, "thanks_or_goodbye": 0.96, "ends_call": 0.95, "next_step_timed": 0.90,
}


def _dev_report(use_models: bool) -> Report:
    items = corpus.utterances("dev")
    return evaluate(items, lambda u: read_rep(
        u["text"], u["context"].get("list_price"), use_models=use_models,
        previous_buyer_line=u["context"].get("previous_buyer_line") or ""
    ).as_json())


def test_reader_holds_its_quality_on_the_dev_split() -> None:
    report = _dev_report(use_models=True)
    assert report.question_kind_accuracy >= DEV_SPLIT_FLOORS["question_kind"]
    assert report.price_owner_accuracy >= DEV_SPLIT_FLOORS["price_owner"]
    for name, _support, _p, _r, f1 in report.rows():
        assert f1 >= DEV_SPLIT_FLOORS[name], f"{name}: dev F1 {f1:.3f} < {DEV_SPLIT_FLOORS[name]}"


def test_learned_models_beat_the_rules_alone_on_the_dev_split() -> None:
    def mean_f1(report: Report) -> float:
        return sum(f1 for *_rest, f1 in report.rows()) / len(report.rows())

    assert mean_f1(_dev_report(use_models=True)) > mean_f1(_dev_report(use_models=False)) + 0.05
