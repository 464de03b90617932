"""Learned label models: logistic regression over [sentence embedding, rule features, hashed words].

Trained by ``scripts/train_understanding.py`` on the corpus's train and dev splits (regularisation and
decision thresholds chosen by 5-fold cross-validation over them; the test split is never used) and
shipped as ``models/*.npz``; prediction is a dot product in numpy.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODELS = Path(__file__).parent / "models"


@dataclass(frozen=True)
class BinaryModel:
    """One yes/no label: weights over the features, bias and decision threshold."""

    weights: np.ndarray
    bias: float
    threshold: float

    def probability(self, x: np.ndarray) -> float:
        z = float(x @ self.weights + self.bias)
        return 1.0 / (1.0 + float(np.exp(-np.clip(z, -30, 30))))


@dataclass(frozen=True)
class LabelModels:
    """Every label's model, and the feature layout they were trained with."""

    binary: dict[str, BinaryModel]
    feature_names: tuple[str, ...]
    classes: dict[str, tuple[str, ...]]
    multiclass: dict[str, tuple[np.ndarray, np.ndarray]]

    def predict_class(self, name: str, x: np.ndarray) -> tuple[str, float]:
        weights, bias = self.multiclass[name]
        scores = weights @ x + bias
        scores = np.exp(scores - scores.max())
        probs = scores / scores.sum()
        best = int(np.argmax(probs))
        return self.classes[name][best], float(probs[best])


def save(path: Path, models: LabelModels) -> None:
    """Write the models as one .npz file (plain arrays, no pickles)."""
    arrays: dict[str, np.ndarray] = {"feature_names": np.array(models.feature_names)}
    for name, m in models.binary.items():
        arrays[f"b:{name}:w"] = m.weights.astype(np.float32)
        arrays[f"b:{name}:meta"] = np.array([m.bias, m.threshold], dtype=np.float64)
    for name, (w, b) in models.multiclass.items():
        arrays[f"m:{name}:w"] = w.astype(np.float32)
        arrays[f"m:{name}:b"] = b.astype(np.float64)
        arrays[f"m:{name}:classes"] = np.array(models.classes[name])
    np.savez_compressed(path, **arrays)  # type: ignore[arg-type]


def load(path: Path) -> LabelModels:
    """Read models written by :func:`save`."""
    with np.load(path, allow_pickle=False) as data:
        binary: dict[str, BinaryModel] = {}
        multiclass: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        classes: dict[str, tuple[str, ...]] = {}
        for key in data.files:
            kind, _, rest = key.partition(":")
            name, _, part = rest.rpartition(":")
            if kind == "b" and part == "w":
                meta = data[f"b:{name}:meta"]
                binary[name] = BinaryModel(data[key].astype(np.float64), float(meta[0]), float(meta[1]))
            elif kind == "m" and part == "w":
                multiclass[name] = (data[key].astype(np.float64), data[f"m:{name}:b"])
                classes[name] = tuple(str(c) for c in data[f"m:{name}:classes"])
        return LabelModels(binary, tuple(str(n) for n in data["feature_names"]), classes, multiclass)


@functools.lru_cache(maxsize=4)
def shipped(name: str) -> LabelModels | None:
    """A shipped model file by name ('rep', 'buyer'), or None when it is not there."""
    path = MODELS / f"{name}.npz"
    return load(path) if path.is_file() else None
