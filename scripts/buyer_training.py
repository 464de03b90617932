"""Training of the buyer-line models, called by ``python scripts/train_understanding.py --buyer``.

What the models learn from:
- the corpus's train split (tests/data/buyer_lines/b2b.jsonl);
- the written training lines in scripts/data/buyer_lines_written.txt (labelled by the same
  conventions, other wording; any exact repeat of a dev line is dropped here);
- optionally (SPARRING_BUYER_PFG=1) PersuasionForGood persuadee sentences of the dialogues whose id
  falls in the train split (corpus.split_of), with labels mapped as in bench/bench_buyer_pfg.py.
  Off by default: it lowered dev F1 (charity chat is not a B2B call). Absent data → skipped.

How settings are chosen, per label: the regularisation C and the decision threshold by 5-fold
cross-validation over the corpus lines of the pool (the written and PFG lines always stay on the
training side, the folds score corpus lines only); the dev split is never used to pick them. With
--train-only the pool is the train split and dev F1 is an honest held-out figure; the shipped
models pool train + dev. A label keeps its learned model only if, fitted on train alone, it beats
the rules on dev; otherwise its rule reading stands.

Which features: the sentence embedding, the hashed word n-grams and the question cues of the rules
(rule_asks, echo, questions, question_mark). The other rule cues are computed (they are the rule
readings and reasons) but get no weight: they were written while reading the train split, so on
train they look far more reliable than they are on new lines, and giving them weight lowered dev F1.
"""

from __future__ import annotations

import os
import re
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from simulator.understanding import classifier, corpus
from simulator.understanding.buyer import BUYER_FEATURE_NAMES, EMBEDDING_DIMENSIONS, read_buyer
from simulator.understanding.definitions import BUYER_LABELS
from simulator.understanding.evaluation import LabelScore
from simulator.understanding.ngrams import BUCKETS

WRITTEN = Path(__file__).resolve().parent / "data" / "buyer_lines_written.txt"
C_GRID = (3.0, 10.0, 30.0, 100.0)
THRESHOLDS = np.round(np.arange(0.2, 0.81, 0.025), 3)
FOLDS = 5
USED_RULE_FEATURES = ("rule_asks", "echo", "questions", "question_mark")
_SHORT = {"agr": "agrees", "ref": "refuses", "obj": "objects", "ask": "asks", "def": "deflects"}


def written_lines(path: Path = WRITTEN) -> list[dict[str, Any]]:
    """The written training lines: '<labels> | <text>' under '# rep: …' context headers."""
    out: list[dict[str, Any]] = []
    if not path.is_file():
        return out
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        codes, sep, text = line.partition(" | ")
        if not sep or not text.strip():
            raise ValueError(f"{path}:{number}: expected '<labels> | <text>'")
        names = set() if codes.strip() == "-" else {_SHORT[c.strip()] for c in codes.split(",")}
        out.append({"id": f"written-{number}", "text": text.strip(),
                    "labels": {n: n in names for n in BUYER_LABELS}, "scored": set(BUYER_LABELS)})
    return out


def pfg_train_lines() -> list[dict[str, Any]]:
    """PersuasionForGood sentences of train-split dialogues ([] when the data folder is absent)."""
    import importlib.util

    bench = Path(__file__).resolve().parents[1] / "bench" / "bench_buyer_pfg.py"
    spec = importlib.util.spec_from_file_location("bench_buyer_pfg", bench)
    if spec is None or spec.loader is None:
        return []
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [s for s in module.pfg_sentences() if corpus.split_of(s["dialogue_id"]) == "train"]


def _f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    score = LabelScore()
    for t, p in zip(truth, predicted, strict=True):
        score.add(bool(t), bool(p))
    return score.f1


def _columns() -> np.ndarray:
    """The feature columns that get weights: embedding, the question cues, n-grams."""
    rule = [EMBEDDING_DIMENSIONS + BUYER_FEATURE_NAMES.index(n) for n in USED_RULE_FEATURES]
    start = EMBEDDING_DIMENSIONS + len(BUYER_FEATURE_NAMES)
    return np.array([*range(EMBEDDING_DIMENSIONS), *rule, *range(start, start + BUCKETS)])


def featurise(items: list[dict[str, Any]]) -> tuple[np.ndarray, list[dict[str, bool]]]:
    """Full feature rows (the layout read_buyer builds) and the rule readings of each item."""
    readings = [read_buyer(u["text"], use_models=False, keep_features=True) for u in items]
    dim = EMBEDDING_DIMENSIONS + len(BUYER_FEATURE_NAMES) + BUCKETS
    rows = [r.features if r.features is not None else np.zeros(dim) for r in readings]
    return np.vstack(rows), [r.labels for r in readings]


def _fit(x: np.ndarray, y: np.ndarray, c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(x, y)


def _choose(x_pool: np.ndarray, y_pool: np.ndarray, ids: list[str], x_extra: np.ndarray,
            y_extra: np.ndarray) -> tuple[float, float, float]:
    """(cross-validated F1, C, threshold) over the corpus lines of the pool."""
    folds = np.array([zlib.crc32(i.encode()) % FOLDS for i in ids])
    best: tuple[float, float, float] | None = None
    for c in C_GRID:
        probs = np.zeros(len(y_pool))
        for k in range(FOLDS):
            fit = folds != k
            model = _fit(np.vstack([x_pool[fit], x_extra]), np.concatenate([y_pool[fit], y_extra]), c)
            probs[~fit] = model.predict_proba(x_pool[~fit])[:, 1]
        for t in THRESHOLDS:
            f1 = _f1(y_pool, probs >= t)
            if best is None or (f1, -abs(t - 0.5)) > (best[0], -abs(best[2] - 0.5)):
                best = (f1, c, float(t))
    assert best is not None
    return best


def train(out: Path, train_only: bool) -> dict[str, float]:
    """Fit, choose and save the buyer models; returns the dev F1 of each label (train-only fits)."""
    train_items, dev_items = corpus.buyer_lines("train"), corpus.buyer_lines("dev")
    dev_texts = {re.sub(r"[^a-z0-9]+", " ", u["text"].lower()).strip() for u in dev_items}
    written = [u for u in written_lines()
               if re.sub(r"[^a-z0-9]+", " ", u["text"].lower()).strip() not in dev_texts]
    pfg = pfg_train_lines() if os.environ.get("SPARRING_BUYER_PFG") == "1" else []
    extra = written + pfg
    print(f"buyer lines: train {len(train_items)}, dev {len(dev_items)} (test not read); written {len(written)}, "
          f"PFG {len(pfg)}{'' if pfg else ' (SPARRING_BUYER_PFG=1 to add)'}")
    cols = _columns()
    xt, _ = featurise(train_items)
    xd, rule_dev = featurise(dev_items)
    xe, _ = featurise(extra) if extra else (np.zeros((0, xt.shape[1])), [])
    xt, xd, xe = xt[:, cols], xd[:, cols], xe[:, cols]
    binary: dict[str, classifier.BinaryModel] = {}
    dev_f1: dict[str, float] = {}
    for name in BUYER_LABELS:
        yt = np.array([bool(u["labels"][name]) for u in train_items])
        yd = np.array([bool(u["labels"][name]) for u in dev_items])
        scored = np.array([name in u.get("scored", BUYER_LABELS) for u in extra], dtype=bool)
        ye = np.array([bool(u["labels"][name]) for u in extra], dtype=bool)[scored] if extra else np.zeros(0, bool)
        xe_name = xe[scored] if extra else xe
        cv_f1, c, t = _choose(xt, yt, [u["id"] for u in train_items], xe_name, ye)
        held_out = _fit(np.vstack([xt, xe_name]), np.concatenate([yt, ye]), c)
        learned = _f1(yd, held_out.predict_proba(xd)[:, 1] >= t)
        rules = _f1(yd, np.array([r[name] for r in rule_dev]))
        dev_f1[name] = learned
        if learned <= rules:
            print(f"  {name:9s} dev F1 rules {rules:.3f} ≥ learned {learned:.3f}: rules stand")
            dev_f1[name] = rules
            continue
        if train_only:
            final, threshold, note = held_out, t, f"C={c}, threshold={t}, train CV F1 {cv_f1:.3f}"
        else:
            ids = [u["id"] for u in train_items + dev_items]
            xp, yp = np.vstack([xt, xd]), np.concatenate([yt, yd])
            cv_all, c_all, threshold = _choose(xp, yp, ids, xe_name, ye)
            final = _fit(np.vstack([xp, xe_name]), np.concatenate([yp, ye]), c_all)
            note = f"shipped: train+dev, C={c_all}, threshold={threshold}, CV F1 {cv_all:.3f}"
        print(f"  {name:9s} dev F1 rules {rules:.3f} → learned {learned:.3f} (train-only fit; {note})")
        weights = np.zeros(EMBEDDING_DIMENSIONS + len(BUYER_FEATURE_NAMES) + BUCKETS)
        weights[cols] = final.coef_[0]
        binary[name] = classifier.BinaryModel(weights, float(final.intercept_[0]), float(threshold))
    names = ("embedding",) * EMBEDDING_DIMENSIONS + BUYER_FEATURE_NAMES + ("ngram",) * BUCKETS
    classifier.save(out, classifier.LabelModels(binary, names, {}, {}))
    classifier.shipped.cache_clear()
    print(f"wrote {out}")
    return dev_f1
