"""Train the learned label models on the corpus's train split; choose settings on the dev split.

    python scripts/train_understanding.py            # writes simulator/understanding/models/rep.npz
    python scripts/train_understanding.py --buyer    # writes simulator/understanding/models/buyer.npz

The test split is never read here. A label keeps a learned model only if it beats the rules alone on
the dev split; otherwise its rule reading stands. Needs scikit-learn (the test extra).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.understanding import classifier, corpus
from simulator.understanding.definitions import BOOLEAN_LABELS, BUYER_LABELS, PRICE_OWNERS
from simulator.understanding.evaluation import LabelScore

TRAIN_ONLY = False
"""--train-only: fit the final models on train alone, so the dev split can show honest errors."""
C_GRID = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
THRESHOLDS = np.round(np.arange(0.2, 0.81, 0.025), 3)


def _f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    score = LabelScore()
    for t, p in zip(truth, predicted, strict=True):
        score.add(bool(t), bool(p))
    return score.f1


def _fit(x: np.ndarray, y: np.ndarray, c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, class_weight="balanced", max_iter=4000)
    model.fit(x, y)
    return model


def choose_binary(
    name: str, xt: np.ndarray, yt: np.ndarray, xd: np.ndarray, yd: np.ndarray, rule_dev: np.ndarray
) -> classifier.BinaryModel | None:
    """The best C and threshold on dev; None when the rules alone do at least as well there."""
    rule_f1 = _f1(yd, rule_dev)
    if yt.sum() < 5 or yt.sum() == len(yt):
        print(f"  {name:18s} too few positives in train ({int(yt.sum())}); rules stand (dev F1 {rule_f1:.3f})")
        return None
    best: tuple[float, float, float] | None = None
    for c in C_GRID:
        probs = _fit(xt, yt, c).predict_proba(xd)[:, 1]
        for t in THRESHOLDS:
            f1 = _f1(yd, probs >= t)
            key = (f1, -abs(t - 0.5))
            if best is None or key > (best[0], -abs(best[2] - 0.5)):
                best = (f1, c, float(t))
    assert best is not None
    f1, c, t = best
    if f1 <= rule_f1:
        print(f"  {name:18s} rules {rule_f1:.3f} ≥ learned {f1:.3f} on dev: rules stand")
        return None
    final = _fit(xt, yt, c) if TRAIN_ONLY else _fit(np.vstack([xt, xd]), np.concatenate([yt, yd]), c)
    print(f"  {name:18s} dev F1 rules {rule_f1:.3f} → learned {f1:.3f} (C={c}, threshold={t})")
    return classifier.BinaryModel(final.coef_[0].astype(np.float64), float(final.intercept_[0]), t)


def train_rep(out: Path) -> None:
    from simulator.understanding.embedding import DIMENSIONS
    from simulator.understanding.ngrams import BUCKETS
    from simulator.understanding.reader import read_rep
    from simulator.understanding.rules import FEATURE_NAMES

    def featurise(items: list[dict[str, Any]]) -> tuple[np.ndarray, list[Any]]:
        readings = [
            read_rep(u["text"], u["context"].get("list_price"), use_models=False, keep_features=True,
                     previous_buyer_line=u["context"].get("previous_buyer_line") or "")
            for u in items
        ]
        dim = DIMENSIONS + len(FEATURE_NAMES) + BUCKETS
        x = np.vstack([r.features if r.features is not None else np.zeros(dim) for r in readings])
        return x, readings

    train, dev = corpus.utterances("train"), corpus.utterances("dev")
    print(f"rep utterances: train {len(train)}, dev {len(dev)} (test not read)")
    xt, rt = featurise(train)
    xd, rd = featurise(dev)
    binary: dict[str, classifier.BinaryModel] = {}
    for name in BOOLEAN_LABELS:
        yt = np.array([bool(u["labels"][name]) for u in train])
        yd = np.array([bool(u["labels"][name]) for u in dev])
        rule_dev = np.array([r.labels[name] for r in rd])
        model = choose_binary(name, xt, yt, xd, yd, rule_dev)
        if model is not None:
            binary[name] = model
    classes = ("open", "closed", "none")
    kt = np.array([classes.index(u["labels"]["question_kind"]) for u in train])
    kd = np.array([classes.index(u["labels"]["question_kind"]) for u in dev])
    rule_acc = float(
        np.mean([r.rule_question_kind == u["labels"]["question_kind"] for r, u in zip(rd, dev, strict=True)])
    )
    best_c, best_acc = None, rule_acc
    from sklearn.linear_model import LogisticRegression

    for c in C_GRID:
        m = LogisticRegression(C=c, max_iter=4000).fit(xt, kt)
        acc = float(np.mean(m.predict(xd) == kd))
        if acc > best_acc:
            best_c, best_acc = c, acc
    multiclass: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    names: dict[str, tuple[str, ...]] = {}
    if best_c is not None:
        m = (LogisticRegression(C=best_c, max_iter=4000).fit(xt, kt) if TRAIN_ONLY else
             LogisticRegression(C=best_c, max_iter=4000).fit(np.vstack([xt, xd]), np.concatenate([kt, kd])))
        multiclass["question_kind"] = (m.coef_.astype(np.float64), m.intercept_.astype(np.float64))
        names["question_kind"] = classes
        print(f"  question_kind      dev accuracy rules {rule_acc:.3f} → learned {best_acc:.3f} (C={best_c})")
    else:
        print(f"  question_kind      rules {rule_acc:.3f} stand on dev")
    owner_model = choose_price_owner(train, dev, rt, rd)
    if owner_model is not None:
        multiclass["price_owner"] = owner_model
        names["price_owner"] = PRICE_OWNERS
    classifier.save(
        out,
        classifier.LabelModels(
            binary, ("embedding",) * DIMENSIONS + FEATURE_NAMES + ("ngram",) * BUCKETS, names, multiclass
        ),
    )
    print(f"wrote {out}")


def _owner_rows(items: list[dict[str, Any]], readings: list[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One row per extracted amount that matches a labelled amount: features, true owner, rule owner."""
    from simulator.understanding.values import owner_features

    xs, ys, rules = [], [], []
    for item, reading in zip(items, readings, strict=True):
        truth = list(item["labels"].get("prices", []))
        for i, amount in enumerate(reading.amounts):
            match = next((t for t in truth if abs(float(t["value"]) - amount.value) < 0.5), None)
            if match is None:
                continue
            truth.remove(match)
            xs.append(owner_features(amount, item["context"].get("list_price"), i, len(reading.amounts)))
            ys.append(PRICE_OWNERS.index(match["owner"]))
            rules.append(PRICE_OWNERS.index(amount.owner))
    return np.array(xs), np.array(ys), np.array(rules)


def choose_price_owner(train: list[dict[str, Any]], dev: list[dict[str, Any]], rt: list[Any],
                       rd: list[Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """A multinomial model of whose amount it is, chosen by 5-fold cross-validation over train + dev
    (grouped by utterance: amounts are few and a single dev split overstated it), kept only if it beats
    the rules there."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    xs, ys, rules, groups = [], [], [], []
    for index, (item, reading) in enumerate(zip(train + dev, rt + rd, strict=True)):
        x, y, r = _owner_rows([item], [reading])
        xs += list(x)
        ys += list(y)
        rules += list(r)
        groups += [index] * len(y)
    x_all, y_all, g_all = np.array(xs), np.array(ys), np.array(groups)
    rule_acc = float(np.mean(np.array(rules) == y_all))
    best_c, best_acc = None, rule_acc
    for c in C_GRID:
        accs = []
        for tr, te in GroupKFold(5).split(x_all, y_all, g_all):
            model = LogisticRegression(C=c, max_iter=4000).fit(x_all[tr], y_all[tr])
            accs.append(float(np.mean(model.predict(x_all[te]) == y_all[te])))
        if np.mean(accs) > best_acc:
            best_c, best_acc = c, float(np.mean(accs))
    if best_c is None:
        print(f"  price_owner        rules {rule_acc:.3f} stand (5-fold, {len(y_all)} amounts)")
        return None
    n_train = sum(len(_owner_rows([i], [r])[1]) for i, r in zip(train, rt, strict=True))
    fit_x, fit_y = (x_all[:n_train], y_all[:n_train]) if TRAIN_ONLY else (x_all, y_all)
    m = LogisticRegression(C=best_c, max_iter=4000).fit(fit_x, fit_y)
    print(f"  price_owner        5-fold accuracy rules {rule_acc:.3f} → learned {best_acc:.3f} (C={best_c}, "
          f"{len(y_all)} amounts)")
    return m.coef_.astype(np.float64), m.intercept_.astype(np.float64)


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
        help="fit on train alone (to inspect dev errors); the shipped models use train + dev",
    )
    args = parser.parse_args()
    global TRAIN_ONLY
    TRAIN_ONLY = args.train_only
    if args.buyer:
        train_buyer(classifier.MODELS / "buyer.npz")
    else:
        train_rep(classifier.MODELS / "rep.npz")


if __name__ == "__main__":
    main()
