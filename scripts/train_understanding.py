"""Train the learned label models; choose every setting by cross-validation over train + dev.

    python scripts/train_understanding.py            # writes simulator/understanding/models/rep.npz
    python scripts/train_understanding.py --cv-only  # the cross-validated report, writes nothing
    python scripts/train_understanding.py --buyer    # writes simulator/understanding/models/buyer.npz

Rep models: the train and dev splits are pooled (2,109 utterances in this pass) and cut into five folds, stratified
on the rarer labels and fixed (a stable order, no randomness). Per yes/no label the regularisation C
and the decision threshold that give the best F1 over the out-of-fold probabilities are chosen, and
the learned model is kept only if it beats the rules alone there; likewise C for the question kind
and the price owner. Then the whole reader (rules, models, the definitions no model overrules) is
scored fold by fold with models fitted on the other four folds: that is the cross-validated figure
the docs report (a little optimistic: the settings were chosen on the same folds). The shipped models
are refitted on all of train + dev. The test split is never read here. Needs scikit-learn (the test
extra).
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.understanding import classifier, corpus
from simulator.understanding.definitions import BOOLEAN_LABELS, BUYER_LABELS, PRICE_OWNERS
from simulator.understanding.evaluation import LabelScore, Report, evaluate

TRAIN_ONLY = False
"""--train-only (buyer models): fit the final models on train alone, so the dev split can show honest
errors. Rep models are judged by cross-validation instead."""
C_GRID = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
THRESHOLDS = np.round(np.arange(0.1, 0.91, 0.025), 3)
FOLDS = 5
QUESTION_KINDS = ("open", "closed", "none")
STRATIFY_ON = ("asks_in_return", "is_pitch", "concession", "next_step", "acknowledges", "ends_call", "greeting")
"""Rarest first: the folds are balanced on these labels (and the question kind), in this priority."""


def _f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    score = LabelScore()
    for t, p in zip(truth, predicted, strict=True):
        score.add(bool(t), bool(p))
    return score.f1


def _fit(x: Any, y: np.ndarray, c: float, balanced: bool = True) -> Any:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, class_weight="balanced" if balanced else None, max_iter=4000)
    model.fit(x, y)
    return model


def fold_of(items: list[dict[str, Any]]) -> np.ndarray:
    """A fixed fold (0..FOLDS-1) per utterance, stratified: utterances sorted by their rarer labels,
    then by a stable hash of the id, are dealt out in turn."""

    def key(u: dict[str, Any]) -> tuple[Any, ...]:
        labels = u["labels"]
        return (*(not labels[n] for n in STRATIFY_ON), labels["question_kind"],
                hashlib.sha256(("cv:" + u["id"]).encode()).hexdigest())

    order = sorted(range(len(items)), key=lambda i: key(items[i]))
    folds = np.zeros(len(items), dtype=int)
    for position, i in enumerate(order):
        folds[i] = position % FOLDS
    return folds


def _out_of_fold(x: Any, y: np.ndarray, folds: np.ndarray, c: float) -> np.ndarray:
    probs = np.zeros(len(y))
    for k in range(FOLDS):
        held = folds == k
        probs[held] = _fit(x[~held], y[~held], c).predict_proba(x[held])[:, 1]
    return probs


def choose_binary(name: str, x: Any, y: np.ndarray, rule: np.ndarray, folds: np.ndarray
                  ) -> tuple[float, float] | None:
    """The C and threshold with the best out-of-fold F1; None when the rules alone do at least as well."""
    rule_f1 = _f1(y, rule)
    if y.sum() < 10 or y.sum() == len(y):
        print(f"  {name:18s} too few positives ({int(y.sum())}); rules stand (F1 {rule_f1:.3f})")
        return None
    best: tuple[float, float, float] | None = None
    for c in C_GRID:
        probs = _out_of_fold(x, y, folds, c)
        for t in THRESHOLDS:
            f1 = _f1(y, probs >= t)
            if best is None or (f1, -abs(t - 0.5)) > (best[0], -abs(best[2] - 0.5)):
                best = (f1, c, float(t))
    assert best is not None
    f1, c, t = best
    if f1 <= rule_f1:
        print(f"  {name:18s} rules {rule_f1:.3f} ≥ learned {f1:.3f} out of fold: rules stand")
        return None
    print(f"  {name:18s} out-of-fold F1 rules {rule_f1:.3f} → learned {f1:.3f} (C={c}, threshold={t})")
    return c, t


def choose_multiclass(name: str, x: Any, y: np.ndarray, rule: np.ndarray, folds: np.ndarray) -> float | None:
    """The C with the best out-of-fold accuracy; None when the rules alone do at least as well."""
    rule_acc = float(np.mean(rule == y))
    best_c, best_acc = None, rule_acc
    for c in C_GRID:
        predicted = np.zeros(len(y), dtype=int)
        for k in range(FOLDS):
            held = folds == k
            predicted[held] = _fit(x[~held], y[~held], c, balanced=False).predict(x[held])
        acc = float(np.mean(predicted == y))
        if acc > best_acc:
            best_c, best_acc = c, acc
    if best_c is None:
        print(f"  {name:18s} rules {rule_acc:.3f} stand out of fold ({len(y)} rows)")
    else:
        print(f"  {name:18s} out-of-fold accuracy rules {rule_acc:.3f} → learned {best_acc:.3f} (C={best_c}, "
              f"{len(y)} rows)")
    return best_c


def _owner_rows(items: list[dict[str, Any]], readings: list[Any]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One row per extracted amount that matches a labelled amount: features, true owner, rule owner and
    the index of its utterance."""
    from simulator.understanding.values import OWNER_HASH_BUCKETS, owner_features

    xs, ys, rules, where = [], [], [], []
    for index, (item, reading) in enumerate(zip(items, readings, strict=True)):
        truth = list(item["labels"].get("prices", []))
        for i, amount in enumerate(reading.amounts):
            match = next((t for t in truth if abs(float(t["value"]) - amount.value) < 0.5), None)
            if match is None:
                continue
            truth.remove(match)
            xs.append(owner_features(amount, item["context"].get("list_price"), i, len(reading.amounts)))
            ys.append(PRICE_OWNERS.index(match["owner"]))
            rules.append(PRICE_OWNERS.index(amount.owner))
            where.append(index)
    width = OWNER_HASH_BUCKETS + 16
    return (np.array(xs) if xs else np.zeros((0, width)), np.array(ys, dtype=int), np.array(rules, dtype=int),
            np.array(where, dtype=int))


class Settings:
    """What cross-validation chose: per binary label (C, threshold), and C of the multiclass models."""

    def __init__(self) -> None:
        self.binary: dict[str, tuple[float, float]] = {}
        self.multiclass: dict[str, float] = {}


@contextmanager
def cached_embeddings(path: Path | None) -> Iterator[None]:
    """Keep the corpus's embeddings in a file between runs (the embedding model never changes here)."""
    from simulator.understanding.embedding import shared_embedder

    embedder = shared_embedder()
    if path is not None and path.is_file():
        embedder._cache.update(pickle.loads(path.read_bytes()))
    yield
    if path is not None:
        path.write_bytes(pickle.dumps(dict(embedder._cache)))


def featurise(items: list[dict[str, Any]]) -> tuple[Any, list[Any]]:
    """The rule readings of each utterance and the feature matrix the models see (sparse rows)."""
    import scipy.sparse

    from simulator.understanding.embedding import DIMENSIONS, shared_embedder
    from simulator.understanding.ngrams import BUCKETS
    from simulator.understanding.reader import embedded_texts, read_rep
    from simulator.understanding.rules import FEATURE_NAMES

    texts = [t for u in items for t in embedded_texts(u["text"])]
    shared_embedder().embed_many(texts)
    readings = [
        read_rep(u["text"], u["context"].get("list_price"), use_models=False, keep_features=True,
                 previous_buyer_line=u["context"].get("previous_buyer_line") or "")
        for u in items
    ]
    dim = DIMENSIONS + len(FEATURE_NAMES) + BUCKETS
    rows = [r.features if r.features is not None else np.zeros(dim) for r in readings]
    return scipy.sparse.csr_matrix(np.vstack(rows)), readings


def fit_models(x: Any, items: list[dict[str, Any]], readings: list[Any], settings: Settings) -> classifier.LabelModels:
    """Models with the chosen settings fitted on these rows."""
    from simulator.understanding.embedding import DIMENSIONS
    from simulator.understanding.ngrams import BUCKETS
    from simulator.understanding.rules import FEATURE_NAMES

    binary: dict[str, classifier.BinaryModel] = {}
    for name, (c, t) in settings.binary.items():
        y = np.array([bool(u["labels"][name]) for u in items])
        m = _fit(x, y, c)
        binary[name] = classifier.BinaryModel(m.coef_[0].astype(np.float64), float(m.intercept_[0]), t)
    multiclass: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    names: dict[str, tuple[str, ...]] = {}
    if "question_kind" in settings.multiclass:
        y = np.array([QUESTION_KINDS.index(u["labels"]["question_kind"]) for u in items])
        m = _fit(x, y, settings.multiclass["question_kind"], balanced=False)
        multiclass["question_kind"] = (m.coef_.astype(np.float64), m.intercept_.astype(np.float64))
        names["question_kind"] = QUESTION_KINDS
    if "price_owner" in settings.multiclass:
        ox, oy, _rules, _where = _owner_rows(items, readings)
        m = _fit(ox, oy, settings.multiclass["price_owner"], balanced=False)
        coef, bias = m.coef_.astype(np.float64), m.intercept_.astype(np.float64)
        if len(m.classes_) < len(PRICE_OWNERS):  # an owner absent from these rows can never be predicted
            full_w = np.zeros((len(PRICE_OWNERS), coef.shape[1]))
            full_b = np.full(len(PRICE_OWNERS), -30.0)
            full_w[m.classes_], full_b[m.classes_] = coef, bias
            coef, bias = full_w, full_b
        multiclass["price_owner"] = (coef, bias)
        names["price_owner"] = PRICE_OWNERS
    return classifier.LabelModels(
        binary, ("embedding",) * DIMENSIONS + FEATURE_NAMES + ("ngram",) * BUCKETS, names, multiclass
    )


def choose_settings(x: Any, items: list[dict[str, Any]], readings: list[Any], folds: np.ndarray) -> Settings:
    settings = Settings()
    for name in BOOLEAN_LABELS:
        y = np.array([bool(u["labels"][name]) for u in items])
        rule = np.array([r.labels[name] for r in readings])
        chosen = choose_binary(name, x, y, rule, folds)
        if chosen is not None:
            settings.binary[name] = chosen
    y = np.array([QUESTION_KINDS.index(u["labels"]["question_kind"]) for u in items])
    rule = np.array([QUESTION_KINDS.index(r.rule_question_kind) for r in readings])
    c = choose_multiclass("question_kind", x, y, rule, folds)
    if c is not None:
        settings.multiclass["question_kind"] = c
    ox, oy, orules, where = _owner_rows(items, readings)
    c = choose_multiclass("price_owner", ox, oy, orules, folds[where])
    if c is not None:
        settings.multiclass["price_owner"] = c
    return settings


@contextmanager
def _models_in_use(models: classifier.LabelModels | None) -> Iterator[None]:
    original = classifier.shipped
    classifier.shipped = lambda name: models if name == "rep" else original(name)  # type: ignore[assignment]
    try:
        yield
    finally:
        classifier.shipped = original


def read_item(item: dict[str, Any], use_models: bool = True) -> dict[str, Any]:
    from simulator.understanding.reader import read_rep

    return read_rep(item["text"], item["context"].get("list_price"), use_models=use_models,
                    previous_buyer_line=item["context"].get("previous_buyer_line") or "").as_json()


def cross_validated_report(x: Any, items: list[dict[str, Any]], readings: list[Any], folds: np.ndarray,
                           settings: Settings) -> Report:
    """The whole reader scored fold by fold, its models fitted on the other folds."""
    order: list[int] = []
    predictions: list[dict[str, Any]] = []
    for k in range(FOLDS):
        fit = [i for i in range(len(items)) if folds[i] != k]
        held = [i for i in range(len(items)) if folds[i] == k]
        models = fit_models(x[fit], [items[i] for i in fit], [readings[i] for i in fit], settings)
        with _models_in_use(models):
            predictions += [read_item(items[i]) for i in held]
        order += held
    by_index = dict(zip(order, predictions, strict=True))
    position = {id(u): i for i, u in enumerate(items)}
    return evaluate(items, lambda u: by_index[position[id(u)]])


def print_report(title: str, report: Report) -> None:
    print(f"\n{title} ({report.n} utterances)")
    for name, support, p, r, f1 in report.rows():
        print(f"  {name:18s} n={support:4d}  P {p:.3f}  R {r:.3f}  F1 {f1:.3f}")
    print(f"  question_kind accuracy {report.question_kind_accuracy:.3f}; price owner accuracy "
          f"{report.price_owner_accuracy:.3f} ({report.price_owner_total} amounts)")


def train_rep(out: Path | None, cache: Path | None = None, errors: str | None = None) -> Report:
    items = corpus.utterances("train") + corpus.utterances("dev")
    print(f"rep utterances: train + dev {len(items)} in {FOLDS} folds (test not read)")
    with cached_embeddings(cache):
        x, readings = featurise(items)
    folds = fold_of(items)
    settings = choose_settings(x, items, readings, folds)
    report = cross_validated_report(x, items, readings, folds, settings)
    print_report("cross-validated, rules alone", evaluate(items, lambda u: read_item(u, use_models=False)))
    print_report("cross-validated, rules + learned models", report)
    if errors is not None:
        for e in report.errors:
            if errors in e:
                print(" ", e)
    if out is not None:
        classifier.save(out, fit_models(x, items, readings, settings))
        print(f"wrote {out}")
    return report


def train_buyer(out: Path) -> None:
    """Buyer-line models: see scripts/buyer_training.py for the data, the features and the choices."""
    from buyer_training import train

    print(f"buyer labels: {', '.join(BUYER_LABELS)}")
    train(out, TRAIN_ONLY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buyer", action="store_true", help="train the buyer-line models instead")
    parser.add_argument(
        "--train-only",
        action="store_true",
        help="buyer models: fit on train alone (to inspect dev errors); the shipped models use train + dev",
    )
    parser.add_argument("--cv-only", action="store_true", help="rep models: report, write nothing")
    parser.add_argument("--errors", metavar="TEXT", help="rep models: print cross-validated errors mentioning TEXT")
    parser.add_argument("--embedding-cache", type=Path, help="rep models: keep corpus embeddings in this file")
    args = parser.parse_args()
    global TRAIN_ONLY
    TRAIN_ONLY = args.train_only
    if args.buyer:
        train_buyer(classifier.MODELS / "buyer.npz")
    else:
        train_rep(None if args.cv_only else classifier.MODELS / "rep.npz", args.embedding_cache, args.errors)


if __name__ == "__main__":
    main()
